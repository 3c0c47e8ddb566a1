// The interface every layer op implements: forward, VJP and JVP on wasm pointers (byte
// offsets) for a batch of B rows, in the net's dtype. A pointer of 0 means "not wanted"
// (outputs) or "zero" (input tangent tx, parameter tangents of a layer without them).
import type { Dtype, Engine } from '../../../bindings/engine.js';
import type { LayerShape } from '../../kernels/shapes.js';

export interface OpCtx {
  readonly e: Engine;
  readonly dt: Dtype;
  /** Rows (inputs) in the batch. */
  readonly B: number;
  readonly ls: LayerShape;
  /** Forward multipliers: h = wScale (x W) + bScale b. */
  readonly wScale: number;
  readonly bScale: number;
  /** Pointers to this layer's weights and bias (0 when it has none). */
  readonly W: number;
  readonly b: number;
}

export interface Op {
  /** y = layer(x). */
  forward(c: OpCtx, x: number, y: number): void;
  /** Optional fusion with a following ReLU: y = layer(x) and r = max(y, 0) in one pass. */
  forwardRelu?(c: OpCtx, x: number, y: number, r: number): void;
  /** From the output cotangent dy: dx (input cotangent), gW and gb (parameter gradients, overwritten). y is the cached output. */
  vjp(c: OpCtx, x: number, y: number, dy: number, dx: number, gW: number, gb: number): void;
  /** Output tangent ty for an input tangent tx and parameter tangents tW, tb (0 = zero). */
  jvp(c: OpCtx, x: number, tx: number, tW: number, tb: number, ty: number): void;
}

export const BYTES: Record<Dtype, number> = { f64: 8, f32: 4 };
/** Elements per task of the elementwise kernels. */
export const CHUNK = 16384;
export const tasksFor = (n: number, chunk = CHUNK): number => Math.ceil(n / chunk);

/** ty = 0 (B rows of the layer's output). */
export function zeroOut(c: OpCtx, ptr: number): void {
  const n = c.B * c.ls.outShape.H * c.ls.outShape.W * c.ls.outShape.C;
  new Uint8Array(c.e.memory.buffer, ptr, n * BYTES[c.dt]).fill(0);
}
