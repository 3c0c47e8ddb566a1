// The CLI as a user runs it: real data end to end, and bad input rejected with exit code 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy, writeNpy, cifar2Dir } from '../src/node.js';
import { decode } from 'fast-png';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
function ntk(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NTK_THREADS: '2', ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const tmp = () => mkdtempSync(join(tmpdir(), 'ntk-cli-'));

test('ntk attack on MNIST writes the report, pictures and arrays; PGD >= FGSM', () => {
  const dir = tmp();
  const r = ntk(['attack', '--train', '300', '--test', '60', '--eps', '0.1', '--curve', '0.05', '--out', dir, '-q']);
  assert.equal(r.code, 0, r.err);
  const rep = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  assert.equal(rep.settings.arch, 'fc1');
  assert.ok(rep.cleanAccuracy > 0.6, `clean accuracy ${rep.cleanAccuracy}`);
  const at = (m: string, e: number) => rep.results.find((x: any) => x.method === m && x.eps === e).robustAccuracy;
  assert.ok(at('fgsm', 0.1) < rep.cleanAccuracy - 0.2, 'FGSM at 0.1 should hurt a lot');
  assert.ok(at('pgd', 0.1) <= at('fgsm', 0.1), 'PGD at least as strong as FGSM');
  const x = readNpy(join(dir, 'x_test.npy')), adv = readNpy(join(dir, 'adv_pgd_eps0.1.npy'));
  assert.deepEqual(adv.shape, [60, 28, 28, 1]);
  for (let i = 0; i < adv.data.length; i++) {
    const a = adv.data[i] as number, c = x.data[i] as number;
    assert.ok(a >= 0 && a <= 1 && Math.abs(a - c) <= 0.1 + 1e-6, `pixel ${i}`);
  }
  for (const f of ['examples.png', 'eps-curve.png']) {
    const png = decode(readFileSync(join(dir, f)));
    assert.ok(png.width > 100 && png.height > 100, f);
  }
  // report.html: the path is printed, figures inline, the attack table lists every result
  assert.ok(r.out.includes(`report: ${join(dir, 'report.html')}`), r.out);
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.ok((html.match(/<svg/g) ?? []).length >= 1 && html.includes('data:image/png;base64,'), 'eps-curve inline, examples embedded');
  assert.equal((html.match(/<tr><td>(fgsm|pgd)<\/td>/g) ?? []).length, rep.results.length);
  assert.match(readFileSync(join(dir, 'eps-curve.svg'), 'utf8'), /^<svg/);
  assert.ok(!readdirSync(dir).some((f) => f.includes('.tmp')), 'no temp files left');
});

/** Two-class records in the official CIFAR-10 binary format (label byte + R, G, B planes). */
function writeCifarFormat(dir: string, records: number, seed: number): void {
  let s = seed;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const buf = new Uint8Array(records * 3073);
  for (let r = 0; r < records; r++) {
    const label = r % 2, o = r * 3073;
    buf[o] = label;
    // the classes differ by a faint colour cast (+-4/255 per pixel) under strong noise: easy
    // for a kernel machine on 3,072 pixels, and undone by an 8/255 budget
    for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) {
      const base = 128 + (label === 0 ? 4 : -4) * (c === 2 ? 1 : -1);
      buf[o + 1 + c * 1024 + p] = Math.max(0, Math.min(255, Math.round(base + 80 * (rnd() - 0.5))));
    }
  }
  writeFileSync(join(dir, records > 100 ? 'train.bin' : 'test.bin'), buf);
}

test('ntk attack on the binary CIFAR airplane/automobile task (shared subset, else files in the official format)', () => {
  const dir = tmp();
  const env: Record<string, string> = {};
  const shared = existsSync(join(cifar2Dir(), 'train.bin'));
  if (!shared) {
    const data = tmp();
    writeCifarFormat(data, 400, 1);
    writeCifarFormat(data, 80, 2);
    env.NTK_CIFAR_DIR = data;
  }
  const r = ntk(['attack', '--dataset', 'cifar2', '--train', '200', '--test', '40', '--eps', '8/255', '--method', 'fgsm', '--curve', 'none', '--out', dir, '-q'], env);
  assert.equal(r.code, 0, r.err);
  const rep = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  assert.equal(rep.data.outputs, 1);
  assert.deepEqual(rep.data.shape, [32, 32, 3]);
  assert.ok(rep.cleanAccuracy > 0.6, `clean ${rep.cleanAccuracy} (shared data: ${shared})`);
  assert.ok(rep.results[0].robustAccuracy < rep.cleanAccuracy, 'FGSM lowers accuracy');
  assert.deepEqual(readNpy(join(dir, 'adv_fgsm_eps0.03137.npy')).shape, [40, 32, 32, 3]);
});

