// Empirical NTK of a finite net, K[(a,i),(b,j)] = <d f_i(x_a)/d params, d f_j(x_b)/d params>,
// computed in wasm block by block.
//
// Rows r = (sample, output). One forward pass per sample, then one backward pass over a block
// of rows (cotangent e_i on row (a, i); the masks it needs copied to the sample's nO rows)
// gives every row's delta at every layer (conv input cotangents by Winograd F(4x4, 3x3) where
// H, W are multiples of 4, else F(2x2, 3x3) where the shape allows); the batch sum of the
// usual backward is never formed. Then, per layer:
//  - dense (structured, as neural-tangents' structured derivatives): its per-row gradient is
//    the outer product s x_a delta_r^T, so its contribution is
//    (s^2 (x_a . x_b) + bs^2) (delta_r . delta_c): a Gram of the layer inputs (samples) and a
//    Gram of the deltas (rows), never a parameter-sized vector;
//  - conv: the per-row gradients s patches(x_a)^T delta_r (+ bias) are written as J rows of
//    the conv columns only (entk_conv_rows_wino4: Winograd F(4x4, 3x3) where H, W are
//    multiples of 4, input tiles transformed once per sample and 36 GEMMs per group of the
//    sample's rows, 4x fewer multiplications; entk_conv_rows_wino: F(2x2, 3x3) for other even
//    sizes, 2.25x fewer; entk_conv_rows where neither applies: im2col once per sample, a GEMM per row),
//    and K += J_I J_J^T by GEMM/Gram block by block (diagonal blocks by a pack-once Gram,
//    assembly/nn/entk_gram.ts: each k-slice of J packed once, not once per tile). At most two
//    blocks of J rows exist at a time (one when everything fits one block); larger sets
//    recompute the second block.
import { engine } from '../engine.js';
import type { Dtype } from '../../bindings/engine.js';
import { fmtBytes } from '../../bindings/heap.js';
import { checkMatrix, type Matrix } from '../linalg/matrix.js';
import { gemmRaw, gemmScratch } from '../linalg/gemm.js';
import { gramRaw } from '../linalg/gram.js';
import { mapSize } from '../kernels/shapes.js';
import type { Net, Trace } from './net.js';
import { BYTES, type OpCtx } from './ops/index.js';
import { convDxWinograd } from './ops/conv.js';
import { convDxWinograd4, wino4DxFits } from './ops/conv_wino4.js';
import { winoFilterOperand } from './ops/wino_filter.js';
import { spreadCount } from './ops/wino_planes.js';

export interface EmpiricalKernelOptions {
  /**
   * 'full' (default): the (n1 k) x (n2 k) matrix over (sample, output) pairs, rows ordered
   * sample-major; 'trace': the n1 x n2 matrix sum_i K[(a,i),(b,i)]; a number i: the n1 x n2
   * kernel of output i alone.
   */
  outputs?: 'full' | 'trace' | number;
  /**
   * 'structured' (default): dense layers by Gram products of inputs and deltas, conv layers
   * by Jacobian contraction; 'jacobian': every layer by Jacobian contraction (a check).
   */
  implementation?: 'structured' | 'jacobian';
  /** Upper bound (bytes) for the Jacobian row blocks; default 2 GiB or what wasm memory has free. */
  blockBytes?: number;
  /** Called after each block of Jacobian rows with (done, total) block computations. */
  progress?: (done: number, total: number) => void;
}

const WASM_LIMIT = 4 * 2 ** 30;
/** Bytes for the activation traces of one backward sub-batch. */
const TRACE_BUDGET = 192 * 2 ** 20;
/** Default bound for the Jacobian row blocks (lowered to what wasm memory has free). */
const DEFAULT_BLOCK = 2 * 2 ** 30;

interface ParamLayer {
  i: number;
  kind: 'dense' | 'conv';
  /** Dense by Gram products (structured route). */
  structured: boolean;
  /** Column of W / b in a J row; -1: not a J column (structured, frozen or absent). */
  colW: number;
  colB: number;
  sW: number;
  sB: number;
  hasW: boolean;
  hasB: boolean;
  nin: number;
  nout: number;
  H: number;
  W: number;
  Cin: number;
}

