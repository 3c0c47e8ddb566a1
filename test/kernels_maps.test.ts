// The per-layer TypeScript maps (src/kernels/maps.ts) agree with the wasm interpreter, values
// and input gradients, for every preset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arch, type ImageShape, type Matrix } from '../src/node.js';
import { referencePair, referencePairGrad } from '../src/kernels/maps.js';
import { rng } from './helpers.js';

function randMat(rows: number, cols: number, seed: number): Matrix<Float64Array> {
  const r = rng(seed), data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = r();
  return { data, rows, cols };
}

for (const [name, shape] of [['fc1', [6, 6, 1]], ['fc3', [4, 4, 3]], ['conv1', [5, 4, 3]], ['conv2', [6, 6, 1]], ['twolayer', [6, 6, 1]]] as [string, ImageShape][]) {
  test(`${name}: TypeScript layer maps match the wasm kernels (values and gradients)`, () => {
    const d = shape[0] * shape[1] * shape[2], n = 4;
    const X = randMat(n, d, 31), x = randMat(1, d, 32);
    const k = arch(name);
    const K = k.kernelFn(x, X, { get: name === 'twolayer' ? 'ntk' : 'both', shape });
    const J = k.kernelJacobian(x, X, { shape });
    for (let i = 0; i < n; i++) {
      const y = X.data.subarray(i * d, (i + 1) * d);
      const ref = referencePair(k.layers, x.data, y, shape);
      assert.ok(Math.abs(K.ntk!.data[i] - ref.ntk) <= 1e-12 * Math.abs(ref.ntk), `ntk ${i}`);
      if (K.nngp) assert.ok(Math.abs(K.nngp.data[i] - ref.nngp) <= 1e-12 * Math.abs(ref.nngp), `nngp ${i}`);
      const g = referencePairGrad(k.layers, x.data, y, 'ntk', shape);
      let num = 0, den = 0;
      for (let j = 0; j < d; j++) { num += (g[j] - J.data[i * d + j]) ** 2; den += g[j] ** 2; }
      assert.ok(Math.sqrt(num / den) < 1e-11, `gradient ${i}: rel ${Math.sqrt(num / den)}`);
    }
  });
}
