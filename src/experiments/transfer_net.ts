// The two-layer net of spec §1/§4 with k outputs, f_c(x) = m^{-1/2} sum_r a_rc relu(w_r . x),
// w_r ~ N(0, I) trained, a_rc = +-1 frozen (one sign per hidden unit and output), and its
// centred view f(x) - f_0(x) as an attackable model (what the NTK describes: the kernel
// machine starts from f = 0).
import { dense, flatten, relu, scale, type Layer } from '../kernels/layers.js';
import type { Matrix } from '../linalg/matrix.js';
import type { DifferentiableModel } from '../attacks/model.js';
import { buildNet, netModel, type Net } from '../nn/index.js';
import type { Dtype } from '../../bindings/engine.js';
import { gemm } from '../linalg/gemm.js';

/** Layers of the k-output two-layer net (the `twolayer` preset generalised to k outputs). */
export function twoLayerLayers(width: number, outputs: number): Layer[] {
  // NTK-parameterised dense(1, 0) is relu(w.x / sqrt d); scale(sqrt d) makes it relu(w.x)
  // (positive homogeneity), and the frozen readout multiplies by a / sqrt(width)
  return [flatten(), dense({ wStd: 1, bStd: 0, out: width }), relu(), scale('inputDim'), dense({ wStd: 1, bStd: 0, out: outputs, frozen: true })];
}

/**
 * 'independent': every w_r ~ N(0, I) and a_rc = +-1 drawn independently (f_0 is a Gaussian
 * process of variance E relu(w.x)^2 = |x|^2 / 2, about 50 on MNIST pixels: far larger than
 * the 0/1 targets, so the centred net learns Y - f_0(X), not Y).
 * 'paired': the second half of the units copies the first half's w_r with the opposite signs
 * a (Chizat et al. 2019's doubling), so f_0 = 0 exactly while each w_r is still N(0, I), each
 * a_rc still uniform on +-1 and the NTK the same; the net then starts where the kernel machine does.
 */
export type TwoLayerInit = 'paired' | 'independent';
export const TWO_LAYER_INITS: readonly TwoLayerInit[] = ['paired', 'independent'];

export function twoLayerNet(inputDim: number, width: number, outputs: number, seed: number, opts: { dtype?: Dtype; init?: TwoLayerInit } = {}): Net {
  const { dtype = 'f32', init = 'paired' } = opts;
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`two-layer net: width must be a positive integer, got ${width}`);
  if (init !== 'paired' && init !== 'independent') throw new RangeError(`two-layer net: init must be paired or independent, got '${init}'`);
  if (init === 'paired' && width % 2) throw new RangeError(`two-layer net: a paired initialisation needs an even width, got ${width}`);
  const net = buildNet(twoLayerLayers(width, outputs), { input: inputDim, dtype, seed, parameterization: 'ntk' });
  if (init === 'paired') {
    // W is (inputDim, width) row-major; the frozen readout (width, outputs)
    const W = net.params.data, A = net.consts!.data, h = width / 2;
    for (let i = 0; i < inputDim; i++) W.copyWithin(i * width + h, i * width, i * width + h);
    for (let r = 0; r < h; r++) for (let c = 0; c < outputs; c++) A[(r + h) * outputs + c] = -A[r * outputs + c];
  }
  return net;
}

const sub = (a: Matrix<Float64Array>, b: Matrix<Float64Array>): Matrix<Float64Array> => ({ data: a.data.map((v, i) => v - b.data[i]), rows: a.rows, cols: a.cols });

/** f(x) - f0(x) for a trained net and an untouched copy of its initialisation. */
export function centredModel(net: Net, net0: Net, batch = 256): DifferentiableModel {
  if (net.inputDim !== net0.inputDim || net.outputs !== net0.outputs || net.nParams !== net0.nParams) throw new RangeError('centred model: the two nets differ in shape');
  const m = netModel(net, { batch }), m0 = netModel(net0, { batch });
  return {
    outputs: net.outputs,
    forward: (X) => sub(m.forward(X), m0.forward(X)),
    vjp: (X, w) => { const g = m.vjp(X, w), g0 = m0.vjp(X, w); return g.map((gi, i) => sub(gi, g0[i])); },
  };
}

/** The first layer's weights W (inputDim x width, row-major view) and the frozen readout A (width x outputs). */
function twoLayerTensors(net: Net): { W: Float32Array | Float64Array; A: Float32Array | Float64Array; width: number } {
  const W = net.layout.find((t) => t.name === 'W'), A = net.constLayout.find((t) => t.name === 'W');
  if (!W || !A || W.shape.length !== 2 || W.shape[0] !== net.inputDim || !net.consts) throw new RangeError('two-layer net: expected a dense first layer and a frozen dense readout');
  const width = W.shape[1];
  return { W: net.params.data.subarray(W.offset, W.offset + W.size), A: net.consts.data.subarray(A.offset, A.offset + A.size), width };
}

