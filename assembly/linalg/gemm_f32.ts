// Row-major f32 GEMM: C = alpha op(A) op(B) + beta C; same structure as gemm_f64.ts with a 4 x 8 f32x4 micro-kernel.
// BLIS structure: for each nc-wide column block of C and kc-deep slice of k, op(B) is
// packed into NR-column micro-panels (stays in L2/L3); for each mc-tall row block, op(A)
// is packed into MR-row micro-panels (L2); the micro-kernel then sweeps MR x NR tiles,
// reusing one B micro-panel (kc*NR*4 = 8 KiB, L1) across the whole row block.
import { pack_a_f32, pack_b_f32 } from './pack';
import { mk_f32, mk_f32_set, MR_F32, NR_F32 } from './microkernel_f32';

// Cache blocks: A block 128 KiB (L2), B block 2 MiB (see gemm_f64.ts).
const KC: i32 = 256;
const MC: i32 = MR_F32 * 32; // 128 rows (SIMD) or 192 (relaxed): whole micro-panels, no edge tile
const NC: i32 = 2048;
const A_BYTES: usize = <usize>(MC * KC) << 2;
const B_BYTES: usize = <usize>(KC * NC) << 2;
const T_BYTES: usize = <usize>(MR_F32 * NR_F32) << 2;

/** Bytes of packing scratch gemm_f32 needs per thread. */
export function gemm_f32_work_bytes(): usize {
  return A_BYTES + B_BYTES + T_BYTES + 64;
}

/** C[0:m, 0:n] *= beta; beta == 0 stores zeros so NaN/Inf already in C cannot leak. */
export function scale_f32(m: i32, n: i32, beta: f32, C: usize, ldc: i32): void {
  if (beta == 1.0) return;
  for (let i = 0; i < m; i++) {
    const row = C + ((<usize>i * <usize>ldc) << 2);
    if (beta == 0.0) memory.fill(row, 0, <usize>n << 2);
    else for (let j = 0; j < n; j++) {
      const p = row + (<usize>j << 2);
      store<f32>(p, beta * load<f32>(p));
    }
  }
}

export function gemm_f32(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  A: usize, lda: i32, B: usize, ldb: i32, beta: f32, C: usize, ldc: i32, work: usize,
): void {
  gemmCore_f32(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, work, false, 0);
}

// equal k slices (784 -> 4 x 196, not 3 x 256 + 16): a thin last slice would pay the
// micro-kernel's C load/store for little work
@inline function kSlice(k: i32): i32 {
  const s = (k + KC - 1) / KC;
  return (k + s - 1) / s;
}

/** Bytes of gemm_f32_pack_b's output for a k x n op(B). */
export function gemm_f32_packed_b_bytes(k: i32, n: i32): usize {
  return <usize>k * <usize>((n + NR_F32 - 1) / NR_F32 * NR_F32) << 2;
}

/**
 * op(B) (k x n, n <= 2048) packed once, slice by slice as gemm_f32 packs it, for many
 * gemm_f32_packed_b calls that share B (a conv's transformed filter across image groups):
 * those then skip their own packing and give gemm_f32's bits.
 */
export function gemm_f32_pack_b(transB: i32, k: i32, n: i32, B: usize, ldb: i32, dst: usize): void {
  assert(n <= NC, 'gemm_f32_pack_b: n > NC');
  const kcb = kSlice(k), nPad = <usize>((n + NR_F32 - 1) / NR_F32 * NR_F32);
  for (let pc = 0; pc < k; pc += kcb) pack_b_f32(transB, B, ldb, pc, 0, min(kcb, k - pc), n, NR_F32, dst + (<usize>pc * nPad << 2));
}

/** gemm_f32 with op(B) already packed by gemm_f32_pack_b (same k, n). */
export function gemm_f32_packed_b(
  transA: i32, m: i32, n: i32, k: i32, alpha: f32,
  A: usize, lda: i32, Bp: usize, beta: f32, C: usize, ldc: i32, work: usize,
): void {
  gemmCore_f32(transA, 0, m, n, k, alpha, A, lda, 0, 0, beta, C, ldc, work, false, Bp);
}

