// Adapts an analytic Kernel (NTK or NNGP of a stax-like description) to the KernelOps that
// the kernel machine and the attacks use.
import type { KernelOps } from '../machines/kernel_ops.js';
import type { Kernel } from './kernel.js';
import type { ImageShape } from './compile.js';

export function kernelOps(k: Kernel, shape?: ImageShape, get: 'ntk' | 'nngp' = 'ntk'): KernelOps {
  const opts = { shape, get } as const;
  const pick = (r: ReturnType<Kernel['kernelFn']>) => (get === 'ntk' ? r.ntk! : r.nngp!);
  return {
    gram: (X, onProgress) => pick(k.kernelFn(X, null, { ...opts, onProgress })),
    cross: (X1, X2) => pick(k.kernelFn(X1, X2, opts)),
    // several weight matrices on an FC kernel: one pass over the pairs instead of one per matrix
    vjp: (X, Xtrain, Ws) => (Ws.length > 1 && k.program(X.cols, shape).mode === 0
      ? k.kernelValueAndVjp(X, Xtrain, () => Ws, opts).G
      : Ws.map((W) => k.kernelVjp(X, Xtrain, W, opts))),
    valueAndVjp: (X, Xtrain, weightsFromK) => k.kernelValueAndVjp(X, Xtrain, weightsFromK, opts),
  };
}
