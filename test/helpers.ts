// Shared test utilities: a seeded RNG and plain-JS reference linear algebra.
export function rng(seed: number): () => number {
  // mulberry32: small, deterministic, good enough for test data
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randn(r: () => number): number {
  const u = Math.max(r(), 1e-300), v = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const r = rng(seed);
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

/** Reference C = op(A) op(B) in f64, row-major. */
export function refGemm(A: ArrayLike<number>, B: ArrayLike<number>, m: number, n: number, k: number, transA = false, transB = false): Float64Array {
  const C = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let l = 0; l < k; l++) s += (transA ? A[l * m + i] : A[i * k + l]) * (transB ? B[j * k + l] : B[l * n + j]);
      C[i * n + j] = s;
    }
  return C;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
