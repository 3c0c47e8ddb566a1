// Polar trajectories, e.g. (alignment radius, angle) of a kernel over training: each point is
// drawn at x = r cos(phi), y = r sin(phi), joined in time order over dashed reference circles,
// coloured by time (one trajectory or a few seeds) or by series with a legend (several named
// trajectories compared, e.g. training modes).
import { type ChartOptions, type ChartSpec, topLevel, num, checkLengths, size } from './theme.js';

export interface PolarSeries {
  /** Legend/tooltip name of the trajectory. */
  label?: string;
  r: ArrayLike<number>;
  /** Angles in radians (or degrees with angleUnit 'deg'). */
  phi: ArrayLike<number>;
  /** Time of each point (default 0, 1, 2, ...); sets the colour and the joining order. */
  t?: ArrayLike<number>;
}

export interface PolarChartOptions extends ChartOptions {
  angleUnit?: 'rad' | 'deg';
  /** Colour-bar title (default 'epoch'). */
  timeLabel?: string;
  /** Names of the x and y axes (default 'r cos φ', 'r sin φ'). */
  xLabel?: string;
  yLabel?: string;
  /** Radii of the dashed reference circles (default: ~4 nice radii up to the largest r). */
  rings?: number[];
  colorScheme?: string;
  /**
   * 'time' (default): points coloured by t (colour bar), grey lines; 'series': each
   * trajectory in its own colour and dash with a legend naming it (t only orders the points).
   */
  colorBy?: 'time' | 'series';
  /** Legend title with colorBy 'series' (default none). */
  legendTitle?: string;
  /** Show only the quarter x >= 0, y >= 0 (all angles in [0, pi/2], e.g. arccos of a positive similarity). */
  quadrant?: boolean;
}

// the line chart's dashes, so a series keeps its look between the two chart kinds
const DASHES = [[1, 0], [7, 4], [2, 3], [10, 3, 2, 3], [5, 2], [1, 0], [7, 4], [2, 3], [10, 3, 2, 3], [5, 2]];
const SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'cross', 'triangle-down', 'circle', 'square', 'triangle-up', 'diamond'];

function niceRings(rmax: number): number[] {
  if (!(rmax > 0)) return [];
  const raw = rmax / 4, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let k = 1; k * step <= rmax * 1.0001 + step; k++) out.push(Number((k * step).toPrecision(6)));
  return out;
}

/**
 * Trajectories in polar coordinates: point j of a series at (r[j] cos phi[j], r[j] sin phi[j]),
 * joined in the order of t and coloured by t (or by series with `colorBy: 'series'`), over
 * dashed circles of constant r.
 * @example polarChart([{ r: radius, phi: angle, t: epochs }], { timeLabel: 'epoch' })
 * @example polarChart(modes.map((m) => ({ label: m, r: R[m], phi: A[m] })), { colorBy: 'series', quadrant: true })
 */
