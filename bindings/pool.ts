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
const FINISHED = 3; // bumped (and notified) when a worker finishes a job it claimed, or dies
const ERR = 4;      // 1: a kernel threw in a worker; 2: a worker died with a message
const FN = 5;       // index of the kernel in sortedKernelNames()
const NARGS = 6;
const STOP = 7;     // 1: workers exit their loop
const READY = 8;    // bumped (and notified) when a worker sets its ready flag
const ERRLEN = 9;   // UTF-16 length of the error message
const DEATHS = 10;  // worker deaths reported (Node supervisor, browser worker), ever
const BEAT = 11;    // supervisor heartbeat counter (Node)
const HOOK = 12;    // test hook: (tid << 4) | action, taken by that worker at its next wake-up
const HOOK_MS = 13; // test hook: delay of the 'slow' action
const ARGS_BYTE = 64;        // Float64 arguments (pointers and ints are exact in f64)
export const MAX_ARGS = 32;
const MSG_BYTE = ARGS_BYTE + 8 * MAX_ARGS;
const MSG_MAX = 1024;        // UTF-16 units of the first worker error kept
const THREAD_BYTE = MSG_BYTE + 2 * MSG_MAX;
const SLOT = 8;              // Int32 slots per thread, below
/** Control block bytes for a pool of `threads` threads. */
export const ctrlBytes = (threads: number): number => THREAD_BYTE + 4 * SLOT * threads;
// Per-thread slots, Int32 index from the control block start
const DONE_AT = (tid: number) => THREAD_BYTE / 4 + SLOT * tid;      // last job finished
const DEAD_AT = (tid: number) => THREAD_BYTE / 4 + SLOT * tid + 1;
const CODE_AT = (tid: number) => THREAD_BYTE / 4 + SLOT * tid + 2;  // exit code
const READY_AT = (tid: number) => THREAD_BYTE / 4 + SLOT * tid + 3;
const CLAIM_AT = (tid: number) => THREAD_BYTE / 4 + SLOT * tid + 4; // see claim()
const SEEN_AT = (tid: number) => THREAD_BYTE / 4 + SLOT * tid + 5;  // last job woken up for
const JOBS_AT = (tid: number) => THREAD_BYTE / 4 + SLOT * tid + 6;  // jobs run (claimed), ever
const CANCELLED = 1 << 30;   // NEXT value that makes every grab fail
// Waits are plain Atomics.wait, no spinning: a dispatch costs ~50 us (futex wake-up), and
// spinning 20k polls first measured 6x slower (330 us) on this 2-core machine under load,
// where a spinning thread steals the core the working thread needs.

// The job claim protocol. A worker takes part in job `seq` only after it claimed it, and the
// caller waits only for workers that claimed: once every task is grabbed (the caller's own
// grab loop ran dry) a worker that has not woken up yet would find nothing to do, so the
// caller excuses it instead of waiting for it. A worker that is slow to wake (a starved
// thread on a loaded machine) therefore costs nothing, and one that never wakes again cannot
// hang a call. Both sides race on one word per worker with compareExchange, so a worker
// either claimed the job (and the caller waits for its DONE) or was excused (and never reads
// the job's arguments, which the next job overwrites). The word holds seq << 1 (claimed) or
// seq << 1 | 1 (excused); int32 wrap-around is harmless, comparisons are modular.
const claimWord = (seq: number) => (seq << 1) | 0;
/** Excused far ahead: a retired worker can never claim again (refreshed at every job). */
const retiredWord = (seq: number) => (((seq + (1 << 28)) << 1) | 1) | 0;

/** Worker side: true when this worker claimed job `seq`; false when it was excused from it. */
function claim(i32: Int32Array, tid: number, seq: number): boolean {
  const want = claimWord(seq);
  for (;;) {
    const c = Atomics.load(i32, CLAIM_AT(tid));
    if (((c - want) | 0) >= 0) return false; // excused from this job (or retired)
    if (Atomics.compareExchange(i32, CLAIM_AT(tid), c, want) === c) return true;
  }
}

/** Caller side: true when worker `tid` claimed job `seq`; else it is excused from it now. */
function claimedOrExcused(i32: Int32Array, tid: number, seq: number): boolean {
  const want = claimWord(seq);
  for (;;) {
    const c = Atomics.load(i32, CLAIM_AT(tid));
    if (c === want) return true;
    if (((c - want) | 0) > 0) return false; // already excused (retired)
    if (Atomics.compareExchange(i32, CLAIM_AT(tid), c, want | 1) === c) return false;
  }
}

