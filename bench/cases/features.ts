// Eigen-features end to end (issue 11): `ntk features` as a user runs it, timed from outside
// (process start to exit), with the split features.json records: Gram, eigensolve (Lanczos
// top k), feature evaluation (clean outputs of every feature), attacks (the one-pass FGSM
// gradients of all features, then every feature at its own adversarial points).
//   MNIST FC1: 10,000 train, top 100 features on 1,000 test points (target: < 10 min on 2 cores)
//   binary CIFAR CONV1: 10,000 train, top 20 features on 100 test points (target: < 30 min)
// Ours only: no peer computes NTK eigen-features.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ctx, Row } from '../harness.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

interface Setting { label: string; args: string[]; size: string }

export async function run(ctx: Ctx): Promise<Row[]> {
  const settings: Setting[] = ctx.quick
    ? [{ label: 'MNIST fc1', args: ['--dataset', 'mnist', '--arch', 'fc1', '--train', '2000', '--test', '200', '--top', '100'], size: 'train=2000,test=200,top=100' }]
    : [
        { label: 'MNIST fc1', args: ['--dataset', 'mnist', '--arch', 'fc1', '--train', '10000', '--test', '1000', '--top', '100'], size: 'train=10000,test=1000,top=100' },
        { label: 'binary CIFAR conv1', args: ['--dataset', 'cifar2', '--arch', 'conv1', '--train', '10000', '--test', '100', '--top', '20'], size: 'train=10000,test=100,top=20' },
      ];
  const rows: Row[] = [];
  for (const threads of ctx.threads) for (const s of settings) {
    const out = mkdtempSync(join(tmpdir(), 'ntk-bench-features-'));
    try {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [CLI, 'features', ...s.args, '--out', out, '--no-resume', '-q'], { encoding: 'utf8', env: { ...process.env, NTK_THREADS: String(threads) } });
      const total = (performance.now() - t0) / 1000;
      if (r.status !== 0) throw new Error(`ntk features ${s.args.join(' ')} failed: ${r.stderr}`);
      const rep = JSON.parse(readFileSync(join(out, 'features.json'), 'utf8'));
      const t = rep.architectures[0].timings, m = rep.architectures[0].machine;
      const attacks = t.attackGradientSeconds + t.attackEvaluationSeconds;
      const split = `Gram ${t.gramSeconds.toFixed(1)} s, eigensolve ${t.eigensolveSeconds.toFixed(1)} s, features ${t.featureEvaluationSeconds.toFixed(1)} s, attacks ${attacks.toFixed(1)} s (gradients ${t.attackGradientSeconds.toFixed(1)}, adversarial outputs ${t.attackEvaluationSeconds.toFixed(1)})`;
      console.log(`threads=${threads} ${s.label}: total ${total.toFixed(1)} s; ${split}; whole kernel clean ${(100 * m.cleanAccuracy).toFixed(1)}%`);
      rows.push({ op: `ntk features ${s.label} (${split})`, size: s.size, threads, ours_s: total, peers: {} });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  return rows;
}
