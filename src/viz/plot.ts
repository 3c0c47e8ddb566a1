// Line plots (e.g. robust accuracy vs eps): axes, nice ticks with labels, several series
// with distinct colours and markers, legend, title and axis labels.
import { LINE_H, textWidth } from './font.js';
import { Raster, type Marker, type RGB } from './raster.js';

export interface Series {
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color?: RGB;
  marker?: Marker;
  /** Dash length in pixels (0 = solid). */
  dash?: number;
}

export interface LinePlotOptions {
  series: Series[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Pixels; default 720 x 480. */
  width?: number;
  height?: number;
  /** Default: the data range (padded to nice ticks). */
  xRange?: [number, number];
  /** Default [0, 1] (accuracies). */
  yRange?: [number, number];
  /** Legend corner; 'auto' (default) picks the corner covering the fewest points. */
  legend?: 'auto' | 'upper right' | 'upper left' | 'lower right' | 'lower left' | 'none';
}

export interface PlotLayout {
  raster: Raster;
  /** Data -> pixel coordinates (centre of the pixel). */
  toPixel(x: number, y: number): [number, number];
  plot: { x: number; y: number; w: number; h: number };
  colors: RGB[];
  legend: { x: number; y: number; w: number; h: number } | null;
}

/** Colour-blind-friendly palette (Okabe-Ito, then tab10-like extras). */
export const PALETTE: RGB[] = [
  [0, 114, 178], [213, 94, 0], [0, 158, 115], [204, 121, 167], [230, 159, 0], [86, 180, 233],
  [120, 120, 120], [140, 86, 75], [0, 0, 0], [188, 189, 34],
];
export const MARKERS: Marker[] = ['circle', 'square', 'triangle', 'diamond', 'cross', 'plus'];

/** Nice tick positions covering [lo, hi] with about `target` intervals (steps 1, 2, 5 x 10^k). */
export function niceTicks(lo: number, hi: number, target = 5): { ticks: number[]; step: number; decimals: number } {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) throw new RangeError(`axis range [${lo}, ${hi}] must be finite`);
  if (hi <= lo) hi = lo + 1;
  const raw = (hi - lo) / target, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * 0.999)!;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const ticks: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) ticks.push(Number((k * step).toFixed(decimals)));
  return { ticks, step, decimals };
}

const INK: RGB = [0, 0, 0], GRID: RGB = [225, 225, 225];

