// A finite network built from the same layer values as the analytic kernels. Parameters
// live in ONE contiguous wasm buffer (f32 or f64) described by a layout table (per tensor:
// layer, name, shape, offset); that order is the Jacobian column order, and an SGD step is
// one pass over the buffer. Low-level API (wasm pointers, for training and the empirical
// NTK): trace(B) -> run forward with cached activations -> backward (parameter and input
// gradients from output cotangents) or jvp (output tangent for a parameter tangent).
import { engine } from '../engine.js';
import type { Dtype, Engine, WasmBuffer } from '../../bindings/engine.js';
import { fmtBytes } from '../../bindings/heap.js';
import { Kernel } from '../kernels/kernel.js';
import type { Layer } from '../kernels/layers.js';
import type { ImageShape } from '../kernels/compile.js';
import { inferShapes, mapSize, shapeText, type LayerShape, type MapShape } from '../kernels/shapes.js';
import { checkMatrix, type Matrix } from '../linalg/matrix.js';
import { initParams, type Parameterization } from './init.js';
import { BYTES, opFor, type Op, type OpCtx } from './ops/index.js';

export interface NetOptions {
  /** Input: image shape H x W x C (channels last), or the number of flat features. */
  input: ImageShape | number;
  /** Width of hidden dense/conv layers that do not set `out`. */
  width?: number;
  /** 'ntk' (default; matches the analytic kernels) or 'standard' (Flax defaults). */
  parameterization?: Parameterization;
  /** 'f32' (default, training) or 'f64' (gradient checks). */
  dtype?: Dtype;
  seed?: number;
}

/** One tensor of the parameter buffer. Offsets and sizes count elements, not bytes. */
export interface TensorLayout {
  readonly layer: number;
  readonly kind: Layer['kind'];
  readonly name: 'W' | 'b';
  /** dense (in, out); conv HWIO (3, 3, Cin, Cout); bias (out). */
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
}

/** Cached activations of one batch: acts[i] is the input of layer i, acts[L] the output. */
export interface Trace {
  readonly B: number;
  /** Pointers (bytes) of the layer boundaries; flatten shares its input's pointer. */
  readonly acts: readonly number[];
  readonly input: number;
  readonly output: number;
  /** Two scratch buffers of the largest boundary size, for backward/jvp ping-pong. */
  readonly scratch: readonly [number, number];
  free(): void;
}

const WASM_LIMIT = 4 * 2 ** 30;

export class Net {
  readonly layers: readonly Layer[];
  readonly plan: readonly LayerShape[];
  readonly layout: readonly TensorLayout[];
  /** Frozen tensors (frozen readouts), in their own buffer; offsets into `consts`. */
  readonly constLayout: readonly TensorLayout[];
  readonly nParams: number;
  readonly dtype: Dtype;
  readonly parameterization: Parameterization;
  readonly inputShape: MapShape;
  readonly inputDim: number;
  readonly outputs: number;
  readonly seed: number;
  readonly params: WasmBuffer;
  readonly consts: WasmBuffer | null;
  private readonly e: Engine;
  private readonly scales: { w: number; b: number }[];
  private readonly ops: (Op | null)[];
  /** Layer index -> [W tensor, b tensor] in layout / constLayout. */
  private readonly tensors: { W?: TensorLayout; b?: TensorLayout; frozen: boolean }[];

