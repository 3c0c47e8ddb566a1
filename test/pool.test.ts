import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gemm, gram, cholesky, eigh, arch, initNode, createNodeEngine, createBrowserEngine, OutOfMemoryError } from '../src/node.js';
import { Heap } from '../bindings/heap.js';
import { randomArray } from './helpers.js';

test('2 threads: gemm and gram are bit-identical to 1 thread', () => {
  // tiles never split k, and edge tiles add the same alpha*acc, so any tiling gives the same bits
  const cases: Array<[number, number, number]> = [[300, 517, 129], [1000, 40, 300]];
  const run = (threads: number) => {
    const e = initNode({ threads });
    assert.equal(e.threads, threads);
    const out: Float64Array[] = [];
    for (const [m, n, k] of cases) {
      out.push(gemm({ data: randomArray(m * k, m), rows: m, cols: k }, { data: randomArray(k * n, n), rows: k, cols: n }).data);
      out.push(gemm({ data: randomArray(m * k, m), rows: k, cols: m }, { data: randomArray(k * n, n), rows: n, cols: k }, { transA: true, transB: true, beta: 0 }).data);
    }
    out.push(gram({ data: randomArray(701 * 33, 9), rows: 701, cols: 33 }).data);
    return out;
  };
  const one = run(1), two = run(2);
  for (let i = 0; i < one.length; i++) assert.deepEqual(two[i], one[i], `case ${i}`);
});

test('2 threads: cholesky, eigh and an NTK Gram are bit-identical to 1 thread', () => {
  const n = 300;
  const X = { data: randomArray(n * 40, 5), rows: n, cols: 40 };
  const run = (threads: number) => {
    initNode({ threads });
    const G = gram(X);
    for (let i = 0; i < n; i++) G.data[i * n + i] += 1;
    const { values, vectors } = eigh(G);
    return [cholesky(G).data, values, vectors.data, arch('fc3').kernelFn(X, null, { get: 'ntk' }).ntk!.data];
  };
  const one = run(1), two = run(2);
  for (let i = 0; i < one.length; i++) assert.deepEqual(two[i], one[i], `result ${i}`);
});

test('1, 2 and 3 threads: eigh n = 700 (parallel blocked tridiagonalisation and panels) is bit-identical', () => {
  const n = 700;
  const A = { data: randomArray(n * n, 17), rows: n, cols: n };
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) A.data[j * n + i] = A.data[i * n + j];
  const run = (threads: number) => {
    initNode({ threads });
    const { values, vectors } = eigh(A);
    return [values, vectors.data];
  };
  const one = run(1), two = run(2), three = run(3);
  initNode({});
  for (let i = 0; i < one.length; i++) {
    assert.deepEqual(two[i], one[i], `result ${i}, 2 threads`);
    assert.deepEqual(three[i], one[i], `result ${i}, 3 threads`);
  }
});

test('pool: every task runs once, both threads take part, a worker error surfaces and the pool recovers', () => {
  const e = createNodeEngine({ threads: 2 });
  try {
    const n = 64;
    const out = e.buffer('f32', n); // i32 slots, reused as raw memory
    const slots = () => new Int32Array(e.memory.buffer, out.ptr, n);
    slots().fill(0);
    e.parallelFor('pool_probe_task', [out.ptr, -1, 1000000], n);
    const tids = Array.from(slots());
    assert.ok(tids.every((t) => t === 1 || t === 2), `every task ran: ${tids}`);
    assert.ok(tids.includes(1) && tids.includes(2), 'both the caller and the worker ran tasks');
    // a trap in the worker (tid 1) becomes an Error on the caller, not a hang
    assert.throws(() => e.parallelFor('pool_probe_task', [out.ptr, 1, 1000000], n), /failed in a worker: RuntimeError: unreachable/);
    // a trap on the calling thread surfaces too, after the worker has stopped
    assert.throws(() => e.parallelFor('pool_probe_task', [out.ptr, 0, 1000000], n), /unreachable/);
    assert.throws(() => e.parallelFor('no_such_kernel', [], 4), /'no_such_kernel' is not exported/);
    slots().fill(0);
    e.parallelFor('pool_probe_task', [out.ptr, -1, 1000], n);
    assert.ok(Array.from(slots()).every((t) => t === 1 || t === 2), 'the pool still works after errors');
  } finally {
    e.dispose();
  }
});

