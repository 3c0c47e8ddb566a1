// Conv input cotangent dx = s conv(dy, flip(W)) by Winograd F(4x4, 3x3)
// (assembly/nn/conv_winograd4.ts), for the empirical NTK's row-wise backward: 1.78x fewer
// GEMM multiplications than convDxWinograd's F(2x2, 3x3), for layers with H, W multiples of 4.
import { gemmScratch } from '../../linalg/gemm.js';
import { BYTES, type OpCtx } from './types.js';
import { spreadCount } from './wino_planes.js';

/**
 * dx = s conv(dy, flip(W)) by F(4x4, 3x3) when the layer allows it (H, W multiples of 4, both
 * channel counts multiples of 4); false: not applicable. Same values as the VJP's dx up to rounding.
 * relu: also the VJP of a ReLU before the layer, whose input (one image per `per` images of
 * dy) is at relu.input: dx = 0 where that input is <= 0.
 */
export function convDxWinograd4(c: OpCtx, dy: number, dx: number, pad = true, relu?: { input: number; per: number }): boolean {
  const cin = c.ls.inShape.C, cout = c.ls.outShape.C, { H, W } = c.ls.inShape, sz = BYTES[c.dt];
  if (H % 4 || W % 4 || cin % 4 || cout % 4) return false;
  const nW = 9 * cin * cout, nT = (H * W) / 16;
  // images per task: transformed tiles of both sides within ~4 MiB, at least 4 tasks per thread when the batch allows
  const perImg = 36 * nT * (cin + cout) * sz;
  const imgs = Math.max(1, Math.min(Math.floor((4 << 20) / perImg), Math.ceil(c.B / (4 * c.e.threads))));
  const Pp = pad ? spreadCount(imgs * nT, Math.min(cin, cout) * sz) : imgs * nT;
  const scratchBytes = Math.ceil((36 * Pp * (cin + cout) * sz) / 64) * 64;
  const Wf = c.e.heap.alloc(nW * sz);
  try {
    const U = c.e.heap.alloc(36 * cin * cout * sz);
    try {
      c.e.call(`nn_conv_flip_${c.dt}`, c.W, cin, cout, Wf);
      c.e.call(`nn_conv_wino4_filter_${c.dt}`, Wf, cout, cin, c.wScale, U);
      const scratch = c.e.threadScratch(scratchBytes, 'nn-conv-wino4');
      const { work, workBytes } = gemmScratch(c.dt);
      c.e.parallelFor(`nn_conv_wino4_fwd_${c.dt}`, [dy, c.B, H, W, cout, U, cin, dx, imgs, Pp, relu?.input ?? 0, relu?.per ?? 1, scratch, scratchBytes, work, workBytes, 0, 0, 0, 0], Math.ceil(c.B / imgs));
    } finally { c.e.heap.release(U); }
  } finally { c.e.heap.release(Wf); }
  return true;
}
