// Analytic NNGP/NTK kernels (spec §1, neural-tangents conventions, NTK parameterisation).
//   const k = serial(flatten(), dense({wStd: Math.SQRT2, bStd: 0.1}), relu(), dense({wStd: Math.SQRT2, bStd: 0.1, out: 10}));
//   k.kernelFn(X1, X2?, {get: 'ntk' | 'nngp' | 'both', shape?: [H, W, C]})  -> {ntk?, nngp?, q1, q2}
//   k.gramInto(X1, X2 | null, {ntk?: WasmBuffer, nngp?: WasmBuffer}, {shape?})  (no copy of the Gram)
//   k.kernelVjp(X, Xtrain, W, {get?: 'ntk' | 'nngp', shape?})  -> G, G[b] = sum_i W[b,i] dK(x_b, x_i)/dx_b
//   k.kernelJacobian(x, Xtrain, {get?, shape?})  -> n x d (small n)
//   k.kernelJacobianTimes(X, Xtrain, A, {get?, shape?})  -> G_r = sum_i A[i,r] dK(x_b, x_i)/dx_b, every column r in one pass
// Presets fc(L), convNet(L), twoLayerFrozenRelu(), arch('fc1'..'fc5' | 'conv1' | 'conv2' | 'twolayer').
// Inputs are flat float64 rows; images are H x W x C channels-last. Derivatives floor 1 - c^2 at
// 1e-12 (|d arccos/dc| <= 1e6), so gradients at exactly parallel inputs stay finite.
export { dense, conv, relu, flatten, scale, avgPool, maxPool, type AvgPoolLayer, type MaxPoolLayer, type Layer, type DenseLayer, type ConvLayer, type ReluLayer, type FlattenLayer, type ScaleLayer, type LayerStd } from './layers.js';
export { inferShapes, type MapShape, type LayerShape, type ParamSpec, type InferOptions } from './shapes.js';
export type { ImageShape } from './compile.js';
export { Kernel, serial, fc, convNet, twoLayerFrozenRelu, arch, ARCHS, type ArchName, type Get, type KernelOptions, type KernelResult, type PresetOptions } from './kernel.js';
// (compileProgram and the per-layer maps in ./maps.js are internals: the op-program compiler and
// the pairwise reference that tests check the fused kernels against)
