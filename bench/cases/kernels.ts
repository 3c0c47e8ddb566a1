// Analytic kernel build rates (pairs/s) on random [0, 1] data of MNIST shape (d = 784,
// 28 x 28 x 1; FC1, FC3, CONV1, CONV2) and binary-CIFAR shape (32 x 32 x 3; CONV1, CONV2),
// input-gradient VJP rates, and one 10,000 x 10,000 FC3 Gram straight into wasm memory with
// its peak memory. Peer: the same kernels in vectorised numpy (OpenBLAS).
import { arch, initNode, type Matrix } from '../../src/node.js';
import { timeit, runPythonFile, type Ctx, type Row } from '../harness.js';

function rand(n: number, d: number, seed = 1): Matrix<Float64Array> {
  let s = seed >>> 0;
  const a = new Float64Array(n * d);
  for (let i = 0; i < a.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[i] = s / 4294967296; }
  return { data: a, rows: n, cols: d };
}

/** The same kernels in vectorised numpy (bench/peers/kernels_numpy.py): seconds per arch, or null. */
function numpyPeer(nfc: number, nconv: number, threads: number): Record<string, number> | null {
  return runPythonFile('peers/kernels_numpy.py', [String(nfc), String(nconv)], threads);
}

export async function run(ctx: Ctx): Promise<Row[]> {
  const rows: Row[] = [];
  for (const t of ctx.threads) rows.push(...runAt(ctx, t, t === Math.max(...ctx.threads)));
  return rows;
}

function runAt(ctx: Ctx, threads: number, big: boolean): Row[] {
  const rows: Row[] = [];
  const e = initNode({ threads });
  const nfc = ctx.quick ? 1000 : 2000, nconv = ctx.quick ? 100 : 300, reps = ctx.quick ? 1 : 3;
  const peer = numpyPeer(nfc, nconv, threads);
  // FC on flat MNIST rows; CONV1/CONV2 on MNIST (28 x 28 x 1) and binary-CIFAR (32 x 32 x 3) shapes
  const cases = [
    ...['fc1', 'fc3'].map((name) => ({ name, shape: [28, 28, 1] as const, tag: '', key: name })),
    ...(['mnist', 'cifar'] as const).flatMap((img) => ['conv1', 'conv2'].map((name) => ({
      name, shape: img === 'mnist' ? [28, 28, 1] as const : [32, 32, 3] as const, tag: ` ${img}`, key: `${name} ${img}`,
    }))),
  ];
  for (const { name, shape, tag, key } of cases) {
    const conv = name.startsWith('conv'), n = conv ? nconv : nfc, d = shape[0] * shape[1] * shape[2];
    const X = rand(n, d), k = arch(name), size = conv ? `n=${n},${shape.join('x')}` : `n=${n},d=${d}`;
    const cold = timeit(() => k.kernelFn(rand(Math.min(n, 64), d, 2), null, { shape }), { reps: 1, warmup: 0 });
    const s = timeit(() => k.kernelFn(X, null, { shape }), { reps, warmup: 0 }), pairs = (n * (n + 1)) / 2;
    rows.push({ op: `kernel_gram ${name}${tag} (pairs/s ${(pairs / s).toExponential(2)})`, size, threads, ours_s: s, cold_s: cold, peers: { numpy_openblas: peer ? peer[key] ?? null : null } });
    // VJP: 100 test inputs against the n training inputs
    const b = 100, W = rand(b, n, 3);
    for (let i = 0; i < W.data.length; i++) W.data[i] -= 0.5;
    const Xb = rand(b, d, 4);
    const tv = timeit(() => k.kernelVjp(Xb, X, W, { shape }), { reps, warmup: 0 });
    rows.push({ op: `kernel_vjp ${name}${tag} (pairs/s ${((b * n) / tv).toExponential(2)})`, size: `b=${b},${size}`, threads, ours_s: tv, peers: {} });
  }
  if (big && !ctx.quick) {
    // One 10,000 x 10,000 FC3 Gram (800 MB) computed in place in wasm memory, never copied.
    const n = 10000, X = rand(n, 784, 5);
    const Xw = e.from(X.data);
    const out = e.buffer('f64', n * n);
    e.heap.peak = e.heap.inUse;
    const before = e.heap.inUse;
    const s = timeit(() => arch('fc3').gramInto({ data: Xw.data, rows: n, cols: 784 }, null, { ntk: out }), { reps: 1, warmup: 0 });
    const peakMiB = (e.heap.peak / 2 ** 20).toFixed(0), extraMiB = ((e.heap.peak - before) / 2 ** 20).toFixed(1);
    rows.push({ op: `kernel_gram_into fc3 (peak wasm heap ${peakMiB} MiB, ${extraMiB} MiB beyond X and the Gram; rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB)`, size: `n=${n},d=784`, threads, ours_s: s, peers: {} });
    out.free(); Xw.free();
  }
  return rows;
}
