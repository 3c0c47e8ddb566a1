// The figures of `ntk dynamics` as chart specs (spec §6; paper Figs. 5, 6, 12-15). Every
// figure that overlays runs gives each run (training mode, or its linearised continuation) one
// colour, the same in every figure, with a legend naming it; every title says which batch the
// kernel was computed on (clean, or PGD-perturbed against the current net).
import { lineChart, heatmapChart, polarChart, facetCharts, type LineSeries, type ChartSpec } from '../viz/charts/index.js';
import type { KernelDynamics, Polar } from './dynamics_metrics.js';
import type { EpochRow, KernelInput } from './dynamics.js';

export interface FigureRun {
  /** Key of the run in histories/metrics, e.g. 'pgd' or 'pgd-lin1'. */
  name: string;
  /** Legend name, e.g. 'PGD adv.'. */
  label: string;
}

export interface DynamicsFigureInput {
  runs: FigureRun[];
  histories: Record<string, EpochRow[]>;
  metrics: Record<KernelInput, Record<string, KernelDynamics>>;
  /** Clean-batch kernels of each run, epochs 0..T (flat N x N). */
  cleanKernels: Record<string, ArrayLike<number>[]>;
  /** Kernel side (B k). */
  N: number;
  epochs: number;
  /** Eigenspace size of the top/bottom polar split. */
  top: number;
  arch: string;
  dataset: string;
  kernelBatch: number;
  evalN: number;
  /** PGD steps of the kernel batch and of robust accuracy. */
  steps: number;
  eps: number;
}

export interface DynamicsFigure { name: string; title: string; spec: ChartSpec; caption: string }

export const INPUT_NAME: Record<KernelInput, string> = { clean: 'clean batch', pgd: 'PGD-perturbed batch' };
const LEGEND = 'training';

