// ntk features / ntk robust-kernel as a user runs them: files, JSON fields, resume from the
// eigen checkpoint to the same numbers, several architectures, and bad input (exit 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode } from 'fast-png';
import { readNpy } from '../src/node.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
function ntk(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NTK_THREADS: '2' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const tmp = () => mkdtempSync(join(tmpdir(), 'ntk-features-'));
const png = (p: string) => decode(readFileSync(p));

test('ntk features on MNIST: features.json, pictures, subset indices; a rerun resumes from the checkpoint with the same numbers', () => {
  const dir = tmp();
  const args = ['features', '--train', '200', '--test', '40', '--top', '8', '--features', '150', '--out', dir];
  const r = ntk([...args, '-q']);
  assert.equal(r.code, 0, r.err);
  const rep = JSON.parse(readFileSync(join(dir, 'features.json'), 'utf8'));
  const a = rep.architectures[0];
  assert.equal(a.arch, 'fc1');
  assert.equal(a.eigenMethod, 'full', 'index 150 of 200 needs the full eigendecomposition');
  assert.deepEqual(a.features.map((f: any) => f.index), [0, 1, 2, 3, 4, 5, 6, 7, 150]);
  for (let i = 1; i < a.features.length; i++) assert.ok(a.features[i].eigenvalue <= a.features[i - 1].eigenvalue, 'eigenvalues descending');
  for (const f of a.features) {
    assert.ok(f.usefulness >= 0 && f.usefulness <= 1 && f.robustness >= 0 && f.robustness <= 1);
    // multiclass: a rank-one feature predicts at most two classes
    assert.ok(f.predicted.filter((p: number) => p > 0).length <= 2, `feature ${f.index} predicts ${f.predicted}`);
  }
  assert.ok(a.machine.cleanAccuracy > 0.6 && a.machine.robustAccuracy < a.machine.cleanAccuracy);
  assert.ok(Array.isArray(a.usefulNonRobust));
  for (const k of ['gramSeconds', 'eigensolveSeconds', 'featureEvaluationSeconds', 'attackGradientSeconds', 'attackEvaluationSeconds']) assert.ok(a.timings[k] >= 0, k);
  assert.deepEqual(readNpy(join(dir, 'train_indices.npy')).shape, [200]);
  assert.deepEqual(readNpy(join(dir, 'test_indices.npy')).shape, [40]);
  assert.ok(png(join(dir, 'scatter.png')).width > 300, 'scatter.png');
  assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /usefulness/);
  const g = png(join(dir, 'gradients.png'));
  assert.ok(g.width > 400 && g.height > 200);
  assert.ok(!existsSync(join(dir, 'decomposition.png')), 'the Fig. 1 decomposition is for binary tasks');
  const again = ntk(args);
  assert.equal(again.code, 0, again.err);
  assert.match(again.err, /resuming from/);
  const rep2 = JSON.parse(readFileSync(join(dir, 'features.json'), 'utf8'));
  assert.deepEqual(rep2.architectures[0].features, a.features);
  assert.ok(!readdirSync(dir).some((f) => f.includes('.tmp')), 'no temp files left');
});

test('ntk features with two architectures on a binary MNIST task: per-architecture files, the comparison grid and the decomposition', () => {
  const dir = tmp();
  const r = ntk(['features', '--classes', '3,5', '--arch', 'fc1,fc3', '--train', '150', '--test', '30', '--top', '6', '--out', dir, '-q']);
  assert.equal(r.code, 0, r.err);
  const rep = JSON.parse(readFileSync(join(dir, 'features.json'), 'utf8'));
  assert.deepEqual(rep.architectures.map((a: any) => a.arch), ['fc1', 'fc3']);
  for (const f of ['scatter-fc1.png', 'scatter-fc3.png', 'gradients-fc1.png', 'gradients-fc3.png', 'decomposition-fc1.png', 'arch-gradients.png']) assert.ok(png(join(dir, f)).width > 200, f);
  assert.equal(rep.architectures[0].decomposition.length, 6);
});

test('ntk features --arch conv1 --attack pgd on binary CIFAR: PGD robustness per feature never above FGSM; the useful non-robust rule is stated', () => {
  const dir = tmp();
  const r = ntk(['features', '--dataset', 'cifar2', '--arch', 'conv1', '--train', '60', '--test', '12', '--top', '5', '--attack', 'pgd', '--steps', '3', '--step-size', '0.01', '--images', '1', '--out', dir]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /one Jacobian pass/);
  const rep = JSON.parse(readFileSync(join(dir, 'features.json'), 'utf8'));
  assert.deepEqual([rep.settings.attack, rep.settings.steps, rep.settings.stepSize], ['pgd', 3, 0.01]);
  const a = rep.architectures[0];
  for (const f of a.features) assert.ok(f.robustnessPgd <= f.robustness, `feature ${f.index}: PGD ${f.robustnessPgd} above FGSM ${f.robustness}`);
  assert.ok(a.timings.pgdSeconds >= 0);
  const rule = rep.usefulNonRobustRule;
  // 12 test points: two standard errors of the majority share
  const p = rep.majorityShare;
  assert.ok(Math.abs(rule.margin - Math.max(0.02, 2 * Math.sqrt(p * (1 - p) / 12))) < 1e-12 && rule.robustAtMost === 0.1);
  assert.deepEqual(a.usefulNonRobust, a.features.filter((f: any) => f.usefulness > rule.usefulAbove && f.robustnessPgd <= 0.1).map((f: any) => f.index));
  assert.match(rep.definitions.usefulNonRobust, /majority share \+ margin/);
});

test('ntk features / robust-kernel: bad input exits 2 with one line', () => {
  const dir = tmp();
  for (const [args, re] of [
    [['features', '--train', '50', '--test', '5', '--features', '60', '--out', dir], /--features: index 60 is out of range for 50 training points/],
    [['features', '--arch', 'fc1,fc9', '--train', '50', '--out', dir], /--arch: unknown architecture 'fc9'/],
    [['features', '--eps', '0.1,0.2', '--train', '50', '--out', dir], /takes one budget/],
    [['features', '--attack', 'apgd', '--train', '50', '--out', dir], /--attack/],
    [['robust-kernel', '--train', '50', '--top', '60', '--out', dir], /--top 60: more features than the 50 training points/],
  ] as [string[], RegExp][]) {
    const r = ntk(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, re);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  }
});

test('ntk robust-kernel: ranking, the curve for m = 1..M and the plot', () => {
  const dir = tmp();
  const r = ntk(['robust-kernel', '--classes', '3,5', '--train', '150', '--test', '40', '--val', '30', '--top', '12', '--max-features', '10', '--out', dir, '-q']);
  assert.equal(r.code, 0, r.err);
  const rep = JSON.parse(readFileSync(join(dir, 'robust-kernel.json'), 'utf8'));
  assert.deepEqual(rep.curve.map((c: any) => c.m), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(rep.ranking.length, 10);
  assert.equal(rep.validation.length, 12);
  for (let i = 1; i < rep.validation.length; i++) assert.ok(rep.validation[i - 1].robust >= rep.validation[i].robust);
  const val = readNpy(join(dir, 'val_indices.npy')).data as Int32Array, te = readNpy(join(dir, 'test_indices.npy')).data as Int32Array;
  assert.equal(val.length, 30); assert.equal(te.length, 40);
  assert.ok(![...val].some((v) => te.includes(v)), 'validation and test points are disjoint');
  assert.ok(png(join(dir, 'robust-kernel.png')).width > 300);
  assert.ok(existsSync(join(dir, 'report.html')));
});
