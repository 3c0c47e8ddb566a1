// Public, browser-safe entry. Node users import 'ntk-robustness/node' for files and threads.
export { engine, setEngine } from './engine.js';
export { Engine, WasmBuffer, type Dtype, type FloatArray } from '../bindings/engine.js';
export { OutOfMemoryError } from '../bindings/heap.js';
export * from "./linalg/matrix.js";
export { gemm, matmul, gemmRaw } from "./linalg/gemm.js";
// analytic NNGP/NTK kernels (stax-like)
export * from "./kernels/index.js";
// finite nets in the NTK parameterisation and their empirical NTKs
export * from "./nn/index.js";