/** Tuning (tests switch it off to compare with the im2col route). */
export const entkTuning = {
  /**
   * Conv rows and the conv input cotangents of the row-wise backward by Winograd F(2x2, 3x3)
   * where the layer allows it (H, W even, channels multiples of 4).
   */
  winograd: true,
  /** With winograd: conv input cotangents by F(4x4, 3x3) where H, W are multiples of 4 (1.78x fewer GEMM flops). */
  winograd4: true,
  /** Winograd planes padded against 4 KiB aliasing (spreadCount in ops/wino_planes.ts). */
  padPlanes: true,
  /** Diagonal J J^T blocks of up to PACKED_GRAM_MAX rows by the pack-once Gram (packedGram) instead of gramRaw. */
  packedGram: true,
  /**
   * Row height of the pack-once Gram's f32 micro-tile: 6 (6 x 8, 12 accumulators) where the
   * build fuses multiply-add (relaxed), 4 (4 x 8) otherwise; null: by build. f64 always 4.
   */
  gramTile: null as 4 | 6 | null,
  /**
   * Per-thread scratch target (bytes) of the Winograd conv rows: transformed tiles and GEMM
   * output. 1 MiB (one row per GEMM set for most cifar-cnn layers; the set stays in L2)
   * measured 5% less row CPU than 4 MiB (two rows a set) at cifar-cnn B = 50.
   */
  winoScratch: 2 ** 20,
  /**
   * Winograd conv rows (f32, Cout a multiple of 8): each sample's 16 transformed input planes
   * packed once for its rows' GEMMs, the cotangent tiles written in the GEMM's packed layout,
   * whole tiles stored without a zeroing pass (jacobian.ts packedGemm).
   */
  packedRows: true,
  /**
   * With winograd: conv rows by F(4x4, 3x3) where H, W are multiples of 4 (assembly/nn/entk_rows_wino4.ts:
   * 36 GEMMs over a quarter of the tiles, 1.78x fewer multiplications than F(2x2)).
   */
  winograd4Rows: true,
  /** With winograd4: a ReLU's VJP below an F(4x4) conv applied in the conv's output transform (no pass of its own). */
  fuseRelu: true,
  /** k-slice of the pack-once Gram (a multiple of 64); 0: ~1 MiB packed. */
  gramKc: 0,
};
/**
 * Rows up to which a diagonal block uses the pack-once Gram (its packed k-slice, 1 MiB, stays
 * in L2; its 16 partial sums take 16 n^2 elements). 2048: cifar-cnn B = 250's diagonal blocks
 * of 1,630 and 870 rows then both take it: their Gram 12.3 -> 10.3 s, the eNTK 29.8 -> 27.4 s
 * (Node 26, same hour), peak wasm 2,333 -> 2,454 MiB; gramRaw re-packs each row block per tile.
 */
const PACKED_GRAM_MAX = 2048;
/**
 * Partial sums of the pack-once Gram: fixed (not the thread count) so results are reproducible;
 * 16 balance two threads on a loaded machine and cost 16 n^2 elements (16 MiB at n = 500, f32).
 */
const PACKED_GRAM_SLOTS = 16;
const winoRows = (l: ParamLayer) => entkTuning.winograd && l.colW >= 0 && l.H % 2 === 0 && l.W % 2 === 0 && l.Cin % 4 === 0 && l.nout % 4 === 0;

/** Gram factors of one structured dense layer for one input set. */
interface DenseStore { A: number; D: number }

function paramLayers(net: Net, structured: boolean): { layers: ParamLayer[]; Pc: number } {
  const layers: ParamLayer[] = [];
  let Pc = 0;
  for (const ls of net.plan) {
    const kind = ls.layer.kind;
    if (kind !== 'dense' && kind !== 'conv') continue;
    const lt = net.layerTensors(ls.index), Wt = lt.frozen ? undefined : lt.W, bt = lt.b;
    if (!Wt && !bt) continue;
    const ctx = net.layerCtx(ls.index, 1);
    const st = kind === 'dense' && structured;
    const pl: ParamLayer = {
      i: ls.index, kind, structured: st, colW: -1, colB: -1, sW: ctx.wScale, sB: ctx.bScale, hasW: !!Wt, hasB: !!bt,
      nin: mapSize(ls.inShape), nout: ls.outShape.C, H: ls.inShape.H, W: ls.inShape.W, Cin: ls.inShape.C,
    };
    if (!st) {
      if (Wt) { pl.colW = Pc; Pc += Wt.size; }
      if (bt) { pl.colB = Pc; Pc += bt.size; }
    }
    layers.push(pl);
  }
  return { layers, Pc };
}

