// Ascent directions of the attack objectives (spec §3). Each returns, per input, the
// gradient whose sign FGSM/PGD follow; labels are class indices (multiclass) or -1/+1 (binary).
import type { Matrix } from '../linalg/matrix.js';
import type { DifferentiableModel } from './model.js';

/**
 * 'ce': softmax cross-entropy (binary: logistic loss log(1 + e^{-y f})).
 * 'max-of-k': raise the wrong logit j with the largest first-order margin gain against the
 *   true one, direction grad f_j - grad f_c (App. B.2, inferred form).
 * 'sum-of-k': direction sum_{j != c} grad f_j - (k-1) grad f_c (App. B.2, inferred form).
 */
export type AttackLoss = 'ce' | 'max-of-k' | 'sum-of-k';
export const ATTACK_LOSSES: readonly AttackLoss[] = ['ce', 'max-of-k', 'sum-of-k'];

function mat(rows: number, cols: number): Matrix<Float64Array> {
  return { data: new Float64Array(rows * cols), rows, cols };
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Row-wise softmax, stable. */
export function softmax(F: Matrix<Float64Array>): Matrix<Float64Array> {
  const P = mat(F.rows, F.cols);
  for (let b = 0; b < F.rows; b++) {
    let mx = -Infinity;
    for (let j = 0; j < F.cols; j++) mx = Math.max(mx, F.data[b * F.cols + j]);
    let s = 0;
    for (let j = 0; j < F.cols; j++) s += (P.data[b * F.cols + j] = Math.exp(F.data[b * F.cols + j] - mx));
    for (let j = 0; j < F.cols; j++) P.data[b * F.cols + j] /= s;
  }
  return P;
}

/** Loss values per input (for reports and checks): logistic or cross-entropy. */
export function lossValues(F: Matrix<Float64Array>, labels: Int32Array): Float64Array {
  const out = new Float64Array(F.rows);
  for (let b = 0; b < F.rows; b++) {
    if (F.cols === 1) {
      const z = -labels[b] * F.data[b];
      out[b] = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
    } else {
      let mx = -Infinity;
      for (let j = 0; j < F.cols; j++) mx = Math.max(mx, F.data[b * F.cols + j]);
      let s = 0;
      for (let j = 0; j < F.cols; j++) s += Math.exp(F.data[b * F.cols + j] - mx);
      out[b] = mx + Math.log(s) - F.data[b * F.cols + labels[b]];
    }
  }
  return out;
}

export function checkLabels(labels: Int32Array, k: number, b: number): void {
  if (labels.length !== b) throw new RangeError(`attack: ${labels.length} labels for ${b} inputs`);
  for (let i = 0; i < b; i++) {
    const y = labels[i];
    const ok = k === 1 ? y === 1 || y === -1 : y >= 0 && y < k && Number.isInteger(y);
    if (!ok) throw new RangeError(`attack: label ${i} is ${y}; expected ${k === 1 ? '-1 or +1 (binary task)' : `a class index in 0..${k - 1}`}`);
  }
}

/**
 * Gradient of the attack objective with respect to each input (b x d), plus the outputs at X.
 * `stepHint` is the L-inf step used to rank wrong classes in 'max-of-k'.
 */
export function objectiveGradient(
  model: DifferentiableModel, X: Matrix<Float64Array>, labels: Int32Array, loss: AttackLoss, stepHint: number,
  /** The model's outputs at X when already known (e.g. clean predictions), saving a forward pass. */
  known?: Matrix<Float64Array>,
): { grad: Matrix<Float64Array>; outputs: Matrix<Float64Array> } {
  const k = model.outputs, b = X.rows;
  checkLabels(labels, k, b);
  if (known && (known.rows !== b || known.cols !== k)) throw new RangeError(`attack: known outputs are ${known.rows} x ${known.cols}, expected ${b} x ${k}`);
  const weightsOf = (F: Matrix<Float64Array>) => objectiveWeights(F, labels, loss);
  // One fused pass when the model offers it and the outputs are not known yet.
  let F: Matrix<Float64Array>, G: Matrix<Float64Array>[];
  if (!known && model.forwardAndVjp) ({ F, G } = model.forwardAndVjp(X, weightsOf));
  else { F = known ?? model.forward(X); G = model.vjp(X, weightsOf(F)); }
  if (k === 1 || loss !== 'max-of-k') return { grad: G[0], outputs: F };
  // max-of-k: pick j per input from the class gradients.
  const d = X.cols;
  const grad = mat(b, d);
  for (let i = 0; i < b; i++) {
    const c = labels[i];
    let best = -1, bestGain = -Infinity;
    for (let j = 0; j < k; j++) {
      if (j === c) continue;
      // first-order margin after an L-inf step of size stepHint along sign(grad f_j - grad f_c)
      let l1 = 0;
      for (let p = 0; p < d; p++) l1 += Math.abs(G[j].data[i * d + p] - G[c].data[i * d + p]);
      const gain = F.data[i * k + j] - F.data[i * k + c] + stepHint * l1;
      if (gain > bestGain) { bestGain = gain; best = j; }
    }
    for (let p = 0; p < d; p++) grad.data[i * d + p] = G[best].data[i * d + p] - G[c].data[i * d + p];
  }
  return { grad, outputs: F };
}

/**
 * The output weights w(F) of an objective at outputs F (b x k): grad_x L = sum_j w[b, j] grad_x f_j
 * (max-of-k: one w per class, each picking that class's gradient). Labels are not re-checked.
 */
export function objectiveWeights(F: Matrix<Float64Array>, labels: Int32Array, loss: AttackLoss): Matrix<Float64Array>[] {
  const k = F.cols, b = F.rows;
  if (k === 1) {
    // L = log(1 + exp(-y f)): dL/df = -y sigma(-y f). All three objectives coincide for k = 1.
    const w = mat(b, 1);
    for (let i = 0; i < b; i++) w.data[i] = -labels[i] * sigmoid(-labels[i] * F.data[i]);
    return [w];
  }
  if (loss === 'ce') {
    const w = softmax(F);
    for (let i = 0; i < b; i++) w.data[i * k + labels[i]] -= 1;
    return [w];
  }
  if (loss === 'sum-of-k') {
    const w = mat(b, k);
    for (let i = 0; i < b; i++) for (let j = 0; j < k; j++) w.data[i * k + j] = j === labels[i] ? -(k - 1) : 1;
    return [w];
  }
  const ws: Matrix<Float64Array>[] = [];
  for (let j = 0; j < k; j++) {
    const w = mat(b, k);
    for (let i = 0; i < b; i++) w.data[i * k + j] = 1;
    ws.push(w);
  }
  return ws;
}
