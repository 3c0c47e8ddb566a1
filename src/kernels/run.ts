// Drives the wasm kernels: context block, q stores, blocked GEMM for flat inputs, tasks.
import { engine } from '../engine.js';
import { gemmRaw } from '../linalg/gemm.js';
import { gramRaw } from '../linalg/gram.js';
import type { Program } from './compile.js';

// Context field indices (must match assembly/kernels/ntk.ts).
const C = {
  NOPS: 0, OPS: 1, MODE: 2, H: 3, W: 4, C: 5, D: 6, X1: 7, N1: 8, X2: 9, N2: 10, Q1: 11, Q2: 12, QSTR: 13,
  OUTK: 14, OUTN: 15, LDO: 16, SYM: 17, SCR: 18, SCRB: 19, T: 20, PMAX: 21,
  WV: 22, GX: 23, GN0: 24, GQ: 25, WHICH: 26, N0: 27, NRELU: 28, ROW0: 29, S0: 30, SQ: 31, N0S: 32, ROWR: 33, ROWE: 34,
} as const;
const CTX_LEN = 40;
/** Pairs per tile in flat mode (vectorised across pairs); conv tiles hold one pair. */
const FLAT_TILE = 256;
/** Rows per task of a conv Gram: column i's image and self maps are read once per block of rows. */
const CONV_ROWS = 8;
/** Rows per block in flat mode: cross kernels run one GEMM per block (128 rows amortise its packing; 32 measured ~25% slower), then the maps; blocks also pace progress reports. */
const ROW_BLOCK = 128;

/** Working state shared by a Gram build or a VJP: ctx block, ops and q stores in wasm memory. */
export class Run {
  readonly e = engine();
  readonly ctx: Float64Array;
  private readonly ctxBuf;
  private readonly opsBuf;
  private readonly owned: number[] = [];
  readonly T: number;
  readonly scrBytes: number;

  constructor(readonly prog: Program, readonly X1: number, readonly n1: number, readonly X2: number, readonly n2: number, readonly sym: boolean) {
    const e = this.e;
    this.ctxBuf = e.buffer('f64', CTX_LEN);
    this.opsBuf = e.from(prog.ops);
    this.ctx = new Float64Array(CTX_LEN);
    this.T = prog.mode === 0 ? FLAT_TILE : 1;
    this.scrBytes = Math.ceil(Number(e.call('ntk_scratch_bytes', this.T, prog.Pmax, prog.nrelu)) / 64) * 64;
    const c = this.ctx;
    c[C.NOPS] = prog.nops; c[C.OPS] = this.opsBuf.ptr; c[C.MODE] = prog.mode;
    c[C.H] = prog.H; c[C.W] = prog.W; c[C.C] = prog.C; c[C.D] = prog.d;
    c[C.X1] = X1; c[C.N1] = n1; c[C.X2] = X2; c[C.N2] = n2;
    c[C.N0S] = 1; c[C.T] = this.T; c[C.PMAX] = prog.Pmax; c[C.NRELU] = prog.nrelu; c[C.SCRB] = this.scrBytes;
    // q stores: sqrt(q) at ReLU inputs (q itself for the final nngp(x, x)), then 1/sqrt(q), each qstride values per input
    c[C.QSTR] = prog.qstride;
    c[C.Q1] = this.alloc(2 * prog.qstride * n1);
    c[C.Q2] = sym ? c[C.Q1] : this.alloc(2 * prog.qstride * n2);
  }

  alloc(n: number): number {
    const p = this.e.heap.alloc(Math.max(n, 1) * 8);
    this.owned.push(p);
    return p;
  }

  set(field: keyof typeof C, v: number): void { this.ctx[C[field]] = v; }

  /** Pushes the ctx block (with a fresh scratch pointer: GEMM may have regrown it) to wasm. */
  sync(): number {
    this.ctx[C.SCR] = this.e.threadScratch(this.scrBytes);
    this.ctxBuf.data.set(this.ctx);
    return this.ctxBuf.ptr;
  }

  /** Self-covariance chains of both input sets. */
  selfChains(): void {
    const ctx = this.sync();
    this.e.parallelFor('ntk_self_task', [ctx, 0], this.n1);
    if (!this.sym) this.e.parallelFor('ntk_self_task', [ctx, 1], this.n2);
  }

  /** Final nngp(x, x) of each input of set 1 or 2. */
  selfNngp(which: 1 | 2): Float64Array {
    const n = which === 1 ? this.n1 : this.n2;
    const base = this.ctx[which === 1 ? C.Q1 : C.Q2] + this.prog.finalQ * n * 8;
    return new Float64Array(this.e.memory.buffer, base, n).slice();
  }

