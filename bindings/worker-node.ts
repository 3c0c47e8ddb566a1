// Node pool worker: receives the module, the shared memory and the control block offset.
import { workerData } from 'node:worker_threads';
import { workerLoop } from './pool.js';

const { module, memory, ctrl, tid } = workerData as { module: WebAssembly.Module; memory: WebAssembly.Memory; ctrl: number; tid: number };
workerLoop(module, memory, ctrl, tid);
