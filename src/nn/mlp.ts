// Finite fully connected ReLU nets in the NTK parameterisation (matching fc(L) kernels):
// h_{l+1} = (W_std / sqrt(fan_in)) W_l a_l + b_std b_l, a = relu(h), W, b ~ N(0, 1).
import type { Matrix } from '../linalg/matrix.js';
import { Rng } from './random.js';

export interface NetOptions { wStd?: number; bStd?: number; seed?: number }

export class Mlp {
  readonly W: Float64Array[] = [];
  readonly b: Float64Array[] = [];
  readonly wStd: number;
  readonly bStd: number;
  /** dims = [d, m_1, ..., m_L, out]. */
  constructor(readonly dims: readonly number[], opts: NetOptions = {}) {
    if (dims.length < 2 || !dims.every((v) => Number.isInteger(v) && v >= 1)) throw new RangeError(`Mlp: dims must be >= 2 positive integers, got [${dims.join(', ')}]`);
    this.wStd = opts.wStd ?? Math.SQRT2;
    this.bStd = opts.bStd ?? 0.1;
    const rng = new Rng(opts.seed ?? 0);
    for (let l = 0; l + 1 < dims.length; l++) {
      this.W.push(rng.normals(dims[l + 1] * dims[l]));
      this.b.push(rng.normals(dims[l + 1]));
    }
  }

  get layers(): number { return this.W.length; }
  get paramCount(): number { return this.W.reduce((s, w, l) => s + w.length + this.b[l].length, 0); }

  /** Activations a_0 = x, ..., a_L and pre-activations h_1..h_{L+1} (h_{L+1} = output). */
  private forwardOne(x: Float64Array): { a: Float64Array[]; h: Float64Array[] } {
    const a: Float64Array[] = [x], h: Float64Array[] = [];
    for (let l = 0; l < this.layers; l++) {
      const m = this.dims[l + 1], k = this.dims[l], W = this.W[l], s = this.wStd / Math.sqrt(k), inp = a[l];
      const out = new Float64Array(m);
      for (let o = 0; o < m; o++) {
        let acc = 0;
        const row = o * k;
        for (let j = 0; j < k; j++) acc += W[row + j] * inp[j];
        out[o] = s * acc + this.bStd * this.b[l][o];
      }
      h.push(out);
      if (l + 1 < this.layers) a.push(out.map((v) => (v > 0 ? v : 0)));
    }
    return { a, h };
  }

  /** Outputs (n x out). */
  forward(X: Matrix): Matrix<Float64Array> {
    const out = this.dims[this.dims.length - 1], d = this.dims[0];
    if (X.cols !== d) throw new RangeError(`Mlp: inputs have ${X.cols} values, the net expects ${d}`);
    const Y = new Float64Array(X.rows * out);
    for (let i = 0; i < X.rows; i++) Y.set(this.forwardOne(Float64Array.from(X.data.subarray(i * d, (i + 1) * d))).h[this.layers - 1], i * out);
    return { data: Y, rows: X.rows, cols: out };
  }

  /**
   * Per-layer factors of the parameter gradient of output `k` for one input:
   * df/dW_l = (W_std / sqrt(m_l)) delta_{l+1} a_l^T, df/db_l = b_std delta_{l+1}.
   */
  gradFactors(x: Float64Array, k = 0): { a: Float64Array[]; delta: Float64Array[] } {
    const { a, h } = this.forwardOne(x);
    const L = this.layers, delta: Float64Array[] = new Array(L);
    let dl = new Float64Array(this.dims[L]);
    dl[k] = 1;
    delta[L - 1] = dl;
    for (let l = L - 1; l >= 1; l--) {
      const m = this.dims[l + 1], kk = this.dims[l], W = this.W[l], s = this.wStd / Math.sqrt(kk);
      const prev = new Float64Array(kk);
      for (let o = 0; o < m; o++) { const g = dl[o] * s; if (g === 0) continue; const row = o * kk; for (let j = 0; j < kk; j++) prev[j] += W[row + j] * g; }
      const hp = h[l - 1];
      for (let j = 0; j < kk; j++) if (hp[j] <= 0) prev[j] = 0;
      delta[l - 1] = prev;
      dl = prev;
    }
    return { a, delta };
  }

  /** Flat per-sample parameter gradient of output k (layout W_0, b_0, W_1, b_1, ...). */
  paramGrad(x: Float64Array, k = 0): Float64Array {
    const { a, delta } = this.gradFactors(x, k);
    const g = new Float64Array(this.paramCount);
    let off = 0;
    for (let l = 0; l < this.layers; l++) {
      const m = this.dims[l + 1], kk = this.dims[l], s = this.wStd / Math.sqrt(kk);
      for (let o = 0; o < m; o++) for (let j = 0; j < kk; j++) g[off + o * kk + j] = s * delta[l][o] * a[l][j];
      off += m * kk;
      for (let o = 0; o < m; o++) g[off + o] = this.bStd * delta[l][o];
      off += m;
    }
    return g;
  }
}
