// The process-wide engine used by the functional API (gemm, cholesky, ntk, ...).
// Browsers call init() with a loaded engine; the Node entry installs a lazy loader.
import type { Engine } from '../bindings/engine.js';

let current: Engine | null = null;
let autoInit: (() => Engine) | null = null;

export function setEngine(e: Engine | null): void {
  current = e;
}

/** Registers a synchronous loader used on first use when no engine was set (Node). */
export function setAutoInit(f: () => Engine): void {
  autoInit = f;
}

export function engine(): Engine {
  if (current) return current;
  if (autoInit) {
    current = autoInit();
    return current;
  }
  throw new Error("ntk-robustness: no wasm engine; call `await init()` first (browsers) or import from 'ntk-robustness/node'");
}

export function hasEngine(): boolean {
  return current !== null;
}
