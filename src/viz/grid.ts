// A grid of images (grayscale or RGB) with column headers and a caption under each cell,
// e.g. clean | perturbation (rescaled) | adversarial, captioned "y=3 p=8".
import { LINE_H, textWidth } from './font.js';
import { Raster, type RGB } from './raster.js';

/** How a cell's values map to intensity: clip to [0,1]; min-max stretch per cell; or
 *  symmetric around 0 (max |v| per cell -> 0 black .. 0.5 gray .. 1 white), for perturbations. */
export type CellScaling = 'clip' | 'minmax' | 'symmetric';

export interface ImageGridOptions {
  /** One array per cell (H*W*C values, channels-last), cells in row-major grid order. */
  images: ArrayLike<number>[];
  /** [H, W] (grayscale) or [H, W, C] with C = 1 or 3. */
  shape: [number, number] | [number, number, number];
  /** Cells per row. */
  cols: number;
  /** Integer upscaling of each image pixel; default floor(96 / max(H, W)), at least 1 (28 -> 3). */
  scale?: number;
  captions?: (string | undefined)[];
  /** One per column, drawn above the first row (wrapped to the cell width). */
  headers?: string[];
  title?: string;
  /** One for all cells or one per column; default 'clip'. */
  scaling?: CellScaling | CellScaling[];
  /** Pixels between cells and around the grid; default 8. */
  pad?: number;
}

export interface GridLayout {
  raster: Raster;
  /** Top-left pixel and size of every cell's image, in cell order. */
  cells: { x: number; y: number; w: number; h: number }[];
}

const INK: RGB = [0, 0, 0];

/** Splits text into lines no wider than `width` at `scale` (breaking at spaces; long words overflow). */
function wrap(text: string, width: number, scale: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const w of text.split(/\s+/).filter(Boolean)) {
    const next = cur ? cur + ' ' + w : w;
    if (cur && textWidth(next, scale) > width) { lines.push(cur); cur = w; } else cur = next;
  }
  if (cur) lines.push(cur);
  return lines;
}

/** Largest text scale (2 or 1) at which every word of every string fits in `width`. */
function fitScale(texts: string[], width: number): number {
  const words = texts.flatMap((t) => t.split(/\s+/));
  return words.every((w) => textWidth(w, 2) <= width) ? 2 : 1;
}

export function renderImageGrid(o: ImageGridOptions): GridLayout {
  const [H, W] = o.shape, C = o.shape.length === 3 ? o.shape[2] : 1;
  if (C !== 1 && C !== 3) throw new RangeError(`imageGrid: channels must be 1 or 3, got ${C}`);
  const n = o.images.length, cols = o.cols;
  if (!(Number.isInteger(cols) && cols >= 1)) throw new RangeError(`imageGrid: cols must be a positive integer, got ${cols}`);
  if (n === 0) throw new RangeError('imageGrid: no images');
  o.images.forEach((im, i) => {
    if (im.length !== H * W * C) throw new RangeError(`imageGrid: image ${i} has ${im.length} values, shape ${H} x ${W} x ${C} needs ${H * W * C}`);
  });
  if (o.headers && o.headers.length !== cols) throw new RangeError(`imageGrid: ${o.headers.length} headers for ${cols} columns`);
  if (o.captions && o.captions.length !== n) throw new RangeError(`imageGrid: ${o.captions.length} captions for ${n} images`);
  const s = o.scale ?? Math.max(1, Math.floor(96 / Math.max(H, W)));
  if (!(Number.isInteger(s) && s >= 1)) throw new RangeError(`imageGrid: scale must be a positive integer, got ${s}`);
  const pad = o.pad ?? 8, cw = W * s, ch = H * s, rows = Math.ceil(n / cols);
  const scalings = Array.isArray(o.scaling) ? o.scaling : new Array<CellScaling>(cols).fill(o.scaling ?? 'clip');
  if (scalings.length !== cols) throw new RangeError(`imageGrid: ${scalings.length} scalings for ${cols} columns`);

  const capTexts = (o.captions ?? []).map((c) => c ?? '');
  const capScale = fitScale(capTexts, cw);
  const capLines = capTexts.map((c) => wrap(c, cw, capScale));
  const capH = Math.max(0, ...capLines.map((l) => l.length)) * LINE_H * capScale;
  const headScale = fitScale(o.headers ?? [], cw);
  const headLines = (o.headers ?? []).map((h) => wrap(h, cw, headScale));
  const headH = Math.max(0, ...headLines.map((l) => l.length)) * LINE_H * headScale;
  const titleH = o.title ? LINE_H * 2 + pad : 0;

  const width = Math.max(pad + cols * (cw + pad), o.title ? textWidth(o.title, 2) + 2 * pad : 0);
  const top = pad + titleH + (headH ? headH + pad / 2 : 0);
  const rowH = ch + (capH ? 4 + capH : 0) + pad;
  const img = new Raster(width, top + rows * rowH);
  if (o.title) img.text((width - textWidth(o.title, 2)) / 2, pad, o.title, INK, 2);
  headLines.forEach((lines, c) => {
    const x0 = pad + c * (cw + pad), y0 = top - pad / 2 - lines.length * LINE_H * headScale;
    lines.forEach((l, k) => img.text(x0 + (cw - textWidth(l, headScale)) / 2, y0 + k * LINE_H * headScale, l, INK, headScale));
  });

  const cells: GridLayout['cells'] = [];
  for (let i = 0; i < n; i++) {
    const r = Math.floor(i / cols), c = i % cols;
    const x0 = pad + c * (cw + pad), y0 = top + r * rowH;
    cells.push({ x: x0, y: y0, w: cw, h: ch });
    const v = o.images[i], mode = scalings[c];
    let lo = 0, span = 1;
    if (mode !== 'clip') {
      let mn = Infinity, mx = -Infinity;
      for (let k = 0; k < v.length; k++) {
        if (!Number.isFinite(v[k])) throw new RangeError(`imageGrid: image ${i} value ${k} is ${v[k]}; expected finite numbers`);
        mn = Math.min(mn, v[k]); mx = Math.max(mx, v[k]);
      }
      if (mode === 'minmax') { lo = mn; span = mx > mn ? mx - mn : 1; }
      else { const m = Math.max(Math.abs(mn), Math.abs(mx)) || 1; lo = -m; span = 2 * m; }
    }
    const px = (k: number) => {
      const t = (v[k] - lo) / span;
      if (Number.isNaN(t)) throw new RangeError(`imageGrid: image ${i} value ${k} is NaN`);
      return Math.round(255 * Math.min(1, Math.max(0, t)));
    };
    for (let yy = 0; yy < H; yy++)
      for (let xx = 0; xx < W; xx++) {
        const base = (yy * W + xx) * C;
        const col: RGB = C === 1 ? [px(base), px(base), px(base)] : [px(base), px(base + 1), px(base + 2)];
        img.rect(x0 + xx * s, y0 + yy * s, s, s, col);
      }
    (capLines[i] ?? []).forEach((l, k) =>
      img.text(x0 + (cw - textWidth(l, capScale)) / 2, y0 + ch + 4 + k * LINE_H * capScale, l, INK, capScale));
  }
  return { raster: img, cells };
}

/** PNG bytes of an image grid (see ImageGridOptions). */
export function imageGrid(o: ImageGridOptions): Uint8Array {
  return renderImageGrid(o).raster.toPng();
}
