// Scale layer of a finite net: y = sqrt(factor) x (the analytic scale multiplies kernels by
// factor). Linear, so forward, VJP and JVP are the same multiplication.
import { CHUNK, tasksFor, zeroOut, type Op, type OpCtx } from './types.js';

const size = (c: OpCtx) => c.B * c.ls.inShape.H * c.ls.inShape.W * c.ls.inShape.C;
const mul = (c: OpCtx, a: number, b: number) => { const n = size(c); c.e.parallelFor(`nn_scale_${c.dt}`, [a, b, n, c.wScale, 0, CHUNK], tasksFor(n)); };

/** The multiplier travels as the context's wScale (set by the net from the layer's factor). */
export const scaleOp: Op = {
  forward(c, x, y) { mul(c, x, y); },
  vjp(c, _x, _y, dy, dx) { if (dx) mul(c, dy, dx); },
  jvp(c, _x, tx, _tW, _tb, ty) { if (tx) mul(c, tx, ty); else zeroOut(c, ty); },
};
