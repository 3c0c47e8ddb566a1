// robust-kernel.png (paper Figs. 10, 11): clean, own-FGSM and transfer-FGSM accuracy of the
// m-most-robust-feature kernels against m, with the whole kernel's two accuracies for reference.
import { lineChart } from '../viz/charts/index.js';
import { writeChart, type WrittenChart } from '../viz/render-node.js';
import type { RobustKernelResult } from '../features/robust_kernel.js';

export async function writeRobustKernelPlot(dir: string, res: RobustKernelResult, title: string): Promise<WrittenChart> {
  const m = res.curve.map((c) => c.m), M = m[m.length - 1];
  return writeChart(dir, 'robust-kernel', lineChart([
    { label: 'clean', x: m, y: res.curve.map((c) => c.clean) },
    { label: 'own FGSM', x: m, y: res.curve.map((c) => c.robust) },
    { label: 'transfer FGSM', x: m, y: res.curve.map((c) => c.transfer) },
    { label: 'whole kernel, clean', x: [1, M], y: [res.full.clean, res.full.clean] },
    { label: 'whole kernel, own FGSM', x: [1, M], y: [res.full.robust, res.full.robust] },
  ], { title, xLabel: 'm (most robust features kept)', yLabel: 'accuracy', yDomain: [0, 1], markers: m.length <= 40, yFormat: '.0%' }));
}
