// Kernel attacks on finite nets (paper Sec. 3.2, App. C; spec §4): two-layer nets of several
// widths and seeds trained by full-batch gradient descent, compared at log-spaced epochs with
// their NTK machine at the matched time t = scale * eta * epoch:
//   (i)   cosine similarity of the input gradients of the loss (net: centred output f - f_0),
//   (ii)  clean accuracy, accuracy under the net's own FGSM and under the NTK's FGSM (computed
//         from the kernel alone: transfer), plus the NTK's FGSM at the final time, which needs
//         no training at all, and optionally PGD,
//   (iii) loss gradients of a few test images at three epochs (Fig. 7b).
// Everything is deterministic given the settings, so a run resumed from a checkpoint ends with
// the numbers of an uninterrupted one. Node-free: storage goes through the `store` hooks.
import type { Matrix } from '../linalg/matrix.js';
import type { KernelOps } from '../machines/kernel_ops.js';
import { kernelFlow, type KernelFlow } from '../machines/kernel_flow.js';
import { kernelMachineModel, type DifferentiableModel } from '../attacks/model.js';
import { objectiveGradient } from '../attacks/losses.js';
import { accuracy, decisions, pgd, signedStep } from '../attacks/fgsm_pgd.js';
import { labelsToTargets } from '../data/dataset.js';
import { FullBatchGd } from './full_batch_gd.js';
import { centredModel, taylorModel, twoLayerNet, type TwoLayerInit } from './transfer_net.js';

export interface TransferSettings {
  widths: number[];
  seeds: number;
  /** Seed of the first net; net s uses seed + s. */
  netSeed: number;
  epochs: number;
  /** Checkpoint epochs (sorted, 0 and `epochs` included). */
  checkpoints: number[];
  /** Learning rate; null = auto: lrFactor * N / lambda_max(Theta). */
  lr: number | null;
  lrFactor: number;
  /** NTK time per unit of eta * epoch (theory: 1). */
  timeScale: number;
  eps: number[];
  pgd: { steps: number; stepSize: number } | null;
  /** Test images whose gradients are kept for the Fig. 7b picture. */
  gradientImages: number;
  /** Rows per forward/backward pass in training (memory). */
  chunk: number;
  /** Initialisation of the nets (transfer_net.ts): paired (f_0 = 0) or independent. */
  init: TwoLayerInit;
}

export interface TransferTask {
  train: { X: Matrix<Float64Array>; labels: Int32Array };
  test: { X: Matrix<Float64Array>; labels: Int32Array };
  /** 1 (binary, labels -1/+1) or the number of classes. */
  outputs: number;
}

type PerEps = Record<string, (number | null)[]>;
type Summaries = { mean: (number | null)[]; std: (number | null)[]; q10: (number | null)[]; median: (number | null)[]; q90: (number | null)[] };
const emptySummaries = (): Summaries => ({ mean: [], std: [], q10: [], median: [], q90: [] });
function pushSummary(to: Summaries, v: (number | null)[]): void {
  const sm = summary(v);
  to.mean.push(sm.mean); to.std.push(sm.std); to.q10.push(sm.q10); to.median.push(sm.median); to.q90.push(sm.q90);
}

/** Numbers of one net (width, seed) at every checkpoint. */
export interface RunRecord {
  width: number;
  seed: number;
  epochs: number[];
  trainLoss: number[];
  similarity: Summaries;
  /**
   * The same similarity for the net's first-order Taylor model around its initialisation at
   * the trained weights (transfer_net.ts taylorModel): the net's gradient without the term
   * from hidden units that changed sign on the test point.
   */
  linearised: Summaries;
  /** Hidden units whose sign on a test point changed since initialisation (over test points). */
  flips: { mean: number[]; median: number[]; zeroShare: number[] };
  /** Mean net similarity over the test points with no changed unit, and over the others. */
  similarityByFlips: { none: (number | null)[]; some: (number | null)[] };
  accuracy: { clean: number[]; own: PerEps; ntk: PerEps; ntkFinal: PerEps; ownPgd?: PerEps; ntkPgd?: PerEps };
  /** Loss gradients of the first `gradientImages` test points at the figure epochs (f32 values). */
  gradients: { epoch: number; images: number[][] }[];
  /** Centred outputs vs f_t on the test set at the alignment epoch. */
  alignment: { epoch: number; t: number; relMismatch: number; fittedScale: number } | null;
  seconds: number;
}

export interface NtkCheckpoint {
  epoch: number;
  t: number;
  clean: number;
  fgsm: Record<string, number>;
  pgd?: Record<string, number>;
}

