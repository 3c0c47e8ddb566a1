export { Rng } from './random.js';
export { Mlp, type NetOptions } from './mlp.js';
export { ConvNet } from './conv.js';
export { empiricalNtk, mlpEmpiricalNtk } from './empirical_ntk.js';
