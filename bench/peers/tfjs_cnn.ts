// tfjs-backend-wasm peer for the paper's Sec. 5 CNNs (mnist-cnn, cifar-cnn): one SGD training
// step (forward + backward + update) with softmax cross-entropy, f32, 1 thread (the wasm
// backend's threaded build does not run in Node).
//
// tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so no conv net can be trained on it
// as shipped. registerConvFilterGrad() registers a substitute for 3x3 SAME stride-1 NHWC convs,
// built only from the backend's own kernels: pad, 9 shifted slices concatenated along channels
// (im2col, columns ordered (kh, kw, ci) = HWIO), and one BatchMatMul patches^T dY.
// tfjs-core's Node bundle also registers no gradients (the @tensorflow/tfjs umbrella does), so
// registerGradients() registers the few this net needs, with the formulas of tfjs-core's own
// dist/gradients/*_grad.js; the loss is a customGrad softmax cross-entropy (as tfjs's is).
import { loadTfjs } from '../peers.js';

let registered = false;

function registerConvFilterGrad(tf: any): void {
  if (registered || tf.getKernel('Conv2DBackpropFilter', 'wasm')) { registered = true; return; }
  const k = (name: string) => {
    const c = tf.getKernel(name, 'wasm');
    if (!c) throw new Error(`tfjs-backend-wasm has no ${name} kernel`);
    return c.kernelFunc;
  };
  const padV2 = k('PadV2'), slice = k('Slice'), concat = k('Concat'), reshape = k('Reshape'), bmm = k('BatchMatMul');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }: any) => {
      const { x, dy } = inputs;
      const { strides, pad, dataFormat, filterShape, dilations } = attrs;
      const s = Array.isArray(strides) ? strides : [strides, strides];
      const dl = dilations == null ? [1, 1] : Array.isArray(dilations) ? dilations : [dilations, dilations];
      if (filterShape[0] !== 3 || filterShape[1] !== 3 || s[0] !== 1 || s[1] !== 1 || dl[0] !== 1 || dl[1] !== 1 || pad !== 'same' || (dataFormat ?? 'NHWC') !== 'NHWC')
        throw new Error('substitute Conv2DBackpropFilter handles 3x3 SAME stride-1 NHWC convs only');
      const [N, H, W, C] = x.shape, Co = dy.shape[3];
      const tmp: any[] = [];
      const keep = (t: any) => (tmp.push(t), t);
      const xp = keep(padV2({ inputs: { x }, backend, attrs: { paddings: [[0, 0], [1, 1], [1, 1], [0, 0]], constantValue: 0 } }));
      const taps: any[] = [];
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) taps.push(keep(slice({ inputs: { x: xp }, backend, attrs: { begin: [0, a, b, 0], size: [N, H, W, C] } })));
      const cols = keep(concat({ inputs: taps, backend, attrs: { axis: 3 } }));
      const P = keep(reshape({ inputs: { x: cols }, backend, attrs: { shape: [1, N * H * W, 9 * C] } }));
      const D = keep(reshape({ inputs: { x: dy }, backend, attrs: { shape: [1, N * H * W, Co] } }));
      const g = keep(bmm({ inputs: { a: P, b: D }, backend, attrs: { transposeA: true, transposeB: false } }));
      const out = reshape({ inputs: { x: g }, backend, attrs: { shape: [3, 3, C, Co] } });
      for (const t of tmp) backend.disposeData(t.dataId);
      return out;
    },
  });
  registered = true;
}

