// Layer descriptions, stax style: each layer is a small value naming its kernel map (spec §1);
// serial(...) composes them. The maps and their derivatives run in wasm (assembly/kernels/ntk.ts)
// after compile.ts turns the layer list into an op program.

export interface DenseLayer { readonly kind: 'dense'; readonly wStd: number; readonly bStd: number; readonly out?: number }
export interface ConvLayer { readonly kind: 'conv'; readonly wStd: number; readonly bStd: number }
export interface ReluLayer { readonly kind: 'relu' }
export interface FlattenLayer { readonly kind: 'flatten' }
/** Multiplies nngp and ntk (and q) by `factor`, or by the input dimension d when 'inputDim'. */
export interface ScaleLayer { readonly kind: 'scale'; readonly factor: number | 'inputDim' }
export type Layer = DenseLayer | ConvLayer | ReluLayer | FlattenLayer | ScaleLayer;

export interface LayerStd { wStd?: number; bStd?: number }

function checkStd(what: string, wStd: number, bStd: number): void {
  if (!Number.isFinite(wStd) || wStd <= 0) throw new RangeError(`${what}: wStd must be a positive finite number, got ${wStd}`);
  if (!Number.isFinite(bStd) || bStd < 0) throw new RangeError(`${what}: bStd must be a non-negative finite number, got ${bStd}`);
}

/**
 * Dense(W_std, b_std): nngp <- W_std^2 nngp + b_std^2, ntk <- nngp_new + W_std^2 ntk.
 * `out` (number of outputs) does not change the kernel: it is shared across outputs.
 */
export function dense(opts: LayerStd & { out?: number } = {}): DenseLayer {
  const { wStd = 1, bStd = 0, out } = opts;
  checkStd('dense', wStd, bStd);
  if (out !== undefined && (!Number.isInteger(out) || out < 1)) throw new RangeError(`dense: out must be a positive integer, got ${out}`);
  return { kind: 'dense', wStd, bStd, out };
}

/** Conv(3x3, SAME, zero padding): the per-pixel maps average the 3x3 neighbourhood (/9). */
export function conv(opts: LayerStd = {}): ConvLayer {
  const { wStd = 1, bStd = 0 } = opts;
  checkStd('conv', wStd, bStd);
  return { kind: 'conv', wStd, bStd };
}

/** ReLU: arc-cosine maps of degree 1 (nngp) and 0 (ntk factor). */
export function relu(): ReluLayer { return { kind: 'relu' }; }

/** Flatten: mean of the per-pixel maps (the only pixel pairs a flatten readout needs are p = p'). */
export function flatten(): FlattenLayer { return { kind: 'flatten' }; }

export function scale(factor: number | 'inputDim'): ScaleLayer {
  if (factor !== 'inputDim' && !(Number.isFinite(factor) && factor > 0)) throw new RangeError(`scale: factor must be positive, got ${factor}`);
  return { kind: 'scale', factor };
}
