// ntk train and ntk attack --model as a user runs them: outputs, resume, and bad input
// rejected with exit code 2, one line, no partial files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode } from 'fast-png';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
function ntk(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NTK_THREADS: '2' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const tmp = () => mkdtempSync(join(tmpdir(), 'ntk-train-'));
const small = ['--arch', 'fc1', '--width', '32', '--parameterization', 'standard', '--train', '300', '--test', '100', '--batch', '50', '--lr', '0.1', '--momentum', '0.9', '--eval-n', '100', '--eps', '0.1', '-q'];

test('ntk train writes train.json, curves.png and a checkpoint; --resume continues to the same numbers; attack --model runs', () => {
  const a = tmp(), b = tmp();
  let r = ntk(['train', ...small, '--epochs', '2', '--out', a]);
  assert.equal(r.code, 0, r.err);
  const ja = JSON.parse(readFileSync(join(a, 'train.json'), 'utf8'));
  assert.equal(ja.epochs.length, 2);
  for (const e of ja.epochs) for (const k of ['loss', 'seconds']) assert.ok(Number.isFinite(e[k]), k);
  assert.ok(ja.epochs[1].test.clean > 0.5 && ja.epochs[1].test.robust < ja.epochs[1].test.clean, JSON.stringify(ja.epochs[1]));
  const png = decode(readFileSync(join(a, 'curves.png')));
  assert.ok(png.width > 100 && png.height > 100);
  r = ntk(['train', ...small, '--epochs', '1', '--out', b]);
  assert.equal(r.code, 0, r.err);
  r = ntk(['train', ...small, '--epochs', '2', '--out', b, '--resume']);
  assert.equal(r.code, 0, r.err);
  const jb = JSON.parse(readFileSync(join(b, 'train.json'), 'utf8'));
  assert.deepEqual(jb.epochs.map((e: any) => [e.loss, e.train, e.test]), ja.epochs.map((e: any) => [e.loss, e.train, e.test]));
  for (const f of readdirSync(join(a, 'checkpoint'))) if (f.endsWith('.npy')) assert.deepEqual(readFileSync(join(b, 'checkpoint', f)), readFileSync(join(a, 'checkpoint', f)), f);
  const c = tmp();
  r = ntk(['attack', '--model', a, '--train', '50', '--test', '40', '--eps', '0.1', '--curve', 'none', '--out', c, '-q']);
  assert.equal(r.code, 0, r.err);
  const rep = JSON.parse(readFileSync(join(c, 'report.json'), 'utf8'));
  assert.equal(rep.settings.model, a);
  assert.ok(rep.results.every((x: any) => x.robustAccuracy <= rep.cleanAccuracy));
});

test('ntk train / attack --model: bad input exits 2 with one line and leaves no partial files', () => {
  const one = (args: string[], re: RegExp) => {
    const out = tmp(), dir = join(out, 'run');
    const r = ntk([...args.map((a) => a.replace('$OUT', dir))]);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.err}`);
    const lines = r.err.trim().split('\n');
    assert.equal(lines.length, 1, r.err);
    assert.match(lines[0], re);
    assert.ok(!existsSync(join(dir, 'train.json')) && !existsSync(join(dir, 'checkpoint')), 'no partial outputs');
  };
  one(['train', ...small, '--lr', '1e9', '--epochs', '2', '--out', '$OUT'], /^ntk: error: training diverged at epoch 1, step \d+: .*the last good checkpoint is none/);
  one(['train', ...small, '--arch', 'twolayer', '--out', '$OUT'], /twolayer has one output \(binary task/);
  one(['train', ...small, '--arch', 'resnet', '--out', '$OUT'], /unknown net architecture 'resnet'/);
  one(['train', ...small, '--resume', '--out', '$OUT'], /--resume: no checkpoint in/);
  one(['train', ...small, '--batch', '100000', '--train', '60000', '--arch', 'cifar-cnn', '--out', '$OUT'], /exceeds the 4\.00 GiB wasm32 memory limit/);
  const bad = tmp();
  writeFileSync(join(bad, 'params.json'), '{"format": "something-else"}');
  one(['attack', '--model', bad, '--out', '$OUT'], /params\.json: not a ntk-robustness-net index/);
  one(['attack', '--model', bad, '--ridge', '0.1', '--out', '$OUT'], /--ridge has no effect with --model/);
});
