// Thread pool over shared wasm memory. Every worker instantiates the same WebAssembly.Module
// on the same shared Memory; jobs are published through a small control block in that
// memory (allocated from the Heap), so dispatch costs an Atomics.notify, not a postMessage.
// Tasks are grabbed dynamically (Atomics.add on a counter) by the workers AND the calling
// thread (tid 0), so threads = 2 means the caller + 1 worker. Browser-safe: the Node and
// browser specifics (how a worker is spawned) live in node.ts / browser.ts.
import { wasmImports, type Pool, type WasmExports } from './engine.js';
import type { Heap } from './heap.js';

// Int32 slots of the control block
const SEQ = 0;      // job sequence number; workers wait for it to change
const NEXT = 1;     // next task index to grab
const NTASKS = 2;
const PENDING = 3;  // workers that have not finished the current job
const ERR = 4;      // 1 when a kernel threw in a worker
const FN = 5;       // index of the kernel in sortedKernelNames()
const NARGS = 6;
const STOP = 7;     // 1: workers exit their loop
const READY = 8;    // workers that have instantiated the module
const ERRLEN = 9;   // UTF-16 length of the error message
const ARGS_BYTE = 64;        // Float64 arguments (pointers and ints are exact in f64)
export const MAX_ARGS = 32;
const MSG_BYTE = ARGS_BYTE + 8 * MAX_ARGS;
const MSG_MAX = 1024;        // UTF-16 units of the first worker error kept
export const CTRL_BYTES = MSG_BYTE + 2 * MSG_MAX;
const CANCELLED = 1 << 30;   // NEXT value that makes every grab fail
// Waits are plain Atomics.wait, no spinning: a dispatch costs ~50 us (futex wake-up), and
// spinning 20k polls first measured 6x slower (330 us) on this 2-core machine under load,
// where a spinning thread steals the core the working thread needs.

/** Kernel names in a fixed order, identical in every instance of the same module. */
export function sortedKernelNames(exports: WasmExports): string[] {
  return Object.keys(exports).filter((k) => typeof exports[k] === 'function').sort();
}

function views(memory: WebAssembly.Memory, ctrl: number) {
  // Shared memory never detaches, so views made once stay valid after growth.
  return {
    i32: new Int32Array(memory.buffer, ctrl, ARGS_BYTE / 4),
    args: new Float64Array(memory.buffer, ctrl + ARGS_BYTE, MAX_ARGS),
    msg: new Uint16Array(memory.buffer, ctrl + MSG_BYTE, MSG_MAX),
  };
}

/** Runs tasks of the current job until none are left. Returns the first error thrown. */
function grabTasks(i32: Int32Array, f: (...a: number[]) => unknown, args: number[], nTasks: number, tid: number): unknown {
  const n = args.length;
  args.length = n + 2;
  args[n + 1] = tid;
  try {
    for (let t = Atomics.add(i32, NEXT, 1); t < nTasks; t = Atomics.add(i32, NEXT, 1)) {
      args[n] = t;
      f(...args);
    }
  } catch (e) {
    Atomics.store(i32, NEXT, CANCELLED); // stop the other threads early
    return e ?? new Error('unknown error');
  }
  return null;
}

/**
 * The body of every pool worker (Node or browser): instantiate, then serve jobs until
 * told to stop. Never throws: failures are reported through the control block so the
 * caller gets an Error instead of waiting forever.
 */
export function workerLoop(module: WebAssembly.Module, memory: WebAssembly.Memory, ctrl: number, tid: number): void {
  const { i32, args, msg } = views(memory, ctrl);
  let exports: WasmExports | null = null;
  let names: string[] = [];
  let startError: unknown = null;
  try {
    exports = new WebAssembly.Instance(module, wasmImports(memory)).exports as unknown as WasmExports;
    names = sortedKernelNames(exports);
  } catch (e) {
    startError = e;
  }
  Atomics.add(i32, READY, 1);
  Atomics.notify(i32, READY);
  let seq = 0;
  for (;;) {
    Atomics.wait(i32, SEQ, seq);
    seq = Atomics.load(i32, SEQ);
    if (Atomics.load(i32, STOP)) return;
    const nTasks = Atomics.load(i32, NTASKS);
    let err: unknown = startError ? new Error(`worker ${tid} failed to start: ${String((startError as Error).message ?? startError)}`) : null;
    if (!err && exports) {
      const f = exports[names[i32[FN]]];
      err = grabTasks(i32, f, Array.from(args.subarray(0, i32[NARGS])), nTasks, tid);
    }
    if (err) {
      Atomics.store(i32, NEXT, CANCELLED);
      if (Atomics.compareExchange(i32, ERR, 0, 1) === 0) {
        const text = `${(err as Error).name ?? 'Error'}: ${(err as Error).message ?? String(err)} (thread ${tid})`.slice(0, MSG_MAX);
        for (let i = 0; i < text.length; i++) msg[i] = text.charCodeAt(i);
        Atomics.store(i32, ERRLEN, text.length);
      }
    }
    if (Atomics.sub(i32, PENDING, 1) === 1) Atomics.notify(i32, PENDING);
  }
}