export function polarChart(series: PolarSeries[], o: PolarChartOptions = {}): ChartSpec {
  if (series.length === 0) throw new RangeError('polarChart: no series');
  const k = o.angleUnit === 'deg' ? Math.PI / 180 : 1;
  const pts: Record<string, unknown>[] = [];
  let rmax = 0;
  series.forEach((s, i) => {
    const what = `polarChart: series ${i}${s.label ? ` ('${s.label}')` : ''}`;
    const n = checkLengths(what, { r: s.r, phi: s.phi, t: s.t });
    for (let j = 0; j < n; j++) {
      const r = s.r[j], phi = s.phi[j] * k;
      if (r < 0) throw new RangeError(`${what}: radius ${j} is ${r}; expected r >= 0`);
      if (Number.isFinite(r)) rmax = Math.max(rmax, r);
      pts.push({ series: s.label ?? `trajectory ${i + 1}`, t: num(s.t ? s.t[j] : j), r: num(r), phi: num(s.phi[j]),
        x: num(r * Math.cos(phi)), y: num(r * Math.sin(phi)) });
    }
  });
  const rings = o.rings ?? niceRings(rmax);
  const lim = Math.max(rmax, ...rings) * 1.05 || 1;
  if (o.quadrant) for (const p of pts) if ((p.x as number) < -1e-12 * lim || (p.y as number) < -1e-12 * lim)
    throw new RangeError(`polarChart: quadrant needs angles in [0, pi/2]; series '${p.series}' has phi = ${p.phi} at t = ${p.t}`);
  const lo = o.quadrant ? 0 : -lim, steps = o.quadrant ? 24 : 96, arc = o.quadrant ? Math.PI / 2 : 2 * Math.PI;
  const ringRows: Record<string, unknown>[] = [];
  for (const R of rings) for (let a = 0; a <= steps; a++) ringRows.push({ ring: R, a, x: R * Math.cos((arc * a) / steps), y: R * Math.sin((arc * a) / steps) });
  const tl = o.timeLabel ?? 'epoch';
  const x = { field: 'x', type: 'quantitative', title: o.xLabel ?? 'r cos φ', scale: { domain: [lo, lim], nice: false, zero: false } };
  const y = { field: 'y', type: 'quantitative', title: o.yLabel ?? 'r sin φ', scale: { domain: [lo, lim], nice: false, zero: false } };
  const side = Math.min(o.width ?? 360, o.height ?? 360);
  const tooltip = [{ field: 'series' }, { field: 't', title: tl }, { field: 'r', format: '.4~g' }, { field: 'phi', title: 'φ', format: '.4~g' }];
  const ringLayer = { data: { values: ringRows }, mark: { type: 'line', color: '#bbb', strokeDash: [3, 3], strokeWidth: 1 },
    encoding: { x, y, detail: { field: 'ring', type: 'quantitative' }, order: { field: 'a', type: 'quantitative' } } };
  let layers: Record<string, unknown>[];
  if (o.colorBy === 'series') {
    const labels = [...new Set(pts.map((p) => p.series as string))];
    if (labels.length !== series.length) throw new RangeError(`polarChart: series labels must differ, got ${series.map((s, i) => s.label ?? `trajectory ${i + 1}`).join(', ')}`);
    const legend = { title: o.legendTitle ?? null, symbolOpacity: 1, symbolStrokeWidth: 2, symbolSize: 90, labelLimit: 260 };
    const color = { field: 'series', type: 'nominal', scale: { domain: labels }, legend };
    const strokeDash = { field: 'series', type: 'nominal', scale: { domain: labels, range: DASHES }, legend };
    const shape = { field: 'series', type: 'nominal', scale: { domain: labels, range: SHAPES }, legend };
    layers = [ringLayer,
      { data: { values: pts }, mark: { type: 'line', strokeWidth: 2 },
        encoding: { x, y, color, strokeDash, detail: { field: 'series', type: 'nominal' }, order: { field: 't', type: 'quantitative' } } },
      { data: { values: pts }, mark: { type: 'point', filled: true, size: 40, opacity: 0.95 }, encoding: { x, y, color, shape, tooltip } }];
  } else {
    layers = [ringLayer,
      { data: { values: pts }, mark: { type: 'line', color: '#999', strokeWidth: 1.2 },
        encoding: { x, y, detail: { field: 'series', type: 'nominal' }, order: { field: 't', type: 'quantitative' } } },
      { data: { values: pts }, mark: { type: 'circle', size: 36, opacity: 0.95 },
        encoding: { x, y, color: { field: 't', type: 'quantitative', title: tl, scale: { scheme: o.colorScheme ?? 'viridis' } }, tooltip } }];
  }
  const by = o.colorBy === 'series' ? 'series' : tl;
  return { ...topLevel(o, `Polar trajectories (${series.length}) coloured by ${by}`), ...size(o, side, side), layer: layers } as unknown as ChartSpec;
}
