// Finite nets: the paper's Sec. 5 CNNs (mnist-cnn, cifar-cnn; standard parameterisation, f32)
// trained, attacked and differentiated in wasm, beside PyTorch CPU (bench/peers/torch_cnn_peer.py,
// Debian python3-torch on OpenBLAS-openmp, run as ../shared/anchors/README.md says) and, for the
// training step, @tensorflow/tfjs-backend-wasm (bench/peers/tfjs_cnn.ts).
//   train  one SGD step (forward + backward + update), softmax cross-entropy, lr 0.01
//   pgd    PGD-20 examples of the batch (random start) + one SGD step on them
//   fwd    inference
//   ntk    empirical NTK, all 10 outputs: (10 B) x (10 B), with the peak wasm memory
// Synthetic uniform [0, 1] inputs and random labels of the right shapes (as the peer uses).
// BENCH_NN=ntk (a comma list of train, pgd, fwd, ntk) runs only those workloads.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { buildNet, netArch, initNode, engine, empiricalKernel, Trainer, mulberry32, type Matrix } from '../../src/node.js';
import { timeit, type Ctx, type Row } from '../harness.js';
import { tfjsTrainStep } from '../peers/tfjs_cnn.js';

const TORCH_PY = '/usr/bin/python3';
const OPENBLAS_OMP = '/usr/lib/x86_64-linux-gnu/openblas-openmp';

/** One PyTorch peer measurement (a JSON line of torch_cnn_peer.py), or null when torch is missing or fails. */
function torch(args: string[], threads: number): any | null {
  if (!existsSync(TORCH_PY)) return null;
  const script = fileURLToPath(new URL('../../../bench/peers/torch_cnn_peer.py', import.meta.url));
  const t = String(threads);
  const env: NodeJS.ProcessEnv = {
    ...process.env, OMP_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t,
    // without these glibc returns each step's activations to the OS and re-faults them (3x swings)
    MALLOC_MMAP_MAX_: '0', MALLOC_TRIM_THRESHOLD_: '68719476736',
  };
  if (existsSync(OPENBLAS_OMP)) env.LD_LIBRARY_PATH = OPENBLAS_OMP + (env.LD_LIBRARY_PATH ? ':' + env.LD_LIBRARY_PATH : '');
  const r = spawnSync(TORCH_PY, [script, ...args, '--threads', t], { env, encoding: 'utf8', timeout: 1_800_000, maxBuffer: 16 << 20 });
  if (r.status !== 0) {
    console.error(`pytorch peer ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-2).join(' | ')}`);
    return null;
  }
  try {
    const j = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
    console.log(`  pytorch ${args.join(' ')}: ${j.median_s.toFixed(3)} s (blas ${String(j.blas).split(',')[0]}, load ${j.load_before?.join(' ')})`);
    return j;
  } catch {
    return null;
  }
}

const NETS = {
  mnist: { arch: 'mnist-cnn', shape: [28, 28, 1] as [number, number, number], trainB: 300, eps: 0.3, alpha: 0.3 / 8, ntkB: [20] },
  cifar: { arch: 'cifar-cnn', shape: [32, 32, 3] as [number, number, number], trainB: 250, eps: 8 / 255, alpha: 2 / 255, ntkB: [50, 250] },
};

function data(n: number, d: number, seed: number): { X: Matrix<Float64Array>; y: Int32Array } {
  const r = mulberry32(seed), X = new Float64Array(n * d), y = new Int32Array(n);
  for (let i = 0; i < X.length; i++) X[i] = r();
  for (let i = 0; i < n; i++) y[i] = Math.floor(r() * 10);
  return { X: { data: X, rows: n, cols: d }, y };
}

const WORKLOADS = new Set((process.env.BENCH_NN ?? 'train,pgd,fwd,ntk').split(',').map((w) => w.trim()));

const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');

