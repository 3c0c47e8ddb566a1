// Eigen-features end to end (issue 11): `ntk features` as a user runs it, timed from outside
// (process start to exit), with the split features.json records: Gram, eigensolve (Lanczos
// top k), feature evaluation (clean outputs of every feature), attacks (the one-pass FGSM
// gradients of all features, then every feature at its own adversarial points).
//   MNIST FC1: 10,000 train, top 100 features on 1,000 test points (target: < 10 min on 2 cores)
//   binary CIFAR CONV1: 10,000 train, top 100 features on 100 test points (target: < 30 min);
//     the adversarial outputs (100 x 100 x 10,000 conv kernel pairs) are the largest stage
//     after the Gram, which is why the test set is 100 points (see README, Eigen-features)
// No peer computes NTK eigen-features. In-process, the conv gradient pass is compared with
// what it replaced (one kernel VJP pass per feature) on the same block: "per-feature VJP".
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arch, initNode, type Matrix } from '../../src/node.js';
import { timeit, type Ctx, type Row } from '../harness.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

interface Setting { label: string; args: string[]; size: string }

/** The binary CIFAR CONV1 settings the README states (10,000 train; < 30 min on 2 cores). */
export const CIFAR_CONV1 = { train: 10000, top: 100, test: 100 };

const load = () => loadavg().map((v) => v.toFixed(1)).join(' ');

function rand(n: number, d: number, seed: number): Matrix<Float64Array> {
  let s = seed >>> 0;
  const a = new Float64Array(n * d);
  for (let i = 0; i < a.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[i] = s / 4294967296; }
  return { data: a, rows: n, cols: d };
}

/** R feature gradients on CIFAR-shaped conv1 rows: one Jacobian pass vs R kernel VJP passes. */
function gradientPass(threads: number, quick: boolean): Row {
  initNode({ threads });
  const shape = [32, 32, 3] as const, d = 3072, n = quick ? 300 : 2000, b = 16, R = 20;
  const k = arch('conv1'), X = rand(b, d, 1), Xt = rand(n, d, 2), A = rand(n, R, 3);
  for (let i = 0; i < A.data.length; i++) A.data[i] -= 0.5;
  const W = Array.from({ length: R }, (_, r) => {
    const w = new Float64Array(b * n);
    for (let q = 0; q < b; q++) for (let i = 0; i < n; i++) w[q * n + i] = A.data[i * R + r];
    return { data: w, rows: b, cols: n };
  });
  const ours = timeit(() => k.kernelJacobianTimes(X, Xt, A, { shape }), { reps: 1, warmup: 0 });
  const peer = timeit(() => W.map((w) => k.kernelVjp(X, Xt, w, { shape })), { reps: 1, warmup: 0 });
  console.log(`threads=${threads} conv1 CIFAR gradients of ${R} features, ${b} x ${n} pairs: one Jacobian pass ${ours.toFixed(2)} s, one VJP per feature ${peer.toFixed(2)} s (${(peer / ours).toFixed(1)}x); load ${load()}`);
  return { op: `feature gradients conv1 cifar, ${R} features (Jacobian pass vs one VJP per feature; load ${load()})`, size: `b=${b},n=${n},32x32x3`, threads, ours_s: ours, peers: { 'per-feature VJP': peer } };
}

export async function run(ctx: Ctx): Promise<Row[]> {
  const c = CIFAR_CONV1;
  const settings: Setting[] = ctx.quick
    ? [
        { label: 'MNIST fc1', args: ['--dataset', 'mnist', '--arch', 'fc1', '--train', '2000', '--test', '200', '--top', '100'], size: 'train=2000,test=200,top=100' },
        { label: 'binary CIFAR conv1', args: ['--dataset', 'cifar2', '--arch', 'conv1', '--train', '500', '--test', '20', '--top', '20'], size: 'train=500,test=20,top=20' },
      ]
    : [
        { label: 'MNIST fc1', args: ['--dataset', 'mnist', '--arch', 'fc1', '--train', '10000', '--test', '1000', '--top', '100'], size: 'train=10000,test=1000,top=100' },
        { label: 'binary CIFAR conv1', args: ['--dataset', 'cifar2', '--arch', 'conv1', '--train', String(c.train), '--test', String(c.test), '--top', String(c.top)], size: `train=${c.train},test=${c.test},top=${c.top}` },
      ];
  const rows: Row[] = [];
  for (const threads of ctx.threads) {
    rows.push(gradientPass(threads, ctx.quick));
    for (const s of settings) {
      const out = mkdtempSync(join(tmpdir(), 'ntk-bench-features-'));
      try {
        const l0 = load(), t0 = performance.now();
        const r = spawnSync(process.execPath, [CLI, 'features', ...s.args, '--out', out, '--no-resume', '-q'], { encoding: 'utf8', env: { ...process.env, NTK_THREADS: String(threads) } });
        const total = (performance.now() - t0) / 1000;
        if (r.status !== 0) throw new Error(`ntk features ${s.args.join(' ')} failed: ${r.stderr}`);
        const rep = JSON.parse(readFileSync(join(out, 'features.json'), 'utf8'));
        const t = rep.architectures[0].timings, m = rep.architectures[0].machine;
        const attacks = t.attackGradientSeconds + t.attackEvaluationSeconds;
        const rest = total - t.gramSeconds - t.eigensolveSeconds - t.featureEvaluationSeconds - attacks;
        const split = `Gram ${t.gramSeconds.toFixed(1)} s, eigensolve ${t.eigensolveSeconds.toFixed(1)} s, features ${t.featureEvaluationSeconds.toFixed(1)} s, attacks ${attacks.toFixed(1)} s (gradients ${t.attackGradientSeconds.toFixed(1)}, adversarial outputs ${t.attackEvaluationSeconds.toFixed(1)}), rest ${rest.toFixed(1)} s (machine solve, whole-kernel FGSM, pictures, start-up)`;
        console.log(`threads=${threads} ${s.label}: total ${total.toFixed(1)} s; ${split}; whole kernel clean ${(100 * m.cleanAccuracy).toFixed(1)}%; load at start ${l0}, at end ${load()}`);
        rows.push({ op: `ntk features ${s.label} (${split}; load ${l0} -> ${load()})`, size: s.size, threads, ours_s: total, peers: {} });
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    }
  }
  return rows;
}
