// 3x3 SAME convolution by Winograd F(2x2, 3x3) (transforms in winograd.ts) for H, W even and
// channel counts multiples of 4: 16 GEMMs per group of images instead of one im2col GEMM,
// 2.25x fewer multiplications. The training forward (with bias and fused ReLU), the input
// cotangent (conv of dY with the flipped weights) and the filter gradient all use it; so do
// the empirical NTK's row-wise backward passes.
//   forward  V = B^T d B per input tile, M[xi] = V[xi] U[xi] (U = G w G^T), y = A^T m A
//   dW       M[xi] = V[xi]^T (A g A^T)[xi] summed over tiles, dW = G^T M G (fixed image slots)
import { gemm_f32 } from '../linalg/gemm_f32';
import { gemm_f64 } from '../linalg/gemm_f64';
import { winoFilter, winoFilterOut, winoGradTiles, winoInput, winoOutput } from './winograd';
import { colSums } from './bias_sums';

@inline function gemmT<T>(transA: i32, m: i32, n: i32, k: i32, A: usize, lda: i32, B: usize, ldb: i32, beta: f64, C: usize, ldc: i32, work: usize): void {
  if (sizeof<T>() == 4) gemm_f32(transA, 0, m, n, k, 1.0, A, lda, B, ldb, <f32>beta, C, ldc, work);
  else gemm_f64(transA, 0, m, n, k, 1.0, A, lda, B, ldb, beta, C, ldc, work);
}

/**
 * Task = group of images b0 = task * imgs ..: V (16 planes of PV >= imgs tiles x Ci) and M (16
 * planes of PM tiles x Co) in per-thread scratch, the plane sizes chosen by the caller against
 * L1 set aliasing (spreadCount in src/nn/ops/wino_planes.ts); y = conv + bs bias (bias != 0)
 * (+ y when acc), R = max(y, 0) (R != 0).
 */
function winoFwd<T>(X: usize, N: i32, H: i32, W: i32, Ci: i32, U: usize, Co: i32, Y: usize, imgs: i32, PV: i32, PM: i32,
  scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, bias: usize, bs: f64, R: usize, acc: i32, task: i32, tid: i32): void {
  const b0 = task * imgs, nb = min(imgs, N - b0);
  if (nb <= 0) return;
  const sz = <usize>sizeof<T>(), nT = (H >> 1) * (W >> 1), P = nb * nT;
  const V = scratch + <usize>tid * scratchBytes, M = V + <usize>(16 * PV * Ci) * sz, gw = gwork + <usize>tid * gworkBytes;
  const img = <usize>(H * W) * sz;
  for (let b = 0; b < nb; b++) winoInput<T>(X + <usize>(b0 + b) * <usize>Ci * img, H, W, Ci, V, b * nT, PV);
  for (let xi = 0; xi < 16; xi++)
    gemmT<T>(0, P, Co, Ci, V + <usize>(xi * PV) * <usize>Ci * sz, Ci, U + <usize>(xi * Ci) * <usize>Co * sz, Co, 0.0, M + <usize>(xi * PM) * <usize>Co * sz, Co, gw);
  for (let b = 0; b < nb; b++) {
    const o = <usize>(b0 + b) * <usize>Co * img;
    winoOutput<T>(M, PM, b * nT, H, W, Co, Y + o, bias, bs, R ? R + o : 0, acc);
  }
}

/**
 * Filter (and bias) gradient partials of slot `task` = images task * perSlot ..: slot =
 * [9 Ci Co (HWIO, unscaled) | Co]. The slot's images go through in groups of `sub` (V and U
 * tiles in per-thread scratch, planes of PV and PU >= sub tiles), M accumulating over the
 * groups; all sizes depend on the batch and shapes only, so the sums do not depend on the
 * thread count.
 */
