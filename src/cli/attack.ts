// `ntk attack`: the main job. Fit the wide net's kernel machine on the training set and
// attack it on the test set without training any network; write report, pictures and arrays.
import { Command, Option } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ATTACK_LOSSES, type AttackLoss } from '../attacks/losses.js';
import { runAttackExperiment, attackModel, type AttackMethod, type AttackExperimentResult } from '../experiments/attack_experiment.js';
import { loadNet } from '../io/params-node.js';
import { netModel } from '../nn/model.js';
import { decisions, accuracy } from '../attacks/fgsm_pgd.js';
import { engine } from '../engine.js';
import { choice, choiceList, number, numberList, positiveInt } from './parse.js';
import { addDataOptions, loadTask, type DataOptions, type Task } from './data_options.js';
import { kernelOpsFor, ARCH_HELP } from './kernel_choice.js';
import { writeAttackOutputs } from './attack_outputs.js';
import { progressReporter } from './progress.js';
import { UsageError } from './errors.js';
import { checkFits, gramBytes } from './limits.js';
import { fmtBytes } from '../../bindings/heap.js';

export interface AttackOptions extends DataOptions {
  arch: string;
  /** A trained net's directory (ntk train --out, or its checkpoint/): attack it instead of a kernel machine. */
  model?: string;
  eps: number[];
  curve: string;
  method: AttackMethod[];
  loss: AttackLoss[];
  pgdSteps: number;
  pgdStep: number;
  randomStart: boolean;
  labels: 'true' | 'predicted';
  t: number;
  eta: number;
  ridge: number;
  batch: number;
  out: string;
  quiet: boolean;
}

export function attackCommand(): Command {
  const cmd = new Command('attack')
    .description('training-free FGSM/PGD attacks on the NTK machine of a wide network (no network is trained), or on a trained net (--model)')
    .option('--arch <name>', `architecture whose NTK is used: ${ARCH_HELP}`, 'fc1')
    .option('--model <dir>', 'attack a trained net (the --out directory of ntk train, or any directory with params.json) instead of an NTK machine')
    .option('--eps <list>', 'L-inf budgets, comma-separated (fractions like 8/255 allowed)', numberList('--eps', { min: 0, max: 1 }), [0.1])
    .option('--curve <list|auto|none>', "extra budgets for eps-curve.png: 'auto' adds eps/4, eps/2, 3eps/4 of the largest --eps", 'auto')
    .option('--method <list>', 'attacks: fgsm, pgd', choiceList('--method', ['fgsm', 'pgd'] as const), ['fgsm', 'pgd'] as AttackMethod[])
    .option('--loss <list>', `objectives (multiclass): ${ATTACK_LOSSES.join(', ')}; max-of-k and sum-of-k are the spec's inferred forms of App. B.2 (binary tasks always use the logistic loss)`, choiceList('--loss', ATTACK_LOSSES), ['ce'] as AttackLoss[])
    .option('--pgd-steps <n>', 'PGD iterations', positiveInt('--pgd-steps'), 10)
    .option('--pgd-step <size>', 'PGD step size (authors: 0.01 for kernels)', number('--pgd-step', { min: 0 }), 0.01)
    .option('--random-start', 'PGD starts from a uniform point in the eps-ball', false)
    .addOption(new Option('--labels <mode>', "attack the true labels (authors' code) or the machine's predictions (no test labels needed)").choices(['true', 'predicted']).default('true'))
    .addOption(new Option('--t <time>', "training time of the kernel machine; 'inf' = converged (Cholesky), finite uses the eigendecomposition").argParser(number('--t', { min: 0, allowInf: true })).default(Infinity, 'inf'))
    .option('--eta <lr>', 'learning rate of the gradient flow (finite --t only)', number('--eta', { min: 0 }), 1)
    .option('--ridge <lambda>', 'ridge added to the diagonal of the Gram matrix', number('--ridge', { min: 0 }), 0)
    .option('--batch <n>', 'test points per block (bounds memory: blocks hold batch x train kernels)', positiveInt('--batch'), 250)
    .option('--out <dir>', 'output directory', 'runs/attack')
    .option('-q, --quiet', 'no progress on stderr', false);
  addDataOptions(cmd, { train: 2000, test: 500 });
  cmd.action(async (opts: AttackOptions, c: Command) => {
    // kernel-machine settings mean nothing for a trained net: refuse them instead of ignoring them
    if (opts.model) for (const f of ['arch', 't', 'eta', 'ridge'])
      if (c.getOptionValueSource(f) === 'cli') throw new UsageError(`--${f} has no effect with --model (the net directory fixes the architecture; no kernel machine is fitted)`);
    return runAttack(opts);
  });
  return cmd;
}

function curveEps(eps: number[], curve: string): number[] {
  const all = new Set(eps);
  if (curve === 'auto') {
    const mx = Math.max(...eps);
    for (const f of [0.25, 0.5, 0.75]) all.add(Number((mx * f).toPrecision(6)));
  } else if (curve !== 'none') {
    for (const e of numberList('--curve', { min: 0, max: 1 })(curve)) all.add(e);
  }
  return [...all].sort((a, b) => a - b);
}

