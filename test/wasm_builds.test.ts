// The four wasm builds and how one is picked: the relaxed-SIMD probe agrees with the real
// relaxed module, NTK_WASM forces a build or fails clearly, and every build that runs here
// matches plain-JS references (each build against the reference, not against each other: FMA
// rounds once, so relaxed and SIMD results differ in the last bits).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { initNode, gemm, gram, cholesky, choSolve } from '../src/node.js';
import { chooseBuild, hasRelaxedSimd, hasSimd, nodeV8Major, RELAXED_MIN_V8 } from '../bindings/select.js';
import { randomArray, refGemm, gemmErrRatio, maxAbsDiff, U64, U32 } from './helpers.js';

const wasm = (f: string) => readFileSync(new URL(`../../build/${f}`, import.meta.url));
// Node 20 has relaxed SIMD behind a flag; later versions (and a flagless probe) need none
const FLAG = '--experimental-wasm-relaxed-simd';

test('the relaxed-SIMD probe says exactly whether this runtime compiles the relaxed build', () => {
  assert.ok(hasSimd(), 'plain SIMD probe (same framing as the relaxed one) validates');
  assert.ok(WebAssembly.validate(wasm('ntk.wasm')) && WebAssembly.validate(wasm('ntk-single.wasm')));
  assert.equal(hasRelaxedSimd(), WebAssembly.validate(wasm('ntk-relaxed.wasm')));
  const v8 = nodeV8Major();
  assert.ok(v8 !== null && v8 === Number(process.versions.v8.split('.')[0]), `V8 major ${v8}`);
  assert.equal(WebAssembly.validate(wasm('ntk-relaxed4.wasm')), hasRelaxedSimd());
  assert.equal(chooseBuild(true), !hasRelaxedSimd() ? 'simd' : v8 >= RELAXED_MIN_V8 ? 'relaxed' : 'relaxed4');
  assert.equal(chooseBuild(false), 'single');
});

test('NTK_WASM forces a build, and says why when it cannot', () => {
  assert.equal(chooseBuild(true, 'simd'), 'simd');
  assert.throws(() => chooseBuild(true, 'avx'), /NTK_WASM must be 'simd', 'relaxed' or 'relaxed4', got 'avx'/);
  assert.throws(() => chooseBuild(false, 'relaxed'), /needs SharedArrayBuffer/);
  for (const b of ['relaxed', 'relaxed4']) {
    if (hasRelaxedSimd()) assert.equal(chooseBuild(true, b), b);
    else assert.throws(() => chooseBuild(true, b), new RegExp(`NTK_WASM=${b}: this runtime has no relaxed SIMD .*--experimental-wasm-relaxed-simd`));
  }
});

/** Max error ratio (<= 1 passes) of f64 and f32 GEMMs whose shapes cross the 6-row micro-tile and MC = 192. */
function gemmChecks(): number {
  let worst = 0;
  for (const [m, n, k] of [[197, 203, 300], [13, 9, 5], [385, 37, 64]]) {
    for (const dt of ['f64', 'f32'] as const) for (const [ta, tb] of [[false, false], [true, true], [false, true]]) {
      const T = dt === 'f64' ? Float64Array : Float32Array;
      const A = T.from(randomArray(m * k, m + k)), B = T.from(randomArray(k * n, n)), C0 = T.from(randomArray(m * n, 7));
      const out = { data: T.from(C0), rows: m, cols: n };
      gemm({ data: A, rows: ta ? k : m, cols: ta ? m : k }, { data: B, rows: tb ? n : k, cols: tb ? k : n },
        { transA: ta, transB: tb, alpha: 0.7, beta: -0.3, out });
      worst = Math.max(worst, gemmErrRatio(out.data, A, B, C0, m, n, k, ta, tb, 0.7, -0.3, dt === 'f64' ? U64 : U32));
    }
  }
  return worst;
}

