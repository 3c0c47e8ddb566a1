// Each layer's kernel map and its reverse-mode derivative, in plain TypeScript: the readable
// statement of spec §1 that the wasm interpreter (assembly/kernels/ntk.ts) implements at SIMD
// speed, and a reference for tests. A state holds one input pair's maps: per pixel (length
// H*W) or flat (length 1): nngp, ntk and the self-covariances q1 = nngp(x,x), q2 = nngp(x',x').
import type { Layer } from './layers.js';
import type { ImageShape } from './compile.js';

export interface MapState { nngp: Float64Array; ntk: Float64Array; q1: Float64Array; q2: Float64Array; H: number; W: number }
/** Adjoints of a state with respect to the first input (q2 belongs to x' and gets none). */
export interface MapAdjoint { nngp: Float64Array; ntk: Float64Array; q1: Float64Array }
export interface LayerMap {
  forward(s: MapState): MapState;
  /** Given the layer's input state and the adjoint of its output, the adjoint of its input. */
  backward(input: MapState, g: MapAdjoint): MapAdjoint;
}

/** Floor on 1 - c^2 in derivatives (as in wasm): |d arccos(c)/dc| <= 1e6. */
export const SIN2_FLOOR = 1e-12;

const map = (a: Float64Array, f: (v: number, i: number) => number) => Float64Array.from(a, f);

/** 3x3 SAME mean with zero padding (self-adjoint). */
export function box3(m: Float64Array, H: number, W: number): Float64Array {
  const out = new Float64Array(H * W);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    let s = 0;
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
      const yy = y + dy, xx = x + dx;
      if (yy >= 0 && yy < H && xx >= 0 && xx < W) s += m[yy * W + xx];
    }
    out[y * W + x] = s / 9;
  }
  return out;
}

export function layerMap(l: Layer, d: number): LayerMap {
  switch (l.kind) {
    case 'dense': case 'conv': {
      const w2 = l.wStd ** 2, b2 = l.bStd ** 2;
      if (l.kind === 'dense' && l.frozen) return layerMap({ kind: 'scale', factor: w2 }, d); // frozen readout: no NTK term
      const A = (m: Float64Array, s: MapState) => (l.kind === 'conv' ? box3(m, s.H, s.W) : m);
      return {
        forward: (s) => {
          const nngp = map(A(s.nngp, s), (v) => w2 * v + b2), kb = A(s.ntk, s);
          return { ...s, nngp, ntk: map(nngp, (v, i) => v + w2 * kb[i]), q1: map(A(s.q1, s), (v) => w2 * v + b2), q2: map(A(s.q2, s), (v) => w2 * v + b2) };
        },
        backward: (s, g) => ({
          nngp: map(A(map(g.nngp, (v, i) => v + g.ntk[i]), s), (v) => w2 * v),
          ntk: map(A(g.ntk, s), (v) => w2 * v),
          q1: map(A(g.q1, s), (v) => w2 * v),
        }),
      };
    }
    case 'relu': {
      const parts = (s: MapState, i: number) => {
        const sq = Math.sqrt(s.q1[i] * s.q2[i]);
        const c = sq > 0 ? s.nngp[i] / sq : 0, cc = Math.min(1, Math.max(-1, c));
        return { sq, c: cc, th: Math.acos(cc), one: 1 - cc * cc };
      };
      return {
        forward: (s) => {
          const nngp = new Float64Array(s.nngp.length), ntk = new Float64Array(s.nngp.length);
          for (let i = 0; i < nngp.length; i++) {
            const { sq, c, th, one } = parts(s, i);
            nngp[i] = (sq * Math.sqrt(Math.max(one, 0)) + (Math.PI - th) * c * sq) / (2 * Math.PI);
            ntk[i] = (s.ntk[i] * (Math.PI - th)) / (2 * Math.PI);
          }
          return { ...s, nngp, ntk, q1: map(s.q1, (v) => v / 2), q2: map(s.q2, (v) => v / 2) };
        },
        backward: (s, g) => {
          const n = s.nngp.length, gn = new Float64Array(n), gk = new Float64Array(n), gq = new Float64Array(n);
          for (let i = 0; i < n; i++) {
            const { sq, c, th, one } = parts(s, i);
            const A = (Math.PI - th) / (2 * Math.PI), r = 1 / Math.sqrt(Math.max(one, SIN2_FLOOR)), k = s.ntk[i];
            gn[i] = g.nngp[i] * A + (sq > 0 ? (g.ntk[i] * k * r) / (2 * Math.PI * sq) : 0);
            gk[i] = g.ntk[i] * A;
            // d nngp/dq1 = sin(th) sq / (4 pi q1); d ntk/dq1 = -k c r / (4 pi q1); q1 -> q1/2
            const dq = s.q1[i] > 0 ? (g.nngp[i] * Math.sqrt(Math.max(one, 0)) * sq - g.ntk[i] * k * c * r) / (4 * Math.PI * s.q1[i]) : 0;
            gq[i] = dq + g.q1[i] / 2;
          }
          return { nngp: gn, ntk: gk, q1: gq };
        },
      };
    }
    case 'flatten': {
      const mean = (a: Float64Array) => Float64Array.of(a.reduce((x, y) => x + y, 0) / a.length);
      return {
        forward: (s) => (s.nngp.length === 1 ? s : { ...s, nngp: mean(s.nngp), ntk: mean(s.ntk), q1: mean(s.q1), q2: mean(s.q2) }),
        backward: (s, g) => {
          const P = s.nngp.length, spread = (a: Float64Array) => new Float64Array(P).fill(a[0] / P);
          return P === 1 ? g : { nngp: spread(g.nngp), ntk: spread(g.ntk), q1: spread(g.q1) };
        },
      };
    }
    case 'scale': {
      const f = l.factor === 'inputDim' ? d : l.factor;
      return {
        forward: (s) => ({ ...s, nngp: map(s.nngp, (v) => f * v), ntk: map(s.ntk, (v) => f * v), q1: map(s.q1, (v) => f * v), q2: map(s.q2, (v) => f * v) }),
        backward: (_s, g) => ({ nngp: map(g.nngp, (v) => f * v), ntk: map(g.ntk, (v) => f * v), q1: map(g.q1, (v) => f * v) }),
      };
    }
    case 'avgPool': case 'maxPool':
      throw new RangeError(`kernel: ${l.kind} has no analytic kernel map here; pooling layers build finite nets only`);
  }
}

