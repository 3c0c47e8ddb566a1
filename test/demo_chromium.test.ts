// The interactive attack page (demo/) in headless Chromium, driven by playwright-core: build
// it with esbuild, serve it, build machines in the page's worker, and read what it shows.
// - cross-origin isolated by the server's headers (2 threads): MNIST fc1 on 200 images,
//   attack test image 0 at eps 0.2 (the prediction flips; clean and adversarial scores equal
//   the Node library's), the eigen-features' usefulness/robustness scatter (numbers equal
//   src/features' on the same inputs; a click shows a feature's gradient picture, whose norm
//   equals memberGradients'), then binary CIFAR airplane/automobile (when ../shared/data has
//   it): fc1 on 200 images, test image 2 flips at 8/255, scores equal the library's;
// - no headers, but the page's cross-origin-isolation service worker: threads after one reload
//   (and ?coi=0 then drops it: one thread);
// - not isolated (?coi=0): one thread, same MNIST attack numbers.
// Screenshots go to test-artifacts/. Skipped when no Chromium is installed (.ci/run installs Debian's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  loadMnist, arch, kernelOps, fitKernelMachine, kernelMachineModel, fgsm, decisions, eigenFeatures, attackMembers, featureStats, memberGradients,
  readCifarBytes, cifar2Files, parseCifar, type Matrix,
} from '../src/node.js';
import { pickOutputs, majorityShare } from '../src/features/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts');
const N_TRAIN = 200, PICK = 0, EPS = 0.2, FEATURES = 32;
const CIFAR_PICK = 2, CIFAR_EPS = 8 / 255;

function findChromium(): string | null {
  for (const c of [process.env.CHROME_BIN, '/usr/bin/chromium', 'chromium', 'chromium-browser', 'google-chrome']) {
    if (c && spawnSync(c, ['--version'], { encoding: 'utf8' }).status === 0) return c;
  }
  return null;
}

const rows = (x: Float64Array, lo: number, hi: number, d: number): Matrix<Float64Array> => ({ data: x.slice(lo * d, hi * d), rows: hi - lo, cols: d });

const labelsOf = (n: number) => loadMnist('test').y.slice(0, n);

/** The Node library on the page's inputs: MNIST fc1 machine, its FGSM at EPS, its eigen-features' stats on the shipped test images. */
function mnistReference(testImages: number) {
  const train = loadMnist('train'), testSet = loadMnist('test'), d = 784, k = 10;
  const X = rows(train.x, 0, N_TRAIN, d);
  const Y = { data: new Float64Array(N_TRAIN * k), rows: N_TRAIN, cols: k };
  for (let i = 0; i < N_TRAIN; i++) Y.data[i * k + train.y[i]] = 1;
  const kernel = kernelOps(arch('fc1'), [28, 28, 1]);
  const model = kernelMachineModel(fitKernelMachine(kernel, X, Y));
  const x = rows(testSet.x, PICK, PICK + 1, d);
  const adv = fgsm(model, x, Int32Array.of(testSet.y[PICK]), { eps: EPS });
  const fs = eigenFeatures(kernel, X, Y, { indices: Array.from({ length: FEATURES }, (_, i) => i), method: 'lanczos' });
  const T = rows(testSet.x, 0, testImages, d), labels = testSet.y.slice(0, testImages);
  const stats = featureStats(fs, attackMembers(fs, Array.from({ length: FEATURES }, (_, p) => [p]), T, labels, { eps: EPS }), labels);
  /** |grad_x f_i(x)| for the label's output, on test image `index`. */
  const gradNorm = (feature: number, index: number) => {
    const g = memberGradients(fs, [[fs.indices.indexOf(feature)]], rows(testSet.x, index, index + 1, d), pickOutputs(k, Int32Array.of(testSet.y[index]))).members[0].data;
    return Math.sqrt(g.reduce((s, v) => s + v * v, 0));
  };
  return { label: testSet.y[PICK], clean: [...model.forward(x).data], adv: [...model.forward(adv).data], stats, gradNorm };
}

/** Binary CIFAR airplane (-1) / automobile (+1) like the page: the first N_TRAIN training images, FGSM at 8/255 on test image CIFAR_PICK. */
function cifarReference() {
  const first = (split: 'train' | 'test', n: number) => parseCifar(readCifarBytes(cifar2Files(split)), `cifar2-${split}`, { indices: Int32Array.from({ length: n }, (_, i) => i) });
  const tr = first('train', N_TRAIN), te = first('test', CIFAR_PICK + 1), d = 3072;
  const model = kernelMachineModel(fitKernelMachine(kernelOps(arch('fc1'), [32, 32, 3]), { data: tr.x, rows: N_TRAIN, cols: d }, { data: Float64Array.from(tr.y, (c) => 2 * c - 1), rows: N_TRAIN, cols: 1 }));
  const x = rows(te.x, CIFAR_PICK, CIFAR_PICK + 1, d), y = 2 * te.y[CIFAR_PICK] - 1;
  const adv = fgsm(model, x, Int32Array.of(y), { eps: CIFAR_EPS });
  return { label: te.y[CIFAR_PICK], clean: [...model.forward(x).data], adv: [...model.forward(adv).data] };
}

