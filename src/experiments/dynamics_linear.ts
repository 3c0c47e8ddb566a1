// Linearised training (spec §6, App. E.1): from epoch e of a mode's run, train
// f_lin(x) = f(x; p_e) + J(x)(p - p_e) instead of the net (plain gradient steps, the same
// minibatch order and adversarial mode, its FGSM/PGD examples computed on f_lin), tracked the
// same way. f_lin's NTK is J(x; p_e) J(x; p_e)^T for every p, so its clean-batch kernel is
// K_e; its PGD-batch kernel changes only through the perturbed points. Written to
// <out>/<mode>-lin<e>/ (kernels of epochs e+1..E; epochs <= e are the base run's), with a
// checkpoint (the net at p_e, lin_params.npy, state.json) for --resume.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpy } from '../io/npy-node.js';
import { encodeNpy, parseNpy } from '../io/npy.js';
import { netFiles, writeDirAtomic, resolveDir, loadNet } from '../io/params-node.js';
import { linearize } from '../nn/linearize.js';
import { streamSeed } from '../nn/train.js';
import { evaluateModel, type RobustEval } from '../nn/evaluate.js';
import { empiricalKernel } from '../nn/empirical_ntk.js';
import { fgsm, pgd } from '../attacks/fgsm_pgd.js';
import { mulberry32, shuffleInPlace } from '../data/rng.js';
import type { DynamicsSettings, EpochRow, Progress, Split, TrainMode, KernelInput } from './dynamics.js';

export const linearName = (mode: TrainMode, at: number) => `${mode}-lin${at}`;
export const linearKernelFile = (out: string, mode: TrainMode, at: number, input: KernelInput, epoch: number) =>
  epoch <= at ? join(out, mode, 'kernels', `${input}_e${String(epoch).padStart(3, '0')}.npy`)
    : join(out, linearName(mode, at), 'kernels', `${input}_e${String(epoch).padStart(3, '0')}.npy`);
/** Where the base run keeps p_e. */
export const snapshotDir = (out: string, mode: TrainMode, at: number) => join(out, mode, `params_e${at}`);

