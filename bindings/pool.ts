// Thread pool over shared wasm memory. Every worker instantiates the same WebAssembly.Module
// on the same shared Memory; jobs are published through a small control block in that
// memory (allocated from the Heap), so dispatch costs an Atomics.notify, not a postMessage.
// Tasks are grabbed dynamically (Atomics.add on a counter) by the workers AND the calling
// thread (tid 0), so threads = 2 means the caller + 1 worker. Browser-safe: the Node and
// browser specifics (how a worker is spawned) live in node.ts / browser.ts.
import { instantiate, type Pool, type WasmExports } from './engine.js';
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
const READY = 8;    // bumped (and notified) when a worker sets its ready flag
const ERRLEN = 9;   // UTF-16 length of the error message
const DEATHS = 10;  // worker exits seen by the supervisor (Node), ever
const BEAT = 11;    // supervisor heartbeat counter (Node)
const ARGS_BYTE = 64;        // Float64 arguments (pointers and ints are exact in f64)
export const MAX_ARGS = 32;
const MSG_BYTE = ARGS_BYTE + 8 * MAX_ARGS;
const MSG_MAX = 1024;        // UTF-16 units of the first worker error kept
const THREAD_BYTE = MSG_BYTE + 2 * MSG_MAX; // per thread: [job seq done, dead, exit code, ready]
/** Control block bytes for a pool of `threads` threads. */
export const ctrlBytes = (threads: number): number => THREAD_BYTE + 16 * threads;
// Per-thread slots, Int32 index from the control block start
const DONE_AT = (tid: number) => THREAD_BYTE / 4 + 4 * tid;
const DEAD_AT = (tid: number) => THREAD_BYTE / 4 + 4 * tid + 1;
const CODE_AT = (tid: number) => THREAD_BYTE / 4 + 4 * tid + 2;
const READY_AT = (tid: number) => THREAD_BYTE / 4 + 4 * tid + 3;
const CANCELLED = 1 << 30;   // NEXT value that makes every grab fail
// Waits are plain Atomics.wait, no spinning: a dispatch costs ~50 us (futex wake-up), and
// spinning 20k polls first measured 6x slower (330 us) on this 2-core machine under load,
// where a spinning thread steals the core the working thread needs.

/** Kernel names in a fixed order, identical in every instance of the same module. */
export function sortedKernelNames(exports: WasmExports): string[] {
  return Object.keys(exports).filter((k) => typeof exports[k] === 'function').sort();
}

function views(memory: WebAssembly.Memory, ctrl: number, threads: number) {
  // Shared memory never detaches, so views made once stay valid after growth.
  return {
    i32: new Int32Array(memory.buffer, ctrl, ctrlBytes(threads) / 4),
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
  const { i32, args, msg } = views(memory, ctrl, tid + 1);
  let exports: WasmExports | null = null;
  let names: string[] = [];
  let startError: unknown = null;
  try {
    exports = instantiate(module, memory);
    names = sortedKernelNames(exports);
  } catch (e) {
    startError = e;
  }
  // Read the job sequence before counting in as ready: the caller publishes a job only once
  // every worker is ready, so this worker then sees SEQ change and takes that job (a worker
  // respawned after a death must neither miss the next job nor run the cancelled one).
  let seq = Atomics.load(i32, SEQ);
  Atomics.store(i32, READY_AT(tid), 1);
  Atomics.add(i32, READY, 1);
  Atomics.notify(i32, READY);
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
    Atomics.store(i32, DONE_AT(tid), seq);
    if (Atomics.sub(i32, PENDING, 1) === 1) Atomics.notify(i32, PENDING);
  }
}

/**
 * Called by whoever owns the workers and is not blocked (Node: the supervisor thread) when
 * worker `tid` exits: marks it dead, cancels the job in flight (its tasks cannot all be
 * done) and wakes the caller, which then fails the call naming the worker.
 */
export function reportWorkerExit(memory: WebAssembly.Memory, ctrl: number, tid: number, code: number): void {
  const { i32 } = views(memory, ctrl, tid + 1);
  Atomics.store(i32, CODE_AT(tid), code);
  Atomics.store(i32, DEAD_AT(tid), 1);
  Atomics.store(i32, NEXT, CANCELLED);
  Atomics.add(i32, DEATHS, 1);
  Atomics.notify(i32, PENDING);
  Atomics.notify(i32, READY);
}

/** True once the pool was terminated (its workers exit on purpose). */
export function stopRequested(memory: WebAssembly.Memory, ctrl: number): boolean {
  return Atomics.load(new Int32Array(memory.buffer, ctrl, ARGS_BYTE / 4), STOP) !== 0;
}

/** Supervisor heartbeat: lets a blocked caller tell a live supervisor from a dead one. */
export function supervisorBeat(memory: WebAssembly.Memory, ctrl: number): void {
  Atomics.add(new Int32Array(memory.buffer, ctrl, ARGS_BYTE / 4), BEAT, 1);
}

/** What a pool needs from a spawned worker. */
export interface WorkerHandle {
  terminate(): unknown;
}