  /**
   * Gram blocks into outK / outN (byte offsets, n1 x n2 row-major, 0 = not wanted).
   * Symmetric builds compute the lower triangle and mirror it. onProgress(rowsDone, rows)
   * after each block of rows (also keeps wasm calls short).
   */
  gram(outK: number, outN: number, onProgress?: (done: number, total: number) => void): void {
    const { e, prog, n1, n2, sym } = this;
    this.set('OUTK', outK); this.set('OUTN', outN); this.set('LDO', n2); this.set('SYM', sym ? 1 : 0);
    this.selfChains();
    if (prog.mode === 0) {
      const N0 = outN || outK;
      this.set('N0', N0);
      const d = prog.d;
      if (sym) {
        // X X^T in one go (lower-triangle tiles in parallel, far faster than thin row blocks);
        // the maps scale by 1/d as they read it, then write K over it row by row
        gramRaw('f64', n1, n1, d, this.X1, d, 0, d, N0, n2, false);
        this.set('N0S', 1 / d);
      }
      for (let r0 = 0; r0 < n1; r0 += ROW_BLOCK) {
        const rb = Math.min(ROW_BLOCK, n1 - r0);
        if (!sym) gemmRaw('f64', false, true, rb, n2, d, 1 / d, this.X1 + r0 * d * 8, d, this.X2, d, 0, N0 + r0 * n2 * 8, n2);
        this.set('ROW0', r0);
        e.parallelFor('ntk_gram_task', [this.sync()], rb);
        onProgress?.(r0 + rb, n1);
      }
    } else {
      // conv: each row costs n2 (or n2 - row) pairs of map recursions; a task is a block of
      // CONV_ROWS rows (each column's maps read once per block); report every chunk
      const chunk = Math.max(e.threads * 4 * CONV_ROWS, 16);
      this.set('ROWR', CONV_ROWS);
      for (let r0 = 0; r0 < n1; r0 += chunk) {
        const rb = Math.min(chunk, n1 - r0);
        this.set('ROW0', r0); this.set('ROWE', r0 + rb);
        e.parallelFor('ntk_gram_task', [this.sync()], Math.ceil(rb / CONV_ROWS));
        onProgress?.(r0 + rb, n1);
      }
    }
    // cache-blocked copy of the lower triangle into the upper one (the GEMM Gram's mirror)
    if (sym) for (const out of [outK, outN]) if (out) e.parallelFor('mirror_f64_task', [n1, out, n2], Number(e.call('mirror_tasks', n1)));
  }

  /** G (n1 x d) = sum_i W[b, i] dK(x_b, x_i)/dx_b with K the ntk (which 0) or nngp (1). */
  vjp(Wptr: number, Gptr: number, which: 0 | 1): void {
    const { e, prog, n1, n2 } = this;
    const d = prog.d;
    this.set('WV', Wptr); this.set('GX', Gptr); this.set('WHICH', which); this.set('LDO', n2);
    this.set('GQ', this.alloc(prog.qstride * n1));
    this.selfChains();
    if (prog.mode === 0) {
      const N0 = this.alloc(n1 * n2);
      gemmRaw('f64', false, true, n1, n2, d, 1 / d, this.X1, d, this.X2, d, 0, N0, n2);
      this.set('N0', N0); this.set('GN0', N0); // each tile is read before its adjoint overwrites it
      e.parallelFor('ntk_vjp_task', [this.sync()], n1);
      gemmRaw('f64', false, false, n1, d, n2, 1 / d, N0, n2, this.X2, d, 1, Gptr, d);
    } else {
      this.pixelVjpTasks();
    }
  }

  /** Pixel mode: the VJP tasks over all n1 rows with the context as set (a task is a block of CONV_ROWS rows). */
  pixelVjpTasks(): void {
    this.set('ROWR', CONV_ROWS);
    this.e.parallelFor('ntk_vjp_task', [this.sync()], Math.ceil(this.n1 / CONV_ROWS));
  }

  /**
   * Fused value + VJP, flat mode: one pass over the pairs writes the kernel (ntk: which 0,
   * nngp: 1) to outK (n1 x n2) and keeps its sensitivities to nngp0 and to the row inputs'
   * q at each ReLU; then weights(K) gives any number R of weight matrices W_r (n1 x n2 byte
   * offsets) and the base G of R stacked n1 x d outputs. Each W_r costs a light row task
   * (W_r * S0 into its slice of an R n1 x n2 stack, and the q chain into its G block); then
   * ONE GEMM (R n1) x n2 x d adds stack X2 / d to all of G, instead of R thin GEMMs that
   * would each re-pack X2.
   */
  valueAndVjp(outK: number, which: 0 | 1, weights: () => { W: number[]; G: number }): void {
    const { e, prog, n1, n2 } = this;
    if (prog.mode !== 0) throw new Error('Run.valueAndVjp: flat (fully connected) programs only');
    const d = prog.d;
    const N0 = this.alloc(n1 * n2), S0 = this.alloc(n1 * n2), SQ = this.alloc(prog.nrelu * n1 * n2);
    this.set('OUTK', outK); this.set('LDO', n2); this.set('WHICH', which);
    this.set('N0', N0); this.set('S0', S0); this.set('SQ', SQ);
    this.set('GQ', this.alloc(prog.qstride * n1));
    this.selfChains();
    gemmRaw('f64', false, true, n1, n2, d, 1 / d, this.X1, d, this.X2, d, 0, N0, n2);
    e.parallelFor('ntk_sens_task', [this.sync()], n1);
    const { W, G } = weights();
    const R = W.length;
    if (R === 0) return;
    // N0 is no longer needed: it holds the first W * S0 block, fresh memory the others
    const stack = R === 1 ? N0 : this.alloc(R * n1 * n2);
    for (let r = 0; r < R; r++) {
      this.set('WV', W[r]); this.set('GX', G + r * n1 * d * 8); this.set('GN0', stack + r * n1 * n2 * 8);
      e.parallelFor('ntk_fused_bwd_task', [this.sync()], n1);
    }
    gemmRaw('f64', false, false, R * n1, d, n2, 1 / d, stack, n2, this.X2, d, 1, G, d);
  }

  free(): void {
    for (const p of this.owned) this.e.heap.release(p);
    this.owned.length = 0;
    this.ctxBuf.free();
    this.opsBuf.free();
  }
}
