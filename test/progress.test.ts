import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProgress, formatDuration, progressBar } from '../src/node.js';

test('formatProgress: bar, percent, rate, ETA', () => {
  assert.equal(formatProgress(250, 1000, 10, 'ntk', 10), 'ntk [###.......]  25% 250/1000  25.0/s  ETA 30s');
  assert.equal(formatProgress(1000, 1000, 125, '', 4), '[####] 100% 1000/1000  8.0/s  in 2m05s');
  assert.equal(formatProgress(0, 10, 0, 'x', 2), 'x [..]   0% 0/10  -/s  ETA ?');
  assert.equal(formatDuration(3725), '1h02m');
});

function fakeStream(isTTY: boolean) {
  const out: string[] = [];
  return { out, stream: { isTTY, write: (s: string) => { out.push(s); return true; } } };
}

test('progressBar without a TTY prints whole lines every 5% or few seconds', () => {
  let t = 0;
  const { out, stream } = fakeStream(false);
  const bar = progressBar({ stream, now: () => t });
  for (let i = 1; i <= 200; i++) { t += 10; bar.update(i, 200, 'gram'); }
  bar.finish();
  assert.ok(out.every((l) => l.endsWith('\n') && !l.includes('\r')));
  assert.equal(out.length, 21); // items 1, 11, ..., 191 (5% apart) and the final 200
  // the clock starts at the first update (t = 10 ms): 200 items in 1.99 s
  assert.match(out[out.length - 1], /^gram \[#+\] 100% 200\/200 {2}101\/s {2}in 2s\n$/);
  // slow job: a line every 5 s even without 5% progress
  const s2 = fakeStream(false); t = 0;
  const slow = progressBar({ stream: s2.stream, now: () => t });
  for (let i = 1; i <= 10; i++) { t += 3000; slow.update(i, 1000); }
  assert.equal(s2.out.length, 5); // at 3, 9, 15, 21, 27 s: a line once >= 5 s passed
});

test('progressBar on a TTY redraws in place; quiet prints nothing', () => {
  let t = 0;
  const { out, stream } = fakeStream(true);
  const bar = progressBar({ stream, now: () => t });
  for (let i = 1; i <= 50; i++) { t += 50; bar.update(i, 50); }
  bar.finish();
  assert.ok(out.slice(0, -1).every((s) => s.startsWith('\r') && !s.includes('\n')));
  assert.equal(out[out.length - 1], '\n');
  assert.ok(out.length < 30, `throttled redraws, got ${out.length}`);
  const q = fakeStream(true);
  const quiet = progressBar({ stream: q.stream, quiet: true });
  quiet.update(1, 2); quiet.finish();
  assert.deepEqual(q.out, []);
});
