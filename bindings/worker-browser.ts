// Browser pool worker (a module Worker): the first message carries the module, the shared
// memory and the control block offset; it answers 'ready' once, then serves jobs forever.
// A browser worker's 'error' event reaches only its creator, the caller, which is blocked in
// Atomics.wait while a job runs: so the worker reports its own crash through the control
// block (the caller then fails the call naming it instead of waiting for ever).
import { workerLoop, reportWorkerExit } from './pool.js';

const scope = globalThis as unknown as {
  onmessage: ((ev: MessageEvent) => void) | null;
  postMessage(m: unknown): void;
  close(): void;
};
scope.onmessage = (ev: MessageEvent) => {
  const { module, memory, ctrl, tid } = ev.data as { module: WebAssembly.Module; memory: WebAssembly.Memory; ctrl: number; tid: number };
  scope.onmessage = null;
  scope.postMessage('ready');
  try {
    workerLoop(module, memory, ctrl, tid);
  } catch (e) {
    reportWorkerExit(memory, ctrl, tid, -1, `${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}`);
    scope.close();
  }
};