export function renderLinePlot(o: LinePlotOptions): PlotLayout {
  const W = o.width ?? 720, H = o.height ?? 480, fs = 2;
  if (o.series.length === 0) throw new RangeError('linePlot: no series');
  o.series.forEach((s, i) => {
    if (s.x.length !== s.y.length) throw new RangeError(`linePlot: series ${i} ('${s.label}') has ${s.x.length} x values but ${s.y.length} y values`);
  });
  let xr = o.xRange;
  if (!xr) {
    let a = Infinity, b = -Infinity;
    for (const s of o.series) for (let i = 0; i < s.x.length; i++) if (Number.isFinite(s.x[i])) { a = Math.min(a, s.x[i]); b = Math.max(b, s.x[i]); }
    if (a === Infinity) throw new RangeError('linePlot: no finite x values');
    const t = niceTicks(a, b);
    xr = [Math.min(a, t.ticks[0]), Math.max(b, t.ticks[t.ticks.length - 1])];
  }
  const yr = o.yRange ?? [0, 1];
  if (!(xr[1] > xr[0]) || !(yr[1] > yr[0])) throw new RangeError(`linePlot: ranges must be increasing, got x [${xr}] y [${yr}]`);
  const xt = niceTicks(xr[0], xr[1]), yt = niceTicks(yr[0], yr[1]);
  const fmt = (v: number, d: number) => v.toFixed(d);
  const yLabW = Math.max(...yt.ticks.filter((v) => v >= yr[0] && v <= yr[1]).map((v) => textWidth(fmt(v, yt.decimals), fs)));
  const lh = LINE_H * fs;
  const left = 12 + (o.yLabel ? lh + 8 : 0) + yLabW + 10;
  const top = 12 + (o.title ? lh + 8 : 0);
  const bottom = 12 + lh + 6 + (o.xLabel ? lh + 4 : 0);
  const lastX = xt.ticks.filter((v) => v <= xr[1]).pop() ?? xr[1];
  const right = Math.max(24, textWidth(fmt(lastX, xt.decimals), fs) / 2 + 10);
  const plot = { x: left, y: top, w: W - left - right, h: H - top - bottom };
  if (plot.w < 50 || plot.h < 50) throw new RangeError(`linePlot: ${W} x ${H} pixels leave no room for the plot area`);
  const toPixel = (x: number, y: number): [number, number] => [
    Math.round(plot.x + ((x - xr![0]) / (xr![1] - xr![0])) * (plot.w - 1)),
    Math.round(plot.y + plot.h - 1 - ((y - yr[0]) / (yr[1] - yr[0])) * (plot.h - 1)),
  ];

  const img = new Raster(W, H);
  if (o.title) img.text((W - textWidth(o.title, fs)) / 2, 12, o.title, INK, fs);
  // grid lines and ticks
  for (const v of yt.ticks) {
    if (v < yr[0] || v > yr[1]) continue;
    const [, py] = toPixel(xr[0], v);
    img.rect(plot.x, py, plot.w, 1, GRID);
    img.rect(plot.x - 6, py, 6, 1, INK);
    const s = fmt(v, yt.decimals);
    img.text(plot.x - 10 - textWidth(s, fs), py - (7 * fs) / 2, s, INK, fs);
  }
  for (const v of xt.ticks) {
    if (v < xr[0] || v > xr[1]) continue;
    const [px] = toPixel(v, yr[0]);
    img.rect(px, plot.y, 1, plot.h, GRID);
    img.rect(px, plot.y + plot.h, 1, 6, INK);
    const s = fmt(v, xt.decimals);
    img.text(px - textWidth(s, fs) / 2, plot.y + plot.h + 10, s, INK, fs);
  }
  img.strokeRect(plot.x - 1, plot.y - 1, plot.w + 2, plot.h + 2, INK);
  if (o.xLabel) img.text(plot.x + (plot.w - textWidth(o.xLabel, fs)) / 2, H - 8 - lh, o.xLabel, INK, fs);
  if (o.yLabel) img.textUp(12, plot.y + (plot.h - textWidth(o.yLabel, fs)) / 2, o.yLabel, INK, fs);

  // series: lines clipped to the plot area, markers on top; non-finite points break lines
  const colors = o.series.map((s, i) => s.color ?? PALETTE[i % PALETTE.length]);
  img.clip = [plot.x, plot.y, plot.x + plot.w, plot.y + plot.h];
  o.series.forEach((s, i) => {
    let prev: [number, number] | null = null;
    for (let k = 0; k < s.x.length; k++) {
      if (!Number.isFinite(s.x[k]) || !Number.isFinite(s.y[k])) { prev = null; continue; }
      const p = toPixel(s.x[k], s.y[k]);
      if (prev) img.line(prev[0], prev[1], p[0], p[1], colors[i], 2, s.dash ?? 0);
      prev = p;
    }
  });
  img.clip = null;
  // markers of in-range points are drawn whole, even where they overlap the frame
  const inRange = (x: number, y: number) => x >= xr![0] && x <= xr![1] && y >= yr[0] && y <= yr[1];
  o.series.forEach((s, i) => {
    const m = s.marker ?? MARKERS[i % MARKERS.length];
    for (let k = 0; k < s.x.length; k++)
      if (inRange(s.x[k], s.y[k])) img.marker(...toPixel(s.x[k], s.y[k]), m, colors[i], 4);
  });

  // legend
  let legend: PlotLayout['legend'] = null;
  if (o.legend !== 'none') {
    const rowH = lh + 2, lw = 12 + 28 + 8 + Math.max(...o.series.map((s) => textWidth(s.label, fs))) + 12;
    const lhTot = 8 + o.series.length * rowH + 4;
    const spots = {
      'upper right': [plot.x + plot.w - lw - 8, plot.y + 8], 'upper left': [plot.x + 8, plot.y + 8],
      'lower right': [plot.x + plot.w - lw - 8, plot.y + plot.h - lhTot - 8], 'lower left': [plot.x + 8, plot.y + plot.h - lhTot - 8],
    } as const;
    let where = o.legend && o.legend !== 'auto' ? o.legend : undefined;
    if (!where) {
      // fewest data points (and line samples) under the legend box
      let best = Infinity;
      for (const [k, [lx, ly]] of Object.entries(spots)) {
        let hits = 0;
        for (const s of o.series)
          for (let j = 0; j + 1 < s.x.length; j++)
            for (let t = 0; t <= 10; t++) {
              const [px, py] = toPixel(s.x[j] + (t / 10) * (s.x[j + 1] - s.x[j]), s.y[j] + (t / 10) * (s.y[j + 1] - s.y[j]));
              if (px >= lx && px < lx + lw && py >= ly && py < ly + lhTot) hits++;
            }
        if (hits < best) { best = hits; where = k as keyof typeof spots; }
      }
    }
    const [lx, ly] = spots[where!];
    legend = { x: lx, y: ly, w: lw, h: lhTot };
    img.rect(lx, ly, lw, lhTot, [255, 255, 255]);
    img.strokeRect(lx, ly, lw, lhTot, [160, 160, 160]);
    o.series.forEach((s, i) => {
      const cy = ly + 8 + i * rowH + (7 * fs) / 2;
      img.line(lx + 12, cy, lx + 40, cy, colors[i], 2, s.dash ?? 0);
      img.marker(lx + 26, cy, s.marker ?? MARKERS[i % MARKERS.length], colors[i], 4);
      img.text(lx + 48, ly + 8 + i * rowH, s.label, INK, fs);
    });
  }
  return { raster: img, toPixel, plot, colors, legend };
}

/** PNG bytes of a line plot (see LinePlotOptions). */
export function linePlot(o: LinePlotOptions): Uint8Array {
  return renderLinePlot(o).raster.toPng();
}
