import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gram } from '../src/node.js';
import { randomArray, refGemm, gemmErrRatio, U32, U64 } from './helpers.js';

test('gram X X^T (f64, f32): exactly symmetric, within the dot-product error bound', () => {
  // n = 1 and primes that leave ragged tiles (tiles are 64..256 rows)
  for (const [n, d] of [[1, 1], [1, 5], [67, 3], [263, 129], [513, 17]]) {
    for (const dt of ['f64', 'f32'] as const) {
      const T = dt === 'f64' ? Float64Array : Float32Array;
      const X = T.from(randomArray(n * d, n + d));
      const G = gram({ data: X, rows: n, cols: d });
      assert.equal(G.rows, n); assert.equal(G.cols, n);
      assert.ok(G.data instanceof T);
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) assert.equal(G.data[i * n + j], G.data[j * n + i]);
      const r = gemmErrRatio(G.data, X, X, null, n, n, d, false, true, 1, 0, dt === 'f64' ? U64 : U32);
      assert.ok(r <= 1, `${dt} n=${n} d=${d}: error ${r} x bound`);
    }
  }
});

test('gram X Y^T matches the reference and d = 0 gives zeros', () => {
  const X = randomArray(37 * 11, 1), Y = randomArray(23 * 11, 2);
  const G = gram({ data: X, rows: 37, cols: 11 }, { data: Y, rows: 23, cols: 11 });
  assert.equal(G.rows, 37); assert.equal(G.cols, 23);
  assert.ok(gemmErrRatio(G.data, X, Y, null, 37, 23, 11, false, true, 1, 0, U64) <= 1);
  const Z = gram({ data: new Float64Array(0), rows: 4, cols: 0 });
  assert.deepEqual(Array.from(Z.data), new Array(16).fill(0));
  // the reference itself is right: X X^T of a known matrix
  assert.deepEqual(Array.from(refGemm([1, 2, 3, 4], [1, 2, 3, 4], 2, 2, 2, false, true)), [5, 11, 11, 25]);
  assert.deepEqual(Array.from(gram({ data: new Float64Array([1, 2, 3, 4]), rows: 2, cols: 2 }).data), [5, 11, 11, 25]);
});

test('gram rejects mismatched inputs', () => {
  const X = { data: new Float64Array(6), rows: 2, cols: 3 };
  assert.throws(() => gram(X, { data: new Float64Array(4), rows: 2, cols: 2 }), /X has 3 columns but Y has 2/);
  assert.throws(() => gram(X, { data: new Float32Array(6), rows: 2, cols: 3 } as any), /X is f64 but Y is f32/);
});

test('gramRaw with mirror = false writes the lower triangle (as gram) and leaves the strict upper one alone', async () => {
  const { gramRaw, engine } = await import('../src/node.js');
  const n = 600, d = 17, e = engine();
  const X = Float64Array.from(randomArray(n * d, 5));
  const full = gram({ data: X, rows: n, cols: d });
  const x = e.from(X), G = e.buffer('f64', n * n);
  try {
    G.data.fill(-7);
    gramRaw('f64', n, n, d, x.ptr, d, 0, d, G.ptr, n, false);
    const g = G.data;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      if (j <= i) assert.equal(g[i * n + j], full.data[i * n + j]);
      // tiles are 64, 128 or 256 rows: entries in different 256-row blocks lie off every diagonal tile
      else if (Math.floor(i / 256) !== Math.floor(j / 256)) assert.equal(g[i * n + j], -7, `(${i}, ${j}) outside the diagonal tiles was written`);
    }
  } finally { x.free(); G.free(); }
});