/** What a pool needs from a spawned worker. */
export interface WorkerHandle {
  terminate(): unknown;
}

/**
 * Pool of `workers.length + 1` threads. The caller must be allowed to block (Atomics.wait):
 * Node's main thread or any Worker, not a browser main thread.
 * `spawn(tid, ctrl)` starts a worker that calls workerLoop(module, memory, ctrl, tid).
 */
export class AtomicsPool implements Pool {
  readonly size: number;
  private ctrl: number;
  private readonly i32: Int32Array;
  private readonly args: Float64Array;
  private readonly msg: Uint16Array;
  private readonly names: string[];
  private workers: WorkerHandle[] = [];
  private ready = false;
  private running = false;

  constructor(
    private readonly exports: WasmExports,
    memory: WebAssembly.Memory,
    private readonly heap: Heap,
    threads: number,
    spawn: (tid: number, ctrl: number) => WorkerHandle,
    private readonly startTimeoutMs = 30000,
  ) {
    if (!(memory.buffer instanceof SharedArrayBuffer)) throw new Error('AtomicsPool needs a shared WebAssembly.Memory');
    if (!Number.isInteger(threads) || threads < 2) throw new RangeError(`AtomicsPool: threads must be an integer >= 2, got ${threads}`);
    this.ctrl = heap.alloc(CTRL_BYTES);
    new Uint8Array(memory.buffer, this.ctrl, CTRL_BYTES).fill(0);
    ({ i32: this.i32, args: this.args, msg: this.msg } = views(memory, this.ctrl));
    this.names = sortedKernelNames(exports);
    this.size = threads;
    try {
      for (let tid = 1; tid < threads; tid++) this.workers.push(spawn(tid, this.ctrl));
    } catch (e) {
      this.terminate();
      throw e;
    }
  }

  /** Blocks until every worker has instantiated the module (first run only). */
  private waitReady(): void {
    const want = this.workers.length, t0 = Date.now();
    for (let r = Atomics.load(this.i32, READY); r < want; r = Atomics.load(this.i32, READY)) {
      const left = this.startTimeoutMs - (Date.now() - t0);
      if (left <= 0) throw new Error(`thread pool: only ${r} of ${want} workers started within ${this.startTimeoutMs} ms`);
      Atomics.wait(this.i32, READY, r, left);
    }
    this.ready = true;
  }

  run(name: string, args: readonly number[], nTasks: number): void {
    const fnIndex = this.names.indexOf(name);
    if (fnIndex < 0) throw new Error(`wasm kernel '${name}' is not exported`);
    if (args.length > MAX_ARGS) throw new RangeError(`thread pool: at most ${MAX_ARGS} kernel arguments, got ${args.length}`);
    if (this.running) throw new Error('thread pool: run() re-entered while a job is running');
    const f = this.exports[name];
    if (nTasks <= 0) return;
    if (nTasks === 1 || this.workers.length === 0) {
      // not worth waking anyone
      for (let t = 0; t < nTasks; t++) f(...args, t, 0);
      return;
    }
    if (!this.ready) this.waitReady();
    this.running = true;
    const i32 = this.i32;
    try {
      this.args.set(args);
      i32[NARGS] = args.length;
      i32[FN] = fnIndex;
      i32[NTASKS] = nTasks;
      i32[ERR] = 0;
      i32[ERRLEN] = 0;
      Atomics.store(i32, NEXT, 0);
      Atomics.store(i32, PENDING, this.workers.length);
      Atomics.add(i32, SEQ, 1);
      Atomics.notify(i32, SEQ);
      const mainErr = grabTasks(i32, f, args.slice(), nTasks, 0);
      for (let p = Atomics.load(i32, PENDING); p !== 0; p = Atomics.load(i32, PENDING)) Atomics.wait(i32, PENDING, p);
      if (mainErr) throw mainErr;
      if (Atomics.load(i32, ERR)) {
        const text = String.fromCharCode(...this.msg.subarray(0, Atomics.load(i32, ERRLEN)));
        throw new Error(`wasm kernel '${name}' failed in a worker: ${text}`);
      }
    } finally {
      this.running = false;
    }
  }

  terminate(): void {
    if (this.workers.length) {
      Atomics.store(this.i32, STOP, 1);
      Atomics.add(this.i32, SEQ, 1);
      Atomics.notify(this.i32, SEQ);
      for (const w of this.workers) w.terminate();
      this.workers = [];
    }
    if (this.ctrl) {
      try { this.heap.release(this.ctrl); } catch { /* already released */ }
      this.ctrl = 0;
    }
  }
}
