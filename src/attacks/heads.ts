// Per-point attack losses on a model's outputs, with their output weights dL/df (b x k): the
// input gradient of each loss is then one VJP of the model with those weights. Used by APGD
// (CE, DLR, targeted DLR) and the multi-targeted attack (margins). Labels are class indices
// (k > 1) or -1/+1 (k = 1).
import type { Matrix } from '../linalg/matrix.js';
import { sigmoid, softmax } from './losses.js';

/**
 * 'ce': softmax cross-entropy (k = 1: logistic loss log(1 + e^{-y f})).
 * 'dlr': -(z_y - max_{i != y} z_i) / (z_pi1 - z_pi3 + 1e-12) (Croce & Hein 2020), k >= 3.
 * 'dlr-targeted': -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2 + 1e-12), k >= 4.
 * 'margin': max_{i != y} z_i - z_y (k = 1: -y f).
 * 'margin-targeted': z_t - z_y (k = 1: -y f).
 * DLR needs 3 classes (targeted 4) for its scale; with fewer it falls back to the
 * (targeted) margin, whose sign pattern it shares.
 */
export type HeadLoss = 'ce' | 'dlr' | 'dlr-targeted' | 'margin' | 'margin-targeted';

export interface HeadValue {
  /** Loss per point (higher = more adversarial). */
  loss: Float64Array;
  /** dL/df per point (b x k): the VJP weights of the loss's input gradient. */
  w: Matrix<Float64Array>;
}

export const isTargeted = (h: HeadLoss) => h === 'dlr-targeted' || h === 'margin-targeted';

/** The loss actually used for k outputs (DLR falls back to the margin when k is too small). */
export function effectiveHead(h: HeadLoss, k: number): HeadLoss {
  if (h === 'dlr' && k < 3) return 'margin';
  if (h === 'dlr-targeted' && k < 4) return 'margin-targeted';
  return h;
}

/** Indices of row b of F sorted by value, descending (k is small: insertion sort). */
function order(F: Matrix<Float64Array>, b: number, idx: Int32Array): void {
  const k = F.cols, o = b * k;
  for (let j = 0; j < k; j++) {
    let p = j;
    while (p > 0 && F.data[o + idx[p - 1]] < F.data[o + j]) { idx[p] = idx[p - 1]; p--; }
    idx[p] = j;
  }
}

export function headValue(head: HeadLoss, F: Matrix<Float64Array>, labels: Int32Array, targets?: Int32Array): HeadValue {
  const b = F.rows, k = F.cols, h = effectiveHead(head, k);
  const loss = new Float64Array(b), w = { data: new Float64Array(b * k), rows: b, cols: k };
  if (isTargeted(h) && (!targets || targets.length !== b)) throw new RangeError(`attack loss ${head}: needs one target class per point (${b})`);
  if (k === 1) {
    for (let i = 0; i < b; i++) {
      const y = labels[i], m = -y * F.data[i];
      if (h === 'ce') {
        loss[i] = m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m));
        w.data[i] = -y * sigmoid(m);
      } else { loss[i] = m; w.data[i] = -y; }
    }
    return { loss, w };
  }
  if (h === 'ce') {
    const P = softmax(F);
    for (let i = 0; i < b; i++) {
      const y = labels[i];
      loss[i] = -Math.log(Math.max(P.data[i * k + y], 1e-300));
      for (let j = 0; j < k; j++) w.data[i * k + j] = P.data[i * k + j] - (j === y ? 1 : 0);
    }
    return { loss, w };
  }
  const idx = new Int32Array(k);
  for (let i = 0; i < b; i++) {
    const y = labels[i], o = i * k, z = (j: number) => F.data[o + j];
    // the other class: the target, or the largest wrong output
    let t: number;
    if (isTargeted(h)) {
      t = targets![i];
      if (t === y || t < 0 || t >= k) throw new RangeError(`attack loss ${head}: target ${t} of point ${i} must be a class in 0..${k - 1} other than its label ${y}`);
    } else {
      t = -1;
      for (let j = 0; j < k; j++) if (j !== y && (t < 0 || z(j) > z(t))) t = j;
    }
    const N = z(y) - z(t); // the margin the attack drives below 0
    if (h === 'margin' || h === 'margin-targeted') {
      loss[i] = -N; w.data[o + t] += 1; w.data[o + y] -= 1;
      continue;
    }
    order(F, i, idx);
    // scale D = z_pi1 - z_pi3 (untargeted) or z_pi1 - (z_pi3 + z_pi4)/2 (targeted); the sort
    // order is fixed within a neighbourhood, so dD/dz is a fixed combination of the same entries
    const D = h === 'dlr' ? z(idx[0]) - z(idx[2]) + 1e-12 : z(idx[0]) - (z(idx[2]) + z(idx[3])) / 2 + 1e-12;
    loss[i] = -N / D;
    // dL/dz = -(e_y - e_t)/D + N dD/dz / D^2
    w.data[o + y] -= 1 / D; w.data[o + t] += 1 / D;
    const c = N / (D * D);
    w.data[o + idx[0]] += c;
    if (h === 'dlr') w.data[o + idx[2]] -= c;
    else { w.data[o + idx[2]] -= c / 2; w.data[o + idx[3]] -= c / 2; }
  }
  return { loss, w };
}

/** Whether the outputs misclassify each point: argmax (first maximum) != label, or sign (ties to +1) != y. */
export function misclassified(F: Matrix<Float64Array>, labels: Int32Array): Uint8Array {
  const b = F.rows, k = F.cols, out = new Uint8Array(b);
  for (let i = 0; i < b; i++) {
    if (k === 1) { out[i] = (F.data[i] >= 0 ? 1 : -1) !== labels[i] ? 1 : 0; continue; }
    let best = 0;
    for (let j = 1; j < k; j++) if (F.data[i * k + j] > F.data[i * k + best]) best = j;
    out[i] = best !== labels[i] ? 1 : 0;
  }
  return out;
}

/**
 * The k - 1 (or fewer) wrong classes of each point ranked by its outputs, largest first
 * (b x count): APGD-T's and the multi-targeted attack's targets. k = 1 has one "target", the
 * other class, encoded as -y.
 */
export function rankedTargets(F: Matrix<Float64Array>, labels: Int32Array, count: number): Int32Array[] {
  const b = F.rows, k = F.cols;
  if (k === 1) return [Int32Array.from(labels, (y) => -y)];
  const n = Math.min(count, k - 1), out = Array.from({ length: n }, () => new Int32Array(b)), idx = new Int32Array(k);
  for (let i = 0; i < b; i++) {
    order(F, i, idx);
    let r = 0;
    for (let p = 0; p < k && r < n; p++) if (idx[p] !== labels[i]) out[r++][i] = idx[p];
  }
  return out;
}
