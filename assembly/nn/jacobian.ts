// Per-sample Jacobian rows and the empirical-NTK combine step (src/nn/empirical_ntk.ts).
// A row r = (sample, output) of J holds d f_output(x_sample) / d params; rows come in groups
// of `nO` consecutive rows per sample, whose layer inputs are equal.
//   conv:  dW_r = s patches(x)^T delta_r (9 Cin x Cout, HWIO),  db_r = bs colsum(delta_r);
//          by Winograd F(2x2, 3x3) where the shape allows (convRowsWino), else:
//          one task per sample: its im2col patches are built once and shared by its nO rows,
//          each row one packed GEMM straight into its J row (no batch sum: per sample).
//   dense: dW_r = s x delta_r^T (outer product), db_r = bs delta_r (the 'jacobian' route only;
//          the structured route never forms these, see combine).
//   combine: K[r, c] += (sW2 GA[r / nO, c / nO] + sB2) GD[r, c]: a dense layer's contribution
//          (a . a')(delta . delta') from the Gram of its inputs GA and of its deltas GD.
import { gemm_f32 } from '../linalg/gemm_f32';
import { gemm_f64 } from '../linalg/gemm_f64';
import { im2col } from './im2col';
import { pack_a_f32 } from '../linalg/pack';
import { mk_f32_set, MR_F32, NR_F32 } from '../linalg/microkernel_f32';
import { winoInput, winoGradTiles, winoFilterOut } from './winograd';
import { convBiasRows } from './bias_sums';

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
  }
  if (colB >= 0) convBiasRows<T>(dY, HW, Cout, nO, bs, J, ldJ, colB, task);
}

/**
 * convRows by Winograd F(2x2, 3x3) (assembly/nn/winograd.ts; H, W even, Cin and Cout
 * multiples of 4): the sample's input tiles are transformed once, then for qc of its rows
 * at a time the cotangent tiles, 16 GEMMs Cin x (qc Cout) x tiles and the output transform
 * straight into the J rows. Per-thread scratch: V 16 planes of ptV tiles x Cin, U 16 planes
 * of tiles x ldU, M 16 planes of Cin x ldM (ptV >= tiles, ldU and ldM >= qc Cout: padded so
 * the 16 planes do not all fall in one L1 set, see spreadCount in src/nn/ops/wino_planes.ts).
 */
function convRowsWino<T>(
  X: usize, xStride: i32, H: i32, W: i32, Cin: i32, dY: usize, Cout: i32, nO: i32, s: f64, bs: f64,
  J: usize, ldJ: i32, colW: i32, colB: i32, qc: i32, ptV: i32, ldU: i32, ldM: i32, packed: i32,
  scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, task: i32, tid: i32,
): void {
  const sz = <usize>sizeof<T>(), HW = H * W, nT = (H >> 1) * (W >> 1);
  const V = scratch + <usize>tid * scratchBytes, gw = gwork + <usize>tid * gworkBytes;
  // packed (f32, Cout a multiple of 8): M planes of Cin + 8 rows (whole MR-row tiles)
  const mRows = packed ? Cin + 8 : Cin;
  const U = V + <usize>(16 * ptV * Cin) * sz, M = U + <usize>(16 * nT) * <usize>ldU * sz;
  const VA = M + <usize>(16 * mRows) * <usize>ldM * sz;
  winoInput<T>(X + <usize>task * <usize>xStride * sz, H, W, Cin, V, 0, ptV);
  // the 16 A operands (V planes transposed) packed once per sample, not once per GEMM
  if (packed) for (let xi = 0; xi < 16; xi++) pack_a_f32(1, V + <usize>(xi * ptV * Cin) * sz, Cin, 0, 0, Cin, nT, MR_F32, VA + <usize>(xi * (Cin + 8) * nT) * sz);
  for (let q0 = 0; q0 < nO; q0 += qc) {
    const qn = min(qc, nO - q0), N = qn * Cout;
    for (let qq = 0; qq < qn; qq++) winoGradTiles<T>(dY + <usize>(task * nO + q0 + qq) * <usize>(HW * Cout) * sz, H, W, Cout, U, ldU, qq * Cout, 0, 0, packed != 0);
    for (let xi = 0; xi < 16; xi++) {
      const u = U + <usize>(xi * nT) * <usize>ldU * sz, m = M + <usize>(xi * mRows) * <usize>ldM * sz;
      if (packed) packedGemm(VA + <usize>(xi * (Cin + 8) * nT) * sz, Cin, nT, u, N, m, ldM);
      else gemmT<T>(1, Cin, N, nT, 1.0, V + <usize>(xi * ptV * Cin) * sz, Cin, u, ldU, 0.0, m, ldM, gw);
    }
    winoFilterOut<T>(M, Cin, ldM, Cout, qn, s, J + (<usize>(task * nO + q0) * <usize>ldJ + <usize>colW) * sz, ldJ, mRows);
  }
  if (colB >= 0) convBiasRows<T>(dY, HW, Cout, nO, bs, J, ldJ, colB, task);
}