export async function run(ctx: Ctx): Promise<Row[]> {
  const rows: Row[] = [];
  const push = (r: Row) => { rows.push(r); console.log(`  ${r.op}: ours ${r.ours_s.toFixed(3)} s, ${Object.entries(r.peers).map(([k, v]) => `${k} ${v == null ? '—' : v.toFixed(3) + ' s'}`).join(', ')}`); };
  const threads = Math.max(...ctx.threads); // the peers' workloads are 2-thread numbers
  initNode({ threads });
  const reps = ctx.quick ? 2 : 3;
  for (const [key, cfg] of Object.entries(NETS) as [keyof typeof NETS, (typeof NETS)[keyof typeof NETS]][]) {
    const a = netArch(cfg.arch);
    const net = buildNet(a.layers, { input: cfg.shape, parameterization: a.parameterization, seed: 0 });
    const d = net.inputDim;
    try {
      // training step
      if (WORKLOADS.has('train')) {
        const B = cfg.trainB, { X, y } = data(B, d, 1);
        const tr = new Trainer(net, { batch: B, lr: 0.01 });
        try {
          const s = timeit(() => tr.step(X.data, y), { reps, warmup: 1 });
          const pt = torch(['train', '--net', key, '--batch', String(B), '--reps', String(reps)], threads);
          const tf = ctx.quick && key === 'cifar' ? null : await tfjsTrainStep(key, B, key === 'cifar' ? 1 : 3);
          push({ op: `${cfg.arch} train step (ours ${(B / s).toFixed(0)} img/s; pytorch ${pt ? (B / pt.median_s).toFixed(0) : '—'}; tfjs-wasm 1 thr ${tf ? (B / tf.median_s).toFixed(1) : '—'}) load ${load()}`, size: `B=${B}`, threads, ours_s: s, peers: { pytorch: pt?.median_s ?? null, tfjs_wasm: tf?.median_s ?? null } });
        } finally { tr.dispose(); }
      }
      // PGD-20 adversarial training step
      if (WORKLOADS.has('pgd')) {
        const B = cfg.trainB, { X, y } = data(B, d, 2);
        const tr = new Trainer(net, { batch: B, lr: 0.01, adv: { method: 'pgd', eps: cfg.eps, step: cfg.alpha, steps: 20, randomStart: true } });
        try {
          let s = 0;
          const f = () => tr.step(tr.adversarial(X.data, y, 0, s++), y);
          // 21 passes per rep already: one rep, no separate warm-up (the same for the peer)
          const t = timeit(f, { reps: 1, warmup: 0 });
          const pt = torch(['pgd', '--net', key, '--batch', String(B), '--reps', '1', '--warmup', '0'], threads);
          push({ op: `${cfg.arch} PGD-20 train step (ours ${(B / t).toFixed(1)} img/s; pytorch ${pt ? (B / pt.median_s).toFixed(1) : '—'}) load ${load()}`, size: `B=${B}`, threads, ours_s: t, peers: { pytorch: pt?.median_s ?? null } });
        } finally { tr.dispose(); }
      }
      // inference
      if (WORKLOADS.has('fwd')) {
        const B = 250, { X } = data(B, d, 3);
        const s = timeit(() => net.forward(X, { batch: B }), { reps, warmup: 1 });
        const pt = torch(['fwd', '--net', key, '--batch', String(B), '--reps', String(reps)], threads);
        push({ op: `${cfg.arch} inference (ours ${(B / s).toFixed(0)} img/s; pytorch ${pt ? (B / pt.median_s).toFixed(0) : '—'}) load ${load()}`, size: `B=${B}`, threads, ours_s: s, peers: { pytorch: pt?.median_s ?? null } });
      }
      // empirical NTK, all 10 outputs
      for (const B of WORKLOADS.has('ntk') ? cfg.ntkB : []) {
        const big = B >= 250;
        if (big && ctx.quick) continue;
        const { X } = data(B, d, 4);
        const e = engine();
        const before = e.heap.inUse;
        e.heap.peak = before;
        // seconds-long runs: fewer reps (the peer gets the same)
        const nr = big ? 1 : key === 'cifar' ? 1 : reps, nw = big ? 0 : 1;
        const s = timeit(() => empiricalKernel(net, X), { reps: nr, warmup: nw });
        const peakMiB = (e.heap.peak - before) / 2 ** 20;
        // the peer at B = 250 runs its vmap in chunks of 50 samples (peak ~6 GB instead of 12 GB on a shared machine)
        const pt = torch(['ntk', '--net', key, '--batch', String(B), '--reps', String(nr), '--warmup', String(nw), ...(big ? ['--chunk', '50'] : [])], threads);
        push({
          op: `${cfg.arch} empirical NTK ${10 * B}x${10 * B} (ours peak wasm ${peakMiB.toFixed(0)} MiB beyond the net; pytorch peak RSS ${pt ? (pt.peak_rss_mb / 1024).toFixed(1) + ' GiB' : '—'}) load ${load()}`,
          size: `B=${B},k=10`, threads, ours_s: s, peers: { pytorch: pt?.median_s ?? null },
        });
      }
    } finally { net.dispose(); }
  }
  return rows;
}
