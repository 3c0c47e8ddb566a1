// ntk dynamics as a user runs it (tiny MNIST subset): outputs and figures, saved kernels equal
// a recomputation from the saved parameters, --resume after a stopped run gives identical
// kernels and numbers, bad input exits 2 with one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode } from 'fast-png';
import '../src/node.js';
import { loadCheckpoint } from '../src/io/checkpoint-node.js';
import { empiricalKernel } from '../src/nn/empirical_ntk.js';
import { perturbKernelBatch, readKernel, kernelFile } from '../src/experiments/dynamics.js';
import { loadTask } from '../src/cli/data_options.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
function ntk(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NTK_THREADS: '2' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const tmp = () => mkdtempSync(join(tmpdir(), 'ntk-dyn-'));
const small = ['--train', '60', '--test', '30', '--batch', '30', '--kernel-batch', '3', '--eval-n', '20', '--steps', '2', '--top', '5', '--train-modes', 'clean,pgd', '--lr', '0.05', '--linearize-at', '1', '-q'];

test('ntk dynamics: json, kernels and figures; kernels equal a recomputation from the saved parameters; --resume gives identical results', async () => {
  const a = tmp(), b = tmp();
  let r = ntk(['dynamics', ...small, '--epochs', '2', '--out', a]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /report: .*report\.html/);
  const ja = JSON.parse(readFileSync(join(a, 'dynamics.json'), 'utf8'));
  assert.deepEqual(Object.keys(ja.training), ['clean', 'clean-lin1', 'pgd', 'pgd-lin1']);
  // the linearised model's NTK is J(p_1) J(p_1)^T whatever its parameters: constant after epoch 1
  for (const run of ['clean-lin1', 'pgd-lin1']) {
    // the kernel files are identical; 1 - <K,K>/(|K| |K|) is 0 up to rounding (2.2e-16 on the FMA build)
    assert.deepEqual(readFileSync(join(a, run, 'kernels', 'clean_e002.npy')), readFileSync(kernelFile(a, run.slice(0, -5) as 'clean' | 'pgd', 'clean', 1)), run);
    assert.ok(Math.abs(ja.metrics.clean[run].distance[1][2]) <= 4e-16, run);
    assert.deepEqual(ja.metrics.clean[run].distance[0], ja.metrics.clean[run.slice(0, -5)].distance[0].slice(0, 2).concat(ja.metrics.clean[run].distance[0][1]));
    assert.notDeepEqual(ja.training[run][2].loss, ja.training[run][1].loss);
  }
  assert.equal(ja.training.pgd.length, 3);
  // App. E.1: each mode beside its linearised run, read from the same histories and distances
  for (const mode of ['clean', 'pgd']) {
    const [base, lin] = ja.linearComparison[mode];
    assert.deepEqual([base.run, lin.run], [mode, `${mode}-lin1`]);
    assert.deepEqual(lin.test, ja.training[`${mode}-lin1`][2].test);
    assert.equal(lin.fromLinearizationPoint.clean, ja.metrics.clean[`${mode}-lin1`].distance[2][1]);
    assert.equal(base.fromInit.pgd, ja.metrics.pgd[mode].distance[2][0]);
  }
  assert.match(readFileSync(join(a, 'report.html'), 'utf8'), /Linearised from epoch 1 vs not, at epoch 2/);
  const N = 3 * 10;
  for (const input of ['clean', 'pgd']) for (const mode of ['clean', 'pgd']) {
    const m = ja.metrics[input][mode];
    assert.equal(m.distance.length, 3);
    assert.equal(m.distance[0][0], 0);
    assert.ok(m.distance[0][2] > 0, 'training moved the kernel');
    assert.equal(m.polar.whole.radius[2], 1);
    for (const c of ['10', '20']) for (const v of m.concentration[c]) assert.ok(v > 0 && v <= 1 + 1e-12);
  }
  // the initial kernels are shared: same seed, same initialisation
  assert.deepEqual(readFileSync(kernelFile(a, 'clean', 'clean', 0)), readFileSync(kernelFile(a, 'pgd', 'clean', 0)));
  for (const f of ['distance-clean', 'distance-pgd', 'polar-clean', 'concentration-pgd', 'accuracy', 'kernel-values']) {
    const png = decode(readFileSync(join(a, `${f}.png`)));
    assert.ok(png.width > 300 && png.height > 200, f);
  }
  assert.ok(existsSync(join(a, 'report.html')));

  // stop after one epoch, then resume to two: the same kernels (bytes) and numbers
  r = ntk(['dynamics', ...small, '--epochs', '1', '--out', b, '--no-figures']);
  assert.equal(r.code, 0, r.err);
  assert.ok(!existsSync(join(b, 'report.html')));
  // the epoch-1 kernels equal a recomputation from the epoch-1 checkpoint's parameters
  for (const mode of ['clean', 'pgd'] as const) {
    const { net } = loadCheckpoint(join(b, mode, 'checkpoint'));
    try {
      const ref = JSON.parse(readFileSync(join(b, 'dynamics.json'), 'utf8'));
      const X0 = readKernel(kernelFile(b, mode, 'clean', 1)), Xp = readKernel(kernelFile(b, mode, 'pgd', 1));
      const batch = kernelBatchOf(b);
      const Kc = empiricalKernel(net, batch.X), s = ref.settings;
      const Kp = empiricalKernel(net, perturbKernelBatch(net, batch, { eps: s.eps, step: s.step, steps: s.steps, seed: s.seed } as never));
      assert.equal(Kc.rows, N);
      for (const [saved, K, what] of [[X0, Kc, 'clean'], [Xp, Kp, 'pgd']] as const)
        for (let i = 0; i < N * N; i++) assert.ok(Math.abs(saved[i] - Math.fround(K.data[i])) <= 1e-6 * Math.max(1, Math.abs(K.data[i])), `${mode}/${what}[${i}]: ${saved[i]} vs ${K.data[i]}`);
    } finally { net.dispose(); }
  }
  r = ntk(['dynamics', ...small, '--epochs', '2', '--out', b, '--resume']);
  assert.equal(r.code, 0, r.err);
  const jb = JSON.parse(readFileSync(join(b, 'dynamics.json'), 'utf8'));
  const strip = (t: Record<string, { epoch: number; loss: number; train: unknown; test: unknown }[]>) =>
    Object.fromEntries(Object.entries(t).map(([k, rows]) => [k, rows.map((x) => [x.epoch, x.loss, x.train, x.test])]));
  assert.deepEqual(strip(jb.training), strip(ja.training));
  assert.deepEqual(jb.metrics, ja.metrics);
  for (const mode of ['clean', 'pgd']) for (const f of readdirSync(join(a, mode, 'kernels')))
    assert.deepEqual(readFileSync(join(b, mode, 'kernels', f)), readFileSync(join(a, mode, 'kernels', f)), `${mode}/${f}`);

  // a different setting is refused on resume
  r = ntk(['dynamics', ...small, '--epochs', '2', '--out', b, '--resume', '--eps', '0.2']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--resume: setting 'eps'/);
});

/** The kernel batch: the first B training points of the same seeded subset the CLI loads. */
function kernelBatchOf(dir: string) {
  const s = JSON.parse(readFileSync(join(dir, 'dynamics.json'), 'utf8')).settings;
  return loadKernelBatch(s.train, s.test, s.seed, s.stratified, s.kernelBatch);
}
function loadKernelBatch(train: number, test: number, seed: number, stratified: boolean, B: number) {
  const t = loadTask({ dataset: 'mnist', train, test, seed, stratified } as never);
  const d = t.train.X.cols;
  return { X: { data: t.train.X.data.slice(0, B * d), rows: B, cols: d }, labels: t.train.labels.slice(0, B) };
}

test('ntk dynamics: bad input exits 2 with one line', () => {
  const out = tmp();
  for (const [args, msg] of [
    [['--train-modes', 'clean,adv'], /unknown mode 'adv'/],
    [['--kernel-batch', '300', '--train', '100'], /--kernel-batch: 300 points but only 100/],
    [['--kernel-batch', '260', '--train', '300'], /2600 x 2600.*limit 2500/],
    [['--lr', '0'], /--lr/],
    [['--epochs', '2', '--linearize-at', '3'], /--linearize-at: epoch 3 is beyond --epochs 2/],
  ] as const) {
    const r = ntk(['dynamics', ...args, '--out', out, '-q']);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.err}`);
    assert.match(r.err, msg);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  }
});
