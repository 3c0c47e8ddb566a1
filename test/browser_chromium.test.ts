// The browser module in a real browser: headless Chromium loads test/browser/pool.html from
// a local server that sends COOP/COEP (so SharedArrayBuffer exists); the page runs the
// checks on its main thread (single-threaded engine) and in a module Worker (Web Worker
// pool, 2 threads). Skipped when no Chromium is installed (apt-get install chromium).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { extname, join, normalize, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function findChromium(): string | null {
  for (const c of [process.env.CHROME_BIN, 'chromium', 'chromium-browser', 'google-chrome']) {
    if (c && spawnSync(c, ['--version'], { encoding: 'utf8' }).status === 0) return c;
  }
  return null;
}

/** Entry file of an installed package (ESM "exports"/"module"/"main"), as a URL path. */
function packageEntry(name: string): string {
  const dir = join('node_modules', name);
  const pkg = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8'));
  let e = pkg.exports?.['.'] ?? pkg.exports;
  while (e && typeof e === 'object') e = e.browser ?? e.import ?? e.default;
  const entry = typeof e === 'string' ? e : pkg.module ?? pkg.main ?? 'index.js';
  return '/' + join(dir, entry).replaceAll('\\', '/');
}

// Browsers cannot resolve bare specifiers (a bundler or import map would); rewrite them.
// Only statements at the start of a line: a specifier quoted inside a message stays as is.
const bare = (src: string) => src.replace(/^((?:import|export)\b[^'"]*?\bfrom\s*)(['"])([^./'"][^'"]*)\2/gm, (all, pre, q, spec) =>
  spec.startsWith('node:') ? all : `${pre}${q}${packageEntry(spec)}${q}`);

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.map': 'application/json' };

test('browser: Web Worker pool and main-thread engine in headless Chromium', async (t) => {
  const chrome = findChromium();
  if (!chrome) { t.skip('no chromium on this machine'); return; }
  let resolveResult!: (v: unknown) => void;
  const result = new Promise((r) => { resolveResult = r; });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'POST' && req.url === '/result') {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => { res.end('ok'); resolveResult(JSON.parse(body)); });
      return;
    }
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]));
    const file = join(ROOT, path.startsWith('/test/browser/') ? path : path.replace(/^\/+/, ''));
    if (!file.startsWith(ROOT) || !existsSync(file)) { res.writeHead(404); res.end(); return; }
    const ext = extname(file);
    let body: string | Buffer;
    try {
      body = ext === '.js' ? bare(readFileSync(file, 'utf8')) : readFileSync(file);
    } catch (e) {
      res.writeHead(500); res.end(); resolveResult({ error: `serving ${path}: ${(e as Error).message}` }); return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[ext] ?? 'application/octet-stream',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const profile = mkdtempSync(join(tmpdir(), 'ntk-chrome-'));
  const proc = spawn(chrome, ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`,
    `http://127.0.0.1:${port}/test/browser/pool.html`], { stdio: 'ignore', detached: true });
  try {
    const timeout = new Promise((_, rej) => setTimeout(() => rej(new Error('no result from the page within 120 s')), 120_000).unref());
    const r = await Promise.race([result, timeout]) as { error?: string; main: any; worker: any };
    assert.equal(r.error, undefined, r.error);
    const { main, worker } = r;
    if (process.env.NTK_DEBUG_BROWSER) console.log(JSON.stringify({ ...r, main: { ...main, gemm: 0, kernel: 0 }, worker: { ...worker, gemm: 0, kernel: 0 } }));
    assert.equal(worker.crossOriginIsolated, true);
    assert.equal(worker.threads, 2, 'the worker runs the 2-thread pool');
    assert.equal(main.threads, 1, 'a page main thread may not block, so it runs single-threaded');
    // Chromium 114+ has relaxed SIMD: both pick the FMA build there, by the probe
    console.log(`# Chromium: relaxed SIMD ${worker.relaxedProbe}, builds main ${main.build}, worker ${worker.build}`);
    for (const o of [main, worker]) assert.equal(o.build, o.relaxedProbe ? 'relaxed' : 'simd');
    for (const [who, o] of [['main', main], ['worker', worker]] as const) {
      assert.ok(o.gemmRelErr < 1e-14, `${who} gemm f64 error ${o.gemmRelErr}`);
      assert.ok(o.gemmF32RelErr < 1e-5, `${who} gemm f32 error ${o.gemmF32RelErr}`);
      assert.ok(o.solveResidual < 1e-10, `${who} choSolve residual ${o.solveResidual}`);
      assert.ok(o.eighResidual < 1e-12, `${who} eigh residual ${o.eighResidual}`);
    }
    // the pool splits work over tiles that each sum in the same order: bit-identical
    assert.deepEqual(worker.gemm, main.gemm);
    assert.deepEqual(worker.kernel, main.kernel);
    // nested pool workers that crash or stop waking up (test/browser/faults.js)
    const { faults } = worker;
    console.log(`# browser pool faults: ${JSON.stringify(faults)}`);
    assert.equal(faults.threads, 3);
    assert.equal(faults.crash.name, 'WorkerExitError', faults.crash.message);
    assert.equal(faults.crash.tid, 1);
    assert.match(faults.crash.message, /worker 1 exited \(exit code -1: Error: worker 1 crashed \(injected fault\)\) while running wasm kernel 'pool_probe_task'/);
    assert.ok(faults.crash.after, 'calls after the crash run every task');
    assert.ok(faults.stall.completed, 'the call the stalled worker missed completed');
    assert.equal(faults.stall.error?.name, 'WorkerStalledError', faults.stall.error?.message);
    assert.equal(faults.stall.error.tid, 2);
    assert.ok(faults.stall.after, 'after the stalled worker is retired the others run every task');
  } finally {
    const exited = new Promise((r) => proc.once('exit', r));
    try { process.kill(-proc.pid!, 'SIGKILL'); } catch { proc.kill('SIGKILL'); } // its helper processes too
    await exited;
    server.close();
    rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
  }
});
