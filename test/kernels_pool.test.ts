// Task kernels must not depend on task order or share scratch across threads: run them on a
// stand-in two-thread pool (tasks in reverse order, alternating tids) and compare bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arch, engine, serial, flatten, dense, relu, type Matrix } from '../src/node.js';
import { rng } from './helpers.js';

function randMat(rows: number, cols: number, seed: number): Matrix<Float64Array> {
  const r = rng(seed), data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = r();
  return { data, rows, cols };
}

test('Gram and VJP results do not depend on task order or thread ids', () => {
  const e = engine();
  const X = randMat(40, 36, 1), Y = randMat(7, 36, 2), W = randMat(7, 40, 3);
  const compute = () => ['fc3', 'conv2', 'twolayer'].flatMap((name) => {
    const k = arch(name), opts = { shape: [6, 6, 1] as const };
    return [k.kernelFn(X, null, { ...opts, get: name === 'twolayer' ? 'ntk' : 'both' }), k.kernelFn(Y, X, opts), k.kernelVjp(Y, X, W, opts), k.kernelValueAndVjp(Y, X, (K) => [W, K], opts)];
  });
  const serialRes = compute();
  const saved = e.pool;
  e.pool = {
    size: 2,
    run(name, args, nTasks) {
      const f = e.exports[name];
      for (let t = nTasks - 1; t >= 0; t--) f(...args, t, t % 2);
    },
    terminate() {},
  };
  try {
    assert.deepEqual(compute(), serialRes);
  } finally {
    e.pool = saved;
  }
});

test('zero inputs with zero bias stay finite (c = 0 where q q\' = 0) and gradients are finite', () => {
  const X = randMat(4, 10, 5);
  X.data.fill(0, 0, 10); // row 0 is all zeros
  const k = serial(flatten(), dense({ wStd: 1, bStd: 0 }), relu(), dense({ wStd: 1, bStd: 0 }));
  const r = k.kernelFn(X, null, { get: 'both' });
  for (const v of [...r.ntk!.data, ...r.nngp!.data]) assert.ok(Number.isFinite(v));
  assert.equal(r.ntk!.data[0], 0);
  const g = k.kernelVjp(X, X, randMat(4, 4, 6));
  for (const v of g.data) assert.ok(Number.isFinite(v));
  const t = arch('twolayer').kernelFn(X).ntk!;
  for (const v of t.data) assert.ok(Number.isFinite(v));
});
