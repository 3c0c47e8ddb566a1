// Line plots with markers and optional bands (e.g. mean +- std over seeds): robust accuracy
// vs eps, training curves, anything y(x) with a few named series.
import { type ChartOptions, type ChartSpec, topLevel, num, checkLengths, size } from './theme.js';

export interface LineSeries {
  /** Legend entry. */
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Band around the line (both or neither), e.g. from seedBand(). */
  lo?: ArrayLike<number>;
  hi?: ArrayLike<number>;
}

export interface LineChartOptions extends ChartOptions {
  xLabel?: string;
  yLabel?: string;
  xScale?: 'linear' | 'log';
  yScale?: 'linear' | 'log';
  /** Axis ranges; default: the data's (y includes 0 for linear scales unless yZero is false). */
  xDomain?: [number, number];
  yDomain?: [number, number];
  yZero?: boolean;
  /** Draw a marker at every point (default true; turn off for long curves). */
  markers?: boolean;
  /** Title of the legend (default none); legend is hidden when there is a single series. */
  legendTitle?: string;
  /** d3-format strings for axis labels, e.g. '.0%' or '~g'. */
  xFormat?: string;
  yFormat?: string;
  /** Explicit x-axis tick values (e.g. the data's x on a log axis, where the default ticks can crowd). */
  xTicks?: number[];
}

const DASHES = [[1, 0], [7, 4], [2, 3], [10, 3, 2, 3], [5, 2], [1, 0], [7, 4], [2, 3], [10, 3, 2, 3], [5, 2]];

/** Mean and a spread per x over several runs (one array per seed, equal lengths). */
export function seedBand(runs: ArrayLike<number>[], spread: 'std' | 'minmax' = 'std'): { y: number[]; lo: number[]; hi: number[] } {
  if (runs.length === 0) throw new RangeError('seedBand: no runs');
  const n = checkLengths('seedBand', Object.fromEntries(runs.map((r, i) => [`run ${i}`, r])));
  const y: number[] = [], lo: number[] = [], hi: number[] = [];
  for (let j = 0; j < n; j++) {
    const v = runs.map((r) => r[j]);
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    y.push(m);
    if (spread === 'minmax') { lo.push(Math.min(...v)); hi.push(Math.max(...v)); } else {
      const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1)) : 0;
      lo.push(m - sd); hi.push(m + sd);
    }
  }
  return { y, lo, hi };
}

/**
 * One line per series, with a marker at every point (unless `markers: false`) and a shaded
 * band where the series has `lo`/`hi`. Series after the first are dashed as well as coloured.
 * Non-finite y values break the line.
 * @example lineChart([{ label: 'PGD', x: eps, y: acc }], { xLabel: 'ε', yLabel: 'accuracy', yFormat: '.0%' })
 */
export function lineChart(series: LineSeries[], o: LineChartOptions = {}): ChartSpec {
  if (series.length === 0) throw new RangeError('lineChart: no series');
  const rows: Record<string, unknown>[] = [];
  let bands = false;
  series.forEach((s, i) => {
    const what = `lineChart: series ${i} ('${s.label}')`;
    checkLengths(what, { x: s.x, y: s.y, lo: s.lo, hi: s.hi });
    if (!!s.lo !== !!s.hi) throw new RangeError(`${what}: give both lo and hi or neither`);
    bands ||= !!s.lo;
    for (let k = 0; k < s.x.length; k++) {
      const r: Record<string, unknown> = { series: s.label, x: num(s.x[k]), y: num(s.y[k]) };
      if (s.lo && s.hi) { r.lo = num(s.lo[k]); r.hi = num(s.hi[k]); }
      rows.push(r);
    }
  });
  const labels = series.map((s) => s.label);
  if (new Set(labels).size !== labels.length) throw new RangeError(`lineChart: series labels must differ, got ${labels.join(', ')}`);
  const single = series.length === 1;
  const legend = single ? null : { title: o.legendTitle ?? null, symbolOpacity: 1, symbolType: 'stroke', symbolStrokeWidth: 2.5, symbolSize: 500 };
  const color = { field: 'series', type: 'nominal', scale: { domain: labels }, legend };
  // x range of the plotted (finite) points only: a trailing NaN must not stretch the axis
  let xlo = Infinity, xhi = -Infinity;
  for (const r of rows) if (r.x !== null && r.y !== null) { xlo = Math.min(xlo, r.x as number); xhi = Math.max(xhi, r.x as number); }
  const xDomain = o.xDomain ?? (xlo < xhi ? [xlo, xhi] : undefined);
  const x = { field: 'x', type: 'quantitative', title: o.xLabel ?? 'x',
    scale: { type: o.xScale ?? 'linear', ...(xDomain ? { domain: xDomain } : {}), nice: !o.xDomain, ...(o.xScale === 'log' ? {} : { zero: false }) },
    axis: { ...(o.xFormat ? { format: o.xFormat } : {}), ...(o.xTicks ? { values: o.xTicks } : {}) } };
  const y = { field: 'y', type: 'quantitative', title: o.yLabel ?? 'y',
    scale: { type: o.yScale ?? 'linear', ...(o.yDomain ? { domain: o.yDomain } : {}), ...(o.yScale === 'log' ? {} : { zero: o.yZero !== false }) },
    axis: o.yFormat ? { format: o.yFormat } : {} };
  const tooltip = [{ field: 'series', title: 'series' }, { field: 'x', title: o.xLabel ?? 'x', format: '~g' }, { field: 'y', title: o.yLabel ?? 'y', format: '~g' }];
  const layer: Record<string, unknown>[] = [];
  if (bands)
    layer.push({ transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi)' }],
      mark: { type: 'area', opacity: 0.18, invalid: 'break-paths-filter-domains' },
      encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } });
  // dashes as well as colours: overlapping curves (PGD on FGSM) and grey print stay readable
  const strokeDash = { field: 'series', type: 'nominal', scale: { domain: labels, range: DASHES }, legend };
  layer.push({ mark: { type: 'line', invalid: 'break-paths-filter-domains' }, encoding: { x, y, color, strokeDash } });
  if (o.markers !== false)
    layer.push({ mark: { type: 'point', filled: true, size: 45, opacity: 1 },
      encoding: { x, y, color, tooltip } });
  return { ...topLevel(o, `Line chart of ${o.yLabel ?? 'y'} against ${o.xLabel ?? 'x'}: ${labels.join(', ')}`), ...size(o, 480, 300),
    data: { values: rows }, layer } as unknown as ChartSpec;
}