/**
 * The pool's workers as a whole, when something outside the blocked caller watches them
 * (Node: a supervisor thread whose event loop is free gets each worker's 'exit' event and
 * calls reportWorkerExit). Without it (browsers), a worker that exits is not detected.
 */
export interface WorkerGroup {
  /** True: reportWorkerExit is called on every worker exit and supervisorBeat runs. */
  readonly watched: boolean;
  /** Starts a fresh worker in place of the dead worker `tid`. */
  respawn(tid: number): void;
  terminate(): void;
}

// How long the caller waits between liveness checks, and how long a silent supervisor
// heartbeat (it beats every 100 ms on an idle thread) means the supervisor is gone.
const WAIT_SLICE_MS = 500;
const BEAT_TIMEOUT_MS = 10000;
/** Worker deaths a pool recovers from by respawning before it asks to be recreated. */
export const MAX_RESPAWNS = 3;

/** The error a call fails with when a pool worker exits under it. */
export class WorkerExitError extends Error {
  constructor(readonly tid: number, readonly exitCode: number, during: string, recovered: boolean) {
    super(
      `thread pool worker ${tid} exited (exit code ${exitCode}) while ${during}; ` +
        (recovered ? 'the call failed, a new worker replaces it and the engine stays usable'
          : `it was replaced ${MAX_RESPAWNS} times already: create a new engine (initNode())`),
    );
    this.name = 'WorkerExitError';
  }
}

/**
 * Pool of `threads` threads (the caller + threads - 1 workers). The caller must be allowed
 * to block (Atomics.wait): Node's main thread or any Worker, not a browser main thread.
 * `start(ctrl)` starts workers 1..threads-1, each calling workerLoop(module, memory, ctrl, tid).
 */
export class AtomicsPool implements Pool {
  readonly size: number;
  private ctrl: number;
  private readonly i32: Int32Array;
  private readonly args: Float64Array;
  private readonly msg: Uint16Array;
  private readonly names: string[];
  private group: WorkerGroup | null = null;
  private readonly nWorkers: number;
  private ready = false;
  private running = false;
  private respawns = 0;
  private broken: string | null = null;

  constructor(
    private readonly exports: WasmExports,
    memory: WebAssembly.Memory,
    private readonly heap: Heap,
    threads: number,
    start: (ctrl: number) => WorkerGroup,
    private readonly startTimeoutMs = 30000,
  ) {
    if (!(memory.buffer instanceof SharedArrayBuffer)) throw new Error('AtomicsPool needs a shared WebAssembly.Memory');
    if (!Number.isInteger(threads) || threads < 2) throw new RangeError(`AtomicsPool: threads must be an integer >= 2, got ${threads}`);
    const bytes = ctrlBytes(threads);
    this.ctrl = heap.alloc(bytes);
    new Uint8Array(memory.buffer, this.ctrl, bytes).fill(0);
    ({ i32: this.i32, args: this.args, msg: this.msg } = views(memory, this.ctrl, threads));
    this.names = sortedKernelNames(exports);
    this.size = threads;
    this.nWorkers = threads - 1;
    try {
      this.group = start(this.ctrl);
    } catch (e) {
      this.terminate();
      throw e;
    }
  }

  /** The workers as started (Node: the supervised group, with a test hook to kill one). */
  get workers(): WorkerGroup | null { return this.group; }

  /** Workers that died and have not been replaced yet. */
  private deadWorkers(): number[] {
    const dead: number[] = [];
    for (let tid = 1; tid <= this.nWorkers; tid++) if (Atomics.load(this.i32, DEAD_AT(tid))) dead.push(tid);
    return dead;
  }

  /** Throws when the supervisor (if any) has not beaten for BEAT_TIMEOUT_MS. */
  private checkSupervisor(lastBeat: { value: number; at: number }, what: string): void {
    if (!this.group?.watched) return;
    const b = Atomics.load(this.i32, BEAT), now = Date.now();
    if (b !== lastBeat.value) { lastBeat.value = b; lastBeat.at = now; return; }
    if (now - lastBeat.at > BEAT_TIMEOUT_MS) {
      this.broken = `the thread pool's supervisor stopped responding (no heartbeat for ${BEAT_TIMEOUT_MS} ms)`;
      throw new Error(`${this.broken} while ${what}; create a new engine (initNode())`);
    }
  }

  /** Blocks until every worker has instantiated the module (first run, and after a respawn). */
  private waitReady(): void {
    const want = this.nWorkers, t0 = Date.now();
    const beat = { value: Atomics.load(this.i32, BEAT), at: t0 };
    // per-worker flags, not a counter: a worker killed while starting never set its flag,
    // and its replacement sets the same one
    const count = () => { let r = 0; for (let t = 1; t <= want; t++) r += Atomics.load(this.i32, READY_AT(t)); return r; };
    for (let r = count(); r < want; r = count()) {
      const dead = this.deadWorkers();
      if (dead.length && !this.respawn(dead)) this.fail(dead, 'starting');
      const left = this.startTimeoutMs - (Date.now() - t0);
      if (left <= 0) throw new Error(`thread pool: only ${r} of ${want} workers started within ${this.startTimeoutMs} ms`);
      Atomics.wait(this.i32, READY, Atomics.load(this.i32, READY), Math.min(left, WAIT_SLICE_MS));
      this.checkSupervisor(beat, 'starting the pool');
    }
    this.ready = true;
  }

