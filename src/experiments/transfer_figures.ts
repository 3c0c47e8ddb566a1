// Figures of `ntk transfer` (paper Figs. 3 and 7): similarity vs epoch (a line per width, the
// seeds as a min-max band), accuracies vs epoch (a panel per width) and the loss gradients
// of a few test images at three epochs (NTK | net).
import { facetCharts, lineChart, seedBand, type ChartSpec, type LineSeries } from '../viz/charts/index.js';
import { writeChart, type WrittenChart } from '../viz/render-node.js';
import { imageGrid } from '../viz/grid.js';
import { writeFileAtomic } from '../io/atomic.js';
import { join } from 'node:path';
import type { RunRecord, TransferResult } from './transfer.js';

const byWidth = (runs: RunRecord[]) => {
  const m = new Map<number, RunRecord[]>();
  for (const r of runs) m.set(r.width, [...(m.get(r.width) ?? []), r]);
  return m;
};

/** Epochs >= 1 (log axis) and the values there, per run. */
function series(label: string, runs: RunRecord[], pick: (r: RunRecord) => (number | null)[]): LineSeries {
  const keep = runs[0].epochs.map((e, i) => (e > 0 ? i : -1)).filter((i) => i >= 0);
  const vals = runs.map((r) => keep.map((i) => pick(r)[i] ?? NaN));
  const band = seedBand(vals, 'minmax');
  return { label, x: keep.map((i) => runs[0].epochs[i]), ...(runs.length > 1 ? band : { y: band.y }) };
}

const xRange = (res: TransferResult): [number, number] => [1, Math.max(...res.runs[0].epochs)];

/**
 * Tick values for a log epoch axis of `px` pixels: the checkpoint epochs, thinned so that
 * neighbours are at least `gapPx` apart (the last kept first; vega's own log ticks printed
 * 50 and 60 on top of each other as "5060").
 */
export function epochTicks(epochs: number[], px: number, gapPx = 26): number[] {
  const pos = [...new Set(epochs.filter((e) => e >= 1))].sort((a, b) => a - b);
  if (pos.length <= 1) return pos;
  const lo = Math.log(pos[0]), span = Math.log(pos[pos.length - 1]) - lo || 1;
  const x = (e: number) => ((Math.log(e) - lo) / span) * px;
  const kept = [pos[pos.length - 1]];
  for (let i = pos.length - 2; i >= 0; i--) if (x(kept[kept.length - 1]) - x(pos[i]) >= gapPx) kept.push(pos[i]);
  return kept.reverse();
}

/**
 * Three panels sharing the width colours: the trained nets' similarity with the NTK, the
 * same for their linearised (Taylor) models, and the share of test points on which no hidden
 * unit changed sign during training (the net's similarity is high on those, near 0 on the rest).
 */
export function similarityChart(res: TransferResult): ChartSpec {
  const groups = [...byWidth(res.runs)];
  const w = 300, ticks = epochTicks(res.runs[0].epochs, w);
  const opts = { xLabel: 'epoch', xScale: 'log' as const, xDomain: xRange(res), xTicks: ticks, yDomain: [0, 1] as [number, number], width: w, height: 230, legendTitle: 'width' };
  const panel = (title: string, yLabel: string, pick: (r: RunRecord) => (number | null)[], yFormat?: string) =>
    lineChart(groups.map(([wd, runs]) => series(`${wd}`, runs, pick)), { ...opts, title, yLabel, ...(yFormat ? { yFormat } : {}) });
  return facetCharts([
    panel('trained net (centred output)', 'mean cosine similarity', (r) => r.similarity.mean),
    panel('linearised net (Taylor model at init)', 'mean cosine similarity', (r) => r.linearised.mean),
    panel('test points with no hidden unit flipped', 'share of test points', (r) => r.flips.zeroShare, '.0%'),
  ], { title: 'Loss-gradient cosine similarity with the NTK at matched t (mean over test points; band: seeds min-max)', columns: 3, shared: ['color'] });
}

export function accuracyChart(res: TransferResult, eps: number): ChartSpec {
  const key = String(Number(eps.toPrecision(6)));
  const panels = [...byWidth(res.runs)].map(([w, runs]) => lineChart([
    series('clean', runs, (r) => r.accuracy.clean),
    series('own FGSM (white-box)', runs, (r) => r.accuracy.own[key]),
    series('NTK FGSM, matched t', runs, (r) => r.accuracy.ntk[key]),
    series('NTK FGSM, final t', runs, (r) => r.accuracy.ntkFinal[key]),
  ], { title: `width ${w}`, xLabel: 'epoch', yLabel: 'test accuracy', xScale: 'log', xDomain: xRange(res), xTicks: epochTicks(res.runs[0].epochs, 300), yDomain: [0, 1], yFormat: '.0%', width: 300, height: 220 }));
  return facetCharts(panels, { title: `Accuracy of the nets (centred output), FGSM eps = ${Number(eps.toPrecision(4))}; NTK attacks from the kernel alone; band: seeds min-max`, columns: Math.min(3, panels.length), shared: ['color'] });
}

/** Rows: test images; columns: the image, then NTK | net (widest, first seed) per figure epoch. */
export async function gradientsGrid(res: TransferResult, images: Float64Array[], shape: [number, number, number]): Promise<Uint8Array> {
  const widest = Math.max(...res.runs.map((r) => r.width));
  const run = res.runs.filter((r) => r.width === widest).sort((a, b) => a.seed - b.seed)[0];
  const cells: ArrayLike<number>[] = [], captions: string[] = [];
  const cols = 1 + 2 * res.figureEpochs.length;
  images.forEach((img, i) => {
    cells.push(img); captions.push(`test ${i}`);
    for (const e of res.figureEpochs) {
      const gk = res.ntkGradients.find((g) => g.epoch === e)!.images[i], gn = run.gradients.find((g) => g.epoch === e)!.images[i];
      let ab = 0, aa = 0, bb = 0;
      for (let p = 0; p < gk.length; p++) { ab += gk[p] * gn[p]; aa += gk[p] * gk[p]; bb += gn[p] * gn[p]; }
      cells.push(gk, gn);
      captions.push('', aa > 0 && bb > 0 ? `cos ${(ab / Math.sqrt(aa * bb)).toFixed(2)}` : '');
    }
  });
  const headers = ['image', ...res.figureEpochs.flatMap((e) => [`NTK, epoch ${e}`, `net, epoch ${e}`])];
  const shp: [number, number] | [number, number, number] = shape[2] === 1 ? [shape[0], shape[1]] : shape;
  return imageGrid({ images: cells, shape: shp, cols, captions, headers, title: `Loss gradients: NTK vs net of width ${widest} (seed ${run.seed}); grey = 0`,
    scaling: ['clip', ...Array(cols - 1).fill('symmetric')] });
}

export async function writeTransferFigures(dir: string, res: TransferResult, eps: number, images: Float64Array[], shape: [number, number, number]): Promise<{ charts: WrittenChart[]; files: string[] }> {
  const charts = [await writeChart(dir, 'similarity', similarityChart(res)), await writeChart(dir, 'accuracy', accuracyChart(res, eps))];
  writeFileAtomic(join(dir, 'gradients.png'), await gradientsGrid(res, images, shape));
  return { charts, files: [...charts.flatMap((c) => c.files), 'gradients.png'] };
}
