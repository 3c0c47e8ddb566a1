import { gemm_f64, gemm_f64_work_bytes } from "../linalg/gemm_f64";
import { gemm_f32, gemm_f32_work_bytes, gemm_f32_pack_b, gemm_f32_packed_b, gemm_f32_packed_b_bytes } from "../linalg/gemm_f32";

// Deterministic pseudo-random fill in [-1, 1).
function fill(a: StaticArray<f64>, seed: u32): void {
  let s = seed;
  for (let i = 0; i < a.length; i++) {
    s = s * 1664525 + 1013904223;
    a[i] = <f64>(s >>> 8) / 8388608.0 - 1.0;
  }
}

function ptr<T>(a: StaticArray<T>): usize { return changetype<usize>(a); }

const work64 = new StaticArray<u8>(<i32>gemm_f64_work_bytes());
const work32 = new StaticArray<u8>(<i32>gemm_f32_work_bytes());

// Max of |C - ref| / (k * eps * (|alpha| sum|a||b| + |beta||c0|) + tiny): stays below a
// small constant when the kernel is right (rounding error grows at most ~k eps of the
// absolute sum), and is huge for any wrong entry.
function check(ta: i32, tb: i32, m: i32, n: i32, k: i32, f32: bool, beta: f64, alpha: f64 = 0.5): f64 {
  const A = new StaticArray<f64>(max(m * k, 1));
  const B = new StaticArray<f64>(max(k * n, 1));
  const C = new StaticArray<f64>(max(m * n, 1));
  fill(A, 1); fill(B, 2); fill(C, 3);
  if (beta == 0) C[0] = NaN; // beta == 0 must overwrite, not multiply, the old C
  const C0 = StaticArray.slice<f64>(C);
  const lda = ta ? m : k, ldb = tb ? k : n;
  const Cs = new StaticArray<f32>(max(m * n, 1));
  if (f32) {
    const As = new StaticArray<f32>(A.length), Bs = new StaticArray<f32>(B.length);
    for (let i = 0; i < A.length; i++) { As[i] = <f32>A[i]; A[i] = <f64>As[i]; }
    for (let i = 0; i < B.length; i++) { Bs[i] = <f32>B[i]; B[i] = <f64>Bs[i]; }
    for (let i = 0; i < C.length; i++) { Cs[i] = <f32>C[i]; C0[i] = <f64>Cs[i]; }
    gemm_f32(ta, tb, m, n, k, <f32>alpha, ptr(As), lda, ptr(Bs), ldb, <f32>beta, ptr(Cs), n, ptr(work32));
    for (let i = 0; i < C.length; i++) C[i] = <f64>Cs[i];
  } else {
    gemm_f64(ta, tb, m, n, k, alpha, ptr(A), lda, ptr(B), ldb, beta, ptr(C), n, ptr(work64));
  }
  const eps: f64 = f32 ? 5.96e-8 : 1.11e-16;
  let worst: f64 = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s: f64 = 0, sa: f64 = 0;
    for (let l = 0; l < k; l++) {
      const a = ta ? A[l * m + i] : A[i * k + l];
      const b = tb ? B[j * k + l] : B[l * n + j];
      s += a * b; sa += abs(a * b);
    }
    const c0 = beta == 0 ? 0 : C0[i * n + j];
    const want = alpha * s + beta * c0;
    const scale = <f64>(k + 2) * eps * (alpha * sa + abs(beta * c0)) + 1e-300;
    const got = C[i * n + j];
    if (isNaN(got)) return Infinity;
    worst = max(worst, abs(got - want) / scale);
  }
  return worst;
}

