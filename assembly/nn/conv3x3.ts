// 3x3 SAME convolution (stride 1, zero padding) on NHWC batches as packed GEMM, generic
// over f32/f64. One op file: forward, VJP (dW, db, dX) and JVP all reduce to the same task.
//   forward  Y[p, o] = s sum_{k,c} X[p + d_k, c] W[k, c, o] + bs b[o]    (W is HWIO = (9 Cin) x Cout)
//   dX       = conv(dY, Wf) with Wf[k, o, c] = W[8 - k, c, o]              (no scatter: a gather)
//   dW       = s patches(X)^T dY,  db = bs colsum(dY)                       (fixed row slots, summed in order)
//   JVP      tY = s (conv(tX, W) + conv(X, tW)) + bs tb                      (two forward tasks)
// Each task builds the im2col patches of its rows in per-thread scratch (zeros outside the
// image) and hands them to the packed BLIS GEMM (linalg/gemm_*), so the micro-kernel does
// all the flops. Results do not depend on the thread count: tasks own fixed rows or slots.
import { gemm_f32 } from '../linalg/gemm_f32';
import { gemm_f64 } from '../linalg/gemm_f64';
import { im2col } from './im2col';

@inline function gemmT<T>(transA: i32, m: i32, n: i32, k: i32, alpha: f64, A: usize, lda: i32, B: usize, ldb: i32, beta: f64, C: usize, ldc: i32, work: usize, transB: i32 = 0): void {
  if (sizeof<T>() == 4) gemm_f32(transA, transB, m, n, k, <f32>alpha, A, lda, B, ldb, <f32>beta, C, ldc, work);
  else gemm_f64(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, work);
}

/** Rows of output pixels per task whose patches fit the per-thread scratch (multiple of 4). */
function rowsFor<T>(C: i32, scratchBytes: usize): i32 {
  const r = <i32>(scratchBytes / (<usize>(9 * C) * sizeof<T>()));
  return max(4, r & ~3);
}

function convFwd<T>(
  X: usize, N: i32, H: i32, W: i32, Cin: i32, Wt: usize, Cout: i32, s: f64, bias: usize, bs: f64, beta: f64,
  Y: usize, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, rowsPerTask: i32, R: usize, task: i32, tid: i32,
): void {
  const P = N * H * W, r0 = task * rowsPerTask;
  if (r0 >= P) return;
  const rows = min(rowsPerTask, P - r0), K = 9 * Cin;
  const patches = scratch + <usize>tid * scratchBytes, gw = gwork + <usize>tid * gworkBytes;
  const sub = rowsFor<T>(Cin, scratchBytes);
  for (let a = 0; a < rows; a += sub) {
    const m = min(sub, rows - a);
    im2col<T>(X, H, W, Cin, r0 + a, m, patches);
    const Yr = Y + <usize>(r0 + a) * <usize>Cout * sizeof<T>();
    const rowBytes = <usize>Cout * sizeof<T>();
    if (bias != 0 && beta == 0) {
      // start C at the bias rows (first row computed, the rest bulk-copied), then accumulate
      for (let o = 0; o < Cout; o++) store<T>(Yr + <usize>o * sizeof<T>(), <T>(bs * <f64>load<T>(bias + <usize>o * sizeof<T>())));
      for (let i = 1; i < m; i++) memory.copy(Yr + <usize>i * rowBytes, Yr, rowBytes);
      gemmT<T>(0, m, Cout, K, s, patches, K, Wt, Cout, 1.0, Yr, Cout, gw);
    } else {
      gemmT<T>(0, m, Cout, K, s, patches, K, Wt, Cout, beta, Yr, Cout, gw);
      if (bias != 0) {
        for (let i = 0; i < m; i++) {
          const row = Yr + <usize>i * rowBytes;
          for (let o = 0; o < Cout; o++) {
            const q = row + <usize>o * sizeof<T>();
            store<T>(q, load<T>(q) + <T>(bs * <f64>load<T>(bias + <usize>o * sizeof<T>())));
          }
        }
      }
    }
    if (R != 0) {
      // a following ReLU, fused while the rows are in cache: R = max(Y, 0)
      const n = m * Cout, L = <i32>(16 / sizeof<T>()), z = v128.splat<T>(0);
      const Rr = R + <usize>(r0 + a) * <usize>Cout * sizeof<T>();
      let i = 0;
      for (; i + L <= n; i += L) { const o = <usize>i * sizeof<T>(); v128.store(Rr + o, v128.max<T>(v128.load(Yr + o), z)); }
      for (; i < n; i++) { const o = <usize>i * sizeof<T>(); const v = load<T>(Yr + o); store<T>(Rr + o, v > 0 ? v : 0); }
    }
  }
}

