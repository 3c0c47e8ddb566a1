// The Winograd forward's filter operand of a conv (U = s G w G^T per plane): F(2x2)'s 16 planes
// (assembly/nn/conv_winograd.ts) or F(4x4)'s 36 (conv_winograd4.ts; in f32 each plane packed
// for the GEMM, so a call's image groups, and the eNTK's row blocks, share one packing).
import { BYTES, type OpCtx } from './types.js';

/**
 * U for a cin -> cout conv from HWIO weights Wt scaled by the layer's wScale (flip: Wt is the
 * layer's cout -> cin tensor, flipped: the dX conv); f4: F(4x4), else F(2x2). The caller
 * releases it.
 */
export function winoFilterOperand(c: OpCtx, Wt: number, cin: number, cout: number, flip: boolean, f4: boolean): number {
  const sz = BYTES[c.dt], heap = c.e.heap, w = f4 ? 'wino4' : 'wino';
  const U = heap.alloc((f4 ? 36 : 16) * cin * cout * sz);
  const Up = f4 && c.dt === 'f32' ? heap.alloc(c.e.call('nn_conv_wino4_packed_bytes_f32', cin, cout)) : 0;
  const Wf = flip ? heap.alloc(9 * cin * cout * sz) : 0;
  try {
    if (flip) c.e.call(`nn_conv_flip_${c.dt}`, Wt, cout, cin, Wf);
    if (f4) c.e.call(`nn_conv_wino4_filter_${c.dt}`, flip ? Wf : Wt, cin, cout, c.wScale, U, Up);
    else c.e.call(`nn_conv_wino_filter_${c.dt}`, flip ? Wf : Wt, cin, cout, c.wScale, U);
  } catch (err) {
    heap.release(Up || U);
    throw err;
  } finally {
    if (Wf) heap.release(Wf);
    if (Up) heap.release(U); // F(4x4) f32: only the packed planes are kept
  }
  return Up || U;
}
