// Per-sample Jacobian rows and the empirical-NTK combine step (src/nn/empirical_ntk.ts).
// A row r = (sample, output) of J holds d f_output(x_sample) / d params; rows come in groups
// of `nO` consecutive rows per sample, whose layer inputs are equal.
//   conv:  dW_r = s patches(x)^T delta_r (9 Cin x Cout, HWIO),  db_r = bs colsum(delta_r)
//          one task per sample: its im2col patches are built once and shared by its nO rows,
//          each row one packed GEMM straight into its J row (no batch sum: per sample).
//   dense: dW_r = s x delta_r^T (outer product), db_r = bs delta_r (the 'jacobian' route only;
//          the structured route never forms these, see combine).
//   combine: K[r, c] += (sW2 GA[r / nO, c / nO] + sB2) GD[r, c]: a dense layer's contribution
//          (a . a')(delta . delta') from the Gram of its inputs GA and of its deltas GD.
import { gemm_f32 } from '../linalg/gemm_f32';
import { gemm_f64 } from '../linalg/gemm_f64';
import { im2col } from './im2col';

@inline function gemmT<T>(transA: i32, m: i32, n: i32, k: i32, alpha: f64, A: usize, lda: i32, B: usize, ldb: i32, beta: f64, C: usize, ldc: i32, work: usize): void {
  if (sizeof<T>() == 4) gemm_f32(transA, 0, m, n, k, <f32>alpha, A, lda, B, ldb, <f32>beta, C, ldc, work);
  else gemm_f64(transA, 0, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, work);
}

/**
 * Task `task` = sample: J rows task*nO .. +nO (row r at J + r*ldJ elements) get the conv
 * layer's W block at column colW and its bias at colB (< 0: none). X: the layer input, one
 * H x W x Cin image per sample (stride xStride elements); dY: the output cotangents, one
 * H x W x Cout block per row. Patch scratch per thread: H*W*9*Cin elements.
 */
function convRows<T>(
  X: usize, xStride: i32, H: i32, W: i32, Cin: i32, dY: usize, Cout: i32, nO: i32, s: f64, bs: f64,
  J: usize, ldJ: i32, colW: i32, colB: i32, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, task: i32, tid: i32,
): void {
  const HW = H * W, K = 9 * Cin, sz = <usize>sizeof<T>();
  const patches = scratch + <usize>tid * scratchBytes, gw = gwork + <usize>tid * gworkBytes;
  im2col<T>(X + <usize>task * <usize>xStride * sz, H, W, Cin, 0, HW, patches);
  for (let q = 0; q < nO; q++) {
    const r = task * nO + q;
    const d = dY + <usize>r * <usize>(HW * Cout) * sz;
    const row = J + <usize>r * <usize>ldJ * sz;
    gemmT<T>(1, K, Cout, HW, s, patches, K, d, Cout, 0.0, row + <usize>colW * sz, Cout, gw);
    if (colB >= 0) {
      const db = row + <usize>colB * sz;
      for (let o = 0; o < Cout; o++) store<T>(db + <usize>o * sz, 0);
      for (let p = 0; p < HW; p++) {
        const dr = d + <usize>(p * Cout) * sz;
        for (let o = 0; o < Cout; o++) store<T>(db + <usize>o * sz, load<T>(db + <usize>o * sz) + load<T>(dr + <usize>o * sz));
      }
      for (let o = 0; o < Cout; o++) store<T>(db + <usize>o * sz, <T>(bs * <f64>load<T>(db + <usize>o * sz)));
    }
  }
}

/** Task = row r: J[r, colW + i*nout + o] = s x_r[i] delta_r[o]; J[r, colB + o] = bs delta_r[o]. */
function denseRow<T>(X: usize, xStride: i32, nin: i32, dY: usize, nout: i32, s: f64, bs: f64, J: usize, ldJ: i32, colW: i32, colB: i32, task: i32, tid: i32): void {
  const sz = <usize>sizeof<T>();
  const x = X + <usize>task * <usize>xStride * sz, d = dY + <usize>task * <usize>nout * sz;
  const row = J + <usize>task * <usize>ldJ * sz;
  if (colW >= 0) {
    for (let i = 0; i < nin; i++) {
      const xi = <T>(s * <f64>load<T>(x + <usize>i * sz));
      const out = row + <usize>(colW + i * nout) * sz;
      for (let o = 0; o < nout; o++) store<T>(out + <usize>o * sz, xi * load<T>(d + <usize>o * sz));
    }
  }
  if (colB >= 0) for (let o = 0; o < nout; o++) store<T>(row + <usize>(colB + o) * sz, <T>(bs * <f64>load<T>(d + <usize>o * sz)));
}

