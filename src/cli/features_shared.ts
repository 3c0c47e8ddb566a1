// What `ntk features` and `ntk robust-kernel` share: the eigen flags, the memory check, the
// eigen-feature checkpoint (so a rerun into the same --out resumes after the Gram and the
// eigensolve with the same numbers), and the subset index files.
import { Command, Option } from 'commander';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eigenFeatures, eigenFeatureBytes, chooseEigenMethod, type EigenFeatures, type EigenMethod } from '../features/eigen_features.js';
import type { KernelOps } from '../machines/kernel_ops.js';
import { writeFileAtomic } from '../io/atomic.js';
import { readNpy, writeNpy } from '../io/npy-node.js';
import { targets } from '../experiments/attack_experiment.js';
import { number, choice } from './parse.js';
import { checkFits } from './limits.js';
import type { Task } from './data_options.js';
import { fmtBytes } from '../../bindings/heap.js';

export interface EigenCliOptions {
  eigen: EigenMethod;
  t: number;
  eta: number;
  ridge: number;
  resume: boolean;
}

export function addEigenOptions(cmd: Command): Command {
  return cmd
    .option('--eigen <method>', "eigensolver: 'lanczos' (leading pairs only, eighTop), 'full' (eigh, every pair), 'auto' (Lanczos up to min(300, n/4) leading pairs)", choice('--eigen', ['auto', 'lanczos', 'full'] as const), 'auto')
    .addOption(new Option('--t <time>', "training time; 'inf' = converged. Finite t weights feature i by (1 - e^{-eta t l_i / N}) / l_i").argParser(number('--t', { min: 0, allowInf: true })).default(Infinity, 'inf'))
    .option('--eta <lr>', 'learning rate of the gradient flow (finite --t only)', number('--eta', { min: 0 }), 1)
    .option('--ridge <lambda>', 'ridge added to the eigenvalues (and the Gram diagonal)', number('--ridge', { min: 0 }), 0)
    .option('--no-resume', 'ignore an eigen-feature checkpoint in --out (default: reuse one made with the same settings)');
}

/** Refuses sizes whose Gram (and eigenvectors) cannot fit in wasm32 memory. */
export function checkEigenFits(n: number, d: number, needed: number, method: EigenMethod, t = Infinity): void {
  // a finite t needs the whole spectrum for the machine's alpha even on the Lanczos path
  const m = Number.isFinite(t) ? 'full' : chooseEigenMethod(method, needed, n);
  checkFits('--train', n, (k) => eigenFeatureBytes(k, m, needed) + 8 * k * (d + 2 * needed + 16),
    `the ${n} x ${n} f64 Gram is ${fmtBytes(8 * n * n)}${m === 'full' ? ', and the full eigendecomposition adds its eigenvectors and workspace' : ''}`);
}

interface CheckpointMeta { key: string; method: 'lanczos' | 'full'; seconds: EigenFeatures['seconds']; fit: Omit<EigenFeatures['fit'], 't'> & { t: number | 'inf' } }

/**
 * Eigen-features of the task's training set under `key` (every setting they depend on).
 * Read from dir/checkpoint-<tag>/ when a checkpoint with the same key is there; else computed
 * and saved there (atomically, meta last) before anything else runs.
 */
export function eigenFeaturesCached(
  dir: string, tag: string, key: Record<string, unknown>, kernel: KernelOps, task: Task, indices: number[], opts: EigenCliOptions,
  say: (s: string) => void, progress: (done: number, total: number, label: string) => void,
): { fs: EigenFeatures; resumed: boolean } {
  const cdir = join(dir, `checkpoint-${tag}`), metaPath = join(cdir, 'meta.json');
  // what the eigen-features depend on: the training subset (named by the loader, plus a checksum
  // of its record numbers and labels), the kernel and the fit settings
  let sum = 0;
  task.train.indices.forEach((r, i) => { sum = (sum * 31 + r * 7 + task.train.labels[i]) % 2147483647; });
  const keyStr = JSON.stringify({ ...key, trainSet: task.info.trainSet, n: task.train.X.rows, checksum: sum, indices, eigen: opts.eigen, t: String(opts.t), eta: opts.eta, ridge: opts.ridge });
  const X = task.train.X, k = task.outputs;
  if (opts.resume && existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as CheckpointMeta;
    if (meta.key === keyStr) {
      const arr = (name: string) => readNpy(join(cdir, name));
      const V = arr('vectors.npy'), U = arr('coefficients.npy'), A = arr('alpha.npy'), I = arr('indices.npy'), L = arr('values.npy');
      say(`resuming from ${cdir} (Gram and eigensolve skipped)`);
      const spectrum = existsSync(join(cdir, 'spectrum.npy')) ? (arr('spectrum.npy').data as Float64Array) : undefined;
      return {
        resumed: true,
        fs: {
          kernel, Xtrain: X, indices: Int32Array.from(I.data as Int32Array), values: L.data as Float64Array,
          V: { data: V.data as Float64Array, rows: V.shape[0], cols: V.shape[1] }, U: { data: U.data as Float64Array, rows: U.shape[0], cols: U.shape[1] },
          alpha: { data: A.data as Float64Array, rows: A.shape[0], cols: A.shape[1] }, outputs: k, method: meta.method, spectrum, fit: { ...meta.fit, t: meta.fit.t === 'inf' ? Infinity : meta.fit.t }, seconds: meta.seconds,
        },
      };
    }
    say(`checkpoint in ${cdir} was made with other settings: recomputing`);
  }
  const fs = eigenFeatures(kernel, X, targets(task.train.labels, k), { indices, method: opts.eigen, t: opts.t, eta: opts.eta, ridge: opts.ridge, onProgress: progress });
  mkdirSync(cdir, { recursive: true });
  writeNpy(join(cdir, 'vectors.npy'), fs.V.data, [fs.V.rows, fs.V.cols]);
  writeNpy(join(cdir, 'coefficients.npy'), fs.U.data, [fs.U.rows, fs.U.cols]);
  writeNpy(join(cdir, 'alpha.npy'), fs.alpha.data, [fs.alpha.rows, fs.alpha.cols]);
  writeNpy(join(cdir, 'indices.npy'), fs.indices, [fs.indices.length]);
  writeNpy(join(cdir, 'values.npy'), fs.values, [fs.values.length]);
  if (fs.spectrum) writeNpy(join(cdir, 'spectrum.npy'), fs.spectrum, [fs.spectrum.length]);
  const meta: CheckpointMeta = { key: keyStr, method: fs.method, seconds: fs.seconds, fit: { ...fs.fit, t: Number.isFinite(fs.fit.t) ? fs.fit.t : 'inf' } };
  writeFileAtomic(metaPath, JSON.stringify(meta) + '\n');
  return { fs, resumed: false };
}

/** train_indices.npy / test_indices.npy: record numbers in the source files. */
export function writeSubsetIndices(dir: string, task: Task, names: { train: string; test: string } = { train: 'train_indices.npy', test: 'test_indices.npy' }): string[] {
  writeNpy(join(dir, names.train), task.train.indices, [task.train.indices.length]);
  writeNpy(join(dir, names.test), task.test.indices, [task.test.indices.length]);
  return [names.train, names.test];
}

/** Default L-inf budget: 8/255 on CIFAR, 0.1 elsewhere (the paper's). */
export function defaultEps(dataset: string): number {
  return dataset.startsWith('cifar') ? 8 / 255 : 0.1;
}
