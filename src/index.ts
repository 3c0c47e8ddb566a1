// Public, browser-safe entry. Node users import 'ntk-robustness/node' for files and threads.
export { engine, setEngine } from './engine.js';
export { Engine, WasmBuffer, type Dtype, type FloatArray } from '../bindings/engine.js';
export { OutOfMemoryError } from '../bindings/heap.js';
export * from "./linalg/matrix.js";
export { gemm, matmul, gemmRaw, gemmTiles, type GemmOptions } from "./linalg/gemm.js";
export { gram, gramRaw } from "./linalg/gram.js";
export { init } from './init.js';
export { createBrowserEngine, type BrowserEngineOptions } from '../bindings/browser.js';
