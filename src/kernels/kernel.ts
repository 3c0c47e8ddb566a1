// serial(...) -> a Kernel: Gram matrices, input VJPs and Jacobians of the analytic NNGP/NTK.
import { engine } from '../engine.js';
import type { WasmBuffer } from '../../bindings/engine.js';
import { checkFinite, checkMatrix, type Matrix } from '../linalg/matrix.js';
import { compileProgram, type ImageShape, type Program } from './compile.js';
import { conv, dense, flatten, relu, scale, type Layer } from './layers.js';
import { Run } from './run.js';
import { jacobianTimesPixels } from './jacobian_times.js';

export type Get = 'ntk' | 'nngp' | 'both';

export interface KernelOptions {
  /** Which kernel(s) to return; default 'ntk'. */
  get?: Get;
  /** Image shape H x W x C (channels last) of the flat rows; required by conv layers. */
  shape?: ImageShape;
  /** Gram builds call this with (rows done, rows) as they go, for progress bars. */
  onProgress?: (done: number, total: number) => void;
}

export interface KernelResult {
  ntk?: Matrix<Float64Array>;
  nngp?: Matrix<Float64Array>;
  /** Output self-covariances nngp(x, x) of the rows of X1 and of X2 (X1 when X2 is absent). */
  q1: Float64Array;
  q2: Float64Array;
}

type F64Matrix = Matrix<Float64Array>;

/** Validates an input matrix; float32 inputs are widened to float64 (the kernels run in f64). */
function checkInput(X: Matrix, what: string): F64Matrix {
  checkMatrix(X, what);
  checkFinite(X, what);
  return X.data instanceof Float64Array ? (X as F64Matrix) : { data: Float64Array.from(X.data), rows: X.rows, cols: X.cols };
}

/** What the input-gradient methods check alike: get is 'ntk' or 'nngp'; X and Xtrain valid, with rows of equal length. */
function checkGradientInputs(method: string, X: Matrix, Xtrain: Matrix, get: string): { X: F64Matrix; Xtrain: F64Matrix } {
  if (get !== 'ntk' && get !== 'nngp') throw new RangeError(`${method}: get must be 'ntk' or 'nngp', got '${get}'`);
  const x = checkInput(X, `${method}: X`), t = checkInput(Xtrain, `${method}: Xtrain`);
  if (t.cols !== x.cols) throw new RangeError(`${method}: X rows have ${x.cols} values but Xtrain rows have ${t.cols}`);
  return { X: x, Xtrain: t };
}

export class Kernel {
  readonly layers: readonly Layer[];
  private cache = new Map<string, Program>();
  constructor(layers: readonly (Layer | Kernel)[]) {
    this.layers = layers.flatMap((l) => (l instanceof Kernel ? l.layers : [l]));
  }

  /** The compiled op program for rows of d values (with an image shape when given). */
  program(d: number, shape?: ImageShape): Program {
    const key = `${d}|${shape ? shape.join('x') : ''}`;
    let p = this.cache.get(key);
    if (!p) { p = compileProgram(this.layers, d, shape); this.cache.set(key, p); }
    return p;
  }

  /** Output width of the final dense layer (1 when unspecified). */
  get outputs(): number {
    for (let i = this.layers.length - 1; i >= 0; i--) { const l = this.layers[i]; if (l.kind === 'dense') return l.out ?? 1; }
    return 1;
  }

  /**
   * Gram matrices K(X1, X2) (n1 x n2); K(X1, X1) when X2 is absent (one triangle computed,
   * then mirrored, so the result is exactly symmetric).
   */
  kernelFn(X1: Matrix, X2?: Matrix | null, opts: KernelOptions = {}): KernelResult {
    const get = opts.get ?? 'ntk';
    checkGet(get);
    const e = engine();
    const n1 = X1.rows, n2 = X2 ? X2.rows : X1.rows;
    const outK = get !== 'nngp' ? e.buffer('f64', n1 * n2) : null;
    const outN = get !== 'ntk' ? e.buffer('f64', n1 * n2) : null;
    try {
      const r = this.gramInto(X1, X2 ?? null, { ntk: outK ?? undefined, nngp: outN ?? undefined }, opts);
      return {
        ntk: outK ? { data: outK.toArray() as Float64Array, rows: n1, cols: n2 } : undefined,
        nngp: outN ? { data: outN.toArray() as Float64Array, rows: n1, cols: n2 } : undefined,
        q1: r.q1, q2: r.q2,
      };
    } finally { outK?.free(); outN?.free(); }
  }

