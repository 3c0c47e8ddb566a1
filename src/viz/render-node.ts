// Node rendering of chart specs: Vega-Lite -> Vega -> SVG string (vega's headless view, no
// canvas package), SVG -> PNG with resvg (wasm) and the DejaVu Sans files shipped in the
// dejavu-fonts-ttf package, so a PNG looks the same on every machine. vega measures text with
// that font's own advance widths (fontMetrics), so labels and legends are laid out for it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { initWasm, Resvg } from '@resvg/resvg-wasm';
import { fontMetrics, type FontMetrics } from './font_metrics.js';
import { CHART_FONT, type ChartSpec } from './charts/theme.js';
import { writeFileAtomic } from '../io/atomic.js';

const require = createRequire(import.meta.url);

interface Fonts { regular: Uint8Array; bold: Uint8Array; metrics: FontMetrics; boldMetrics: FontMetrics }
let fonts: Fonts | null = null;

/** DejaVu Sans regular and bold, read once, with their metrics. */
export function chartFonts(): Fonts {
  if (fonts) return fonts;
  let dir: string;
  try { dir = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf'); } catch (e) {
    throw new Error(`cannot find the chart font package dejavu-fonts-ttf (a dependency of ntk-robustness): ${(e as Error).message}`);
  }
  const read = (f: string) => {
    try { return new Uint8Array(readFileSync(join(dir, f))); } catch (e) { throw new Error(`cannot read the chart font ${join(dir, f)}: ${(e as Error).message}`); }
  };
  const regular = read('DejaVuSans.ttf'), bold = read('DejaVuSans-Bold.ttf');
  fonts = { regular, bold, metrics: fontMetrics(regular, 'DejaVuSans.ttf'), boldMetrics: fontMetrics(bold, 'DejaVuSans-Bold.ttf') };
  // vega calls textMetrics.width(item, text) for every label; measure with the real font
  const tm = (vega as unknown as { textMetrics: { width: (item: TextItem, text?: unknown) => number } }).textMetrics;
  tm.width = (item, text) => {
    const t = text ?? item.text;
    const s = Array.isArray(t) ? t.join(' ') : t == null ? '' : String(t);
    const w = item.fontWeight;
    const bold = w === 'bold' || w === 'bolder' || (typeof w === 'number' && w >= 600) || (typeof w === 'string' && Number(w) >= 600);
    return (bold ? fonts!.boldMetrics : fonts!.metrics).width(s, item.fontSize ?? 11);
  };
  return fonts;
}
interface TextItem { text?: unknown; fontSize?: number; fontWeight?: string | number }

/** SVG markup of a Vega-Lite spec (what the report inlines and `<name>.svg` holds). */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  chartFonts();
  let vg;
  try { vg = compile(spec).spec; } catch (e) { throw new Error(`invalid chart spec: ${(e as Error).message}`); }
  const view = new vega.View(vega.parse(vg), { renderer: 'none', logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

let wasmReady: Promise<void> | null = null;
function resvgReady(): Promise<void> {
  if (!wasmReady) {
    let bytes: Buffer;
    const path = require.resolve('@resvg/resvg-wasm/index_bg.wasm');
    try { bytes = readFileSync(path); } catch (e) { throw new Error(`cannot read the resvg wasm module ${path}: ${(e as Error).message}`); }
    wasmReady = initWasm(bytes);
  }
  return wasmReady;
}

export interface PngOptions {
  /** Pixels per SVG unit (default 2: crisp on high-density screens and in print). */
  scale?: number;
  /** Background colour; default white. */
  background?: string;
}

/** PNG bytes of SVG markup, drawn with the packaged fonts only (no system fonts). */
export async function svgToPng(svg: string, o: PngOptions = {}): Promise<Uint8Array> {
  const f = chartFonts();
  await resvgReady();
  const scale = o.scale ?? 2;
  if (!(scale > 0 && scale <= 16)) throw new RangeError(`PNG scale must be in (0, 16], got ${scale}`);
  const r = new Resvg(svg, {
    font: { fontBuffers: [f.regular, f.bold], defaultFontFamily: CHART_FONT, sansSerifFamily: CHART_FONT, loadSystemFonts: false },
    fitTo: { mode: 'zoom', value: scale }, background: o.background ?? 'white',
  });
  try {
    const img = r.render();
    try { return img.asPng(); } finally { img.free(); }
  } finally { r.free(); }
}

/** PNG bytes of a Vega-Lite spec. */
export async function renderPng(spec: ChartSpec, o: PngOptions = {}): Promise<Uint8Array> {
  return svgToPng(await renderSvg(spec), o);
}

export interface WrittenChart {
  /** Base name, e.g. 'eps-curve'. */
  name: string;
  /** The SVG markup (for writeReport's figures). */
  svg: string;
  /** The spec (the report keeps it, so the chart can be re-rendered elsewhere). */
  spec: ChartSpec;
  /** File names written, relative to the directory. */
  files: string[];
}

/** Writes `<name>.png` and `<name>.svg` (and `<name>.vl.json` with `spec: true`) atomically. */
export async function writeChart(dir: string, name: string, spec: ChartSpec, o: PngOptions & { svg?: boolean; spec?: boolean } = {}): Promise<WrittenChart> {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new RangeError(`chart name '${name}': use letters, digits, '.', '_' and '-' only`);
  const svg = await renderSvg(spec);
  const png = await svgToPng(svg, o);
  const files: string[] = [];
  writeFileAtomic(join(dir, `${name}.png`), png); files.push(`${name}.png`);
  if (o.svg !== false) { writeFileAtomic(join(dir, `${name}.svg`), svg); files.push(`${name}.svg`); }
  if (o.spec) { writeFileAtomic(join(dir, `${name}.vl.json`), JSON.stringify(spec) + '\n'); files.push(`${name}.vl.json`); }
  return { name, svg, spec, files };
}
