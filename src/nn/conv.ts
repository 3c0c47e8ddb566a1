// Finite CNNs in the NTK parameterisation (matching convNet(L) kernels): L x [conv 3x3 SAME
// (zero padding), relu], flatten, dense(out). h[p, o] = (W_std / sqrt(9 c_in)) sum_{d, c}
// W[d, c, o] a[p + d, c] + b_std b[o]; readout (W_std / sqrt(H W m)) V a + b_std b. Images HWC.
import type { Matrix } from '../linalg/matrix.js';
import { Rng } from './random.js';
import type { NetOptions } from './mlp.js';

export class ConvNet {
  readonly W: Float64Array[] = [];
  readonly b: Float64Array[] = [];
  readonly V: Float64Array;
  readonly bOut: Float64Array;
  readonly wStd: number;
  readonly bStd: number;
  readonly chans: number[];

  constructor(readonly shape: readonly [number, number, number], readonly depth: number, readonly width: number, readonly out = 1, opts: NetOptions = {}) {
    const [H, Wd, C] = shape;
    if (![H, Wd, C, depth, width, out].every((v) => Number.isInteger(v) && v >= 1)) throw new RangeError('ConvNet: shape, depth, width and out must be positive integers');
    this.wStd = opts.wStd ?? Math.SQRT2;
    this.bStd = opts.bStd ?? 0.1;
    const rng = new Rng(opts.seed ?? 0);
    this.chans = [C, ...Array(depth).fill(width)];
    for (let l = 0; l < depth; l++) {
      this.W.push(rng.normals(9 * this.chans[l] * width));
      this.b.push(rng.normals(width));
    }
    this.V = rng.normals(out * H * Wd * width);
    this.bOut = rng.normals(out);
  }

  get paramCount(): number { return this.W.reduce((s, w, l) => s + w.length + this.b[l].length, 0) + this.V.length + this.bOut.length; }

  private forwardOne(x: Float64Array): { a: Float64Array[]; h: Float64Array[]; y: Float64Array } {
    const [H, Wd] = this.shape, m = this.width;
    const a: Float64Array[] = [x], h: Float64Array[] = [];
    for (let l = 0; l < this.depth; l++) {
      const cin = this.chans[l], s = this.wStd / Math.sqrt(9 * cin), inp = a[l], W = this.W[l];
      const out = new Float64Array(H * Wd * m);
      for (let y = 0; y < H; y++) for (let xx = 0; xx < Wd; xx++) {
        const o0 = (y * Wd + xx) * m;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy, x2 = xx + dx;
          if (yy < 0 || yy >= H || x2 < 0 || x2 >= Wd) continue;
          const wb = ((dy + 1) * 3 + dx + 1) * cin * m, ib = (yy * Wd + x2) * cin;
          for (let c = 0; c < cin; c++) {
            const v = inp[ib + c];
            if (v === 0) continue;
            const wr = wb + c * m;
            for (let o = 0; o < m; o++) out[o0 + o] += W[wr + o] * v;
          }
        }
        for (let o = 0; o < m; o++) out[o0 + o] = s * out[o0 + o] + this.bStd * this.b[l][o];
      }
      h.push(out);
      a.push(out.map((v) => (v > 0 ? v : 0)));
    }
    const last = a[this.depth], n = last.length, sr = this.wStd / Math.sqrt(n);
    const y = new Float64Array(this.out);
    for (let k = 0; k < this.out; k++) {
      let acc = 0;
      for (let j = 0; j < n; j++) acc += this.V[k * n + j] * last[j];
      y[k] = sr * acc + this.bStd * this.bOut[k];
    }
    return { a, h, y };
  }

  forward(X: Matrix): Matrix<Float64Array> {
    const d = this.shape[0] * this.shape[1] * this.shape[2];
    if (X.cols !== d) throw new RangeError(`ConvNet: inputs have ${X.cols} values, the net expects ${d} (${this.shape.join(' x ')})`);
    const Y = new Float64Array(X.rows * this.out);
    for (let i = 0; i < X.rows; i++) Y.set(this.forwardOne(Float64Array.from(X.data.subarray(i * d, (i + 1) * d))).y, i * this.out);
    return { data: Y, rows: X.rows, cols: this.out };
  }

  /** Flat per-sample parameter gradient of output k (layout W_0, b_0, ..., V, bOut). */
  paramGrad(x: Float64Array, k = 0): Float64Array {
    const [H, Wd] = this.shape, m = this.width;
    const { a, h } = this.forwardOne(x);
    const g = new Float64Array(this.paramCount);
    const offs: number[] = [];
    let off = 0;
    for (let l = 0; l < this.depth; l++) { offs.push(off); off += this.W[l].length + this.b[l].length; }
    const last = a[this.depth], n = last.length, sr = this.wStd / Math.sqrt(n);
    for (let j = 0; j < n; j++) g[off + k * n + j] = sr * last[j];
    g[off + this.V.length + k] = this.bStd;
    // gradient w.r.t. the last activations, then through relu and each conv
    let ga = new Float64Array(n);
    for (let j = 0; j < n; j++) ga[j] = sr * this.V[k * n + j];
    for (let l = this.depth - 1; l >= 0; l--) {
      const cin = this.chans[l], s = this.wStd / Math.sqrt(9 * cin), inp = a[l], W = this.W[l], hl = h[l];
      const delta = ga.map((v, j) => (hl[j] > 0 ? v : 0));
      const gin = new Float64Array(inp.length);
      const gw = offs[l], gb = gw + W.length;
      for (let y = 0; y < H; y++) for (let xx = 0; xx < Wd; xx++) {
        const o0 = (y * Wd + xx) * m;
        for (let o = 0; o < m; o++) g[gb + o] += this.bStd * delta[o0 + o];
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy, x2 = xx + dx;
          if (yy < 0 || yy >= H || x2 < 0 || x2 >= Wd) continue;
          const wb = ((dy + 1) * 3 + dx + 1) * cin * m, ib = (yy * Wd + x2) * cin;
          for (let c = 0; c < cin; c++) {
            const v = inp[ib + c], wr = wb + c * m;
            let acc = 0;
            for (let o = 0; o < m; o++) { const dv = delta[o0 + o]; g[gw + wr + o] += s * dv * v; acc += W[wr + o] * dv; }
            gin[ib + c] += s * acc;
          }
        }
      }
      ga = gin;
    }
    return g;
  }
}
