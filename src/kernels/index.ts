export { dense, conv, relu, flatten, scale, type Layer, type DenseLayer, type ConvLayer, type ReluLayer, type FlattenLayer, type ScaleLayer, type LayerStd } from './layers.js';
export { compileProgram, type ImageShape, type Program } from './compile.js';
export { Kernel, serial, fc, convNet, twoLayerFrozenRelu, arch, ARCHS, type ArchName, type Get, type KernelOptions, type KernelResult, type PresetOptions } from './kernel.js';
