import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemm } from '../src/node.js';
import { randomArray, refGemm, maxAbsDiff } from './helpers.js';

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

test('gemm rejects mismatched shapes with a specific message', () => {
  const A = { data: new Float64Array(6), rows: 2, cols: 3 };
  assert.throws(() => gemm(A, A), /inner dimensions differ: op\(A\) is 2 x 3, op\(B\) is 2 x 3/);
});
