// A finite net as the attacks' DifferentiableModel: outputs and input VJPs, in batches of
// at most `batch` rows (one activation arena per batch), so fgsm/pgd/... run on nets
// through the same code and options as on kernel machines.
import { engine } from '../engine.js';
import type { Matrix } from '../linalg/matrix.js';
import type { DifferentiableModel } from '../attacks/model.js';
import type { Net } from './net.js';

export interface NetModelOptions { batch?: number }

export function netModel(net: Net, opts: NetModelOptions = {}): DifferentiableModel {
  const maxB = opts.batch ?? 256;
  if (!Number.isInteger(maxB) || maxB < 1) throw new RangeError(`net model: batch must be a positive integer, got ${maxB}`);
  const k = net.outputs, d = net.inputDim;
  const check = (X: Matrix) => { if (X.cols !== d) throw new RangeError(`net model: inputs have ${X.cols} values per row but the net expects ${d}`); };

  /** For each chunk: run forward, then for each weight matrix backward to dX. */
  function pass(X: Matrix<Float64Array>, wFromF: ((F: Matrix<Float64Array>) => Matrix<Float64Array>[]) | null, givenW: Matrix<Float64Array>[] | null) {
    check(X);
    const n = X.rows, F: Matrix<Float64Array> = { data: new Float64Array(n * k), rows: n, cols: k };
    const e = engine(), B = Math.min(maxB, Math.max(1, n));
    const tr = net.trace(B), dOut = e.buffer(net.dtype, B * k), dX = e.buffer(net.dtype, B * d);
    const G: Matrix<Float64Array>[] = [];
    try {
      const load = (r0: number, b: number) => {
        const t = b === tr.B ? tr : { ...tr, B: b };
        net.view(t.input, b * d).set(X.data.subarray(r0 * d, (r0 + b) * d));
        net.run(t);
        return t;
      };
      // one chunk: forward once, weights from F, backward (no recomputation)
      let W = givenW;
      if (!W && n <= B) {
        const t = load(0, n);
        const out = net.view(t.output, n * k);
        for (let i = 0; i < n * k; i++) F.data[i] = out[i];
        W = wFromF!(F);
        for (const w of W) G.push(backward(t, w, 0, n));
        return { F, G };
      }
      if (!W) {
        for (let r0 = 0; r0 < n; r0 += B) {
          const b = Math.min(B, n - r0), t = load(r0, b), out = net.view(t.output, b * k);
          for (let i = 0; i < b * k; i++) F.data[r0 * k + i] = out[i];
        }
        W = wFromF!(F);
      }
      for (const w of W) {
        if (w.rows !== n || w.cols !== k) throw new RangeError(`net model: output weights must be ${n} x ${k}, got ${w.rows} x ${w.cols}`);
        G.push({ data: new Float64Array(n * d), rows: n, cols: d });
      }
      for (let r0 = 0; r0 < n; r0 += B) {
        const b = Math.min(B, n - r0), t = load(r0, b);
        W.forEach((w, j) => { const g = backward(t, w, r0, b); G[j].data.set(g.data, r0 * d); });
      }
      return { F, G };
    } finally { tr.free(); dOut.free(); dX.free(); }

    function backward(t: typeof tr, w: Matrix<Float64Array>, r0: number, b: number): Matrix<Float64Array> {
      net.view(dOut.ptr, b * k).set(w.data.subarray(r0 * k, (r0 + b) * k));
      net.backward(t, dOut.ptr, 0, dX.ptr);
      return { data: Float64Array.from(net.view(dX.ptr, b * d)), rows: b, cols: d };
    }
  }

  return {
    outputs: k,
    forward: (X) => net.forward(X, { batch: maxB }),
    vjp: (X, w) => pass(X, null, w).G,
    forwardAndVjp: (X, wFromF) => pass(X, wFromF, null),
  };
}
