// 2x2 stride-2 pooling (assembly/nn/pool2.ts), one task per image.
//   avgPool: linear; VJP spreads dy / 4; JVP = forward of the tangent.
//   maxPool: VJP routes dy to the window's first maximum; JVP takes the tangent there.
import { zeroOut, type Op } from './types.js';

export const avgPoolOp: Op = {
  forward(c, x, y) { const { H, W, C } = c.ls.inShape; c.e.parallelFor(`nn_avgpool_${c.dt}`, [0, x, H, W, C, y], c.B); },
  vjp(c, _x, _y, dy, dx) { if (!dx) return; const { H, W, C } = c.ls.inShape; c.e.parallelFor(`nn_avgpool_${c.dt}`, [1, dx, H, W, C, dy], c.B); },
  jvp(c, _x, tx, _tW, _tb, ty) {
    if (!tx) { zeroOut(c, ty); return; }
    const { H, W, C } = c.ls.inShape; c.e.parallelFor(`nn_avgpool_${c.dt}`, [0, tx, H, W, C, ty], c.B);
  },
};

export const maxPoolOp: Op = {
  forward(c, x, y) { const { H, W, C } = c.ls.inShape; c.e.parallelFor(`nn_maxpool_${c.dt}`, [0, x, 0, H, W, C, y, 1], c.B); },
  vjp(c, x, _y, dy, dx) { if (!dx) return; const { H, W, C } = c.ls.inShape; c.e.parallelFor(`nn_maxpool_${c.dt}`, [1, x, dy, H, W, C, dx, 1], c.B); },
  jvp(c, x, tx, _tW, _tb, ty) {
    if (!tx) { zeroOut(c, ty); return; }
    const { H, W, C } = c.ls.inShape; c.e.parallelFor(`nn_maxpool_${c.dt}`, [2, x, tx, H, W, C, ty, 1], c.B);
  },
};
