// Refuse a run whose arrays cannot fit in wasm32 memory before any work starts, naming the
// limit and the largest size that would fit (instead of failing mid-run).
import { engine } from '../engine.js';
import { fmtBytes } from '../../bindings/heap.js';
import { UsageError } from './errors.js';

/**
 * `bytes(n)` is the run's peak wasm memory for n training points (increasing in n). Throws a
 * UsageError for `flag` when it is over the engine's memory limit.
 */
export function checkFits(flag: string, n: number, bytes: (n: number) => number, detail: string): void {
  const limit = engine().heap.limitBytes;
  if (bytes(n) <= limit) return;
  let lo = 0, hi = n; // largest n with bytes(n) <= limit
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (bytes(mid) <= limit) lo = mid; else hi = mid;
  }
  throw new UsageError(
    `${flag} ${n}: needs about ${fmtBytes(bytes(n))} of wasm memory (${detail}), over the ` +
    `${fmtBytes(limit)} wasm32 limit; at most ${lo} training points fit`);
}

/** f64 bytes of an n x n Gram. */
export const gramBytes = (n: number) => 8 * n * n;