/** All §6 figures of a dynamics run: distance, distance to previous, polar, concentration (per batch), accuracy, kernel values. */
export function dynamicsFigures(d: DynamicsFigureInput): DynamicsFigure[] {
  const figs: DynamicsFigure[] = [];
  const names = d.runs.map((r) => r.name), label = Object.fromEntries(d.runs.map((r) => [r.name, r.label])) as Record<string, string>;
  const epochs = Array.from({ length: d.epochs + 1 }, (_, e) => e);
  const eps = Number(d.eps.toPrecision(3));
  const where = `${d.arch}, ${d.dataset}, kernel batch B = ${d.kernelBatch} (${d.N} x ${d.N} NTK)`;
  const batchWhat = (input: KernelInput) => input === 'clean'
    ? `NTK on the clean batch (the first ${d.kernelBatch} training points)`
    : `NTK on the batch perturbed by PGD-${d.steps} (eps ${eps}) against each epoch's net`;
  const s = Math.min(d.top, d.N);
  for (const input of ['clean', 'pgd'] as const) {
    const M = d.metrics[input], on = INPUT_NAME[input];
    figs.push({
      name: `distance-${input}`, title: `Kernel distance (${on})`,
      spec: facetCharts(names.map((m) => heatmapChart(
        { values: M[m]!.distance.flat(), rows: epochs.length, cols: epochs.length, rowLabels: epochs.map(String), colLabels: epochs.map(String) },
        { title: label[m], xLabel: 'epoch t', yLabel: 'epoch s', colorLabel: '1 − S(K_s, K_t)', width: 200, height: 200 })),
      { title: `Kernel distance 1 − S(K_s, K_t) between epochs, ${on}`, subtitle: `${batchWhat(input)}; ${where}; one colour scale`, columns: Math.min(3, names.length), shared: ['color'] }),
      caption: `1 − S between the kernels of every pair of epochs, one panel per training run, on one colour scale (Fig. 6 left); NTK on the ${on}.`,
    });
    figs.push({
      name: `distance-prev-${input}`, title: `Distance to the previous epoch (${on})`,
      spec: lineChart(names.map((m): LineSeries => ({ label: label[m], x: epochs.slice(1), y: M[m]!.distanceToPrevious })), {
        title: `Kernel movement per epoch, ${on}`, subtitle: `${batchWhat(input)}; ${where}`, legendTitle: LEGEND,
        xLabel: 'epoch t', xFormat: 'd', yLabel: '1 − S(K_t, K_{t−1})', width: 460, height: 280,
      }),
      caption: `How far each epoch moved the kernel, 1 − S(K_t, K_{t−1}); a curve that drops early is a kernel that settles early (Sec. 5); NTK on the ${on}.`,
    });
    const polars = (p: 'whole' | 'top' | 'bottom'): Polar[] => names.map((m) => M[m]!.polar[p]);
    const quadrant = (['whole', 'top', 'bottom'] as const).every((p) => polars(p).every((q) => q.angle.every((a) => a >= 0 && a <= Math.PI / 2)));
    const part = (p: 'whole' | 'top' | 'bottom', t: string) => polarChart(names.map((m) => ({ label: label[m], r: M[m]!.polar[p].radius, phi: M[m]!.polar[p].angle, t: epochs })),
      { title: t, colorBy: 'series', legendTitle: LEGEND, quadrant, width: 240, height: 240 });
    figs.push({
      name: `polar-${input}`, title: `Polar trajectory (${on})`,
      spec: facetCharts([part('whole', 'whole kernel'), part('top', `top-${s} eigenspace part`), part('bottom', `the rest (below the top ${s})`)], {
        title: `Kernel trajectory in polar coordinates, ${on}`,
        subtitle: [`r = |K_t − K_0|_F / |K_T − K_0|_F, φ = arccos S(K_t, K_0); each run goes from the origin (epoch 0) to r = 1 (epoch ${d.epochs})`, `${batchWhat(input)}; ${where}`],
        columns: 3, shared: ['color'],
      }),
      caption: `Polar trajectory per training run (Figs. 6 right, 14): radius relative to the run's total move, angle to the initial kernel, for the whole kernel, its top-${s} eigenspace part and the rest; NTK on the ${on}.`,
    });
    const concPanel = (c: string) => lineChart(names.map((m) => ({ label: label[m], x: epochs, y: M[m]!.concentration[c] })),
      { title: `top ${c}: Σ_{i≤${c}} λ_i² / Σ λ_i²`, legendTitle: LEGEND, xLabel: 'epoch', xFormat: 'd', yLabel: `energy in the top ${c} eigenvalues`, yFormat: '.1%', yZero: false, width: 260, height: 220 });
    const cs = Object.keys(M[names[0]]!.concentration);
    figs.push({
      name: `concentration-${input}`, title: `Spectral concentration and norm (${on})`,
      spec: facetCharts([
        ...cs.map(concPanel),
        lineChart(names.map((m) => ({ label: label[m], x: epochs, y: M[m]!.frobenius })),
          { title: '|K_t|_F (log scale)', legendTitle: LEGEND, xLabel: 'epoch', xFormat: 'd', yLabel: '|K_t|_F', yScale: 'log', width: 260, height: 220 }),
      ], { title: `Empirical NTK spectrum during training, ${on}`, subtitle: `${batchWhat(input)}; ${where}`, columns: cs.length + 1, shared: ['color'] }),
      caption: `Fraction of the squared eigenvalues in the top ${cs.join(' / ')} eigenvalues, and the kernel's Frobenius norm (Figs. 5, 13); NTK on the ${on}.`,
    });
  }
  const accPanel = (split: 'train' | 'test', kind: 'clean' | 'robust') => lineChart(names.map((m) => {
    const h = d.histories[m]!;
    return { label: label[m], x: h.map((r) => r.epoch), y: h.map((r) => r[split][kind] ?? NaN) };
  }), { title: `${split}, ${kind === 'clean' ? 'clean' : `PGD-${d.steps}`}`, legendTitle: LEGEND, xLabel: 'epoch', xFormat: 'd', yLabel: 'accuracy', yDomain: [0, 1], yFormat: '.0%', width: 220, height: 190 });
  figs.push({
    name: 'accuracy', title: 'Accuracy',
    spec: facetCharts([accPanel('train', 'clean'), accPanel('test', 'clean'), accPanel('train', 'robust'), accPanel('test', 'robust')], {
      title: `Clean and PGD-${d.steps} accuracy per epoch`,
      subtitle: `first ${d.evalN} train / test points, clean and perturbed by PGD-${d.steps} (eps ${eps}) against each epoch's net; ${d.arch}, ${d.dataset}`,
      columns: 2, shared: ['color'],
    }),
    caption: `Clean and robust (PGD-${d.steps}) accuracy on train and test points per epoch, one colour per training run (Fig. 12).`,
  });
  // Fig. 15: kernel values on the clean batch before and after training, one colour scale
  const K0 = d.cleanKernels[names[0]]![0], last = names.map((m) => d.cleanKernels[m]![d.epochs]);
  const lim = Math.max(...[K0, ...last].map((K) => { let a = 0; for (let i = 0; i < K.length; i++) a = Math.max(a, Math.abs(K[i])); return a; }));
  const hm = (K: ArrayLike<number>, t: string) => heatmapChart({ values: K, rows: d.N, cols: d.N },
    { title: t, diverging: true, colorDomain: [-lim, lim], colorLabel: 'K (clean batch)', width: 200, height: 200, xLabel: '(sample, output)', yLabel: '(sample, output)' });
  const panels = [hm(K0, 'initialisation'), ...names.map((m, i) => hm(last[i], `${label[m]}, epoch ${d.epochs}`))];
  figs.push({
    name: 'kernel-values', title: 'Kernel values (clean batch)',
    spec: facetCharts(panels, { title: 'Empirical NTK on the clean batch before and after training', subtitle: `${batchWhat('clean')}; ${where}; one colour scale`, columns: Math.min(4, panels.length), shared: ['color'] }),
    caption: 'The (B k) x (B k) empirical NTK on the clean kernel batch at initialisation (the same for every run: same seed) and after the last epoch of each run (Fig. 15), on one colour scale.',
  });
  return figs;
}
