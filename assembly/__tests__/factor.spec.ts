import { potrf_f64 } from "../linalg/cholesky";
import { trsm_small_f64 } from "../linalg/trsm";
import { tql_step } from "../linalg/tridiag_eig";

function ptr(a: StaticArray<f64>): usize { return changetype<usize>(a); }

describe("potrf_f64", () => {
  it("factors a 3x3 SPD matrix exactly", () => {
    // A = L L^T with L = [[2,0,0],[1,3,0],[-1,2,1]]
    const A: StaticArray<f64> = [4, 0, 0, 2, 10, 0, -2, 5, 6];
    expect<i32>(potrf_f64(ptr(A), 3, 3)).toBe(-1);
    const L: f64[] = [2, 0, 0, 1, 3, 0, -1, 2, 1];
    for (let i = 0; i < 3; i++) for (let j = 0; j <= i; j++) expect<f64>(A[i * 3 + j]).toBeCloseTo(L[i * 3 + j]);
  });
  it("reports the failing pivot and leaves its value on the diagonal", () => {
    const A: StaticArray<f64> = [1, 0, 1, 0];
    expect<i32>(potrf_f64(ptr(A), 2, 2)).toBe(1);
    expect<f64>(A[3]).toBeCloseTo(-1.0);
  });
});

describe("trsm_small_f64", () => {
  it("solves lower and transposed systems", () => {
    const T: StaticArray<f64> = [2, 0, 1, 4];
    const B: StaticArray<f64> = [2, 9]; // T x = B -> x = [1, 2]
    trsm_small_f64(1, 0, 2, ptr(T), 2, ptr(B), 1, 1);
    expect<f64>(B[0]).toBeCloseTo(1.0);
    expect<f64>(B[1]).toBeCloseTo(2.0);
    const C: StaticArray<f64> = [4, 8]; // T^T x = C: [[2,1],[0,4]] x = [4,8] -> x = [1, 2]
    trsm_small_f64(1, 1, 2, ptr(T), 2, ptr(C), 1, 1);
    expect<f64>(C[0]).toBeCloseTo(1.0);
    expect<f64>(C[1]).toBeCloseTo(2.0);
  });
});

describe("tql_step", () => {
  it("finds the eigenvalues of the 2x2 tridiagonal [[2,1],[1,2]]", () => {
    const d: StaticArray<f64> = [2, 2];
    const e: StaticArray<f64> = [1, 0];
    let l = 0, sweeps = 0;
    while (l < 2 && sweeps < 30) { const nl = tql_step(ptr(d), ptr(e), 2, 0, 0, 0, l, 3.0); if (nl == l) sweeps++; l = nl; }
    const lo = min(d[0], d[1]), hi = max(d[0], d[1]);
    expect<f64>(lo).toBeCloseTo(1.0);
    expect<f64>(hi).toBeCloseTo(3.0);
  });
});
