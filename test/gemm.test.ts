import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemm, gemmTiles } from '../src/node.js';
import { randomArray, refGemm, maxAbsDiff, gemmErrRatio, U32, U64 } from './helpers.js';

test('gemm f64 matches the reference on odd shapes, all transposes', () => {
  for (const [m, n, k] of [[1, 1, 1], [7, 5, 3], [13, 17, 11], [33, 31, 64], [2, 9, 0], [65, 67, 129]]) {
    for (const ta of [false, true]) for (const tb of [false, true]) {
      const A = randomArray(m * k, 1), B = randomArray(k * n, 2);
      const C = gemm({ data: A, rows: ta ? k : m, cols: ta ? m : k }, { data: B, rows: tb ? n : k, cols: tb ? k : n }, { transA: ta, transB: tb });
      const ref = refGemm(A, B, m, n, k, ta, tb);
      // entries are sums of k products of numbers in [-1,1]: error <= k * eps * k
      assert.ok(maxAbsDiff(C.data, ref) <= Math.max(k, 1) * 2.3e-16 * Math.max(k, 1), `${m}x${n}x${k} ta=${ta} tb=${tb}`);
    }
  }
});

test('gemm f64/f32 with alpha, beta across cache-block boundaries (MC 128, KC 256, NC 1024)', () => {
  // primes around the block sizes: edge micro-tiles, ragged kc, two nc blocks for f64
  for (const [m, n, k] of [[131, 1031, 263], [3, 2053, 17], [257, 5, 521]]) {
    for (const dt of ['f64', 'f32'] as const) {
      const ta = m === 257, tb = n === 1031;
      const T = dt === 'f64' ? Float64Array : Float32Array;
      const A = T.from(randomArray(m * k, 3)), B = T.from(randomArray(k * n, 4));
      const C0 = T.from(randomArray(m * n, 5));
      const out = { data: T.from(C0), rows: m, cols: n };
      gemm({ data: A, rows: ta ? k : m, cols: ta ? m : k }, { data: B, rows: tb ? n : k, cols: tb ? k : n },
        { transA: ta, transB: tb, alpha: -1.5, beta: 0.25, out });
      const r = gemmErrRatio(out.data, A, B, C0, m, n, k, ta, tb, -1.5, 0.25, dt === 'f64' ? U64 : U32);
      assert.ok(r <= 1, `${dt} ${m}x${n}x${k}: error ${r} x bound`);
    }
  }
});

test('gemm with beta = 0 overwrites NaN in the output; k = 0 gives beta C', () => {
  const A = randomArray(5 * 4, 6), B = randomArray(4 * 3, 7);
  const out = { data: new Float64Array(15).fill(NaN), rows: 5, cols: 3 };
  gemm({ data: A, rows: 5, cols: 4 }, { data: B, rows: 4, cols: 3 }, { out });
  assert.ok(maxAbsDiff(out.data, refGemm(A, B, 5, 3, 4)) < 1e-15);
  const c = { data: new Float32Array([1, 2, 3, 4]), rows: 2, cols: 2 };
  gemm({ data: new Float32Array(0), rows: 2, cols: 0 }, { data: new Float32Array(0), rows: 0, cols: 2 }, { beta: 3, out: c });
  assert.deepEqual(Array.from(c.data), [3, 6, 9, 12]);
});

test('gemm rejects mismatched shapes with a specific message', () => {
  const A = { data: new Float64Array(6), rows: 2, cols: 3 };
  assert.throws(() => gemm(A, A), /inner dimensions differ: op\(A\) is 2 x 3, op\(B\) is 2 x 3/);
  assert.throws(() => gemm(A, { data: new Float32Array(3), rows: 3, cols: 1 } as any), /A is f64 but B is f32/);
});

test('gemmTiles: one tile on one thread, >= 4 tiles per thread otherwise, covering C', () => {
  assert.deepEqual(gemmTiles(1000, 1000, 1000, 1), { tm: 1000, tn: 1000, tasks: 1 });
  for (const [m, n] of [[1000, 1000], [4096, 10], [7, 5000], [2048, 2048]]) {
    const { tm, tn, tasks } = gemmTiles(m, n, 512, 2);
    assert.equal(tasks, Math.ceil(m / tm) * Math.ceil(n / tn));
    assert.ok(tasks >= 8 || (tm <= 64 && tn <= 64) || tm >= m && tn <= 64 || tn >= n && tm <= 64, `${m}x${n}: ${tm}x${tn}`);
  }
});