/**
 * Empirical NTK of `net` at its current parameters between the rows of X1 and X2 (X2
 * absent: X1 with itself, exactly symmetric). Rows are NHWC-flattened inputs of the net's
 * input size. Returns f64 (computed in the net's dtype).
 */
export function empiricalKernel(net: Net, X1: Matrix, X2?: Matrix | null, opts: EmpiricalKernelOptions = {}): Matrix<Float64Array> {
  const { outputs = 'full', implementation = 'structured', blockBytes, progress } = opts;
  checkMatrix(X1, 'empiricalKernel: X1');
  if (X1.cols !== net.inputDim) throw new RangeError(`empiricalKernel: X1 rows have ${X1.cols} values, the net expects ${net.inputDim}`);
  if (X2) {
    checkMatrix(X2, 'empiricalKernel: X2');
    if (X2.cols !== net.inputDim) throw new RangeError(`empiricalKernel: X2 rows have ${X2.cols} values, the net expects ${net.inputDim}`);
  }
  if (outputs !== 'full' && outputs !== 'trace' && !(Number.isInteger(outputs) && outputs >= 0 && outputs < net.outputs))
    throw new RangeError(`empiricalKernel: outputs must be 'full', 'trace' or an output index 0..${net.outputs - 1}, got ${String(outputs)}`);
  if (implementation !== 'structured' && implementation !== 'jacobian') throw new RangeError(`empiricalKernel: implementation must be 'structured' or 'jacobian', got '${implementation}'`);
  if (blockBytes !== undefined && !(blockBytes > 0)) throw new RangeError(`empiricalKernel: blockBytes must be positive, got ${blockBytes}`);
  for (const [X, w] of [[X1, 'X1'], [X2, 'X2']] as const) if (X) for (let i = 0; i < X.data.length; i++) if (!Number.isFinite(X.data[i])) throw new RangeError(`empiricalKernel: ${w} has a non-finite value at row ${Math.floor(i / X.cols)}, column ${i % X.cols}`);
  return new EntkRun(net, X1, X2 ?? null, outputs, implementation === 'structured', blockBytes, progress).run();
}

class EntkRun {
  private readonly e = engine();
  private readonly dt: Dtype;
  private readonly sz: number;
  private readonly nO: number;
  private readonly outIdx: (q: number) => number;
  private readonly trace: boolean;
  private readonly layers: ParamLayer[];
  private readonly Pc: number;
  private readonly allocs: number[] = [];

  constructor(
    private readonly net: Net, private readonly X1: Matrix, private readonly X2: Matrix | null,
    outputs: 'full' | 'trace' | number, structured: boolean, private readonly blockBytes: number | undefined,
    private readonly progress?: (done: number, total: number) => void,
  ) {
    this.dt = net.dtype; this.sz = BYTES[net.dtype];
    this.trace = outputs === 'trace';
    this.nO = typeof outputs === 'number' ? 1 : net.outputs;
    this.outIdx = typeof outputs === 'number' ? () => outputs : (q) => q;
    ({ layers: this.layers, Pc: this.Pc } = paramLayers(net, structured));
  }

  private alloc(bytes: number, zero = false): number {
    const p = this.e.heap.alloc(bytes);
    this.allocs.push(p);
    if (zero) new Uint8Array(this.e.memory.buffer, p, bytes).fill(0);
    return p;
  }

  run(): Matrix<Float64Array> {
    try { return this.compute(); } finally { for (const p of this.allocs) this.e.heap.release(p); }
  }

