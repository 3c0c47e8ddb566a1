// 3x3 SAME conv, W HWIO (3, 3, Cin, Cout): wasm tasks in assembly/nn/conv3x3.ts build
// im2col patches per task and run the packed GEMM on them.
//   forward y = s conv(x, W) + bs b;  VJP gW, gb from fixed row slots summed in order,
//   dx = s conv(dy, flip(W)) (a gather, no scatter);  JVP ty = s (conv(tx, W) + conv(x, tW)) + bs tb.
import { gemmScratch } from '../../linalg/gemm.js';
import { BYTES, type Op, type OpCtx } from './types.js';

/**
 * dX in scatter form (dY W^T, then patch entries added to their pixels) below this many
 * input channels, else in gather form (conv of dY with flipped weights, a GEMM Cin wide).
 */
export const convTuning = { scatterBelowCin: 8 };

/** Per-thread patch scratch: 256 KiB, or 4 patch rows when those are larger. */
function scratchFor(c: OpCtx, cin: number): { scratch: number; scratchBytes: number } {
  const rowBytes = 9 * cin * BYTES[c.dt];
  const scratchBytes = Math.ceil(Math.max(1 << 18, 4 * rowBytes) / 64) * 64;
  return { scratch: c.e.threadScratch(scratchBytes, 'nn-conv'), scratchBytes };
}

/** y = s conv(x, Wt) (+ bs bias) (+ y when beta = 1) on an H x W x cin batch -> cout. */
function convForward(c: OpCtx, x: number, cin: number, Wt: number, cout: number, s: number, bias: number, bs: number, beta: number, y: number, relu = 0): void {
  const { H, W } = c.ls.inShape;
  const P = c.B * H * W;
  const { scratch, scratchBytes } = scratchFor(c, cin);
  const { work, workBytes } = gemmScratch(c.dt);
  // rows per task: the whole scratch, but >= 4 tasks per thread when the batch allows
  const fit = Math.max(4, Math.floor(scratchBytes / (9 * cin * BYTES[c.dt])) & ~3);
  const rows = Math.max(4, Math.min(fit, Math.ceil(P / (4 * c.e.threads) / 4) * 4));
  c.e.parallelFor(`nn_conv_fwd_${c.dt}`, [x, c.B, H, W, cin, Wt, cout, s, bias, bs, beta, y, scratch, scratchBytes, work, workBytes, rows, relu], Math.ceil(P / rows));
}

/**
 * dx = s conv(dy, flip(W)) by Winograd F(2x2, 3x3) (assembly/nn/conv_winograd.ts) when the
 * layer allows it (H, W even, both channel counts multiples of 4); false: not applicable.
 * Same values as the VJP's dx up to rounding; the empirical NTK's row-wise backward uses it.
 */
export function convDxWinograd(c: OpCtx, dy: number, dx: number): boolean {
  const cin = c.ls.inShape.C, cout = c.ls.outShape.C, { H, W } = c.ls.inShape, sz = BYTES[c.dt];
  if (H % 2 || W % 2 || cin % 4 || cout % 4) return false;
  const nW = 9 * cin * cout, nT = (H * W) / 4;
  // images per task: transformed tiles of both sides within ~4 MiB, at least 4 tasks per thread when the batch allows
  const perImg = 16 * nT * (cin + cout) * sz;
  const imgs = Math.max(1, Math.min(Math.floor((4 << 20) / perImg), Math.ceil(c.B / (4 * c.e.threads))));
  const scratchBytes = Math.ceil((imgs * perImg) / 64) * 64;
  const Wf = c.e.heap.alloc(nW * sz);
  try {
    const U = c.e.heap.alloc(16 * cin * cout * sz);
    try {
      c.e.call(`nn_conv_flip_${c.dt}`, c.W, cin, cout, Wf);
      c.e.call(`nn_conv_wino_filter_${c.dt}`, Wf, cout, cin, c.wScale, U);
      const scratch = c.e.threadScratch(scratchBytes, 'nn-conv-wino');
      const { work, workBytes } = gemmScratch(c.dt);
      c.e.parallelFor(`nn_conv_wino_fwd_${c.dt}`, [dy, c.B, H, W, cout, U, cin, dx, imgs, scratch, scratchBytes, work, workBytes], Math.ceil(c.B / imgs));
    } finally { c.e.heap.release(U); }
  } finally { c.e.heap.release(Wf); }
  return true;
}

