// Dense layer, W (in, out) row-major: y = s x W + bs b. All three views are GEMMs on the
// packed wasm GEMM (gemmRaw, split over the pool in fixed tiles, so deterministic).
//   VJP: gW = s x^T dy, gb = bs colsum(dy), dx = s dy W^T.   JVP: ty = s (tx W + x tW) + bs tb.
import { gemmRaw } from '../../linalg/gemm.js';
import { CHUNK, zeroOut, type Op, type OpCtx } from './types.js';

const sizes = (c: OpCtx) => ({ nin: c.ls.inShape.H * c.ls.inShape.W * c.ls.inShape.C, nout: c.ls.outShape.C });

function addBias(c: OpCtx, y: number, b: number, nout: number): void {
  const rows = Math.max(1, Math.floor(CHUNK / nout));
  c.e.parallelFor(`nn_add_bias_${c.dt}`, [y, b, c.B, nout, c.bScale, rows], Math.ceil(c.B / rows));
}

export const denseOp: Op = {
  forward(c, x, y) {
    const { nin, nout } = sizes(c);
    gemmRaw(c.dt, false, false, c.B, nout, nin, c.wScale, x, nin, c.W, nout, 0, y, nout);
    if (c.b) addBias(c, y, c.b, nout);
  },
  vjp(c, x, _y, dy, dx, gW, gb) {
    const { nin, nout } = sizes(c);
    if (gW) gemmRaw(c.dt, true, false, nin, nout, c.B, c.wScale, x, nin, dy, nout, 0, gW, nout);
    if (gb) c.e.call(`nn_colsum_${c.dt}`, dy, c.B, nout, c.bScale, gb, 0);
    if (dx) gemmRaw(c.dt, false, true, c.B, nin, nout, c.wScale, dy, nout, c.W, nout, 0, dx, nin);
  },
  jvp(c, x, tx, tW, tb, ty) {
    const { nin, nout } = sizes(c);
    if (tx) gemmRaw(c.dt, false, false, c.B, nout, nin, c.wScale, tx, nin, c.W, nout, 0, ty, nout);
    if (tW) gemmRaw(c.dt, false, false, c.B, nout, nin, c.wScale, x, nin, tW, nout, tx ? 1 : 0, ty, nout);
    if (!tx && !tW) zeroOut(c, ty);
    if (tb) addBias(c, ty, tb, nout);
  },
};