describe("gemm", () => {
  it("f64 and f32 match the triple loop on odd shapes and all transposes", () => {
    const shapes: i32[] = [1, 1, 1, 3, 5, 7, 17, 13, 11, 2, 9, 0, 33, 31, 64, 5, 3, 300];
    for (let s = 0; s + 2 < shapes.length; s += 3) {
      for (let ta = 0; ta < 2; ta++) for (let tb = 0; tb < 2; tb++) {
        expect<f64>(check(ta, tb, shapes[s], shapes[s + 1], shapes[s + 2], false, 2.0)).toBeLessThan(2.0);
        expect<f64>(check(ta, tb, shapes[s], shapes[s + 1], shapes[s + 2], true, 2.0)).toBeLessThan(2.0);
        expect<f64>(check(ta, tb, shapes[s], shapes[s + 1], shapes[s + 2], false, 0.0)).toBeLessThan(2.0);
      }
    }
  });
  it("crosses every cache block boundary (MC = 128, KC = 256, NC = 1024 / 2048)", () => {
    // f64 NC = 1024 is crossed by n = 1031; f32 NC = 2048 by n = 2053 (m small to stay fast)
    expect<f64>(check(0, 0, 131, 1031, 259, false, 0.0)).toBeLessThan(2.0);
    expect<f64>(check(1, 1, 131, 1031, 259, false, 1.0)).toBeLessThan(2.0);
    expect<f64>(check(0, 1, 9, 2053, 261, true, 0.0)).toBeLessThan(2.0);
    expect<f64>(check(1, 0, 133, 37, 513, true, 0.5)).toBeLessThan(2.0);
  });
  it("f32 C = A B in one k slice (alpha 1, beta 0: tiles stored without zeroing C) overwrites C, edge tiles too", () => {
    // check() puts a NaN in C[0] when beta == 0; k = 300 takes two slices (the usual path)
    const dims: i32[] = [13, 9, 5, 197, 203, 100, 6, 8, 256, 7, 17, 300];
    for (let s = 0; s < dims.length; s += 3) for (let ta = 0; ta < 2; ta++) for (let tb = 0; tb < 2; tb++)
      expect<f64>(check(ta, tb, dims[s], dims[s + 1], dims[s + 2], true, 0.0, 1.0)).toBeLessThan(2.0);
  });
  it("f32 with op(B) packed once (gemm_f32_pack_b) gives gemm_f32's bits, over k slices, edge tiles and both op(A)", () => {
    // k = 513: three k slices; n = 37: an edge column panel; m = 133: edge row tiles
    const dims: i32[] = [133, 37, 513, 7, 8, 16, 64, 128, 128, 1, 3, 5];
    for (let s = 0; s < dims.length; s += 3) for (let ta = 0; ta < 2; ta++) for (let tb = 0; tb < 2; tb++) {
      const m = dims[s], n = dims[s + 1], k = dims[s + 2];
      const A = new StaticArray<f32>(m * k), B = new StaticArray<f32>(k * n), A64 = new StaticArray<f64>(m * k), B64 = new StaticArray<f64>(k * n);
      fill(A64, 5); fill(B64, 6);
      for (let i = 0; i < A.length; i++) A[i] = <f32>A64[i];
      for (let i = 0; i < B.length; i++) B[i] = <f32>B64[i];
      const C1 = new StaticArray<f32>(m * n), C2 = new StaticArray<f32>(m * n);
      for (let i = 0; i < C1.length; i++) { C1[i] = <f32>(i % 7) - 3; C2[i] = C1[i]; }
      const Bp = new StaticArray<u8>(<i32>gemm_f32_packed_b_bytes(k, n));
      const lda = ta ? m : k, ldb = tb ? k : n;
      gemm_f32(ta, tb, m, n, k, 0.5, ptr(A), lda, ptr(B), ldb, 1.0, ptr(C1), n, ptr(work32));
      gemm_f32_pack_b(tb, k, n, ptr(B), ldb, ptr(Bp));
      gemm_f32_packed_b(ta, m, n, k, 0.5, ptr(A), lda, ptr(Bp), 1.0, ptr(C2), n, ptr(work32));
      let same = true;
      for (let i = 0; i < C1.length; i++) if (reinterpret<u32>(C1[i]) != reinterpret<u32>(C2[i])) same = false;
      expect<bool>(same).toBe(true);
    }
  });
});
