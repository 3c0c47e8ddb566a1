// The page's engine lives here, off the main thread: the wasm engine (with its own pool of
// Web Workers when the page is cross-origin isolated: this worker may block, the page may
// not), the kernel machine, the attacks and the Gram's eigen-features. The page only draws.
import {
  init, engine, arch, kernelOps, kernelMachineModel, fgsm, pgd, decisions, accuracy,
  eigenFeatures, attackMembers, featureStats, fullMachine, memberGradients,
  type Matrix, type DifferentiableModel, type EigenFeatures,
} from '../src/index.js';
import { pickOutputs, projections, withResidentTrain } from '../src/features/index.js';
import { CURVE_POINTS, EIGEN_FEATURES, SCATTER_FEATURES, type DatasetInfo, type Reply, type Request, type Subset, type Method } from './protocol.js';

const post = (r: Reply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(r, transfer);
const progress = (label: string, done: number, total: number) => post({ type: 'progress', label, done, total });

type Loaded = Subset & { trainPixels: Uint8Array; trainLabels: Uint8Array };
let datasets: DatasetInfo[] = [];
let subset: Loaded;
let fitted: { fs: EigenFeatures; model: DifferentiableModel } | null = null;
const loaded = new Map<string, Loaded>();

async function loadSubset(info: DatasetInfo): Promise<Loaded> {
  if (!info.file) throw new Error(`${info.title}: ${info.unavailable ?? 'not in this build'}`);
  const res = await fetch(new URL(`./${info.file}`, import.meta.url));
  if (!res.ok) throw new Error(`cannot load ${info.file}: HTTP ${res.status}`);
  const buf = new Uint8Array(await res.arrayBuffer());
  const [magic, nTrain, nTest, H, W, C, classes] = new Uint32Array(buf.buffer, 0, 7);
  if (magic !== 0x4e544b44) throw new Error(`${info.file}: not a subset file written by demo/build.mjs`);
  const d = H * W * C;
  if (buf.length !== 28 + (nTrain + nTest) * (d + 1)) throw new Error(`${info.file}: ${buf.length} bytes, expected ${28 + (nTrain + nTest) * (d + 1)} for ${nTrain} + ${nTest} images of ${H}x${W}x${C}`);
  let o = 28;
  const cut = (len: number) => buf.subarray(o, (o += len));
  const trainPixels = cut(nTrain * d), trainLabels = cut(nTrain), testPixels = cut(nTest * d), testLabels = cut(nTest);
  return { id: info.id, nTrain, nTest, shape: [H, W, C], classes, trainPixels, trainLabels, testPixels, testLabels };
}

const toUnit = (u: Uint8Array) => Float64Array.from(u, (v) => v / 255);
const row = (x: Float64Array): Matrix<Float64Array> => ({ data: x, rows: 1, cols: x.length });
const dim = () => subset.testPixels.length / subset.nTest;
const testImage = (i: number) => toUnit(subset.testPixels.subarray(i * dim(), (i + 1) * dim()));
/** Two classes make a binary task (one output, labels -1/+1, like the library's cifar2); more are one-hot. */
const binary = () => subset.classes === 2;
const outputs = () => (binary() ? 1 : subset.classes);
const taskLabel = (c: number) => (binary() ? 2 * c - 1 : c);
const fromDecision = (p: number) => (binary() ? (p > 0 ? 1 : 0) : p);
const testLabels = () => Int32Array.from(subset.testLabels, taskLabel);

function fit(name: string, n: number): Reply {
  if (!Number.isInteger(n) || n < 10 || n > subset.nTrain) throw new RangeError(`training points must be an integer in 10..${subset.nTrain}, got ${n}`);
  fitted = null;
  const t0 = performance.now();
  const d = dim(), k = outputs();
  const X = { data: toUnit(subset.trainPixels.subarray(0, n * d)), rows: n, cols: d };
  const Y = { data: new Float64Array(n * k), rows: n, cols: k };
  for (let i = 0; i < n; i++) {
    if (binary()) Y.data[i] = taskLabel(subset.trainLabels[i]);
    else Y.data[i * k + subset.trainLabels[i]] = 1;
  }
  const kernel = kernelOps(arch(name), subset.shape);
  // one Gram for the machine (alpha) and its leading eigen-features
  const fs = eigenFeatures(kernel, X, Y, {
    indices: Array.from({ length: Math.min(SCATTER_FEATURES, n) }, (_, i) => i), method: 'lanczos',
    onProgress: (done, total, label) => progress(label === 'Gram' ? `Gram of ${n} training images (${name})` : label, done, total),
  });
  const model = kernelMachineModel(fullMachine(fs));
  fitted = { fs, model };
  progress('predictions', 0, 1);
  const T = { data: toUnit(subset.testPixels), rows: subset.nTest, cols: d };
  const pred = decisions(model.forward(T));
  progress('done', 1, 1);
  return {
    type: 'fitted', arch: name, n, cleanPredictions: Array.from(pred, fromDecision),
    testAccuracy: accuracy(pred, testLabels()),
    seconds: (performance.now() - t0) / 1000, eigenvalues: [...fs.values],
  };
}

/** The page's attacks: FGSM (one signed step of eps) or PGD (10 steps of eps/4), cross-entropy (binary: logistic) on the true label. */
export function attackOne(model: DifferentiableModel, x: Float64Array, label: number, eps: number, method: Method): Float64Array {
  const labels = Int32Array.of(label);
  return (method === 'fgsm' ? fgsm(model, row(x), labels, { eps }) : pgd(model, row(x), labels, { eps, steps: 10, stepSize: eps / 4 })).data;
}

/** Feature values f_p(x) (output of `label`; binary: f itself) and their input gradients, for positions `ps`. */
function featurePictures(x: Float64Array, label: number, ps: number[]) {
  const { fs } = fitted!, k = fs.outputs, c = k === 1 ? 0 : label;
  const P = projections(fs, row(x));
  const g = memberGradients(fs, ps.map((p) => [p]), row(x), pickOutputs(k, Int32Array.of(label)));
  return ps.map((p, j) => ({ index: fs.indices[p], value: P.data[p] * fs.U.data[p * k + c], grad: g.members[j].data }));
}

function attack(index: number, eps: number, method: Method, epsMax: number): Reply {
  if (!fitted) throw new Error('build the kernel machine first');
  if (!(eps >= 0 && eps <= 1)) throw new RangeError(`eps must be in [0, 1], got ${eps}`);
  if (!(Number.isInteger(index) && index >= 0 && index < subset.nTest)) throw new RangeError(`test image ${index} is not in 0..${subset.nTest - 1}`);
  const t0 = performance.now();
  const { model } = fitted;
  const x = testImage(index), label = taskLabel(subset.testLabels[index]);
  const adv = attackOne(model, x, label, eps, method);
  const cleanScores = [...model.forward(row(x)).data], advScores = [...model.forward(row(adv)).data];
  const curve = { eps: [] as number[], trueScore: [] as number[], bestOther: [] as number[] };
  for (let j = 0; j < CURVE_POINTS; j++) {
    const e = (j * epsMax) / (CURVE_POINTS - 1);
    progress(`eps curve (${method})`, j, CURVE_POINTS);
    const f = model.forward(row(e === 0 ? x : attackOne(model, x, label, e, method))).data;
    curve.eps.push(e);
    if (binary()) { curve.trueScore.push(label * f[0]); curve.bestOther.push(0); } else {
      curve.trueScore.push(f[label]);
      curve.bestOther.push(Math.max(...[...f].filter((_, c) => c !== label)));
    }
  }
  // the picked image's top eigen-feature gradients (paper Sec. 4) for its true class
  const features = featurePictures(x, label, Array.from({ length: Math.min(EIGEN_FEATURES, fitted.fs.indices.length) }, (_, p) => p));
  progress('done', 1, 1);
  return { type: 'attacked', index, eps, method, label: subset.testLabels[index], clean: x, adversarial: adv, cleanScores, advScores, curve, features, seconds: (performance.now() - t0) / 1000 };
}

/** Usefulness (clean accuracy) and robustness (accuracy under FGSM on the feature itself) of each feature on the shipped test images. */
function features(eps: number): Reply {
  if (!fitted) throw new Error('build the kernel machine first');
  if (!(eps >= 0 && eps <= 1)) throw new RangeError(`eps must be in [0, 1], got ${eps}`);
  const t0 = performance.now(), { fs } = fitted, s = fs.indices.length;
  const T = { data: toUnit(subset.testPixels), rows: subset.nTest, cols: dim() }, labels = testLabels();
  const res = withResidentTrain(fs, (f) => attackMembers(f, Array.from({ length: s }, (_, p) => [p]), T, labels, {
    eps, onProgress: (done, total, label) => progress(`${label} on ${subset.nTest} test images`, done, total),
  }));
  const stats = featureStats(fs, res, labels).map((r) => ({ index: r.index, eigenvalue: r.eigenvalue, usefulness: r.usefulness, robustness: r.robustness ?? r.usefulness, share: r.share }));
  progress('done', 1, 1);
  return { type: 'features', eps, stats, machine: { clean: accuracy(decisions(res.machine), labels) }, testImages: subset.nTest, seconds: (performance.now() - t0) / 1000 };
}

function featureGradient(feature: number, index: number): Reply {
  if (!fitted) throw new Error('build the kernel machine first');
  const p = fitted.fs.indices.indexOf(feature);
  if (p < 0) throw new RangeError(`feature ${feature} was not computed (0..${fitted.fs.indices.length - 1})`);
  const [f] = featurePictures(testImage(index), taskLabel(subset.testLabels[index]), [p]);
  return { type: 'feature-gradient', feature, index, label: subset.testLabels[index], value: f.value, grad: f.grad };
}

async function useDataset(id: string): Promise<Reply> {
  const info = datasets.find((d) => d.id === id);
  if (!info) throw new Error(`unknown dataset '${id}' (have ${datasets.map((d) => d.id).join(', ')})`);
  if (!loaded.has(id)) { progress(`loading ${info.title}`, 0, 1); loaded.set(id, await loadSubset(info)); }
  subset = loaded.get(id)!;
  fitted = null;
  progress('done', 1, 1);
  const { trainPixels: _p, trainLabels: _l, ...shown } = subset;
  return { type: 'dataset', subset: shown };
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
      const res = await fetch(new URL('datasets.json', base));
      if (!res.ok) throw new Error(`cannot load datasets.json: HTTP ${res.status}`);
      datasets = await res.json() as DatasetInfo[];
      const e = engine();
      post({ type: 'ready', isolated: (self as unknown as { crossOriginIsolated: boolean }).crossOriginIsolated, threads: e.threads, build: e.build, datasets });
    } else if (m.type === 'dataset') post(await useDataset(m.id));
    else if (m.type === 'fit') post(fit(m.arch, m.n));
    else if (m.type === 'attack') post(attack(m.index, m.eps, m.method, m.epsMax));
    else if (m.type === 'features') post(features(m.eps));
    else if (m.type === 'feature-gradient') post(featureGradient(m.feature, m.index));
  } catch (e) {
    post({ type: 'error', message: (e as Error).message ?? String(e) });
  }
};