  private compute(): Matrix<Float64Array> {
    const { nO, sz, Pc } = this, n1 = this.X1.rows, n2 = (this.X2 ?? this.X1).rows;
    const kr = this.trace ? 1 : nO, R1 = n1 * kr, R2 = n2 * kr;
    const denseLayers = this.layers.filter((l) => l.structured);
    const rowBytes = Pc * nO * sz; // J rows of one sample
    const nMax = Math.max(n1, n2);
    // sub-batch of samples for one backward pass (activations of sb samples and sb*nO rows)
    const perSample = this.net.traceBytes(1) * (nO + 1);
    const sb = Math.max(1, Math.min(nMax, Math.floor(TRACE_BUDGET / perSample)));
    const storeBytes = (n: number) => denseLayers.reduce((s, l) => s + (n * l.nin + n * nO * l.nout) * sz, 0);
    const other = R1 * R2 * sz + perSample * sb + storeBytes(n1) + (this.X2 ? storeBytes(n2) : 0)
      + (denseLayers.length ? (n1 * n2 + R1 * R2) * sz : 0)
      + (!this.X2 && !this.trace && Pc ? PACKED_GRAM_SLOTS * Math.min(PACKED_GRAM_MAX + 24, R1 + 24) ** 2 * sz : 0);
    const avail = WASM_LIMIT - this.e.heap.inUse - other;
    const tooBig = (need: number) => new RangeError(`empiricalKernel: needs ${fmtBytes(need)} of wasm memory (kernel ${R1} x ${R2}, Jacobian rows, activations); with ${fmtBytes(this.e.heap.inUse)} in use that exceeds the ${fmtBytes(WASM_LIMIT)} wasm32 limit; use fewer inputs, fewer outputs ('trace' or one index) or a smaller blockBytes`);
    if (avail < (Pc ? 2 * rowBytes : 0)) throw tooBig(other + (Pc ? 2 * rowBytes : 0));
    const budget = this.blockBytes ?? Math.min(DEFAULT_BLOCK, avail);
    // J rows: a resident block of A samples and a streamed block of S samples (S = 0: one
    // block holds every row). Each resident block is computed once; the rows after it (or
    // X2's) are streamed past it, so small S keeps the recomputation at n^2 / (2 A) samples.
    let A = nMax, S = 0;
    if (Pc > 0 && (this.X2 !== null || n1 * rowBytes > budget)) {
      S = Math.max(1, Math.min(this.X2 ? n2 : n1, Math.floor(budget / 8 / rowBytes)));
      A = Math.min(n1, Math.floor(budget / rowBytes) - S);
    }
    if (Pc > 0 && (A < 1 || (S === 0 && n1 * rowBytes > budget)))
      throw new RangeError(`empiricalKernel: one sample's ${nO} Jacobian rows of the ${Pc} conv parameters take ${fmtBytes(rowBytes)}; two of them do not fit blockBytes = ${fmtBytes(budget)}`);
    const need = other + (Pc ? (A + S) * rowBytes : 0);
    if (need > WASM_LIMIT - this.e.heap.inUse) throw tooBig(need);

    const K = this.alloc(R1 * R2 * sz, true);
    const stores1 = denseLayers.map((l) => ({ A: this.alloc(n1 * l.nin * sz), D: this.alloc(n1 * nO * l.nout * sz) }));
    const stores2 = this.X2 ? denseLayers.map((l) => ({ A: this.alloc(n2 * l.nin * sz), D: this.alloc(n2 * nO * l.nout * sz) })) : stores1;
    const J1 = Pc ? this.alloc(A * rowBytes) : 0, J2 = S ? this.alloc(S * rowBytes) : 0;
    const w = new RowPass(this, sb);
    try {
      const ranges = (from: number, to: number, step: number) => { const r: [number, number][] = []; for (let a = from; a < to; a += step) r.push([a, Math.min(to, a + step)]); return r; };
      const resident = ranges(0, n1, A);
      const streamed = (s1: number) => (S ? (this.X2 ? ranges(0, n2, S) : ranges(s1, n1, S)) : []);
      const total = resident.reduce((t, [, s1]) => t + 1 + streamed(s1).length, 0) + (this.X2 && !S ? 1 : 0);
      let done = 0;
      const tick = () => this.progress?.(++done, total);
      for (const [s0, s1] of resident) {
        w.fill(this.X1, s0, s1, J1, stores1); tick();
        if (!this.X2) this.blockGram(K, R2, J1, s0, s1, J1, s0, s1, true);
        for (const [t0, t1] of streamed(s1)) {
          w.fill(this.X2 ?? this.X1, t0, t1, J2, this.X2 ? stores2 : stores1); tick();
          if (this.X2) this.blockGram(K, R2, J1, s0, s1, J2, t0, t1, false);
          else this.blockGram(K, R2, J2, t0, t1, J1, s0, s1, false); // below the diagonal
        }
      }
      if (this.X2 && !S) { w.fill(this.X2, 0, n2, 0, stores2); tick(); } // no conv columns: dense factors only
      if (!this.X2 && Pc) this.e.parallelFor(`mirror_${this.dt}_task`, [R1, K, R1], Number(this.e.call('mirror_tasks', R1)));
      for (let q = 0; q < denseLayers.length; q++) this.denseTerm(K, denseLayers[q], stores1[q], stores2[q], n1, n2);
    } finally { w.free(); }
    const out = new Float64Array(R1 * R2);
    const view = this.dt === 'f32' ? new Float32Array(this.e.memory.buffer, K, R1 * R2) : new Float64Array(this.e.memory.buffer, K, R1 * R2);
    for (let i = 0; i < out.length; i++) out[i] = view[i];
    return { data: out, rows: R1, cols: R2 };
  }

