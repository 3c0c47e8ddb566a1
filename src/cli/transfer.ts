// `ntk transfer`: two-layer nets of several widths and seeds trained by full-batch gradient
// descent, compared at log-spaced epochs with their NTK machine (paper Sec. 3, Figs. 3 and 7).
import { Command, Option } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { engine } from '../engine.js';
import { fmtBytes } from '../../bindings/heap.js';
import { kernelOpsFor } from './kernel_choice.js';
import { addDataOptions, loadTask, type DataOptions } from './data_options.js';
import { choice, intList, number, numberList, positiveInt, nonNegativeInt } from './parse.js';
import { progressReporter } from './progress.js';
import { UsageError } from './errors.js';
import { checkFits, gramBytes } from './limits.js';
import { logCheckpoints, runTransfer, type TransferSettings } from '../experiments/transfer.js';
import { TWO_LAYER_INITS, type TwoLayerInit } from '../experiments/transfer_net.js';
import { fileStore } from '../experiments/transfer_store.js';
import { writeTransferFigures } from '../experiments/transfer_figures.js';
import { writeFileAtomic } from '../io/atomic.js';
import { writeReport } from '../viz/report-node.js';

export interface TransferCliOptions extends DataOptions {
  widths: number[];
  seeds: number;
  netSeed: number;
  epochs: number;
  checkpoints: number;
  lr?: number;
  lrFactor: number;
  timeScale: number;
  eps?: number[];
  pgd: boolean;
  pgdSteps: number;
  pgdStep: number;
  init: TwoLayerInit;
  gradientImages: number;
  chunk: number;
  out: string;
  resume: boolean;
  quiet: boolean;
}

/** The eigendecomposition keeps three n x n f64 matrices; the default subset is sized for the 30-minute budget. */
export const TRANSFER_DEFAULT_TRAIN = 500;

export function transferCommand(): Command {
  const cmd = new Command('transfer')
    .description('train two-layer nets (frozen +-1 readout) by full-batch gradient descent and compare them with their NTK: gradient alignment, own vs NTK (transfer) FGSM. ' +
      'The paper trains on all 60,000 MNIST images; the NTK at finite t needs the eigendecomposition of the n x n Gram (three n x n f64 matrices in the 4 GiB wasm32 memory, so at most about 13,000 points; larger --train is refused). ' +
      'The default subset (--train 500 --test 200, 60 epochs) keeps the default run near 30 minutes on 2 cores, most of it in the width-10,000 nets.')
    .option('--widths <list>', 'hidden widths, comma-separated', intList('--widths'), [100, 1000, 10000])
    .option('--seeds <n>', 'nets per width (seeds net-seed, net-seed + 1, ...)', positiveInt('--seeds'), 3)
    .option('--net-seed <s>', 'seed of the first net', nonNegativeInt('--net-seed'), 0)
    .option('--epochs <n>', 'gradient-descent steps (full batch: one per epoch)', positiveInt('--epochs'), 60)
    .option('--checkpoints <n>', 'about this many log-spaced checkpoint epochs (0 and --epochs always included)', positiveInt('--checkpoints'), 8)
    .option('--lr <eta>', 'learning rate; default lr-factor * N / lambda_max(Theta) with N = n k: gradient descent on 0.5 * mean squared error is stable below 2 N / lambda_max (the largest NTK eigenvalue, computed before training)', number('--lr', { min: 0 }))
    .option('--lr-factor <f>', 'the default learning rate as a fraction of N / lambda_max (0.5 = a quarter of the stability limit; smaller tracks the gradient flow more closely)', number('--lr-factor', { min: 0 }), 0.5)
    .option('--time-scale <s>', 'NTK time per unit of lr * epoch: t = s * lr * epoch (theory, spec §2 with N = n k: 1); transfer.json reports the fitted scale at the first epoch', number('--time-scale', { min: 0 }), 1)
    .option('--eps <list>', 'FGSM budgets (default 0.1 for MNIST/idx, 8/255 for CIFAR)', numberList('--eps', { min: 0, max: 1 }))
    .option('--pgd', 'also attack with PGD (own and NTK)', false)
    .option('--pgd-steps <n>', 'PGD iterations', positiveInt('--pgd-steps'), 10)
    .option('--pgd-step <size>', 'PGD step size', number('--pgd-step', { min: 0 }), 0.01)
    .addOption(new Option('--init <mode>', "paired: units come in pairs (w, a) and (w, -a), so f_0 = 0 and the net starts where the NTK machine does (Chizat et al.'s doubling; widths must be even); independent: every w, a drawn independently (f_0 is then a Gaussian process of variance |x|^2/2, about 50 on MNIST pixels, which dominates the centred output)").argParser(choice('--init', TWO_LAYER_INITS)).default('paired'))
    .option('--gradient-images <n>', 'test images in gradients.png', positiveInt('--gradient-images'), 4)
    .option('--chunk <rows>', 'training rows per forward/backward pass (memory)', positiveInt('--chunk'), 1000)
    .option('--out <dir>', 'output directory', 'runs/transfer')
    .option('--resume', 'continue from the checkpoint in <out>/checkpoint (same settings)', false)
    .option('-q, --quiet', 'no progress on stderr', false);
  addDataOptions(cmd, { train: TRANSFER_DEFAULT_TRAIN, test: 200 });
  cmd.action(async (opts: TransferCliOptions) => runTransferCli(opts));
  return cmd;
}