test('Heap: OutOfMemoryError names the request and the 4 GiB wasm32 limit', () => {
  // a fresh small memory: nothing near 4 GiB is ever allocated
  const mem = new WebAssembly.Memory({ initial: 1, maximum: 4 });
  const small = new Heap(mem, 0, 4);
  small.alloc(65536);
  assert.throws(() => small.alloc(5 * 65536), (e: unknown) => e instanceof OutOfMemoryError && /cannot allocate 320.0 KiB \(327680 bytes\)/.test((e as Error).message));
  const big = new Heap(new WebAssembly.Memory({ initial: 1, maximum: 8 }), 0);
  assert.throws(() => big.alloc(5 * 2 ** 30), /cannot allocate 5.00 GiB .*wasm32 addresses at most 4 GiB/);
  // growth refused by the memory's own maximum is reported the same way
  assert.throws(() => big.alloc(16 * 65536), OutOfMemoryError);
});

test('browser loader: compiles from a URL (fetch) and runs single-threaded off a Worker', async () => {
  const server = createServer((req, res) => {
    const file = req.url === '/ntk.wasm' ? 'build/ntk.wasm' : req.url === '/ntk-relaxed.wasm' ? 'build/ntk-relaxed.wasm' : 'build/ntk-single.wasm';
    res.writeHead(200, { 'content-type': 'application/wasm' });
    res.end(readFileSync(new URL(`../../${file}`, import.meta.url)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as { port: number }).port;
    const e = await createBrowserEngine({ wasmUrl: `http://127.0.0.1:${port}/ntk.wasm`, relaxedWasmUrl: `http://127.0.0.1:${port}/ntk-relaxed.wasm`, singleWasmUrl: `http://127.0.0.1:${port}/ntk-single.wasm`, threads: 4 });
    assert.equal(e.threads, 1); // not inside a Worker: no blocking waits, so no pool
    const A = e.from(new Float64Array([1, 2, 3, 4])), C = e.buffer('f64', 4);
    const work = e.threadScratch(e.call('gemm_f64_work_bytes'));
    e.call('gemm_f64', 0, 1, 2, 2, 2, 1, A.ptr, 2, A.ptr, 2, 0, C.ptr, 2, work);
    assert.deepEqual(Array.from(C.data), [5, 11, 11, 25]);
  } finally {
    server.close();
  }
});

test('without SharedArrayBuffer the single-memory build runs on one thread', () => {
  const entry = new URL('../src/node.js', import.meta.url).href;
  // Node 26 dropped --no-harmony-sharedarraybuffer: remove the global instead (what the loaders test)
  const script = `delete globalThis.SharedArrayBuffer; import(${JSON.stringify(entry)}).then((m) => {
    const e = m.initNode({ threads: 2 });
    const G = m.gram({ data: new Float64Array([1, 2, 3, 4]), rows: 2, cols: 2 });
    console.log(JSON.stringify([typeof SharedArrayBuffer, e.shared, e.threads, Array.from(G.data)]));
  })`;
  const env = { ...process.env, NTK_WASM: '' }; // a forced shared build cannot load here
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), ['undefined', false, 1, [5, 11, 11, 25]]);
  // forcing a shared-memory build there fails with the reason, not a crash in instantiation
  const forced = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...env, NTK_WASM: 'simd' } });
  assert.notEqual(forced.status, 0);
  assert.match(forced.stderr, /NTK_WASM=simd needs SharedArrayBuffer/);
});
