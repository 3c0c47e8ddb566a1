// Layer descriptions, stax style: one value per layer, three views. The analytic view
// (compile.ts -> assembly/kernels/ntk.ts) uses each layer's kernel map (spec §1); the finite
// net (src/nn/net.ts) uses its parameter shapes (src/kernels/shapes.ts), initialisation and
// forward/VJP/JVP ops (src/nn/ops/). Widths (`out`) matter only to finite nets: the kernels
// are their infinite-width limit, so `out` on hidden layers is ignored by the analytic view.

export interface DenseLayer {
  readonly kind: 'dense'; readonly wStd: number; readonly bStd: number; readonly out?: number;
  /** Frozen readout (spec §1 two-layer net): +-1 weights, never trained, no NTK term. */
  readonly frozen?: boolean;
}
/** 3x3 SAME conv (stride 1, zero padding) with `out` channels (finite nets). */
export interface ConvLayer { readonly kind: 'conv'; readonly wStd: number; readonly bStd: number; readonly out?: number }
export interface ReluLayer { readonly kind: 'relu' }
export interface FlattenLayer { readonly kind: 'flatten' }
/** Multiplies nngp and ntk (and q) by `factor`, or by the input dimension d when 'inputDim'; a finite net multiplies its activations by sqrt(factor). */
export interface ScaleLayer { readonly kind: 'scale'; readonly factor: number | 'inputDim' }
/** 2x2 average pooling, stride 2 (finite nets; the analytic view has no map for it here). */
export interface AvgPoolLayer { readonly kind: 'avgPool'; readonly window: 2 }
/** 2x2 max pooling, stride 2 (finite nets only: max pooling has no analytic kernel). */
export interface MaxPoolLayer { readonly kind: 'maxPool'; readonly window: 2 }
export type Layer = DenseLayer | ConvLayer | ReluLayer | FlattenLayer | ScaleLayer | AvgPoolLayer | MaxPoolLayer;

export interface LayerStd { wStd?: number; bStd?: number }

function checkStd(what: string, wStd: number, bStd: number): void {
  if (!Number.isFinite(wStd) || wStd <= 0) throw new RangeError(`${what}: wStd must be a positive finite number, got ${wStd}`);
  if (!Number.isFinite(bStd) || bStd < 0) throw new RangeError(`${what}: bStd must be a non-negative finite number, got ${bStd}`);
}

/**
 * Dense(W_std, b_std): nngp <- W_std^2 nngp + b_std^2, ntk <- nngp_new + W_std^2 ntk.
 * `out` (number of outputs) does not change the kernel: it is shared across outputs.
 */
export function dense(opts: LayerStd & { out?: number; frozen?: boolean } = {}): DenseLayer {
  const { wStd = 1, bStd = 0, out, frozen } = opts;
  checkStd('dense', wStd, bStd);
  checkOut('dense', out);
  return frozen ? { kind: 'dense', wStd, bStd, out, frozen: true } : { kind: 'dense', wStd, bStd, out };
}

function checkOut(what: string, out: number | undefined): void {
  if (out !== undefined && (!Number.isInteger(out) || out < 1)) throw new RangeError(`${what}: out must be a positive integer, got ${out}`);
}

/** Conv(3x3, SAME, zero padding): the per-pixel maps average the 3x3 neighbourhood (/9). `out`: channels of a finite net. */
export function conv(opts: LayerStd & { out?: number } = {}): ConvLayer {
  const { wStd = 1, bStd = 0, out } = opts;
  checkStd('conv', wStd, bStd);
  checkOut('conv', out);
  return out === undefined ? { kind: 'conv', wStd, bStd } : { kind: 'conv', wStd, bStd, out };
}

/** 2x2 average pooling with stride 2 (odd trailing rows/columns dropped). */
export function avgPool(window: 2 = 2): AvgPoolLayer {
  if (window !== 2) throw new RangeError(`avgPool: only a 2 x 2 window is supported, got ${window}`);
  return { kind: 'avgPool', window };
}

/** 2x2 max pooling with stride 2 (odd trailing rows/columns dropped). */
export function maxPool(window: 2 = 2): MaxPoolLayer {
  if (window !== 2) throw new RangeError(`maxPool: only a 2 x 2 window is supported, got ${window}`);
  return { kind: 'maxPool', window };
}

/** ReLU: arc-cosine maps of degree 1 (nngp) and 0 (ntk factor). */
export function relu(): ReluLayer { return { kind: 'relu' }; }

/** Flatten: mean of the per-pixel maps (the only pixel pairs a flatten readout needs are p = p'). */
export function flatten(): FlattenLayer { return { kind: 'flatten' }; }

export function scale(factor: number | 'inputDim'): ScaleLayer {
  if (factor !== 'inputDim' && !(Number.isFinite(factor) && factor > 0)) throw new RangeError(`scale: factor must be positive, got ${factor}`);
  return { kind: 'scale', factor };
}
