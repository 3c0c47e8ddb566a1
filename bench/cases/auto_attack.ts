// The worst-case ensemble (`ntk attack --method auto`, issue 14) on the main job's setting:
// MNIST, FC1 NTK machine, 2,000 train / 500 test, eps = 0.1, default members (FGSM,
// multi-targeted, PGD 10 x 0.01, APGD-CE 100 iterations, APGD-T 9 targets x 100 iterations),
// each member attacking only the points still standing. One row per member (its share of the
// attack) and one for the whole run. No peer: no JavaScript AutoAttack exists.
import { loadavg } from 'node:os';
import { initNode, arch, kernelOps, loadDataset, asMatrix } from '../../src/node.js';
import { runAttackExperiment } from '../../src/experiments/attack_experiment.js';
import type { Ctx, Row } from '../harness.js';

export async function run(ctx: Ctx): Promise<Row[]> {
  const rows: Row[] = [];
  const n = 2000, m = ctx.quick ? 100 : 500;
  const train = loadDataset({ name: 'mnist', split: 'train', subset: { n, seed: 0 } });
  const test = loadDataset({ name: 'mnist', split: 'test', subset: { n: m, seed: 1 } });
  for (const threads of ctx.threads) {
    initNode({ threads });
    const load0 = loadavg()[0];
    const t0 = performance.now();
    const res = runAttackExperiment(kernelOps(arch('fc1'), train.shape), { X: asMatrix(train), labels: train.y }, { X: asMatrix(test), labels: test.y }, 10, {
      eps: [0.1], methods: ['auto'], losses: ['ce'], pgdSteps: 10, pgdStepSize: 0.01, randomStart: false, labelMode: 'true',
      fit: {}, batch: 250, seed: 0,
    });
    const total = (performance.now() - t0) / 1000, t = res.timings, r = res.results[0];
    const load = `load ${load0.toFixed(1)}->${loadavg()[0].toFixed(1)}`;
    for (const mb of r.members ?? []) {
      rows.push({
        op: `auto member ${mb.name}: attacked ${mb.attacked}, broke ${mb.broke}, standing ${mb.standing}`,
        size: `train=${n},test=${m}`, threads, ours_s: mb.seconds, peers: {},
      });
    }
    const line = `auto eps=0.1 total (Gram ${t.gramSeconds.toFixed(1)} s, solve ${t.solveSeconds.toFixed(1)} s, attack ${t.attackSeconds.toFixed(1)} s; clean ${(100 * res.cleanAccuracy).toFixed(1)}%, worst case ${(100 * r.robustAccuracy).toFixed(1)}%; ${r.cost.vjpRows} VJP rows, ${r.cost.forwardRows} forward rows; ${load})`;
    console.log(`threads=${threads}: ${line}; ${total.toFixed(1)} s`);
    rows.push({ op: line, size: `train=${n},test=${m}`, threads, ours_s: total, peers: {} });
  }
  return rows;
}
