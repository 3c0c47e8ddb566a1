// Minibatch SGD (optional momentum, PyTorch's form) for finite nets, with seeded shuffling
// and optional adversarial training (FGSM or PGD-k examples of the current batch replace
// it at each step, spec §6). Every random choice is a function of (seed, epoch, step), so a
// run resumed from an epoch checkpoint repeats the uninterrupted run bit for bit.
import type { WasmBuffer } from '../../bindings/engine.js';
import { engine } from '../engine.js';
import { mulberry32, shuffleInPlace } from '../data/rng.js';
import { checkFinite, checkMatrix, type Matrix } from '../linalg/matrix.js';
import { fgsm, pgd } from '../attacks/fgsm_pgd.js';
import type { Net, Trace } from './net.js';
import { checkTrainLabels, lossAndGrad, type TrainLoss } from './losses.js';
import { netModel } from './model.js';
import { BYTES, CHUNK } from './ops/types.js';

export interface AdvTrainOptions {
  method: 'fgsm' | 'pgd';
  eps: number;
  /** PGD step size (default 0.01) and steps (default 10). */
  step?: number;
  steps?: number;
  randomStart?: boolean;
}

export interface TrainOptions {
  batch: number;
  lr: number;
  momentum?: number;
  loss?: TrainLoss;
  seed?: number;
  /** Shuffle the training set each epoch (default true); false keeps the order. */
  shuffle?: boolean;
  adv?: AdvTrainOptions;
}

/** Thrown when the loss or a gradient stops being finite. */
export class DivergedError extends Error {
  constructor(readonly epoch: number, readonly step: number, what: string) {
    super(`training diverged at epoch ${epoch + 1}, step ${step + 1}: ${what}; lower the learning rate`);
    this.name = 'DivergedError';
  }
}