function winoGradSlot<T>(X: usize, N: i32, H: i32, W: i32, Ci: i32, dY: usize, Co: i32, withBias: i32,
  slots: usize, perSlot: i32, sub: i32, PV: i32, PU: i32, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, task: i32, tid: i32): void {
  const sz = <usize>sizeof<T>(), len = 9 * Ci * Co + (withBias ? Co : 0);
  const slot = slots + <usize>task * <usize>len * sz;
  const b0 = task * perSlot, nb = min(perSlot, N - b0);
  if (nb <= 0) { memory.fill(slot, 0, <usize>len * sz); return; }
  const nT = (H >> 1) * (W >> 1), img = <usize>(H * W) * sz;
  const M = scratch + <usize>tid * scratchBytes, V = M + <usize>(16 * Ci * Co) * sz, Ut = V + <usize>(16 * PV * Ci) * sz;
  const gw = gwork + <usize>tid * gworkBytes;
  for (let g0 = 0; g0 < nb; g0 += sub) {
    const gn = min(sub, nb - g0), P = gn * nT;
    for (let b = 0; b < gn; b++) {
      const i = b0 + g0 + b;
      winoInput<T>(X + <usize>i * <usize>Ci * img, H, W, Ci, V, b * nT, PV);
      winoGradTiles<T>(dY + <usize>i * <usize>Co * img, H, W, Co, Ut, Co, 0, b * nT, PU);
    }
    for (let xi = 0; xi < 16; xi++)
      gemmT<T>(1, Ci, Co, P, V + <usize>(xi * PV) * <usize>Ci * sz, Ci, Ut + <usize>(xi * PU) * <usize>Co * sz, Co, g0 ? 1.0 : 0.0, M + <usize>(xi * Ci) * <usize>Co * sz, Co, gw);
  }
  winoFilterOut<T>(M, Ci, Co, Co, 1, 1.0, slot, 0);
  // db = column sums of the slot's dY rows, in row order
  if (withBias) colSums<T>(dY + <usize>b0 * <usize>Co * img, nb * H * W, Co, slot + <usize>(9 * Ci * Co) * sz);
}

export function nn_conv_wino_filter_f32(Wt: usize, Ci: i32, Co: i32, s: f64, U: usize): void { winoFilter<f32>(Wt, Ci, Co, s, U); }
export function nn_conv_wino_filter_f64(Wt: usize, Ci: i32, Co: i32, s: f64, U: usize): void { winoFilter<f64>(Wt, Ci, Co, s, U); }
export function nn_conv_wino_fwd_f32(X: usize, N: i32, H: i32, W: i32, Ci: i32, U: usize, Co: i32, Y: usize, imgs: i32, PV: i32, PM: i32,
  scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, bias: usize, bs: f64, R: usize, acc: i32, task: i32, tid: i32): void {
  winoFwd<f32>(X, N, H, W, Ci, U, Co, Y, imgs, PV, PM, scratch, scratchBytes, gwork, gworkBytes, bias, bs, R, acc, task, tid);
}
export function nn_conv_wino_fwd_f64(X: usize, N: i32, H: i32, W: i32, Ci: i32, U: usize, Co: i32, Y: usize, imgs: i32, PV: i32, PM: i32,
  scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, bias: usize, bs: f64, R: usize, acc: i32, task: i32, tid: i32): void {
  winoFwd<f64>(X, N, H, W, Ci, U, Co, Y, imgs, PV, PM, scratch, scratchBytes, gwork, gworkBytes, bias, bs, R, acc, task, tid);
}
export function nn_conv_wino_grad_slot_f32(X: usize, N: i32, H: i32, W: i32, Ci: i32, dY: usize, Co: i32, withBias: i32,
  slots: usize, perSlot: i32, sub: i32, PV: i32, PU: i32, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, task: i32, tid: i32): void {
  winoGradSlot<f32>(X, N, H, W, Ci, dY, Co, withBias, slots, perSlot, sub, PV, PU, scratch, scratchBytes, gwork, gworkBytes, task, tid);
}
export function nn_conv_wino_grad_slot_f64(X: usize, N: i32, H: i32, W: i32, Ci: i32, dY: usize, Co: i32, withBias: i32,
  slots: usize, perSlot: i32, sub: i32, PV: i32, PU: i32, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, task: i32, tid: i32): void {
  winoGradSlot<f64>(X, N, H, W, Ci, dY, Co, withBias, slots, perSlot, sub, PV, PU, scratch, scratchBytes, gwork, gworkBytes, task, tid);
}
