// Training losses on a batch of outputs F (B x k, f64), each returning the mean loss and
// writing dL/dF into dF (any float array of B x k): the output cotangent of the backward pass.
//   'ce'       softmax cross-entropy, labels class indices (PyTorch's cross_entropy)
//   'logistic' log(1 + exp(-y f)), k = 1, labels -1/+1
//   'mse'      mean over B x k of (F - T)^2, T one-hot (k > 1) or y (k = 1) (PyTorch's MSELoss)
// These are O(B k) next to the network's O(B * params): plain JS in f64.

export type TrainLoss = 'ce' | 'logistic' | 'mse';
export const TRAIN_LOSSES: readonly TrainLoss[] = ['ce', 'logistic', 'mse'];

export function checkTrainLabels(labels: ArrayLike<number>, k: number, loss: TrainLoss, what = 'labels'): void {
  if (loss === 'logistic' && k !== 1) throw new RangeError(`loss 'logistic' needs a net with 1 output (labels -1/+1), this one has ${k}`);
  if (loss === 'ce' && k < 2) throw new RangeError(`loss 'ce' needs a net with >= 2 outputs; use 'logistic' for a binary task with 1 output`);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    const ok = k === 1 ? y === 1 || y === -1 : Number.isInteger(y) && y >= 0 && y < k;
    if (!ok) throw new RangeError(`${what}[${i}] is ${y}; expected ${k === 1 ? '-1 or +1' : `a class index in 0..${k - 1}`}`);
  }
}

export function lossAndGrad(F: ArrayLike<number>, B: number, k: number, labels: ArrayLike<number>, loss: TrainLoss, dF: { [i: number]: number }): number {
  let total = 0;
  if (loss === 'ce') {
    for (let b = 0; b < B; b++) {
      let mx = -Infinity;
      for (let j = 0; j < k; j++) mx = Math.max(mx, F[b * k + j]);
      let s = 0;
      for (let j = 0; j < k; j++) s += Math.exp(F[b * k + j] - mx);
      const lse = mx + Math.log(s), y = labels[b];
      total += lse - F[b * k + y];
      for (let j = 0; j < k; j++) dF[b * k + j] = (Math.exp(F[b * k + j] - lse) - (j === y ? 1 : 0)) / B;
    }
    return total / B;
  }
  if (loss === 'logistic') {
    for (let b = 0; b < B; b++) {
      const z = -labels[b] * F[b];
      total += z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
      const sig = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)); // sigmoid(z)
      dF[b] = -labels[b] * sig / B;
    }
    return total / B;
  }
  for (let b = 0; b < B; b++) for (let j = 0; j < k; j++) {
    const t = k === 1 ? labels[b] : j === labels[b] ? 1 : 0, r = F[b * k + j] - t;
    total += r * r;
    dF[b * k + j] = (2 * r) / (B * k);
  }
  return total / (B * k);
}