function registerGradients(tf: any): void {
  const reg = (kernelName: string, gradFunc: any, inputsToSave: string[], outputsToSave?: boolean[]) => {
    if (!tf.getGradient(kernelName)) tf.registerGradient({ kernelName, inputsToSave, outputsToSave, gradFunc });
  };
  const run = (name: string, inputs: object, attrs: object) => tf.engine().runKernel(name, inputs, attrs);
  reg('Conv2D', (dy: any, [x, f]: any[], { strides, pad, dataFormat, dimRoundingMode }: any) => ({
    x: () => run('Conv2DBackpropInput', { dy, filter: f }, { strides, pad, dataFormat, dimRoundingMode, inputShape: x.shape }),
    filter: () => run('Conv2DBackpropFilter', { x, dy }, { strides, pad, dataFormat, dimRoundingMode, filterShape: f.shape }),
  }), ['x', 'filter']);
  // bias add: b is [C] broadcast over the leading axes
  reg('Add', (dy: any, [a, b]: any[]) => ({
    a: () => (a.rank === dy.rank ? dy : tf.sum(dy, [...Array(dy.rank - a.rank).keys()])),
    b: () => (b.rank === dy.rank ? dy : tf.sum(dy, [...Array(dy.rank - b.rank).keys()])),
  }), ['a', 'b']);
  reg('Relu', (dy: any, [x]: any[]) => ({ x: () => tf.mul(dy, tf.cast(tf.step(x), 'float32')) }), ['x']);
  reg('AvgPool', (dy: any, [x]: any[], { filterSize, strides, pad }: any) => ({ x: () => run('AvgPoolGrad', { dy, input: x }, { filterSize, strides, pad }) }), ['x']);
  reg('MaxPool', (dy: any, [x, y]: any[], { filterSize, strides, pad }: any) => ({ x: () => run('MaxPoolGrad', { dy, input: x, output: y }, { filterSize, strides, pad }) }), ['x'], [true]);
  reg('Cast', (dy: any) => ({ x: () => tf.clone(dy) }), ['x']);
  reg('Reshape', (dy: any, [x]: any[]) => ({ x: () => tf.reshape(dy, x.shape) }), ['x']);
  reg('BatchMatMul', (dy: any, [a, b]: any[], { transposeA, transposeB }: any) => {
    if (transposeA || transposeB) throw new Error('tfjs peer: BatchMatMul gradient only without transposes');
    return { a: () => tf.matMul(dy, b, false, true), b: () => tf.matMul(a, dy, true, false) };
  }, ['a', 'b']);
}

type Layer = { conv: number } | { dense: number } | 'relu' | 'avg' | 'max';

const NETS: Record<string, { shape: [number, number, number]; layers: Layer[] }> = {
  mnist: { shape: [28, 28, 1], layers: [{ conv: 32 }, 'relu', 'avg', { conv: 64 }, 'relu', 'avg', { dense: 256 }, 'relu', { dense: 10 }] },
  cifar: {
    shape: [32, 32, 3],
    layers: [{ conv: 32 }, 'relu', { conv: 32 }, 'relu', 'max', { conv: 64 }, 'relu', { conv: 64 }, 'relu', { conv: 128 }, 'relu', { conv: 128 }, 'relu', 'avg', { dense: 10 }],
  },
};

/**
 * Median seconds of one SGD training step (lr 0.01, softmax cross-entropy) of `net` on a
 * batch of `batch` uniform [0, 1] images, LeCun-normal weights; null when tfjs is unavailable.
 */
