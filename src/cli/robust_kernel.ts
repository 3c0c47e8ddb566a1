// `ntk robust-kernel`: kernels built from the most robust eigen-features only (paper App.
// D.3): rank the one-feature predictors by robust accuracy on a validation split, keep the
// m most robust (with their own eigenvalues) for m = 1..M, and report clean accuracy, robust
// accuracy under the m-feature kernel's own FGSM and under the whole kernel's (transfer).
import { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { engine } from '../engine.js';
import { mulberry32, shuffleInPlace } from '../data/rng.js';
import { robustKernelCurve, type RobustKernelResult } from '../features/robust_kernel.js';
import { withResidentTrain } from '../features/members.js';
import type { EigenMethod } from '../features/eigen_features.js';
import { writeFileAtomic } from '../io/atomic.js';
import { writeNpy } from '../io/npy-node.js';
import type { Matrix } from '../linalg/matrix.js';
import { addDataOptions, loadTask, type DataOptions, type Task } from './data_options.js';
import { kernelOpsFor, ARCH_HELP } from './kernel_choice.js';
import { addEigenOptions, checkEigenFits, defaultEps, eigenFeaturesCached, type EigenCliOptions } from './features_shared.js';
import { numberList, positiveInt } from './parse.js';
import { progressReporter } from './progress.js';
import { UsageError } from './errors.js';
import { writeRobustKernelPlot } from './robust_kernel_plot.js';
import { writeReport } from '../viz/report-node.js';

export interface RobustKernelOptions extends DataOptions, EigenCliOptions {
  arch: string;
  top: number;
  maxFeatures?: number;
  val: number;
  eps?: number[];
  batch?: number;
  out: string;
  quiet: boolean;
}

export function robustKernelCommand(): Command {
  const cmd = new Command('robust-kernel')
    .description('kernels from the most robust eigen-features only (paper App. D.3): clean, own-FGSM and transfer-FGSM accuracy against the number of features kept')
    .option('--arch <name>', `architecture: ${ARCH_HELP}`, 'fc1')
    .option('--top <k>', 'candidate features: the leading k (Lanczos)', positiveInt('--top'), 100)
    .option('--max-features <M>', 'largest number of features kept (default: --top)', positiveInt('--max-features'))
    .option('--val <n>', 'validation points (drawn from the test pool, disjoint from the test points) that rank the features', positiveInt('--val'), 500)
    .option('--eps <budget>', 'L-inf budget of every FGSM (default 8/255 on CIFAR, 0.1 otherwise)', numberList('--eps', { min: 0, max: 1 }))
    .option('--batch <n>', 'test points per kernel pass (default: sized to ~256 MiB of kernel weights)', positiveInt('--batch'))
    .option('--out <dir>', 'output directory', 'runs/robust-kernel')
    .option('-q, --quiet', 'no progress on stderr', false);
  addEigenOptions(cmd);
  addDataOptions(cmd, { train: 2000, test: 500 });
  cmd.action(async (opts: RobustKernelOptions) => runRobustKernel(opts));
  return cmd;
}

const rowsAt = (X: Matrix<Float64Array>, idx: Int32Array): Matrix<Float64Array> => {
  const d = X.cols, out = new Float64Array(idx.length * d);
  idx.forEach((i, r) => out.set(X.data.subarray(i * d, (i + 1) * d), r * d));
  return { data: out, rows: idx.length, cols: d };
};

/** Splits the loaded test pool (val + test points) into validation and test by a seeded shuffle. */
function splitValidation(task: Task, val: number, seed: number) {
  const m = task.test.X.rows, perm = shuffleInPlace(Int32Array.from({ length: m }, (_, i) => i), mulberry32(seed ^ 0x5eed));
  const vi = perm.slice(0, val).sort(), ti = perm.slice(val).sort();
  const part = (idx: Int32Array) => ({ X: rowsAt(task.test.X, idx), labels: Int32Array.from(idx, (i) => task.test.labels[i]), indices: Int32Array.from(idx, (i) => task.test.indices[i]) });
  return { val: part(vi), test: part(ti) };
}

export async function runRobustKernel(opts: RobustKernelOptions): Promise<void> {
  const say = (s: string) => { if (!opts.quiet) process.stderr.write(s + '\n'); };
  if (opts.eps && opts.eps.length !== 1) throw new UsageError(`--eps: ntk robust-kernel takes one budget, got ${opts.eps.length}`);
  const eps = opts.eps?.[0] ?? defaultEps(opts.dataset);
  if (opts.arch.includes(',')) throw new UsageError('--arch: ntk robust-kernel takes one architecture');
  const testN = opts.test;
  const task = loadTask({ ...opts, test: testN + opts.val });
  const n = task.train.X.rows, d = task.train.X.cols;
  if (opts.top > n) throw new UsageError(`--top ${opts.top}: more features than the ${n} training points`);
  const M = Math.min(opts.maxFeatures ?? opts.top, opts.top);
  const kernel = kernelOpsFor(opts.arch, task.shape);
  checkEigenFits(n, d, opts.top, opts.eigen as EigenMethod, opts.t);
  const { val, test } = splitValidation(task, opts.val, opts.seed);
  mkdirSync(opts.out, { recursive: true });
  say(`ntk robust-kernel: ${task.description.replace(/\/ \d+ test/, `/ ${testN} test + ${opts.val} validation`)}; arch ${opts.arch}; top ${opts.top} features, m = 1..${M}; FGSM eps ${Number(eps.toPrecision(4))}; ${engine().threads} thread(s)`);
  const progress = progressReporter(opts.quiet);
  const t0 = performance.now();
  const files: string[] = [];
  writeNpy(join(opts.out, 'train_indices.npy'), task.train.indices, [n]);
  writeNpy(join(opts.out, 'val_indices.npy'), val.indices, [val.indices.length]);
  writeNpy(join(opts.out, 'test_indices.npy'), test.indices, [test.indices.length]);
  files.push('train_indices.npy', 'val_indices.npy', 'test_indices.npy');
  const indices = Array.from({ length: opts.top }, (_, i) => i);
  const { fs, resumed } = eigenFeaturesCached(opts.out, opts.arch, { dataset: opts.dataset, arch: opts.arch }, kernel, task, indices, opts, say, progress.update);
  progress.done();
  const res: RobustKernelResult = withResidentTrain(fs, (f) => robustKernelCurve(f, val, test, { eps, maxFeatures: M, batch: opts.batch, onProgress: progress.update }));
  progress.done();
  const seconds = (performance.now() - t0) / 1000;
  const best = res.curve.reduce((a, b) => (b.robust > a.robust ? b : a));
  say(`whole kernel: clean ${(100 * res.full.clean).toFixed(1)}%, robust ${(100 * res.full.robust).toFixed(1)}%`);
  say('     m   clean   own FGSM  transfer');
  for (const c of res.curve.filter((c) => c.m <= 5 || c.m === M || c.m % 10 === 0 || c === best))
    say(`  ${String(c.m).padStart(4)}  ${(100 * c.clean).toFixed(1).padStart(5)}%  ${(100 * c.robust).toFixed(1).padStart(6)}%  ${(100 * c.transfer).toFixed(1).padStart(6)}%${c === best ? '  <- most robust' : ''}`);
  const plot = await writeRobustKernelPlot(opts.out, res, `${opts.arch} NTK on ${opts.dataset}: kernels of the m most robust features (FGSM eps ${Number(eps.toPrecision(3))})`);
  files.push(...plot.files);
  const report = {
    tool: 'ntk-robustness', command: 'robust-kernel', date: new Date().toISOString(),
    settings: { arch: opts.arch, top: opts.top, maxFeatures: M, val: opts.val, test: testN, eps, eigen: opts.eigen, t: Number.isFinite(opts.t) ? opts.t : 'inf', eta: opts.eta, ridge: opts.ridge },
    data: { ...task.info, test: testN, val: opts.val },
    definitions: {
      ranking: 'features sorted by accuracy under FGSM on the feature itself, on the validation points (ties: clean accuracy, then eigen-index)',
      curve: 'm-feature kernel f^(m) = sum of the m most robust features with their own eigenvalues; clean accuracy, accuracy under its own FGSM, and under the whole kernel\'s FGSM (transfer), on the test points',
    },
    resumedFromCheckpoint: resumed,
    wholeKernel: res.full,
    mostRobust: best,
    ranking: res.ranking, validation: res.validation, curve: res.curve,
    timings: { gramSeconds: fs.seconds.gram, eigensolveSeconds: fs.seconds.eigen, solveSeconds: fs.seconds.solve, ...Object.fromEntries(Object.entries(res.seconds).map(([k, v]) => [`${k}Seconds`, v])), totalSeconds: seconds },
    engine: { threads: engine().threads, wasmPeakBytes: engine().heap.peak },
    node: process.version,
    files: [...files, 'robust-kernel.json'],
  };
  writeFileAtomic(join(opts.out, 'robust-kernel.json'), JSON.stringify(report, null, 2) + '\n');
  const html = writeReport(opts.out, {
    title: `ntk robust-kernel: ${opts.arch} NTK on ${opts.dataset}, kernels of the most robust features`,
    command: ['ntk', ...process.argv.slice(2)].join(' '),
    summary: [
      `whole kernel: ${(100 * res.full.clean).toFixed(1)}% clean, ${(100 * res.full.robust).toFixed(1)}% under its FGSM`,
      `most robust m = ${best.m}: ${(100 * best.clean).toFixed(1)}% clean, ${(100 * best.robust).toFixed(1)}% under its own FGSM, ${(100 * best.transfer).toFixed(1)}% under the whole kernel's`,
    ],
    settings: report.settings, data: report.data,
    figures: [{ title: 'Accuracy of the m-most-robust-feature kernels (Figs. 10, 11)', svg: plot.svg, file: 'robust-kernel.png' }],
    tables: [{ title: 'Curve', columns: ['m', 'clean', 'own FGSM', 'transfer FGSM'], rows: res.curve.map((c) => [c.m, c.clean, c.robust, c.transfer]) },
      { title: 'Validation ranking', columns: ['index', 'eigenvalue', 'clean', 'robust'], rows: res.validation.map((v) => [v.index, v.eigenvalue, v.clean, v.robust]) }],
    timings: report.timings, files: [...files, 'robust-kernel.json'],
  });
  files.push('report.html');
  say(`done in ${seconds.toFixed(1)} s; report ${html}; wrote ${[...files, 'robust-kernel.json'].map((f) => join(opts.out, f)).join(', ')}`);
}
