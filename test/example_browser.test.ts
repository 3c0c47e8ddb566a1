// examples/browser (what a user copies to bundle the package into a web app) must keep
// building and working: copy it next to a node_modules that links this package (what
// `npm install` of its file:../.. dependency makes), bundle it with its own build.mjs, open it
// in headless Chromium and read the result the page computed. The build runs even without
// Chromium; only the page check is skipped then.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function findChromium(): string | null {
  for (const c of [process.env.CHROME_BIN, '/usr/bin/chromium', 'chromium', 'chromium-browser', 'google-chrome']) {
    if (c && spawnSync(c, ['--version'], { encoding: 'utf8' }).status === 0) return c;
  }
  return null;
}

test('examples/browser: bundles with esbuild and fits + attacks in Chromium', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ntk-example-'));
  try {
    const app = join(dir, 'app');
    cpSync(join(ROOT, 'examples/browser'), app, { recursive: true, filter: (p) => !/[/\\](dist|node_modules)$/.test(p) });
    mkdirSync(join(app, 'node_modules'));
    symlinkSync(ROOT, join(app, 'node_modules/ntk-robustness'), 'dir');
    symlinkSync(join(ROOT, 'node_modules/esbuild'), join(app, 'node_modules/esbuild'), 'dir');
    const { buildExample } = await import(pathToFileURL(join(app, 'build.mjs')).href);
    const out = await buildExample();
    for (const f of ['index.html', 'main.js', 'ntk-worker.js', 'ntk.wasm', 'ntk-relaxed.wasm', 'ntk-single.wasm']) assert.ok(existsSync(join(out, f)), `built ${f}`);
    const chrome = findChromium();
    if (!chrome) { t.skip('built; no chromium on this machine to open it (apt-get install chromium)'); return; }
    const { serveDir } = await import(pathToFileURL(join(ROOT, 'demo/serve.mjs')).href);
    const server: Server = await serveDir(out);
    const browser = await chromium.launch({ executablePath: chrome, headless: true, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
      await page.waitForFunction(() => document.getElementById('out')!.textContent !== 'computing…', null, { timeout: 60_000 })
        .catch((e) => { throw new Error(`no result from the page: ${problems.join('; ')}; ${e.message}`); });
      const text = (await page.textContent('#out'))!;
      const m = /clean accuracy (\d+)%, under FGSM eps 0.3: (\d+)%/.exec(text);
      assert.ok(m, `page says: ${text}; ${problems.join('; ')}`);
      assert.equal(m[1], '100', 'the machine interpolates its separable training set');
      assert.ok(Number(m[2]) < 100, `FGSM at eps 0.3 breaks some points: ${text}`);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await new Promise((r) => server.close(r));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
