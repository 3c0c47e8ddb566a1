export { Rng } from './random.js';
export { Mlp, type NetOptions } from './mlp.js';
export { ConvNet } from './conv.js';
export { empiricalKernel, type EmpiricalKernelOptions } from './empirical_ntk.js';
export { Net, buildNet, type NetOptions as FiniteNetOptions, type TensorLayout, type Trace } from './net.js';
export { type Parameterization } from './init.js';