export async function tfjsTrainStep(net: 'mnist' | 'cifar', batch: number, reps: number): Promise<{ median_s: number; times: number[] } | null> {
  const t = await loadTfjs();
  if (!t) return null;
  const tf = t.tf;
  registerConvFilterGrad(tf);
  registerGradients(tf);
  await checkFilterGrad(tf);
  const spec = NETS[net];
  const vars: any[] = [];
  let [h, w, c] = spec.shape;
  const params: { W: any; b: any }[] = [];
  for (const l of spec.layers) {
    if (typeof l === 'object') {
      const fanIn = 'conv' in l ? 9 * c : h * w * c;
      const out = 'conv' in l ? l.conv : l.dense;
      const shape = 'conv' in l ? [3, 3, c, out] : [fanIn, out];
      const W = tf.variable(tf.truncatedNormal(shape, 0, Math.sqrt(1 / fanIn) / 0.87962566103423978, 'float32', 7 + vars.length));
      const b = tf.variable(tf.zeros([out]));
      vars.push(W, b);
      params.push({ W, b });
      if ('dense' in l) { h = 1; w = 1; }
      c = out;
    } else if (l === 'avg' || l === 'max') { h >>= 1; w >>= 1; }
  }
  const x = tf.randomUniform([batch, ...spec.shape], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2), 10);
  const opt = tf.train.sgd(0.01);
  const forward = (xb: any) => {
    let a = xb, p = 0;
    for (const l of spec.layers) {
      if (l === 'relu') a = tf.relu(a);
      else if (l === 'avg') a = tf.avgPool(a, 2, 2, 'valid');
      else if (l === 'max') a = tf.maxPool(a, 2, 2, 'valid');
      else if ('conv' in l) { const q = params[p++]; a = tf.add(tf.conv2d(a, q.W, 1, 'same'), q.b); }
      else { const q = params[p++]; a = tf.add(tf.matMul(tf.reshape(a, [batch, -1]), q.W), q.b); }
    }
    return a;
  };
  // mean softmax cross-entropy; gradient (softmax(z) - y) / B
  const xent = tf.customGrad((z: any, save: any) => {
    const lse = tf.logSumExp(z, 1, true);
    save([z, lse]);
    return { value: tf.mean(tf.sub(tf.squeeze(lse, [1]), tf.sum(tf.mul(y, z), 1))), gradFunc: (dy: any, [zz, l]: any[]) => tf.mul(dy, tf.div(tf.sub(tf.exp(tf.sub(zz, l)), y), batch)) };
  });
  const step = async () => {
    const loss = opt.minimize(() => xent(forward(x)), true, vars);
    const lv = (await loss.data())[0];
    if (process.env.TFJS_PEER_LOSS) console.error(`tfjs loss ${lv}`);
    loss.dispose();
  };
  await step(); // warm-up
  const before = tf.memory().numTensors;
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await step();
    times.push((performance.now() - t0) / 1e3);
  }
  if (tf.memory().numTensors !== before) throw new Error(`tfjs peer leaked ${tf.memory().numTensors - before} tensors`);
  x.dispose(); y.dispose();
  for (const v of vars) v.dispose();
  const sorted = [...times].sort((a, b) => a - b);
  return { median_s: sorted[sorted.length >> 1], times };
}

/** The substitute filter gradient against a direct loop on a small conv (run once before timing). */
async function checkFilterGrad(tf: any): Promise<void> {
  const [N, H, W, C, O] = [2, 5, 4, 3, 2];
  const x = tf.randomUniform([N, H, W, C], -1, 1, 'float32', 3), dy = tf.randomUniform([N, H, W, O], -1, 1, 'float32', 4);
  const f = tf.zeros([3, 3, C, O]);
  const [g] = tf.grads((ff: any) => tf.conv2d(x, ff, 1, 'same'))([f], dy);
  const got = await g.data(), X = await x.data(), D = await dy.data();
  let err = 0;
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let ci = 0; ci < C; ci++) for (let o = 0; o < O; o++) {
    let s = 0;
    for (let n = 0; n < N; n++) for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) {
      const ii = i + a - 1, jj = j + b - 1;
      if (ii >= 0 && ii < H && jj >= 0 && jj < W) s += X[((n * H + ii) * W + jj) * C + ci] * D[((n * H + i) * W + j) * O + o];
    }
    err = Math.max(err, Math.abs(s - got[((a * 3 + b) * C + ci) * O + o]));
  }
  tf.dispose([x, dy, f, g]);
  if (!(err < 1e-4)) throw new Error(`substitute Conv2DBackpropFilter is wrong: max error ${err}`);
}