/**
 * gemm_f32 computing only the micro-tiles that reach the lower triangle (column <= row) of
 * C: for the diagonal blocks of a symmetric product (X X^T), half the flops. Entries above
 * the diagonal are left scaled by beta or hold partial products; callers mirror them.
 */
export function gemm_f32_lower(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  A: usize, lda: i32, B: usize, ldb: i32, beta: f32, C: usize, ldc: i32, work: usize,
): void {
  gemmCore_f32(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, work, true, 0);
}

@inline function gemmCore_f32(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  A: usize, lda: i32, B: usize, ldb: i32, beta: f32, C: usize, ldc: i32, work: usize, lower: bool, Bpk: usize,
): void {
  if (m <= 0 || n <= 0) return;
  // C = A B in one k slice (beta 0, alpha 1: the Winograd convs' 36 plane GEMMs): tiles are
  // stored as they come, without zeroing C first and adding into it (the same values; a zero
  // product sum may keep its sign, where 0 + (-0) gave +0)
  const direct = beta == 0.0 && alpha == 1.0 && k > 0 && k <= KC && !lower;
  if (!direct) scale_f32(m, n, beta, C, ldc);
  if (k <= 0 || alpha == 0.0) return;
  const base = (work + 63) & ~(<usize>63);
  const Ap = base, Bp = base + A_BYTES, T = Bp + B_BYTES;
  const kcb = kSlice(k), nPad = <usize>((n + NR_F32 - 1) / NR_F32 * NR_F32);
  const ldcB = <usize>ldc << 2;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += kcb) {
      const kc = min(kcb, k - pc);
      // pre-packed (n <= NC, so jc = 0): slice pc starts pc nPad elements in
      const Bs = Bpk ? Bpk + (<usize>pc * nPad << 2) : Bp;
      if (!Bpk) pack_b_f32(transB, B, ldb, pc, jc, kc, nc, NR_F32, Bp);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        if (lower && jc > ic + mc - 1) continue;
        pack_a_f32(transA, A, lda, ic, pc, mc, kc, MR_F32, Ap);
        for (let jr = 0; jr < nc; jr += NR_F32) {
          const nr = min(NR_F32, nc - jr);
          const bp = Bs + (<usize>(jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += MR_F32) {
            const mr = min(MR_F32, mc - ir);
            if (lower && jc + jr > ic + ir + mr - 1) continue; // wholly above the diagonal
            const ap = Ap + (<usize>(ir * kc) << 2);
            const c = C + <usize>(ic + ir) * ldcB + (<usize>(jc + jr) << 2);
            if (mr == MR_F32 && nr == NR_F32) {
              if (direct) mk_f32_set(kc, ap, bp, c, ldcB);
              else mk_f32(kc, ap, bp, c, ldcB, alpha);
            } else {
              // edge tile: full tile into scratch, then add (direct: copy) the valid part
              memory.fill(T, 0, T_BYTES);
              mk_f32(kc, ap, bp, T, <usize>NR_F32 << 2, alpha);
              for (let r = 0; r < mr; r++) for (let s = 0; s < nr; s++) {
                const q = c + <usize>r * ldcB + (<usize>s << 2), t = load<f32>(T + (<usize>(r * NR_F32 + s) << 2));
                store<f32>(q, direct ? t : load<f32>(q) + t);
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
export function gemm_f32_task(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  A: usize, lda: i32, B: usize, ldb: i32, beta: f32, C: usize, ldc: i32,
  work: usize, workBytes: usize, tm: i32, tn: i32, task: i32, tid: i32,
): void {
  const ntn = (n + tn - 1) / tn;
  const i0 = (task / ntn) * tm, j0 = (task % ntn) * tn;
  if (i0 >= m) return;
  const a = transA ? A + (<usize>i0 << 2) : A + ((<usize>i0 * <usize>lda) << 2);
  const b = transB ? B + ((<usize>j0 * <usize>ldb) << 2) : B + (<usize>j0 << 2);
  const c = C + ((<usize>i0 * <usize>ldc + <usize>j0) << 2);
  gemm_f32(transA, transB, min(tm, m - i0), min(tn, n - j0), k, alpha, a, lda, b, ldb, beta, c, ldc,
    work + <usize>tid * workBytes);
}