  constructor(layers: readonly Layer[] | Kernel, opts: NetOptions) {
    this.layers = layers instanceof Kernel ? layers.layers : [...layers];
    const { width, parameterization = 'ntk', dtype = 'f32', seed = 0 } = opts;
    if (parameterization !== 'ntk' && parameterization !== 'standard') throw new RangeError(`net: parameterization must be 'ntk' or 'standard', got '${parameterization}'`);
    if (dtype !== 'f32' && dtype !== 'f64') throw new RangeError(`net: dtype must be 'f32' or 'f64', got '${dtype}'`);
    const inp = opts.input;
    if (typeof inp === 'number') {
      if (!Number.isInteger(inp) || inp < 1) throw new RangeError(`net: input size must be a positive integer, got ${inp}`);
      this.inputShape = { H: 1, W: 1, C: inp, flat: true };
    } else {
      if (inp.length !== 3 || !inp.every((v) => Number.isInteger(v) && v >= 1)) throw new RangeError(`net: input shape must be positive integers H x W x C, got ${inp.join(' x ')}`);
      this.inputShape = { H: inp[0], W: inp[1], C: inp[2], flat: false };
    }
    this.dtype = dtype; this.parameterization = parameterization; this.seed = seed;
    this.inputDim = mapSize(this.inputShape);
    this.plan = inferShapes(this.layers, this.inputShape, { width, parameterization });
    this.outputs = this.plan[this.plan.length - 1].outShape.C;
    const layout: TensorLayout[] = [], constLayout: TensorLayout[] = [];
    let off = 0, coff = 0;
    this.tensors = this.plan.map((ls) => {
      const t: { W?: TensorLayout; b?: TensorLayout; frozen: boolean } = { frozen: ls.consts.length > 0 };
      for (const p of ls.params) {
        const size = p.shape.reduce((a, b) => a * b, 1);
        const tl = { layer: ls.index, kind: ls.layer.kind, name: p.name, shape: p.shape, offset: off, size };
        layout.push(tl); t[p.name] = tl; off += size;
      }
      for (const p of ls.consts) {
        const size = p.shape.reduce((a, b) => a * b, 1);
        const tl = { layer: ls.index, kind: ls.layer.kind, name: p.name, shape: p.shape, offset: coff, size };
        constLayout.push(tl); t[p.name] = tl; coff += size;
      }
      return t;
    });
    this.layout = layout; this.constLayout = constLayout; this.nParams = off;
    this.scales = this.plan.map((ls) => {
      const l = ls.layer;
      if (l.kind === 'dense' || l.kind === 'conv') {
        if (parameterization === 'ntk' || (l.kind === 'dense' && l.frozen)) return { w: l.wStd / Math.sqrt(ls.fanIn), b: l.bStd };
        return { w: 1, b: 1 };
      }
      if (l.kind === 'scale') return { w: Math.sqrt(l.factor === 'inputDim' ? this.inputDim : l.factor), b: 0 };
      return { w: 0, b: 0 };
    });
    this.ops = this.plan.map((ls) => opFor(ls.layer));
    this.e = engine();
    const sz = BYTES[dtype];
    if ((off + coff) * sz * 3 > WASM_LIMIT) throw new RangeError(`net: ${off} parameters (${fmtBytes(off * sz)} each for parameters, gradients and momentum) do not fit the ${fmtBytes(WASM_LIMIT)} wasm32 memory`);
    const p64 = new Float64Array(off), c64 = new Float64Array(coff);
    initParams(this.plan, parameterization, seed, p64, c64);
    this.params = this.e.buffer(dtype, off);
    this.params.data.set(p64);
    this.consts = coff ? this.e.buffer(dtype, coff) : null;
    if (this.consts) this.consts.data.set(c64);
  }

  /** Sizes (elements per input row) of the layer boundaries 0..L. */
  get boundarySizes(): number[] {
    return [this.inputDim, ...this.plan.map((ls) => mapSize(ls.outShape))];
  }

  /** Bytes of wasm memory a trace of B rows takes (activations + two scratch buffers). */
  traceBytes(B: number): number {
    const sizes = this.boundarySizes;
    let total = 0;
    sizes.forEach((s, i) => { if (i === 0 || this.plan[i - 1].layer.kind !== 'flatten') total += s; });
    return B * (total + 2 * Math.max(...sizes)) * BYTES[this.dtype];
  }

  /** Throws (naming the 4 GiB wasm32 limit) when a batch of B rows cannot fit next to what is allocated. */
  checkBatchFits(B: number, what = 'batch'): void {
    const need = this.traceBytes(B), have = WASM_LIMIT - this.e.heap.inUse;
    if (need > have) throw new RangeError(`net: a ${what} of ${B} inputs needs ${fmtBytes(need)} of activations; with ${fmtBytes(this.e.heap.inUse)} in use that exceeds the ${fmtBytes(WASM_LIMIT)} wasm32 memory limit; use a smaller ${what}`);
  }