export const convOp: Op = {
  forward(c, x, y) {
    convForward(c, x, c.ls.inShape.C, c.W, c.ls.outShape.C, c.wScale, c.b, c.bScale, 0, y);
  },
  forwardRelu(c, x, y, r) {
    convForward(c, x, c.ls.inShape.C, c.W, c.ls.outShape.C, c.wScale, c.b, c.bScale, 0, y, r);
  },
  vjp(c, x, _y, dy, dx, gW, gb) {
    const cin = c.ls.inShape.C, cout = c.ls.outShape.C, { H, W } = c.ls.inShape, sz = BYTES[c.dt];
    const nW = 9 * cin * cout;
    if (gW || gb) {
      if (!gW || (c.b && gb !== gW + nW * sz) || (!c.b && gb)) throw new Error('conv VJP: gW and gb must be adjacent (the parameter layout keeps W then b)');
      const P = c.B * H * W, withBias = gb ? 1 : 0, len = nW + (withBias ? cout : 0);
      // slot count depends on the batch only (not on threads), so sums are reproducible
      const nSlots = Math.min(16, Math.ceil(P / 512)), rowsPerSlot = Math.ceil(P / nSlots);
      const slots = c.e.heap.alloc(nSlots * len * sz);
      try {
        const { scratch, scratchBytes } = scratchFor(c, cin);
        const { work, workBytes } = gemmScratch(c.dt);
        c.e.parallelFor(`nn_conv_grad_slot_${c.dt}`, [x, c.B, H, W, cin, dy, cout, withBias, slots, rowsPerSlot, scratch, scratchBytes, work, workBytes], nSlots);
        const chunk = 4096;
        c.e.parallelFor(`nn_sum_slots_${c.dt}`, [slots, nSlots, len, nW, c.wScale, c.bScale, gW, 0, chunk], Math.ceil(len / chunk));
      } finally { c.e.heap.release(slots); }
    }
    if (dx && cin < convTuning.scatterBelowCin) {
      // few input channels: dPatches = dY W^T (9 Cin wide) scattered back per image
      const { scratch, scratchBytes } = scratchFor(c, cin);
      const { work, workBytes } = gemmScratch(c.dt);
      c.e.parallelFor(`nn_conv_dx_scatter_${c.dt}`, [dy, H, W, cout, c.W, cin, c.wScale, dx, scratch, scratchBytes, work, workBytes], c.B);
    } else if (dx) {
      const Wf = c.e.heap.alloc(nW * sz);
      try {
        c.e.call(`nn_conv_flip_${c.dt}`, c.W, cin, cout, Wf);
        convForward(c, dy, cout, Wf, cin, c.wScale, 0, 0, 0, dx);
      } finally { c.e.heap.release(Wf); }
    }
  },
  jvp(c, x, tx, tW, tb, ty) {
    const cin = c.ls.inShape.C, cout = c.ls.outShape.C;
    if (tx) convForward(c, tx, cin, c.W, cout, c.wScale, tb, c.bScale, 0, ty);
    if (tW) convForward(c, x, cin, tW, cout, c.wScale, tx ? 0 : tb, c.bScale, tx ? 1 : 0, ty);
    if (!tx && !tW) {
      new Uint8Array(c.e.memory.buffer, ty, c.B * c.ls.outShape.H * c.ls.outShape.W * cout * BYTES[c.dt]).fill(0);
      const rows = c.B * c.ls.outShape.H * c.ls.outShape.W, per = Math.max(1, Math.floor(16384 / cout));
      if (tb) c.e.parallelFor(`nn_add_bias_${c.dt}`, [ty, tb, rows, cout, c.bScale, per], Math.ceil(rows / per));
    }
  },
};
