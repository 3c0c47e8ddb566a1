import { gemm_f64 } from "../linalg/gemm_f64";

// Deterministic pseudo-random fill in [-1, 1).
function fill(a: StaticArray<f64>, seed: u32): void {
  let s = seed;
  for (let i = 0; i < a.length; i++) {
    s = s * 1664525 + 1013904223;
    a[i] = <f64>(s >>> 8) / 8388608.0 - 1.0;
  }
}

function ptr(a: StaticArray<f64>): usize { return changetype<usize>(a); }

function check(ta: i32, tb: i32, m: i32, n: i32, k: i32): f64 {
  const A = new StaticArray<f64>(max(m * k, 1));
  const B = new StaticArray<f64>(max(k * n, 1));
  const C = new StaticArray<f64>(max(m * n, 1));
  fill(A, 1); fill(B, 2); fill(C, 3);
  const C0 = StaticArray.slice<f64>(C);
  const lda = ta ? m : k, ldb = tb ? k : n;
  gemm_f64(ta, tb, m, n, k, 0.5, ptr(A), lda, ptr(B), ldb, 2.0, ptr(C), n, 0);
  let err: f64 = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s: f64 = 0;
    for (let l = 0; l < k; l++) {
      const a = ta ? A[l * m + i] : A[i * k + l];
      const b = tb ? B[j * k + l] : B[l * n + j];
      s += a * b;
    }
    const want = 0.5 * s + 2.0 * C0[i * n + j];
    err = max(err, abs(C[i * n + j] - want));
  }
  return err;
}

describe("gemm_f64", () => {
  it("matches the triple loop on odd shapes and all transposes", () => {
    const shapes: i32[] = [1, 1, 1, 3, 5, 7, 17, 13, 11, 2, 9, 0, 33, 31, 64];
    for (let s = 0; s + 2 < shapes.length; s += 3) {
      for (let ta = 0; ta < 2; ta++) for (let tb = 0; tb < 2; tb++) {
        // |a|,|b| < 1 and k <= 64, so rounding error is below k * 2^-52 * (sum of |terms|)
        expect<f64>(check(ta, tb, shapes[s], shapes[s + 1], shapes[s + 2])).toBeLessThan(1e-13);
      }
    }
  });
});