/**
 * m (Cin + 8 rows of ldM f32) = A^T u over k = nT: A packed by pack_a (MR-row panels of Cin
 * rows, zero-padded), u already in 8-column panels (winoGradTiles nr8; N a multiple of 8).
 * Whole tiles stored, not accumulated: no zeroing pass, no C reads (k is only the tile count);
 * the padded rows get exact zeros, never read.
 */
function packedGemm(Ap: usize, Cin: i32, nT: i32, u: usize, N: i32, m: usize, ldM: i32): void {
  const rows = (Cin + MR_F32 - 1) / MR_F32 * MR_F32, ldmB = <usize>ldM << 2;
  for (let jr = 0; jr < N; jr += NR_F32) {
    const bp = u + (<usize>(jr * nT) << 2);
    for (let ir = 0; ir < rows; ir += MR_F32) mk_f32_set(nT, Ap + (<usize>(ir * nT) << 2), bp, m + <usize>ir * ldmB + (<usize>jr << 2), ldmB);
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
export function entk_conv_rows_wino_f32(X: usize, xStride: i32, H: i32, W: i32, Cin: i32, dY: usize, Cout: i32, nO: i32, s: f64, bs: f64,
  J: usize, ldJ: i32, colW: i32, colB: i32, qc: i32, ptV: i32, ldU: i32, ldM: i32, packed: i32, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, task: i32, tid: i32): void {
  convRowsWino<f32>(X, xStride, H, W, Cin, dY, Cout, nO, s, bs, J, ldJ, colW, colB, qc, ptV, ldU, ldM, packed, scratch, scratchBytes, gwork, gworkBytes, task, tid);
}
export function entk_conv_rows_wino_f64(X: usize, xStride: i32, H: i32, W: i32, Cin: i32, dY: usize, Cout: i32, nO: i32, s: f64, bs: f64,
  J: usize, ldJ: i32, colW: i32, colB: i32, qc: i32, ptV: i32, ldU: i32, ldM: i32, packed: i32, scratch: usize, scratchBytes: usize, gwork: usize, gworkBytes: usize, task: i32, tid: i32): void {
  convRowsWino<f64>(X, xStride, H, W, Cin, dY, Cout, nO, s, bs, J, ldJ, colW, colB, qc, ptV, ldU, ldM, 0, scratch, scratchBytes, gwork, gworkBytes, task, tid);
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

/**
 * Task = row r of the row-wise backward: dX_r = dY_r [x > 0] with x the layer input of r's
 * sample (row r / nO of X, rowLen apart): the ReLU VJP (nn_relu mode 1, bit for bit) without
 * first copying each sample's input to its nO rows.
 */
function reluRows<T>(X: usize, rowLen: i32, nO: i32, dY: usize, dX: usize, task: i32): void {
  const sz = <usize>sizeof<T>(), L = <i32>(16 / sizeof<T>());
  const x = X + <usize>(task / nO) * <usize>rowLen * sz, off = <usize>task * <usize>rowLen * sz;
  const g = dY + off, y = dX + off, z = v128.splat<T>(0);
  let i = 0;
  for (; i + L <= rowLen; i += L) {
    const o = <usize>i * sz;
    v128.store(y + o, v128.and(v128.load(g + o), v128.gt<T>(v128.load(x + o), z)));
  }
  for (; i < rowLen; i++) {
    const o = <usize>i * sz;
    store<T>(y + o, load<T>(x + o) > 0 ? load<T>(g + o) : 0);
  }
}

export function entk_relu_rows_f32(X: usize, rowLen: i32, nO: i32, dY: usize, dX: usize, task: i32, tid: i32): void { reluRows<f32>(X, rowLen, nO, dY, dX, task); }
export function entk_relu_rows_f64(X: usize, rowLen: i32, nO: i32, dY: usize, dX: usize, task: i32, tid: i32): void { reluRows<f64>(X, rowLen, nO, dY, dX, task); }
