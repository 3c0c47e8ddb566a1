// Layer kind -> its op (forward, VJP, JVP). Flatten has none: NHWC rows are already flat,
// so the net passes its pointers through.
import type { Layer } from '../../kernels/layers.js';
import { convOp } from './conv.js';
import { denseOp } from './dense.js';
import { avgPoolOp, maxPoolOp } from './pool.js';
import { reluOp } from './relu.js';
import { scaleOp } from './scale.js';
import type { Op } from './types.js';

export function opFor(l: Layer): Op | null {
  switch (l.kind) {
    case 'dense': return denseOp;
    case 'conv': return convOp;
    case 'relu': return reluOp;
    case 'scale': return scaleOp;
    case 'avgPool': return avgPoolOp;
    case 'maxPool': return maxPoolOp;
    case 'flatten': return null;
  }
}
export { type Op, type OpCtx, BYTES } from './types.js';
