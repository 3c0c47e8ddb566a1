// 3x3 SAME convolution by Winograd F(2x2, 3x3) (transforms in winograd.ts) for H, W even and
// channel counts multiples of 4: 16 GEMMs per group of images instead of one im2col GEMM,
// 2.25x fewer multiplications. The training forward (with bias and fused ReLU), the input
// cotangent (conv of dY with the flipped weights) and the filter gradient all use it; so do
// the empirical NTK's row-wise backward passes.
//   forward  V = B^T d B per input tile, M[xi] = V[xi] U[xi] (U = G w G^T), y = A^T m A
//   dW       M[xi] = V[xi]^T (A g A^T)[xi] summed over tiles, dW = G^T M G (fixed image slots;
//            wino_grad_slot.ts, shared with F(4x4))
import { winoFilter, winoInput, winoOutput } from './winograd';
import { gemmT, winoGradSlot } from './wino_grad_slot';

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
  winoGradSlot<f32>(false, X, N, H, W, Ci, dY, Co, withBias, slots, perSlot, sub, PV, PU, scratch, scratchBytes, gwork, gworkBytes, task, tid);
}
export function nn_conv_wino_grad_slot_f64(X: usize, N: i32, H: i32, W: i32, Ci: i32, dY: usize, Co: i32, withBias: i32,
  slots: usize, perSlot: i32, sub: i32, PV: i32, PU: i32, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, task: i32, tid: i32): void {
  winoGradSlot<f64>(false, X, N, H, W, Ci, dY, Co, withBias, slots, perSlot, sub, PV, PU, scratch, scratchBytes, gwork, gworkBytes, task, tid);
}
