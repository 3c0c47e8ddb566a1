// What the paper's full `ntk dynamics` setting costs (Sec. 5 / App. E: cifar-cnn, batch 250,
// PGD-20 adversarial training, 200 epochs, the empirical NTK of a kernel batch of 250 CIFAR
// images with all 10 outputs = 2,500 x 2,500, twice per epoch: clean and PGD-perturbed batch).
// Measured on the real airplane/automobile CIFAR images (/work/shared/data, 10,000 train; the
// net keeps CIFAR-10's 10 outputs, as `ntk dynamics --dataset cifar2 --arch cifar-cnn` does):
//   train      seconds per SGD step at batch 250 (median of a few steps)
//   pgd20      seconds per PGD-20 adversarial training step at batch 250 (eps 8/255, step 2/255)
//   ntk        one empirical NTK at B = 250 (2,500 x 2,500), peak wasm memory beyond the net
//   ntk k=1    the same batch through the binary (1-output) head `ntk dynamics --dataset cifar2` builds: 250 x 250
// and prints the implied epoch (10,000 images = 40 steps; CIFAR-10's 50,000 = 200 steps) and
// the 200-epoch totals. No peer here: the same operations beside PyTorch are the `nn` case's.
import { loadavg } from 'node:os';
import { buildNet, netArch, initNode, engine, empiricalKernel, Trainer, loadDataset, asMatrix } from '../../src/node.js';
import { timeit, type Ctx, type Row } from '../harness.js';

const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
const B = 250, EPS = 8 / 255, ALPHA = 2 / 255, STEPS = 20, EPOCHS = 200;
const hours = (s: number) => (s / 3600).toFixed(s < 36000 ? 2 : 0);

export async function run(ctx: Ctx): Promise<Row[]> {
  const threads = Math.max(...ctx.threads);
  initNode({ threads });
  const rows: Row[] = [];
  const push = (r: Row) => { rows.push(r); console.log(`  ${r.op}: ${r.ours_s.toFixed(2)} s`); };
  // sequential steps over real images (the first steps x 250 of the training file, in order)
  const nSteps = ctx.quick ? 1 : 2, nPgd = 1;
  const ds = loadDataset({ name: 'cifar2', split: 'train', subset: { n: B * (nSteps + 1), seed: 0 } });
  const X = asMatrix(ds), d = X.cols;
  // the loader gives the binary task's -1/+1; the 10-output net takes class indices (airplane 0, automobile 1)
  const y01 = Int32Array.from(ds.y, (v) => (v > 0 ? 1 : 0));
  if (d !== 32 * 32 * 3) throw new Error(`paper_cost: expected 32x32x3 CIFAR images, got ${d} values`);
  const batch = (i: number) => ({ x: X.data.subarray(i * B * d, (i + 1) * B * d), y: y01.subarray(i * B, (i + 1) * B) });
  const a = netArch('cifar-cnn', { outputs: 10 });
  const net = buildNet(a.layers, { input: [32, 32, 3], parameterization: a.parameterization, seed: 0 });
  try {
    const size = `cifar-cnn (${net.nParams} params), B=${B}, real CIFAR airplane/automobile, 10 outputs`;
    let train = 0, adv = 0;
    {
      const tr = new Trainer(net, { batch: B, lr: 0.01 });
      try {
        let i = 0;
        train = timeit(() => { const b = batch(i++ % (nSteps + 1)); tr.step(b.x, b.y); }, { reps: nSteps, warmup: 1 });
      } finally { tr.dispose(); }
      push({ op: `train step, standard SGD (${(B / train).toFixed(1)} img/s) load ${load()}`, size, threads, ours_s: train, peers: {} });
    }
    {
      const tr = new Trainer(net, { batch: B, lr: 0.01, adv: { method: 'pgd', eps: EPS, step: ALPHA, steps: STEPS, randomStart: true } });
      try {
        let i = 0;
        // 21 passes per step: no separate warm-up (the standard steps warmed the same code)
        adv = timeit(() => { const b = batch(i % nPgd); tr.step(tr.adversarial(Float64Array.from(b.x), Int32Array.from(b.y), 0, i++), b.y); }, { reps: nPgd, warmup: 0 });
      } finally { tr.dispose(); }
      push({ op: `train step, PGD-${STEPS} adversarial (${(B / adv).toFixed(1)} img/s) load ${load()}`, size, threads, ours_s: adv, peers: {} });
    }
    const K = { data: Float64Array.from(batch(0).x), rows: B, cols: d };
    let ntk = 0;
    if (!ctx.quick) {
      const e = engine(), before = e.heap.inUse;
      e.heap.peak = before;
      ntk = timeit(() => empiricalKernel(net, K), { reps: 1, warmup: 0 });
      const peakMiB = (e.heap.peak - before) / 2 ** 20;
      push({ op: `empirical NTK ${10 * B}x${10 * B}, all 10 outputs (peak wasm ${peakMiB.toFixed(0)} MiB beyond the net, RSS ${(process.memoryUsage().rss / 2 ** 30).toFixed(2)} GiB) load ${load()}`, size: `${size}, k=10`, threads, ours_s: ntk, peers: {} });
    }
    {
      const b1 = netArch('cifar-cnn', { outputs: 1 });
      const net1 = buildNet(b1.layers, { input: [32, 32, 3], parameterization: b1.parameterization, seed: 0 });
      try {
        const e = engine(), before = e.heap.inUse;
        e.heap.peak = before;
        const s1 = timeit(() => empiricalKernel(net1, K), { reps: 1, warmup: 0 });
        push({ op: `empirical NTK ${B}x${B}, binary head (1 output, what ntk dynamics --dataset cifar2 computes; peak wasm ${((e.heap.peak - before) / 2 ** 20).toFixed(0)} MiB) load ${load()}`, size: `cifar-cnn (${net1.nParams} params), B=${B}, k=1`, threads, ours_s: s1, peers: {} });
      } finally { net1.dispose(); }
    }
    // PGD-20 of the kernel batch: 20 forward + input-backward passes, i.e. about the PGD-20 step less one standard step
    const kpgd = Math.max(0, adv - train);
    // what an epoch of `ntk dynamics` costs at these speeds (evaluation passes not included)
    const kernels = ntk > 0 ? 2 * ntk + kpgd : NaN;
    for (const n of [10_000, 50_000]) {
      const steps = Math.ceil(n / B), std = steps * train, pg = steps * adv;
      console.log(`  epoch of ${n} images (${steps} steps): standard ${std.toFixed(0)} s, PGD-${STEPS} ${pg.toFixed(0)} s; + kernels ${kernels.toFixed(0)} s per epoch (2 NTKs + PGD of the batch, estimated as PGD-20 step - standard step);`
        + ` ${EPOCHS} epochs: standard ${hours(EPOCHS * (std + kernels))} h, PGD-${STEPS} ${hours(EPOCHS * (pg + kernels))} h`);
      rows.push({ op: `implied epoch of ${n} images: standard training + the epoch's 2 NTKs and kernel-batch PGD (${EPOCHS} epochs: ${hours(EPOCHS * (std + kernels))} h)`, size, threads, ours_s: std + kernels, peers: {} });
      rows.push({ op: `implied epoch of ${n} images: PGD-${STEPS} training + the epoch's 2 NTKs and kernel-batch PGD (${EPOCHS} epochs: ${hours(EPOCHS * (pg + kernels))} h)`, size, threads, ours_s: pg + kernels, peers: {} });
    }
  } finally {
    net.dispose();
  }
  return rows;
}
