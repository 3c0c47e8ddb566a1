// `ntk train`: train a finite net (optionally adversarially) and write train.json (per epoch:
// loss, clean and robust accuracy on train and test, seconds), curves.png and a checkpoint
// per epoch (checkpoint/, also the model directory `ntk attack --model` reads). `--resume`
// continues from the checkpoint and gives the same numbers as an uninterrupted run.
import { Command, Option } from 'commander';
import { join } from 'node:path';
import { engine } from '../engine.js';
import { writeFileAtomic } from '../io/atomic.js';
import { lineChart } from '../viz/charts/index.js';
import { writeChart } from '../viz/render-node.js';
import { buildNet, type Net } from '../nn/net.js';
import { netArch, NET_ARCHS } from '../nn/presets.js';
import { Trainer, DivergedError, type AdvTrainOptions } from '../nn/train.js';
import { TRAIN_LOSSES, type TrainLoss } from '../nn/losses.js';
import { evaluateNet, type RobustEval } from '../nn/evaluate.js';
import { saveCheckpoint, loadCheckpoint, hasCheckpoint } from '../io/checkpoint-node.js';
import { choice, number, numberList, positiveInt } from './parse.js';
import { addDataOptions, loadTask, type DataOptions } from './data_options.js';
import { progressReporter } from './progress.js';
import { UsageError } from './errors.js';

export interface TrainCliOptions extends DataOptions {
  arch: string;
  width?: number;
  parameterization?: 'ntk' | 'standard';
  epochs: number;
  batch: number;
  lr: number;
  momentum: number;
  loss?: TrainLoss;
  adv?: 'fgsm' | 'pgd';
  eps?: number[];
  step: number;
  steps: number;
  randomStart: boolean;
  evalAttack?: 'fgsm' | 'pgd' | 'none';
  evalN: number;
  out: string;
  resume: boolean;
  quiet: boolean;
}

export function trainCommand(): Command {
  const cmd = new Command('train')
    .description('train a finite network (SGD, optional FGSM/PGD adversarial training) in WebAssembly')
    .option('--arch <name>', `architecture: ${NET_ARCHS.join(', ')}`, 'mnist-cnn')
    .option('--width <n>', 'hidden width of twolayer / fcL / convL (default 512 fc and twolayer, 128 conv)', positiveInt('--width'))
    .addOption(new Option('--parameterization <p>', 'ntk (matches the analytic kernels) or standard (Flax defaults); default: standard for the CNNs, ntk otherwise').choices(['ntk', 'standard']))
    .option('--epochs <n>', 'epochs', positiveInt('--epochs'), 5)
    .option('--batch <n>', 'minibatch size', positiveInt('--batch'), 300)
    .option('--lr <rate>', 'SGD learning rate', number('--lr', { min: 0 }), 0.01)
    .option('--momentum <mu>', 'SGD momentum (0 = plain SGD)', number('--momentum', { min: 0 }), 0)
    .option('--loss <name>', `training loss: ${TRAIN_LOSSES.join(', ')} (default ce, logistic for binary tasks)`, choice('--loss', TRAIN_LOSSES))
    .option('--adv <method>', 'adversarial training: fgsm or pgd examples replace each batch', choice('--adv', ['fgsm', 'pgd'] as const))
    .option('--eps <eps>', 'L-inf budget of adversarial training and robust evaluation (default 0.3 MNIST/IDX, 8/255 CIFAR)', numberList('--eps', { min: 0, max: 1 }))
    .option('--step <size>', 'PGD step size', number('--step', { min: 0 }), 0.01)
    .option('--steps <n>', 'PGD steps', positiveInt('--steps'), 20)
    .option('--random-start', 'PGD starts from a uniform point in the eps-ball', false)
    .addOption(new Option('--eval-attack <method>', 'attack of the per-epoch robust accuracy (default: --adv, or fgsm)').choices(['fgsm', 'pgd', 'none']))
    .option('--eval-n <n>', 'train and test points evaluated per epoch', positiveInt('--eval-n'), 1000)
    .option('--out <dir>', 'output directory', 'runs/train')
    .option('--resume', 'continue from <out>/checkpoint (same settings required)', false)
    .option('-q, --quiet', 'no progress on stderr', false);
  addDataOptions(cmd, { train: -1, test: -1 });
  // the whole train and test splits unless --train / --test ask for seeded subsets
  cmd.action(async (opts: TrainCliOptions) => runTrain(opts));
  return cmd;
}