/** Test hooks a worker obeys at its next wake-up (AtomicsPool.injectFault). */
export type WorkerFault = 'throw' | 'hang' | 'slow';
const FAULTS: WorkerFault[] = ['throw', 'hang', 'slow'];

/** The fault injected into worker `tid` for this wake-up, if any (taken once). */
function takeFault(i32: Int32Array, tid: number): WorkerFault | null {
  const h = Atomics.load(i32, HOOK);
  if (h === 0 || h >> 4 !== tid || Atomics.compareExchange(i32, HOOK, h, 0) !== h) return null;
  return FAULTS[(h & 15) - 1] ?? null;
}

/** Blocks this thread for `ms` ms (forever when undefined) without spinning. */
function sleep(ms?: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

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
 * told to stop. Kernel failures (wasm traps, errors) are reported through the control block
 * so the caller gets an Error instead of waiting forever; only an injected 'throw' fault
 * escapes (a crash of the worker itself, as a test of the death detection).
 */
export function workerLoop(module: WebAssembly.Module, memory: WebAssembly.Memory, ctrl: number, tid: number): void {
  // The control block lies in memory that existed when the pool was made, so these views
  // (on this thread's first memory.buffer) stay valid however much the memory grows later.
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
  // Read the job sequence before counting in as ready: this worker then takes part in the
  // jobs published after that (a worker respawned after a death never runs the cancelled job).
  let seq = Atomics.load(i32, SEQ);
  Atomics.store(i32, READY_AT(tid), 1);
  Atomics.add(i32, READY, 1);
  Atomics.notify(i32, READY);
  for (;;) {
    // Wait for a NEW job: a wake-up alone does not mean one. The caller stores SEQ, then
    // notifies; a worker that was busy when SEQ changed sees the new value without being woken,
    // may run the whole job and wait again before that notify lands, and is then woken for the
    // job it already ran (seen under load: it ran the job twice, the old pending counter went
    // to -1 and the caller waited for ever; or to 0 one job early, so the caller went on while
    // the worker still ran a job, reading the next job's arguments: out-of-bounds traps).
    while (Atomics.load(i32, SEQ) === seq) Atomics.wait(i32, SEQ, seq);
    seq = Atomics.load(i32, SEQ);
    if (Atomics.load(i32, STOP)) return;
    Atomics.store(i32, SEEN_AT(tid), seq);
    const fault = takeFault(i32, tid);
    if (fault === 'hang') sleep(); // stops responding, as a worker stuck outside any job
    if (fault === 'slow') sleep(Atomics.load(i32, HOOK_MS)); // a thread starved before it claims
    if (!claim(i32, tid, seq)) {
      // the caller finished the job without this worker: a crash meant for a job stays armed
      // for the next one (under load the worker may wake up too late for several jobs)
      if (fault === 'throw') Atomics.compareExchange(i32, HOOK, 0, (tid << 4) | (FAULTS.indexOf(fault) + 1));
      continue;
    }
    Atomics.add(i32, JOBS_AT(tid), 1);
    if (fault === 'throw') throw new Error(`worker ${tid} crashed (injected fault)`);
    const nTasks = Atomics.load(i32, NTASKS);
    let err: unknown = startError ? new Error(`worker ${tid} failed to start: ${String((startError as Error).message ?? startError)}`) : null;
    if (!err && exports) {
      const f = exports[names[i32[FN]]];
      err = grabTasks(i32, f, Array.from(args.subarray(0, i32[NARGS])), nTasks, tid);
    }
    if (err) {
      Atomics.store(i32, NEXT, CANCELLED);
      if (Atomics.compareExchange(i32, ERR, 0, 1) === 0) writeMessage(i32, msg, `${(err as Error).name ?? 'Error'}: ${(err as Error).message ?? String(err)} (thread ${tid})`);
    }
    Atomics.store(i32, DONE_AT(tid), seq);
    Atomics.add(i32, FINISHED, 1);
    Atomics.notify(i32, FINISHED);
  }
}

function writeMessage(i32: Int32Array, msg: Uint16Array, text: string): void {
  text = text.slice(0, MSG_MAX);
  for (let i = 0; i < text.length; i++) msg[i] = text.charCodeAt(i);
  Atomics.store(i32, ERRLEN, text.length);
}

/**
 * Called when worker `tid` died: by whoever owns the workers and is not blocked (Node: the
 * supervisor thread, on the worker's 'exit' event), or by a browser worker whose loop threw
 * (`message` says what). Marks it dead, cancels the job in flight if the worker had claimed it
 * (its tasks cannot all be done) and wakes the caller, which then fails the call naming it.
 */
export function reportWorkerExit(memory: WebAssembly.Memory, ctrl: number, tid: number, code: number, message?: string): void {
  const { i32, msg } = views(memory, ctrl, tid + 1);
  if (Atomics.load(i32, STOP)) return;
  Atomics.store(i32, CODE_AT(tid), code);
  if (message && Atomics.compareExchange(i32, ERR, 0, 2) === 0) writeMessage(i32, msg, message);
  Atomics.store(i32, DEAD_AT(tid), 1);
  const seq = Atomics.load(i32, SEQ);
  if (Atomics.load(i32, CLAIM_AT(tid)) === claimWord(seq) && Atomics.load(i32, DONE_AT(tid)) !== seq) Atomics.store(i32, NEXT, CANCELLED);
  Atomics.add(i32, DEATHS, 1);
  Atomics.add(i32, FINISHED, 1);
  Atomics.notify(i32, FINISHED);
  Atomics.notify(i32, READY);
}

/** True when worker `tid` has claimed the job in flight and not finished it (test hooks). */
export function inCurrentJob(memory: WebAssembly.Memory, ctrl: number, tid: number): boolean {
  const { i32 } = views(memory, ctrl, tid + 1);
  const seq = Atomics.load(i32, SEQ);
  return Atomics.load(i32, CLAIM_AT(tid)) === claimWord(seq) && Atomics.load(i32, DONE_AT(tid)) !== seq;
}

/** True once the pool was terminated (its workers exit on purpose). */
export function stopRequested(memory: WebAssembly.Memory, ctrl: number): boolean {
  return Atomics.load(new Int32Array(memory.buffer, ctrl, ARGS_BYTE / 4), STOP) !== 0;
}

/** Supervisor heartbeat: lets a blocked caller tell a live supervisor from a dead one. */
export function supervisorBeat(memory: WebAssembly.Memory, ctrl: number): void {
  Atomics.add(new Int32Array(memory.buffer, ctrl, ARGS_BYTE / 4), BEAT, 1);
}

/**
 * The pool's workers as a whole. Node: a supervisor thread whose event loop is free gets
 * each worker's 'exit' event and calls reportWorkerExit. Browsers: a worker reports its own
 * crash; one that stops responding is found by the caller (it stops waking up for jobs).
 */
export interface WorkerGroup {
  /** True: reportWorkerExit is called on every worker exit and supervisorBeat runs. */
  readonly watched: boolean;
  /** True when a new worker starts while the caller blocks (Node); browsers need its event loop. */
  readonly startsWhileBlocked: boolean;
  /** Starts a fresh worker in place of the dead worker `tid`. */
  respawn(tid: number): void;
  /** Ends worker `tid`, which stopped responding, for good (no replacement, no exit report). */
  retire(tid: number): void;
  terminate(): void;
}

/**
 * Timings. WAIT_SLICE_MS: how long the caller sleeps between liveness checks while it waits
 * for workers. BEAT_TIMEOUT_MS: a silent supervisor heartbeat (it beats every 100 ms on an
 * otherwise idle thread) for this long means the supervisor is gone.
 * unresponsiveMs: a ready worker that has not woken up for a job posted this long ago has
 * stopped responding. A woken worker needs only to be scheduled once: on this 2-core machine
 * at load 20-25 (6 engineers' builds and tests) Linux still runs every runnable thread within
 * a few hundred ms, and a worker's own heap is tiny (no long GC pauses); only swapping stalls a
 * thread for seconds. 60 s is far beyond that, and the price of a late detection is small: the
 * caller runs the excused worker's share of every job meanwhile, so nothing hangs.
 */
const WAIT_SLICE_MS = 500;
const BEAT_TIMEOUT_MS = 10000;
export const poolTuning = {
  unresponsiveMs: 60000,
  /** Test hook: the caller sleeps this long between publishing a job and notifying the workers. */
  notifyDelayMs: 0,
};
/** Worker deaths a pool recovers from by respawning before it asks to be recreated. */
export const MAX_RESPAWNS = 3;

/** The error a call fails with when a pool worker exits (or, in browsers, crashes) under it. */
export class WorkerExitError extends Error {
  constructor(readonly tid: number, readonly exitCode: number, during: string, recovered: boolean, detail = '') {
    super(
      `thread pool worker ${tid} exited (exit code ${exitCode}${detail ? `: ${detail}` : ''}) while ${during}; ` +
        (recovered ? 'the call failed, a new worker replaces it and the engine stays usable'
          : `it was replaced ${MAX_RESPAWNS} times already: create a new engine (initNode() or init())`),
    );
    this.name = 'WorkerExitError';
  }
}

/** The error a call fails with when a pool worker stopped waking up for jobs. */
export class WorkerStalledError extends Error {
  constructor(readonly tid: number, silentMs: number, left: number) {
    super(
      `thread pool worker ${tid} stopped responding: it has not woken up for the jobs posted in the last ` +
        `${(silentMs / 1000).toFixed(1)} s (limit ${poolTuning.unresponsiveMs / 1000} s); it was stopped and the call failed ` +
        `before running. The engine stays usable with ${left} of its threads; create a new engine for all of them`,
    );
    this.name = 'WorkerStalledError';
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
  private readonly retired = new Set<number>();
  /** Per worker: since when (ms) a job it has not woken up for was posted (null: none), and that job. */
  private readonly unseenSince: (number | null)[];
  private readonly unseenSeq: number[];

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
    this.unseenSince = new Array(threads).fill(null);
    this.unseenSeq = new Array(threads).fill(0);
    try {
      this.group = start(this.ctrl);
    } catch (e) {
      this.terminate();
      throw e;
    }
  }

  /** The workers as started (Node: the supervised group, with a test hook to kill one). */
  get workers(): WorkerGroup | null { return this.group; }

  /**
   * Test hook: worker `tid` misbehaves at its next wake-up for a job. 'throw': it crashes
   * after claiming the job (an uncaught error in its JS loop); 'hang': it blocks for ever
   * before claiming (a worker that stopped responding); 'slow': it sleeps `ms` before claiming
   * (a thread starved by the scheduler).
   */
  injectFault(tid: number, fault: WorkerFault, ms = 0): void {
    if (!Number.isInteger(tid) || tid < 1 || tid > this.nWorkers) throw new RangeError(`injectFault: no worker ${tid}`);
    Atomics.store(this.i32, HOOK_MS, ms);
    Atomics.store(this.i32, HOOK, (tid << 4) | (FAULTS.indexOf(fault) + 1));
  }

  /** Jobs worker `tid` has claimed and run (test hook: each job runs at most once per worker). */
  jobsRun(tid: number): number { return Atomics.load(this.i32, JOBS_AT(tid)); }

  /** Workers that died and have not been replaced yet. */
  private deadWorkers(): number[] {
    const dead: number[] = [];
    for (let tid = 1; tid <= this.nWorkers; tid++) if (!this.retired.has(tid) && Atomics.load(this.i32, DEAD_AT(tid))) dead.push(tid);
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

  /** Blocks until every worker has instantiated the module (Node: first run, and after a respawn). */
  private waitReady(): void {
    const want = this.nWorkers, t0 = Date.now();
    const beat = { value: Atomics.load(this.i32, BEAT), at: t0 };
    // per-worker flags, not a counter: a worker killed while starting never set its flag,
    // and its replacement sets the same one
    const count = () => { let r = 0; for (let t = 1; t <= want; t++) r += this.retired.has(t) ? 1 : Atomics.load(this.i32, READY_AT(t)); return r; };
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
      this.unseenSince[t] = null;
      this.group.respawn(t);
    }
    this.ready = false;
    return true;
  }

  /** Throws the WorkerExitError naming the first dead worker, replacing the dead ones if allowed. */
  private fail(dead: number[], during: string): never {
    const tid = dead[0], code = Atomics.load(this.i32, CODE_AT(tid));
    const detail = Atomics.load(this.i32, ERR) === 2 ? this.message() : '';
    throw new WorkerExitError(tid, code, during, !this.broken && this.respawn(dead), detail);
  }

  private message(): string {
    return String.fromCharCode(...this.msg.subarray(0, Atomics.load(this.i32, ERRLEN)));
  }

  /**
   * Throws WorkerStalledError for a ready worker that has not woken up for a job posted more
   * than unresponsiveMs ago, after stopping it for good (its claim word says excused for ever).
   */
  private checkStalled(): void {
    const now = Date.now();
    for (let t = 1; t <= this.nWorkers; t++) {
      const since = this.unseenSince[t];
      if (since === null || this.retired.has(t)) continue;
      if (((Atomics.load(this.i32, SEEN_AT(t)) - this.unseenSeq[t]) | 0) >= 0) { this.unseenSince[t] = null; continue; }
      if (now - since <= poolTuning.unresponsiveMs) continue;
      // no job is in flight and this worker was excused from the last one: it cannot claim
      Atomics.store(this.i32, CLAIM_AT(t), retiredWord(Atomics.load(this.i32, SEQ)));
      this.retired.add(t);
      this.group?.retire(t);
      throw new WorkerStalledError(t, now - since, this.size - this.retired.size);
    }
  }

  run(name: string, args: readonly number[], nTasks: number): void {
    const fnIndex = this.names.indexOf(name);
    if (fnIndex < 0) throw new Error(`wasm kernel '${name}' is not exported`);
    if (args.length > MAX_ARGS) throw new RangeError(`thread pool: at most ${MAX_ARGS} kernel arguments, got ${args.length}`);
    if (this.running) throw new Error('thread pool: run() re-entered while a job is running');
    if (this.broken) throw new Error(`${this.broken}; create a new engine (initNode() or init())`);
    const f = this.exports[name];
    if (nTasks <= 0) return;
    if (nTasks === 1 || this.nWorkers === this.retired.size) {
      // not worth waking anyone (or nobody left to wake)
      for (let t = 0; t < nTasks; t++) f(...args, t, 0);
      return;
    }
    // a worker that died while idle lost no work: replace it and go on
    const idle = this.deadWorkers();
    if (idle.length && !this.respawn(idle)) this.fail(idle, 'idle');
    if (!this.ready && this.group?.startsWhileBlocked) this.waitReady();
    this.checkStalled();
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
      const seq = (Atomics.load(i32, SEQ) + 1) | 0;
      const postedAt = Date.now();
      for (let t = 1; t <= this.nWorkers; t++) {
        if (this.retired.has(t)) Atomics.store(i32, CLAIM_AT(t), retiredWord(seq));
        else if (this.unseenSince[t] === null && Atomics.load(i32, READY_AT(t))) { this.unseenSince[t] = postedAt; this.unseenSeq[t] = seq; }
      }
      Atomics.store(i32, SEQ, seq);
      if (poolTuning.notifyDelayMs) sleep(poolTuning.notifyDelayMs); // a caller preempted right here
      Atomics.notify(i32, SEQ);
      const mainErr = grabTasks(i32, f, args.slice(), nTasks, 0);
      // every task is grabbed (or the job cancelled): excuse the workers that have not
      // claimed the job yet, wait for those that did
      const claimed: number[] = [];
      for (let t = 1; t <= this.nWorkers; t++) if (claimedOrExcused(i32, t, seq)) claimed.push(t);
      const beat = { value: Atomics.load(i32, BEAT), at: Date.now() };
      let lost: number[] = [];
      for (;;) {
        const finished = Atomics.load(i32, FINISHED); // before the checks: no lost wake-up
        let busy = 0;
        lost = [];
        for (const t of claimed) {
          if (Atomics.load(i32, DONE_AT(t)) === seq) continue;
          if (Atomics.load(i32, DEAD_AT(t))) lost.push(t);
          else busy++;
        }
        if (busy === 0) break;
        // a worker died with tasks of this job: stop the others early (the supervisor did too)
        if (lost.length) Atomics.store(i32, NEXT, CANCELLED);
        Atomics.wait(i32, FINISHED, finished, WAIT_SLICE_MS);
        this.checkSupervisor(beat, `running wasm kernel '${name}'`);
      }
      // the live workers are done with the job (they may have written into the caller's
      // buffers until now); a worker that died in it leaves its tasks undone: fail the call
      if (lost.length) this.fail(lost, `running wasm kernel '${name}'`);
      if (mainErr) throw mainErr;
      if (Atomics.load(i32, ERR) === 1) throw new Error(`wasm kernel '${name}' failed in a worker: ${this.message()}`);
    } finally {
      this.running = false;
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
