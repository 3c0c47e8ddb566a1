// Clean and robust accuracy of a net on a labelled set, through the attacks' model interface.
import type { Matrix } from '../linalg/matrix.js';
import type { DifferentiableModel } from '../attacks/model.js';
import { mulberry32 } from '../data/rng.js';
import { fgsm, pgd, decisions, accuracy } from '../attacks/fgsm_pgd.js';
import type { Net } from './net.js';
import { netModel } from './model.js';

export interface RobustEval { attack: 'fgsm' | 'pgd'; eps: number; step?: number; steps?: number; randomStart?: boolean; seed?: number }

export function evaluateNet(net: Net, X: Matrix<Float64Array>, labels: Int32Array, ev: RobustEval | null, batch = 256): { clean: number; robust: number | null } {
  if (X.rows === 0) return { clean: NaN, robust: null };
  return evaluateModel(netModel(net, { batch }), X, labels, ev, batch);
}

/** The same for any DifferentiableModel (e.g. a linearised net). */
export function evaluateModel(model: DifferentiableModel, X: Matrix<Float64Array>, labels: Int32Array, ev: RobustEval | null, batch = 256): { clean: number; robust: number | null } {
  if (X.rows === 0) return { clean: NaN, robust: null };
  const clean = accuracy(decisions(model.forward(X)), labels);
  if (!ev) return { clean, robust: null };
  let correct = 0;
  const random = mulberry32((ev.seed ?? 0) ^ 0x5bd1e995);
  for (let r0 = 0; r0 < X.rows; r0 += batch) {
    const b = Math.min(batch, X.rows - r0), d = X.cols;
    const Xb = { data: X.data.subarray(r0 * d, (r0 + b) * d), rows: b, cols: d }, yb = labels.subarray(r0, r0 + b);
    const adv = ev.attack === 'fgsm' ? fgsm(model, Xb, yb, { eps: ev.eps })
      : pgd(model, Xb, yb, { eps: ev.eps, steps: ev.steps ?? 10, stepSize: ev.step ?? 0.01, randomStart: ev.randomStart ?? false, random });
    const p = decisions(model.forward(adv));
    for (let i = 0; i < b; i++) if (p[i] === yb[i]) correct++;
  }
  return { clean, robust: correct / X.rows };
}
