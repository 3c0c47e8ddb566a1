// The page's engine lives here, off the main thread: the wasm engine (with its own pool of
// Web Workers when the page is cross-origin isolated: this worker may block, the page may
// not), the kernel machine, the attacks and the Gram's eigen-features. The page only draws.
import {
  init, engine, arch, kernelOps, solveAlpha, gemm, kernelMachineModel, fgsm, pgd, decisions, eighTop,
  type KernelOps, type Matrix, type KernelMachine, type DifferentiableModel,
} from '../src/index.js';
import { EIGEN_FEATURES, EPS_CURVE, type Reply, type Request, type Subset, type Method } from './protocol.js';

const post = (r: Reply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(r, transfer);
const progress = (label: string, done: number, total: number) => post({ type: 'progress', label, done, total });

let subset: Subset & { trainPixels: Uint8Array; trainLabels: Uint8Array };
let fitted: { kernel: KernelOps; machine: KernelMachine; model: DifferentiableModel; Y: Matrix<Float64Array>; eig: { values: Float64Array; vectors: Matrix<Float64Array> } } | null = null;

async function loadSubset(): Promise<typeof subset> {
  const res = await fetch(new URL('./mnist.bin', import.meta.url));
  if (!res.ok) throw new Error(`cannot load mnist.bin: HTTP ${res.status}`);
  const buf = new Uint8Array(await res.arrayBuffer());
  const [magic, nTrain, nTest, H, W, C, classes] = new Uint32Array(buf.buffer, 0, 7);
  if (magic !== 0x4e544b44) throw new Error('mnist.bin: not a subset file written by demo/build.mjs');
  const d = H * W * C;
  let o = 28;
  const cut = (len: number) => buf.subarray(o, (o += len));
  const trainPixels = cut(nTrain * d), trainLabels = cut(nTrain), testPixels = cut(nTest * d), testLabels = cut(nTest);
  return { nTrain, nTest, shape: [H, W, C], classes, trainPixels, trainLabels, testPixels, testLabels };
}

const toUnit = (u: Uint8Array) => Float64Array.from(u, (v) => v / 255);
const row = (x: Float64Array): Matrix<Float64Array> => ({ data: x, rows: 1, cols: x.length });
const testImage = (i: number) => { const d = subset.testPixels.length / subset.nTest; return toUnit(subset.testPixels.subarray(i * d, (i + 1) * d)); };

function fit(name: string, n: number): Reply {
  if (!Number.isInteger(n) || n < 10 || n > subset.nTrain) throw new RangeError(`training points must be an integer in 10..${subset.nTrain}, got ${n}`);
  fitted = null;
  const t0 = performance.now();
  const d = subset.testPixels.length / subset.nTest, k = subset.classes;
  const X = { data: toUnit(subset.trainPixels.subarray(0, n * d)), rows: n, cols: d };
  const Y = { data: new Float64Array(n * k), rows: n, cols: k };
  for (let i = 0; i < n; i++) Y.data[i * k + subset.trainLabels[i]] = 1;
  const kernel = kernelOps(arch(name), subset.shape);
  // one Gram for both the fit and its eigen-features (fitKernelMachine would drop it)
  const K = kernel.gram(X, (done, total) => progress(`Gram of ${n} training images (${name})`, done, total));
  progress('solving for the dual coefficients', 0, 1);
  const alpha = solveAlpha(K, Y);
  const machine: KernelMachine = { kernel, Xtrain: X, alpha, outputs: k, t: Infinity, ridge: 0 };
  const model = kernelMachineModel(machine);
  progress('eigen-features of the Gram', 0, 1);
  const eig = eighTop(K, EIGEN_FEATURES);
  const trainOutputs = gemm(K, alpha);
  fitted = { kernel, machine, model, Y, eig };
  const T = { data: toUnit(subset.testPixels), rows: subset.nTest, cols: d };
  const pred = decisions(model.forward(T)), trainPred = decisions(trainOutputs);
  let ok = 0, okTrain = 0;
  for (let i = 0; i < subset.nTest; i++) if (pred[i] === subset.testLabels[i]) ok++;
  for (let i = 0; i < n; i++) if (trainPred[i] === subset.trainLabels[i]) okTrain++;
  progress('done', 1, 1);
  return {
    type: 'fitted', arch: name, n, cleanPredictions: [...pred], trainAccuracy: okTrain / n, testAccuracy: ok / subset.nTest,
    seconds: (performance.now() - t0) / 1000, eigenvalues: [...eig.values],
  };
}

/** The page's attacks: FGSM (one signed step of eps) or PGD (10 steps of eps/4), cross-entropy on the true label. */
export function attackOne(model: DifferentiableModel, x: Float64Array, label: number, eps: number, method: Method): Float64Array {
  const labels = Int32Array.of(label);
  return (method === 'fgsm' ? fgsm(model, row(x), labels, { eps }) : pgd(model, row(x), labels, { eps, steps: 10, stepSize: eps / 4 })).data;
}

function attack(index: number, eps: number, method: Method): Reply {
  if (!fitted) throw new Error('build the kernel machine first');
  if (!(eps >= 0 && eps <= 1)) throw new RangeError(`eps must be in [0, 1], got ${eps}`);
  const t0 = performance.now();
  const { model, machine, kernel, Y, eig } = fitted;
  const x = testImage(index), label = subset.testLabels[index];
  const adv = attackOne(model, x, label, eps, method);
  const cleanScores = [...model.forward(row(x)).data], advScores = [...model.forward(row(adv)).data];
  const curve = { eps: EPS_CURVE, trueScore: [] as number[], bestOther: [] as number[] };
  EPS_CURVE.forEach((e, j) => {
    progress(`eps curve (${method})`, j, EPS_CURVE.length);
    const f = model.forward(row(e === 0 ? x : attackOne(model, x, label, e, method))).data;
    curve.trueScore.push(f[label]);
    curve.bestOther.push(Math.max(...[...f].filter((_, c) => c !== label)));
  });
  // feature i of the picked image's predicted class c: f_i(x)_c = Theta(x, X) v_i (v_i . Y_c) / l_i,
  // its picture grad_x f_i(x)_c (paper Sec. 4): kernel weights W = v_i (v_i . Y_c) / l_i
  const c = cleanScores.indexOf(Math.max(...cleanScores)), n = machine.Xtrain.rows, K = eig.values.length;
  const Ws = Array.from({ length: K }, (_, i) => {
    let vy = 0;
    for (let r = 0; r < n; r++) vy += eig.vectors.data[r * K + i] * Y.data[r * Y.cols + c];
    return { data: Float64Array.from({ length: n }, (_, r) => eig.vectors.data[r * K + i] * vy / eig.values[i]), rows: 1, cols: n };
  });
  const Kx = kernel.cross(row(x), machine.Xtrain).data;
  const grads = kernel.vjp(row(x), machine.Xtrain, Ws);
  const features = Ws.map((W, i) => ({ value: W.data.reduce((s, w, r) => s + w * Kx[r], 0), grad: grads[i].data }));
  progress('done', 1, 1);
  return { type: 'attacked', index, eps, method, label, clean: x, adversarial: adv, cleanScores, advScores, curve, features, featureClass: c, seconds: (performance.now() - t0) / 1000 };
}

self.onmessage = async (ev: MessageEvent<Request>) => {
  const m = ev.data;
  try {
    if (m.type === 'init') {
      const base = new URL('./', import.meta.url);
      await init({
        wasmUrl: new URL('ntk.wasm', base), relaxedWasmUrl: new URL('ntk-relaxed.wasm', base), singleWasmUrl: new URL('ntk-single.wasm', base),
        workerUrl: new URL('pool-worker.js', base), threads: m.threads,
      });
      subset = await loadSubset();
      const e = engine();
      post({
        type: 'ready', isolated: (self as unknown as { crossOriginIsolated: boolean }).crossOriginIsolated, threads: e.threads, build: e.build,
        subset: { nTrain: subset.nTrain, nTest: subset.nTest, shape: subset.shape, classes: subset.classes, testPixels: subset.testPixels, testLabels: subset.testLabels },
      });
    } else if (m.type === 'fit') post(fit(m.arch, m.n));
    else if (m.type === 'attack') post(attack(m.index, m.eps, m.method));
  } catch (e) {
    post({ type: 'error', message: (e as Error).message ?? String(e) });
  }
};