export async function runAttack(opts: AttackOptions): Promise<void> {
  const say = (s: string) => { if (!opts.quiet) process.stderr.write(s + '\n'); };
  const task = loadTask(opts);
  if (opts.model) return attackNet(opts, task, say);
  const kernel = kernelOpsFor(opts.arch, task.shape);
  if (opts.labels !== 'true' && opts.labels !== 'predicted') throw new UsageError(`--labels: expected true or predicted`);
  const eps = curveEps(opts.eps, opts.curve);
  return finish(opts, task, say, eps, (progress) => runAttackExperiment(kernel, task.train, task.test, task.outputs, {
    eps, methods: opts.method, losses: opts.loss, pgdSteps: opts.pgdSteps, pgdStepSize: opts.pgdStep,
    randomStart: opts.randomStart, labelMode: opts.labels, fit: { t: opts.t, eta: opts.eta, ridge: opts.ridge },
    batch: opts.batch, seed: opts.seed,
  }, progress), () => {
    // the Gram (factored in place; a finite --t needs its eigenvectors too), the training set,
    // and per test block a few batch x n kernels and batch x d gradients
    const n = task.train.X.rows, d = task.train.X.cols, b = Math.min(opts.batch, task.test.X.rows);
    const grams = Number.isFinite(opts.t) ? 3 : 1;
    checkFits('--train', n, (k) => grams * gramBytes(k) + 8 * (k * d + 4 * b * k + 4 * b * d),
      `the ${n} x ${n} f64 Gram alone is ${fmtBytes(gramBytes(n))}${grams > 1 ? ', and finite --t keeps its eigenvectors too' : ''}`);
  });
}

type Say = (s: string) => void;

/** Shared tail of both attack kinds: checks, run with progress, files, summary. */
async function finish(opts: AttackOptions, task: Task, say: Say, eps: number[], run: (progress: (done: number, total: number, label: string) => void) => AttackExperimentResult, check: () => void, what?: string): Promise<void> {
  check();
  mkdirSync(opts.out, { recursive: true });
  say(`ntk attack: ${task.description}; ${what ?? `arch ${opts.arch}`}; ${engine().threads} thread(s)`);
  const progress = progressReporter(opts.quiet);
  const t0 = performance.now();
  const res = run(progress.update);
  progress.done();
  const seconds = (performance.now() - t0) / 1000;
  const files = await writeAttackOutputs(opts.out, { opts, task, res, eps, seconds, command: ['ntk', ...process.argv.slice(2)].join(' ') });
  say(`clean accuracy ${(100 * res.cleanAccuracy).toFixed(1)}% (train ${(100 * res.trainAccuracy).toFixed(1)}%)`);
  for (const r of res.results)
    say(`  ${r.method.padEnd(4)} ${r.loss.padEnd(8)} eps=${String(Number(r.eps.toPrecision(4))).padEnd(7)} robust accuracy ${(100 * r.robustAccuracy).toFixed(1)}%`);
  say(`done in ${seconds.toFixed(1)} s; wrote ${files.map((f) => join(opts.out, f)).join(', ')}`);
  // the report path last, on stdout even with --quiet: it is what a user opens next
  process.stdout.write(`report: ${join(opts.out, 'report.html')}\n`);
}

/** --model: a trained net through the same attack code (netModel is a DifferentiableModel). */
async function attackNet(opts: AttackOptions, task: Task, say: Say): Promise<void> {
  const eps = curveEps(opts.eps, opts.curve);
  const { net, index } = loadNet(opts.model!);
  try {
    const s = net.inputShape, [H, W, C] = task.shape;
    const fits = s.flat ? s.C === H * W * C : s.H === H && s.W === W && s.C === C;
    if (!fits) throw new UsageError(`--model ${opts.model}: the net takes ${s.flat ? `${s.C} values` : `${s.H}x${s.W}x${s.C} images`} but ${opts.dataset} images are ${H}x${W}x${C}`);
    if (net.outputs !== task.outputs) throw new UsageError(`--model ${opts.model}: the net has ${net.outputs} output(s) but the task has ${task.outputs === 1 ? '2 classes (binary, 1 output)' : `${task.outputs} classes`}`);
    opts.arch = index.arch;
    const model = netModel(net, { batch: opts.batch });
    await finish(opts, task, say, eps, (progress) => {
      const trainAccuracy = accuracy(decisions(model.forward(task.train.X)), task.train.labels);
      return attackModel(model, task.test, task.outputs, {
        eps, methods: opts.method, losses: opts.loss, pgdSteps: opts.pgdSteps, pgdStepSize: opts.pgdStep,
        randomStart: opts.randomStart, labelMode: opts.labels, batch: opts.batch, seed: opts.seed,
      }, progress, { trainAccuracy, gramSeconds: 0, solveSeconds: 0 });
    }, () => {}, `trained ${index.arch} net from ${opts.model} (${net.nParams.toLocaleString('en')} parameters)`);
  } finally { net.dispose(); }
}
