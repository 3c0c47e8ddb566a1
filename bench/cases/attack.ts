// End to end main job (issue 5): MNIST, FC1 NTK machine fitted on n training images, FGSM on
// m test images at eps = 0.1, split into Gram, solve, clean predictions and the attack
// (cross-kernel + input-gradient VJP + re-prediction). Ours only: no peer runs this pipeline.
import { initNode, arch, kernelOps, loadDataset, asMatrix } from '../../src/node.js';
import { runAttackExperiment } from '../../src/experiments/attack_experiment.js';
import type { Ctx, Row } from '../harness.js';

export async function run(ctx: Ctx): Promise<Row[]> {
  const rows: Row[] = [];
  const n = ctx.quick ? 2000 : 10000, m = ctx.quick ? 1000 : 10000;
  const train = loadDataset({ name: 'mnist', split: 'train', subset: { n, seed: 0 } });
  const test = loadDataset({ name: 'mnist', split: 'test', subset: { n: m, seed: 1 } });
  for (const threads of ctx.threads) {
    initNode({ threads });
    const t0 = performance.now();
    const res = runAttackExperiment(kernelOps(arch('fc1'), train.shape), { X: asMatrix(train), labels: train.y }, { X: asMatrix(test), labels: test.y }, 10, {
      eps: [0.1], methods: ['fgsm'], losses: ['ce'], pgdSteps: 10, pgdStepSize: 0.01, randomStart: false, labelMode: 'true',
      fit: {}, batch: 500, seed: 0,
    });
    const total = (performance.now() - t0) / 1000, t = res.timings;
    const r = res.results[0];
    console.log(`threads=${threads}: total ${total.toFixed(1)} s; Gram ${t.gramSeconds.toFixed(1)} s, solve ${t.solveSeconds.toFixed(1)} s, clean predictions ${t.predictSeconds.toFixed(1)} s, FGSM ${t.attackSeconds.toFixed(1)} s; clean ${(100 * res.cleanAccuracy).toFixed(1)}%, FGSM eps=0.1 ${(100 * r.robustAccuracy).toFixed(1)}%`);
    rows.push({
      op: `e2e MNIST fc1 FGSM eps=0.1 (Gram ${t.gramSeconds.toFixed(1)} s, solve ${t.solveSeconds.toFixed(1)} s, predict ${t.predictSeconds.toFixed(1)} s, attack ${t.attackSeconds.toFixed(1)} s; clean ${(100 * res.cleanAccuracy).toFixed(1)}%, robust ${(100 * r.robustAccuracy).toFixed(1)}%)`,
      size: `train=${n},test=${m}`, threads, ours_s: total, peers: {},
    });
  }
  return rows;
}
