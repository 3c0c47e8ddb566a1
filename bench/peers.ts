// Peer libraries measured in the same run as ours: tfjs-backend-wasm (f32) and ml-matrix.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);

export interface Tfjs {
  tf: any;
  threads: number;
}

let tfjs: Promise<Tfjs | null> | null = null;

/**
 * tfjs-core with the wasm backend. In Node its multithread check fails (it wants a
 * cross-origin isolated Worker environment), so the non-threaded SIMD build is what runs:
 * tfjs is measured at 1 thread only, and reported as null for more threads.
 */
export function loadTfjs(): Promise<Tfjs | null> {
  tfjs ??= (async () => {
    try {
      const tf = require('@tensorflow/tfjs-core');
      const wasm = require('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')) + '/');
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false); // the simd, non-threaded build
      const log = console.log;
      console.log = () => {}; // tfjs greets on stdout
      try {
        await tf.setBackend('wasm');
        await tf.ready();
      } finally {
        console.log = log;
      }
      if (!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) throw new Error('no SIMD');
      return { tf, threads: 1 };
    } catch (e) {
      console.error(`tfjs-backend-wasm unavailable: ${(e as Error).message}`);
      return null;
    }
  })();
  return tfjs;
}

export function loadMlMatrix(): any | null {
  try {
    return require('ml-matrix');
  } catch {
    return null;
  }
}
