// Compiles a layer list for one input shape into the op program the wasm interpreter runs
// (assembly/kernels/ntk.ts): 5 f64 per op (code, a, b, Pin, 0), where Pin is the number of
// pixels the op sees (1 once flattened) and a ReLU's `a` is its offset in the q store.
import type { Layer } from './layers.js';

export const OP = { dense: 1, relu: 2, conv: 3, flatten: 4, scale: 5, saveq: 6 } as const;
export const OPW = 5;

/** Image shape, channels last: H x W x C. */
export type ImageShape = readonly [number, number, number];

export interface Program {
  ops: Float64Array;
  nops: number;
  /** 0: flat inputs (nngp0 = X X'^T / d by GEMM); 1: per-pixel maps on H x W x C images. */
  mode: 0 | 1;
  H: number; W: number; C: number; d: number;
  /** Largest map size (pixels) any op sees. */
  Pmax: number;
  nrelu: number;
  /** Per-input q-store length: sum of ReLU map sizes, plus 1 for the final nngp(x, x). */
  qstride: number;
  /** Offset (per-point units) of the final nngp(x, x) block in the q store. */
  finalQ: number;
}

function shapeText(s: ImageShape): string { return `${s[0]} x ${s[1]} x ${s[2]}`; }

export function compileProgram(layers: readonly Layer[], d: number, shape?: ImageShape): Program {
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`kernel: input dimension must be a positive integer, got ${d}`);
  if (shape) {
    const [H, W, C] = shape;
    if (![H, W, C].every((v) => Number.isInteger(v) && v >= 1)) throw new RangeError(`kernel: image shape must be positive integers H x W x C, got ${shape.join(' x ')}`);
    if (H * W * C !== d) throw new RangeError(`kernel: image shape ${shapeText(shape)} needs ${H * W * C} values per row, but the input rows have ${d}`);
  }
  if (layers.length === 0) throw new RangeError('kernel: the architecture has no layers');
  let i = 0;
  // Flat mode when the first map-changing layer is flatten or dense (FC nets, two-layer net).
  const first = layers.find((l) => l.kind !== 'scale');
  const pixel = first !== undefined && (first.kind === 'conv' || first.kind === 'relu');
  if (pixel && !shape) {
    const hint = Number.isInteger(Math.sqrt(d)) ? ` (e.g. [${Math.sqrt(d)}, ${Math.sqrt(d)}, 1] for ${d} values)` : '';
    throw new RangeError(`kernel: a ${first!.kind} input layer needs an image shape H x W x C${hint}; got flat rows of ${d} values without a shape`);
  }
  const [H, W, C] = pixel ? shape! : [1, 1, d];
  let P = pixel ? H * W : 1;
  const ops: number[] = [];
  let q = 0, nrelu = 0;
  for (const l of layers) {
    const where = `layer ${i} (${l.kind})`;
    switch (l.kind) {
      case 'dense':
        if (l.frozen) {
          // a frozen readout adds no NTK term: nngp and ntk both scale by W_std^2
          if (l.bStd !== 0) throw new RangeError(`kernel: ${where} is a frozen dense layer with a bias (bStd ${l.bStd}); the analytic view supports frozen readouts without bias only`);
          if (P !== 1) throw new RangeError(`kernel: ${where} expects a flat input but gets an H x W map (${H} x ${W}); put flatten() before it`);
          ops.push(OP.scale, l.wStd * l.wStd, 0, P, 0);
          break;
        }
        if (P !== 1) throw new RangeError(`kernel: ${where} expects a flat input but gets an H x W map (${H} x ${W}); put flatten() before it`);
        ops.push(OP.dense, l.wStd * l.wStd, l.bStd * l.bStd, P, 0);
        break;
      case 'conv':
        if (!pixel || P === 1 && H * W !== 1) throw new RangeError(`kernel: ${where} needs an image input (H x W x C) but gets a flat vector${shape ? ' (after flatten/dense)' : ''}`);
        ops.push(OP.conv, l.wStd * l.wStd, l.bStd * l.bStd, P, 0);
        break;
      case 'relu':
        ops.push(OP.relu, q, 0, P, 0);
        q += P; nrelu++;
        break;
      case 'flatten':
        if (P !== 1) { ops.push(OP.flatten, 0, 0, P, 0); P = 1; }
        break;
      case 'scale': {
        const f = l.factor === 'inputDim' ? d : l.factor;
        ops.push(OP.scale, f, 0, P, 0);
        break;
      }
      case 'avgPool':
      case 'maxPool':
        throw new RangeError(`kernel: ${where} has no analytic kernel map here (${l.kind === 'maxPool' ? 'max pooling has no closed-form NNGP/NTK' : 'average pooling needs pixel-pair covariances, which this kernel interpreter does not track'}); pooling layers build finite nets only (buildNet)`);
      default: throw new TypeError(`kernel: unknown layer kind '${(l as { kind: string }).kind}' at layer ${i}`);
    }
    i++;
  }
  if (P !== 1) throw new RangeError(`kernel: the architecture ends with an H x W map; end it with flatten() and dense()`);
  const finalQ = q;
  ops.push(OP.saveq, finalQ, 0, 1, 0);
  return {
    ops: Float64Array.from(ops), nops: ops.length / OPW, mode: pixel ? 1 : 0, H, W, C, d,
    Pmax: pixel ? H * W : 1, nrelu, qstride: finalQ + 1, finalQ,
  };
}
