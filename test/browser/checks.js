// The computations both threads run, with checks against plain-JS references. Results
// (not just pass/fail) are returned so the test can compare main thread and worker.
import { init, engine, gemm, gram, cholesky, choSolve, eigh, arch } from '/dist/src/index.js';

function lcg(seed) {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296 - 0.5; };
}
const randn = (len, seed, T = Float64Array) => { const r = lcg(seed); return T.from({ length: len }, r); };

export async function run({ threads }) {
  await init({ threads, wasmUrl: '/build/ntk.wasm', relaxedWasmUrl: '/build/ntk-relaxed.wasm', singleWasmUrl: '/build/ntk-single.wasm', workerUrl: '/dist/bindings/worker-browser.js' });
  const { hasRelaxedSimd } = await import('/dist/bindings/select.js');
  const out = { crossOriginIsolated: globalThis.crossOriginIsolated === true, threads: engine().threads, build: engine().build, relaxedProbe: hasRelaxedSimd() };
  // GEMM big enough to be split over the pool (> 4e6 flops), odd shapes for edge tiles
  const m = 301, k = 203, n = 257;
  const A = { data: randn(m * k, 1), rows: m, cols: k }, B = { data: randn(k * n, 2), rows: k, cols: n };
  const C = gemm(A, B);
  let err = 0, ref = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += A.data[i * k + p] * B.data[p * n + j];
    err = Math.max(err, Math.abs(s - C.data[i * n + j])); ref = Math.max(ref, Math.abs(s));
  }
  out.gemmRelErr = err / ref;
  out.gemm = Array.from(C.data.subarray(0, 64));
  const A32 = { data: Float32Array.from(A.data), rows: m, cols: k }, B32 = { data: Float32Array.from(B.data), rows: k, cols: n };
  const C32 = gemm(A32, B32);
  let e32 = 0;
  for (let i = 0; i < m * n; i++) e32 = Math.max(e32, Math.abs(C32.data[i] - C.data[i]));
  out.gemmF32RelErr = e32 / ref;
  // SPD solve and eigendecomposition residuals
  const X = { data: randn(200 * 50, 3), rows: 200, cols: 50 };
  const G = gram(X);
  for (let i = 0; i < 200; i++) G.data[i * 200 + i] += 1;
  const b = { data: randn(200 * 3, 4), rows: 200, cols: 3 };
  const x = choSolve(cholesky(G), b);
  const Gx = gemm(G, x);
  out.solveResidual = Math.max(...Gx.data.map((v, i) => Math.abs(v - b.data[i])));
  const { values, vectors } = eigh(G);
  const GV = gemm(G, vectors);
  out.eighResidual = Math.max(...GV.data.map((v, i) => Math.abs(v - vectors.data[i] * values[i % 200]))) / values[0];
  // analytic FC1 NTK Gram on a few MNIST-sized inputs
  const Z = randn(40 * 784, 5).map((v) => v + 0.5);
  const K = arch('fc1').kernelFn({ data: Z, rows: 40, cols: 784 }, undefined, { get: 'ntk' });
  out.kernel = Array.from(K.ntk.data);
  return out;
}