export interface TransferResult {
  lr: { value: number; auto: boolean; lambdaMax: number; normaliser: number; stableBelow: number };
  ntk: { checkpoints: NtkCheckpoint[]; seconds: { gram: number; eigh: number; attacks: number } };
  figureEpochs: number[];
  runs: RunRecord[];
  /** Gradients of the NTK at the figure epochs for the same images. */
  ntkGradients: { epoch: number; images: number[][] }[];
}

/** Where a long run keeps its checkpoint (params of the net in training and finished runs). */
export interface TransferStore {
  /** Finished runs and, if any, the run in progress with its parameters at its last checkpoint. */
  load(): { runs: RunRecord[]; current: { record: RunRecord; params: Float32Array | Float64Array } | null } | null;
  save(runs: RunRecord[], current: { record: RunRecord; params: Float32Array | Float64Array } | null): void;
}

export type TransferProgress = (done: number, total: number, label: string) => void;

/** Log-spaced epochs 0, 1, ..., E (about `count` distinct integers, always 0 and E). */
export function logCheckpoints(epochs: number, count: number): number[] {
  if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`epochs must be a positive integer, got ${epochs}`);
  const s = new Set<number>([0, epochs]);
  for (let i = 0; i < count; i++) s.add(Math.round(Math.exp((Math.log(epochs) * i) / Math.max(1, count - 1))));
  return [...s].filter((e) => e <= epochs).sort((a, b) => a - b);
}

/** Cosine of each row pair (null when either row is zero). */
export function rowCosines(A: ArrayLike<number>, B: ArrayLike<number>, rows: number, d: number): (number | null)[] {
  const out: (number | null)[] = [];
  for (let r = 0; r < rows; r++) {
    let ab = 0, aa = 0, bb = 0;
    for (let i = r * d; i < (r + 1) * d; i++) { ab += A[i] * B[i]; aa += A[i] * A[i]; bb += B[i] * B[i]; }
    out.push(aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : null);
  }
  return out;
}

function summary(v: (number | null)[]): { mean: number | null; std: number | null; q10: number | null; median: number | null; q90: number | null } {
  const x = v.filter((a): a is number => a !== null).sort((a, b) => a - b);
  if (!x.length) return { mean: null, std: null, q10: null, median: null, q90: null };
  const m = x.reduce((a, b) => a + b, 0) / x.length;
  const sd = Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, x.length - 1));
  const q = (p: number) => x[Math.min(x.length - 1, Math.floor(p * x.length))];
  return { mean: m, std: sd, q10: q(0.1), median: q(0.5), q90: q(0.9) };
}

const epsKey = (e: number) => String(Number(e.toPrecision(6)));
const advFrom = (X: Matrix<Float64Array>, G: ArrayLike<number>, eps: number): Matrix<Float64Array> =>
  ({ data: signedStep(X.data, X.data, Float64Array.from(G), eps, eps), rows: X.rows, cols: X.cols });

function accOn(model: DifferentiableModel, X: Matrix<Float64Array>, labels: Int32Array): number {
  return accuracy(decisions(model.forward(X)), labels);
}

/** The three epochs of the gradient picture: the first after 0, the middle checkpoint, the last. */
export function figureEpochs(checkpoints: number[]): number[] {
  const pos = checkpoints.filter((e) => e > 0);
  return [...new Set([pos[0], pos[Math.floor((pos.length - 1) / 2)], pos[pos.length - 1]])];
}

interface NtkAt { epoch: number; t: number; F: Matrix<Float64Array>; G: Float32Array; pgdAdv?: Map<string, Matrix<Float64Array>> }