export function runLinearMode(
  out: string, mode: TrainMode, at: number, base: EpochRow[], data: { train: Split; evalTrain: Split; evalTest: Split; kernel: Split },
  s: DynamicsSettings, opts: { resume: boolean; progress?: Progress; onEpoch?: (row: EpochRow) => void },
): EpochRow[] {
  const name = linearName(mode, at), dir = join(out, name), ckDir = join(dir, 'checkpoint');
  mkdirSync(join(dir, 'kernels'), { recursive: true });
  const record = { ...s.record, mode, linearizeAt: at };
  const resume = opts.resume && existsSync(join(resolveDir(ckDir), 'state.json'));
  const { net } = loadNet(resume ? ckDir : snapshotDir(out, mode, at));
  const lin = linearize(net, { batch: Math.max(s.batch, data.kernel.X.rows, 256) });
  try {
    let history: EpochRow[] = base.slice(0, at + 1), start = at;
    if (resume) {
      const st = JSON.parse(readFileSync(join(resolveDir(ckDir), 'state.json'), 'utf8'));
      for (const [k, v] of Object.entries(record)) if (JSON.stringify(st.settings[k]) !== JSON.stringify(v))
        throw Object.assign(new RangeError(`--resume: setting '${k}' is ${JSON.stringify(v)} but the checkpoint in ${ckDir} was made with ${JSON.stringify(st.settings[k])}`), { userError: true });
      const b = readFileSync(join(resolveDir(ckDir), 'lin_params.npy')), a = parseNpy(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), 'lin_params.npy');
      lin.params.data.set(a.data as ArrayLike<number>);
      history = st.history; start = st.epoch;
    }
    const ev: RobustEval = { attack: 'pgd', eps: s.eps, step: s.step, steps: s.steps, randomStart: false, seed: s.seed };
    const X = data.train.X, n = X.rows, d = X.cols, batch = Math.min(s.batch, n), steps = Math.ceil(n / batch);
    const advOf = (Xb: Float64Array, yb: Int32Array, e: number, st: number): Float64Array => {
      const M = { data: Xb, rows: yb.length, cols: d };
      if (mode === 'clean') return Xb;
      if (mode === 'fgsm') return fgsm(lin, M, yb, { eps: s.eps }).data;
      return pgd(lin, M, yb, { eps: s.eps, stepSize: s.step, steps: s.steps, randomStart: false, random: mulberry32(streamSeed(s.seed, e, st)) }).data;
    };
    for (let e = start; e < s.epochs; e++) {
      const t0 = performance.now();
      // the Trainer's seeded order for this epoch (src/nn/train.ts order())
      const idx = new Int32Array(n);
      for (let i = 0; i < n; i++) idx[i] = i;
      shuffleInPlace(idx, mulberry32(streamSeed(s.seed, e, -1)));
      let sum = 0;
      for (let st = 0; st < steps; st++) {
        const r0 = st * batch, B = Math.min(batch, n - r0), Xb = new Float64Array(B * d), yb = new Int32Array(B);
        for (let i = 0; i < B; i++) { const j = idx[r0 + i]; Xb.set(X.data.subarray(j * d, (j + 1) * d), i * d); yb[i] = data.train.labels[j]; }
        const L = lin.step({ data: advOf(Xb, yb, e, st), rows: B, cols: d }, yb, s.lr);
        if (!Number.isFinite(L)) throw Object.assign(new RangeError(`linearised training diverged at epoch ${e + 1}, step ${st + 1}; lower the learning rate`), { userError: true });
        sum += L;
        opts.progress?.(e * steps + st + 1, s.epochs * steps, `${name} training (epoch ${e + 1}/${s.epochs}, loss ${L.toFixed(4)})`);
      }
      const trainSeconds = (performance.now() - t0) / 1000, t1 = performance.now();
      const Kc = empiricalKernel(net, data.kernel.X);
      const Xp = pgd(lin, data.kernel.X, data.kernel.labels, { eps: s.eps, stepSize: s.step, steps: s.steps, randomStart: false, random: mulberry32(s.seed) });
      const Kp = empiricalKernel(net, Xp);
      writeNpy(linearKernelFile(out, mode, at, 'clean', e + 1), Float32Array.from(Kc.data), [Kc.rows, Kc.cols]);
      writeNpy(linearKernelFile(out, mode, at, 'pgd', e + 1), Float32Array.from(Kp.data), [Kp.rows, Kp.cols]);
      const row: EpochRow = {
        epoch: e + 1, loss: sum / steps, trainSeconds, kernelSeconds: (performance.now() - t1) / 1000,
        train: evaluateModel(lin, data.evalTrain.X, data.evalTrain.labels, ev), test: evaluateModel(lin, data.evalTest.X, data.evalTest.labels, ev),
      };
      history.push(row);
      const files = netFiles(net, s.archName, s.arch.width);
      files.set('lin_params.npy', encodeNpy(Float64Array.from(lin.params.data), [net.nParams]));
      files.set('state.json', JSON.stringify({ format: 'ntk-robustness-checkpoint', version: 1, epoch: e + 1, seed: s.seed, settings: record, history }, null, 1));
      writeDirAtomic(ckDir, files);
      opts.onEpoch?.(row);
    }
    return history;
  } finally {
    lin.dispose();
    net.dispose();
  }
}

export interface LinearComparisonRow {
  /** Run name: the mode ('pgd') or its linearised continuation ('pgd-lin1'). */
  run: string;
  /** Accuracy at the last epoch, on the --eval-n train / test points (robust: PGD). */
  train: { clean: number; robust: number | null };
  test: { clean: number; robust: number | null };
  /** 1 - S(K_T, K_0) and 1 - S(K_T, K_e) on the clean and the PGD-perturbed batch. */
  fromInit: Record<KernelInput, number>;
  fromLinearizationPoint: Record<KernelInput, number>;
  /** Training seconds of epochs e+1..T (the part the two runs do differently). */
  trainSeconds: number;
}

/** A mode beside its linearised continuation from epoch `at`: the final accuracies and how far each kernel moved (App. E.1). */
export function linearComparison(
  mode: TrainMode, at: number, epochs: number, histories: Record<string, EpochRow[]>,
  distance: Record<KernelInput, Record<string, number[][]>>,
): LinearComparisonRow[] {
  return [mode as string, linearName(mode, at)].map((run) => {
    const h = histories[run], last = h?.[h.length - 1];
    if (!last || last.epoch !== epochs) throw new RangeError(`linearComparison: run '${run}' has no epoch ${epochs}`);
    const d = (input: KernelInput, s: number) => distance[input][run][epochs][s];
    return {
      run, train: last.train, test: last.test,
      fromInit: { clean: d('clean', 0), pgd: d('pgd', 0) },
      fromLinearizationPoint: { clean: d('clean', at), pgd: d('pgd', at) },
      trainSeconds: h.filter((r) => r.epoch > at).reduce((a, r) => a + r.trainSeconds, 0),
    };
  });
}
