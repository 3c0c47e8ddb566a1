// Heatmaps with a colour bar, e.g. a kernel distance matrix or a Gram block.
import { type ChartOptions, type ChartSpec, topLevel, num, size } from './theme.js';

export interface HeatmapData {
  /** Row-major values, rows x cols. */
  values: ArrayLike<number>;
  rows: number;
  cols: number;
  /** Tick labels (default: indices). */
  rowLabels?: string[];
  colLabels?: string[];
}

export interface HeatmapChartOptions extends ChartOptions {
  xLabel?: string;
  yLabel?: string;
  colorLabel?: string;
  /** Vega colour scheme (default 'viridis'; 'blueorange' etc. for signed data with `diverging`). */
  colorScheme?: string;
  /** Centre the colour scale on 0 (signed data). */
  diverging?: boolean;
  colorDomain?: [number, number];
  /** Refuse bigger matrices (each cell is an SVG rect); default 40,000 cells. Downsample first. */
  maxCells?: number;
}

/**
 * A rows x cols matrix as coloured cells with a colour bar (row 0 at the top); `diverging`
 * centres a two-sided scheme on 0.
 * @example heatmapChart({ values: D.data, rows: D.rows, cols: D.cols }, { colorLabel: 'kernel distance' })
 */
export function heatmapChart(d: HeatmapData, o: HeatmapChartOptions = {}): ChartSpec {
  const { rows, cols } = d;
  if (!(Number.isInteger(rows) && rows > 0 && Number.isInteger(cols) && cols > 0))
    throw new RangeError(`heatmapChart: rows and cols must be positive integers, got ${rows} x ${cols}`);
  if (d.values.length !== rows * cols) throw new RangeError(`heatmapChart: ${d.values.length} values for ${rows} x ${cols} cells`);
  const max = o.maxCells ?? 40_000;
  if (rows * cols > max) throw new RangeError(`heatmapChart: ${rows} x ${cols} = ${rows * cols} cells exceed maxCells ${max}; downsample or raise maxCells`);
  if (d.rowLabels && d.rowLabels.length !== rows) throw new RangeError(`heatmapChart: ${d.rowLabels.length} row labels for ${rows} rows`);
  if (d.colLabels && d.colLabels.length !== cols) throw new RangeError(`heatmapChart: ${d.colLabels.length} column labels for ${cols} columns`);
  const rl = d.rowLabels ?? Array.from({ length: rows }, (_, i) => String(i));
  const cl = d.colLabels ?? Array.from({ length: cols }, (_, j) => String(j));
  const values: Record<string, unknown>[] = [];
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) values.push({ row: rl[i], col: cl[j], v: num(d.values[i * cols + j]) });
  const xl = o.xLabel ?? 'column', yl = o.yLabel ?? 'row', vl = o.colorLabel ?? 'value';
  // thin out index labels of big matrices to about 12 ticks
  const every = (n: number, given: boolean) => (given || n <= 24 ? undefined : Array.from({ length: n }, (_, i) => String(i)).filter((_, i) => i % Math.ceil(n / 12) === 0));
  let scale: Record<string, unknown> = { scheme: o.colorScheme ?? (o.diverging ? 'blueorange' : 'viridis') };
  if (o.colorDomain) scale.domain = o.colorDomain;
  else if (o.diverging) {
    let m = 0;
    for (let k = 0; k < d.values.length; k++) if (Number.isFinite(d.values[k])) m = Math.max(m, Math.abs(d.values[k]));
    scale = { ...scale, domain: [-(m || 1), m || 1] };
  }
  const side = Math.min(420, Math.max(160, 12 * Math.max(rows, cols)));
  return { ...topLevel(o, `Heatmap of ${vl}, ${rows} x ${cols}`), ...size(o, Math.max(80, side * Math.min(2, cols / rows)), Math.max(80, side * Math.min(1, rows / cols))),
    data: { values }, mark: { type: 'rect' },
    encoding: {
      x: { field: 'col', type: 'ordinal', title: xl, sort: cl, axis: { labelAngle: 0, values: every(cols, !!d.colLabels), labelOverlap: true } },
      y: { field: 'row', type: 'ordinal', title: yl, sort: rl, axis: { values: every(rows, !!d.rowLabels), labelOverlap: true } },
      color: { field: 'v', type: 'quantitative', title: vl, scale, legend: { gradientLength: 180 } },
      tooltip: [{ field: 'row', title: yl }, { field: 'col', title: xl }, { field: 'v', title: vl, format: '.4~g' }],
    } } as unknown as ChartSpec;
}
