// Conv input cotangent dx = s conv(dy, flip(W)) by Winograd F(4x4, 3x3)
// (assembly/nn/conv_winograd4.ts), for the empirical NTK's row-wise backward: 1.78x fewer
// GEMM multiplications than convDxWinograd's F(2x2, 3x3), for layers with H, W multiples of 4.
import { gemmScratch } from '../../linalg/gemm.js';
import { BYTES, type OpCtx } from './types.js';
import { spreadCount } from './wino_planes.js';
import { winoFilterOperand } from './wino_filter.js';

/** Whether convDxWinograd4 applies: H, W multiples of 4, both channel counts multiples of 4. */
export function wino4DxFits(c: OpCtx): boolean {
  const { H, W, C } = c.ls.inShape;
  return H % 4 === 0 && W % 4 === 0 && C % 4 === 0 && c.ls.outShape.C % 4 === 0;
}

/**
 * dx = s conv(dy, flip(W)) by F(4x4, 3x3) when the layer allows it (H, W multiples of 4, both
 * channel counts multiples of 4); false: not applicable. Same values as the VJP's dx up to rounding.
 * relu: also the VJP of a ReLU before the layer, whose input (one image per `per` images of
 * dy) is at relu.input: dx = 0 where that input is <= 0.
 * filter: winoFilterOperand(c, c.W, cout, cin, true, true) made once by a caller that
 * runs many batches through the same layer (else made and released here).
 */
export function convDxWinograd4(c: OpCtx, dy: number, dx: number, pad = true, relu?: { input: number; per: number }, filter = 0): boolean {
  if (!wino4DxFits(c)) return false;
  const cin = c.ls.inShape.C, cout = c.ls.outShape.C, { H, W } = c.ls.inShape, sz = BYTES[c.dt];
  const nT = (H * W) / 16;
  // images per task: transformed tiles of both sides within ~2 MiB (an L2; cifar-cnn B = 50 eNTK:
  // its 128-channel dX 6% faster than with 4 MiB, 1 MiB 5% slower), at least 4 tasks per thread when the batch allows
  const perImg = 36 * nT * (cin + cout) * sz;
  const imgs = Math.max(1, Math.min(Math.floor((2 << 20) / perImg), Math.ceil(c.B / (4 * c.e.threads))));
  const Pp = pad ? spreadCount(imgs * nT, Math.min(cin, cout) * sz) : imgs * nT;
  const scratchBytes = Math.ceil((36 * Pp * (cin + cout) * sz) / 64) * 64;
  const U = filter || winoFilterOperand(c, c.W, cout, cin, true, true);
  try {
    const scratch = c.e.threadScratch(scratchBytes, 'nn-conv-wino4');
    const { work, workBytes } = gemmScratch(c.dt);
    c.e.parallelFor(`nn_conv_wino4_fwd_${c.dt}`, [dy, c.B, H, W, cout, U, cin, dx, imgs, Pp, relu?.input ?? 0, relu?.per ?? 1, scratch, scratchBytes, work, workBytes, 0, 0, 0, 0], Math.ceil(c.B / imgs));
  } finally { if (!filter) c.e.heap.release(U); }
  return true;
}
