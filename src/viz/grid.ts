// A grid of images (grayscale or RGB) with a title, column headers and a caption under each
// cell, e.g. clean | perturbation (rescaled) | adversarial, captioned "y=3 p=8". Image cells are
// pixel-exact (each input pixel becomes a scale x scale block of its exact value); the text is
// set in DejaVu Sans by resvg on a white canvas first, and the cells are then copied over it.
import { decode, encode } from 'fast-png';
import { chartFonts, svgToPng } from './render-node.js';
import { escapeHtml } from './report.js';
import type { FontMetrics } from './font_metrics.js';

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
  /** Pixels between cells and around the grid; default 10. */
  pad?: number;
}

export interface GridLayout {
  width: number;
  height: number;
  /** Top-left pixel and size of every cell's image, in cell order. */
  cells: { x: number; y: number; w: number; h: number }[];
  /** PNG bytes (RGB, 8 bit). */
  png: Uint8Array;
}

const CAPTION = 12, HEADER = 13, TITLE = 15, LEADING = 1.25, ASCENT = 0.93;

/** Splits text into lines no wider than `width` (breaking at spaces; a long word keeps its line). */
function wrap(m: FontMetrics, text: string, width: number, size: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const w of text.split(/\s+/).filter(Boolean)) {
    const next = cur ? cur + ' ' + w : w;
    if (cur && m.width(next, size) > width) { lines.push(cur); cur = w; } else cur = next;
  }
  if (cur) lines.push(cur);
  return lines;
}

/** Largest size <= `size` (down to 9 px) at which every word fits in `width`. */
function fitSize(m: FontMetrics, texts: string[], width: number, size: number): number {
  const words = texts.flatMap((t) => t.split(/\s+/)).filter(Boolean);
  let s = size;
  while (s > 9 && words.some((w) => m.width(w, s) > width)) s -= 1;
  return s;
}

/** The grid as PNG bytes with its layout (where each cell's image sits, for checks and overlays). */
export async function renderImageGrid(o: ImageGridOptions): Promise<GridLayout> {
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
  const pad = o.pad ?? 10, cw = W * s, ch = H * s, rows = Math.ceil(n / cols);
  const scalings = Array.isArray(o.scaling) ? o.scaling : new Array<CellScaling>(cols).fill(o.scaling ?? 'clip');
  if (scalings.length !== cols) throw new RangeError(`imageGrid: ${scalings.length} scalings for ${cols} columns`);
  const m = chartFonts().metrics, mb = chartFonts().boldMetrics;

  // text layout: captions and headers may use the cell width plus the gap between cells
  const room = cw + pad - 2;
  const capTexts = (o.captions ?? []).map((c) => c ?? '');
  const capSize = fitSize(m, capTexts, room, CAPTION);
  const capLines = capTexts.map((c) => wrap(m, c, room, capSize));
  const capH = Math.ceil(Math.max(0, ...capLines.map((l) => l.length)) * LEADING * capSize);
  const headSize = fitSize(m, o.headers ?? [], room, HEADER);
  const headLines = (o.headers ?? []).map((h) => wrap(m, h, room, headSize));
  const nHead = Math.max(0, ...headLines.map((l) => l.length));
  const headH = Math.ceil(nHead * LEADING * headSize);
  const titleH = o.title ? Math.ceil(LEADING * TITLE) + pad : 0;

  const width = Math.max(pad + cols * (cw + pad), o.title ? Math.ceil(mb.width(o.title, TITLE)) + 2 * pad : 0);
  const x0 = Math.floor((width - (pad + cols * (cw + pad))) / 2); // centre the grid under a wide title
  const top = pad + titleH + (headH ? headH + pad / 2 : 0);
  const rowH = ch + (capH ? 4 + capH : 0) + pad;
  const height = top + rows * rowH;

  const texts: string[] = [];
  const text = (x: number, yTop: number, size: number, str: string, bold = false) =>
    texts.push(`<text x="${x}" y="${(yTop + ASCENT * size).toFixed(2)}" font-size="${size}"${bold ? ' font-weight="bold"' : ''} text-anchor="middle">${escapeHtml(str)}</text>`);
  if (o.title) text(width / 2, pad, TITLE, o.title, true);
  headLines.forEach((lines, c) => {
    const cx = x0 + pad + c * (cw + pad) + cw / 2, y0 = top - pad / 2 - lines.length * LEADING * headSize;
    lines.forEach((l, k) => text(cx, y0 + k * LEADING * headSize, headSize, l));
  });
  const cells: GridLayout['cells'] = [];
  for (let i = 0; i < n; i++) {
    const r = Math.floor(i / cols), c = i % cols;
    const cx = x0 + pad + c * (cw + pad), cy = top + r * rowH;
    cells.push({ x: cx, y: cy, w: cw, h: ch });
    (capLines[i] ?? []).forEach((l, k) => text(cx + cw / 2, cy + ch + 4 + k * LEADING * capSize, capSize, l));
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans" fill="#111">${texts.join('')}</svg>`;
  const canvas = decode(await svgToPng(svg, { scale: 1 }));
  if (canvas.width !== width || canvas.height !== height) throw new Error(`imageGrid: text layer is ${canvas.width} x ${canvas.height}, expected ${width} x ${height}`);
  const inC = canvas.channels, out = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0; q < out.length; p += inC, q += 3) { out[q] = canvas.data[p]; out[q + 1] = canvas.data[p + 1]; out[q + 2] = canvas.data[p + 2]; }

  // the cells, copied over the text layer exactly
  for (let i = 0; i < n; i++) {
    const v = o.images[i], mode = scalings[i % cols], cell = cells[i];
    let lo = 0, span = 1;
    if (mode !== 'clip') {
      let mn = Infinity, mx = -Infinity;
      for (let k = 0; k < v.length; k++) {
        if (!Number.isFinite(v[k])) throw new RangeError(`imageGrid: image ${i} value ${k} is ${v[k]}; expected finite numbers`);
        mn = Math.min(mn, v[k]); mx = Math.max(mx, v[k]);
      }
      if (mode === 'minmax') { lo = mn; span = mx > mn ? mx - mn : 1; }
      else { const a = Math.max(Math.abs(mn), Math.abs(mx)) || 1; lo = -a; span = 2 * a; }
    }
    const px = (k: number) => {
      const t = (v[k] - lo) / span;
      if (Number.isNaN(t)) throw new RangeError(`imageGrid: image ${i} value ${k} is NaN`);
      return Math.round(255 * Math.min(1, Math.max(0, t)));
    };
    for (let yy = 0; yy < H; yy++)
      for (let xx = 0; xx < W; xx++) {
        const base = (yy * W + xx) * C;
        const r = px(base), g = C === 1 ? r : px(base + 1), b = C === 1 ? r : px(base + 2);
        for (let dy = 0; dy < s; dy++) {
          let q = ((cell.y + yy * s + dy) * width + cell.x + xx * s) * 3;
          for (let dx = 0; dx < s; dx++, q += 3) { out[q] = r; out[q + 1] = g; out[q + 2] = b; }
        }
      }
  }
  return { width, height, cells, png: encode({ width, height, data: out, channels: 3, depth: 8 }) };
}

/** PNG bytes of an image grid (see ImageGridOptions). */
export async function imageGrid(o: ImageGridOptions): Promise<Uint8Array> {
  return (await renderImageGrid(o)).png;
}
