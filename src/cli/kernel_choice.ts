// --arch: which analytic kernel, checked against the data's image shape.
import { arch, ARCHS } from '../kernels/kernel.js';
import { kernelOps } from '../kernels/ops.js';
import type { KernelOps } from '../machines/kernel_ops.js';
import { UsageError } from './errors.js';

export const ARCH_HELP = `${ARCHS.join(', ')} (FC_L/CONV_L: W_std = sqrt 2, b_std = 0.1, NTK parameterisation)`;

export function kernelOpsFor(name: string, shape: readonly [number, number, number], get: 'ntk' | 'nngp' = 'ntk'): KernelOps {
  let k;
  try {
    k = arch(name);
    // compile once now so an image shape that does not fit the architecture fails early
    k.program(shape[0] * shape[1] * shape[2], shape);
  } catch (e) {
    throw new UsageError(`--arch ${name}: ${(e as Error).message}`);
  }
  return kernelOps(k, shape, get);
}
