// Row-major f64 GEMM: C = alpha op(A) op(B) + beta C, op(X) = X or X^T.
// BLIS structure: for each nc-wide column block of C and kc-deep slice of k, op(B) is
// packed into NR-column micro-panels (stays in L2/L3); for each mc-tall row block, op(A)
// is packed into MR-row micro-panels (L2); the micro-kernel then sweeps MR x NR tiles,
// reusing one B micro-panel (kc*NR*8 = 8 KiB, L1) across the whole row block.
import { pack_a_f64, pack_b_f64 } from './pack';
import { mk_f64, MR_F64, NR_F64 } from './microkernel_f64';

// Cache blocks: A block 256 KiB (L2), B block 2 MiB. KC/MC/NC in 192..512/64..128/1024..2048
// measured within noise of each other on Zen 4 (~20 GF/s): the micro-kernel is the limit.
const KC: i32 = 256;
const MC: i32 = MR_F64 * 32; // 128 rows (SIMD) or 192 (relaxed): whole micro-panels, no edge tile
const NC: i32 = 1024;
const A_BYTES: usize = <usize>(MC * KC) << 3;
const B_BYTES: usize = <usize>(KC * NC) << 3;
const T_BYTES: usize = <usize>(MR_F64 * NR_F64) << 3;

/** Bytes of packing scratch gemm_f64 needs per thread. */
export function gemm_f64_work_bytes(): usize {
  return A_BYTES + B_BYTES + T_BYTES + 64;
}

/** C[0:m, 0:n] *= beta; beta == 0 stores zeros so NaN/Inf already in C cannot leak. */
export function scale_f64(m: i32, n: i32, beta: f64, C: usize, ldc: i32): void {
  if (beta == 1.0) return;
  for (let i = 0; i < m; i++) {
    const row = C + ((<usize>i * <usize>ldc) << 3);
    if (beta == 0.0) memory.fill(row, 0, <usize>n << 3);
    else for (let j = 0; j < n; j++) {
      const p = row + (<usize>j << 3);
      store<f64>(p, beta * load<f64>(p));
    }
  }
}

export function gemm_f64(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f64,
  A: usize, lda: i32, B: usize, ldb: i32, beta: f64, C: usize, ldc: i32, work: usize,
): void {
  gemmCore_f64(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, work, false);
}

/**
 * gemm_f64 computing only the micro-tiles that reach the lower triangle (column <= row) of
 * C: for the diagonal blocks of a symmetric product (X X^T), half the flops. Entries above
 * the diagonal are left scaled by beta or hold partial products; callers mirror them.
 */
export function gemm_f64_lower(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f64,
  A: usize, lda: i32, B: usize, ldb: i32, beta: f64, C: usize, ldc: i32, work: usize,
): void {
  gemmCore_f64(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, work, true);
}

@inline function gemmCore_f64(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f64,
  A: usize, lda: i32, B: usize, ldb: i32, beta: f64, C: usize, ldc: i32, work: usize, lower: bool,
): void {
  if (m <= 0 || n <= 0) return;
  scale_f64(m, n, beta, C, ldc);
  if (k <= 0 || alpha == 0.0) return;
  const base = (work + 63) & ~(<usize>63);
  const Ap = base, Bp = base + A_BYTES, T = Bp + B_BYTES;
  // equal k slices (784 -> 4 x 196, not 3 x 256 + 16): a thin last slice would pay the
  // micro-kernel's C load/store for little work
  const kcb = (k + ((k + KC - 1) / KC) - 1) / ((k + KC - 1) / KC);
  const ldcB = <usize>ldc << 3;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += kcb) {
      const kc = min(kcb, k - pc);
      pack_b_f64(transB, B, ldb, pc, jc, kc, nc, NR_F64, Bp);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        if (lower && jc > ic + mc - 1) continue;
        pack_a_f64(transA, A, lda, ic, pc, mc, kc, MR_F64, Ap);
        for (let jr = 0; jr < nc; jr += NR_F64) {
          const nr = min(NR_F64, nc - jr);
          const bp = Bp + (<usize>(jr * kc) << 3);
          for (let ir = 0; ir < mc; ir += MR_F64) {
            const mr = min(MR_F64, mc - ir);
            if (lower && jc + jr > ic + ir + mr - 1) continue; // wholly above the diagonal
            const ap = Ap + (<usize>(ir * kc) << 3);
            const c = C + <usize>(ic + ir) * ldcB + (<usize>(jc + jr) << 3);
            if (mr == MR_F64 && nr == NR_F64) {
              mk_f64(kc, ap, bp, c, ldcB, alpha);
            } else {
              // edge tile: full tile into scratch, then add the valid part
              memory.fill(T, 0, T_BYTES);
              mk_f64(kc, ap, bp, T, <usize>NR_F64 << 3, alpha);
              for (let r = 0; r < mr; r++) for (let s = 0; s < nr; s++) {
                const q = c + <usize>r * ldcB + (<usize>s << 3);
                store<f64>(q, load<f64>(q) + load<f64>(T + (<usize>(r * NR_F64 + s) << 3)));
              }
            }
          }
        }
      }
    }
  }
}

/**
 * Task kernel: the tile (task / ceil(n/tn), task % ceil(n/tn)) of tm x tn entries of C,
 * with per-thread scratch at work + tid * workBytes. Tiles are independent, so threads
 * need no synchronisation.
 */
export function gemm_f64_task(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f64,
  A: usize, lda: i32, B: usize, ldb: i32, beta: f64, C: usize, ldc: i32,
  work: usize, workBytes: usize, tm: i32, tn: i32, task: i32, tid: i32,
): void {
  const ntn = (n + tn - 1) / tn;
  const i0 = (task / ntn) * tm, j0 = (task % ntn) * tn;
  if (i0 >= m) return;
  const a = transA ? A + (<usize>i0 << 3) : A + ((<usize>i0 * <usize>lda) << 3);
  const b = transB ? B + ((<usize>j0 * <usize>ldb) << 3) : B + (<usize>j0 << 3);
  const c = C + ((<usize>i0 * <usize>ldc + <usize>j0) << 3);
  gemm_f64(transA, transB, min(tm, m - i0), min(tn, n - j0), k, alpha, a, lda, b, ldb, beta, c, ldc,
    work + <usize>tid * workBytes);
}
