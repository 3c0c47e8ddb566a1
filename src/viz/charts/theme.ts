// What every chart shares: the Vega-Lite schema URL, the font resvg draws with (shipped in
// the package, so text looks the same on every machine), a colour-blind-safe palette, and
// helpers that turn typed arrays into Vega-Lite's inline data rows.
import type { TopLevelSpec } from 'vega-lite';

/** A Vega-Lite specification (plain JSON: inline data, no functions). */
export type ChartSpec = TopLevelSpec;

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** The font of every chart; resvg is given exactly this font file (dejavu-fonts-ttf). */
export const CHART_FONT = 'DejaVu Sans';

/** Okabe-Ito colours (distinguishable with the common colour-vision deficiencies). */
const CATEGORY = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#7f7f7f', '#8c564b', '#000000', '#bcbd22'];

/** Options shared by every chart function. */
export interface ChartOptions {
  title?: string;
  subtitle?: string;
  /** Plot area in CSS pixels (axes, legend and title come on top); defaults per chart. */
  width?: number;
  height?: number;
  /** One sentence for screen readers and the SVG's aria description. */
  description?: string;
}

export function baseConfig(): Record<string, unknown> {
  return {
    font: CHART_FONT,
    background: 'white',
    padding: 8,
    title: { fontSize: 15, fontWeight: 'bold', subtitleFontSize: 12, subtitleColor: '#555', anchor: 'middle', offset: 10 },
    axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#e6e6e6', domainColor: '#888', tickColor: '#888' },
    legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', symbolStrokeWidth: 2 },
    header: { labelFontSize: 12, titleFontSize: 13 },
    range: { category: CATEGORY },
    view: { stroke: '#bbb' },
    line: { strokeWidth: 2 },
  };
}

/** Top-level fields every chart carries: schema, title, description, config. */
export function topLevel(o: ChartOptions, fallbackDescription: string): Record<string, unknown> {
  const t: Record<string, unknown> = { $schema: VEGA_LITE_SCHEMA, description: o.description ?? fallbackDescription };
  if (o.title) t.title = o.subtitle ? { text: o.title, subtitle: o.subtitle } : o.title;
  t.config = baseConfig();
  return t;
}

/** A finite number or null (Vega-Lite treats null as missing; NaN/Infinity are not JSON). */
export const num = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function checkLengths(what: string, cols: Record<string, ArrayLike<unknown> | undefined>): number {
  let n = -1, first = '';
  for (const [k, v] of Object.entries(cols)) {
    if (!v) continue;
    if (n < 0) { n = v.length; first = k; } else if (v.length !== n)
      throw new RangeError(`${what}: ${k} has ${v.length} values but ${first} has ${n}`);
  }
  return Math.max(n, 0);
}

export function axisTitle(label: string | undefined, field: string): string {
  return label ?? field;
}

export function size(o: ChartOptions, w: number, h: number): { width: number; height: number } {
  const width = o.width ?? w, height = o.height ?? h;
  if (!(width > 0 && height > 0)) throw new RangeError(`chart size must be positive, got ${width} x ${height}`);
  return { width, height };
}
