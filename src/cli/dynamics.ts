// `ntk dynamics`: standard vs FGSM vs PGD adversarial training of one finite net (same seed,
// same data order), tracking the empirical NTK on one fixed batch (clean and PGD-perturbed)
// before training and after every epoch (spec §6, paper Sec. 5 / App. E). Writes
// dynamics.json, one PNG (+ SVG) per figure, report.html, per-mode kernels (float32 .npy) and
// checkpoints; --resume continues a killed run to the same numbers.
import { Command } from 'commander';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { engine } from '../engine.js';
import { writeFileAtomic } from '../io/atomic.js';
import { netArch, NET_ARCHS } from '../nn/presets.js';
import { lineChart, heatmapChart, polarChart, facetCharts, type LineSeries, type ChartSpec } from '../viz/charts/index.js';
import { writeChart } from '../viz/render-node.js';
import { writeReport } from '../viz/report-node.js';
import type { ReportFigure } from '../viz/report.js';
import { kernelDynamics, type KernelDynamics } from '../experiments/dynamics_metrics.js';
import { runLinearMode, linearName, linearKernelFile } from '../experiments/dynamics_linear.js';
import { runMode, kernelFile, readKernel, TRAIN_MODES, type TrainMode, type KernelInput, type EpochRow, type DynamicsSettings, type Split } from '../experiments/dynamics.js';
import { choice, number, positiveInt } from './parse.js';
import { addDataOptions, loadTask, type DataOptions } from './data_options.js';
import { progressReporter } from './progress.js';
import { UsageError } from './errors.js';

export interface DynamicsCliOptions extends DataOptions {
  arch: string;
  width?: number;
  trainModes: string;
  epochs: number;
  batch: number;
  lr: number;
  momentum: number;
  eps?: number;
  step?: number;
  steps: number;
  kernelBatch: number;
  top: number;
  linearizeAt?: number;
  evalN: number;
  out: string;
  resume: boolean;
  figures: boolean;
  quiet: boolean;
}

export function dynamicsCommand(): Command {
  const cmd = new Command('dynamics')
    .description('empirical NTK during standard and adversarial training (kernel distance, polar trajectory, spectral concentration)')
    .option('--arch <name>', `architecture: ${NET_ARCHS.join(', ')}`, 'mnist-cnn')
    .option('--width <n>', 'hidden width of twolayer / fcL / convL', positiveInt('--width'))
    .option('--train-modes <list>', 'training modes, comma separated: clean, fgsm, pgd', 'clean,fgsm,pgd')
    .option('--epochs <n>', 'epochs per mode', positiveInt('--epochs'), 3)
    .option('--batch <n>', 'minibatch size (paper: 300 MNIST, 250 CIFAR)', positiveInt('--batch'), 100)
    .option('--lr <rate>', 'SGD learning rate (paper: 0.01 with no momentum)', number('--lr', { min: 0 }), 0.01)
    .option('--momentum <mu>', 'SGD momentum (0 = plain SGD)', number('--momentum', { min: 0 }), 0.9)
    .option('--eps <eps>', 'L-inf budget of adversarial training, the PGD kernel batch and robust accuracy (default 0.3 MNIST/IDX, 8/255 CIFAR)', number('--eps', { min: 0 }))
    .option('--step <size>', 'PGD step size (default eps/4)', number('--step', { min: 0 }))
    .option('--steps <n>', 'PGD steps (training, kernel batch, evaluation)', positiveInt('--steps'), 10)
    .option('--kernel-batch <n>', 'points of the fixed kernel batch B (the first B training points); the kernel is (B k) x (B k)', positiveInt('--kernel-batch'), 20)
    .option('--top <s>', 'eigenspace size of the top/bottom polar split', positiveInt('--top'), 20)
    .option('--linearize-at <e>', 'also train each mode\'s linearised net f(x; p_e) + J(x)(p - p_e) from epoch e (plain gradient steps at --lr, no momentum; its adversarial examples computed on f_lin), tracked the same way', nonNegInt('--linearize-at'))
    .option('--eval-n <n>', 'train and test points of the per-epoch clean/robust accuracy', positiveInt('--eval-n'), 200)
    .option('--out <dir>', 'output directory', 'runs/dynamics')
    .option('--resume', 'continue from the per-mode checkpoints in --out (same settings required)', false)
    .option('--no-figures', 'write dynamics.json and the kernels only (no PNG/SVG figures, no report.html)')
    .option('-q, --quiet', 'no progress on stderr', false);
  addDataOptions(cmd, { train: 2000, test: 500 });
  cmd.action(async (opts: DynamicsCliOptions) => runDynamics(opts));
  return cmd;
}