  /**
   * K[rows of block (s0..s1), cols of block (t0..t1)] = JA JB^T, with JA the J rows of samples
   * s0..s1 and JB those of t0..t1 (each block's row 0 is its first sample). diag: the block
   * is on the diagonal of a symmetric K (lower triangle only, mirrored at the end).
   */
  private blockGram(K: number, ldK: number, JA: number, s0: number, s1: number, JB: number, t0: number, t1: number, diag: boolean): void {
    const { Pc, nO, sz, dt } = this;
    if (!Pc) return;
    const a = s1 - s0, b = t1 - t0;
    if (!this.trace) {
      const C = K + (s0 * nO * ldK + t0 * nO) * sz;
      if (diag && entkTuning.packedGram && a * nO <= PACKED_GRAM_MAX) this.packedGram(a * nO, JA, C, ldK);
      else if (diag) gramRaw(dt, a * nO, a * nO, Pc, JA, Pc, 0, 0, C, ldK, false);
      else gemmRaw(dt, false, true, a * nO, b * nO, Pc, 1, JA, Pc, JB, Pc, 0, C, ldK);
      return;
    }
    // trace: sum over outputs q of (rows q of block A) (rows q of block B)^T
    const C = K + (s0 * ldK + t0) * sz;
    for (let q = 0; q < nO; q++)
      gemmRaw(dt, false, true, a, b, Pc, 1, JA + q * Pc * sz, nO * Pc, JB + q * Pc * sz, nO * Pc, q ? 1 : 0, C, ldK);
  }

  /**
   * Lower triangle of C = J J^T (n rows of Pc values at J) by entk_gram_slot (assembly/nn/entk_gram.ts):
   * each k-slice of J packed once, PACKED_GRAM_SLOTS partial sums added in a fixed order.
   */
  private packedGram(n: number, J: number, C: number, ldC: number): void {
    const { e, dt, sz, Pc } = this;
    const npad = Math.ceil(n / 24) * 24; // gramPad in entk_gram.ts
    const mr = entkTuning.gramTile ?? (e.build === 'relaxed' ? 6 : 4);
    // k-slices of ~1 MiB packed (L2 holds it beside the slot's C); 512 measured 1.5% faster than 256 at n = 500
    const kc = entkTuning.gramKc || Math.max(64, Math.min(512, Math.floor(2 ** 20 / (npad * sz) / 64) * 64));
    const nSlots = PACKED_GRAM_SLOTS, per = Math.ceil(Math.ceil(Pc / kc) / nSlots);
    const pBytes = Math.ceil((npad * kc * sz) / 64) * 64;
    const P = e.threadScratch(pBytes, 'entk-gram');
    const Cs = e.heap.alloc(nSlots * npad * npad * sz);
    try {
      e.parallelFor(`entk_gram_slot_${dt}`, [n, Pc, J, Pc, kc, per, Cs, npad, P, pBytes, mr], nSlots);
      const rows = Math.max(1, Math.ceil(n / (4 * e.threads)));
      e.parallelFor(`entk_gram_reduce_${dt}`, [n, nSlots, Cs, npad, C, ldC, rows], Math.ceil(n / rows));
    } finally { e.heap.release(Cs); }
  }

