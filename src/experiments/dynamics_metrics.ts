// Metrics of a sequence of kernels K_0..K_T (one per epoch, all N x N on the same batch),
// spec §6 (paper Sec. 5, App. E):
//   similarity S(A, B) = <A, B>_F / (|A|_F |B|_F), distance 1 - S over all pairs (Fig. 6 left);
//   polar trajectory radius_t = |K_t - K_0|_F / |K_T - K_0|_F, angle_t = arccos S(K_t, K_0),
//     for K itself, its top-s eigenspace part V_s diag(l_s) V_s^T and the rest (Figs. 6, 14);
//   concentration sum_{i<=s} l_i^2 / sum_i l_i^2 (eigenvalues descending) and |K_t|_F (Figs. 5, 13).
// Pure functions of the kernels; eigendecompositions by eigh (src/linalg).
import { eigh } from '../linalg/eigh.js';

type Vec = ArrayLike<number>;

function dot(a: Vec, b: Vec): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Frobenius norm of a flat matrix. */
export function frobenius(a: Vec): number { return Math.sqrt(dot(a, a)); }

function checkSameSize(a: Vec, b: Vec, what: string): void {
  if (a.length !== b.length) throw new RangeError(`${what}: kernels of ${a.length} and ${b.length} values`);
}

/** S(A, B) = <A, B>_F / (|A|_F |B|_F); a zero kernel has no direction, so S is refused. */
export function kernelSimilarity(a: Vec, b: Vec): number {
  checkSameSize(a, b, 'kernelSimilarity');
  const na = frobenius(a), nb = frobenius(b);
  if (!(na > 0 && nb > 0)) throw new RangeError(`kernelSimilarity: a kernel is zero (|A|_F = ${na}, |B|_F = ${nb})`);
  return Math.min(1, Math.max(-1, dot(a, b) / (na * nb)));
}

/** distance[s][t] = 1 - S(K_s, K_t) for all pairs (symmetric, zero diagonal). */
export function distanceMatrix(Ks: readonly Vec[]): number[][] {
  const T = Ks.length, D = Array.from({ length: T }, () => new Array<number>(T).fill(0));
  for (let s = 0; s < T; s++) for (let t = s + 1; t < T; t++) D[s][t] = D[t][s] = 1 - kernelSimilarity(Ks[s], Ks[t]);
  return D;
}

/** 1 - S(K_t, K_{t-1}) for t = 1..T: how far each epoch moved the kernel. */
export function distanceToPrevious(Ks: readonly Vec[]): number[] {
  const out: number[] = [];
  for (let t = 1; t < Ks.length; t++) out.push(1 - kernelSimilarity(Ks[t], Ks[t - 1]));
  return out;
}

export interface Polar {
  /** |K_t - K_0|_F / |K_T - K_0|_F (all 0 when the kernel never moved: |K_T - K_0| <= 1e-9 max |K_t|). */
  radius: number[];
  /** arccos S(K_t, K_0), radians. */
  angle: number[];
}

/** The polar trajectory of a kernel sequence relative to its first kernel and its total move. */
export function polarTrajectory(Ks: readonly Vec[]): Polar {
  if (Ks.length === 0) throw new RangeError('polarTrajectory: no kernels');
  const K0 = Ks[0], T = Ks.length - 1;
  const dist = (a: Vec) => { checkSameSize(a, K0, 'polarTrajectory'); let s = 0; for (let i = 0; i < a.length; i++) s += (a[i] - K0[i]) ** 2; return Math.sqrt(s); };
  const total = dist(Ks[T]), scale = Math.max(...Ks.map(frobenius));
  // a total move at rounding level has no direction to normalise by
  const moved = total > 1e-9 * scale;
  return {
    radius: Ks.map((K) => (moved ? dist(K) / total : 0)),
    angle: Ks.map((K) => Math.acos(kernelSimilarity(K, K0))),
  };
}

/** sum_{i<=s} l_i^2 / sum_i l_i^2 for eigenvalues sorted descending. */
export function concentration(values: Vec, s: number): number {
  let top = 0, all = 0;
  for (let i = 0; i < values.length; i++) { const v = values[i] ** 2; all += v; if (i < s) top += v; }
  if (!(all > 0)) throw new RangeError('concentration: all eigenvalues are zero');
  return top / all;
}

export interface SpectralParts {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** V_s diag(l_s) V_s^T (top s eigenpairs), flat N x N. */
  top: Float64Array;
  /** K - top (the bottom eigenspace part). */
  bottom: Float64Array;
}

/** Split a symmetric N x N kernel into its top-s eigenspace part and the rest. */
export function spectralParts(K: Vec, n: number, s: number): SpectralParts {
  if (K.length !== n * n) throw new RangeError(`spectralParts: ${K.length} values for a ${n} x ${n} kernel`);
  if (!Number.isInteger(s) || s < 1 || s > n) throw new RangeError(`spectralParts: s must be an integer in 1..${n}, got ${s}`);
  const data = Float64Array.from(K);
  const { values, vectors } = eigh({ data, rows: n, cols: n });
  const V = vectors.data, top = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let v = 0;
      for (let q = 0; q < s; q++) v += V[i * n + q] * values[q] * V[j * n + q];
      top[i * n + j] = top[j * n + i] = v;
    }
  }
  // symmetrise K's own rounding before subtracting (the kernels are symmetric up to f32 rounding)
  const bottom = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) bottom[i * n + j] = 0.5 * (data[i * n + j] + data[j * n + i]) - top[i * n + j];
  return { values, top, bottom };
}

export interface KernelDynamics {
  /** 1 - S over all pairs of epochs. */
  distance: number[][];
  distanceToPrevious: number[];
  polar: { whole: Polar; top: Polar; bottom: Polar };
  /** concentration[s][t] for each requested s. */
  concentration: Record<string, number[]>;
  frobenius: number[];
  /** Top eigenvalues per epoch (the first `top` of them). */
  topValues: number[][];
}

/** All §6 metrics of a kernel sequence (N x N each). `top` is the eigenspace size of the polar split. */
export function kernelDynamics(Ks: readonly Vec[], n: number, opts: { top?: number; concentration?: number[] } = {}): KernelDynamics {
  const s = Math.min(opts.top ?? 20, n), cs = opts.concentration ?? [10, 20];
  const parts = Ks.map((K) => spectralParts(K, n, s));
  const conc: Record<string, number[]> = {};
  for (const c of cs) conc[String(c)] = parts.map((p) => concentration(p.values, c));
  return {
    distance: distanceMatrix(Ks),
    distanceToPrevious: distanceToPrevious(Ks),
    polar: { whole: polarTrajectory(Ks), top: polarTrajectory(parts.map((p) => p.top)), bottom: polarTrajectory(parts.map((p) => p.bottom)) },
    concentration: conc,
    frobenius: Ks.map((K) => frobenius(K)),
    topValues: parts.map((p) => Array.from(p.values.subarray(0, s))),
  };
}
