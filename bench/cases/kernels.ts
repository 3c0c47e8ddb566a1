// Analytic kernel build rates (pairs/s) on MNIST-sized inputs (d = 784, 28 x 28 x 1, random
// [0, 1] data), input-gradient VJP rates, and one 10,000 x 10,000 FC3 Gram straight into wasm
// memory with its peak memory. Peer: the same kernels in vectorised numpy (OpenBLAS).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { arch, initNode, type Matrix } from '../../src/node.js';

export interface Row {
  op: string; size: string; threads: number; ours_s: number; gflops?: number; cold_s?: number;
  peers: Record<string, number | null>;
}

function rand(n: number, d: number, seed = 1): Matrix<Float64Array> {
  let s = seed >>> 0;
  const a = new Float64Array(n * d);
  for (let i = 0; i < a.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[i] = s / 4294967296; }
  return { data: a, rows: n, cols: d };
}

function time(f: () => void): number { const t = performance.now(); f(); return (performance.now() - t) / 1000; }
function median(xs: number[]): number { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; }

function numpyPeer(nfc: number, nconv: number, threads: number): Record<string, number> | null {
  try {
    const script = fileURLToPath(new URL('../../../bench/peers/kernels_numpy.py', import.meta.url));
    const out = execFileSync('python3', [script, String(nfc), String(nconv)], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) }, timeout: 600_000 });
    return JSON.parse(out.trim().split('\n').pop()!);
  } catch { return null; }
}

export async function run(ctx: { threads: number[]; quick: boolean; only?: string }): Promise<Row[]> {
  const rows: Row[] = [];
  for (const t of ctx.threads) rows.push(...runAt(ctx, t, t === Math.max(...ctx.threads)));
  return rows;
}

function runAt(ctx: { threads: number[]; quick: boolean; only?: string }, threads: number, big: boolean): Row[] {
  const rows: Row[] = [];
  const e = initNode({ threads });
  const shape = [28, 28, 1] as const;
  const nfc = ctx.quick ? 1000 : 2000, nconv = ctx.quick ? 100 : 300, reps = ctx.quick ? 1 : 3;
  const peer = numpyPeer(nfc, nconv, threads);
  for (const name of ['fc1', 'fc3', 'conv1']) {
    if (ctx.only && !`kernel_gram ${name}`.includes(ctx.only) && !ctx.only.includes(name)) continue;
    const n = name.startsWith('conv') ? nconv : nfc;
    const X = rand(n, 784), k = arch(name);
    const cold = time(() => k.kernelFn(rand(Math.min(n, 64), 784, 2), null, { shape }));
    const ts = Array.from({ length: reps }, () => time(() => k.kernelFn(X, null, { shape })));
    const s = median(ts), pairs = (n * (n + 1)) / 2;
    rows.push({ op: `kernel_gram ${name} (pairs/s ${(pairs / s).toExponential(2)})`, size: `n=${n},d=784`, threads, ours_s: s, cold_s: cold, peers: { numpy_openblas: peer ? peer[name] ?? null : null } });
    // VJP: 100 test inputs against the n training inputs
    const b = 100, W = rand(b, n, 3);
    for (let i = 0; i < W.data.length; i++) W.data[i] -= 0.5;
    const Xb = rand(b, 784, 4);
    const tv = median(Array.from({ length: reps }, () => time(() => k.kernelVjp(Xb, X, W, { shape }))));
    rows.push({ op: `kernel_vjp ${name} (pairs/s ${((b * n) / tv).toExponential(2)})`, size: `b=${b},n=${n},d=784`, threads, ours_s: tv, peers: {} });
  }
  if (big && !ctx.quick && (!ctx.only || ctx.only.includes('10000'))) {
    // One 10,000 x 10,000 FC3 Gram (800 MB) computed in place in wasm memory, never copied.
    const n = 10000, X = rand(n, 784, 5);
    const Xw = e.from(X.data);
    const out = e.buffer('f64', n * n);
    e.heap.peak = e.heap.inUse;
    const before = e.heap.inUse;
    const s = time(() => arch('fc3').gramInto({ data: Xw.data, rows: n, cols: 784 }, null, { ntk: out }));
    const peakMiB = (e.heap.peak / 2 ** 20).toFixed(0), extraMiB = ((e.heap.peak - before) / 2 ** 20).toFixed(1);
    rows.push({ op: `kernel_gram_into fc3 (peak wasm heap ${peakMiB} MiB, ${extraMiB} MiB beyond X and the Gram; rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB)`, size: `n=${n},d=784`, threads, ours_s: s, peers: {} });
    out.free(); Xw.free();
  }
  return rows;
}

// Stand-alone: node dist/bench/cases/kernels.js [--quick]
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  run({ threads: [1, 2], quick: process.argv.includes('--quick'), only: process.argv.find((a) => a.startsWith('--only='))?.slice(7) })
    .then((rows) => { for (const r of rows) console.log(JSON.stringify(r)); });
}
