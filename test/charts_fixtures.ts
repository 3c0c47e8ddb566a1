// One small instance of every chart kind, shared by the Chromium checks.
import { lineChart, seedBand, scatterChart, heatmapChart, polarChart, facetCharts, type ChartSpec } from '../src/index.js';

export function sampleCharts(): Record<string, ChartSpec> {
  const eps = [0, 0.025, 0.05, 0.075, 0.1];
  const band = seedBand([[0.95, 0.9, 0.8, 0.66, 0.46], [0.94, 0.88, 0.79, 0.68, 0.47], [0.95, 0.89, 0.81, 0.67, 0.45]]);
  const line = lineChart([{ label: 'FGSM', x: eps, ...band }, { label: 'PGD', x: eps, y: [0.95, 0.89, 0.8, 0.66, 0.44] }],
    { title: 'Robust accuracy (3 seeds)', xLabel: 'ε (L∞ budget)', yLabel: 'accuracy', yFormat: '.0%', yDomain: [0, 1] });
  const k = Array.from({ length: 60 }, (_, i) => i);
  const scatter = scatterChart({ x: k.map((i) => Math.exp(-i / 15) + 0.02 * Math.sin(7 * i)), y: k.map((i) => 1 - Math.exp(-i / 20) + 0.03 * Math.cos(5 * i)), color: k,
    fields: { eigenvalue: k.map((i) => Math.exp(-i / 8)) } }, { title: 'Eigenfeatures: usefulness vs robustness', xLabel: 'usefulness', yLabel: 'robustness', colorLabel: 'eigen-index' });
  const n = 12, v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) v[i * n + j] = Math.abs(i - j) / n + (Math.floor(i / 4) === Math.floor(j / 4) ? 0 : 0.5);
  const heat = heatmapChart({ values: v, rows: n, cols: n }, { title: 'Kernel distance', colorLabel: 'distance' });
  const t = Array.from({ length: 20 }, (_, i) => i);
  const polar = polarChart([{ label: 'seed 0', r: t.map((i) => 1 - Math.exp(-i / 6)), phi: t.map((i) => 1.2 * Math.exp(-i / 8)), t }],
    { title: 'Kernel alignment trajectory', angleUnit: 'rad' });
  const facet = facetCharts(['fc1', 'fc3'].map((a, j) => lineChart([{ label: 'train', x: t, y: t.map((i) => Math.exp(-i / (4 + 3 * j))) }, { label: 'test', x: t, y: t.map((i) => 0.2 + Math.exp(-i / (4 + 3 * j))) }],
    { title: a, xLabel: 'epoch', yLabel: 'loss', width: 260, height: 180, markers: false })), { title: 'Training curves', columns: 2 });
  return { line, scatter, heat, polar, facet };
}
