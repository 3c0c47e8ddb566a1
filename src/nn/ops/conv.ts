// 3x3 SAME conv, W HWIO (3, 3, Cin, Cout): Winograd F(2x2, 3x3) where the shapes allow
// (assembly/nn/conv_winograd.ts), else wasm tasks in assembly/nn/conv3x3.ts that build im2col
// patches per task and run the packed GEMM on them.
//   forward y = s conv(x, W) + bs b;  VJP gW, gb from fixed row slots summed in order,
//   dx = s conv(dy, flip(W)) (a gather, no scatter);  JVP ty = s (conv(tx, W) + conv(x, tW)) + bs tb.
import { gemmScratch } from '../../linalg/gemm.js';
import { BYTES, type Op, type OpCtx } from './types.js';
import { spreadCount } from './wino_planes.js';
import { winoFilterOperand } from './wino_filter.js';

/**
 * dX in scatter form (dY W^T, then patch entries added to their pixels) below this many
 * input channels, else in gather form (conv of dY with flipped weights, a GEMM Cin wide).
 * winograd: 3x3 convs with even H, W and channel counts multiples of 4 go through Winograd
 * F(2x2, 3x3) (forward, dX and dW; false forces im2col, for tests). winoBytes: transformed
 * tiles per task (a group of images), about an L2's worth.
 */
export const convTuning = { scatterBelowCin: 8, winograd: true, winoBytes: 1 << 20, winograd4: true };

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

/** With winogradFits: whether they take F(4x4, 3x3) (H, W multiples of 4) rather than F(2x2, 3x3). */
const winograd4Fits = (c: OpCtx): boolean => convTuning.winograd4 && c.ls.inShape.H % 4 === 0 && c.ls.inShape.W % 4 === 0;

/** Whether this layer's convs take the Winograd route (H, W even, channel counts multiples of 4). */
export function winogradFits(c: OpCtx): boolean {
  const { H, W, C } = c.ls.inShape;
  return convTuning.winograd && H % 2 === 0 && W % 2 === 0 && C % 4 === 0 && c.ls.outShape.C % 4 === 0;
}

/**
 * y = s conv(x, Wt) (+ bs bias) (+ y when acc) (R = max(y, 0) when R) by Winograd, cin -> cout channels:
 * F(4x4, 3x3) where H, W are multiples of 4 (assembly/nn/conv_winograd4.ts: 36 GEMMs over a
 * quarter of the tiles, 1.78x fewer multiplications), else F(2x2, 3x3) (conv_winograd.ts, 16).
 * flip: use the flipped weights (Wt is then the layer's cout -> cin HWIO tensor: dX).
 * Images per task depend on the batch and shapes only (not on threads).
 */
function winoConv(c: OpCtx, x: number, cin: number, Wt: number, cout: number, flip: boolean, bias: number, bs: number, y: number, R = 0, acc = 0): void {
  const { H, W } = c.ls.inShape, sz = BYTES[c.dt];
  const f4 = winograd4Fits(c), planes = f4 ? 36 : 16, w = f4 ? 'wino4' : 'wino';
  const nT = (H * W) / (f4 ? 16 : 4), perImg = planes * nT * (cin + cout) * sz;
  const imgs = Math.max(1, Math.min(Math.floor((f4 ? 2 : 1) * convTuning.winoBytes / perImg), Math.ceil(c.B / 8)));
  // planes padded against L1 set aliasing (cifar-cnn's 64-tile 16 x 16 planes are 4 KiB multiples)
  const PV = spreadCount(imgs * nT, (f4 ? Math.min(cin, cout) : cin) * sz), PM = f4 ? PV : spreadCount(imgs * nT, cout * sz);
  const scratchBytes = Math.ceil((planes * (PV * cin + PM * cout) * sz) / 64) * 64;
  const U = winoFilterOperand(c, Wt, cin, cout, flip, f4);
  try {
    const scratch = c.e.threadScratch(scratchBytes, `nn-conv-${w}`);
    const { work, workBytes } = gemmScratch(c.dt);
    // F(4x4)'s planes share one stride; its (mask, maskPer) slots are the eNTK's fused ReLU (none here)
    const planeArgs = f4 ? [PV, 0, 1] : [PV, PM];
    c.e.parallelFor(`nn_conv_${w}_fwd_${c.dt}`, [x, c.B, H, W, cin, U, cout, y, imgs, ...planeArgs, scratch, scratchBytes, work, workBytes, bias, bs, R, acc], Math.ceil(c.B / imgs));
  } finally { c.e.heap.release(U); }
}

/**
 * dx = s conv(dy, flip(W)) by Winograd F(2x2, 3x3) (assembly/nn/conv_winograd.ts) when the
 * layer allows it (winogradFits); false: not applicable. Same values as the im2col VJP's dx
 * up to rounding; the VJP and the empirical NTK's row-wise backward use it.
 */