  /**
   * Wasm-resident Gram build: writes K(X1, X2) straight into the given wasm buffers
   * (n1 * n2 f64 each, row-major), so a 10,000 x 10,000 Gram is never copied. Inputs that
   * already live in wasm memory are used in place.
   */
  gramInto(X1: Matrix, X2: Matrix | null, out: { ntk?: WasmBuffer; nngp?: WasmBuffer }, opts: Omit<KernelOptions, 'get'> = {}): { q1: Float64Array; q2: Float64Array } {
    X1 = checkInput(X1, 'kernel: X1');
    if (X2) {
      X2 = checkInput(X2, 'kernel: X2');
      if (X2.cols !== X1.cols) throw new RangeError(`kernel: X1 rows have ${X1.cols} values but X2 rows have ${X2.cols}`);
    }
    if (!out.ntk && !out.nngp) throw new RangeError('kernel: gramInto needs an ntk and/or nngp output buffer');
    const n1 = X1.rows, n2 = X2 ? X2.rows : n1;
    for (const [name, b] of Object.entries(out)) {
      if (!b) continue;
      if (b.dtype !== 'f64' || b.length !== n1 * n2) throw new RangeError(`kernel: ${name} output must be an f64 buffer of ${n1} x ${n2} = ${n1 * n2} entries, got ${b.dtype} of ${b.length}`);
    }
    const prog = this.program(X1.cols, opts.shape);
    const e = engine();
    const a = e.input(X1.data), b = X2 ? e.input(X2.data) : a;
    const run = new Run(prog, a.ptr, n1, b.ptr, n2, !X2);
    try {
      if (n1 > 0 && n2 > 0) run.gram(out.ntk?.ptr ?? 0, out.nngp?.ptr ?? 0, opts.onProgress);
      const q1 = run.selfNngp(1);
      return { q1, q2: X2 ? run.selfNngp(2) : q1 };
    } finally {
      run.free(); a.release(); if (X2) b.release();
    }
  }

  /**
   * Input gradient as a vector-Jacobian product: G (b x d) with
   * G[b, :] = sum_i W[b, i] dK(x_b, x_i)/dx_b, K the NTK (get 'ntk', default) or NNGP.
   * The b x n x d Jacobian is never formed.
   */
  kernelVjp(X: Matrix, Xtrain: Matrix, W: Matrix, opts: Omit<KernelOptions, 'get'> & { get?: 'ntk' | 'nngp' } = {}): F64Matrix {
    const get = opts.get ?? 'ntk';
    ({ X, Xtrain } = checkGradientInputs('kernelVjp', X, Xtrain, get));
    W = checkInput(W, 'kernelVjp: W');
    if (W.rows !== X.rows || W.cols !== Xtrain.rows) throw new RangeError(`kernelVjp: W must be ${X.rows} x ${Xtrain.rows} (rows of X by rows of Xtrain), got ${W.rows} x ${W.cols}`);
    const prog = this.program(X.cols, opts.shape);
    const e = engine();
    const nb = X.rows, n = Xtrain.rows, d = X.cols;
    const G = e.buffer('f64', nb * d);
    const a = e.input(X.data), b = e.input(Xtrain.data), w = e.input(W.data);
    const run = new Run(prog, a.ptr, nb, b.ptr, n, false);
    try {
      if (nb > 0 && n > 0) run.vjp(w.ptr, G.ptr, get === 'ntk' ? 0 : 1);
      else G.data.fill(0);
      return { data: G.toArray() as Float64Array, rows: nb, cols: d };
    } finally {
      run.free(); a.release(); b.release(); w.release(); G.free();
    }
  }

