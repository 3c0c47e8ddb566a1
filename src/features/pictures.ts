// Pictures of eigen-features (paper Figs. 1, 2a, 4): input gradients of features as image
// grids, each gradient min-max rescaled on its own (RGB kept for colour images).
import type { Matrix } from '../linalg/matrix.js';
import { imageGrid, type CellScaling } from '../viz/grid.js';
import { fgsm } from '../attacks/fgsm_pgd.js';
import { kernelMachineModel } from '../attacks/model.js';
import type { EigenFeatures } from './eigen_features.js';
import { memberGradients, pickOutputs } from './gradients.js';
import { fullMachine } from './members.js';

type Shape = [number, number, number];
const fmt = (v: number) => (Math.abs(v) >= 1e3 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(1) : v.toPrecision(3));
const row = (X: Matrix<Float64Array>, i: number) => X.data.subarray(i * X.cols, (i + 1) * X.cols);

/**
 * grad_x f_i for the features at `positions` on the test points `points` (rows: images;
 * columns: the image, then one gradient per feature, then the whole machine's). Binary tasks
 * picture f_i itself, multiclass the output of the point's label.
 */
export async function featureGradientsPng(fs: EigenFeatures, X: Matrix<Float64Array>, labels: Int32Array, points: number[], positions: number[], shape: Shape, title: string, captionOf?: (point: number) => string): Promise<Uint8Array> {
  const d = X.cols;
  const Xs = { data: new Float64Array(points.length * d), rows: points.length, cols: d };
  points.forEach((i, r) => Xs.data.set(row(X, i), r * d));
  const cls = Int32Array.from(points, (i) => labels[i]);
  const g = memberGradients(fs, positions.map((p) => [p]), Xs, pickOutputs(fs.outputs, cls));
  const images: Float64Array[] = [], captions: string[] = [];
  points.forEach((i, r) => {
    images.push(row(X, i) as Float64Array);
    captions.push(captionOf ? captionOf(i) : `test ${i}`);
    for (const G of [...g.members, g.machine]) { images.push(row(G, r) as Float64Array); captions.push(''); }
  });
  const cols = positions.length + 2;
  return imageGrid({
    images, captions, shape, cols, title,
    headers: ['image', ...positions.map((p) => `f${fs.indices[p]} (l=${fmt(fs.values[p])})`), 'whole kernel'],
    scaling: ['clip', ...new Array<CellScaling>(cols - 1).fill('minmax')],
  });
}

/**
 * Fig. 1: one adversarial perturbation (FGSM on the whole machine at `eps`) and its input
 * gradient split into feature gradients. The loss gradient is a positive multiple of
 * -y grad f (binary) and grad f = sum_i grad f_i over all n features, so each computed
 * feature's part is shown with its coefficient c_i = <grad f_i, grad f> / |grad f|^2
 * (all n sum to 1); "rest" is grad f minus the computed features' sum.
 */
export async function decompositionPng(fs: EigenFeatures, X: Matrix<Float64Array>, labels: Int32Array, point: number, eps: number, shape: Shape, shown: number, title: string): Promise<{ png: Uint8Array; parts: { index: number; coefficient: number }[] }> {
  const d = X.cols, x = { data: Float64Array.from(row(X, point)), rows: 1, cols: d }, y = Int32Array.of(labels[point]);
  const s = fs.indices.length;
  const g = memberGradients(fs, Array.from({ length: s }, (_, p) => [p]), x, pickOutputs(fs.outputs, y));
  const gf = g.machine.data;
  let ff = 0;
  for (const v of gf) ff += v * v;
  const coef = g.members.map((G) => { let t = 0; for (let q = 0; q < d; q++) t += G.data[q] * gf[q]; return ff > 0 ? t / ff : 0; });
  const order = Array.from({ length: s }, (_, p) => p).sort((a, b) => Math.abs(coef[b]) - Math.abs(coef[a])).slice(0, shown);
  const rest = Float64Array.from(gf);
  for (const G of g.members) for (let q = 0; q < d; q++) rest[q] -= G.data[q];
  const adv = fgsm(kernelMachineModel(fullMachine(fs)), x, y, { eps });
  const pert = adv.data.map((v, q) => v - x.data[q]);
  const images = [x.data, pert, gf, ...order.map((p) => g.members[p].data), rest];
  const headers = ['image', `FGSM perturbation (eps=${fmt(eps)})`, 'grad f (whole kernel)', ...order.map((p) => `grad f${fs.indices[p]}`), `rest (${fs.indices.length > 0 ? 'features not computed' : ''})`];
  const captions = ['', '', 'c=1', ...order.map((p) => `c=${fmt(coef[p])}`), ''];
  const png = await imageGrid({
    images, headers, captions, shape, cols: images.length, title,
    scaling: ['clip', 'symmetric', ...new Array<CellScaling>(images.length - 2).fill('minmax')],
  });
  return { png, parts: order.map((p) => ({ index: fs.indices[p], coefficient: coef[p] })) };
}

/** Fig. 2a: per architecture (rows), the same test image's gradients of its first features. */
export async function archGradientsPng(runs: { arch: string; fs: EigenFeatures }[], X: Matrix<Float64Array>, labels: Int32Array, point: number, features: number, shape: Shape, title: string): Promise<Uint8Array> {
  const d = X.cols, x = { data: Float64Array.from(row(X, point)), rows: 1, cols: d };
  const images: Float64Array[] = [], captions: string[] = [];
  for (const { arch, fs } of runs) {
    const pos = Array.from({ length: Math.min(features, fs.indices.length) }, (_, p) => p);
    const g = memberGradients(fs, pos.map((p) => [p]), x, pickOutputs(fs.outputs, Int32Array.of(labels[point])));
    images.push(x.data); captions.push(arch);
    for (let c = 0; c < features; c++) { images.push(g.members[c]?.data ?? new Float64Array(d)); captions.push(c < pos.length ? `f${fs.indices[c]}` : ''); }
  }
  return imageGrid({
    images, captions, shape, cols: features + 1, title,
    headers: ['image', ...Array.from({ length: features }, (_, c) => `feature ${c}`)],
    scaling: ['clip', ...new Array<CellScaling>(features).fill('minmax')],
  });
}