export async function runTransferCli(opts: TransferCliOptions): Promise<void> {
  const say = (s: string) => { if (!opts.quiet) process.stderr.write(s + '\n'); };
  for (const w of opts.widths) if (!(Number.isInteger(w) && w >= 1)) throw new UsageError(`--widths: ${w} is not a positive integer`);
  if (opts.init === 'paired') for (const w of opts.widths) if (w % 2) throw new UsageError(`--widths ${w}: --init paired needs even widths`);
  if (opts.lr !== undefined && !(opts.lr > 0)) throw new UsageError(`--lr: expected a number > 0, got ${opts.lr}`);
  if (!(opts.lrFactor > 0)) throw new UsageError(`--lr-factor: expected a number > 0, got ${opts.lrFactor}`);
  if (!(opts.timeScale > 0)) throw new UsageError(`--time-scale: expected a number > 0, got ${opts.timeScale}`);
  const task = loadTask(opts);
  const kernel = kernelOpsFor('twolayer', task.shape);
  const n = task.train.X.rows, d = task.train.X.cols, M = task.test.X.rows, k = task.outputs;
  // peak: the Gram, its eigenvectors and eigh's workspace (three n x n f64), then per net
  // parameters, gradient, accumulator and one activation arena of `chunk` rows (f32)
  const widest = Math.max(...opts.widths), chunk = Math.min(opts.chunk, n);
  const netBytes = 2 * 4 * 4 * d * widest + 4 * chunk * (d + 3 * widest + k + 2 * Math.max(d, widest));
  checkFits('--train', n, (m) => 3 * gramBytes(m) + 8 * (m * d + M * m + 4 * M * d), `the NTK at finite t needs the ${n} x ${n} f64 Gram's eigendecomposition (three ${fmtBytes(gramBytes(n))} matrices)`);
  if (netBytes + gramBytes(n) > engine().heap.limitBytes) throw new UsageError(`--widths ${widest}: a net of this width with --chunk ${chunk} needs ${fmtBytes(netBytes)} next to the ${fmtBytes(gramBytes(n))} eigenvectors, over the ${fmtBytes(engine().heap.limitBytes)} wasm32 limit; use a smaller width or --chunk`);
  const eps = opts.eps ?? [opts.dataset === 'cifar2' || opts.dataset === 'cifar10' ? 8 / 255 : 0.1];
  const settings: TransferSettings = {
    widths: opts.widths, seeds: opts.seeds, netSeed: opts.netSeed, epochs: opts.epochs, checkpoints: logCheckpoints(opts.epochs, opts.checkpoints),
    lr: opts.lr ?? null, lrFactor: opts.lrFactor, timeScale: opts.timeScale, eps,
    pgd: opts.pgd ? { steps: opts.pgdSteps, stepSize: opts.pgdStep } : null, gradientImages: Math.min(opts.gradientImages, M), chunk, init: opts.init,
  };
  mkdirSync(opts.out, { recursive: true });
  const ckDir = join(opts.out, 'checkpoint');
  const store = fileStore(ckDir, { settings, data: task.info }, opts.resume);
  say(`ntk transfer: ${task.description}; widths ${opts.widths.join(', ')} x ${opts.seeds} seeds, ${opts.epochs} epochs, checkpoints ${settings.checkpoints.join(', ')}; ${engine().threads} thread(s)`);
  const progress = progressReporter(opts.quiet);
  const t0 = performance.now();
  const res = runTransfer(kernel, { train: task.train, test: task.test, outputs: k }, settings, {
    progress: progress.update, store, log: (s) => { progress.done(); say(s); },
  });
  progress.done();
  const seconds = (performance.now() - t0) / 1000;
  const images = Array.from({ length: settings.gradientImages }, (_, i) => task.test.X.data.slice(i * d, (i + 1) * d));
  const { charts, files } = await writeTransferFigures(opts.out, res, eps[0], images, task.shape);
  const json = {
    command: ['ntk', ...process.argv.slice(2)].join(' '), settings, data: task.info,
    trainIndices: task.train.indices ? Array.from(task.train.indices) : null,
    testIndices: task.test.indices ? Array.from(task.test.indices) : null,
    ...res, timings: { total: seconds, gram: res.ntk.seconds.gram, eigh: res.ntk.seconds.eigh, ntkAttacks: res.ntk.seconds.attacks, runs: res.runs.map((r) => ({ width: r.width, seed: r.seed, seconds: r.seconds })) },
    threads: engine().threads,
  };
  writeFileAtomic(join(opts.out, 'transfer.json'), JSON.stringify(json, (_k, v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v)));
  const last = settings.checkpoints.length - 1, e0 = String(Number(eps[0].toPrecision(6)));
  const rows = res.runs.map((r) => [r.width, r.seed, r.similarity.mean[last], r.linearised.mean[last], r.flips.zeroShare[last], r.accuracy.clean[last], r.accuracy.own[e0][last], r.accuracy.ntk[e0][last], r.accuracy.ntkFinal[e0][last], r.alignment?.relMismatch ?? null, Number(r.seconds.toFixed(1))]);
  writeReport(opts.out, {
    title: 'ntk transfer', command: json.command, settings: settings as unknown as Record<string, unknown>, data: task.info,
    summary: [`lr ${res.lr.value.toPrecision(4)} (${res.lr.auto ? 'auto' : 'given'}; stable below ${res.lr.stableBelow.toPrecision(4)}); NTK time t = ${opts.timeScale} x lr x epoch`],
    figures: [{ title: 'Gradient similarity', svg: charts[0].svg, file: 'similarity.png' }, { title: 'Accuracy', svg: charts[1].svg, file: 'accuracy.png' }],
    tables: [{ title: `Final epoch ${opts.epochs} (eps ${e0})`, columns: ['width', 'seed', 'similarity', 'linearised similarity', 'test points with no unit flipped', 'clean', 'own FGSM', 'NTK FGSM', 'NTK FGSM (final t)', 'output mismatch at epoch 1', 'seconds'], rows }],
    timings: { total: seconds, gram: res.ntk.seconds.gram, eigh: res.ntk.seconds.eigh, 'NTK attacks': res.ntk.seconds.attacks },
    files: ['transfer.json', ...files],
  });
  store.clear();
  say(`done in ${seconds.toFixed(1)} s; wrote ${['transfer.json', ...files, 'report.html'].map((f) => join(opts.out, f)).join(', ')}`);
  process.stdout.write(`report: ${join(opts.out, 'report.html')}\n`);
}
