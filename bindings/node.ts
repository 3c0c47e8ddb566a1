// Node loader: reads the compiled module from build/, picks the relaxed-SIMD (FMA) build where
// the runtime has it, else the SIMD build (NTK_WASM=simd|relaxed forces one; see select.ts),
// and attaches a worker_threads pool.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { createEngine, Engine } from './engine.js';
import { AtomicsPool, type WorkerGroup } from './pool.js';
import { BUILD_FILES, chooseBuild, hasRelaxedSimd, nodeV8Major, type WasmBuild } from './select.js';

export interface NodeEngineOptions {
  /** Threads including the calling one; default: NTK_THREADS or all cores. */
  threads?: number;
  /** Path to a compiled module; default: the chosen build in the package's build/. */
  wasmPath?: string;
  /** 'simd', 'relaxed' or 'relaxed4' forces a build; default NTK_WASM, else by bindings/select.ts. */
  wasm?: 'simd' | 'relaxed' | 'relaxed4';
}

export function wasmPath(build: WasmBuild): string {
  // dist/bindings/node.js -> ../../build/
  return fileURLToPath(new URL(`../../build/${BUILD_FILES[build]}`, import.meta.url));
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
  const forced = opts.wasm ?? process.env.NTK_WASM;
  // Node 20 (V8 11) has relaxed SIMD behind a V8 flag, which cannot be given to the `ntk` CLI
  // (NODE_OPTIONS refuses it); asking for a relaxed build there turns it on for this process
  // (read when a module compiles, so in time; workers share it). Never done unasked.
  if ((forced === 'relaxed' || forced === 'relaxed4') && !hasRelaxedSimd() && nodeV8Major() === 11) {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  }
  const build = chooseBuild(shared, forced);
  const path = opts.wasmPath ?? wasmPath(build);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read the wasm module at ${path} (${(e as Error).message}); run 'npm run build' first`);
  }
  // V8 tier-up: no --no-liftoff flag or warm-up here. The GEMM micro-kernel is its own wasm
  // function called thousands of times per GEMM, so dynamic tiering swaps in optimised code
  // within the first call. Measured (n = 1024 f64, 1 thread): cold 14.0 GF/s, warm 19.4;
  // with --no-liftoff cold 13.7, warm 19.8; a small warm-up GEMM first: cold 15.0. What is
  // left of the cold cost is first touch of freshly grown memory pages (touching C and the
  // scratch first: cold 17.6), which no flag removes.
  const module = new WebAssembly.Module(bytes as unknown as BufferSource);
  const eng = createEngine(module, shared, build);
  if (shared && threads > 1) {
    eng.pool = new AtomicsPool(eng.exports, eng.memory, eng.heap, threads,
      (ctrl) => new SupervisedWorkers(module, eng.memory, ctrl, threads));
  }
  return eng;
}

/**
 * The pool's workers, owned by a supervisor thread (supervisor-node.ts) that reports a
 * worker's exit while the caller is blocked, and replaces a dead worker on request.
 */
export class SupervisedWorkers implements WorkerGroup {
  readonly watched = true;
  readonly startsWhileBlocked = true;
  private readonly supervisor: Worker;
  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, ctrl: number, threads: number) {
    this.supervisor = new Worker(new URL('./supervisor-node.js', import.meta.url), { workerData: { module, memory, ctrl, threads } });
    this.supervisor.unref(); // idle workers must not keep the process alive
  }
  respawn(tid: number): void { this.supervisor.postMessage({ respawn: tid }); }
  retire(tid: number): void { this.supervisor.postMessage({ retire: tid }); }
  /** Test hook: terminates worker `tid` after `afterMs` ms (`busy`: once it works on a job), as if it had crashed. */
  killAfter(tid: number, afterMs: number, busy = false): void { this.supervisor.postMessage({ kill: { tid, afterMs, busy } }); }
  terminate(): void { void this.supervisor.terminate(); } // its workers end with it
}