const head = (s: Split, n: number): Split => {
  const m = Math.min(n, s.X.rows);
  return { X: { data: s.X.data.subarray(0, m * s.X.cols), rows: m, cols: s.X.cols }, labels: s.labels.subarray(0, m) };
};
function nonNegInt(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag}: expected an integer >= 0, got '${v}'`);
    return n;
  };
}
const pct = (v: number | null) => (v === null || Number.isNaN(v) ? '-' : `${(100 * v).toFixed(1)}%`);

export async function runDynamics(opts: DynamicsCliOptions): Promise<void> {
  const say = (s: string) => { if (!opts.quiet) process.stderr.write(s + '\n'); };
  const modes = opts.trainModes.split(',').map((m) => m.trim()).filter(Boolean);
  for (const m of modes) if (!TRAIN_MODES.includes(m as TrainMode)) throw new UsageError(`--train-modes: unknown mode '${m}', expected a list of ${TRAIN_MODES.join(', ')}`);
  if (new Set(modes).size !== modes.length || !modes.length) throw new UsageError(`--train-modes: give each of ${TRAIN_MODES.join(', ')} at most once, got '${opts.trainModes}'`);
  if (!(opts.momentum < 1)) throw new UsageError(`--momentum: expected a number in [0, 1), got ${opts.momentum}`);
  if (!(opts.lr > 0)) throw new UsageError(`--lr: expected a number > 0, got ${opts.lr}`);
  const cifar = opts.dataset === 'cifar2' || opts.dataset === 'cifar10';
  const eps = opts.eps ?? (cifar ? 8 / 255 : 0.3), step = opts.step ?? eps / 4;
  const task = loadTask(opts);
  if (opts.kernelBatch > task.train.X.rows) throw new UsageError(`--kernel-batch: ${opts.kernelBatch} points but only ${task.train.X.rows} training points are loaded`);
  const k = task.outputs, N = opts.kernelBatch * k;
  if (N > 2500) throw new UsageError(`--kernel-batch: the kernel would be ${N} x ${N} (B ${opts.kernelBatch} x ${k} outputs); the spectra use a dense eigh on ${N} x ${N}, limit 2500 (the paper's CIFAR setting)`);
  if (opts.linearizeAt !== undefined && opts.linearizeAt > opts.epochs) throw new UsageError(`--linearize-at: epoch ${opts.linearizeAt} is beyond --epochs ${opts.epochs}`);
  if (opts.top > N) throw new UsageError(`--top: ${opts.top} exceeds the kernel size ${N}`);
  const arch = netArch(opts.arch, { outputs: k, width: opts.width });
  const s: DynamicsSettings = {
    arch, archName: opts.arch, parameterization: arch.parameterization, shape: task.shape,
    epochs: opts.epochs, batch: opts.batch, lr: opts.lr, momentum: opts.momentum, seed: opts.seed, eps, step, steps: opts.steps,
    record: {
      arch: opts.arch, width: arch.width ?? null, dataset: opts.dataset, classes: opts.classes ?? null, train: opts.train, test: opts.test, seed: opts.seed,
      stratified: opts.stratified, batch: opts.batch, lr: opts.lr, momentum: opts.momentum, eps, step, steps: opts.steps, kernelBatch: opts.kernelBatch, evalN: opts.evalN,
    },
  };
  mkdirSync(opts.out, { recursive: true });
  const data = { train: task.train, test: task.test, evalTrain: head(task.train, opts.evalN), evalTest: head(task.test, opts.evalN), kernel: head(task.train, opts.kernelBatch) };
  say(`ntk dynamics: ${task.description}; ${opts.arch} (${arch.parameterization}); modes ${modes.join(', ')}; ${opts.epochs} epochs; kernel batch ${opts.kernelBatch} (${N} x ${N}); eps ${Number(eps.toPrecision(4))}; ${engine().threads} thread(s)`);
  const progress = progressReporter(opts.quiet);
  const t0 = performance.now();
  const histories: Record<string, EpochRow[]> = {};
  const at = opts.linearizeAt;
  const runs: Run[] = [];
  for (const mode of modes as TrainMode[]) {
    const line = (name: string) => (r: EpochRow) => { progress.done(); say(`${name} epoch ${r.epoch}/${opts.epochs}: ${r.loss === null ? 'initial' : `loss ${r.loss.toFixed(4)}`}, train ${pct(r.train.clean)} (PGD ${pct(r.train.robust)}), test ${pct(r.test.clean)} (PGD ${pct(r.test.robust)}), train ${r.trainSeconds.toFixed(1)} s, kernels ${r.kernelSeconds.toFixed(1)} s`); };
    histories[mode] = runMode(opts.out, mode, data, s, { resume: opts.resume, progress: progress.update, onEpoch: line(mode), snapshotAt: at });
    runs.push({ name: mode, label: MODE_NAME[mode], file: (input, e) => kernelFile(opts.out, mode, input, e) });
    if (at !== undefined) {
      const name = linearName(mode, at);
      histories[name] = runLinearMode(opts.out, mode, at, histories[mode], data, s, { resume: opts.resume, progress: progress.update, onEpoch: line(name) });
      runs.push({ name, label: `${MODE_NAME[mode]}, linearised from ${at}`, file: (input, e) => linearKernelFile(opts.out, mode, at, input, e) });
    }
  }
  progress.done();
  const seconds = (performance.now() - t0) / 1000;

  // metrics from the saved kernels (what a later analysis would read)
  const metrics: Record<KernelInput, Record<string, KernelDynamics>> = { clean: {}, pgd: {} };
  const Ks: Record<KernelInput, Record<string, Float64Array[]>> = { clean: {}, pgd: {} };
  for (const input of ['clean', 'pgd'] as const) for (const run of runs) {
    Ks[input][run.name] = Array.from({ length: opts.epochs + 1 }, (_, e) => readKernel(run.file(input, e)));
    metrics[input][run.name] = kernelDynamics(Ks[input][run.name], N, { top: opts.top, concentration: [10, 20].filter((c) => c <= N) });
  }
  const doc = {
    tool: 'ntk-robustness', command: 'dynamics', date: new Date().toISOString(), settings: { ...s.record, modes, linearizeAt: at ?? null, parameterization: arch.parameterization, threads: engine().threads },
    data: task.info, kernel: { batch: opts.kernelBatch, outputs: k, size: N, files: 'MODE/kernels/{clean,pgd}_eNNN.npy (float32)', pgd: { eps, step, steps: opts.steps, randomStart: false } },
    seconds, training: histories, metrics,
  };
  writeFileAtomic(join(opts.out, 'dynamics.json'), JSON.stringify(doc, null, 1));
  if (!opts.figures) { say(`done in ${seconds.toFixed(1)} s; wrote ${join(opts.out, 'dynamics.json')}`); return; }
  const figures = await writeFigures(opts, runs, histories, metrics, Ks, N, task.description);
  const report = writeReport(opts.out, {
    title: `Empirical NTK during training: ${opts.arch} on ${opts.dataset}`, command: ['ntk', ...process.argv.slice(2)].join(' '),
    settings: doc.settings, data: task.info, figures, timings: { total: seconds },
  });
  say(`done in ${seconds.toFixed(1)} s; wrote ${join(opts.out, 'dynamics.json')}, ${figures.length} figures`);
  process.stdout.write(`report: ${report}\n`);
}

