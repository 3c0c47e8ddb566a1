// Browser pool worker (a module Worker): the first message carries the module, the shared
// memory and the control block offset; it answers 'ready' once, then serves jobs forever.
import { workerLoop } from './pool.js';

const scope = globalThis as unknown as {
  onmessage: ((ev: MessageEvent) => void) | null;
  postMessage(m: unknown): void;
};
scope.onmessage = (ev: MessageEvent) => {
  const { module, memory, ctrl, tid } = ev.data as { module: WebAssembly.Module; memory: WebAssembly.Memory; ctrl: number; tid: number };
  scope.onmessage = null;
  scope.postMessage('ready');
  workerLoop(module, memory, ctrl, tid);
};
