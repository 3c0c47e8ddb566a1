// Bench case: Cholesky + solve (10 right-hand sides) and eigh (values + vectors), ours vs
// scipy/numpy (OpenBLAS, thread count matched) and ml-matrix (small n only: it is slow).
import { initNode, engine, cholesky, choSolve, choleskyInPlace, choSolveInPlace, eigh, type Matrix } from '../../src/node.js';
import { coldAndMedian, runPythonFile, type Ctx, type Row } from '../harness.js';
import { loadMlMatrix } from '../peers.js';

/** scipy cho_factor + cho_solve, or numpy eigh (bench/factor-peers.py): median seconds or null. */
function python(op: 'chol' | 'eigh', n: number, reps: number, threads: number): number | null {
  return runPythonFile('factor-peers.py', [op, String(n), String(reps)], threads)?.median ?? null;
}

function uniformSym(n: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const rnd = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296 - 0.5; };
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rnd();
  return a;
}

/** ml-matrix (pure JS) on the same matrix: seconds of one run, or null when unavailable. */
function mlMatrix(op: 'chol' | 'eigh', A: Float64Array, n: number, B?: Float64Array): number | null {
  const ml = loadMlMatrix();
  if (!ml) return null;
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) rows.push(Array.from(A.subarray(i * n, i * n + n)));
  const M = new ml.Matrix(rows);
  const t = performance.now();
  if (op === 'chol') {
    const c = new ml.CholeskyDecomposition(M);
    const b: number[][] = [];
    for (let i = 0; i < n; i++) b.push(Array.from(B!.subarray(i * 10, i * 10 + 10)));
    c.solve(new ml.Matrix(b));
  } else {
    new ml.EigenvalueDecomposition(M, { assumeSymmetric: true });
  }
  return (performance.now() - t) / 1000;
}

export async function run(ctx: Ctx): Promise<Row[]> {
  const sizes = ctx.quick ? [512, 1024] : [512, 1024, 2048, 4096];
  // ml-matrix is pure JS: Cholesky up to 1024, eigh up to 2048 (~1 min there) for the ratio
  const mlMax = ctx.quick ? 512 : 1024, mlEighMax = ctx.quick ? 512 : 2048;
  const rows: Row[] = [];
  for (const threads of ctx.threads) {
    initNode({ threads });
    for (const n of sizes) {
      const reps = n <= 1024 ? 3 : 1;
      {
        const S = uniformSym(n, n);
        for (let i = 0; i < n; i++) S[i * n + i] += n;
        const A: Matrix<Float64Array> = { data: S, rows: n, cols: n };
        const B: Matrix<Float64Array> = { data: uniformSym(n, 7).subarray(0, n * 10), rows: n, cols: 10 };
        const t = coldAndMedian(() => { choSolve(cholesky(A), B); }, reps);
        const scipy = python('chol', n, reps, threads);
        rows.push({
          op: 'cholesky+solve(10)', size: String(n), threads, ours_s: t.median, cold_s: t.cold,
          gflops: (n ** 3 / 3 + 4 * n * n * 10) / t.median / 1e9,
          peers: {
            scipy,
            'ml-matrix': n <= mlMax && threads === 1 ? mlMatrix('chol', S, n, B.data) : null,
          },
        });
        // The same work on wasm buffers (copy A in, factor in place, solve), as scipy's
        // cho_factor copies A too. The row above also pays for a fresh n x n JS array for L,
        // whose first touch costs ~0.4 s per 128 MB on this VM (numpy gets huge pages).
        const eng = engine(), Aw = eng.buffer('f64', n * n), Bw = eng.buffer('f64', n * 10);
        try {
          const tw = coldAndMedian(() => { Aw.data.set(S); Bw.data.set(B.data); choleskyInPlace(Aw, n); choSolveInPlace(Aw, n, Bw, 10); }, reps);
          rows.push({ op: 'cholesky+solve(10) in wasm memory', size: String(n), threads, ours_s: tw.median, cold_s: tw.cold, gflops: (n ** 3 / 3 + 4 * n * n * 10) / tw.median / 1e9, peers: { scipy } });
        } finally { Aw.free(); Bw.free(); }
      }
      {
        const A: Matrix<Float64Array> = { data: uniformSym(n, n + 1), rows: n, cols: n };
        const t = coldAndMedian(() => { eigh(A); }, n <= 1024 ? 2 : 1);
        rows.push({
          op: 'eigh', size: String(n), threads, ours_s: t.median, cold_s: t.cold,
          peers: {
            numpy: python('eigh', n, n <= 1024 ? 2 : 1, threads),
            'ml-matrix': n <= mlEighMax && threads === 1 ? mlMatrix('eigh', A.data, n) : null,
          },
        });
      }
    }
  }
  return rows;
}