/** Rows task*rows .. of K (R1 x R2): K[r, c] += (sW2 GA[r/nO, c/nO] + sB2) GD[r, c]. */
function combine<T>(K: usize, ldK: i32, GA: usize, ldA: i32, GD: usize, ldD: i32, R1: i32, R2: i32, nO: i32, sW2: f64, sB2: f64, rows: i32, task: i32, tid: i32): void {
  const sz = <usize>sizeof<T>();
  const r1 = min(R1, (task + 1) * rows);
  for (let r = task * rows; r < r1; r++) {
    const k = K + <usize>r * <usize>ldK * sz, g = GD + <usize>r * <usize>ldD * sz;
    const a = GA + <usize>(r / nO) * <usize>ldA * sz;
    for (let c = 0; c < R2; c++) {
      const ga = GA != 0 ? sW2 * <f64>load<T>(a + <usize>(c / nO) * sz) : 0.0;
      const q = k + <usize>c * sz;
      store<T>(q, load<T>(q) + <T>((ga + sB2) * <f64>load<T>(g + <usize>c * sz)));
    }
  }
}

export function entk_conv_rows_f32(X: usize, xStride: i32, H: i32, W: i32, Cin: i32, dY: usize, Cout: i32, nO: i32, s: f64, bs: f64,
  J: usize, ldJ: i32, colW: i32, colB: i32, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, task: i32, tid: i32): void {
  convRows<f32>(X, xStride, H, W, Cin, dY, Cout, nO, s, bs, J, ldJ, colW, colB, scratch, scratchBytes, gwork, gworkBytes, task, tid);
}
export function entk_conv_rows_f64(X: usize, xStride: i32, H: i32, W: i32, Cin: i32, dY: usize, Cout: i32, nO: i32, s: f64, bs: f64,
  J: usize, ldJ: i32, colW: i32, colB: i32, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, task: i32, tid: i32): void {
  convRows<f64>(X, xStride, H, W, Cin, dY, Cout, nO, s, bs, J, ldJ, colW, colB, scratch, scratchBytes, gwork, gworkBytes, task, tid);
}
export function entk_dense_row_f32(X: usize, xStride: i32, nin: i32, dY: usize, nout: i32, s: f64, bs: f64, J: usize, ldJ: i32, colW: i32, colB: i32, task: i32, tid: i32): void {
  denseRow<f32>(X, xStride, nin, dY, nout, s, bs, J, ldJ, colW, colB, task, tid);
}
export function entk_dense_row_f64(X: usize, xStride: i32, nin: i32, dY: usize, nout: i32, s: f64, bs: f64, J: usize, ldJ: i32, colW: i32, colB: i32, task: i32, tid: i32): void {
  denseRow<f64>(X, xStride, nin, dY, nout, s, bs, J, ldJ, colW, colB, task, tid);
}
export function entk_combine_f32(K: usize, ldK: i32, GA: usize, ldA: i32, GD: usize, ldD: i32, R1: i32, R2: i32, nO: i32, sW2: f64, sB2: f64, rows: i32, task: i32, tid: i32): void {
  combine<f32>(K, ldK, GA, ldA, GD, ldD, R1, R2, nO, sW2, sB2, rows, task, tid);
}
export function entk_combine_f64(K: usize, ldK: i32, GA: usize, ldA: i32, GD: usize, ldD: i32, R1: i32, R2: i32, nO: i32, sW2: f64, sB2: f64, rows: i32, task: i32, tid: i32): void {
  combine<f64>(K, ldK, GA, ldA, GD, ldD, R1, R2, nO, sW2, sB2, rows, task, tid);
}