interface EpochRow {
  epoch: number; loss: number; seconds: number;
  train: { clean: number; robust: number | null }; test: { clean: number; robust: number | null };
}

export async function runTrain(opts: TrainCliOptions): Promise<void> {
  const say = (s: string) => { if (!opts.quiet) process.stderr.write(s + '\n'); };
  if (opts.eps && opts.eps.length !== 1) throw new UsageError(`--eps: give one budget, got ${opts.eps.length}`);
  const eps = opts.eps?.[0] ?? (opts.dataset === 'cifar2' || opts.dataset === 'cifar10' ? 8 / 255 : 0.3);
  if (!(opts.momentum < 1)) throw new UsageError(`--momentum: expected a number in [0, 1), got ${opts.momentum}`);
  if (!(opts.lr > 0)) throw new UsageError(`--lr: expected a number > 0, got ${opts.lr}`);
  const task = loadTask(opts);
  const outputs = task.outputs;
  const arch = netArch(opts.arch, { outputs, width: opts.width });
  const parameterization = opts.parameterization ?? arch.parameterization;
  const adv: AdvTrainOptions | undefined = opts.adv ? { method: opts.adv, eps, step: opts.step, steps: opts.steps, randomStart: opts.randomStart } : undefined;
  const evalAttack = opts.evalAttack ?? opts.adv ?? 'fgsm';
  const ev: RobustEval | null = evalAttack === 'none' ? null : { attack: evalAttack, eps, step: opts.step, steps: opts.steps, randomStart: opts.randomStart, seed: opts.seed };
  const settings = {
    arch: opts.arch, width: arch.width ?? null, parameterization, dataset: opts.dataset, classes: opts.classes ?? null, train: opts.train, test: opts.test,
    seed: opts.seed, stratified: opts.stratified, batch: opts.batch, lr: opts.lr, momentum: opts.momentum, loss: opts.loss ?? null,
    adv: adv ?? null, evalAttack, evalN: opts.evalN, eps, threads: engine().threads,
  };
  const ckDir = join(opts.out, 'checkpoint');
  let net: Net, history: EpochRow[] = [], velocity: Float64Array | null = null, startEpoch = 0;
  if (opts.resume) {
    if (!hasCheckpoint(ckDir)) throw new UsageError(`--resume: no checkpoint in ${ckDir}`);
    const ck = loadCheckpoint(ckDir);
    for (const [k, v] of Object.entries(settings)) {
      if (k === 'threads') continue;
      if (JSON.stringify(ck.state.settings[k] ?? null) !== JSON.stringify(v)) {
        ck.net.dispose();
        throw new UsageError(`--resume: setting '${k}' is ${JSON.stringify(v)} but the checkpoint in ${ckDir} was made with ${JSON.stringify(ck.state.settings[k])}`);
      }
    }
    net = ck.net; history = ck.state.history as EpochRow[]; velocity = ck.velocity; startEpoch = ck.state.epoch;
    say(`ntk train: resuming ${ckDir} after epoch ${startEpoch}`);
  } else {
    net = buildNet(arch.layers, { input: task.shape, width: arch.width, parameterization, seed: opts.seed });
  }
  let trainer: Trainer | null = null;
  try {
    trainer = new Trainer(net, { batch: Math.min(opts.batch, task.train.X.rows), lr: opts.lr, momentum: opts.momentum, loss: opts.loss, seed: opts.seed, adv });
    trainer.epoch = startEpoch;
    if (opts.resume) trainer.setVelocity(velocity);
    say(`ntk train: ${task.description}; ${opts.arch} (${net.nParams.toLocaleString('en')} parameters, ${parameterization}); ${engine().threads} thread(s)${adv ? `; ${adv.method.toUpperCase()} adversarial training eps=${Number(eps.toPrecision(4))}` : ''}`);
    const n = task.train.X.rows, steps = Math.ceil(n / trainer.opts.batch), total = opts.epochs * steps;
    const evalTrain = head(task.train, opts.evalN), evalTest = head(task.test, opts.evalN);
    const progress = progressReporter(opts.quiet);
    const write = () => writeOutputs(opts, history, ev);
    for (let e = startEpoch; e < opts.epochs; e++) {
      const t0 = performance.now();
      let res;
      try {
        res = trainer.runEpoch(task.train.X, task.train.labels, (s, _steps, L) => progress.update(e * steps + s, total, `train (epoch ${e + 1}/${opts.epochs}, loss ${L.toFixed(4)})`));
      } catch (err) {
        progress.done();
        if (err instanceof DivergedError) throw new UsageError(`${err.message}; the last good checkpoint${e > 0 ? ` (epoch ${e})` : ''} is ${e > 0 ? `kept in ${ckDir}` : 'none (diverged in the first epoch)'}`);
        throw err;
      }
      const trainSeconds = (performance.now() - t0) / 1000;
      const row: EpochRow = {
        epoch: e + 1, loss: res.loss, seconds: trainSeconds,
        train: evaluateNet(net, evalTrain.X, evalTrain.labels, ev), test: evaluateNet(net, evalTest.X, evalTest.labels, ev),
      };
      progress.done();
      history.push(row);
      saveCheckpoint(ckDir, net, trainer, opts.arch, arch.width, { epoch: e + 1, seed: opts.seed, settings, history });
      await write();
      const pct = (v: number | null) => (v === null || Number.isNaN(v) ? '-' : `${(100 * v).toFixed(1)}%`);
      say(`epoch ${e + 1}/${opts.epochs}: loss ${res.loss.toFixed(4)}, train ${pct(row.train.clean)} (robust ${pct(row.train.robust)}), test ${pct(row.test.clean)} (robust ${pct(row.test.robust)}), ${trainSeconds.toFixed(1)} s (${(n / trainSeconds).toFixed(0)} img/s)`);
    }
    await write();
    say(`done; wrote ${join(opts.out, 'train.json')}, ${join(opts.out, 'curves.png')}, ${ckDir}/`);
  } finally {
    trainer?.dispose();
    net.dispose();
  }
}