export function convDxWinograd(c: OpCtx, dy: number, dx: number): boolean {
  if (!winogradFits(c)) return false;
  winoConv(c, dy, c.ls.outShape.C, c.W, c.ls.inShape.C, true, 0, 0, dx);
  return true;
}

/**
 * gW (and gb right after it) by Winograd: fixed image slots (their count depends on the batch
 * only), each M = sum over its tiles of V^T (A g A^T), dW = G^T M G; slots summed in order.
 */
function winoGrad(c: OpCtx, x: number, dy: number, gW: number, withBias: number): void {
  const cin = c.ls.inShape.C, cout = c.ls.outShape.C, { H, W } = c.ls.inShape, sz = BYTES[c.dt];
  // F(4x4) where H, W are multiples of 4: 36 planes of a quarter of the tiles (nn_conv_wino4_grad_slot)
  const f4 = winograd4Fits(c), planes = f4 ? 36 : 16;
  const nW = 9 * cin * cout, len = nW + (withBias ? cout : 0), nT = (H * W) / (f4 ? 16 : 4);
  const perSlot = Math.ceil(c.B / Math.min(16, c.B)), nSlots = Math.ceil(c.B / perSlot);
  const perImg = planes * nT * (cin + cout) * sz;
  const sub = Math.max(1, Math.min(perSlot, Math.floor(convTuning.winoBytes / perImg)));
  const PV = spreadCount(sub * nT, cin * sz), PU = spreadCount(sub * nT, cout * sz);
  const scratchBytes = Math.ceil((planes * (cin * cout + PV * cin + PU * cout) * sz) / 64) * 64;
  const slots = c.e.heap.alloc(nSlots * len * sz);
  try {
    const scratch = c.e.threadScratch(scratchBytes, 'nn-conv-wino-grad');
    const { work, workBytes } = gemmScratch(c.dt);
    c.e.parallelFor(`nn_conv_wino${f4 ? '4' : ''}_grad_slot_${c.dt}`, [x, c.B, H, W, cin, dy, cout, withBias, slots, perSlot, sub, PV, PU, scratch, scratchBytes, work, workBytes], nSlots);
    const chunk = 4096;
    c.e.parallelFor(`nn_sum_slots_${c.dt}`, [slots, nSlots, len, nW, c.wScale, c.bScale, gW, 0, chunk], Math.ceil(len / chunk));
  } finally { c.e.heap.release(slots); }
}

export const convOp: Op = {
  forward(c, x, y) {
    if (winogradFits(c)) winoConv(c, x, c.ls.inShape.C, c.W, c.ls.outShape.C, false, c.b, c.bScale, y);
    else convForward(c, x, c.ls.inShape.C, c.W, c.ls.outShape.C, c.wScale, c.b, c.bScale, 0, y);
  },
  forwardRelu(c, x, y, r) {
    if (winogradFits(c)) winoConv(c, x, c.ls.inShape.C, c.W, c.ls.outShape.C, false, c.b, c.bScale, y, r);
    else convForward(c, x, c.ls.inShape.C, c.W, c.ls.outShape.C, c.wScale, c.b, c.bScale, 0, y, r);
  },
  vjp(c, x, _y, dy, dx, gW, gb) {
    const cin = c.ls.inShape.C, cout = c.ls.outShape.C, { H, W } = c.ls.inShape, sz = BYTES[c.dt];
    const nW = 9 * cin * cout;
    if (gW || gb) {
      if (!gW || (c.b && gb !== gW + nW * sz) || (!c.b && gb)) throw new Error('conv VJP: gW and gb must be adjacent (the parameter layout keeps W then b)');
      if (winogradFits(c)) winoGrad(c, x, dy, gW, gb ? 1 : 0);
      else {
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
    }
    if (dx && convDxWinograd(c, dy, dx)) return;
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
    if (winogradFits(c) && (tx || tW)) {
      if (tx) winoConv(c, tx, cin, c.W, cout, false, tb, c.bScale, ty);
      if (tW) winoConv(c, x, cin, tW, cout, false, tx ? 0 : tb, c.bScale, ty, 0, tx ? 1 : 0);
      return;
    }
    if (tx) convForward(c, tx, cin, c.W, cout, c.wScale, tb, c.bScale, 0, ty);
    if (tW) convForward(c, x, cin, tW, cout, c.wScale, tx ? 0 : tb, c.bScale, tx ? 1 : 0, ty);
    if (!tx && !tW) {
      new Uint8Array(c.e.memory.buffer, ty, c.B * c.ls.outShape.H * c.ls.outShape.W * cout * BYTES[c.dt]).fill(0);
      const rows = c.B * c.ls.outShape.H * c.ls.outShape.W, per = Math.max(1, Math.floor(16384 / cout));
      if (tb) c.e.parallelFor(`nn_add_bias_${c.dt}`, [ty, tb, rows, cout, c.bScale, per], Math.ceil(rows / per));
    }
  },
};
