// The two-layer net of spec §1/§4 with k outputs, f_c(x) = m^{-1/2} sum_r a_rc relu(w_r . x),
// w_r ~ N(0, I) trained, a_rc = +-1 frozen (one sign per hidden unit and output), and its
// centred view f(x) - f_0(x) as an attackable model (what the NTK describes: the kernel
// machine starts from f = 0).
import { dense, flatten, relu, scale, type Layer } from '../kernels/layers.js';
import type { Matrix } from '../linalg/matrix.js';
import type { DifferentiableModel } from '../attacks/model.js';
import { buildNet, netModel, type Net } from '../nn/index.js';
import type { Dtype } from '../../bindings/engine.js';

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
