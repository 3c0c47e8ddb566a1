// robust-kernel.png (paper Figs. 10, 11): clean, own-FGSM and transfer-FGSM accuracy of the
// m-most-robust-feature kernels against m.
import { linePlot } from '../viz/plot.js';
import type { RobustKernelResult } from '../features/robust_kernel.js';

export function robustKernelPlot(res: RobustKernelResult, title: string): { name: string; bytes: Uint8Array } | null {
  const m = res.curve.map((c) => c.m);
  if (m.length === 0) return null;
  const bytes = linePlot({
    title, xLabel: 'm (most robust features kept)', yLabel: 'accuracy', yRange: [0, 1],
    series: [
      { label: 'clean', x: m, y: res.curve.map((c) => c.clean) },
      { label: 'own FGSM', x: m, y: res.curve.map((c) => c.robust) },
      { label: "whole kernel's FGSM (transfer)", x: m, y: res.curve.map((c) => c.transfer), dash: 6 },
    ],
  });
  return { name: 'robust-kernel.png', bytes };
}
