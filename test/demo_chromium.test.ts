// The interactive attack page (demo/) in headless Chromium, driven by playwright-core: build
// it with esbuild, serve it, build an fc1 machine on 200 MNIST images in the page's worker,
// pick a test image, attack at eps 0.2 and read the predictions and class scores from the
// DOM. They must equal the Node library's for the same inputs, and the prediction must flip.
// Runs cross-origin isolated (2 threads) and not (single thread). Screenshots go to
// test-artifacts/. Skipped when no Chromium is installed (.ci/run installs Debian's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { loadMnist, arch, kernelOps, fitKernelMachine, kernelMachineModel, fgsm, decisions } from '../src/node.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts');
const N_TRAIN = 200, PICK = 0, EPS = 0.2;

function findChromium(): string | null {
  for (const c of [process.env.CHROME_BIN, '/usr/bin/chromium', 'chromium', 'chromium-browser', 'google-chrome']) {
    if (c && spawnSync(c, ['--version'], { encoding: 'utf8' }).status === 0) return c;
  }
  return null;
}

/** The Node library on the same inputs: the page's default attack is FGSM (cross-entropy, true label). */
function reference() {
  const train = loadMnist('train'), testSet = loadMnist('test'), d = 784, k = 10;
  const X = { data: train.x.slice(0, N_TRAIN * d), rows: N_TRAIN, cols: d };
  const Y = { data: new Float64Array(N_TRAIN * k), rows: N_TRAIN, cols: k };
  for (let i = 0; i < N_TRAIN; i++) Y.data[i * k + train.y[i]] = 1;
  const model = kernelMachineModel(fitKernelMachine(kernelOps(arch('fc1'), [28, 28, 1]), X, Y));
  const x = { data: testSet.x.slice(PICK * d, (PICK + 1) * d), rows: 1, cols: d };
  const adv = fgsm(model, x, Int32Array.of(testSet.y[PICK]), { eps: EPS });
  return { label: testSet.y[PICK], clean: [...model.forward(x).data], adv: [...model.forward(adv).data] };
}

test('demo page: build, fit in a worker, attack at eps 0.2 in headless Chromium (isolated and not)', { timeout: 300_000 }, async (t) => {
  const chrome = findChromium();
  if (!chrome) { t.skip('no chromium on this machine (apt-get install chromium)'); return; }
  const demoDir = join(ROOT, 'demo');
  const { buildDemo } = await import(pathToFileURL(join(demoDir, 'build.mjs')).href);
  const { serveDir } = await import(pathToFileURL(join(demoDir, 'serve.mjs')).href);
  const out = mkdtempSync(join(tmpdir(), 'ntk-demo-'));
  const ref = reference();
  assert.equal(decisions({ data: Float64Array.from(ref.clean), rows: 1, cols: 10 })[0], ref.label, 'the reference machine classifies the picked image correctly');
  let browser: Browser | null = null;
  try {
    await buildDemo(out);
    browser = await chromium.launch({ executablePath: chrome, headless: true, args: ['--no-sandbox'] });
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const isolate of [true, false]) {
      const server: Server = await serveDir(out, { isolate });
      const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
      const problems: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      try {
        const port = (server.address() as { port: number }).port;
        await page.goto(`http://127.0.0.1:${port}/?threads=2`);
        const state = (s: string) => page.waitForSelector(`#status[data-state="${s}"]`, { timeout: 60_000 }).catch(async (e) => {
          throw new Error(`page never reached '${s}': status '${await page.textContent('#status-text')}'; ${problems.join('; ')}; ${e.message}`);
        });
        await state('ready');
        assert.equal(await page.getAttribute('#engine', 'data-threads'), isolate ? '2' : '1', 'threads only when cross-origin isolated');
        await page.selectOption('#arch', 'fc1');
        await page.selectOption('#ntrain', String(N_TRAIN));
        await page.click('#fit');
        await state('fitted');
        await page.click(`#grid figure[data-index="${PICK}"]`);
        await page.$eval('#eps', (el, v) => { (el as HTMLInputElement).value = v; el.dispatchEvent(new Event('input')); }, String(EPS));
        await page.click('#attack');
        await state('attacked');
        const read = async (id: string) => JSON.parse((await page.getAttribute(id, 'data-scores'))!) as number[];
        const clean = await read('#clean-scores'), adv = await read('#adv-scores');
        const cleanPred = Number(await page.getAttribute('#clean-pred', 'data-pred')), advPred = Number(await page.getAttribute('#adv-pred', 'data-pred'));
        const mode = isolate ? 'isolated' : 'not isolated';
        assert.equal(cleanPred, ref.label, `${mode}: clean prediction`);
        assert.notEqual(advPred, cleanPred, `${mode}: the attack flips image ${PICK} at eps ${EPS}`);
        for (const [what, got, want] of [['clean', clean, ref.clean], ['adversarial', adv, ref.adv]] as const) {
          assert.equal(got.length, 10);
          const scale = Math.max(...want.map(Math.abs));
          got.forEach((v, c) => assert.ok(Math.abs(v - want[c]) <= 1e-6 * scale, `${mode}: ${what} score of class ${c}: page ${v}, Node ${want[c]}`));
        }
        assert.ok(await page.$$eval('#curve svg path', (p) => p.length) > 0, 'the eps curve is drawn');
        assert.equal(await page.$$eval('#features canvas', (c) => c.length), 4, 'four eigen-feature gradients');
        assert.deepEqual(problems, []);
        await page.screenshot({ path: join(ARTIFACTS, `demo-${isolate ? 'isolated' : 'single'}.png`), fullPage: true });
      } finally {
        await page.close();
        await new Promise((r) => server.close(r));
      }
    }
  } finally {
    await browser?.close();
    rmSync(out, { recursive: true, force: true });
  }
});