test('ntk kernel writes a Gram numpy can load, for dataset subsets and user .npy inputs', () => {
  const dir = tmp();
  let r = ntk(['kernel', '--arch', 'fc3', '--n', '50', '--test', '7', '--out', join(dir, 'K.npy'), '-q']);
  assert.equal(r.code, 0, r.err);
  const K = readNpy(join(dir, 'K.npy')), Kt = readNpy(join(dir, 'K_test.npy'));
  assert.deepEqual(K.shape, [50, 50]);
  assert.deepEqual(Kt.shape, [7, 50]);
  assert.equal(K.data[1 * 50 + 2], K.data[2 * 50 + 1]);
  // K.json and K.report.html beside the Gram, with its statistics
  const meta = JSON.parse(readFileSync(join(dir, 'K.json'), 'utf8'));
  assert.equal(meta.gram.n, 50);
  assert.equal(meta.gram.diagonalMax, Math.max(...Array.from({ length: 50 }, (_, i) => K.data[i * 51] as number)));
  assert.ok(r.out.includes(`report: ${join(dir, 'K.report.html')}`), r.out);
  assert.match(readFileSync(join(dir, 'K.report.html'), 'utf8'), /<svg[\s\S]*Gram statistics/);
  const x = new Float64Array(3 * 6 * 6).map((_, i) => (i % 7) / 7);
  writeNpy(join(dir, 'x.npy'), x, [3, 6, 6, 1]);
  r = ntk(['kernel', '--arch', 'conv1', '--x', join(dir, 'x.npy'), '--out', join(dir, 'Kc.npy'), '-q']);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(readNpy(join(dir, 'Kc.npy')).shape, [3, 3]);
});

test('bad input exits 2 with a specific message and writes nothing', () => {
  const dir = tmp();
  const cases: [string[], RegExp][] = [
    [['attack', '--arch', 'fc9', '--out', dir], /--arch fc9: .*fc1/],
    [['attack', '--bogus'], /unknown option '--bogus'/],
    [['attack', '--t', 'soon'], /--t: expected a number >= 0 or 'inf'/],
    [['attack', '--method', 'cw'], /--method: unknown value 'cw'; expected one of fgsm, pgd/],
    [['attack', '--eps', 'abc', '--out', dir], /--eps: 'abc' is not a number/],
    [['attack', '--train', '0', '--out', dir], /--train: expected a positive integer/],
    [['attack', '--train', '70000', '--out', dir], /--train 70000/],
    [['attack', '--dataset', 'cifar10', '--out', dir], /cifar10 needs a data directory/],
    [['kernel', '--arch', 'conv1', '--x', join(dir, 'missing.npy')], /--x .*missing\.npy/],
    // sizes past wasm32 memory are refused up front, naming the limit and what fits
    [['attack', '--train', '25000', '--test', '10', '--out', join(dir, 'big')], /--train 25000: needs about 4\.\d+ GiB .*4\.00 GiB wasm32 limit; at most 22\d{3} training points fit/],
    [['kernel', '--n', '30000', '--out', join(dir, 'K.npy')], /--n 30000: needs about 6\.\d+ GiB .*at most 22\d{3} training points fit/],
  ];
  for (const [args, re] of cases) {
    const r = ntk(args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.err}`);
    assert.match(r.err, re, args.join(' '));
  }
  // NaN inputs and an image shape that does not fit the architecture
  writeNpy(join(dir, 'nan.npy'), Float64Array.from([0, NaN, 0, 0]), [1, 2, 2, 1]);
  let r = ntk(['kernel', '--x', join(dir, 'nan.npy'), '--out', join(dir, 'K.npy')]);
  assert.equal(r.code, 2); assert.match(r.err, /NaN/);
  writeNpy(join(dir, 'flat.npy'), new Float64Array(8), [2, 4]);
  r = ntk(['kernel', '--arch', 'conv1', '--x', join(dir, 'flat.npy'), '--out', join(dir, 'K.npy')]);
  assert.equal(r.code, 2); assert.match(r.err, /conv/i);
  writeFileSync(join(dir, 'junk.npy'), 'not an npy file');
  r = ntk(['kernel', '--x', join(dir, 'junk.npy'), '--out', join(dir, 'K.npy')]);
  assert.equal(r.code, 2); assert.match(r.err, /junk\.npy/);
  assert.ok(!existsSync(join(dir, 'K.npy')));
  assert.ok(!existsSync(join(dir, 'big')));
});
