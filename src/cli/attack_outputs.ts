// Files of `ntk attack`: report.json, report.html, examples.png, eps-curve.png/.svg and the
// arrays as .npy.
// Every file is written atomically (temp file + rename), so a crash leaves no partial file.
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { writeNpy } from '../io/npy-node.js';
import { imageGrid } from '../viz/grid.js';
import { lineChart, type LineSeries } from '../viz/charts/index.js';
import { writeChart } from '../viz/render-node.js';
import { writeReport } from '../viz/report-node.js';
import type { ReportFigure } from '../viz/report.js';
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

export async function writeAttackOutputs(
  dir: string, ctx: { opts: AttackOptions; task: Task; res: AttackExperimentResult; eps: number[]; seconds: number; command?: string },
): Promise<string[]> {
  const { opts, task, res } = ctx;
  const [H, W, C] = task.shape, d = H * W * C, m = task.test.X.rows;
  const files: string[] = [];
  const put = (name: string, write: (path: string) => void) => { write(join(dir, name)); files.push(name); };
  const figures: ReportFigure[] = [];

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
      captions.push(`y=${labelName(task, task.test.labels[i])} p=${labelName(task, res.cleanPredictions[i])}`, `ε=${fmtEps(h.eps)}`, `p=${labelName(task, h.predictions[i])}`);
    }
    const title = `${opts.model ? `trained ${opts.arch} net` : `${opts.arch} NTK`}, ${opts.dataset}: ${h.method.toUpperCase()} ε=${fmtEps(h.eps)}`;
    const png = await imageGrid({
      images, captions, shape: [H, W, C], cols: 3,
      headers: ['clean', 'perturbation (rescaled)', `adversarial (${h.method.toUpperCase()})`],
      title, scaling: ['clip', 'symmetric', 'clip'],
    });
    put('examples.png', (p) => writeFileAtomic(p, png));
    figures.push({ title: 'Examples', png, file: 'examples.png',
      caption: `First ${rowsShown} test points: clean input (y = label, p = prediction), the perturbation rescaled to the full grey range, and the adversarial input with its prediction.` });
  }

  // eps-curve: robust accuracy vs eps, one series per attack, eps = 0 is clean accuracy
  const series: LineSeries[] = [];
  for (const method of opts.method) for (const loss of task.outputs === 1 ? ['ce'] : opts.loss) {
    const rs = res.results.filter((r) => r.method === method && r.loss === loss).sort((a, b) => a.eps - b.eps);
    if (!rs.length) continue;
    const xs = [0, ...rs.map((r) => r.eps)], ys = [res.cleanAccuracy, ...rs.map((r) => r.robustAccuracy)];
    series.push({ label: `${method.toUpperCase()}${loss === 'ce' ? '' : ` (${loss})`}`, x: xs, y: ys });
  }
  const curve = await writeChart(dir, 'eps-curve', lineChart(series, {
    title: `Robust accuracy of the ${opts.model ? `trained ${opts.arch} net` : `${opts.arch} NTK machine`} on ${opts.dataset}`, xLabel: 'ε (L∞ budget)', yLabel: 'accuracy',
    yDomain: [0, 1], yFormat: '.0%', width: 520, height: 320,
  }));
  files.push(...curve.files);
  figures.unshift({ title: 'Robust accuracy vs ε', svg: curve.svg, file: 'eps-curve.png',
    caption: `Accuracy of the ${opts.model ? 'trained net' : 'kernel machine'} on the attacked test points; ε = 0 is the clean accuracy.` });

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
    files: [...files, 'report.json', 'report.html'],
  };
  put('report.json', (p) => writeFileAtomic(p, JSON.stringify(report, null, 2) + '\n'));
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  writeReport(dir, {
    title: `ntk attack: ${opts.arch} NTK machine on ${opts.dataset}`, command: ctx.command, date: report.date,
    summary: [`clean test accuracy ${pct(res.cleanAccuracy)} (train ${pct(res.trainAccuracy)}) on ${m} test points`,
      ...(h ? [`${h.method.toUpperCase()} at ε = ${fmtEps(h.eps)}: robust accuracy ${pct(h.robustAccuracy)}`] : [])],
    figures,
    tables: [{ title: 'Attacks', columns: ['method', 'loss', 'ε', 'robust accuracy', 'success rate', 'seconds', 'array'],
      rows: report.results.map((r) => [r.method, r.loss, r.eps, pct(r.robustAccuracy), pct(r.successRate), r.seconds, r.array]) }],
    settings: { ...report.settings, threads: engine().threads }, data: task.info,
    timings: { 'Gram': res.timings.gramSeconds, 'solve': res.timings.solveSeconds, 'predict': res.timings.predictSeconds, 'attacks': res.timings.attackSeconds, 'total': ctx.seconds },
    files: [...files, 'report.html'],
  });
  files.push('report.html');
  return files;
}
