// Node pool supervisor: a thread that owns the pool's workers and never blocks, so it gets
// each worker's 'exit' event while the caller is blocked in Atomics.wait, and reports it
// through the shared control block (reportWorkerExit): a worker that dies fails the call
// instead of hanging it. It also beats a heartbeat so the caller can tell it is alive.
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { reportWorkerExit, supervisorBeat, stopRequested, inCurrentJob } from './pool.js';

const { module, memory, ctrl, threads } = workerData as { module: WebAssembly.Module; memory: WebAssembly.Memory; ctrl: number; threads: number };
const workerUrl = new URL('./worker-node.js', import.meta.url);
const workers = new Map<number, Worker>();

function spawn(tid: number): void {
  const w = new Worker(workerUrl, { workerData: { module, memory, ctrl, tid } });
  workers.set(tid, w);
  w.on('error', () => { /* an uncaught error ends the worker: reported by 'exit' */ });
  w.on('exit', (code) => {
    if (workers.get(tid) !== w) return; // replaced or retired: an exit on purpose
    workers.delete(tid);
    // after terminate() the control block may already be reused memory: never write then
    if (!stopRequested(memory, ctrl)) reportWorkerExit(memory, ctrl, tid, code);
  });
}

/**
 * Test hook: terminates worker `tid` (as if it had crashed) `afterMs` ms from now, or when
 * `busy`, at the first moment after that when it works on a job (a loaded machine may wake
 * it late: a kill before it claimed the job would lose no work and fail nothing).
 */
function kill(tid: number, afterMs: number, busy: boolean): void {
  setTimeout(function poll() {
    const w = workers.get(tid);
    if (!w || stopRequested(memory, ctrl)) return;
    if (!busy || inCurrentJob(memory, ctrl, tid)) void w.terminate();
    else setTimeout(poll, 5);
  }, afterMs);
}

for (let tid = 1; tid < threads; tid++) spawn(tid);
setInterval(() => supervisorBeat(memory, ctrl), 100);
parentPort!.on('message', (m: { respawn?: number; retire?: number; kill?: { tid: number; afterMs: number; busy: boolean } }) => {
  if (m.respawn !== undefined) spawn(m.respawn);
  if (m.retire !== undefined) {
    const w = workers.get(m.retire);
    workers.delete(m.retire);
    void w?.terminate();
  }
  if (m.kill) kill(m.kill.tid, m.kill.afterMs, m.kill.busy);
});
