// Browser loader: compiles the wasm from a URL (streaming when the server sends
// application/wasm) and, where blocking waits are allowed, attaches a Web Worker pool.
// Threads need SharedArrayBuffer (a cross-origin isolated page: COOP + COEP headers) and a
// caller that may Atomics.wait: inside a Worker yes, on a page's main thread no (there the
// engine runs single-threaded). Without SharedArrayBuffer the non-shared build is used; with
// it, the relaxed-SIMD (FMA) build where the browser has relaxed SIMD, else the SIMD build.
import { createEngine, type Engine } from './engine.js';
import { AtomicsPool } from './pool.js';
import { chooseBuild } from './select.js';

export interface BrowserEngineOptions {
  /** URL of build/ntk.wasm (shared memory SIMD build); default: this package's build/. */
  wasmUrl?: string | URL;
  /** URL of build/ntk-relaxed.wasm (shared memory, relaxed SIMD: fused multiply-add). */
  relaxedWasmUrl?: string | URL;
  /** 'simd' or 'relaxed' forces a build (the NTK_WASM of Node); default: relaxed where supported. */
  wasm?: 'simd' | 'relaxed';
  /** URL of build/ntk-single.wasm (used without SharedArrayBuffer). */
  singleWasmUrl?: string | URL;
  /** URL of dist/bindings/worker-browser.js (a module worker). */
  workerUrl?: string | URL;
  /** Threads including the calling one; default navigator.hardwareConcurrency. */
  threads?: number;
}

async function compile(url: string | URL): Promise<WebAssembly.Module> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`cannot load the wasm module from ${url}: HTTP ${res.status}`);
  if (typeof WebAssembly.compileStreaming === 'function' && (res.headers.get('content-type') ?? '').startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(res);
  }
  return WebAssembly.compile(await res.arrayBuffer()); // servers without the wasm MIME type
}

/** True when this thread may block in Atomics.wait (any Worker, not a window). */
export function canBlock(): boolean {
  const g = globalThis as unknown as { WorkerGlobalScope?: unknown; document?: unknown };
  return typeof g.WorkerGlobalScope !== 'undefined' && typeof g.document === 'undefined';
}

export async function createBrowserEngine(opts: BrowserEngineOptions = {}): Promise<Engine> {
  const g = globalThis as unknown as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  const shared = typeof SharedArrayBuffer === 'function' && g.crossOriginIsolated !== false;
  const build = chooseBuild(shared, opts.wasm, true);
  if (build === 'relaxed4') throw new Error("wasm: 'relaxed4' is a Node build; in browsers use 'simd' or 'relaxed'");
  // literal new URL(...) calls: bundlers (Vite, esbuild plugins) only see static asset paths
  const url = build === 'relaxed' ? opts.relaxedWasmUrl ?? new URL('../../build/ntk-relaxed.wasm', import.meta.url)
    : build === 'simd' ? opts.wasmUrl ?? new URL('../../build/ntk.wasm', import.meta.url)
    : opts.singleWasmUrl ?? new URL('../../build/ntk-single.wasm', import.meta.url);
  const module = await compile(url);
  const eng = createEngine(module, shared, build);
  const threads = opts.threads ?? g.navigator?.hardwareConcurrency ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a positive integer, got ${threads}`);
  if (shared && threads > 1 && canBlock() && typeof Worker === 'function') {
    const workerUrl = opts.workerUrl ?? new URL('./worker-browser.js', import.meta.url);
    const started: Promise<void>[] = [];
    const workers = new Map<number, Worker>();
    const spawn = (tid: number, ctrl: number, first = false) => {
      const w = new Worker(workerUrl, { type: 'module' });
      // a replacement that fails to start never claims a job: the pool goes on without it
      if (first) started.push(new Promise<void>((resolve, reject) => {
        w.onmessage = () => resolve();
        w.onerror = (ev) => reject(new Error(`pool worker ${tid} failed to start from ${workerUrl}: ${ev.message}`));
      }));
      w.postMessage({ module, memory: eng.memory, ctrl, tid });
      workers.set(tid, w);
    };
    // Not watched: a browser worker's error events reach only its creator, which is the
    // blocked caller (Node runs a supervisor thread for this; see node.ts). Instead a worker
    // reports its own crash (worker-browser.ts), and the pool retires one that stops waking up
    // for jobs. A replacement starts only once this thread's event loop runs again: the pool
    // does not wait for it (jobs go on without it until it claims one).
    eng.pool = new AtomicsPool(eng.exports, eng.memory, eng.heap, threads, (ctrl) => {
      for (let tid = 1; tid < threads; tid++) spawn(tid, ctrl, true);
      return {
        watched: false,
        startsWhileBlocked: false,
        respawn: (tid: number) => { workers.get(tid)?.terminate(); spawn(tid, ctrl); },
        retire: (tid: number) => { workers.get(tid)?.terminate(); workers.delete(tid); },
        terminate: () => { for (const w of workers.values()) w.terminate(); workers.clear(); },
      };
    });
    try {
      await Promise.all(started); // browsers may not start a worker while its creator blocks
    } catch (e) {
      eng.dispose();
      throw e;
    }
  }
  return eng;
}
