// Empirical-NTK conv rows by Winograd F(4x4, 3x3) (H, W multiples of 4; Cin, Cout multiples of
// 4): dW_r = s G^T (sum_t V_t o A g_{r,t} A^T) G per J row r = (sample, output), 36 GEMMs of
// Cin x cols x tiles where F(2x2) (jacobian.ts convRowsWino) needs 16 of 4x the tiles: 1.78x
// fewer multiplications. The GEMMs have only the tile count as depth (16 at 16 x 16), so their
// 36 outputs (36 Cin Cout per row: 2.4 MB for a 128 -> 128 layer) would not stay in cache; the
// packed f32 route instead runs the 36 micro-tiles of one MR x 16 block of (ci, co) into a
// 14 KB buffer laid out for wino4TileOut (constant offsets) and transforms it into the J rows
// at once. f64 (and Cout not a multiple of 8) take a plain route: 36 GEMMs into M, then the
// transform.
import { gemm_f32 } from '../linalg/gemm_f32';
import { gemm_f64 } from '../linalg/gemm_f64';
import { pack_a_f32 } from '../linalg/pack';
import { mk_f32_set, MR_F32 } from '../linalg/microkernel_f32';
import { wino4Input, wino4GradTiles, wino4FilterOut, wino4TileOut, TILE_ROW, TILE_SLOT } from './winograd4';

/**
 * Task = sample: its nO J rows get the conv layer's W block at colW (HWIO) and bias at colB
 * (< 0: none). Per-thread scratch (elements): V 36 ptV Cin (ptV >= tiles), U 36 uPlane
 * (uPlane >= tiles qc Cout), then packed: the V planes packed (36 (Cin + 8) tiles) and the
 * tile buffer (MR rows of TILE_ROW bytes, within 36 x 8 x 16 elements); plain: M 36 Cin qc Cout;
 * and, last, Cout elements for a row's bias sums (made by wino4GradTiles from its loads).
 */
function convRowsWino4<T>(
  X: usize, xStride: i32, H: i32, W: i32, Cin: i32, dY: usize, Cout: i32, nO: i32, s: f64, bs: f64,
  J: usize, ldJ: i32, colW: i32, colB: i32, qc: i32, ptV: i32, uPlane: i32, packed: i32,
  scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, task: i32, tid: i32,
): void {
  const sz = <usize>sizeof<T>(), HW = H * W, nT = (H >> 2) * (W >> 2), kstride = Cin * Cout;
  const V = scratch + <usize>tid * scratchBytes, gw = gwork + <usize>tid * gworkBytes;
  const U = V + <usize>(36 * ptV * Cin) * sz, after = U + <usize>(36 * uPlane) * sz;
  const S = V + scratchBytes - <usize>Cout * sz; // bias sums of one row: the scratch's last Cout elements
  wino4Input<T>(X + <usize>task * <usize>xStride * sz, H, W, Cin, V, 0, ptV);
  const pA = <usize>((Cin + 8) * nT);
  if (packed) for (let xi = 0; xi < 36; xi++) pack_a_f32(1, V + <usize>(xi * ptV * Cin) * sz, Cin, 0, 0, Cin, nT, MR_F32, after + <usize>xi * pA * sz);
  const Tb = after + 36 * pA * sz;
  for (let q0 = 0; q0 < nO; q0 += qc) {
    const qn = min(qc, nO - q0), N = qn * Cout;
    const row0 = J + (<usize>(task * nO + q0) * <usize>ldJ + <usize>colW) * sz;
    for (let qq = 0; qq < qn; qq++) {
      const r = task * nO + q0 + qq;
      if (colB >= 0) memory.fill(S, 0, <usize>Cout * sz);
      wino4GradTiles<T>(dY + <usize>r * <usize>(HW * Cout) * sz, H, W, Cout, U, N, qq * Cout, uPlane, packed != 0, colB >= 0 ? S : 0);
      // the row's bias entries bs sum_p g[p]
      if (colB >= 0) {
        const db = J + (<usize>r * <usize>ldJ + <usize>colB) * sz;
        for (let o = 0; o < Cout; o++) store<T>(db + <usize>o * sz, <T>(bs * <f64>load<T>(S + <usize>o * sz)));
      }
    }
    if (packed) {
      // blocks of 16 columns where Cout allows: the transform then writes whole 64-byte lines of J
      const w = Cout % 16 == 0 ? 16 : 8, ldT = <usize>TILE_ROW;
      // (ci, co) blocks row by row: each tap's J entries are then written in order (3 KB runs)
      for (let ir = 0; ir < Cin; ir += MR_F32) {
        for (let jr = 0; jr < N; jr += w) {
          const q = jr / Cout, o0 = jr - q * Cout, out = row0 + (<usize>q * <usize>ldJ + <usize>o0) * sz;
          for (let xi = 0; xi < 36; xi++) {
            const a = after + (<usize>xi * pA + <usize>(ir * nT)) * sz, b = U + (<usize>(xi * uPlane) + <usize>(jr * nT)) * sz, t = Tb + <usize>(xi * TILE_SLOT);
            mk_f32_set(nT, a, b, t, ldT);
            if (w == 16) mk_f32_set(nT, a, b + <usize>(8 * nT) * sz, t + 32, ldT);
          }
          wino4TileOut(Tb, min(MR_F32, Cin - ir), w, s, out + <usize>(ir * Cout) * sz, <usize>Cout * sz, <usize>kstride * sz);
        }
      }
    } else {
      const M = after;
      for (let xi = 0; xi < 36; xi++) {
        const a = V + <usize>(xi * ptV * Cin) * sz, u = U + <usize>(xi * uPlane) * sz, m = M + <usize>(xi * Cin * N) * sz;
        if (sizeof<T>() == 4) gemm_f32(1, 0, Cin, N, nT, 1.0, a, Cin, u, N, 0.0, m, N, gw);
        else gemm_f64(1, 0, Cin, N, nT, 1.0, a, Cin, u, N, 0.0, m, N, gw);
      }
      for (let q = 0; q < qn; q++)
        wino4FilterOut<T>(M + <usize>(q * Cout) * sz, N, Cin * N, Cin, Cout, s, row0 + <usize>q * <usize>ldJ * sz, Cout, kstride);
    }
  }
}

export function entk_conv_rows_wino4_f32(X: usize, xStride: i32, H: i32, W: i32, Cin: i32, dY: usize, Cout: i32, nO: i32, s: f64, bs: f64,
  J: usize, ldJ: i32, colW: i32, colB: i32, qc: i32, ptV: i32, uPlane: i32, packed: i32, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, task: i32, tid: i32): void {
  convRowsWino4<f32>(X, xStride, H, W, Cin, dY, Cout, nO, s, bs, J, ldJ, colW, colB, qc, ptV, uPlane, packed, scratch, scratchBytes, gwork, gworkBytes, task, tid);
}
export function entk_conv_rows_wino4_f64(X: usize, xStride: i32, H: i32, W: i32, Cin: i32, dY: usize, Cout: i32, nO: i32, s: f64, bs: f64,
  J: usize, ldJ: i32, colW: i32, colB: i32, qc: i32, ptV: i32, uPlane: i32, packed: i32, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, task: i32, tid: i32): void {
  convRowsWino4<f64>(X, xStride, H, W, Cin, dY, Cout, nO, s, bs, J, ldJ, colW, colB, qc, ptV, uPlane, 0, scratch, scratchBytes, gwork, gworkBytes, task, tid);
}