function close(got: number[], want: number[], what: string, rel = 1e-6) {
  assert.equal(got.length, want.length, `${what}: length`);
  const scale = Math.max(1e-300, ...want.map(Math.abs));
  got.forEach((v, c) => assert.ok(Math.abs(v - want[c]) <= rel * scale, `${what} [${c}]: page ${v}, Node ${want[c]}`));
}

/** Helpers on one page: wait for a status, set eps, attack and read the scores. */
function driver(page: Page, problems: string[], log: (s: string) => void) {
  let t0 = performance.now();
  const state = (s: string, timeout = 120_000) => page.waitForSelector(`#status[data-state="${s}"]`, { timeout }).then(() => {
    log(`'${s}' after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    t0 = performance.now();
  }, async (e) => {
    throw new Error(`page never reached '${s}': status '${await page.textContent('#status-text').catch(() => '?')}'; ${problems.join('; ')}; ${(e as Error).message}`);
  });
  const fit = async (a: string, n: number) => {
    await page.selectOption('#arch', a);
    await page.selectOption('#ntrain', String(n));
    await page.click('#fit');
    await state('fitted');
  };
  const attack = async (index: number, sliderValue: string) => {
    await page.click(`#grid figure[data-index="${index}"]`);
    await page.$eval('#eps', (el, v) => { (el as HTMLInputElement).value = v; el.dispatchEvent(new Event('input')); }, sliderValue);
    await page.click('#attack');
    await state('attacked');
    const read = async (id: string) => JSON.parse((await page.getAttribute(id, 'data-scores'))!) as number[];
    return {
      clean: await read('#clean-scores'), adv: await read('#adv-scores'),
      cleanPred: Number(await page.getAttribute('#clean-pred', 'data-pred')), advPred: Number(await page.getAttribute('#adv-pred', 'data-pred')),
    };
  };
  return { state, fit, attack };
}

test('demo page: MNIST and CIFAR attacks, the eigen-feature scatter, threads by headers / service worker / none, in headless Chromium', { timeout: 900_000 }, async (t) => {
  const chrome = findChromium();
  if (!chrome) { t.skip('no chromium on this machine (apt-get install chromium)'); return; }
  const demoDir = join(ROOT, 'demo');
  const { buildDemo, writeDatasets, TEST } = await import(pathToFileURL(join(demoDir, 'build.mjs')).href);
  const { serveDir } = await import(pathToFileURL(join(demoDir, 'serve.mjs')).href);
  const out = mkdtempSync(join(tmpdir(), 'ntk-demo-'));
  const ref = mnistReference(TEST);
  assert.equal(decisions({ data: Float64Array.from(ref.clean), rows: 1, cols: 10 })[0], ref.label, 'the reference machine classifies the picked image correctly');
  let browser: Browser | null = null;
  try {
    await buildDemo(out);
    const manifest = JSON.parse(readFileSync(join(out, 'datasets.json'), 'utf8')) as { id: string; file?: string; unavailable?: string }[];
    const cifar = manifest.find((m) => m.id === 'cifar2')!;
    if (!cifar.file) t.diagnostic(`CIFAR part skipped: ${cifar.unavailable}`);
    browser = await chromium.launch({ executablePath: chrome, headless: true, args: ['--no-sandbox'] });
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const mode of ['headers', 'service worker', 'none'] as const) {
      if (mode === 'none') {
        // the last page is built as without the CIFAR files: the choice must say why it is unavailable
        const empty = mkdtempSync(join(tmpdir(), 'ntk-no-cifar-')), saved = process.env.NTK_CIFAR_DIR;
        process.env.NTK_CIFAR_DIR = empty;
        try { rmSync(join(out, 'cifar2.bin'), { force: true }); await writeDatasets(out); } finally {
          if (saved === undefined) delete process.env.NTK_CIFAR_DIR; else process.env.NTK_CIFAR_DIR = saved;
          rmSync(empty, { recursive: true, force: true });
        }
      }
      const server: Server = await serveDir(out, { isolate: mode === 'headers' });
      const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
      const problems: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      const { state, fit, attack } = driver(page, problems, (s) => t.diagnostic(`${mode}: ${s}`));
      try {
        const port = (server.address() as { port: number }).port;
        await page.goto(`http://127.0.0.1:${port}/?threads=2${mode === 'none' ? '&coi=0' : ''}`);
        await state('ready');
        assert.equal(await page.getAttribute('#engine', 'data-threads'), mode === 'none' ? '1' : '2', `${mode}: threads only when cross-origin isolated`);
        assert.equal(await page.getAttribute('#engine', 'data-isolation'), mode, `${mode}: how the page is isolated`);
        if (mode === 'service worker') {
          // ?coi=0 drops the service worker again: one plain reload, one thread
          await page.goto(`http://127.0.0.1:${port}/?threads=2&coi=0`);
          await page.waitForSelector('#engine[data-isolation="none"]', { timeout: 60_000 });
          assert.equal(await page.getAttribute('#engine', 'data-threads'), '1', '?coi=0 after the service worker: one thread');
          assert.deepEqual(problems, []);
          continue;
        }
        if (mode === 'none') {
          const opt = await page.$eval('#dataset option[value="cifar2"]', (o) => ({ disabled: (o as HTMLOptionElement).disabled, text: o.textContent! }));
          const note = (await page.textContent('#dataset-note'))!;
          assert.ok(opt.disabled && /unavailable/.test(opt.text), `the CIFAR choice is disabled: ${opt.text}`);
          assert.match(note, /CIFAR.*unavailable.*train\.bin.*not found.*NTK_CIFAR_DIR/, 'and the page says why');
        }
        await fit('fc1', N_TRAIN);
        const r = await attack(PICK, String(EPS));
        assert.equal(r.cleanPred, ref.label, `${mode}: clean prediction`);
        assert.notEqual(r.advPred, r.cleanPred, `${mode}: the attack flips image ${PICK} at eps ${EPS}`);
        close(r.clean, ref.clean, `${mode}: clean scores`);
        close(r.adv, ref.adv, `${mode}: adversarial scores`);
        assert.ok(await page.$$eval('#curve svg path', (p) => p.length) > 0, 'the eps curve is drawn');
        assert.equal(await page.$$eval('#features canvas', (c) => c.length), 4, 'four eigen-feature gradients');
        if (mode === 'headers') {
          // the eigen-features' scatter: the same numbers as src/features on the same inputs
          await page.click('#features-run');
          await state('features');
          const stats = JSON.parse((await page.getAttribute('#scatter', 'data-stats'))!) as { index: number; eigenvalue: number; usefulness: number; robustness: number }[];
          assert.deepEqual(stats.map((s) => s.index), ref.stats.map((s) => s.index), 'the same features');
          assert.deepEqual(stats.map((s) => s.usefulness), ref.stats.map((s) => s.usefulness), 'usefulness equals the library\'s');
          assert.deepEqual(stats.map((s) => s.robustness), ref.stats.map((s) => s.robustness), 'robustness equals the library\'s');
          close(stats.map((s) => s.eigenvalue), ref.stats.map((s) => s.eigenvalue), 'eigenvalues');
          assert.ok(stats.some((s) => s.usefulness >= majorityShare(labelsOf(TEST)) + 0.05), 'some feature beats the majority-class guess');
          const points = await page.$$('#scatter svg .mark-symbol path');
          assert.equal(points.length, FEATURES, 'one point per feature');
          await points[FEATURES - 1].click();
          await state('feature-picture');
          const pic = await page.$eval('#feature-picture canvas', (c) => ({ ...(c as HTMLCanvasElement).dataset }));
          assert.equal(Number(pic.index), PICK, 'the picture is of the picked image');
          close([Number(pic.norm)], [ref.gradNorm(Number(pic.feature), PICK)], `gradient of feature ${pic.feature}`);
        }
        assert.deepEqual(problems, []);
        await page.mouse.move(0, 0); // no tooltip in the screenshot
        await page.screenshot({ path: join(ARTIFACTS, `demo-${mode === 'headers' ? 'isolated' : 'single'}.png`), fullPage: true });
        if (mode === 'headers' && cifar.file) {
          const cref = cifarReference();
          await page.selectOption('#dataset', 'cifar2');
          await page.waitForSelector('#grid[data-dataset="cifar2"]', { timeout: 60_000 });
          await state('ready');
          await fit('fc1', N_TRAIN);
          const c = await attack(CIFAR_PICK, '8');
          assert.equal(await page.textContent('#eps-value'), '8/255', 'CIFAR budgets in /255 units');
          assert.equal(c.cleanPred, cref.label, 'CIFAR: clean prediction');
          assert.notEqual(c.advPred, c.cleanPred, `CIFAR: the attack flips image ${CIFAR_PICK} at 8/255`);
          close(c.clean, cref.clean, 'CIFAR clean score');
          close(c.adv, cref.adv, 'CIFAR adversarial score');
          assert.match((await page.textContent('#clean-pred'))!, /automobile|airplane/, 'class names shown');
          await page.click('#features-run');
          await state('features');
          await (await page.$$('#scatter svg .mark-symbol path'))[0].click();
          await state('feature-picture');
          assert.deepEqual(problems, []);
          await page.mouse.move(0, 0);
          await page.screenshot({ path: join(ARTIFACTS, 'demo-cifar.png'), fullPage: true });
        }
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