/** Input state of a pair: per-pixel maps for conv-first nets, flat (x.x'/d) otherwise. */
function inputState(layers: readonly Layer[], x: Float64Array, y: Float64Array, shape?: ImageShape): MapState {
  const first = layers.find((l) => l.kind !== 'scale');
  if (first && (first.kind === 'conv' || first.kind === 'relu') && shape) {
    const [H, W, C] = shape, P = H * W;
    const st = { nngp: new Float64Array(P), ntk: new Float64Array(P), q1: new Float64Array(P), q2: new Float64Array(P), H, W };
    for (let p = 0; p < P; p++) for (let c = 0; c < C; c++) {
      const a = x[p * C + c], b = y[p * C + c];
      st.nngp[p] += a * b / C; st.q1[p] += a * a / C; st.q2[p] += b * b / C;
    }
    return st;
  }
  const d = x.length;
  let xy = 0, xx = 0, yy = 0;
  for (let j = 0; j < d; j++) { xy += x[j] * y[j]; xx += x[j] * x[j]; yy += y[j] * y[j]; }
  return { nngp: Float64Array.of(xy / d), ntk: Float64Array.of(0), q1: Float64Array.of(xx / d), q2: Float64Array.of(yy / d), H: 1, W: 1 };
}

/** Reference kernel value (nngp, ntk) of one pair, in plain TypeScript. */
export function referencePair(layers: readonly Layer[], x: Float64Array, y: Float64Array, shape?: ImageShape): { nngp: number; ntk: number } {
  let s = inputState(layers, x, y, shape);
  for (const l of layers) s = layerMap(l, x.length).forward(s);
  return { nngp: s.nngp[0], ntk: s.ntk[0] };
}

/** Reference gradient d K(x, y)/dx (K = ntk or nngp) of one pair, by reverse mode through the maps. */
export function referencePairGrad(layers: readonly Layer[], x: Float64Array, y: Float64Array, get: 'ntk' | 'nngp' = 'ntk', shape?: ImageShape): Float64Array {
  const d = x.length, states: MapState[] = [inputState(layers, x, y, shape)];
  const maps = layers.map((l) => layerMap(l, d));
  for (const m of maps) states.push(m.forward(states[states.length - 1]));
  let g: MapAdjoint = { nngp: Float64Array.of(get === 'nngp' ? 1 : 0), ntk: Float64Array.of(get === 'ntk' ? 1 : 0), q1: Float64Array.of(0) };
  for (let i = maps.length - 1; i >= 0; i--) g = maps[i].backward(states[i], g);
  const out = new Float64Array(d), s0 = states[0];
  if (s0.nngp.length === 1 && (s0.H * s0.W === 1)) {
    for (let j = 0; j < d; j++) out[j] = (g.nngp[0] * y[j] + 2 * g.q1[0] * x[j]) / d;
  } else {
    const C = d / (s0.H * s0.W);
    for (let j = 0; j < d; j++) { const p = Math.floor(j / C); out[j] = (g.nngp[p] * y[j] + 2 * g.q1[p] * x[j]) / C; }
  }
  return out;
}