function head(s: { X: { data: Float64Array; rows: number; cols: number }; labels: Int32Array }, n: number) {
  const m = Math.min(n, s.X.rows);
  return { X: { data: s.X.data.subarray(0, m * s.X.cols), rows: m, cols: s.X.cols }, labels: s.labels.subarray(0, m) };
}

async function writeOutputs(opts: TrainCliOptions, history: EpochRow[], ev: RobustEval | null): Promise<void> {
  const doc = { tool: 'ntk-robustness', command: 'train', date: new Date().toISOString(), arch: opts.arch, robustEval: ev, epochs: history };
  writeFileAtomic(join(opts.out, 'train.json'), JSON.stringify(doc, null, 1));
  const xs = history.map((r) => r.epoch);
  const series = [
    { label: 'train clean', x: xs, y: history.map((r) => r.train.clean) },
    { label: 'test clean', x: xs, y: history.map((r) => r.test.clean) },
  ];
  if (ev) {
    series.push({ label: `train robust (${ev.attack.toUpperCase()})`, x: xs, y: history.map((r) => r.train.robust ?? NaN) });
    series.push({ label: `test robust (${ev.attack.toUpperCase()})`, x: xs, y: history.map((r) => r.test.robust ?? NaN) });
  }
  await writeChart(opts.out, 'curves', lineChart(series, {
    title: `${opts.arch} on ${opts.dataset}: accuracy per epoch${ev ? ` (robust: ε ${Number(ev.eps.toPrecision(3))})` : ''}`, xLabel: 'epoch', yLabel: 'accuracy',
    xDomain: [1, Math.max(2, ...xs)], yDomain: [0, 1], yFormat: '.0%',
  }));
}
