// `ntk transfer` checkpoints: a kill between writing a checkpoint's parameters and its
// state.json must leave a pair that resumes at the older checkpoint with ITS parameters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileStore } from '../src/experiments/transfer_store.js';
import type { RunRecord } from '../src/experiments/transfer.js';

const rec = (epochs: number[]) => ({ width: 4, seed: 0, epochs }) as unknown as RunRecord;

test('transfer checkpoint: a kill after the parameters are written but before state.json resumes from the previous checkpoint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ntk-store-'));
  const settings = { widths: [4] };
  const store = fileStore(dir, settings, true);
  const p5 = Float64Array.from([1, 2, 3]), p10 = Float64Array.from([7, 8, 9]);
  store.save([], { record: rec([0, 5]), params: p5 });
  // the next save is killed after its parameters are on disk, before state.json is replaced
  const killed = fileStore(dir, settings, true, { afterParams: () => { throw new Error('killed'); } });
  assert.throws(() => killed.save([], { record: rec([0, 5, 10]), params: p10 }), /killed/);
  let got = fileStore(dir, settings, true).load()!;
  assert.deepEqual(got.current!.record.epochs, [0, 5]);
  assert.deepEqual(Array.from(got.current!.params), [1, 2, 3], 'the epoch-5 state must come with the epoch-5 parameters');
  // the completed save: new pair, the old parameters removed
  store.save([], { record: rec([0, 5, 10]), params: p10 });
  got = fileStore(dir, settings, true).load()!;
  assert.deepEqual(got.current!.record.epochs, [0, 5, 10]);
  assert.deepEqual(Array.from(got.current!.params), [7, 8, 9]);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.bin')), ['params-4-0-10.bin']);
  // a finished run: no parameters left; other settings are refused
  store.save([rec([0, 5, 10])], null);
  assert.ok(!existsSync(join(dir, 'params-4-0-10.bin')));
  assert.equal(fileStore(dir, settings, true).load()!.current, null);
  assert.throws(() => fileStore(dir, { widths: [8] }, true).load(), /other settings/);
});
