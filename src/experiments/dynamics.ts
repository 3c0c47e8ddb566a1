// The empirical NTK during (adversarial) training, spec §6: one net per training mode (same
// seed, so the same initialisation and the same minibatch order), and before training and
// after every epoch the empirical NTK (all outputs, (B k) x (B k)) on one fixed batch, both on
// the clean batch and on the batch perturbed by PGD against the current net. Kernels are kept
// per epoch as float32 .npy in <out>/<mode>/kernels/; the per-mode checkpoint
// (<out>/<mode>/checkpoint, written after the epoch's kernels) makes a killed run resumable
// with identical numbers: every random choice is a function of (seed, epoch, step).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpy } from '../io/npy-node.js';
import { parseNpy } from '../io/npy.js';
import { saveCheckpoint, loadCheckpoint, hasCheckpoint } from '../io/checkpoint-node.js';
import { saveNet } from '../io/params-node.js';
import { buildNet, type Net } from '../nn/net.js';
import type { NetArch } from '../nn/presets.js';
import type { Parameterization } from '../nn/init.js';
import { Trainer, type AdvTrainOptions } from '../nn/train.js';
import { evaluateNet, type RobustEval } from '../nn/evaluate.js';
import { netModel } from '../nn/model.js';
import { empiricalKernel } from '../nn/empirical_ntk.js';
import { pgd } from '../attacks/fgsm_pgd.js';
import { mulberry32 } from '../data/rng.js';
import type { Matrix } from '../linalg/matrix.js';

export type TrainMode = 'clean' | 'fgsm' | 'pgd';
export const TRAIN_MODES: readonly TrainMode[] = ['clean', 'fgsm', 'pgd'];
export type KernelInput = 'clean' | 'pgd';

export interface Split { X: Matrix<Float64Array>; labels: Int32Array }

export interface DynamicsSettings {
  arch: NetArch; archName: string; parameterization: Parameterization; shape: [number, number, number];
  epochs: number; batch: number; lr: number; momentum: number; seed: number;
  eps: number; step: number; steps: number;
  /** Settings a resume must match (compared key by key with the checkpoint's). */
  record: Record<string, unknown>;
}

export interface EpochRow {
  epoch: number; loss: number | null; trainSeconds: number; kernelSeconds: number;
  train: { clean: number; robust: number | null }; test: { clean: number; robust: number | null };
}

export type Progress = (done: number, total: number, label: string) => void;

export const kernelFile = (dir: string, mode: TrainMode, input: KernelInput, epoch: number) =>
  join(dir, mode, 'kernels', `${input}_e${String(epoch).padStart(3, '0')}.npy`);

/** PGD examples of the kernel batch against the current net (fixed seed: no random start). */
export function perturbKernelBatch(net: Net, batch: Split, s: DynamicsSettings): Matrix<Float64Array> {
  return pgd(netModel(net, { batch: batch.X.rows }), batch.X, batch.labels, { eps: s.eps, stepSize: s.step, steps: s.steps, randomStart: false, random: mulberry32(s.seed) });
}

/** Clean and PGD-perturbed empirical NTKs of the net on the kernel batch, f64. */
export function kernelsOf(net: Net, batch: Split, s: DynamicsSettings): Record<KernelInput, Matrix<Float64Array>> {
  return { clean: empiricalKernel(net, batch.X), pgd: empiricalKernel(net, perturbKernelBatch(net, batch, s)) };
}

export function readKernel(path: string): Float64Array {
  const b = readFileSync(path), a = parseNpy(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), path);
  return Float64Array.from(a.data as ArrayLike<number>);
}

/**
 * Trains one mode for s.epochs epochs (resuming from its checkpoint when `resume`), writing
 * the kernels of epochs 0..E and the checkpoint. Returns the per-epoch rows (epoch 0 =
 * before training).
 */