/** dW/db partials of slot `task` (rows task*rowsPerSlot ..): slot = [9 Cin Cout | Cout]. */
function convGradSlot<T>(
  X: usize, N: i32, H: i32, W: i32, Cin: i32, dY: usize, Cout: i32, withBias: i32,
  slots: usize, rowsPerSlot: i32, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, task: i32, tid: i32,
): void {
  const P = N * H * W, K = 9 * Cin, len = K * Cout + (withBias ? Cout : 0);
  const slot = slots + <usize>task * <usize>len * sizeof<T>();
  memory.fill(slot, 0, <usize>len * sizeof<T>());
  const r0 = task * rowsPerSlot;
  if (r0 >= P) return;
  const rows = min(rowsPerSlot, P - r0);
  const patches = scratch + <usize>tid * scratchBytes, gw = gwork + <usize>tid * gworkBytes;
  const sub = rowsFor<T>(Cin, scratchBytes);
  for (let a = 0; a < rows; a += sub) {
    const m = min(sub, rows - a);
    im2col<T>(X, H, W, Cin, r0 + a, m, patches);
    const dYr = dY + <usize>(r0 + a) * <usize>Cout * sizeof<T>();
    gemmT<T>(1, K, Cout, m, 1.0, patches, K, dYr, Cout, 1.0, slot, Cout, gw);
    if (withBias) {
      const db = slot + <usize>(K * Cout) * sizeof<T>(), L = <i32>(16 / sizeof<T>());
      for (let i = 0; i < m; i++) {
        const row = dYr + <usize>i * <usize>Cout * sizeof<T>();
        let o = 0;
        for (; o + L <= Cout; o += L) {
          const q = db + <usize>o * sizeof<T>();
          v128.store(q, v128.add<T>(v128.load(q), v128.load(row + <usize>o * sizeof<T>())));
        }
        for (; o < Cout; o++) {
          const q = db + <usize>o * sizeof<T>();
          store<T>(q, load<T>(q) + load<T>(row + <usize>o * sizeof<T>()));
        }
      }
    }
  }
}

/** out[i] = (i < nW ? sW : sB) * sum_s slots[s][i] (+ out[i] when accumulate), slot order fixed. */
function sumSlots<T>(slots: usize, nslots: i32, len: i32, nW: i32, sW: f64, sB: f64, out: usize, accumulate: i32, chunk: i32, task: i32, tid: i32): void {
  const i0 = task * chunk, i1 = min(len, i0 + chunk);
  for (let i = i0; i < i1; i++) {
    let acc: T = 0;
    for (let s = 0; s < nslots; s++) acc += load<T>(slots + (<usize>s * <usize>len + <usize>i) * sizeof<T>());
    const q = out + <usize>i * sizeof<T>();
    const v = <T>((i < nW ? sW : sB) * <f64>acc);
    store<T>(q, accumulate ? load<T>(q) + v : v);
  }
}

/**
 * dX of image `task` in scatter form, for few input channels (the gather form's GEMM would
 * be Cin columns wide): dPatches = s dY W^T (HW x 9 Cin, a GEMM with transB), then each
 * patch entry is added to the pixel it came from. One task per image, so no write races.
 */
function convDxScatter<T>(dY: usize, H: i32, W: i32, Cout: i32, Wt: usize, Cin: i32, s: f64, dX: usize,
  scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, task: i32, tid: i32): void {
  const HW = H * W, K = 9 * Cin, sz = sizeof<T>();
  const img = dX + <usize>task * <usize>(HW * Cin) * sz;
  memory.fill(img, 0, <usize>(HW * Cin) * sz);
  const dp = scratch + <usize>tid * scratchBytes, gw = gwork + <usize>tid * gworkBytes;
  const sub = rowsFor<T>(Cin, scratchBytes);
  for (let a = 0; a < HW; a += sub) {
    const m = min(sub, HW - a);
    gemmT<T>(0, m, K, Cout, s, dY + (<usize>task * <usize>HW + <usize>a) * <usize>Cout * sz, Cout, Wt, Cout, 0.0, dp, K, gw, 1);
    for (let r = 0; r < m; r++) {
      const q = a + r, y = q / W, x = q - y * W;
      let src = dp + <usize>r * <usize>K * sz;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const yy = y + dy, xx = x + dx;
        if (yy >= 0 && yy < H && xx >= 0 && xx < W) {
          const dst = img + <usize>((yy * W + xx) * Cin) * sz;
          for (let c = 0; c < Cin; c++) {
            const o = <usize>c * sz;
            store<T>(dst + o, load<T>(dst + o) + load<T>(src + o));
          }
        }
        src += <usize>Cin * sz;
      }
    }
  }
}

