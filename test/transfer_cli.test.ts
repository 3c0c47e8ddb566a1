// `ntk transfer` as a user runs it: a tiny run end to end (files, indices, resume after a kill
// ends with the same numbers) and bad input rejected with exit code 2 and one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode } from 'fast-png';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const ntk = (args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NTK_THREADS: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const tmp = () => mkdtempSync(join(tmpdir(), 'ntk-transfer-'));
const ARGS = ['transfer', '--widths', '50,300', '--seeds', '2', '--epochs', '30', '--checkpoints', '5', '--train', '150', '--test', '50', '--gradient-images', '2'];

test('ntk transfer writes transfer.json, the figures and the test indices; a killed run resumed ends with the same numbers', async () => {
  const dir = tmp();
  const r = ntk([...ARGS, '--out', dir, '-q']);
  assert.equal(r.code, 0, r.err);
  const js = JSON.parse(readFileSync(join(dir, 'transfer.json'), 'utf8'));
  assert.equal(js.runs.length, 4);
  assert.equal(js.testIndices.length, 50);
  assert.deepEqual(js.runs[0].epochs, js.settings.checkpoints);
  assert.ok(js.lr.auto && js.lr.value < js.lr.stableBelow);
  for (const f of ['similarity.png', 'accuracy.png', 'gradients.png', 'report.html']) assert.ok(existsSync(join(dir, f)), f);
  const png = decode(readFileSync(join(dir, 'gradients.png')));
  assert.ok(png.width > 300 && png.height > 150);
  assert.ok(!existsSync(join(dir, 'checkpoint')), 'a finished run removes its checkpoint');
  // kill once the checkpoint exists (mid-run), then resume
  const dir2 = tmp();
  const child = spawn(process.execPath, [CLI, ...ARGS, '--out', dir2, '-q'], { env: { ...process.env, NTK_THREADS: '1' } });
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (existsSync(join(dir2, 'checkpoint', 'state.json'))) {
        const st = JSON.parse(readFileSync(join(dir2, 'checkpoint', 'state.json'), 'utf8'));
        if (st.runs.length >= 1 && st.current) { clearInterval(poll); child.kill('SIGKILL'); }
      }
    }, 20);
    child.on('exit', () => { clearInterval(poll); resolve(); });
  });
  assert.ok(!existsSync(join(dir2, 'transfer.json')), 'killed before the end');
  const r2 = ntk([...ARGS, '--out', dir2, '-q', '--resume']);
  assert.equal(r2.code, 0, r2.err);
  const js2 = JSON.parse(readFileSync(join(dir2, 'transfer.json'), 'utf8'));
  const strip = (runs: any[]) => runs.map((x) => ({ ...x, seconds: 0 }));
  assert.deepEqual(strip(js2.runs), strip(js.runs));
});

test('ntk transfer rejects bad input with exit code 2 and one line', () => {
  const cases: [string[], RegExp][] = [
    [['transfer', '--widths', '101', '--train', '50', '--test', '10'], /--init paired needs even widths/],
    [['transfer', '--widths', '0', '--train', '50', '--test', '10'], /--widths/],
    [['transfer', '--train', '30000', '--test', '10', '--widths', '10'], /--train 30000: needs about .* wasm32 limit; at most \d+ training points fit/],
    [['transfer', '--lr', '-1'], /--lr/],
    [['transfer', '--init', 'zero'], /--init/],
  ];
  for (const [args, re] of cases) {
    const r = ntk(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, re);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  }
  const dir = tmp();
  const r = ntk([...ARGS, '--out', dir, '-q', '--resume', '--epochs', '3']);
  assert.equal(r.code, 0, 'no checkpoint: --resume starts fresh');
});
