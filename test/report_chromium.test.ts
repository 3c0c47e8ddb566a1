// Figures and reports as a reader sees them, in headless Chromium (playwright-core driving the
// system browser): report.html with every chart kind opens from file:// with no console error
// and no failed request, every figure has a size; a screenshot is kept in test-artifacts/. The
// same specs rendered in the page by vega-embed draw as many marks as the Node renderer.
// Skipped when no Chromium is installed (apt-get install chromium).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderSvg, writeReport, imageGrid, type ChartSpec } from '../src/node.js';
import { sampleCharts } from './charts_fixtures.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts');

function findChromium(): string | null {
  for (const c of [process.env.CHROME_BIN, '/usr/bin/chromium', 'chromium', 'chromium-browser', 'google-chrome']) {
    if (c && spawnSync(c, ['--version'], { encoding: 'utf8' }).status === 0) return c;
  }
  return null;
}

async function openPage(browser: Browser, url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  await page.goto(url, { waitUntil: 'load' });
  return { page, problems };
}

/** Data marks per kind in a vega SVG string (children of the role-mark groups). */
function countMarks(svg: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of svg.matchAll(/<g class="mark-(symbol|line|rect|area) role-mark[^"]*"[^>]*>(.*?)<\/g>/gs)) out[m[1]] = (out[m[1]] ?? 0) + (m[2].match(/<path/g) ?? []).length;
  return out;
}

test('report.html and vega-embed pages in headless Chromium', async (t) => {
  const exe = findChromium();
  if (!exe) { t.skip('no chromium on this machine'); return; }
  const charts = sampleCharts();
  const svgs: Record<string, string> = {};
  for (const [k, s] of Object.entries(charts)) svgs[k] = await renderSvg(s);
  const dir = mkdtempSync(join(tmpdir(), 'ntk-report-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: exe, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    await t.test('report.html opens offline without console errors', async () => {
      const digits = Array.from({ length: 6 }, (_, i) => Float64Array.from({ length: 64 }, (_, p) => ((p * (i + 3)) % 17) / 16));
      const grid = await imageGrid({ images: digits, shape: [8, 8], cols: 3, scale: 8, headers: ['clean', 'perturbation', 'adversarial'], captions: digits.map((_, i) => `p=${i}`), title: 'Examples' });
      const path = writeReport(dir, {
        title: 'Every chart kind', command: 'ntk test', summary: ['one figure of each kind'],
        figures: [...Object.entries(svgs).map(([k, svg]) => ({ title: k, svg, caption: `the ${k} chart` })), { title: 'grid', png: grid }],
        tables: [{ title: 'numbers', columns: ['a', 'b'], rows: [[1, 2.5], ['x', null]] }], settings: { eps: 0.1 }, data: { dataset: 'none' }, timings: { total: 1.5 },
      });
      const { page, problems } = await openPage(browser, pathToFileURL(path).href);
      const sizes = await page.$$eval('figure .svg svg, figure img', (els) => els.map((e) => { const r = e.getBoundingClientRect(); return [r.width, r.height]; }));
      assert.equal(sizes.length, Object.keys(svgs).length + 1);
      for (const [w, h] of sizes) assert.ok(w > 100 && h > 50, `figure drawn at ${w} x ${h}`);
      // the inline SVGs keep their marks in the DOM (e.g. 60 scatter points)
      const scatterPoints = await page.$$eval('figure:nth-of-type(2) g.mark-symbol.role-mark > path', (els) => els.length);
      assert.equal(scatterPoints, 60);
      await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
      assert.deepEqual(problems, []);
    });

    await t.test('vega-embed draws the same specs with the same marks as the Node renderer', async () => {
      const nm = (p: string) => pathToFileURL(join(ROOT, 'node_modules', p)).href;
      writeFileSync(join(dir, 'embed.html'), `<!doctype html><html><head><meta charset="utf-8">
<script src="${nm('vega/build/vega.min.js')}"></script><script src="${nm('vega-lite/build/vega-lite.min.js')}"></script>
<script src="${nm('vega-embed/build/vega-embed.min.js')}"></script></head><body>
${Object.keys(charts).map((k) => `<div id="${k}"></div>`).join('')}
<script>const SPECS = ${JSON.stringify(charts)};
Promise.all(Object.entries(SPECS).map(([k, s]) => vegaEmbed('#' + k, s, { renderer: 'svg', actions: false })))
  .then(() => { window.DONE = true; }, (e) => { window.DONE = String(e); });</script></body></html>`);
      const { page, problems } = await openPage(browser, pathToFileURL(join(dir, 'embed.html')).href);
      await page.waitForFunction(() => (window as unknown as { DONE?: unknown }).DONE !== undefined, null, { timeout: 60_000 });
      assert.equal(await page.evaluate(() => (window as unknown as { DONE: unknown }).DONE), true);
      for (const k of Object.keys(charts)) {
        const inPage = await page.$eval(`#${k} svg`, (e) => e.outerHTML);
        assert.deepEqual(countMarks(inPage), countMarks(svgs[k]), `${k}: marks in the browser vs Node`);
        assert.ok(Object.values(countMarks(inPage)).reduce((a, b) => a + b, 0) > 0, `${k} has marks`);
      }
      await page.screenshot({ path: join(ARTIFACTS, 'vega-embed.png'), fullPage: true });
      assert.deepEqual(problems, []);
    });
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

export type { ChartSpec };
