// Files of `ntk attack`: report.json, examples.png, eps-curve.png and the arrays as .npy.
// Every file is written atomically (temp file + rename), so a crash leaves no partial file.
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { writeNpy } from '../io/npy-node.js';
import { imageGrid } from '../viz/grid.js';
import { linePlot, type Series } from '../viz/plot.js';
import { engine } from '../engine.js';
import type { AttackExperimentResult, AttackResult } from '../experiments/attack_experiment.js';
import type { AttackOptions } from './attack.js';
import type { Task } from './data_options.js';

const fmtEps = (e: number) => String(Number(e.toPrecision(4)));

function labelName(task: Task, y: number): string {
  if (task.outputs === 1) return task.classNames?.[y === -1 ? 0 : 1] ?? (y > 0 ? '+1' : '-1');
  return String(y);
}

/** The headline attack: strongest method (PGD over FGSM), first loss, largest requested eps. */
export function headline(res: AttackExperimentResult, opts: AttackOptions): AttackResult | undefined {
  const eps = Math.max(...opts.eps);
  const method = opts.method.includes('pgd') ? 'pgd' : 'fgsm';
  return res.results.find((r) => r.method === method && r.eps === eps && (r.loss === opts.loss[0] || res.results.every((q) => q.loss === 'ce')));
}

export function writeAttackOutputs(
  dir: string, ctx: { opts: AttackOptions; task: Task; res: AttackExperimentResult; eps: number[]; seconds: number },
): string[] {
  const { opts, task, res } = ctx;
  const [H, W, C] = task.shape, d = H * W * C, m = task.test.X.rows;
  const files: string[] = [];
  const put = (name: string, write: (path: string) => void) => { write(join(dir, name)); files.push(name); };

  // arrays: the clean test subset, its labels, and one adversarial set per requested budget
  put('x_test.npy', (p) => writeNpy(p, Float32Array.from(task.test.X.data), [m, H, W, C]));
  put('y_test.npy', (p) => writeNpy(p, Int32Array.from(task.test.labels), [m]));
  const arrays: Record<string, string> = {};
  for (const r of res.results) {
    if (!opts.eps.includes(r.eps)) continue;
    const name = `adv_${r.method}${r.loss === 'ce' ? '' : '_' + r.loss}_eps${fmtEps(r.eps)}.npy`;
    put(name, (p) => writeNpy(p, Float32Array.from(r.adversarial), [m, H, W, C]));
    arrays[`${r.method}/${r.loss}/${fmtEps(r.eps)}`] = name;
  }

  // examples.png: clean | perturbation (rescaled) | adversarial for the first test points
  const h = headline(res, opts);
  if (h) {
    const rowsShown = Math.min(8, m);
    const images: Float64Array[] = [], captions: string[] = [];
    for (let i = 0; i < rowsShown; i++) {
      const x = task.test.X.data.subarray(i * d, (i + 1) * d), a = h.adversarial.subarray(i * d, (i + 1) * d);
      images.push(x, a.map((v, j) => v - x[j]), a);
      captions.push(`y=${labelName(task, task.test.labels[i])} p=${labelName(task, res.cleanPredictions[i])}`, `eps=${fmtEps(h.eps)}`, `p=${labelName(task, h.predictions[i])}`);
    }
    put('examples.png', (p) => writeFileAtomic(p, imageGrid({
      images, captions, shape: [H, W, C], cols: 3,
      headers: ['clean', 'perturbation (rescaled)', `adversarial (${h.method.toUpperCase()})`],
      title: `${opts.model ? `trained ${opts.arch} net` : `${opts.arch} NTK`}, ${opts.dataset}: ${h.method.toUpperCase()} eps=${fmtEps(h.eps)}`,
      scaling: ['clip', 'symmetric', 'clip'],
    })));
  }

  // eps-curve.png: robust accuracy vs eps, one series per attack, eps = 0 is clean accuracy
  const series: Series[] = [];
  for (const method of opts.method) for (const loss of task.outputs === 1 ? ['ce'] : opts.loss) {
    const rs = res.results.filter((r) => r.method === method && r.loss === loss).sort((a, b) => a.eps - b.eps);
    if (!rs.length) continue;
    const xs = [0, ...rs.map((r) => r.eps)], ys = [res.cleanAccuracy, ...rs.map((r) => r.robustAccuracy)];
    series.push({ label: `${method.toUpperCase()}${loss === 'ce' ? '' : ` (${loss})`}`, x: xs, y: ys });
  }
  put('eps-curve.png', (p) => writeFileAtomic(p, linePlot({
    series, title: `Robust accuracy of the ${opts.model ? `trained ${opts.arch} net` : `${opts.arch} NTK machine`} on ${opts.dataset}`, xLabel: 'eps (L-inf)', yLabel: 'accuracy',
  })));

  const report = {
    tool: 'ntk-robustness', command: 'attack', date: new Date().toISOString(),
    settings: {
      arch: opts.arch, model: opts.model ?? null, eps: opts.eps, curveEps: ctx.eps, methods: opts.method, losses: opts.loss, pgdSteps: opts.pgdSteps,
      pgdStepSize: opts.pgdStep, randomStart: opts.randomStart, labels: opts.labels,
      t: Number.isFinite(opts.t) ? opts.t : 'inf', eta: opts.eta, ridge: opts.ridge, batch: opts.batch,
    },
    data: task.info,
    cleanAccuracy: res.cleanAccuracy,
    trainAccuracy: res.trainAccuracy,
    results: res.results.map((r) => ({ method: r.method, loss: r.loss, eps: r.eps, robustAccuracy: r.robustAccuracy, successRate: r.successRate, seconds: r.seconds, array: arrays[`${r.method}/${r.loss}/${fmtEps(r.eps)}`] ?? null })),
    timings: { ...res.timings, totalSeconds: ctx.seconds },
    engine: { threads: engine().threads, wasmPeakBytes: engine().heap.peak },
    node: process.version,
    files: [...files, 'report.json'],
  };
  put('report.json', (p) => writeFileAtomic(p, JSON.stringify(report, null, 2) + '\n'));
  return files;
}
