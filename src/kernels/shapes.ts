// Shape inference shared by the views of a layer list: per layer its input and output
// shapes (channels last) and the shapes of its parameters. Finite nets need widths; the
// analytic view ignores them. Hidden dense/conv layers without `out` take `width`.
import type { Layer } from './layers.js';

/** H x W x C map; `flat` once a flatten or dense has run (then H = W = 1). */
export interface MapShape { readonly H: number; readonly W: number; readonly C: number; readonly flat: boolean }

export interface ParamSpec { readonly name: 'W' | 'b'; readonly shape: readonly number[] }

export interface LayerShape {
  readonly index: number;
  readonly layer: Layer;
  readonly inShape: MapShape;
  readonly outShape: MapShape;
  /** Trainable tensors (W then b), in the parameter buffer's order. */
  readonly params: readonly ParamSpec[];
  /** Frozen tensors (a frozen readout's W), kept outside the parameter buffer. */
  readonly consts: readonly ParamSpec[];
  /** Inputs per output unit: in for dense, 9 Cin for conv (0 for parameter-free layers). */
  readonly fanIn: number;
}

export const mapSize = (s: MapShape): number => s.H * s.W * s.C;
export const shapeText = (s: MapShape): string => (s.flat ? `${s.C}` : `${s.H} x ${s.W} x ${s.C}`);

export interface InferOptions {
  /** Width of hidden dense/conv layers that do not set `out` (finite nets). */
  width?: number;
  /** NTK parameterisation drops the bias tensor of layers with bStd = 0 (it never affects the output). */
  parameterization?: 'ntk' | 'standard';
}

/**
 * Shapes through `layers` for inputs of shape `input` (H x W x C images, or flat rows of
 * C values with H = W = 1 and flat = true). Throws naming the layer when a shape does not fit.
 */
export function inferShapes(layers: readonly Layer[], input: MapShape, opts: InferOptions = {}): LayerShape[] {
  const { width, parameterization = 'ntk' } = opts;
  if (width !== undefined && (!Number.isInteger(width) || width < 1)) throw new RangeError(`net: width must be a positive integer, got ${width}`);
  if (layers.length === 0) throw new RangeError('net: the architecture has no layers');
  let lastDense = -1;
  layers.forEach((l, i) => { if (l.kind === 'dense') lastDense = i; });
  let s = input;
  const out: LayerShape[] = [];
  layers.forEach((l, i) => {
    const where = `layer ${i} (${l.kind})`;
    let o: MapShape = s, fanIn = 0;
    const params: ParamSpec[] = [], consts: ParamSpec[] = [];
    const hasBias = (bStd: number) => parameterization === 'standard' || bStd !== 0;
    const widthOf = (n: number | undefined, last: boolean): number => {
      if (n !== undefined) return n;
      if (last) return 1;
      if (width === undefined) throw new RangeError(`net: ${where} has no width (out); give one or a default width`);
      return width;
    };
    switch (l.kind) {
      case 'dense': {
        if (!s.flat && s.H * s.W !== 1) throw new RangeError(`net: ${where} expects a flat input but gets an ${s.H} x ${s.W} x ${s.C} map; put flatten() before it`);
        const nin = mapSize(s), nout = widthOf(l.out, i === lastDense);
        fanIn = nin;
        o = { H: 1, W: 1, C: nout, flat: true };
        (l.frozen ? consts : params).push({ name: 'W', shape: [nin, nout] });
        if (!l.frozen && hasBias(l.bStd)) params.push({ name: 'b', shape: [nout] });
        if (l.frozen && l.bStd !== 0) throw new RangeError(`net: ${where} is frozen with bStd ${l.bStd}; frozen readouts have no bias`);
        break;
      }
      case 'conv': {
        if (s.flat) throw new RangeError(`net: ${where} needs an image input (H x W x C) but gets a flat vector of ${s.C}`);
        const cout = widthOf(l.out, false);
        fanIn = 9 * s.C;
        o = { H: s.H, W: s.W, C: cout, flat: false };
        params.push({ name: 'W', shape: [3, 3, s.C, cout] });
        if (hasBias(l.bStd)) params.push({ name: 'b', shape: [cout] });
        break;
      }
      case 'avgPool':
      case 'maxPool':
        if (s.flat) throw new RangeError(`net: ${where} needs an image input (H x W x C) but gets a flat vector of ${s.C}`);
        if (s.H < 2 || s.W < 2) throw new RangeError(`net: ${where} needs a map of at least 2 x 2, got ${s.H} x ${s.W} x ${s.C}`);
        o = { H: s.H >> 1, W: s.W >> 1, C: s.C, flat: false };
        break;
      case 'flatten':
        o = { H: 1, W: 1, C: mapSize(s), flat: true };
        break;
      case 'relu':
      case 'scale':
        break;
      default: throw new TypeError(`net: unknown layer kind '${(l as { kind: string }).kind}' at layer ${i}`);
    }
    out.push({ index: i, layer: l, inShape: s, outShape: o, params, consts, fanIn });
    s = o;
  });
  if (!s.flat && s.H * s.W !== 1) throw new RangeError(`net: the architecture ends with an ${s.H} x ${s.W} x ${s.C} map; end it with flatten() and dense()`);
  return out;
}
