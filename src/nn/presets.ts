// Named finite architectures (layer lists; the same values build analytic kernels where
// every layer has a kernel map):
//   mnist-cnn  Conv32-ReLU-AvgPool2-Conv64-ReLU-AvgPool2-Dense256-ReLU-Dense(k)  (824,458 params for k = 10 on 28 x 28 x 1)
//   cifar-cnn  Conv32-ReLU-Conv32-ReLU-MaxPool2-Conv64-ReLU-Conv64-ReLU-Conv128-ReLU-Conv128-ReLU-AvgPool2-Dense(k)  (368,938 for k = 10 on 32 x 32 x 3)
//   twolayer   the two-layer ReLU net with a frozen +-1 readout (spec §1/§4), hidden width `width`
//   fc1..fc5, conv1, conv2  the analytic kernels' nets (W_std sqrt 2, b_std 0.1) at width `width`
// The CNNs default to the standard parameterisation (Flax defaults, as the paper's Sec. 5
// code), the kernel nets to the NTK parameterisation.
import { conv, dense, flatten, relu, avgPool, maxPool, type Layer } from '../kernels/layers.js';
import { fc, convNet, twoLayerFrozenRelu } from '../kernels/kernel.js';
import type { Parameterization } from './init.js';

export const NET_ARCHS = ['mnist-cnn', 'cifar-cnn', 'twolayer', 'fc1', 'fc2', 'fc3', 'fc4', 'fc5', 'conv1', 'conv2'] as const;

export interface NetArch { readonly name: string; readonly layers: readonly Layer[]; readonly parameterization: Parameterization; readonly width?: number }

/** Layers of a named architecture with `outputs` outputs; `width` for twolayer and fcL/convL (default 512 / 128). */
export function netArch(name: string, opts: { outputs?: number; width?: number } = {}): NetArch {
  const k = opts.outputs ?? 10;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`net: outputs must be a positive integer, got ${k}`);
  if (name === 'mnist-cnn') {
    return { name, parameterization: 'standard', layers: [conv({ out: 32 }), relu(), avgPool(), conv({ out: 64 }), relu(), avgPool(), flatten(), dense({ out: 256 }), relu(), dense({ out: k })] };
  }
  if (name === 'cifar-cnn') {
    const c = (out: number) => [conv({ out }), relu()];
    return { name, parameterization: 'standard', layers: [...c(32), ...c(32), maxPool(), ...c(64), ...c(64), ...c(128), ...c(128), avgPool(), flatten(), dense({ out: k })] };
  }
  if (name === 'twolayer') {
    if (k !== 1) throw new RangeError(`net: twolayer has one output (binary task, labels -1/+1); got ${k} classes`);
    const width = opts.width ?? 512;
    return { name, parameterization: 'ntk', width, layers: twoLayerFrozenRelu({ width }).layers };
  }
  const m = /^(fc|conv)([1-5])$/.exec(name);
  if (m && (m[1] === 'fc' || +m[2] <= 2)) {
    const width = opts.width ?? (m[1] === 'fc' ? 512 : 128), L = +m[2];
    const kern = m[1] === 'fc' ? fc(L, { out: k }) : convNet(L, { out: k });
    return { name, parameterization: 'ntk', width, layers: kern.layers };
  }
  throw new RangeError(`unknown net architecture '${name}'; valid: ${NET_ARCHS.join(', ')}`);
}
