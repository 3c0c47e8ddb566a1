// scatter.png (paper Figs. 2b, 8, 9): usefulness against robustness of each feature,
// coloured by eigen-index (top of the spectrum dark), with eigenvalue and share in tooltips.
import { scatterChart } from '../viz/charts/index.js';
import { writeChart, type WrittenChart } from '../viz/render-node.js';
import type { FeatureStat } from '../features/feature_stats.js';

export async function writeFeatureScatter(dir: string, name: string, stats: FeatureStat[], title: string): Promise<WrittenChart | null> {
  const st = stats.filter((s) => s.robustness !== null);
  if (!st.length) return null;
  // long index ranges (e.g. 0..30 plus 1987) read better on a log colour scale, which needs index + 1 > 0
  const log = st[st.length - 1].index > 200;
  return writeChart(dir, name, scatterChart({
    x: st.map((s) => s.robustness!), y: st.map((s) => s.usefulness), color: st.map((s) => (log ? s.index + 1 : s.index)),
    fields: { index: st.map((s) => s.index), eigenvalue: st.map((s) => s.eigenvalue), share: st.map((s) => s.share) },
  }, { title, xLabel: 'robustness (accuracy under FGSM on the feature)', yLabel: 'usefulness (clean accuracy)', colorLabel: log ? 'eigen-index + 1 (log)' : 'eigen-index', xDomain: [0, 1], yDomain: [0, 1], colorScale: log ? 'log' : 'linear' }));
}
