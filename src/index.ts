// Public, browser-safe entry. Node users import 'ntk-robustness/node' for files and threads.
export { engine, setEngine } from './engine.js';
export { Engine, WasmBuffer, type Dtype, type FloatArray } from '../bindings/engine.js';
export { OutOfMemoryError } from '../bindings/heap.js';
export * from "./linalg/matrix.js";
export { gemm, matmul, gemmRaw } from "./linalg/gemm.js";
export { cholesky, choSolve, choleskyInPlace, choSolveInPlace, logdet, NotPositiveDefiniteError, type CholeskyOptions } from "./linalg/cholesky.js";
export { solveTriangular, solveTriangularInPlace, type TriangularOptions } from "./linalg/triangular.js";
export { eigh, eigvalsh, eighInPlace, eighPhaseTimes, type Progress as EighProgress, EighConvergenceError, type EighResult, type EighRawOptions } from "./linalg/eigh.js";
export { eighTop, eighTopInPlace, type EighTopOptions, type EighTopResult } from "./linalg/lanczos.js";