export function runMode(
  out: string, mode: TrainMode, data: { train: Split; test: Split; evalTrain: Split; evalTest: Split; kernel: Split },
  s: DynamicsSettings, opts: { resume: boolean; progress?: Progress; onEpoch?: (row: EpochRow) => void; snapshotAt?: number },
): EpochRow[] {
  const dir = join(out, mode), ckDir = join(dir, 'checkpoint');
  mkdirSync(join(dir, 'kernels'), { recursive: true });
  const adv: AdvTrainOptions | undefined = mode === 'clean' ? undefined : { method: mode, eps: s.eps, step: s.step, steps: s.steps, randomStart: false };
  const ev: RobustEval = { attack: 'pgd', eps: s.eps, step: s.step, steps: s.steps, randomStart: false, seed: s.seed };
  const record = { ...s.record, mode };
  let net: Net, history: EpochRow[] = [], velocity: Float64Array | null = null, start = 0;
  if (opts.resume && hasCheckpoint(ckDir)) {
    const ck = loadCheckpoint(ckDir);
    for (const [k, v] of Object.entries(record)) {
      if (JSON.stringify(ck.state.settings[k]) !== JSON.stringify(v)) {
        ck.net.dispose();
        throw Object.assign(new RangeError(`--resume: setting '${k}' is ${JSON.stringify(v)} but the checkpoint in ${ckDir} was made with ${JSON.stringify(ck.state.settings[k])}`), { userError: true });
      }
    }
    net = ck.net; history = ck.state.history as EpochRow[]; velocity = ck.velocity; start = ck.state.epoch;
  } else {
    net = buildNet(s.arch.layers, { input: s.shape, width: s.arch.width, parameterization: s.parameterization, seed: s.seed });
  }
  let trainer: Trainer | null = null;
  try {
    trainer = new Trainer(net, { batch: Math.min(s.batch, data.train.X.rows), lr: s.lr, momentum: s.momentum, seed: s.seed, adv });
    trainer.epoch = start;
    if (start > 0) trainer.setVelocity(velocity);
    const evalRow = (): Pick<EpochRow, 'train' | 'test'> => ({
      train: evaluateNet(net, data.evalTrain.X, data.evalTrain.labels, ev), test: evaluateNet(net, data.evalTest.X, data.evalTest.labels, ev),
    });
    const saveKernels = (epoch: number): number => {
      const t0 = performance.now(), K = kernelsOf(net, data.kernel, s);
      for (const input of ['clean', 'pgd'] as const) writeNpy(kernelFile(out, mode, input, epoch), Float32Array.from(K[input].data), [K[input].rows, K[input].cols]);
      return (performance.now() - t0) / 1000;
    };
    // p_e for a linearised run from epoch e, saved before the checkpoint that passes e
    const snapshot = (epoch: number) => { if (opts.snapshotAt === epoch) saveNet(net, join(dir, `params_e${epoch}`), s.archName, s.arch.width); };
    if (start === 0) {
      const kernelSeconds = saveKernels(0);
      snapshot(0);
      history = [{ epoch: 0, loss: null, trainSeconds: 0, kernelSeconds, ...evalRow() }];
      // epoch 0 is a checkpoint too, so a resume never recomputes or re-initialises it
      saveCheckpoint(ckDir, net, trainer, s.archName, s.arch.width, { epoch: 0, seed: s.seed, settings: record, history });
      opts.onEpoch?.(history[0]);
    }
    const n = data.train.X.rows, steps = Math.ceil(n / trainer.opts.batch);
    for (let e = start; e < s.epochs; e++) {
      const t0 = performance.now();
      const res = trainer.runEpoch(data.train.X, data.train.labels, (st, _n, L) => opts.progress?.(e * steps + st, s.epochs * steps, `${mode} training (epoch ${e + 1}/${s.epochs}, loss ${L.toFixed(4)})`));
      const trainSeconds = (performance.now() - t0) / 1000;
      const kernelSeconds = saveKernels(e + 1);
      const row: EpochRow = { epoch: e + 1, loss: res.loss, trainSeconds, kernelSeconds, ...evalRow() };
      history.push(row);
      snapshot(e + 1);
      saveCheckpoint(ckDir, net, trainer, s.archName, s.arch.width, { epoch: e + 1, seed: s.seed, settings: record, history });
      opts.onEpoch?.(row);
    }
    return history;
  } finally {
    trainer?.dispose();
    net.dispose();
  }
}

/** Whether all kernels of a mode up to `epochs` are on disk (a finished mode). */
export function kernelsComplete(out: string, mode: TrainMode, epochs: number): boolean {
  for (let e = 0; e <= epochs; e++) for (const i of ['clean', 'pgd'] as const) if (!existsSync(kernelFile(out, mode, i, e))) return false;
  return true;
}
