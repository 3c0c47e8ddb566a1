// Node loader: reads the compiled module from build/, picks the shared build (threads) when
// SharedArrayBuffer exists, and attaches a worker_threads pool.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { createEngine, Engine } from './engine.js';

export interface NodeEngineOptions {
  /** Threads including the calling one; default: NTK_THREADS or all cores. */
  threads?: number;
  /** Path to a compiled ntk.wasm; default: the package's build/. */
  wasmPath?: string;
}

export function wasmPath(shared: boolean): string {
  // dist/bindings/node.js -> ../../build/
  return fileURLToPath(new URL(`../../build/${shared ? 'ntk.wasm' : 'ntk-single.wasm'}`, import.meta.url));
}

export function defaultThreads(): number {
  const env = process.env.NTK_THREADS;
  if (env !== undefined && env !== '') {
    const t = Number(env);
    if (!Number.isInteger(t) || t < 1) throw new Error(`NTK_THREADS must be a positive integer, got '${env}'`);
    return t;
  }
  return availableParallelism();
}

export function createNodeEngine(opts: NodeEngineOptions = {}): Engine {
  const threads = opts.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a positive integer, got ${threads}`);
  const shared = typeof SharedArrayBuffer === 'function';
  const path = opts.wasmPath ?? wasmPath(shared);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read the wasm module at ${path} (${(e as Error).message}); run 'npm run build' first`);
  }
  const module = new WebAssembly.Module(bytes as unknown as BufferSource);
  const eng = createEngine(module, shared);
  return eng;
}