  /** K += (sW^2 A1 A2^T + sB^2) o (D1 D2^T) of one structured dense layer (per output for 'trace'). */
  private denseTerm(K: number, l: ParamLayer, s1: DenseStore, s2: DenseStore, n1: number, n2: number): void {
    const { dt, sz, nO } = this;
    const mark = this.allocs.length;
    const GA = l.hasW ? this.alloc(n1 * n2 * sz) : 0;
    if (GA) gramRaw(dt, n1, n2, l.nin, s1.A, l.nin, s1 === s2 ? 0 : s2.A, l.nin, GA, n2);
    const kr = this.trace ? 1 : nO, R1 = n1 * kr, R2 = n2 * kr;
    const GD = this.alloc(R1 * R2 * sz);
    if (!this.trace) gramRaw(dt, R1, R2, l.nout, s1.D, l.nout, s1 === s2 ? 0 : s2.D, l.nout, GD, R2);
    else for (let q = 0; q < nO; q++) gemmRaw(dt, false, true, n1, n2, l.nout, 1, s1.D + q * l.nout * sz, nO * l.nout, s2.D + q * l.nout * sz, nO * l.nout, q ? 1 : 0, GD, n2);
    const rows = Math.max(1, Math.floor(16384 / R2));
    this.e.parallelFor(`entk_combine_${dt}`, [K, R2, GA, n2, GD, R2, R1, R2, kr, l.hasW ? l.sW * l.sW : 0, l.hasB ? l.sB * l.sB : 0, rows], Math.ceil(R1 / rows));
    for (const p of this.allocs.splice(mark)) this.e.heap.release(p);
  }

  /** Used by RowPass. */
  get ctx() { return { net: this.net, e: this.e, dt: this.dt, sz: this.sz, nO: this.nO, outIdx: this.outIdx, layers: this.layers, Pc: this.Pc }; }
}

/** Forward/backward machinery for blocks of samples: two traces reused across blocks. */
class RowPass {
  private readonly tS: Trace;
  private readonly tR: Trace;
  private readonly dOut: number;
  /** F(4x4) dX filter operands by layer index, made on first use and shared by all blocks. */
  private readonly dxFilters = new Map<number, number>();
  private readonly c: EntkRun['ctx'];

  constructor(run: EntkRun, private readonly sb: number) {
    this.c = run.ctx;
    const { net, e, sz, nO } = this.c;
    this.tS = net.trace(sb);
    try {
      this.tR = net.trace(sb * nO);
    } catch (err) { this.tS.free(); throw err; }
    this.dOut = e.heap.alloc(sb * nO * net.outputs * sz);
  }

  free(): void {
    this.tS.free(); this.tR.free(); this.c.e.heap.release(this.dOut);
    for (const U of this.dxFilters.values()) this.c.e.heap.release(U);
    this.dxFilters.clear();
  }

  /** The layer's F(4x4) dX filter operand (winoFilterOperand), made once per pass. */
  private dxFilter(i: number, ctx: OpCtx): number {
    let U = this.dxFilters.get(i);
    if (U === undefined) {
      U = winoFilterOperand(ctx, ctx.W, ctx.ls.outShape.C, ctx.ls.inShape.C, true, true);
      this.dxFilters.set(i, U);
    }
    return U;
  }

  /** J rows (conv columns) of samples s0..s1 of X into J (row 0 = sample s0), dense factors into stores. */
  fill(X: Matrix, s0: number, s1: number, J: number, stores: DenseStore[]): void {
    // equal sub-batches in multiples of the thread count where the trace allows: the conv
    // rows run one task per sample, so 21 + 21 + 8 samples on 2 threads idle one for a sample
    const n = s1 - s0, T = this.c.e.threads, parts = Math.ceil(n / this.sb);
    let step = Math.ceil(Math.ceil(n / parts) / T) * T;
    if (step > this.sb) step = Math.max(1, Math.floor(this.sb / T) * T);
    for (let a = s0; a < s1; a += step) this.sub(X, a, Math.min(s1, a + step), J + (a - s0) * this.c.nO * this.c.Pc * this.c.sz, stores);
  }

