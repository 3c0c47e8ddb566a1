// Adapts an analytic Kernel (NTK or NNGP of a stax-like description) to the KernelOps that
// the kernel machine and the attacks use.
import { engine } from '../engine.js';
import { gemmRaw } from '../linalg/gemm.js';
import { checkMatrix } from '../linalg/matrix.js';
import type { KernelOps } from '../machines/kernel_ops.js';
import type { Kernel } from './kernel.js';
import type { ImageShape } from './compile.js';

export function kernelOps(k: Kernel, shape?: ImageShape, get: 'ntk' | 'nngp' = 'ntk'): KernelOps {
  const opts = { shape, get } as const;
  const pick = (r: ReturnType<Kernel['kernelFn']>) => (get === 'ntk' ? r.ntk! : r.nngp!);
  return {
    gram: (X, onProgress) => pick(k.kernelFn(X, null, { ...opts, onProgress })),
    gramInto: (X, out, onProgress) => { k.gramInto(X, null, get === 'ntk' ? { ntk: out } : { nngp: out }, { shape, onProgress }); },
    cross: (X1, X2) => pick(k.kernelFn(X1, X2, opts)),
    // several weight matrices on an FC kernel: one pass over the pairs instead of one per matrix
    vjp: (X, Xtrain, Ws) => (Ws.length > 1 && k.program(X.cols, shape).mode === 0
      ? k.kernelValueAndVjp(X, Xtrain, () => Ws, opts).G
      : Ws.map((W) => k.kernelVjp(X, Xtrain, W, opts))),
    valueAndVjp: (X, Xtrain, weightsFromK) => k.kernelValueAndVjp(X, Xtrain, weightsFromK, opts),
    // conv kernels: many rank-one weight sets in one pass over the pairs (their vjp costs a
    // pass per weight matrix); FC kernels' fused vjp is already one pass and also gives K
    jacobianTimes: pixelProgram(k, shape) ? (X, Xtrain, A) => k.kernelJacobianTimes(X, Xtrain, A, opts) : undefined,
    crossTimes(X1, X2, A) {
      checkMatrix(A, 'crossTimes: A');
      if (A.rows !== X2.rows) throw new RangeError(`crossTimes: A has ${A.rows} rows but X2 has ${X2.rows}`);
      // the kernel stays in wasm memory: no n1 x n2 copy out and back in for the product
      const e = engine(), n1 = X1.rows, n2 = X2.rows, kk = A.cols;
      const K = e.buffer('f64', n1 * n2), out = e.buffer('f64', n1 * kk);
      try {
        k.gramInto(X1, X2, get === 'ntk' ? { ntk: K } : { nngp: K }, { shape });
        const a = e.input(A.data instanceof Float64Array ? A.data : Float64Array.from(A.data));
        try { gemmRaw('f64', false, false, n1, kk, n2, 1, K.ptr, n2, a.ptr, kk, 0, out.ptr, kk); } finally { a.release(); }
        return { data: out.toArray() as Float64Array, rows: n1, cols: kk };
      } finally { K.free(); out.free(); }
    },
  };
}

/** Whether the kernel runs per-pixel maps (conv nets) on rows of this image shape. */
function pixelProgram(k: Kernel, shape?: ImageShape): boolean {
  if (!shape) return false;
  try { return k.program(shape[0] * shape[1] * shape[2], shape).mode === 1; } catch { return false; }
}