  /** Allocates the activation arena of a B-row batch (one allocation). */
  trace(B: number): Trace {
    if (!Number.isInteger(B) || B < 1) throw new RangeError(`net: batch size must be a positive integer, got ${B}`);
    this.checkBatchFits(B);
    const sz = BYTES[this.dtype], sizes = this.boundarySizes, maxS = Math.max(...sizes);
    const arena = this.e.heap.alloc(this.traceBytes(B));
    const acts: number[] = [];
    let p = arena;
    sizes.forEach((s, i) => {
      if (i > 0 && this.plan[i - 1].layer.kind === 'flatten') { acts.push(acts[i - 1]); return; }
      acts.push(p); p += B * s * sz;
    });
    const scratch: [number, number] = [p, p + B * maxS * sz];
    const e = this.e;
    let live = true;
    return {
      B, acts, input: acts[0], output: acts[acts.length - 1], scratch,
      free: () => { if (live) { e.heap.release(arena); live = false; } },
    };
  }

  /** Layer i's op (forward, VJP, JVP) or null for flatten (pointers pass through). */
  layerOp(i: number): Op | null { return this.ops[i]; }

  /** Layer i's trainable tensors in the layout (W, b; either may be absent) and whether W is frozen. */
  layerTensors(i: number): { W?: TensorLayout; b?: TensorLayout; frozen: boolean } { return this.tensors[i]; }

  /** The op context of layer i for B rows, with weights read from `params` (a pointer to a buffer in layout order). */
  layerCtx(i: number, B: number, params = this.params.ptr): OpCtx { return this.ctx(i, B, params); }

  private ctx(i: number, B: number, params = this.params.ptr): OpCtx {
    const t = this.tensors[i], sz = BYTES[this.dtype];
    const base = (tl: TensorLayout | undefined) => !tl ? 0 : (t.frozen && tl.name === 'W' ? this.consts!.ptr : params) + tl.offset * sz;
    return { e: this.e, dt: this.dtype, B, ls: this.plan[i], wScale: this.scales[i].w, bScale: this.scales[i].b, W: base(t.W), b: base(t.b) };
  }

  /** Forward pass over a trace whose input rows are filled; every boundary is cached. */
  run(tr: Trace, params = this.params.ptr): void {
    for (let i = 0; i < this.plan.length; i++) {
      const op = this.ops[i];
      if (!op) continue;
      if (op.forwardRelu && this.plan[i + 1]?.layer.kind === 'relu') {
        // fused: the ReLU is applied while the op's output rows are in cache (both cached)
        op.forwardRelu(this.ctx(i, tr.B, params), tr.acts[i], tr.acts[i + 1], tr.acts[i + 2]);
        i++;
        continue;
      }
      op.forward(this.ctx(i, tr.B, params), tr.acts[i], tr.acts[i + 1]);
    }
  }

  /**
   * Backward from output cotangents dOut (B x outputs, pointer) after run(tr): parameter
   * gradients into grad (nParams, layout order; 0 = skip) and input gradients into dX
   * (B x inputDim; 0 = skip). Frozen tensors get no gradient. `params`: the weights run() used.
   */
  backward(tr: Trace, dOut: number, grad: number, dX: number, params = this.params.ptr): void {
    const sz = BYTES[this.dtype];
    let firstNeeded = 0;
    if (!dX) { firstNeeded = this.plan.findIndex((_, i) => this.tensors[i].W && !this.tensors[i].frozen || this.tensors[i].b); if (firstNeeded < 0) return; }
    let g = dOut;
    for (let i = this.plan.length - 1; i >= firstNeeded; i--) {
      const op = this.ops[i];
      if (!op) continue; // flatten: the cotangent passes through
      const t = this.tensors[i];
      const wantDx = i > firstNeeded || (i === 0 && dX !== 0);
      const dx = !wantDx ? 0 : i === 0 ? dX : (g === tr.scratch[0] ? tr.scratch[1] : tr.scratch[0]);
      const gW = grad && t.W && !t.frozen ? grad + t.W.offset * sz : 0;
      const gb = grad && t.b ? grad + t.b.offset * sz : 0;
      op.vjp(this.ctx(i, tr.B, params), tr.acts[i], tr.acts[i + 1], g, dx, gW, gb);
      g = dx;
    }
    if (dX && g !== dX) {
      // the net starts with parameter-free pass-through layers (flatten): copy
      const n = tr.B * this.inputDim * sz;
      new Uint8Array(this.e.memory.buffer, dX, n).set(new Uint8Array(this.e.memory.buffer, g, n));
    }
  }

