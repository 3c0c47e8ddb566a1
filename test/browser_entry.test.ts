// The public entry must load in browsers: nothing reachable from src/index.ts may import a
// Node built-in (those live behind src/node.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinModules } from 'node:module';

test('no Node built-in is reachable from the browser entry', () => {
  const seen = new Set<string>(), bad: string[] = [];
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec.startsWith('node:') || builtinModules.includes(spec)) bad.push(`${file} imports ${spec}`);
      else if (spec.startsWith('.')) walk(resolve(dirname(file), spec));
    }
  };
  walk(fileURLToPath(new URL('../src/index.js', import.meta.url)));
  assert.ok(seen.size > 20, `walked ${seen.size} modules`);
  assert.deepEqual(bad, []);
  // and the Node entry does reach them (the walk would notice)
  seen.clear();
  walk(fileURLToPath(new URL('../src/node.js', import.meta.url)));
  assert.ok(bad.length > 0, 'the Node entry imports node: modules, so the scan detects them');
});