  /**
   * Kernel values and input VJPs in one go: K = K(X, Xtrain) (b x n; ntk or nngp), then
   * Ws = weightsFromK(K) (each b x n), and for each W its G (b x d) as kernelVjp(X, Xtrain, W)
   * gives. Fully connected kernels run the pair maps once, keeping dK/dnngp0 and dK/dq per
   * pair, so every weight matrix then costs one GEMM (an attack step needs one pass, not
   * two, and max-of-k's k weight matrices no more); conv kernels fall back to kernelFn +
   * kernelVjp per W (per-pixel sensitivities would not fit in memory).
   */
  kernelValueAndVjp(
    X: Matrix, Xtrain: Matrix, weightsFromK: (K: F64Matrix) => Matrix[],
    opts: Omit<KernelOptions, 'get'> & { get?: 'ntk' | 'nngp' } = {},
  ): { K: F64Matrix; G: F64Matrix[] } {
    const get = opts.get ?? 'ntk';
    ({ X, Xtrain } = checkGradientInputs('kernelValueAndVjp', X, Xtrain, get));
    const prog = this.program(X.cols, opts.shape);
    const nb = X.rows, n = Xtrain.rows, d = X.cols;
    const checkW = (Ws: Matrix[]): F64Matrix[] => Ws.map((W, r) => {
      W = checkInput(W, `kernelValueAndVjp: weights[${r}]`);
      if (W.rows !== nb || W.cols !== n) throw new RangeError(`kernelValueAndVjp: weights[${r}] must be ${nb} x ${n} (rows of X by rows of Xtrain), got ${W.rows} x ${W.cols}`);
      return W as F64Matrix;
    });
    if (prog.mode !== 0 || nb === 0 || n === 0) {
      const K = get === 'ntk' ? this.kernelFn(X, Xtrain, { shape: opts.shape }).ntk! : this.kernelFn(X, Xtrain, { shape: opts.shape, get: 'nngp' }).nngp!;
      return { K, G: checkW(weightsFromK(K)).map((W) => this.kernelVjp(X, Xtrain, W, opts)) };
    }
    const e = engine();
    const outK = e.buffer('f64', nb * n);
    const a = e.input(X.data), b = e.input(Xtrain.data);
    const run = new Run(prog, a.ptr, nb, b.ptr, n, false);
    const bufs: WasmBuffer[] = [];
    let K: F64Matrix | null = null, R = 0;
    const G: F64Matrix[] = [];
    try {
      run.valueAndVjp(outK.ptr, get === 'ntk' ? 0 : 1, () => {
        K = { data: outK.toArray() as Float64Array, rows: nb, cols: n };
        const Ws = checkW(weightsFromK(K));
        R = Ws.length;
        // the outputs stacked in one buffer: one GEMM then serves every W
        const g = e.buffer('f64', R * nb * d);
        bufs.push(g);
        return { W: Ws.map((W) => { const w = e.from(W.data); bufs.push(w); return w.ptr; }), G: g.ptr };
      });
      const all = bufs[0]?.data as Float64Array | undefined;
      for (let r = 0; r < R; r++) G.push({ data: all!.slice(r * nb * d, (r + 1) * nb * d), rows: nb, cols: d });
      return { K: K!, G };
    } finally {
      run.free(); a.release(); b.release(); outK.free();
      for (const buf of bufs) buf.free();
    }
  }

  /**
   * Jacobian times a matrix: for each column r of A (n x R), G_r (b x d) with
   * G_r[b, :] = sum_i A[i, r] dK(x_b, x_i)/dx_b, i.e. kernelVjp with W_r[b, i] = A[i, r],
   * for all R columns in ONE pass over the b x n pairs (conv kernels: per training point
   * its Jacobian column for the whole block, then one GEMM per block of training points;
   * FC kernels: the fused value + VJP). Feature gradients (rank-one kernel weights
   * c[b] v_i) need exactly this.
   */
  kernelJacobianTimes(X: Matrix, Xtrain: Matrix, A: Matrix, opts: Omit<KernelOptions, 'get'> & { get?: 'ntk' | 'nngp' } = {}): F64Matrix[] {
    const get = opts.get ?? 'ntk';
    ({ X, Xtrain } = checkGradientInputs('kernelJacobianTimes', X, Xtrain, get));
    A = checkInput(A, 'kernelJacobianTimes: A');
    if (A.rows !== Xtrain.rows) throw new RangeError(`kernelJacobianTimes: A must have one row per training point (${Xtrain.rows}), got ${A.rows} x ${A.cols}`);
    const prog = this.program(X.cols, opts.shape);
    const nb = X.rows, n = Xtrain.rows, R = A.cols;
    if (prog.mode !== 0) return jacobianTimesPixels(prog, X as F64Matrix, Xtrain as F64Matrix, A as F64Matrix, get === 'ntk' ? 0 : 1, opts.onProgress);
    const Ws = Array.from({ length: R }, (_, r) => {
      const W = new Float64Array(nb * n);
      for (let i = 0; i < n; i++) { const v = A.data[i * R + r]; for (let b = 0; b < nb; b++) W[b * n + i] = v; }
      return { data: W, rows: nb, cols: n };
    });
    if (R === 0) return [];
    return this.kernelValueAndVjp(X, Xtrain, () => Ws, { shape: opts.shape, get }).G;
  }

