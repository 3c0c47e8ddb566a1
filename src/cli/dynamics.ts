// `ntk dynamics`: standard vs FGSM vs PGD adversarial training of one finite net (same seed,
// same data order), tracking the empirical NTK on one fixed batch (clean and PGD-perturbed)
// before training and after every epoch (spec §6, paper Sec. 5 / App. E). Writes
// dynamics.json, one PNG (+ SVG) per figure, report.html, per-mode kernels (float32 .npy) and
// checkpoints; --resume continues a killed run to the same numbers.
import { Command } from 'commander';
import { join } from 'node:path';
import { mkdirSync, readFileSync } from 'node:fs';
import { engine } from '../engine.js';
import { writeFileAtomic } from '../io/atomic.js';
import { netArch, NET_ARCHS } from '../nn/presets.js';
import { writeChart } from '../viz/render-node.js';
import { writeReport } from '../viz/report-node.js';
import type { ReportFigure } from '../viz/report.js';
import { kernelDynamics, type KernelDynamics } from '../experiments/dynamics_metrics.js';
import { dynamicsFigures } from '../experiments/dynamics_figures.js';
import { runLinearMode, linearName, linearKernelFile, linearComparison, type LinearComparisonRow } from '../experiments/dynamics_linear.js';
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
  const distances = (input: KernelInput) => Object.fromEntries(runs.map((r) => [r.name, metrics[input][r.name].distance]));
  const comparison: Record<string, LinearComparisonRow[]> | null = at === undefined ? null
    : Object.fromEntries(modes.map((m) => [m, linearComparison(m as TrainMode, at, opts.epochs, histories, { clean: distances('clean'), pgd: distances('pgd') })]));
  const table = comparison && linearTable(comparison, at!, opts.epochs, runs);
  if (table) for (const r of [table.columns, ...table.rows]) say(r.join(' | '));
  const doc = {
    tool: 'ntk-robustness', command: 'dynamics', date: new Date().toISOString(), settings: { ...s.record, modes, linearizeAt: at ?? null, parameterization: arch.parameterization, threads: engine().threads },
    data: task.info, kernel: { batch: opts.kernelBatch, outputs: k, size: N, files: 'MODE/kernels/{clean,pgd}_eNNN.npy (float32)', pgd: { eps, step, steps: opts.steps, randomStart: false } },
    seconds, training: histories, metrics,
    linearComparison: comparison,
  };
  writeFileAtomic(join(opts.out, 'dynamics.json'), JSON.stringify(doc, null, 1));
  if (!opts.figures) { say(`done in ${seconds.toFixed(1)} s; wrote ${join(opts.out, 'dynamics.json')}`); return; }
  const figures = await writeFigures(opts, runs, histories, metrics, Ks, N, eps);
  const report = writeReport(opts.out, {
    title: `Empirical NTK during training: ${opts.arch} on ${opts.dataset}`, command: ['ntk', ...process.argv.slice(2)].join(' '),
    settings: doc.settings, data: task.info, figures, timings: { total: seconds }, tables: table ? [table] : undefined,
  });
  say(`done in ${seconds.toFixed(1)} s; wrote ${join(opts.out, 'dynamics.json')}, ${figures.length} figures`);
  process.stdout.write(`report: ${report}\n`);
}

/** The App. E.1 comparison: each mode beside its linearised continuation, at the last epoch. */
function linearTable(c: Record<string, LinearComparisonRow[]>, at: number, T: number, runs: Run[]): { title: string; columns: string[]; rows: string[][] } {
  const label = Object.fromEntries(runs.map((r) => [r.name, r.label])), f = (v: number) => v.toPrecision(3);
  return {
    title: `Linearised from epoch ${at} vs not, at epoch ${T}`,
    columns: ['run', 'train clean', 'train PGD', 'test clean', 'test PGD', `1 − S(K_${T}, K_0) clean / PGD batch`, `1 − S(K_${T}, K_${at}) clean / PGD batch`, `train s, epochs ${at + 1}-${T}`],
    rows: Object.values(c).flat().map((r) => [label[r.run] ?? r.run, pct(r.train.clean), pct(r.train.robust), pct(r.test.clean), pct(r.test.robust),
      `${f(r.fromInit.clean)} / ${f(r.fromInit.pgd)}`, `${f(r.fromLinearizationPoint.clean)} / ${f(r.fromLinearizationPoint.pgd)}`, r.trainSeconds.toFixed(1)]),
  };
}

const MODE_NAME: Record<TrainMode, string> = { clean: 'standard', fgsm: 'FGSM adv.', pgd: 'PGD adv.' };
interface Run { name: string; label: string; file: (input: KernelInput, epoch: number) => string }

/** Larger SVGs go into report.html as their PNG (the page stays light enough to open). */
const REPORT_SVG_LIMIT = 2 << 20;

async function writeFigures(
  opts: DynamicsCliOptions, runs: Run[], hist: Record<string, EpochRow[]>,
  metrics: Record<KernelInput, Record<string, KernelDynamics>>, Ks: Record<KernelInput, Record<string, Float64Array[]>>, N: number, eps: number,
): Promise<ReportFigure[]> {
  const figs: ReportFigure[] = [];
  for (const f of dynamicsFigures({
    runs, histories: hist, metrics, cleanKernels: Ks.clean, N, epochs: opts.epochs, top: opts.top,
    arch: opts.arch, dataset: opts.dataset, kernelBatch: opts.kernelBatch, evalN: opts.evalN, steps: opts.steps, eps,
  })) {
    const w = await writeChart(opts.out, f.name, f.spec);
    // a kernel heatmap of B = 20 is 4 x 40,000 SVG rects (28 MB): report.html embeds its PNG instead
    const inline = w.svg.length <= REPORT_SVG_LIMIT ? { svg: w.svg } : { png: new Uint8Array(readFileSync(join(opts.out, `${f.name}.png`))) };
    figs.push({ title: f.title, ...inline, file: `${f.name}.png`, caption: f.caption });
  }
  return figs;
}
