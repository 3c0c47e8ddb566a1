// The package as a new user gets it: `npm pack`, install the tarball into an empty project
// with production dependencies only, then run the CLI on a small MNIST subset, import the
// Node entry, and bundle the browser entry for browsers (esbuild, platform browser: any Node
// built-in reachable from it fails the bundle). Skipped only where npm is unavailable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode } from 'fast-png';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// The npm that runs `npm test` (npm_execpath), else the one on PATH; never node_modules/.bin's:
// a dev dependency of as-pect brings an npm 6 there, which npm scripts put first on PATH.
const PATH = (process.env.PATH ?? '').split(':').filter((d) => !d.includes('node_modules/.bin')).join(':');
const EXEC = process.env.npm_execpath;
const [NPM, ...NPM_ARGS] = EXEC && /npm-cli\.js$/.test(EXEC) && !EXEC.includes(ROOT) ? [process.execPath, EXEC] : [process.platform === 'win32' ? 'npm.cmd' : 'npm'];

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, PATH, NTK_THREADS: '2', npm_config_fund: 'false', npm_config_audit: 'false', ...env }, timeout: 300_000 });
  return { code: r.status, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}
const npm = (args: string[], cwd: string) => run(NPM, [...NPM_ARGS, ...args], cwd);

test('package: pack, install the tarball into an empty project, run the CLI, import it, bundle it for browsers', async (t) => {
  const v = npm(['--version'], ROOT);
  if (v.code !== 0) { t.skip('npm is not available on this machine'); return; }
  assert.ok(Number(v.out.split('.')[0]) >= 7, `npm ${v.out.trim()} is too old for pack --pack-destination`);
  const tmp = mkdtempSync(join(tmpdir(), 'ntk-pack-'));
  try {
    // the tarball (the build is already done: npm test builds first)
    const p = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], ROOT);
    assert.equal(p.code, 0, p.err);
    const info = JSON.parse(p.out)[0] as { filename: string; files: { path: string }[] };
    const files = info.files.map((f) => f.path);
    for (const f of ['build/ntk.wasm', 'build/ntk-single.wasm', 'build/ntk-relaxed.wasm', 'build/ntk-relaxed4.wasm', 'dist/src/cli/main.js', 'dist/src/index.js', 'dist/src/node.js', 'dist/src/index.d.ts',
      'dist/bindings/worker-node.js', 'dist/bindings/worker-browser.js', 'package.json', 'README.md'])
      assert.ok(files.includes(f), `the tarball ships ${f}`);
    const stray = files.filter((f) => /^(test|bench|assembly|src|bindings)\/|^dist\/(test|bench)\/|\.ts$(?<!\.d\.ts)|\.map$/.test(f));
    assert.deepEqual(stray, [], 'no tests, benchmarks, sources or source maps');
    assert.ok(files.length < 300, `${files.length} files`); // compiled modules only (433 before 'files' was declared)

    // an empty project, production dependencies only (from the npm cache where it has them)
    const app = join(tmp, 'app');
    run('mkdir', ['-p', app], tmp);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'ntk-try', version: '1.0.0', private: true, type: 'module' }));
    const inst = npm(['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', join(tmp, info.filename)], app);
    assert.equal(inst.code, 0, inst.err);
    const installed = readdirSync(join(app, 'node_modules'));
    for (const dev of ['typescript', 'assemblyscript', '@as-pect', 'typedoc', 'esbuild', 'ajv', 'playwright-core']) assert.ok(!installed.includes(dev), `${dev} not installed`);

    // the CLI, as `npx ntk ...`
    const cli = npm(['exec', '--offline', '--', 'ntk', 'attack', '--train', '100', '--test', '20', '--eps', '0.1', '--method', 'fgsm', '--curve', 'none', '--out', 'run', '-q'], app);
    assert.equal(cli.code, 0, cli.err);
    assert.match(cli.out, /report: run\/report\.html/);
    const rep = JSON.parse(readFileSync(join(app, 'run', 'report.json'), 'utf8'));
    assert.ok(rep.cleanAccuracy > 0.5, `clean accuracy ${rep.cleanAccuracy}`);
    assert.ok(existsSync(join(app, 'run', 'report.html')));
    const png = decode(readFileSync(join(app, 'run', 'eps-curve.png')));
    assert.ok(png.width > 400 && png.height > 300);

    // the library from Node: a kernel, a chart rendered with the packaged font
    writeFileSync(join(app, 'use.mjs'), `
      import { arch, matrix, lineChart, renderPng } from 'ntk-robustness/node';
      const X = matrix(Float64Array.from({ length: 12 }, (_, i) => Math.sin(i)), 3, 4);
      const K = arch('fc1').kernelFn(X).ntk;
      const png = await renderPng(lineChart([{ label: 'diag', x: [0, 1, 2], y: [0, 1, 2].map((i) => K.data[i * 4]) }]));
      console.log(JSON.stringify({ rows: K.rows, sym: K.data[1] === K.data[3], png: png.length }));`);
    const use = run(process.execPath, ['use.mjs'], app);
    assert.equal(use.code, 0, use.err + use.out);
    const u = JSON.parse(use.out);
    assert.equal(u.rows, 3); assert.equal(u.sym, true); assert.ok(u.png > 1000);

    // the browser entry, bundled for browsers
    writeFileSync(join(app, 'web.js'), `import { lineChart, arch, init } from 'ntk-robustness';\nconsole.log(lineChart, arch, init);\n`);
    const esbuild = join(ROOT, 'node_modules', '.bin', 'esbuild');
    const b = run(esbuild, ['web.js', '--bundle', '--platform=browser', '--format=esm', '--outfile=web.bundle.js', '--log-level=warning'], app);
    assert.equal(b.code, 0, b.err);
    const bundle = readFileSync(join(app, 'web.bundle.js'), 'utf8');
    assert.doesNotMatch(bundle, /from\s*["']node:/, 'no Node built-ins in the browser bundle');
    assert.ok(!bundle.includes('resvg'), 'the Node renderer stays out of the browser bundle');
  } finally {
    rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  }
});
