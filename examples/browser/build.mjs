// Bundles main.js with esbuild into dist/ and copies what the engine loads at run time: the
// three wasm builds and the pool's worker script (bundled as its own entry).
// Usage: node build.mjs [outDir]
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export async function buildExample(outDir = join(here, 'dist')) {
  // the installed package's root (its main is dist/src/index.js)
  const pkg = resolve(dirname(createRequire(join(here, 'package.json')).resolve('ntk-robustness')), '../..');
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: { main: join(here, 'main.js'), 'ntk-worker': 'ntk-robustness/worker' },
    absWorkingDir: here, bundle: true, format: 'esm', target: 'es2022', outdir: outDir, minify: true, logLevel: 'warning',
  });
  for (const f of ['ntk.wasm', 'ntk-relaxed.wasm', 'ntk-single.wasm']) copyFileSync(join(pkg, 'build', f), join(outDir, f));
  copyFileSync(join(here, 'index.html'), join(outDir, 'index.html'));
  return outDir;
}

if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) console.log(`built ${await buildExample(process.argv[2] ? resolve(process.argv[2]) : undefined)}`);