  private sub(X: Matrix, a0: number, a1: number, J: number, stores: DenseStore[]): void {
    const { net, e, dt, sz, nO, outIdx, layers, Pc } = this.c;
    const m = a1 - a0, R = m * nO, k = net.outputs, tS = this.tS, tR = this.tR;
    net.view(tS.input, m * net.inputDim).set(X.data.subarray(a0 * X.cols, a1 * X.cols));
    // forward on the m samples (a trace of sb rows; only the first m are used)
    net.run(m === tS.B ? tS : { ...tS, B: m });
    // each sample's layer inputs copied to its nO rows, where the row-wise backward reads
    // them (dense rows of the 'jacobian' route); conv rows, the ReLU and max-pool VJPs
    // (entk_relu_rows, nn_maxpool with nO rows per input) and the dense factors read the
    // per-sample trace directly
    const sizes = net.boundarySizes, u8 = new Uint8Array(e.memory.buffer);
    for (let i = 0; i < net.plan.length; i++) {
      const kind = net.plan[i].layer.kind;
      if (kind === 'conv' || kind === 'avgPool' || kind === 'maxPool' || kind === 'flatten' || kind === 'relu' || (kind === 'dense' && !layers.some((l) => l.i === i && !l.structured))) continue;
      const row = sizes[i] * sz;
      for (let t = 0; t < m; t++) for (let q = 0; q < nO; q++) u8.copyWithin(tR.acts[i] + (t * nO + q) * row, tS.acts[i] + t * row, tS.acts[i] + (t + 1) * row);
    }
    const d = net.view(this.dOut, R * k);
    d.fill(0);
    for (let r = 0; r < R; r++) d[r * k + outIdx(r % nO)] = 1;
    const first = layers.length ? layers[0].i : net.plan.length;
    let g = this.dOut, li = layers.length - 1, reluDone = -1;
    for (let i = net.plan.length - 1; i >= first; i--) {
      const op = net.layerOp(i), ctx = net.layerCtx(i, R);
      if (!op) continue;
      const pl = li >= 0 && layers[li].i === i ? layers[li--] : null;
      if (pl) {
        if (pl.structured) {
          const q = layers.filter((l) => l.structured).indexOf(pl);
          const st = stores[q];
          u8.copyWithin(st.D + a0 * nO * pl.nout * sz, g, g + R * pl.nout * sz);
          const rowIn = pl.nin * sz;
          for (let t = 0; t < m; t++) u8.copyWithin(st.A + (a0 + t) * rowIn, tS.acts[i] + t * rowIn, tS.acts[i] + (t + 1) * rowIn);
        } else if (pl.kind === 'conv' && winoRows(pl) && entkTuning.winograd4Rows && pl.H % 4 === 0 && pl.W % 4 === 0) {
          // Winograd F(4x4, 3x3): per sample the 36 input planes once, then qc rows at a time
          const nT = (pl.H * pl.W) / 16, L = 16 / sz, pad = entkTuning.padPlanes;
          const packed = entkTuning.packedRows && dt === 'f32' && pl.nout % 8 === 0;
          const perQ = 36 * (nT + (packed ? 0 : pl.Cin)) * pl.nout * sz;
          const qc = Math.max(1, Math.min(nO, Math.floor((entkTuning.winoScratch - 36 * nT * pl.Cin * sz) / perQ)));
          const ptV = pad ? spreadCount(nT, pl.Cin * sz) : nT, uPlane = pad ? spreadCount(nT * qc * pl.nout, sz, L) : nT * qc * pl.nout;
          // packed: the 36 V planes packed once per sample and the tile buffer (MR x 36 x 16, within 36 x 8 x 16); plain: the 36 GEMM outputs
          const extra = packed ? 36 * (pl.Cin + 8) * nT + 36 * 8 * 16 : 36 * pl.Cin * qc * pl.nout;
          // and the bias sums of one row (Cout) at the end
          const scratchBytes = Math.ceil((36 * (ptV * pl.Cin + uPlane) + extra + pl.nout) * sz / 64) * 64;
          const scratch = e.threadScratch(scratchBytes, 'entk-wino');
          const { work, workBytes } = gemmScratch(dt);
          e.parallelFor(`entk_conv_rows_wino4_${dt}`, [tS.acts[i], pl.nin, pl.H, pl.W, pl.Cin, g, pl.nout, nO, pl.sW, pl.sB, J, Pc, pl.colW, pl.colB, qc, ptV, uPlane, packed ? 1 : 0, scratch, scratchBytes, work, workBytes], m);
        } else if (pl.kind === 'conv' && winoRows(pl)) {
          // Winograd F(2x2, 3x3): the rows of qc outputs at a time share one GEMM set
          const nT = (pl.H * pl.W) / 4, perQ = 16 * (nT + pl.Cin) * pl.nout * sz;
          const qc = Math.max(1, Math.min(nO, Math.floor((entkTuning.winoScratch - 16 * nT * pl.Cin * sz) / perQ)));
          // planes padded against 4 KiB aliasing (spreadCount)
          const L = 16 / sz, pad = entkTuning.padPlanes, ptV = pad ? spreadCount(nT, pl.Cin * sz) : nT, ldU = pad ? spreadCount(qc * pl.nout, nT * sz, L) : qc * pl.nout, ldM = pad ? spreadCount(qc * pl.nout, pl.Cin * sz, L) : qc * pl.nout;
          // packed (f32, nout a multiple of 8): the 16 V planes packed once per sample, M planes of Cin + 8 rows
          const packed = entkTuning.packedRows && dt === 'f32' && pl.nout % 8 === 0;
          const extra = packed ? 16 * 8 * ldM + 16 * (pl.Cin + 8) * nT : 0;
          const scratchBytes = Math.ceil((16 * (ptV * pl.Cin + nT * ldU + pl.Cin * ldM) + extra) * sz / 64) * 64;
          const scratch = e.threadScratch(scratchBytes, 'entk-wino');
          const { work, workBytes } = gemmScratch(dt);
          e.parallelFor(`entk_conv_rows_wino_${dt}`, [tS.acts[i], pl.nin, pl.H, pl.W, pl.Cin, g, pl.nout, nO, pl.sW, pl.sB, J, Pc, pl.colW, pl.colB, qc, ptV, ldU, ldM, packed ? 1 : 0, scratch, scratchBytes, work, workBytes], m);
        } else if (pl.kind === 'conv') {
          const HW = pl.H * pl.W, scratchBytes = Math.ceil((HW * 9 * pl.Cin * sz) / 64) * 64;
          const scratch = e.threadScratch(scratchBytes, 'entk-patches');
          const { work, workBytes } = gemmScratch(dt);
          e.parallelFor(`entk_conv_rows_${dt}`, [tS.acts[i], pl.nin, pl.H, pl.W, pl.Cin, g, pl.nout, nO, pl.sW, pl.sB, J, Pc, pl.colW, pl.colB, scratch, scratchBytes, work, workBytes], m);
        } else {
          e.parallelFor(`entk_dense_row_${dt}`, [tR.acts[i], pl.nin, pl.nin, g, pl.nout, pl.sW, pl.sB, J, Pc, pl.colW, pl.colB], R);
        }
      }
      if (i === reluDone) continue; // its VJP was fused into the conv's above it
      if (i > first) {
        const dx = g === tR.scratch[0] ? tR.scratch[1] : tR.scratch[0];
        const kind = net.plan[i].layer.kind;
        // a ReLU right below an F(4x4) conv: its mask applied in the conv's output transform
        const fuse = entkTuning.fuseRelu && i - 1 > first && net.plan[i - 1].layer.kind === 'relu';
        if (kind === 'relu') e.parallelFor(`entk_relu_rows_${dt}`, [tS.acts[i], sizes[i], nO, g, dx], R); // reads the per-sample input
        else if (kind === 'maxPool') { const { H, W, C } = net.plan[i].inShape; e.parallelFor(`nn_maxpool_${dt}`, [1, tS.acts[i], g, H, W, C, dx, nO], R); }
        else if (kind === 'conv' && entkTuning.winograd && entkTuning.winograd4 && wino4DxFits(ctx)) {
          convDxWinograd4(ctx, g, dx, entkTuning.padPlanes, fuse ? { input: tS.acts[i - 1], per: nO } : undefined, this.dxFilter(i, ctx));
          if (fuse) reluDone = i - 1;
        }
        else if (!(kind === 'conv' && entkTuning.winograd && convDxWinograd(ctx, g, dx))) op.vjp(ctx, tR.acts[i], tR.acts[i + 1], g, dx, 0, 0);
        g = dx;
      }
    }
  }
}
