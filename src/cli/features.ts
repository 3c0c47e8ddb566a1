// `ntk features`: the NTK's eigen-features on a dataset (paper Sec. 4): usefulness (clean
// accuracy of f_i alone) and robustness (accuracy under FGSM on f_i itself) per feature,
// pictures of feature gradients, the split of one adversarial perturbation into features,
// and the useful-but-non-robust ones. Several --arch values compare architectures.
import { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { engine } from '../engine.js';
import { accuracy, decisions, fgsm } from '../attacks/fgsm_pgd.js';
import { kernelMachineModel } from '../attacks/model.js';
import { attackMembers } from '../features/attack_members.js';
import { featureStats, majorityShare, usefulNonRobust, usefulNonRobustRule, type FeatureStat } from '../features/feature_stats.js';
import { fullMachine, withResidentTrain } from '../features/members.js';
import { predict } from '../machines/kernel_regression.js';
import { archGradientsPng, decompositionPng, featureGradientsPng } from '../features/pictures.js';
import type { EigenFeatures, EigenMethod } from '../features/eigen_features.js';
import { writeFileAtomic } from '../io/atomic.js';
import { writeFeatureScatter } from './features_plot.js';
import { writeReport } from '../viz/report-node.js';
import type { ReportFigure } from '../viz/report.js';
import { addDataOptions, loadTask, type DataOptions, type Task } from './data_options.js';
import { kernelOpsFor, ARCH_HELP } from './kernel_choice.js';
import { addEigenOptions, checkEigenFits, defaultEps, eigenFeaturesCached, writeSubsetIndices, type EigenCliOptions } from './features_shared.js';
import { choice, intList, nonNegativeInt, number, numberList, positiveInt } from './parse.js';
import { progressReporter } from './progress.js';
import { UsageError } from './errors.js';
import { ARCHS } from '../kernels/kernel.js';

export interface FeaturesOptions extends DataOptions, EigenCliOptions {
  arch: string;
  top: number;
  features?: number[];
  eps?: number[];
  attack: 'fgsm' | 'pgd';
  steps: number;
  stepSize: number;
  show?: number[];
  images: number;
  batch?: number;
  out: string;
  quiet: boolean;
}

export function featuresCommand(): Command {
  const cmd = new Command('features')
    .description("eigen-features of the NTK (paper Sec. 4): per feature usefulness, robustness and share of the prediction; gradient pictures; several --arch compare architectures")
    .option('--arch <list>', `architecture(s), comma-separated: ${ARCH_HELP}`, 'fc1')
    .option('--top <k>', 'evaluate the leading k features (indices 0..k-1; Lanczos)', nonNegativeInt('--top'), 100)
    .option('--features <list>', 'further eigen-indices to evaluate, e.g. 0,1,3,10,25,1500,1987 (high ones use the full eigendecomposition)', intList('--features'))
    .option('--eps <budget>', 'L-inf budget of the FGSM on each feature (default 8/255 on CIFAR, 0.1 otherwise; 0 = clean only)', numberList('--eps', { min: 0, max: 1 }))
    .option('--attack <kind>', "attack on each feature: 'fgsm' (one pass for all features), or 'pgd' (also PGD at the points FGSM left standing; robustness under the stronger per point)", choice('--attack', ['fgsm', 'pgd'] as const), 'fgsm')
    .option('--steps <n>', 'PGD steps (--attack pgd)', positiveInt('--steps'), 10)
    .option('--step-size <s>', "PGD step size (--attack pgd; default 0.01, the authors' kernel setting)", number('--step-size', { min: 0 }), 0.01)
    .option('--show <list>', 'eigen-indices pictured in gradients.png (default: 0-4 and the --features ones, at most 8)', intList('--show'))
    .option('--images <n>', 'test images in gradients.png', positiveInt('--images'), 3)
    .option('--batch <n>', 'test points per kernel pass (default: sized so the features\' kernel weights stay near 256 MiB)', positiveInt('--batch'))
    .option('--out <dir>', 'output directory', 'runs/features')
    .option('-q, --quiet', 'no progress on stderr', false);
  addEigenOptions(cmd);
  addDataOptions(cmd, { train: 2000, test: 500 });
  cmd.action(async (opts: FeaturesOptions) => runFeatures(opts));
  return cmd;
}

const pct = (v: number | null) => (v === null ? '   -  ' : `${(100 * v).toFixed(1).padStart(5)}%`);

/** Sorted, deduplicated eigen-indices: 0..top-1 plus the explicit ones. */
export function featureIndices(top: number, extra: number[] | undefined, n: number): number[] {
  const set = new Set<number>();
  for (let i = 0; i < Math.min(top, n); i++) set.add(i);
  for (const i of extra ?? []) {
    if (i >= n) throw new UsageError(`--features: index ${i} is out of range for ${n} training points (0..${n - 1})`);
    set.add(i);
  }
  if (set.size === 0) throw new UsageError('no features to evaluate: give --top k >= 1 or --features');
  return [...set].sort((a, b) => a - b);
}

export function parseArchs(v: string): string[] {
  const archs = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (!archs.length) throw new UsageError('--arch: expected one or more architectures');
  if (new Set(archs).size !== archs.length) throw new UsageError(`--arch: repeated architecture in ${v}`);
  for (const a of archs) if (!(ARCHS as readonly string[]).includes(a)) throw new UsageError(`--arch: unknown architecture '${a}'; valid: ${ARCHS.join(', ')}`);
  return archs;
}

interface ArchRun {
  arch: string;
  fs: EigenFeatures;
  stats: FeatureStat[];
  resumed: boolean;
  machine: { clean: number; robust: number | null };
  timings: Record<string, number>;
  files: string[];
  figures: ReportFigure[];
  decomposition: { index: number; coefficient: number }[];
}

export async function runFeatures(opts: FeaturesOptions): Promise<void> {
  const say = (s: string) => { if (!opts.quiet) process.stderr.write(s + '\n'); };
  const archs = parseArchs(opts.arch);
  if (opts.eps && opts.eps.length !== 1) throw new UsageError(`--eps: ntk features takes one budget, got ${opts.eps.length}`);
  const eps = opts.eps?.[0] ?? defaultEps(opts.dataset);
  const task = loadTask(opts);
  if (task.test.X.rows < 1) throw new UsageError('--test must be at least 1');
  const n = task.train.X.rows, d = task.train.X.cols;
  const indices = featureIndices(opts.top, opts.features, n);
  const kernels = archs.map((a) => kernelOpsFor(a, task.shape));
  checkEigenFits(n, d, indices[indices.length - 1] + 1, opts.eigen as EigenMethod, opts.t);
  mkdirSync(opts.out, { recursive: true });
  const multi = archs.length > 1;
  say(`ntk features: ${task.description}; arch ${archs.join(', ')}; ${indices.length} features (max index ${indices[indices.length - 1]}); FGSM eps ${Number(eps.toPrecision(4))}; ${engine().threads} thread(s)`);
  const progress = progressReporter(opts.quiet);
  const files = writeSubsetIndices(opts.out, task);
  const t0 = performance.now();
  const runs: ArchRun[] = [];
  for (let a = 0; a < archs.length; a++) {
    const arch = archs[a], kernel = kernels[a];
    const ta = performance.now();
    const key = { dataset: opts.dataset, arch };
    const { fs, resumed } = eigenFeaturesCached(opts.out, arch, key, kernel, task, indices, opts, say, progress.update);
    progress.done();
    const run = await withResidentTrain(fs, (f) => evaluateArch(arch, f, resumed, task, eps, opts, multi, progress.update));
    progress.done();
    run.fs = fs;
    run.timings.totalSeconds = (performance.now() - ta) / 1000;
    runs.push(run);
    files.push(...run.files);
    summarise(run, task, say);
  }
  const archFigure: ReportFigure[] = [];
  if (multi) {
    const tp = performance.now();
    const name = 'arch-gradients.png';
    const png = await archGradientsPng(runs.map((r) => ({ arch: r.arch, fs: r.fs })), task.test.X, task.test.labels, 0, 5, task.shape,
      `first five feature gradients per architecture (${opts.dataset}, test image 0)`);
    writeFileAtomic(join(opts.out, name), png);
    files.push(name);
    archFigure.push({ title: 'The first five features per architecture on one image (Fig. 2a)', png, file: name });
    say(`wrote ${name} in ${((performance.now() - tp) / 1000).toFixed(1)} s`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const unrRule = usefulNonRobustRule(task.test.labels);
  const report = {
    tool: 'ntk-robustness', command: 'features', date: new Date().toISOString(),
    settings: { arch: archs, top: opts.top, features: opts.features ?? [], eps, attack: opts.attack, ...(opts.attack === 'pgd' ? { steps: opts.steps, stepSize: opts.stepSize } : {}), eigen: opts.eigen, t: Number.isFinite(opts.t) ? opts.t : 'inf', eta: opts.eta, ridge: opts.ridge, batch: opts.batch ?? 'auto' },
    data: task.info,
    definitions: {
      index: 'eigen-index, 0 = largest eigenvalue of the training Gram',
      usefulness: 'clean accuracy of f_i(x) = Theta(x, X) v_i g(l_i) v_i^T Y alone on the test points (g = 1/l at t = inf)',
      robustness: 'accuracy of f_i under FGSM (logistic / cross-entropy loss) computed on f_i itself at eps',
      share: 'mean_x <f_i(x), f(x)> / mean_x |f(x)|^2, f the whole kernel machine; sums to 1 over all n features',
      predicted: 'fraction of test points assigned to each class by f_i (binary: [-1, +1])',
      robustnessPgd: 'with --attack pgd: accuracy of f_i when each point takes the stronger of its FGSM point and the best point of PGD on f_i (steps x step size, projected to the eps-ball and [0, 1])',
      usefulNonRobust: `usefulness > majority share + margin (margin = max(0.02, two binomial standard errors of the majority share on the test points) = ${unrRule.margin.toFixed(4)} here) and accuracy under attack (robustnessPgd if run, else robustness) <= ${unrRule.robustAtMost}: useful (better than a constant guess, paper Sec. 2.2) but robust only for gamma ~ 0 (App. A)`,
      multiclass: 'a feature is rank one in output space (f_i(x) = s_i(x) u_i): its argmax is argmax u_i where s_i > 0 and argmin u_i where s_i < 0, so it predicts at most two classes and its accuracy is at most their combined share',
    },
    majorityShare: majorityShare(task.test.labels),
    usefulNonRobustRule: { usefulAbove: majorityShare(task.test.labels) + unrRule.margin, ...unrRule },
    architectures: runs.map((r) => ({
      arch: r.arch, resumedFromCheckpoint: r.resumed, eigenMethod: r.fs.method,
      machine: { cleanAccuracy: r.machine.clean, robustAccuracy: r.machine.robust },
      features: r.stats,
      usefulNonRobust: usefulNonRobust(r.stats, task.test.labels).map((s) => s.index),
      decomposition: r.decomposition,
      timings: r.timings,
    })),
    engine: { threads: engine().threads, wasmPeakBytes: engine().heap.peak },
    totalSeconds: seconds, node: process.version,
    files: [...files, 'features.json'],
  };
  writeFileAtomic(join(opts.out, 'features.json'), JSON.stringify(report, null, 2) + '\n');
  const html = writeReport(opts.out, {
    title: `ntk features: ${archs.join(', ')} NTK eigen-features on ${opts.dataset}`,
    command: ['ntk', ...process.argv.slice(2)].join(' '),
    summary: runs.map((r) => {
      const unr = usefulNonRobust(r.stats, task.test.labels);
      return `${r.arch}: whole kernel ${(100 * r.machine.clean).toFixed(1)}% clean, ${r.machine.robust === null ? '-' : (100 * r.machine.robust).toFixed(1) + '%'} under FGSM; ${unr.length} of ${r.stats.length} features useful but non-robust`;
    }),
    settings: report.settings, data: task.info,
    figures: [...runs.flatMap((r) => r.figures), ...archFigure],
    tables: runs.map((r) => ({
      title: `${r.arch}: features`, columns: ['index', 'eigenvalue', 'usefulness', 'robustness', ...(opts.attack === 'pgd' ? ['robustness (PGD)'] : []), 'share'],
      rows: r.stats.map((x) => [x.index, x.eigenvalue, x.usefulness, x.robustness, ...(opts.attack === 'pgd' ? [x.robustnessPgd ?? null] : []), x.share]),
    })),
    timings: Object.fromEntries(runs.flatMap((r) => Object.entries(r.timings).map(([k, v]) => [multi ? `${r.arch} ${k}` : k, v]))),
    files: [...files, 'features.json'],
  });
  files.push('report.html');
  say(`done in ${seconds.toFixed(1)} s; report ${html}; wrote ${[...files, 'features.json'].map((f) => join(opts.out, f)).join(', ')}`);
}

async function evaluateArch(
  arch: string, fs: EigenFeatures, resumed: boolean, task: Task, eps: number, opts: FeaturesOptions, multi: boolean,
  progress: (done: number, total: number, label: string) => void,
): Promise<ArchRun> {
  const { X, labels } = task.test, s = fs.indices.length;
  const res = attackMembers(fs, Array.from({ length: s }, (_, p) => [p]), X, labels, { eps, batch: opts.batch, onProgress: progress, attack: opts.attack, steps: opts.steps, stepSize: opts.stepSize });
  const stats = featureStats(fs, res, labels);
  // the whole kernel under its own FGSM, for reference
  let t0 = performance.now();
  const machine = fullMachine(fs);
  const cleanAcc = accuracy(decisions(res.machine), labels);
  let robust: number | null = null;
  if (eps > 0) {
    const adv = fgsm(kernelMachineModel(machine), X, labels, { eps, cleanOutputs: res.machine });
    robust = accuracy(decisions(predict(machine, adv)), labels);
  }
  const machineSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const files: string[] = [];
  const suffix = multi ? `-${arch}` : '';
  const shown = (opts.show ?? [0, 1, 2, 3, 4, ...(opts.features ?? [])]).filter((i, j, a) => a.indexOf(i) === j && fs.indices.includes(i)).slice(0, 8);
  const points = Array.from({ length: Math.min(opts.images, X.rows) }, (_, i) => i);
  const name = (stem: string) => `${stem}${suffix}.png`;
  const lab = (y: number) => (task.outputs === 1 ? task.classNames?.[y < 0 ? 0 : 1] ?? String(y) : task.classNames?.[y] ?? String(y));
  const figures: ReportFigure[] = [];
  const sc = await writeFeatureScatter(opts.out, `scatter${suffix}`, stats,
    `${arch} NTK eigen-features on ${opts.dataset}: usefulness vs robustness (FGSM eps ${Number(eps.toPrecision(3))})`);
  if (sc) { files.push(...sc.files); figures.push({ title: `${arch}: usefulness vs robustness per feature`, svg: sc.svg, file: `${sc.name}.png` }); }
  if (shown.length) {
    const png = await featureGradientsPng(fs, X, labels, points, shown.map((i) => fs.indices.indexOf(i)), task.shape,
      `${arch} NTK eigen-feature gradients (${opts.dataset}, ${task.train.X.rows} train)`, (i) => `y=${lab(labels[i])}`);
    writeFileAtomic(join(opts.out, name('gradients')), png);
    files.push(name('gradients'));
    figures.push({ title: `${arch}: input gradients of features (each rescaled on its own)`, png, file: name('gradients') });
  }
  let decomposition: ArchRun['decomposition'] = [];
  if (eps > 0 && task.outputs === 1) {
    const dec = await decompositionPng(fs, X, labels, 0, eps, task.shape, Math.min(6, s), `${arch}: one FGSM perturbation and the feature gradients that make it (test image 0)`);
    writeFileAtomic(join(opts.out, name('decomposition')), dec.png);
    files.push(name('decomposition'));
    figures.push({ title: `${arch}: an FGSM perturbation and its feature gradients (Fig. 1)`, caption: 'c = <grad f_i, grad f> / |grad f|^2; the coefficients of all n features sum to 1', png: dec.png, file: name('decomposition') });
    decomposition = dec.parts;
  }
  const pictureSeconds = (performance.now() - t0) / 1000;
  return {
    arch, fs, stats, resumed, machine: { clean: cleanAcc, robust }, files, figures, decomposition,
    timings: {
      gramSeconds: fs.seconds.gram, eigensolveSeconds: fs.seconds.eigen, machineSolveSeconds: fs.seconds.solve,
      featureEvaluationSeconds: res.seconds.clean, attackGradientSeconds: res.seconds.gradients, attackEvaluationSeconds: res.seconds.adversarial,
      ...(res.seconds.pgd !== undefined ? { pgdSeconds: res.seconds.pgd } : {}),
      wholeKernelAttackSeconds: machineSeconds, pictureSeconds,
    },
  };
}

function summarise(run: ArchRun, task: Task, say: (s: string) => void): void {
  const st = run.stats;
  say(`${run.arch}: whole kernel clean ${pct(run.machine.clean)}, robust ${pct(run.machine.robust)}; majority share ${pct(majorityShare(task.test.labels))}`);
  const pg = st.some((s) => s.robustnessPgd !== undefined);
  say(`  index   eigenvalue  useful  robust${pg ? '     PGD' : ''}   share`);
  const pick = st.length <= 12 ? st : st.filter((s, j) => j < 6 || j === st.length - 1 || [10, 25, 50, 99].includes(s.index));
  for (const s of pick) say(`  ${String(s.index).padStart(5)}  ${s.eigenvalue.toExponential(3).padStart(11)}  ${pct(s.usefulness)}  ${pct(s.robustness)}${pg ? '  ' + pct(s.robustnessPgd ?? null) : ''}  ${s.share.toFixed(3).padStart(7)}`);
  const unr = usefulNonRobust(st, task.test.labels);
  const rule = usefulNonRobustRule(task.test.labels);
  say(`  useful but non-robust (clean > ${pct(majorityShare(task.test.labels) + rule.margin).trim()}, under attack <= ${pct(rule.robustAtMost).trim()}): ${unr.length ? unr.slice(0, 20).map((s) => s.index).join(', ') + (unr.length > 20 ? `, ... (${unr.length})` : '') : 'none'}`);
  const t = run.timings;
  say(`  time: Gram ${t.gramSeconds.toFixed(1)} s, eigensolve ${t.eigensolveSeconds.toFixed(1)} s, features ${t.featureEvaluationSeconds.toFixed(1)} s, attacks ${(t.attackGradientSeconds + t.attackEvaluationSeconds).toFixed(1)} s${t.pgdSeconds !== undefined ? `, PGD ${t.pgdSeconds.toFixed(1)} s` : ''}${run.resumed ? ' (Gram/eigensolve from checkpoint)' : ''}`);
}
