// A pool worker that exits (killed, crashed) must fail the call in bounded time with an error
// naming the worker, not hang the blocked caller; the engine then goes on working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNodeEngine } from '../src/node.js';
import { AtomicsPool, MAX_RESPAWNS } from '../bindings/pool.js';
import { WorkerExitError } from '../src/node.js';
import type { SupervisedWorkers } from '../bindings/node.js';
import type { Engine } from '../bindings/engine.js';
import { randomArray, gemmErrRatio, U64 } from './helpers.js';
import { probeThreads as probe, poolGemm } from './pool_helpers.js';

const group = (e: Engine) => (e.pool as AtomicsPool).workers as SupervisedWorkers;



test('a worker killed in the middle of a large GEMM fails the call naming it; the engine recovers', () => {
  const e = createNodeEngine({ threads: 3 });
  try {
    const n = 2048; // 17 GFlop: >= 0.4 s even on 2 idle cores, far longer than the 100 ms to the kill
    const A = randomArray(n * n, 1), B = randomArray(n * n, 2);
    probe(e, 8, 10); // workers started
    let t0 = 0;
    const killSoon = () => { group(e).killAfter(2, 100, true); t0 = Date.now(); };
    assert.throws(() => poolGemm(e, n, A, B, 128, killSoon), (err: unknown) => {
      assert.ok(err instanceof WorkerExitError, String(err));
      assert.equal(err.tid, 2);
      assert.match(err.message, /thread pool worker 2 exited \(exit code 1\) while running wasm kernel 'gemm_f64_task'.*stays usable/);
      return true;
    });
    const failedAfter = Date.now() - t0;
    assert.ok(failedAfter < 10000, `failed after ${failedAfter} ms`);
    console.log(`# the call failed ${failedAfter} ms after it started (kill at 100 ms)`);
    // the replacement worker takes part and results are right again
    const tids = probe(e, 60, 200000);
    assert.ok([1, 2, 3].every((t) => tids.includes(t)), `all three threads ran tasks after the respawn: ${tids}`);
    const m = 200, a = randomArray(m * m, 3), b = randomArray(m * m, 4);
    const c = poolGemm(e, m, a, b);
    assert.ok(gemmErrRatio(c, a, b, new Float64Array(m * m), m, m, m, false, false, 1, 0, U64) <= 1);
  } finally {
    e.dispose();
  }
});

test('a worker that dies while idle is replaced before the next call; repeated deaths ask for a new engine', async () => {
  const e = createNodeEngine({ threads: 2 });
  try {
    probe(e, 8, 10);
    group(e).killAfter(1, 0);
    await new Promise((r) => setTimeout(r, 300)); // idle: the event loop runs, the kill lands
    const tids = probe(e, 40, 200000); // no error: nothing was lost, the worker is replaced
    assert.ok(tids.includes(1) && tids.includes(2), `both threads ran tasks: ${tids}`);
    // kill during long probe jobs until the respawn budget is spent (one was used above)
    for (let i = 1; i < MAX_RESPAWNS; i++) {
      probe(e, 8, 10); // the replacement has started (a death while starting loses no work and is not an error)
      group(e).killAfter(1, 100, true);
      assert.throws(() => probe(e, 400, 3000000), /worker 1 exited .*stays usable/);
    }
    probe(e, 8, 10);
    group(e).killAfter(1, 100, true);
    assert.throws(() => probe(e, 400, 3000000), /worker 1 exited .*create a new engine/);
    assert.throws(() => probe(e, 4, 10), /replaced 3 workers already; create a new engine/);
  } finally {
    e.dispose();
  }
});