export function nn_conv_dx_scatter_f32(dY: usize, H: i32, W: i32, Cout: i32, Wt: usize, Cin: i32, s: f64, dX: usize,
  scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, task: i32, tid: i32): void {
  convDxScatter<f32>(dY, H, W, Cout, Wt, Cin, s, dX, scratch, scratchBytes, gwork, gworkBytes, task, tid);
}
export function nn_conv_dx_scatter_f64(dY: usize, H: i32, W: i32, Cout: i32, Wt: usize, Cin: i32, s: f64, dX: usize,
  scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, task: i32, tid: i32): void {
  convDxScatter<f64>(dY, H, W, Cout, Wt, Cin, s, dX, scratch, scratchBytes, gwork, gworkBytes, task, tid);
}

/** Wf[k, o, c] = W[8 - k, c, o]: the weights of the gather form of dX. */
function flip<T>(Wt: usize, Cin: i32, Cout: i32, Wf: usize): void {
  for (let k = 0; k < 9; k++) for (let c = 0; c < Cin; c++) for (let o = 0; o < Cout; o++) {
    const v = load<T>(Wt + <usize>((k * Cin + c) * Cout + o) * sizeof<T>());
    store<T>(Wf + <usize>(((8 - k) * Cout + o) * Cin + c) * sizeof<T>(), v);
  }
}

export function nn_conv_fwd_f32(X: usize, N: i32, H: i32, W: i32, Cin: i32, Wt: usize, Cout: i32, s: f64, bias: usize, bs: f64, beta: f64,
  Y: usize, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, rowsPerTask: i32, R: usize, task: i32, tid: i32): void {
  convFwd<f32>(X, N, H, W, Cin, Wt, Cout, s, bias, bs, beta, Y, scratch, scratchBytes, gwork, gworkBytes, rowsPerTask, R, task, tid);
}
export function nn_conv_fwd_f64(X: usize, N: i32, H: i32, W: i32, Cin: i32, Wt: usize, Cout: i32, s: f64, bias: usize, bs: f64, beta: f64,
  Y: usize, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, rowsPerTask: i32, R: usize, task: i32, tid: i32): void {
  convFwd<f64>(X, N, H, W, Cin, Wt, Cout, s, bias, bs, beta, Y, scratch, scratchBytes, gwork, gworkBytes, rowsPerTask, R, task, tid);
}
export function nn_conv_grad_slot_f32(X: usize, N: i32, H: i32, W: i32, Cin: i32, dY: usize, Cout: i32, withBias: i32,
  slots: usize, rowsPerSlot: i32, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, task: i32, tid: i32): void {
  convGradSlot<f32>(X, N, H, W, Cin, dY, Cout, withBias, slots, rowsPerSlot, scratch, scratchBytes, gwork, gworkBytes, task, tid);
}
export function nn_conv_grad_slot_f64(X: usize, N: i32, H: i32, W: i32, Cin: i32, dY: usize, Cout: i32, withBias: i32,
  slots: usize, rowsPerSlot: i32, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, task: i32, tid: i32): void {
  convGradSlot<f64>(X, N, H, W, Cin, dY, Cout, withBias, slots, rowsPerSlot, scratch, scratchBytes, gwork, gworkBytes, task, tid);
}
export function nn_sum_slots_f32(slots: usize, nslots: i32, len: i32, nW: i32, sW: f64, sB: f64, out: usize, accumulate: i32, chunk: i32, task: i32, tid: i32): void {
  sumSlots<f32>(slots, nslots, len, nW, sW, sB, out, accumulate, chunk, task, tid);
}
export function nn_sum_slots_f64(slots: usize, nslots: i32, len: i32, nW: i32, sW: f64, sB: f64, out: usize, accumulate: i32, chunk: i32, task: i32, tid: i32): void {
  sumSlots<f64>(slots, nslots, len, nW, sW, sB, out, accumulate, chunk, task, tid);
}
export function nn_conv_flip_f32(Wt: usize, Cin: i32, Cout: i32, Wf: usize): void { flip<f32>(Wt, Cin, Cout, Wf); }
export function nn_conv_flip_f64(Wt: usize, Cin: i32, Cout: i32, Wf: usize): void { flip<f64>(Wt, Cin, Cout, Wf); }
