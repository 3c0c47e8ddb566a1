// Scatter plots with a continuous colour scale and tooltips, e.g. usefulness vs robustness of
// kernel eigenfeatures coloured by eigen-index.
import { type ChartOptions, type ChartSpec, topLevel, num, checkLengths, size } from './theme.js';

export interface ScatterData {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Colour value per point (continuous scale), e.g. the eigen-index. */
  color?: ArrayLike<number>;
  /** Category per point (one colour per category); not with `color`. */
  group?: ArrayLike<string>;
  /** Extra columns shown in each point's tooltip, e.g. { eigenvalue: lambdas }. */
  fields?: Record<string, ArrayLike<number | string>>;
}

export interface ScatterChartOptions extends ChartOptions {
  xLabel?: string;
  yLabel?: string;
  /** Title of the colour bar / legend. */
  colorLabel?: string;
  /** A Vega colour scheme for `color` (default 'viridis'). */
  colorScheme?: string;
  colorScale?: 'linear' | 'log';
  xScale?: 'linear' | 'log' | 'symlog';
  yScale?: 'linear' | 'log' | 'symlog';
  xDomain?: [number, number];
  yDomain?: [number, number];
  /** Marker area in square pixels (default 40). */
  pointSize?: number;
}

const RESERVED = new Set(['x', 'y', 'color', 'group']);

/**
 * One point per (x[i], y[i]), coloured by `color[i]` on a continuous scale (colour bar) or by
 * `group[i]`; the tooltip shows x, y, the colour and every column of `fields`.
 * @example scatterChart({ x: usefulness, y: robustness, color: index }, { colorLabel: 'eigen-index' })
 */
export function scatterChart(d: ScatterData, o: ScatterChartOptions = {}): ChartSpec {
  if (d.color && d.group) throw new RangeError('scatterChart: give color or group, not both');
  const cols: Record<string, ArrayLike<unknown> | undefined> = { x: d.x, y: d.y, color: d.color, group: d.group };
  for (const [k, v] of Object.entries(d.fields ?? {})) {
    if (RESERVED.has(k)) throw new RangeError(`scatterChart: field name '${k}' is reserved (x, y, color, group)`);
    cols[k] = v;
  }
  const n = checkLengths('scatterChart', cols);
  if (n === 0) throw new RangeError('scatterChart: no points');
  const extra = Object.keys(d.fields ?? {});
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const r: Record<string, unknown> = { x: num(d.x[i]), y: num(d.y[i]) };
    if (d.color) r.color = num(d.color[i]);
    if (d.group) r.group = String(d.group[i]);
    for (const k of extra) { const v = d.fields![k][i]; r[k] = typeof v === 'number' ? num(v) : v; }
    rows.push(r);
  }
  const xl = o.xLabel ?? 'x', yl = o.yLabel ?? 'y', cl = o.colorLabel ?? (d.group ? 'group' : 'colour');
  const enc: Record<string, unknown> = {
    x: { field: 'x', type: 'quantitative', title: xl, scale: { type: o.xScale ?? 'linear', zero: false, ...(o.xDomain ? { domain: o.xDomain } : {}) } },
    y: { field: 'y', type: 'quantitative', title: yl, scale: { type: o.yScale ?? 'linear', zero: false, ...(o.yDomain ? { domain: o.yDomain } : {}) } },
    tooltip: [
      { field: 'x', type: 'quantitative', title: xl, format: '.4~g' }, { field: 'y', type: 'quantitative', title: yl, format: '.4~g' },
      ...(d.color ? [{ field: 'color', type: 'quantitative', title: cl, format: '.4~g' }] : []),
      ...(d.group ? [{ field: 'group', type: 'nominal', title: cl }] : []),
      ...extra.map((k) => ({ field: k, type: typeof d.fields![k][0] === 'number' ? 'quantitative' : 'nominal', title: k,
        ...(typeof d.fields![k][0] === 'number' ? { format: '.4~g' } : {}) })),
    ],
  };
  if (d.color) enc.color = { field: 'color', type: 'quantitative', title: cl,
    scale: { scheme: o.colorScheme ?? 'viridis', type: o.colorScale ?? 'linear' }, legend: { gradientLength: Math.min(200, (o.height ?? 320) - 20) } };
  if (d.group) enc.color = { field: 'group', type: 'nominal', title: cl };
  // draw low colour values last so they stay visible (eigen-index 0 = top eigenfunction)
  if (d.color) enc.order = { field: 'color', type: 'quantitative', sort: 'descending' };
  return { ...topLevel(o, `Scatter plot of ${yl} against ${xl}${d.color || d.group ? `, coloured by ${cl}` : ''} (${n} points)`),
    ...size(o, 420, 320), data: { values: rows },
    mark: { type: 'circle', size: o.pointSize ?? 40, opacity: 0.85, stroke: '#333', strokeWidth: 0.3 }, encoding: enc } as unknown as ChartSpec;
}
