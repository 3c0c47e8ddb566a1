// Builds the interactive attack page into a static folder: esbuild bundles the UI (main.ts),
// the engine's Web Worker (worker.ts), the pool's worker and the cross-origin-isolation
// service worker (coi-sw.ts); the wasm builds are copied; compact data subsets (the first
// TRAIN training and TEST test images, uint8) are written as binary assets so the page needs
// no server computation and no 55 MB download: MNIST from the bundled IDX files, and the
// binary CIFAR-10 airplane/automobile set when ../shared/data (or NTK_CIFAR_DIR) holds it.
// datasets.json lists them, or says why one is unavailable.
// Usage: node demo/build.mjs [outDir]   (after `npm run build`, which makes build/*.wasm)
import { build as esbuild } from 'esbuild';
import { mkdirSync, copyFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
export const TRAIN = 1000, TEST = 100;
const MAGIC = 0x4e544b44; // 'NTKD'

/** Header (7 uint32: magic, nTrain, nTest, H, W, C, classes), then train pixels, train labels, test pixels, test labels (uint8). */
export function encodeSubset(train, test) {
  const d = train.shape[0] * train.shape[1] * train.shape[2];
  const out = new Uint8Array(28 + (train.n + test.n) * (d + 1));
  new Uint32Array(out.buffer, 0, 7).set([MAGIC, train.n, test.n, ...train.shape, train.classes]);
  let o = 28;
  for (const s of [train, test]) {
    for (let i = 0; i < s.n * d; i++) out[o + i] = Math.round(s.x[i] * 255);
    o += s.n * d;
    out.set(Uint8Array.from(s.y), o);
    o += s.n;
  }
  return out;
}

/** Writes the data subsets and datasets.json into outDir; returns the manifest. */
export async function writeDatasets(outDir) {
  const node = await import(pathToFileURL(join(ROOT, 'dist/src/node.js')).href);
  const take = (ds, n) => ({ ...ds, n, x: ds.x.subarray(0, n * ds.x.length / ds.n), y: ds.y.subarray(0, n) });
  const datasets = [];
  const mnist = encodeSubset(take(node.loadMnist('train'), TRAIN), take(node.loadMnist('test'), TEST));
  writeFileSync(join(outDir, 'mnist.bin'), mnist);
  datasets.push({ id: 'mnist', title: 'MNIST digits', file: 'mnist.bin', bytes: mnist.length, classNames: [...'0123456789'], epsScale: 1 });
  const cifar = { id: 'cifar2', title: 'CIFAR-10 airplane vs automobile', classNames: ['airplane', 'automobile'], epsScale: 255 };
  try {
    const first = (split, n) => {
      const bytes = node.readCifarBytes(node.cifar2Files(split), `cifar2-${split}`);
      const part = node.parseCifar(bytes, `cifar2-${split}`, { indices: Int32Array.from({ length: n }, (_, i) => i) });
      return { ...part, shape: [32, 32, 3], classes: 2 };
    };
    const bin = encodeSubset(first('train', TRAIN), first('test', TEST));
    writeFileSync(join(outDir, 'cifar2.bin'), bin);
    datasets.push({ ...cifar, file: 'cifar2.bin', bytes: bin.length });
  } catch (e) {
    // the page offers the choice disabled, with this reason
    datasets.push({ ...cifar, unavailable: `not in this build: ${e.message}` });
  }
  writeFileSync(join(outDir, 'datasets.json'), JSON.stringify(datasets) + '\n');
  return datasets;
}

export async function buildDemo(outDir = join(HERE, 'dist')) {
  for (const w of ['ntk.wasm', 'ntk-relaxed.wasm', 'ntk-single.wasm'])
    if (!existsSync(join(ROOT, 'build', w))) throw new Error(`build/${w} is missing: run \`npm run build\` first`);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await esbuild({
    entryPoints: { main: join(HERE, 'main.ts'), worker: join(HERE, 'worker.ts'), 'pool-worker': join(ROOT, 'bindings/worker-browser.ts'), 'coi-sw': join(HERE, 'coi-sw.ts') },
    bundle: true, format: 'esm', target: 'es2022', outdir: outDir, minify: true, sourcemap: true, logLevel: 'warning',
    // the wasm URLs are passed explicitly; the loader's default new URL(...) paths stay unused
  });
  copyFileSync(join(HERE, 'index.html'), join(outDir, 'index.html'));
  for (const w of ['ntk.wasm', 'ntk-relaxed.wasm', 'ntk-single.wasm']) copyFileSync(join(ROOT, 'build', w), join(outDir, w));
  await writeDatasets(outDir);
  return outDir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildDemo(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.log(`demo built in ${out} (serve it with COOP/COEP for threads: npm run demo; on a static host without them coi-sw.js isolates the page after one reload)`);
}