for (const build of ['simd', 'relaxed', 'relaxed4'] as const) {
  test(`${build} build: GEMM, Gram and Cholesky match the references (1 and 2 threads)`, { skip: build !== 'simd' && !hasRelaxedSimd() ? 'no relaxed SIMD in this runtime (checked by the child-process test below)' : false }, () => {
    try {
      for (const threads of [1, 2]) {
        const e = initNode({ threads, wasm: build });
        assert.equal(e.build, build);
        assert.ok(gemmChecks() <= 1, `${build}, ${threads} threads`);
        const n = 150, d = 40;
        const X = randomArray(n * d, 11);
        const G = gram({ data: X, rows: n, cols: d });
        const ref = refGemm(X, X, n, n, d, false, true);
        assert.ok(maxAbsDiff(G.data, ref) <= d * 4 * U64 * d, 'gram');
        for (let i = 0; i < n; i++) G.data[i * n + i] += n; // well conditioned SPD
        const L = cholesky(G), b = randomArray(n * 2, 12);
        const x = choSolve(L, { data: b, rows: n, cols: 2 });
        for (let i = 0; i < n; i++) ref[i * n + i] += n;
        assert.ok(maxAbsDiff(refGemm(ref, x.data, n, 2, n), b) < 1e-11, 'cholesky solve residual');
      }
    } finally {
      initNode({});
    }
  });
}

test('Node 20 with --experimental-wasm-relaxed-simd picks the relaxed4 build by itself (V8 11: 4-row FMA tiles), and it and the relaxed build are right', { skip: hasRelaxedSimd() ? 'relaxed SIMD is on without a flag here (tested in-process above)' : false }, () => {
  const node = new URL('../src/node.js', import.meta.url).href, helpers = new URL('./helpers.js', import.meta.url).href;
  const script = `Promise.all([import(${JSON.stringify(node)}), import(${JSON.stringify(helpers)})]).then(([m, h]) => {
    const auto = m.initNode({ threads: 2 }).build;
    let worst = 0, e;
    for (const b of ['relaxed4', 'relaxed']) for (const [mm, nn, k] of [[197, 203, 300], [385, 37, 64]]) for (const dt of ['f64', 'f32']) {
      e = m.initNode({ threads: 2, wasm: b });
      const T = dt === 'f64' ? Float64Array : Float32Array;
      const A = T.from(h.randomArray(mm * k, 1)), B = T.from(h.randomArray(k * nn, 2));
      const C = m.gemm({ data: A, rows: mm, cols: k }, { data: B, rows: k, cols: nn });
      worst = Math.max(worst, h.gemmErrRatio(C.data, A, B, null, mm, nn, k, false, false, 1, 0, dt === 'f64' ? h.U64 : h.U32));
    }
    console.log(JSON.stringify({ auto, build: e.build, worst }));
    e.dispose();
  })`;
  const r = spawnSync(process.execPath, [FLAG, '-e', script], { encoding: 'utf8', env: { ...process.env, NTK_WASM: '' } });
  assert.equal(r.status, 0, r.stderr);
  const { auto, build, worst } = JSON.parse(r.stdout);
  assert.equal(auto, 'relaxed4');
  assert.equal(build, 'relaxed');
  assert.ok(worst <= 1, `error ratio ${worst}`);
});

test('Node 20 without the flag: NTK_WASM=relaxed4 (or relaxed) turns relaxed SIMD on for the process and loads that build, right; unasked it stays on the SIMD build', { skip: hasRelaxedSimd() || nodeV8Major() !== 11 ? 'only Node 20 (V8 11) has relaxed SIMD behind a flag' : false }, () => {
  const node = new URL('../src/node.js', import.meta.url).href, helpers = new URL('./helpers.js', import.meta.url).href;
  const script = `Promise.all([import(${JSON.stringify(node)}), import(${JSON.stringify(helpers)})]).then(([m, h]) => {
    const e = m.initNode({ threads: 2 });
    const T = Float32Array, A = T.from(h.randomArray(197 * 300, 1)), B = T.from(h.randomArray(300 * 203, 2));
    const C = m.gemm({ data: A, rows: 197, cols: 300 }, { data: B, rows: 300, cols: 203 });
    console.log(JSON.stringify({ build: e.build, worst: h.gemmErrRatio(C.data, A, B, null, 197, 203, 300, false, false, 1, 0, h.U32) }));
    e.dispose();
  })`;
  for (const want of ['relaxed4', 'relaxed', '']) {
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, NTK_WASM: want } });
    assert.equal(r.status, 0, r.stderr);
    const { build, worst } = JSON.parse(r.stdout);
    assert.equal(build, want || 'simd');
    assert.ok(worst <= 1, `${want}: error ratio ${worst}`);
  }
});