  /**
   * Forward-mode derivative after run(tr): out (B x outputs) = J(x) tangent, for a parameter
   * tangent (nParams, layout order, pointer) and zero input tangent. With an input tangent
   * tX (B x inputDim) as well when given. `params`: the weights run() used.
   */
  jvp(tr: Trace, tangent: number, out: number, tX = 0, params = this.params.ptr): void {
    const sz = BYTES[this.dtype];
    let t = tX;
    const last = this.plan.length - 1;
    for (let i = 0; i <= last; i++) {
      const op = this.ops[i];
      if (!op) continue;
      const tl = this.tensors[i];
      const tW = tangent && tl.W && !tl.frozen ? tangent + tl.W.offset * sz : 0;
      const tb = tangent && tl.b ? tangent + tl.b.offset * sz : 0;
      if (!t && !tW && !tb) continue; // the tangent is still zero
      const ty = i === last ? out : (t === tr.scratch[0] ? tr.scratch[1] : tr.scratch[0]);
      op.jvp(this.ctx(i, tr.B, params), tr.acts[i], t, tW, tb, ty);
      t = ty;
    }
    if (t !== out) new Uint8Array(this.e.memory.buffer, out, tr.B * this.outputs * sz).fill(0);
  }

  /** Typed view of B rows at ptr (valid until wasm memory grows). */
  view(ptr: number, length: number): Float32Array | Float64Array {
    return this.dtype === 'f32' ? new Float32Array(this.e.memory.buffer, ptr, length) : new Float64Array(this.e.memory.buffer, ptr, length);
  }

  private checkX(X: Matrix, what: string): void {
    checkMatrix(X, what);
    if (X.cols !== this.inputDim) throw new RangeError(`${what}: rows have ${X.cols} values but the net expects ${this.inputDim} (${shapeText(this.inputShape)})`);
  }

  /** Outputs (rows x outputs, f64) in batches of at most `batch` rows. */
  forward(X: Matrix, opts: { batch?: number } = {}): Matrix<Float64Array> {
    this.checkX(X, 'net.forward: X');
    const batch = Math.min(opts.batch ?? 256, Math.max(1, X.rows));
    const Y = new Float64Array(X.rows * this.outputs);
    const tr = this.trace(batch);
    try {
      for (let r0 = 0; r0 < X.rows; r0 += batch) {
        const B = Math.min(batch, X.rows - r0);
        this.view(tr.input, batch * this.inputDim).set(X.data.subarray(r0 * X.cols, (r0 + B) * X.cols));
        this.run(tr);
        const out = this.view(tr.output, B * this.outputs);
        for (let i = 0; i < out.length; i++) Y[r0 * this.outputs + i] = out[i];
      }
    } finally { tr.free(); }
    return { data: Y, rows: X.rows, cols: this.outputs };
  }

  /** A copy of the parameters as f64, layout order. */
  getParams(): Float64Array { return Float64Array.from(this.params.data); }

  /** Replaces the parameters (layout order); rejects wrong lengths and non-finite values. */
  setParams(p: ArrayLike<number>): void {
    if (p.length !== this.nParams) throw new RangeError(`net: ${p.length} parameter values given, the net has ${this.nParams}`);
    for (let i = 0; i < p.length; i++) if (!Number.isFinite(p[i])) throw new RangeError(`net: parameter ${i} is ${p[i]}`);
    this.params.data.set(p);
  }

  /** Parameters of one tensor (f64 copy). */
  tensor(layer: number, name: 'W' | 'b'): Float64Array {
    const t = this.tensors[layer]?.[name];
    if (!t) throw new RangeError(`net: layer ${layer} has no tensor ${name}`);
    const src = t.name === 'W' && this.tensors[layer].frozen ? this.consts! : this.params;
    return Float64Array.from(src.data.subarray(t.offset, t.offset + t.size));
  }

  dispose(): void { this.params.free(); this.consts?.free(); }
}

/** Builds a finite net from layer values (or a serial(...) kernel). */
export function buildNet(layers: readonly Layer[] | Kernel, opts: NetOptions): Net {
  return new Net(layers, opts);
}