/** A seed for (seed, epoch, step): independent streams without stored generator state. */
export function streamSeed(seed: number, epoch: number, step: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (epoch + 0x7f4a7c15), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (step + 0x165667b1), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export class Trainer {
  readonly grad: WasmBuffer;
  readonly velocity: WasmBuffer | null;
  readonly loss: TrainLoss;
  /** Completed epochs. */
  epoch = 0;
  private tr: Trace | null = null;
  private checked = new WeakSet<Matrix>();
  private dOut: WasmBuffer;

  constructor(readonly net: Net, readonly opts: TrainOptions) {
    const { batch, lr, momentum = 0 } = opts;
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`train: batch must be a positive integer, got ${batch}`);
    if (!(Number.isFinite(lr) && lr > 0)) throw new RangeError(`train: learning rate must be a positive finite number, got ${lr}`);
    if (!(Number.isFinite(momentum) && momentum >= 0 && momentum < 1)) throw new RangeError(`train: momentum must be in [0, 1), got ${momentum}`);
    this.loss = opts.loss ?? (net.outputs === 1 ? 'logistic' : 'ce');
    if (opts.adv) {
      const { method, eps } = opts.adv;
      if (method !== 'fgsm' && method !== 'pgd') throw new RangeError(`train: adversarial method must be fgsm or pgd, got '${method}'`);
      if (!(Number.isFinite(eps) && eps >= 0)) throw new RangeError(`train: adversarial eps must be a finite number >= 0, got ${eps}`);
    }
    net.checkBatchFits(batch);
    const e = engine();
    this.grad = e.buffer(net.dtype, net.nParams);
    this.velocity = momentum > 0 ? e.buffer(net.dtype, net.nParams) : null;
    this.velocity?.data.fill(0);
    this.dOut = e.buffer(net.dtype, batch * net.outputs);
  }

  private trace(): Trace {
    if (!this.tr) this.tr = this.net.trace(this.opts.batch);
    return this.tr;
  }

  /** One SGD step on B rows (B <= batch). Returns the batch's mean loss. */
  step(Xb: Float64Array, labels: ArrayLike<number>, where: { epoch: number; step: number } = { epoch: this.epoch, step: 0 }): number {
    const net = this.net, B = labels.length, k = net.outputs, e = engine();
    if (B < 1 || B > this.opts.batch) throw new RangeError(`train: a step takes 1..${this.opts.batch} rows, got ${B}`);
    if (Xb.length !== B * net.inputDim) throw new RangeError(`train: ${Xb.length} input values for ${B} rows of ${net.inputDim}`);
    const full = this.trace(), tr = B === full.B ? full : { ...full, B };
    net.view(tr.input, B * net.inputDim).set(Xb);
    net.run(tr);
    const F = Float64Array.from(net.view(tr.output, B * k));
    const dF = new Float64Array(B * k);
    const L = lossAndGrad(F, B, k, labels, this.loss, dF);
    if (!Number.isFinite(L)) throw new DivergedError(where.epoch, where.step, `the loss is ${L}`);
    const dOut = net.view(this.dOut.ptr, B * k);
    dOut.set(dF);
    net.backward(tr, this.dOut.ptr, this.grad.ptr, 0);
    if (e.call(`nn_nonfinite_${net.dtype}`, this.grad.ptr, net.nParams)) throw new DivergedError(where.epoch, where.step, 'a parameter gradient is not finite');
    const { lr, momentum = 0 } = this.opts;
    e.parallelFor(`nn_sgd_${net.dtype}`, [net.params.ptr, this.grad.ptr, this.velocity?.ptr ?? 0, net.nParams, lr, momentum, CHUNK], Math.ceil(net.nParams / CHUNK));
    return L;
  }

  /** The minibatch order of an epoch (seeded; identity when shuffle is false). */
  order(n: number, epoch: number): Int32Array {
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    if (this.opts.shuffle !== false) shuffleInPlace(idx, mulberry32(streamSeed(this.opts.seed ?? 0, epoch, -1)));
    return idx;
  }

  /**
   * One epoch over (X, labels): minibatches in the seeded order, adversarial examples of each
   * batch when `adv` is set. Returns the mean of the batch losses; increments `epoch`.
   */
  runEpoch(X: Matrix, labels: ArrayLike<number>, onStep?: (step: number, steps: number, loss: number) => void): { loss: number; steps: number } {
    checkMatrix(X, 'train: X');
    const net = this.net, n = X.rows, d = net.inputDim, batch = this.opts.batch;
    if (X.cols !== d) throw new RangeError(`train: inputs have ${X.cols} values per row but the net expects ${d}`);
    if (labels.length !== n) throw new RangeError(`train: ${labels.length} labels for ${n} inputs`);
    checkTrainLabels(labels, net.outputs, this.loss, 'train labels');
    if (!this.checked.has(X)) { checkFinite(X, 'train: X'); this.checked.add(X); } // a NaN input would look like divergence
    const idx = this.order(n, this.epoch), steps = Math.ceil(n / batch);
    let sum = 0;
    for (let s = 0; s < steps; s++) {
      const r0 = s * batch, B = Math.min(batch, n - r0);
      const Xb = new Float64Array(B * d), yb = new Int32Array(B);
      for (let i = 0; i < B; i++) { const j = idx[r0 + i]; Xb.set(X.data.subarray(j * d, (j + 1) * d), i * d); yb[i] = labels[j]; }
      const input = this.opts.adv ? this.adversarial(Xb, yb, this.epoch, s) : Xb;
      const L = this.step(input, yb, { epoch: this.epoch, step: s });
      sum += L;
      onStep?.(s + 1, steps, L);
    }
    if (engine().call(`nn_nonfinite_${net.dtype}`, net.params.ptr, net.nParams)) throw new DivergedError(this.epoch, steps - 1, 'a parameter is not finite');
    this.epoch++;
    return { loss: sum / steps, steps };
  }

  /** FGSM / PGD examples of the batch against the current parameters (spec §6). */
  adversarial(Xb: Float64Array, yb: Int32Array, epoch: number, step: number): Float64Array {
    const a = this.opts.adv!, B = yb.length;
    const model = netModel(this.net, { batch: this.opts.batch });
    const X = { data: Xb, rows: B, cols: this.net.inputDim };
    if (a.method === 'fgsm') return fgsm(model, X, yb, { eps: a.eps }).data;
    return pgd(model, X, yb, { eps: a.eps, stepSize: a.step ?? 0.01, steps: a.steps ?? 10, randomStart: a.randomStart ?? false, random: mulberry32(streamSeed(this.opts.seed ?? 0, epoch, step)) }).data;
  }

  /** Optimiser state for checkpoints: the momentum buffer (f64 copy) or null. */
  velocityArray(): Float64Array | null { return this.velocity ? Float64Array.from(this.velocity.data) : null; }

  setVelocity(v: ArrayLike<number> | null): void {
    if (!this.velocity) { if (v) throw new RangeError('train: the checkpoint has momentum state but momentum is 0'); return; }
    if (!v) throw new RangeError('train: the checkpoint has no momentum state but momentum is set');
    if (v.length !== this.net.nParams) throw new RangeError(`train: momentum state has ${v.length} values, the net has ${this.net.nParams} parameters`);
    this.velocity.data.set(v);
  }

  dispose(): void {
    this.tr?.free(); this.tr = null;
    this.grad.free(); this.velocity?.free(); this.dOut.free();
  }
}

void BYTES;