  /** Jacobian rows dK(x, x_i)/dx for one input x (1 x d): n x d. For small n (costs n^2 pairs). */
  kernelJacobian(x: Matrix, Xtrain: Matrix, opts: Omit<KernelOptions, 'get'> & { get?: 'ntk' | 'nngp' } = {}): F64Matrix {
    x = checkInput(x, 'kernelJacobian: x');
    if (x.rows !== 1) throw new RangeError(`kernelJacobian: x must be one row (1 x d), got ${x.rows} x ${x.cols}`);
    const n = Xtrain.rows, d = x.cols;
    const Xrep = new Float64Array(n * d);
    for (let i = 0; i < n; i++) Xrep.set(x.data, i * d);
    const I = new Float64Array(n * n);
    for (let i = 0; i < n; i++) I[i * n + i] = 1;
    return this.kernelVjp({ data: Xrep, rows: n, cols: d }, Xtrain, { data: I, rows: n, cols: n }, opts);
  }
}

function checkGet(get: string): void {
  if (get !== 'ntk' && get !== 'nngp' && get !== 'both') throw new RangeError(`kernel: get must be 'ntk', 'nngp' or 'both', got '${get}'`);
}

/** Composes layers (or kernels) in sequence, like stax.serial. */
export function serial(...layers: (Layer | Kernel)[]): Kernel {
  return new Kernel(layers);
}

export interface PresetOptions { wStd?: number; bStd?: number; out?: number }

/** FC_L: flatten, L x [dense, relu], dense(out); defaults W_std = sqrt 2, b_std = 0.1 (the paper's). */
export function fc(L: number, opts: PresetOptions = {}): Kernel {
  const { wStd = Math.SQRT2, bStd = 0.1, out = 1 } = opts;
  if (!Number.isInteger(L) || L < 1) throw new RangeError(`fc: depth L must be a positive integer, got ${L}`);
  const ls: Layer[] = [flatten()];
  for (let i = 0; i < L; i++) ls.push(dense({ wStd, bStd }), relu());
  ls.push(dense({ wStd, bStd, out }));
  return serial(...ls);
}

/** CONV_L: L x [conv3x3 SAME, relu], flatten, dense(out); defaults W_std = sqrt 2, b_std = 0.1. */
export function convNet(L: number, opts: PresetOptions = {}): Kernel {
  const { wStd = Math.SQRT2, bStd = 0.1, out = 1 } = opts;
  if (!Number.isInteger(L) || L < 1) throw new RangeError(`convNet: depth L must be a positive integer, got ${L}`);
  const ls: Layer[] = [];
  for (let i = 0; i < L; i++) ls.push(conv({ wStd, bStd }), relu());
  ls.push(flatten(), dense({ wStd, bStd, out }));
  return serial(...ls);
}

/**
 * Two-layer ReLU net with a frozen output layer (spec §1, Eq. 42):
 * Theta(x, x') = x.x' (pi - arccos u) / (2 pi), u = x.x' / (|x| |x'|) -- with no 1/d, as in
 * the spec: the hidden weights are w ~ N(0, I) (standard parameterisation), so this is d times
 * the NTK-parameterised dense(1, 0) + relu kernel; the frozen readout adds no NTK term. Its
 * nngp is E[relu(w.x) relu(w.x')] = |x||x'| (sin t + (pi - t) cos t) / (2 pi).
 */
export function twoLayerFrozenRelu(opts: { width?: number } = {}): Kernel {
  // the finite net: f(x) = m^{-1/2} sum_j a_j relu(w_j . x), a_j = +-1 frozen (the scale layer
  // turns the NTK-parameterised relu(w.x / sqrt d) into relu(w.x) by positive homogeneity)
  return serial(flatten(), dense({ wStd: 1, bStd: 0, out: opts.width }), relu(), scale('inputDim'), dense({ wStd: 1, bStd: 0, out: 1, frozen: true }));
}

export const ARCHS = ['fc1', 'fc2', 'fc3', 'fc4', 'fc5', 'conv1', 'conv2', 'twolayer'] as const;
export type ArchName = (typeof ARCHS)[number];

/** Parses an architecture name: fc1..fc5, conv1, conv2, twolayer. */
export function arch(name: string, opts: PresetOptions = {}): Kernel {
  const m = /^(fc|conv)([0-9]+)$/.exec(name);
  if (name === 'twolayer') return twoLayerFrozenRelu();
  if (m && m[1] === 'fc' && +m[2] >= 1 && +m[2] <= 5) return fc(+m[2], opts);
  if (m && m[1] === 'conv' && +m[2] >= 1 && +m[2] <= 2) return convNet(+m[2], opts);
  throw new RangeError(`unknown architecture '${name}'; valid: ${ARCHS.join(', ')}`);
}
