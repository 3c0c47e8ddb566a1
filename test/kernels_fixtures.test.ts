// Analytic kernels vs the independent numpy reference (test/fixtures/make_kernel_fixtures.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { arch, type ImageShape } from '../src/node.js';

interface Case { name: string; shape: [number, number, number]; n: number; X: number[]; archs: Record<string, { ntk: number[]; nngp: number[] | null }> }
const fx = JSON.parse(readFileSync(new URL('../../test/fixtures/kernels.json', import.meta.url), 'utf8')) as { cases: Case[] };

// Entries of (nearly) parallel pairs -- the diagonal and the fixture's pair (0, n-1), x' = x + 1e-4
// noise -- are ill-conditioned in the covariance recursions: a rounding error of 1e-16 in
// c = nngp / sqrt(q q') moves arccos(c) by up to sqrt(2e-16) = 1.5e-8 near c = 1, in numpy as
// in ours. Those get 1e-7; every other entry must agree to 1e-12 relative.
function relErr(a: ArrayLike<number>, b: ArrayLike<number>, n: number, cols = n, wellConditioned = true): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) {
    const i = Math.floor(k / cols), j = k % cols;
    const near = i === j || (i === 0 && j === n - 1) || (i === n - 1 && j === 0);
    if (near === wellConditioned) continue;
    m = Math.max(m, Math.abs(a[k] - b[k]) / Math.abs(b[k]));
  }
  return m;
}
function check(a: ArrayLike<number>, b: ArrayLike<number>, n: number, what: string, cols = n): void {
  const good = relErr(a, b, n, cols, true), near = relErr(a, b, n, cols, false);
  assert.ok(good < 1e-12, `${what}: rel err ${good} on well-conditioned entries`);
  assert.ok(near < 1e-7, `${what}: rel err ${near} on (nearly) parallel pairs`);
}

for (const c of fx.cases) {
  for (const name of Object.keys(c.archs)) {
    test(`${name} Gram on ${c.name} matches the numpy reference to 1e-12`, () => {
      const X = { data: Float64Array.from(c.X), rows: c.n, cols: c.X.length / c.n };
      const ref = c.archs[name];
      const r = arch(name).kernelFn(X, null, { get: 'both', shape: c.shape as unknown as ImageShape });
      check(r.ntk!.data, ref.ntk, c.n, 'ntk');
      if (ref.nngp) check(r.nngp!.data, ref.nngp, c.n, 'nngp');
      else assert.equal(name, 'twolayer');
      // cross Gram (first two rows vs all) equals the same block of the symmetric one
      const X1 = { data: X.data.slice(0, 2 * X.cols), rows: 2, cols: X.cols };
      const rc = arch(name).kernelFn(X1, X, { get: 'ntk', shape: c.shape as unknown as ImageShape });
      check(rc.ntk!.data, ref.ntk.slice(0, 2 * c.n), c.n, 'cross Gram');
    });
  }
}
