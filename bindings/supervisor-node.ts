// Node pool supervisor: a thread that owns the pool's workers and never blocks, so it gets
// each worker's 'exit' event while the caller is blocked in Atomics.wait, and reports it
// through the shared control block (reportWorkerExit): a worker that dies fails the call
// instead of hanging it. It also beats a heartbeat so the caller can tell it is alive.
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { reportWorkerExit, supervisorBeat, stopRequested } from './pool.js';

const { module, memory, ctrl, threads } = workerData as { module: WebAssembly.Module; memory: WebAssembly.Memory; ctrl: number; threads: number };
const workerUrl = new URL('./worker-node.js', import.meta.url);
const workers = new Map<number, Worker>();

function spawn(tid: number): void {
  const w = new Worker(workerUrl, { workerData: { module, memory, ctrl, tid } });
  workers.set(tid, w);
  w.on('error', () => { /* an uncaught error ends the worker: reported by 'exit' */ });
  w.on('exit', (code) => {
    if (workers.get(tid) !== w) return;
    workers.delete(tid);
    // after terminate() the control block may already be reused memory: never write then
    if (!stopRequested(memory, ctrl)) reportWorkerExit(memory, ctrl, tid, code);
  });
}

for (let tid = 1; tid < threads; tid++) spawn(tid);
setInterval(() => supervisorBeat(memory, ctrl), 100);
parentPort!.on('message', (m: { respawn?: number; kill?: { tid: number; afterMs: number } }) => {
  if (m.respawn !== undefined) spawn(m.respawn);
  // test hook: kill a worker (as if it had crashed) while the caller is blocked in a job
  if (m.kill) setTimeout(() => void workers.get(m.kill!.tid)?.terminate(), m.kill.afterMs);
});