  /** Replaces dead workers, at most MAX_RESPAWNS times over the pool's life; false when not. */
  private respawn(dead: number[]): boolean {
    if (this.respawns + dead.length > MAX_RESPAWNS || this.group === null) {
      const tid = dead[0];
      this.broken = `thread pool worker ${tid} exited (exit code ${Atomics.load(this.i32, CODE_AT(tid))}) ` +
        `and the pool has replaced ${this.respawns} workers already`;
      return false;
    }
    for (const t of dead) {
      this.respawns++;
      Atomics.store(this.i32, READY_AT(t), 0); // the replacement sets it again
      Atomics.store(this.i32, DEAD_AT(t), 0);
      this.group.respawn(t);
    }
    this.ready = false;
    return true;
  }

  /** Throws the WorkerExitError naming the first dead worker, replacing the dead ones if allowed. */
  private fail(dead: number[], during: string): never {
    const tid = dead[0], code = Atomics.load(this.i32, CODE_AT(tid));
    throw new WorkerExitError(tid, code, during, !this.broken && this.respawn(dead));
  }

  run(name: string, args: readonly number[], nTasks: number): void {
    const fnIndex = this.names.indexOf(name);
    if (fnIndex < 0) throw new Error(`wasm kernel '${name}' is not exported`);
    if (args.length > MAX_ARGS) throw new RangeError(`thread pool: at most ${MAX_ARGS} kernel arguments, got ${args.length}`);
    if (this.running) throw new Error('thread pool: run() re-entered while a job is running');
    if (this.broken) throw new Error(`${this.broken}; create a new engine (initNode())`);
    const f = this.exports[name];
    if (nTasks <= 0) return;
    if (nTasks === 1 || this.nWorkers === 0) {
      // not worth waking anyone
      for (let t = 0; t < nTasks; t++) f(...args, t, 0);
      return;
    }
    // a worker that died while idle lost no work: replace it and go on
    const idle = this.deadWorkers();
    if (idle.length && !this.respawn(idle)) this.fail(idle, 'idle');
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
      Atomics.store(i32, PENDING, this.nWorkers);
      const seq = Atomics.add(i32, SEQ, 1) + 1;
      Atomics.notify(i32, SEQ);
      const mainErr = grabTasks(i32, f, args.slice(), nTasks, 0);
      const beat = { value: Atomics.load(i32, BEAT), at: Date.now() };
      for (let p = Atomics.load(i32, PENDING); p !== 0; p = Atomics.load(i32, PENDING)) {
        if (Atomics.load(i32, DEATHS) && this.deadWorkers().length) {
          // the job is cancelled; let the live workers finish their current task (they may
          // still write into the caller's buffers) before failing the call
          this.waitLive(seq);
          this.fail(this.deadWorkers(), `running wasm kernel '${name}'`);
        }
        Atomics.wait(i32, PENDING, p, WAIT_SLICE_MS);
        this.checkSupervisor(beat, `running wasm kernel '${name}'`);
      }
      if (mainErr) throw mainErr;
      if (Atomics.load(i32, ERR)) {
        const text = String.fromCharCode(...this.msg.subarray(0, Atomics.load(i32, ERRLEN)));
        throw new Error(`wasm kernel '${name}' failed in a worker: ${text}`);
      }
    } finally {
      this.running = false;
    }
  }

  /** Waits until every worker not marked dead has finished job `seq`. */
  private waitLive(seq: number): void {
    const beat = { value: Atomics.load(this.i32, BEAT), at: Date.now() };
    for (;;) {
      let waiting = 0;
      for (let tid = 1; tid <= this.nWorkers; tid++) {
        if (!Atomics.load(this.i32, DEAD_AT(tid)) && Atomics.load(this.i32, DONE_AT(tid)) !== seq) waiting++;
      }
      if (waiting === 0) return;
      const p = Atomics.load(this.i32, PENDING);
      Atomics.wait(this.i32, PENDING, p, 50);
      this.checkSupervisor(beat, 'waiting for the live workers after a worker exit');
    }
  }

  terminate(): void {
    if (this.group) {
      Atomics.store(this.i32, STOP, 1);
      Atomics.add(this.i32, SEQ, 1);
      Atomics.notify(this.i32, SEQ);
      const watched = this.group.watched;
      this.group.terminate();
      this.group = null;
      // a supervisor may still see exits after this returns (terminate is asynchronous) and
      // checks STOP first: keep the block (a few KiB) rather than hand it out again
      if (watched) this.ctrl = 0;
    }
    if (this.ctrl) {
      try { this.heap.release(this.ctrl); } catch { /* already released */ }
      this.ctrl = 0;
    }
  }
}
