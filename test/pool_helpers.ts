// Helpers of the pool tests (pool_death, pool_faults): small jobs run straight through the
// engine's parallelFor, so a test can see which thread ran a task or kill one mid-GEMM.
import type { Engine } from '../bindings/engine.js';

/** Which thread ran each of n probe tasks (1-based tid), each spinning `spin` iterations. */
export function probeThreads(e: Engine, n: number, spin: number): number[] {
  const out = e.buffer('f32', n);
  try {
    new Int32Array(e.memory.buffer, out.ptr, n).fill(0);
    e.parallelFor('pool_probe_task', [out.ptr, -1, spin], n);
    return Array.from(new Int32Array(e.memory.buffer, out.ptr, n));
  } finally {
    out.free();
  }
}

/** C = A B (n x n, f64) through the engine's GEMM tasks in tile x tile blocks; `before()` runs after the operands are in wasm memory. */
export function poolGemm(e: Engine, n: number, A: Float64Array, B: Float64Array, tile = 128, before = () => {}): Float64Array {
  const a = e.from(A), b = e.from(B), c = e.buffer('f64', n * n);
  const wb = Math.ceil(e.call('gemm_f64_work_bytes') / 64) * 64, work = e.threadScratch(wb, 'gemm');
  try {
    before();
    e.parallelFor('gemm_f64_task', [0, 0, n, n, n, 1, a.ptr, n, b.ptr, n, 0, c.ptr, n, work, wb, tile, tile], Math.ceil(n / tile) ** 2);
    return c.toArray();
  } finally {
    a.free(); b.free(); c.free();
  }
}