export function runTransfer(kernel: KernelOps, task: TransferTask, s: TransferSettings, hooks: { progress?: TransferProgress; store?: TransferStore; log?: (s: string) => void } = {}): TransferResult {
  const { train, test, outputs: k } = task;
  const n = train.X.rows, d = train.X.cols, M = test.X.rows;
  const progress = hooks.progress ?? (() => {});
  const log = hooks.log ?? (() => {});
  const Y = labelsToTargets(train.labels, k === 1 ? 2 : k, k === 1);
  // --- the kernel side: one eigendecomposition, then every checkpoint's machine ---
  const flow: KernelFlow = kernelFlow(kernel, train.X, Y, { onProgress: (a, b) => progress(a, b, 'NTK Gram') });
  try {
    const N = flow.normaliser, lambdaMax = flow.lambdaMax;
    const lr = s.lr ?? (s.lrFactor * N) / lambdaMax;
    log(`NTK: lambda_max ${lambdaMax.toPrecision(5)}, N = ${N}; lr ${lr.toPrecision(4)} (${s.lr === null ? `auto: ${s.lrFactor} N / lambda_max` : 'given'}; gradient descent is stable below 2 N / lambda_max = ${(2 * N / lambdaMax).toPrecision(4)})`);
    const t0 = performance.now();
    const ntk: NtkAt[] = [];
    const ntkRows: NtkCheckpoint[] = [];
    s.checkpoints.forEach((epoch, ci) => {
      progress(ci, s.checkpoints.length, 'NTK attacks');
      const t = s.timeScale * lr * epoch;
      const m = flow.at(t), model = kernelMachineModel(m);
      const { grad, outputs: F } = objectiveGradient(model, test.X, test.labels, 'ce', s.eps[0]);
      const row: NtkCheckpoint = { epoch, t, clean: accuracy(decisions(F), test.labels), fgsm: {} };
      for (const eps of s.eps) row.fgsm[epsKey(eps)] = accOn(model, advFrom(test.X, grad.data, eps), test.labels);
      const at: NtkAt = { epoch, t, F, G: Float32Array.from(grad.data) };
      if (s.pgd) {
        at.pgdAdv = new Map();
        row.pgd = {};
        for (const eps of s.eps) {
          const adv = epoch === 0 ? test.X : pgd(model, test.X, test.labels, { eps, steps: s.pgd.steps, stepSize: s.pgd.stepSize, cleanOutputs: F });
          at.pgdAdv.set(epsKey(eps), adv);
          row.pgd[epsKey(eps)] = accOn(model, adv, test.labels);
        }
      }
      ntk.push(at); ntkRows.push(row);
    });
    progress(s.checkpoints.length, s.checkpoints.length, 'NTK attacks');
    const attackS = (performance.now() - t0) / 1000;
    const figEpochs = figureEpochs(s.checkpoints);
    const gi = Math.min(s.gradientImages, M);
    const rowsOf = (G: ArrayLike<number>) => Array.from({ length: gi }, (_, i) => Array.from(G as Float32Array).slice(i * d, (i + 1) * d));
    const ntkGradients = figEpochs.map((e) => ({ epoch: e, images: rowsOf(ntk[s.checkpoints.indexOf(e)].G) }));
    const last = ntk[ntk.length - 1];
    const alignEpoch = s.checkpoints.find((e) => e > 0)!;
    const widest = Math.max(...s.widths);

    // --- the nets ---
    const saved = hooks.store?.load() ?? null;
    const runs: RunRecord[] = saved ? [...saved.runs] : [];
    const total = s.widths.length * s.seeds;
    for (const width of s.widths) for (let si = 0; si < s.seeds; si++) {
      const seed = s.netSeed + si;
      if (runs.some((r) => r.width === width && r.seed === seed)) continue;
      const label = `width ${width} seed ${seed} (${runs.length + 1}/${total})`;
      const net = twoLayerNet(d, width, k, seed, { init: s.init }), net0 = twoLayerNet(d, width, k, seed, { init: s.init });
      const gd = new FullBatchGd(net, train.X, Y, lr, s.chunk);
      try {
        let rec: RunRecord;
        const resumed = saved?.current && saved.current.record.width === width && saved.current.record.seed === seed ? saved.current : null;
        if (resumed) {
          rec = resumed.record;
          net.setParams(resumed.params);
          gd.epoch = rec.epochs[rec.epochs.length - 1];
          log(`${label}: resumed at epoch ${gd.epoch}`);
        } else {
          rec = { width, seed, epochs: [], trainLoss: [], similarity: emptySummaries(), linearised: emptySummaries(), flips: { mean: [], median: [], zeroShare: [] }, similarityByFlips: { none: [], some: [] },
            accuracy: { clean: [], own: {}, ntk: {}, ntkFinal: {}, ...(s.pgd ? { ownPgd: {}, ntkPgd: {} } : {}) }, gradients: [], alignment: null, seconds: 0 };
        }
        const tStart = performance.now() - rec.seconds * 1000;
        const model = centredModel(net, net0);
        let lastLoss = NaN;
        for (let ci = rec.epochs.length; ci < s.checkpoints.length; ci++) {
          const target = s.checkpoints[ci];
          while (gd.epoch < target) {
            lastLoss = gd.step();
            progress(gd.epoch, s.epochs, label);
          }
          // measurements at this checkpoint
          const at = ntk[ci];
          const { grad, outputs: F } = objectiveGradient(model, test.X, test.labels, 'ce', s.eps[0]);
          rec.epochs.push(target);
          rec.trainLoss.push(target === 0 ? initialLoss(net, train.X, Y) : lastLoss);
          const cos = rowCosines(grad.data, at.G, M, d);
          pushSummary(rec.similarity, cos);
          // the linearised (Taylor) model at the trained weights, and the units that changed sign
          const taylor = taylorModel(net, net0);
          pushSummary(rec.linearised, rowCosines(objectiveGradient(taylor, test.X, test.labels, 'ce', s.eps[0]).grad.data, at.G, M, d));
          const perPoint = taylor.flips(test.X), flips = Array.from(perPoint).sort((a, b) => a - b);
          rec.flips.mean.push(flips.reduce((a, b) => a + b, 0) / M);
          rec.flips.median.push(flips[Math.floor(M / 2)]);
          rec.flips.zeroShare.push(flips.filter((f) => f === 0).length / M);
          const meanOf = (keep: (i: number) => boolean) => summary(cos.filter((_, i) => keep(i))).mean;
          rec.similarityByFlips.none.push(meanOf((i) => perPoint[i] === 0));
          rec.similarityByFlips.some.push(meanOf((i) => perPoint[i] > 0));
          rec.accuracy.clean.push(accuracy(decisions(F), test.labels));
          for (const eps of s.eps) {
            const key = epsKey(eps);
            (rec.accuracy.own[key] ??= []).push(accOn(model, advFrom(test.X, grad.data, eps), test.labels));
            (rec.accuracy.ntk[key] ??= []).push(accOn(model, advFrom(test.X, at.G, eps), test.labels));
            (rec.accuracy.ntkFinal[key] ??= []).push(accOn(model, advFrom(test.X, last.G, eps), test.labels));
            if (s.pgd) {
              const own = target === 0 ? test.X : pgd(model, test.X, test.labels, { eps, steps: s.pgd.steps, stepSize: s.pgd.stepSize, cleanOutputs: F });
              (rec.accuracy.ownPgd![key] ??= []).push(accOn(model, own, test.labels));
              (rec.accuracy.ntkPgd![key] ??= []).push(accOn(model, at.pgdAdv!.get(key)!, test.labels));
            }
          }
          if (figEpochs.includes(target)) rec.gradients.push({ epoch: target, images: rowsOf(Float32Array.from(grad.data)) });
          if (target === alignEpoch && width === widest) rec.alignment = { epoch: target, t: at.t, ...alignment(F.data, at.F.data) };
          rec.seconds = (performance.now() - tStart) / 1000;
          hooks.store?.save(runs, ci === s.checkpoints.length - 1 ? null : { record: rec, params: net.params.data });
        }
        runs.push(rec);
        hooks.store?.save(runs, null);
        const j = rec.epochs.length - 1, e0 = epsKey(s.eps[0]);
        log(`${label}: ${rec.seconds.toFixed(1)} s; epoch ${rec.epochs[j]}: loss ${rec.trainLoss[j].toPrecision(4)}, similarity ${fmt(rec.similarity.mean[j])} (linearised ${fmt(rec.linearised.mean[j])}; ${pct(rec.flips.zeroShare[j])} of test points with no unit flipped: ${fmt(rec.similarityByFlips.none[j])}, others ${fmt(rec.similarityByFlips.some[j])}), clean ${pct(rec.accuracy.clean[j])}, own FGSM ${pct(rec.accuracy.own[e0][j])}, NTK FGSM ${pct(rec.accuracy.ntk[e0][j])}` +
          (rec.alignment ? `; time check at epoch ${rec.alignment.epoch}: |f-f0 - f_t|/|f_t| = ${rec.alignment.relMismatch.toPrecision(3)}, fitted scale ${rec.alignment.fittedScale.toPrecision(3)}` : ''));
      } finally {
        gd.dispose(); net.dispose(); net0.dispose();
      }
    }
    runs.sort((a, b) => a.width - b.width || a.seed - b.seed);
    return {
      lr: { value: lr, auto: s.lr === null, lambdaMax, normaliser: N, stableBelow: (2 * N) / lambdaMax },
      ntk: { checkpoints: ntkRows, seconds: { gram: flow.seconds.gram, eigh: flow.seconds.eigh, attacks: attackS } },
      figureEpochs: figEpochs, runs, ntkGradients,
    };
  } finally {
    flow.dispose();
  }
}

function initialLoss(net: ReturnType<typeof twoLayerNet>, X: Matrix<Float64Array>, Y: Matrix<Float64Array>): number {
  const F = net.forward(X);
  let s = 0;
  for (let i = 0; i < F.data.length; i++) s += (F.data[i] - Y.data[i]) ** 2;
  return (0.5 * s) / F.data.length;
}

/** |c - f| / |f| and the least-squares scale <c, f> / <f, f> (early on f_{s t} ~ s f_t). */
export function alignment(c: ArrayLike<number>, f: ArrayLike<number>): { relMismatch: number; fittedScale: number } {
  let cf = 0, ff = 0, dd = 0;
  for (let i = 0; i < f.length; i++) { cf += c[i] * f[i]; ff += f[i] * f[i]; dd += (c[i] - f[i]) ** 2; }
  return { relMismatch: Math.sqrt(dd / ff), fittedScale: cf / ff };
}

const fmt = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));
const pct = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${(100 * v).toFixed(1)}%`);
