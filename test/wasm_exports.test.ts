// `export *` in assembly/index.ts silently keeps one of two same-named kernels, so a name
// clash would call the wrong code (it once made eigh skip its rescaling). Names must be unique.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../assembly/', import.meta.url));
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (f === '__tests__') return [];
    return statSync(p).isDirectory() ? files(p) : f.endsWith('.ts') ? [p] : [];
  });
}

test('every exported AssemblyScript function name is unique across assembly/', () => {
  const seen = new Map<string, string>();
  for (const f of files(root)) {
    for (const m of readFileSync(f, 'utf8').matchAll(/^export function ([A-Za-z0-9_]+)/gm)) {
      const prev = seen.get(m[1]);
      assert.ok(!prev, `${m[1]} is exported by both ${prev} and ${f}`);
      seen.set(m[1], f);
    }
  }
  assert.ok(seen.size > 20);
});
