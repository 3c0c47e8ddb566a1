// ReLU: y = max(x, 0); VJP dx = dy [x > 0]; JVP ty = tx [x > 0] (derivative 0 at 0, as PyTorch).
import { CHUNK, tasksFor, zeroOut, type Op, type OpCtx } from './types.js';

const size = (c: OpCtx) => c.B * c.ls.inShape.H * c.ls.inShape.W * c.ls.inShape.C;

export const reluOp: Op = {
  forward(c, x, y) { const n = size(c); c.e.parallelFor(`nn_relu_${c.dt}`, [0, x, 0, y, n, CHUNK], tasksFor(n)); },
  vjp(c, x, _y, dy, dx) { if (!dx) return; const n = size(c); c.e.parallelFor(`nn_relu_${c.dt}`, [1, x, dy, dx, n, CHUNK], tasksFor(n)); },
  jvp(c, x, tx, _tW, _tb, ty) {
    if (!tx) { zeroOut(c, ty); return; }
    const n = size(c);
    c.e.parallelFor(`nn_relu_${c.dt}`, [1, x, tx, ty, n, CHUNK], tasksFor(n));
  },
};
