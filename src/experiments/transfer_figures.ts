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

export function similarityChart(res: TransferResult): ChartSpec {
  const lines = [...byWidth(res.runs)].map(([w, runs]) => series(`width ${w}`, runs, (r) => r.similarity.mean));
  return lineChart(lines, { title: 'Cosine similarity of loss gradients, net vs NTK (mean over test points; band: seeds min-max)',
    xLabel: 'epoch', yLabel: 'mean cosine similarity', xScale: 'log', xDomain: xRange(res), yDomain: [0, 1], legendTitle: 'net' });
}

export function accuracyChart(res: TransferResult, eps: number): ChartSpec {
  const key = String(Number(eps.toPrecision(6)));
  const panels = [...byWidth(res.runs)].map(([w, runs]) => lineChart([
    series('clean', runs, (r) => r.accuracy.clean),
    series('own FGSM (white-box)', runs, (r) => r.accuracy.own[key]),
    series('NTK FGSM, matched t', runs, (r) => r.accuracy.ntk[key]),
    series('NTK FGSM, final t', runs, (r) => r.accuracy.ntkFinal[key]),
  ], { title: `width ${w}`, xLabel: 'epoch', yLabel: 'test accuracy', xScale: 'log', xDomain: xRange(res), yDomain: [0, 1], yFormat: '.0%', width: 300, height: 220 }));
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