type F = Float32Array | Float64Array;
const mat = <T extends F>(data: T, rows: number, cols: number): Matrix<T> => ({ data, rows, cols });

/**
 * The first-order Taylor model of a trained two-layer net around its initialisation, centred:
 *   f_lin(x) - f_0(x) = m^{-1/2} sum_r a_r 1(w_r0 . x > 0) (w_r - w_r0) . x,
 * at the net's current weights w_r. Its input gradient m^{-1/2} sum_r a_r 1(w_r0.x > 0) delta_r
 * has no term from hidden units that changed sign on x during training: the net's own
 * gradient is this plus m^{-1/2} sum_r a_r [1(w_r.x > 0) - 1(w_r0.x > 0)] w_r (the "flip"
 * term, each flipped unit adding a vector of norm about sqrt(d / m)). Also counts, per row,
 * the hidden units whose sign on x differs between the two nets. GEMMs in the nets' dtype.
 */
export function taylorModel(net: Net, net0: Net, batch = 256): DifferentiableModel & { flips(X: Matrix<Float64Array>): Int32Array } {
  if (net.inputDim !== net0.inputDim || net.outputs !== net0.outputs || net.nParams !== net0.nParams || net.dtype !== net0.dtype) throw new RangeError('taylor model: the two nets differ in shape');
  const t = twoLayerTensors(net), t0 = twoLayerTensors(net0);
  const d = net.inputDim, m = t.width, k = net.outputs, f32 = net.dtype === 'f32';
  const make = (len: number): F => (f32 ? new Float32Array(len) : new Float64Array(len));
  const dW = make(d * m);
  for (let i = 0; i < dW.length; i++) dW[i] = t.W[i] - t0.W[i];
  const A = make(m * k), s = 1 / Math.sqrt(m);
  for (let i = 0; i < A.length; i++) A[i] = t0.A[i] * s;
  const W0 = mat(f32 ? Float32Array.from(t0.W) : Float64Array.from(t0.W), d, m), W1 = mat(f32 ? Float32Array.from(t.W) : Float64Array.from(t.W), d, m);
  const DW = mat(dW, d, m), AM = mat(A, m, k);
  const rows = (X: Matrix<Float64Array>, r0: number, B: number) => mat(f32 ? Float32Array.from(X.data.subarray(r0 * d, (r0 + B) * d)) : X.data.slice(r0 * d, (r0 + B) * d), B, d);
  const each = (X: Matrix<Float64Array>, fn: (Xb: Matrix<F>, r0: number, B: number) => void) => {
    for (let r0 = 0; r0 < X.rows; r0 += batch) { const B = Math.min(batch, X.rows - r0); fn(rows(X, r0, B), r0, B); }
  };
  const gm = (a: Matrix<F>, b: Matrix<F>, o: { transA?: boolean; transB?: boolean } = {}) => gemm(a as Matrix<Float64Array>, b as Matrix<Float64Array>, o);
  return {
    outputs: k,
    forward(X) {
      const out = new Float64Array(X.rows * k);
      each(X, (Xb, r0) => {
        const Z0 = gm(Xb, W0), P = gm(Xb, DW);
        for (let i = 0; i < P.data.length; i++) if (!(Z0.data[i] > 0)) P.data[i] = 0;
        out.set(gm(P, AM).data, r0 * k);
      });
      return mat(out, X.rows, k);
    },
    vjp(X, ws) {
      return ws.map((w) => {
        const out = new Float64Array(X.rows * d);
        each(X, (Xb, r0, B) => {
          const Z0 = gm(Xb, W0), wb = mat(f32 ? Float32Array.from(w.data.subarray(r0 * k, (r0 + B) * k)) : w.data.slice(r0 * k, (r0 + B) * k), B, k);
          const Q = gm(wb, AM, { transB: true });
          for (let i = 0; i < Q.data.length; i++) if (!(Z0.data[i] > 0)) Q.data[i] = 0;
          out.set(gm(Q, DW, { transB: true }).data, r0 * d);
        });
        return mat(out, X.rows, d);
      });
    },
    flips(X) {
      const out = new Int32Array(X.rows);
      each(X, (Xb, r0, B) => {
        const Z0 = gm(Xb, W0), Z1 = gm(Xb, W1);
        for (let b = 0; b < B; b++) {
          let c = 0;
          for (let r = b * m; r < (b + 1) * m; r++) if ((Z0.data[r] > 0) !== (Z1.data[r] > 0)) c++;
          out[r0 + b] = c;
        }
      });
      return out;
    },
  };
}
