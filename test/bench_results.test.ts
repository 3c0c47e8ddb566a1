// bench/RESULTS.md rewriting (`npm run bench -- --write`): the measured case sections are
// replaced; other sections and the hand-written notes after a section's end marker survive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeResults } from '../bench/harness.js';

test('writeResults replaces only the measured sections and keeps hand-written blocks', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'ntk-results-')), 'RESULTS.md');
  writeFileSync(path, [
    '# Benchmark results', '', '## Machine', '', '- cpu: old', '',
    '<!-- case:gemm -->', '## gemm', '', 'old gemm table', '<!-- end:gemm -->', '',
    '**Quiet re-run (by hand)**: numbers that no case writes.', '',
    '<!-- case:nn -->', '## nn', '', 'old nn table', '<!-- end:nn -->', '',
    '## Notes', '', '- old note', '',
  ].join('\n'));
  const machine = { cpu: 'new cpu', cores: '2', node: 'v20', numpy: '2', blas: 'openblas' };
  writeResults(path, { gemm: [{ op: 'gemm f64', size: '64', threads: 1, ours_s: 0.5, peers: { numpy: 0.25 } }] }, machine, ['new note']);
  const md = readFileSync(path, 'utf8');
  assert.ok(!md.includes('old gemm table') && md.includes('| gemm f64 | 64 | 1 |'), 'the gemm section is rewritten');
  assert.ok(md.includes('**Quiet re-run (by hand)**: numbers that no case writes.'), 'hand-written text after a section is kept');
  assert.ok(md.indexOf('**Quiet re-run') > md.indexOf('<!-- end:gemm -->') && md.indexOf('**Quiet re-run') < md.indexOf('<!-- case:nn -->'), 'in its place');
  assert.ok(md.includes('old nn table'), 'an unmeasured section is kept');
  assert.ok(md.includes('- cpu: new cpu') && md.includes('- new note'));
  // idempotent: writing nothing new leaves the file as it is
  writeResults(path, {}, machine, ['new note']);
  assert.equal(readFileSync(path, 'utf8'), md);
});
