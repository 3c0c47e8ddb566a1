// Full-batch gradient descent on L = 0.5 * mean over the n x k label entries of (f - y)^2,
// the loss whose gradient flow is the kernel regression of spec §2 (N = n k). The batch is
// the whole training set, so its gradient is accumulated over row chunks (one activation
// arena of `chunk` rows; the Trainer's minibatch step would need all n rows at once).
// Deterministic: the chunks are visited in order and the GEMMs split in fixed tiles.
import type { WasmBuffer } from '../../bindings/engine.js';
import { engine } from '../engine.js';
import { checkMatrix, type Matrix } from '../linalg/matrix.js';
import { DivergedError, type Net, type Trace } from '../nn/index.js';
import { CHUNK } from '../nn/ops/types.js';

export class FullBatchGd {
  /** Completed epochs (gradient steps). */
  epoch = 0;
  private readonly grad: WasmBuffer;
  private readonly acc: WasmBuffer | null;
  private readonly dOut: WasmBuffer;
  private readonly tr: Trace;
  private readonly T: Float64Array;
  readonly chunk: number;

  /**
   * X: training inputs (n x d); targets: n x k (one-hot rows, or +-1 for k = 1).
   * chunk bounds the rows per forward/backward pass (memory: net.traceBytes(chunk)).
   */
  constructor(readonly net: Net, readonly X: Matrix<Float64Array>, targets: Matrix<Float64Array>, readonly lr: number, chunk = 1000) {
    checkMatrix(X, 'gd: X');
    checkMatrix(targets, 'gd: targets');
    if (X.cols !== net.inputDim) throw new RangeError(`gd: inputs have ${X.cols} values per row but the net expects ${net.inputDim}`);
    if (targets.rows !== X.rows || targets.cols !== net.outputs) throw new RangeError(`gd: targets are ${targets.rows} x ${targets.cols}, expected ${X.rows} x ${net.outputs}`);
    if (!(Number.isFinite(lr) && lr > 0)) throw new RangeError(`gd: learning rate must be a positive finite number, got ${lr}`);
    if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`gd: chunk must be a positive integer, got ${chunk}`);
    this.chunk = Math.min(chunk, X.rows);
    this.T = targets.data;
    const e = engine();
    this.tr = net.trace(this.chunk);
    this.grad = e.buffer(net.dtype, net.nParams);
    this.acc = this.chunk < X.rows ? e.buffer(net.dtype, net.nParams) : null;
    this.dOut = e.buffer(net.dtype, this.chunk * net.outputs);
  }

  private sgd(P: number, G: number, lr: number): void {
    const net = this.net;
    engine().parallelFor(`nn_sgd_${net.dtype}`, [P, G, 0, net.nParams, lr, 0, CHUNK], Math.ceil(net.nParams / CHUNK));
  }

  /** One gradient step on the whole set; returns the loss before the step. */
  step(): number {
    const net = this.net, n = this.X.rows, d = net.inputDim, k = net.outputs, N = n * k;
    let loss = 0;
    const target = this.acc ?? this.grad;
    for (let r0 = 0; r0 < n; r0 += this.chunk) {
      const B = Math.min(this.chunk, n - r0), tr = B === this.tr.B ? this.tr : { ...this.tr, B };
      net.view(tr.input, B * d).set(this.X.data.subarray(r0 * d, (r0 + B) * d));
      net.run(tr);
      const F = net.view(tr.output, B * k), dF = net.view(this.dOut.ptr, B * k);
      for (let i = 0; i < B * k; i++) {
        const r = F[i] - this.T[r0 * k + i];
        loss += r * r;
        dF[i] = r / N; // d/dF of 0.5 * sum r^2 / N
      }
      net.backward(tr, this.dOut.ptr, this.grad.ptr, 0);
      // acc += grad (the SGD kernel with lr = -1); the first chunk overwrites by copy
      if (this.acc) { if (r0 === 0) this.acc.data.set(this.grad.data); else this.sgd(this.acc.ptr, this.grad.ptr, -1); }
    }
    loss = (0.5 * loss) / N;
    if (!Number.isFinite(loss)) throw new DivergedError(this.epoch, 0, `the loss is ${loss}`);
    if (engine().call(`nn_nonfinite_${net.dtype}`, target.ptr, net.nParams)) throw new DivergedError(this.epoch, 0, 'a parameter gradient is not finite');
    this.sgd(net.params.ptr, target.ptr, this.lr);
    this.epoch++;
    return loss;
  }

  dispose(): void {
    this.tr.free(); this.grad.free(); this.acc?.free(); this.dOut.free();
  }
}