const MODE_NAME: Record<TrainMode, string> = { clean: 'standard', fgsm: 'FGSM adv.', pgd: 'PGD adv.' };
interface Run { name: string; label: string; file: (input: KernelInput, epoch: number) => string }
const INPUT_NAME: Record<KernelInput, string> = { clean: 'clean batch', pgd: 'PGD-perturbed batch' };

async function writeFigures(
  opts: DynamicsCliOptions, runs: Run[], hist: Record<string, EpochRow[]>,
  metrics: Record<KernelInput, Record<string, KernelDynamics>>, Ks: Record<KernelInput, Record<string, Float64Array[]>>, N: number, desc: string,
): Promise<ReportFigure[]> {
  const figs: ReportFigure[] = [];
  const modes = runs.map((r) => r.name), MODE_NAME: Record<string, string> = Object.fromEntries(runs.map((r) => [r.name, r.label]));
  const put = async (name: string, title: string, spec: ChartSpec, caption: string) => {
    const w = await writeChart(opts.out, name, spec);
    figs.push({ title, svg: w.svg, file: `${name}.png`, caption });
  };
  const epochs = Array.from({ length: opts.epochs + 1 }, (_, e) => e);
  const where = `${opts.arch}, ${opts.dataset}, kernel batch ${opts.kernelBatch}`;
  for (const input of ['clean', 'pgd'] as const) {
    const M = metrics[input], on = INPUT_NAME[input];
    await put(`distance-${input}`, `Kernel distance (${on})`, facetCharts(modes.map((m) => heatmapChart(
      { values: M[m]!.distance.flat(), rows: epochs.length, cols: epochs.length, rowLabels: epochs.map(String), colLabels: epochs.map(String) },
      { title: MODE_NAME[m], xLabel: 'epoch', yLabel: 'epoch', colorLabel: '1 − S', width: 200, height: 200 })),
    { title: `Empirical NTK distance 1 − S(K_s, K_t), ${on} (${where})`, columns: 3 }),
    `1 − S between the kernels of every pair of epochs, per training mode (Fig. 6 left); NTK on the ${on}.`);
    const prev: LineSeries[] = modes.map((m) => ({ label: MODE_NAME[m], x: epochs.slice(1), y: M[m]!.distanceToPrevious }));
    await put(`distance-prev-${input}`, `Distance to the previous epoch (${on})`, lineChart(prev, {
      title: `1 − S(K_t, K_{t−1}), ${on} (${where})`, xLabel: 'epoch t', xFormat: 'd', yLabel: '1 − S(K_t, K_t−1)', width: 460, height: 280,
    }), `How far each epoch moved the kernel; a curve that drops early is a kernel that settles early (Sec. 5); NTK on the ${on}.`);
    const part = (p: 'whole' | 'top' | 'bottom', t: string) => polarChart(modes.map((m) => ({ label: MODE_NAME[m], r: M[m]!.polar[p].radius, phi: M[m]!.polar[p].angle, t: epochs })),
      { title: t, width: 240, height: 240 });
    await put(`polar-${input}`, `Polar trajectory (${on})`, facetCharts([part('whole', 'whole space'), part('top', `top-${Math.min(opts.top, N)} eigenspace`), part('bottom', 'bottom space')],
      { title: `Kernel trajectory: r = |K_t − K_0| / |K_T − K_0|, φ = arccos S(K_t, K_0), ${on} (${where})`, columns: 3 }),
    `Polar trajectory per training mode (Figs. 6 right, 14): radius relative to the total move, angle to the initial kernel; NTK on the ${on}.`);
    const conc: LineSeries[] = [];
    for (const m of modes) for (const c of Object.keys(M[m]!.concentration)) conc.push({ label: `${MODE_NAME[m]}, top ${c}`, x: epochs, y: M[m]!.concentration[c] });
    await put(`concentration-${input}`, `Spectral concentration and norm (${on})`, facetCharts([
      lineChart(conc, { title: 'Σ_{i≤s} λ_i² / Σ λ_i²', xLabel: 'epoch', xFormat: 'd', yLabel: 'energy in the top s', yFormat: '.0%', yZero: false, width: 300, height: 240 }),
      lineChart(modes.map((m) => ({ label: MODE_NAME[m], x: epochs, y: M[m]!.frobenius })), { title: '|K_t|_F', xLabel: 'epoch', xFormat: 'd', yLabel: '|K_t|_F', width: 300, height: 240 }),
    ], { title: `Empirical NTK spectrum, ${on} (${where})`, columns: 2 }),
    `Fraction of the squared eigenvalues in the top 10 / 20 eigenvalues, and the kernel's Frobenius norm (Figs. 5, 13); NTK on the ${on}.`);
  }
  await put('accuracy', 'Accuracy', facetCharts(modes.map((m) => {
    const h = hist[m]!, x = h.map((r) => r.epoch);
    return lineChart([
      { label: 'train clean', x, y: h.map((r) => r.train.clean) }, { label: 'test clean', x, y: h.map((r) => r.test.clean) },
      { label: 'train PGD', x, y: h.map((r) => r.train.robust ?? NaN) }, { label: 'test PGD', x, y: h.map((r) => r.test.robust ?? NaN) },
    ], { title: MODE_NAME[m], xLabel: 'epoch', xFormat: 'd', yLabel: 'accuracy', yDomain: [0, 1], yFormat: '.0%', width: 220, height: 200 });
  }), { title: `Clean and PGD accuracy per epoch (${opts.arch}, ${desc.split(';')[0]}, first ${opts.evalN} points)`, columns: 3, shared: ['color'] }),
  `Clean and robust (PGD-${opts.steps}) accuracy on train and test points per epoch, per training mode (Fig. 12).`);
  // Fig. 15: kernel values on the clean batch before and after training, standard vs adversarial
  const panels: ChartSpec[] = [], K0 = Ks.clean[modes[0]]![0];
  const all = [K0, ...modes.map((m) => Ks.clean[m]![opts.epochs])];
  const lim = Math.max(...all.map((K) => K.reduce((a, v) => Math.max(a, Math.abs(v)), 0)));
  const hm = (K: Float64Array, t: string) => heatmapChart({ values: K, rows: N, cols: N }, { title: t, diverging: true, colorDomain: [-lim, lim], colorLabel: 'K', width: 200, height: 200, xLabel: '(sample, output)', yLabel: '(sample, output)' });
  panels.push(hm(K0, 'initialisation'));
  for (const m of modes) panels.push(hm(Ks.clean[m]![opts.epochs], `${MODE_NAME[m]}, epoch ${opts.epochs}`));
  await put('kernel-values', 'Kernel values', facetCharts(panels, { title: `Empirical NTK on the clean batch before and after training (${where})`, columns: Math.min(4, panels.length), shared: ['color'] }),
    'The (B k) x (B k) empirical NTK on the clean kernel batch at initialisation (same for every mode: same seed) and after the last epoch of each training mode (Fig. 15), on one colour scale.');
  return figs;
}
