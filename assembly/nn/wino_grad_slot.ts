// Winograd filter gradients (dW, db) of the training convs, one image slot per task, for
// F(2x2, 3x3) (conv_winograd.ts) and F(4x4, 3x3) (conv_winograd4.ts) alike:
//   M[xi] = sum over the slot's tiles of V[xi]^T (A g A^T)[xi], dW = G^T M G, db = column sums.
// Not re-exported by index.ts.
import { gemm_f32 } from '../linalg/gemm_f32';
import { gemm_f64 } from '../linalg/gemm_f64';
import { winoFilterOut, winoGradTiles, winoInput } from './winograd';
import { wino4Input, wino4GradTiles, wino4FilterOut } from './winograd4';
import { colSums } from './bias_sums';

@inline export function gemmT<T>(transA: i32, m: i32, n: i32, k: i32, A: usize, lda: i32, B: usize, ldb: i32, beta: f64, C: usize, ldc: i32, work: usize): void {
  if (sizeof<T>() == 4) gemm_f32(transA, 0, m, n, k, 1.0, A, lda, B, ldb, <f32>beta, C, ldc, work);
  else gemm_f64(transA, 0, m, n, k, 1.0, A, lda, B, ldb, beta, C, ldc, work);
}

/**
 * Filter (and bias) gradient partials of slot `task` = images task * perSlot ..: slot =
 * [9 Ci Co (HWIO, unscaled) | Co]. The slot's images go through in groups of `sub` (V and U
 * tiles in per-thread scratch, planes of PV and PU >= sub tiles), M accumulating over the
 * groups; all sizes depend on the batch and shapes only, so the sums do not depend on the
 * thread count. f4 (a constant at each export): F(4x4, 3x3), 36 planes of a quarter of the
 * tiles (winograd4.ts), for H, W multiples of 4; else F(2x2, 3x3), 16 planes.
 * Per-thread scratch: M planes Ci Co, V planes PV Ci, U planes PU Co.
 */
@inline export function winoGradSlot<T>(f4: bool, X: usize, N: i32, H: i32, W: i32, Ci: i32, dY: usize, Co: i32, withBias: i32,
  slots: usize, perSlot: i32, sub: i32, PV: i32, PU: i32, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, task: i32, tid: i32): void {
  const sz = <usize>sizeof<T>(), len = 9 * Ci * Co + (withBias ? Co : 0), planes = f4 ? 36 : 16;
  const slot = slots + <usize>task * <usize>len * sz;
  const b0 = task * perSlot, nb = min(perSlot, N - b0);
  if (nb <= 0) { memory.fill(slot, 0, <usize>len * sz); return; }
  const nT = f4 ? (H >> 2) * (W >> 2) : (H >> 1) * (W >> 1), img = <usize>(H * W) * sz;
  const M = scratch + <usize>tid * scratchBytes, V = M + <usize>(planes * Ci * Co) * sz, Ut = V + <usize>(planes * PV * Ci) * sz;
  const gw = gwork + <usize>tid * gworkBytes;
  for (let g0 = 0; g0 < nb; g0 += sub) {
    const gn = min(sub, nb - g0), P = gn * nT;
    for (let b = 0; b < gn; b++) {
      const i = b0 + g0 + b, x = X + <usize>i * <usize>Ci * img, dy = dY + <usize>i * <usize>Co * img;
      if (f4) {
        wino4Input<T>(x, H, W, Ci, V, b * nT, PV);
        wino4GradTiles<T>(dy, H, W, Co, Ut + <usize>(b * nT) * <usize>Co * sz, Co, 0, PU * Co, false);
      } else {
        winoInput<T>(x, H, W, Ci, V, b * nT, PV);
        winoGradTiles<T>(dy, H, W, Co, Ut, Co, 0, b * nT, PU);
      }
    }
    for (let xi = 0; xi < planes; xi++)
      gemmT<T>(1, Ci, Co, P, V + <usize>(xi * PV) * <usize>Ci * sz, Ci, Ut + <usize>(xi * PU) * <usize>Co * sz, Co, g0 ? 1.0 : 0.0, M + <usize>(xi * Ci) * <usize>Co * sz, Co, gw);
  }
  if (f4) wino4FilterOut<T>(M, Co, Ci * Co, Ci, Co, 1.0, slot, Co, Ci * Co);
  else winoFilterOut<T>(M, Ci, Co, Co, 1, 1.0, slot, 0);
  // db = column sums of the slot's dY rows, in row order
  if (withBias) colSums<T>(dY + <usize>b0 * <usize>Co * img, nb * H * W, Co, slot + <usize>(9 * Ci * Co) * sz);
}
