// 3x3 SAME convolution by Winograd F(4x4, 3x3) (transforms in winograd4.ts) for H, W
// multiples of 4 and channel counts multiples of 4: Y = conv(X, Wt) as 36 GEMMs of
// (tiles x Ci) (Ci x Co) per group of images, 1.78x fewer multiplications than F(2x2, 3x3)
// (conv_winograd.ts). Used by the training convs where H, W are multiples of 4 (forward with
// bias and fused ReLU, dX, JVP, and dW by wino_grad_slot.ts; src/nn/ops/conv.ts) and by the empirical NTK for the input
// cotangents of its row-wise backward (conv of dY with the flipped weights).
import { gemm_f32_pack_b, gemm_f32_packed_b, gemm_f32_packed_b_bytes } from '../linalg/gemm_f32';
import { gemm_f64 } from '../linalg/gemm_f64';
import { wino4Filter, wino4Input, wino4Output } from './winograd4';
import { winoGradSlot } from './wino_grad_slot';

/**
 * Task = group of images b0 = task * imgs .. (U: f32, the 36 planes packed by nn_conv_wino4_filter_f32
 * for the GEMM, one plane gemm_f32_packed_b_bytes(Ci, Co) apart; f64, plain Ci x Co planes).
 * mask, when not 0: image b's output is zeroed where
 * image b / maskPer of mask is <= 0, a ReLU VJP fused): V (36 x tiles x Ci) and M (36 x tiles x Co) in
 * per-thread scratch, planes of planeTiles >= imgs * tiles rows (padding keeps the 36 planes
 * from all mapping to one L1 set: 4 KiB aliasing).
 */
function wino4Fwd<T>(X: usize, N: i32, H: i32, W: i32, Ci: i32, U: usize, Co: i32, Y: usize, imgs: i32, planeTiles: i32,
  mask: usize, maskPer: i32, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize,
  bias: usize, bs: f64, R: usize, acc: i32, task: i32, tid: i32): void {
  const b0 = task * imgs, nb = min(imgs, N - b0);
  if (nb <= 0) return;
  const sz = <usize>sizeof<T>(), nT = (H >> 2) * (W >> 2), P = nb * nT, Pp = planeTiles;
  const V = scratch + <usize>tid * scratchBytes, M = V + <usize>(36 * Pp * Ci) * sz, gw = gwork + <usize>tid * gworkBytes;
  const img = <usize>(H * W) * sz;
  for (let b = 0; b < nb; b++) wino4Input<T>(X + <usize>(b0 + b) * <usize>Ci * img, H, W, Ci, V, b * nT, Pp);
  for (let xi = 0; xi < 36; xi++) {
    const a = V + <usize>(xi * Pp) * <usize>Ci * sz, m = M + <usize>(xi * Pp) * <usize>Co * sz;
    if (sizeof<T>() == 4) gemm_f32_packed_b(0, P, Co, Ci, 1.0, a, Ci, U + <usize>xi * gemm_f32_packed_b_bytes(Ci, Co), 0.0, m, Co, gw);
    else gemm_f64(0, 0, P, Co, Ci, 1.0, a, Ci, U + <usize>(xi * Ci) * <usize>Co * sz, Co, 0.0, m, Co, gw);
  }
  for (let b = 0; b < nb; b++) {
    const o = <usize>(b0 + b) * <usize>Co * img;
    wino4Output<T>(M, Pp, b * nT, H, W, Co, Y + o, bias, bs, R ? R + o : 0, acc, mask ? mask + <usize>((b0 + b) / maskPer) * <usize>Co * img : 0);
  }
}

export function nn_conv_wino4_grad_slot_f32(X: usize, N: i32, H: i32, W: i32, Ci: i32, dY: usize, Co: i32, withBias: i32,
  slots: usize, perSlot: i32, sub: i32, PV: i32, PU: i32, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, task: i32, tid: i32): void {
  winoGradSlot<f32>(true, X, N, H, W, Ci, dY, Co, withBias, slots, perSlot, sub, PV, PU, scratch, scratchBytes, gwork, gworkBytes, task, tid);
}
export function nn_conv_wino4_grad_slot_f64(X: usize, N: i32, H: i32, W: i32, Ci: i32, dY: usize, Co: i32, withBias: i32,
  slots: usize, perSlot: i32, sub: i32, PV: i32, PU: i32, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, task: i32, tid: i32): void {
  winoGradSlot<f64>(true, X, N, H, W, Ci, dY, Co, withBias, slots, perSlot, sub, PV, PU, scratch, scratchBytes, gwork, gworkBytes, task, tid);
}
/**
 * U = the forward's filter operand: 36 planes s G w G^T (Ci x Co); Up != 0: each plane then
 * packed into Up for gemm_f32_packed_b (nn_conv_wino4_fwd_f32 takes that form), so the
 * image groups of a call (and the eNTK's row blocks) share one packing.
 */
export function nn_conv_wino4_filter_f32(Wt: usize, Ci: i32, Co: i32, s: f64, U: usize, Up: usize): void {
  wino4Filter<f32>(Wt, Ci, Co, s, U);
  if (Up) for (let xi = 0; xi < 36; xi++) gemm_f32_pack_b(0, Ci, Co, U + (<usize>(xi * Ci * Co) << 2), Co, Up + <usize>xi * gemm_f32_packed_b_bytes(Ci, Co));
}
/** Bytes of nn_conv_wino4_filter_f32's packed output. */
export function nn_conv_wino4_packed_bytes_f32(Ci: i32, Co: i32): usize { return 36 * gemm_f32_packed_b_bytes(Ci, Co); }
/** f64: U only (the f64 forward reads plain planes); Up is there for one call shape across dtypes. */
export function nn_conv_wino4_filter_f64(Wt: usize, Ci: i32, Co: i32, s: f64, U: usize, Up: usize): void { wino4Filter<f64>(Wt, Ci, Co, s, U); }
export function nn_conv_wino4_fwd_f32(X: usize, N: i32, H: i32, W: i32, Ci: i32, U: usize, Co: i32, Y: usize, imgs: i32, planeTiles: i32,
  mask: usize, maskPer: i32, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, bias: usize, bs: f64, R: usize, acc: i32, task: i32, tid: i32): void {
  wino4Fwd<f32>(X, N, H, W, Ci, U, Co, Y, imgs, planeTiles, mask, maskPer, scratch, scratchBytes, gwork, gworkBytes, bias, bs, R, acc, task, tid);
}
export function nn_conv_wino4_fwd_f64(X: usize, N: i32, H: i32, W: i32, Ci: i32, U: usize, Co: i32, Y: usize, imgs: i32, planeTiles: i32,
  mask: usize, maskPer: i32, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, bias: usize, bs: f64, R: usize, acc: i32, task: i32, tid: i32): void {
  wino4Fwd<f64>(X, N, H, W, Ci, U, Co, Y, imgs, planeTiles, mask, maskPer, scratch, scratchBytes, gwork, gworkBytes, bias, bs, R, acc, task, tid);
}
