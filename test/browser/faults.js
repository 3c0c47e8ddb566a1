// Pool faults in a Web Worker (the caller blocks in Atomics.wait, so it sees no worker
// events): a nested worker that crashes must fail the call naming it, one that stops waking
// up must not hang a call and is then named and retired. Injected through the pool's test hook.
import { init, engine } from '/dist/src/index.js';
import { poolTuning } from '/dist/bindings/pool.js';

/** Which thread ran each of n probe tasks (1-based tid). */
function probe(n, spin) {
  const e = engine(), out = e.buffer('f32', n);
  try {
    new Int32Array(e.memory.buffer, out.ptr, n).fill(0);
    e.parallelFor('pool_probe_task', [out.ptr, -1, spin], n);
    return Array.from(new Int32Array(e.memory.buffer, out.ptr, n));
  } finally {
    out.free();
  }
}

const tick = () => new Promise((r) => setTimeout(r, 50)); // lets a respawned worker start
const describe = (e) => ({ name: e?.name, tid: e?.tid, message: String(e?.message ?? e) });

export async function runFaults() {
  await init({ threads: 3, wasmUrl: '/build/ntk.wasm', relaxedWasmUrl: '/build/ntk-relaxed.wasm', singleWasmUrl: '/build/ntk-single.wasm', workerUrl: '/dist/bindings/worker-browser.js' });
  const out = { threads: engine().threads };
  probe(8, 10);
  await tick();
  // 1. worker 1 crashes in its JS loop after claiming a job
  engine().pool.injectFault(1, 'throw');
  let t0 = performance.now();
  try { probe(400, 300000); out.crash = { error: null }; } catch (e) { out.crash = describe(e); }
  out.crash.ms = performance.now() - t0;
  out.crash.after = probe(200, 20000).every((t) => t >= 1 && t <= 3);
  await tick();
  // 2. worker 2 stops waking up: the calls go on without it, then it is named
  const saved = poolTuning.unresponsiveMs;
  poolTuning.unresponsiveMs = 1000;
  try {
    engine().pool.injectFault(2, 'hang');
    t0 = performance.now();
    out.stall = { completed: probe(64, 20000).every((t) => t >= 1 && t <= 3), error: null };
    while (!out.stall.error && performance.now() - t0 < 30000) {
      try { probe(16, 1000); } catch (e) { out.stall.error = describe(e); }
    }
    out.stall.ms = performance.now() - t0;
    const tids = probe(200, 20000);
    out.stall.after = tids.every((t) => t === 1 || t === 2);
  } finally {
    poolTuning.unresponsiveMs = saved;
  }
  engine().dispose();
  return out;
}
