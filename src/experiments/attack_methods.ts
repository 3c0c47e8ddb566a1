// Runs the attacks of `ntk attack` over a test set in blocks, for any DifferentiableModel
// (kernel machines now, finite nets through the same interface), with the model evaluations
// each attack spent. 'auto' is the worst case over its members (AutoAttack's protocol): each
// member attacks only the points still standing, and a member also requested on its own at
// the same budget is not run twice (its per-point outcomes are reused: every attack treats
// points independently, so they are the same).
import type { Matrix } from '../linalg/matrix.js';
import type { DifferentiableModel } from '../attacks/model.js';
import type { AttackLoss } from '../attacks/losses.js';
import { fgsmOutcome, pgdOutcome } from '../attacks/fgsm_pgd.js';
import { apgd } from '../attacks/apgd.js';
import { apgdTargeted } from '../attacks/apgd_targeted.js';
import { multiTargeted } from '../attacks/multi_targeted.js';
import { worstCase, type EnsembleMember, type MemberReport as EnsembleMemberReport } from '../attacks/ensemble.js';
import { gatherInt, gatherRows, type AttackOutcome } from '../attacks/budget.js';
import { mulberry32 } from '../data/rng.js';
import { effectiveHead } from '../attacks/heads.js';

export const ATTACK_METHODS = ['fgsm', 'pgd', 'apgd-ce', 'apgd-dlr', 'apgd-t', 'mt', 'auto'] as const;
export type AttackMethod = (typeof ATTACK_METHODS)[number];
/** Cheap attacks first: the expensive ones then run on few points. */
export const ENSEMBLE_DEFAULT: Exclude<AttackMethod, 'auto'>[] = ['fgsm', 'mt', 'pgd', 'apgd-ce', 'apgd-t'];

export interface AttackSettings {
  pgdSteps: number;
  pgdStepSize: number;
  randomStart: boolean;
  iters: number;
  restarts: number;
  targets: number;
  mtSteps: number;
  seed: number;
  ensemble?: Exclude<AttackMethod, 'auto'>[];
  /** Budgets at which the iterative attacks of many steps (apgd-*, auto) run; default every budget. */
  strongEps?: readonly number[];
}

/** Attacks of one or a few gradient steps per point, cheap enough for every budget of a curve. */
export const CHEAP_METHODS: readonly AttackMethod[] = ['fgsm', 'pgd', 'mt'];

/** Point-rows through the model: forward passes, VJP passes, and VJP rows times weight matrices. */
export interface MethodCost { seconds: number; forwardRows: number; vjpRows: number; vjpWeightRows: number }

export interface MemberReport extends EnsembleMemberReport {
  /** True when the member's outcomes came from its own run at the same budget (seconds then ~0). */
  reused: boolean;
}

export interface MethodRun {
  method: AttackMethod;
  loss: AttackLoss | 'dlr' | 'dlr-targeted' | 'margin' | 'worst-case';
  eps: number;
  seconds: number;
  adversarial: Float64Array;
  cost: MethodCost;
  members?: MemberReport[];
  brokenBy?: Int16Array;
}

export type Progress = (done: number, total: number, label: string) => void;

/** Wraps a model to count the rows it evaluates. */
function counting(model: DifferentiableModel, c: MethodCost): DifferentiableModel {
  const out: DifferentiableModel = {
    outputs: model.outputs,
    forward: (X) => { c.forwardRows += X.rows; return model.forward(X); },
    vjp: (X, w) => { c.vjpRows += X.rows; c.vjpWeightRows += X.rows * w.length; return model.vjp(X, w); },
  };
  if (model.forwardAndVjp) {
    const fused = model.forwardAndVjp.bind(model);
    out.forwardAndVjp = (X, wFromF) => {
      c.forwardRows += X.rows; c.vjpRows += X.rows;
      return fused(X, (F) => { const w = wFromF(F); c.vjpWeightRows += X.rows * w.length; return w; });
    };
  }
  return out;
}

/** The loss an attack used (DLR becomes the margin below 3 classes, targeted DLR below 4). */
const lossOf = (method: AttackMethod, loss: AttackLoss, k: number): MethodRun['loss'] => {
  if (method === 'fgsm' || method === 'pgd') return loss;
  if (method === 'apgd-dlr') return effectiveHead('dlr', k) === 'dlr' ? 'dlr' : 'margin';
  if (method === 'apgd-t') return effectiveHead('dlr-targeted', k) === 'dlr-targeted' ? 'dlr-targeted' : 'margin';
  return method === 'apgd-ce' ? 'ce' : method === 'mt' ? 'margin' : 'worst-case';
};

/** Gradient evaluations per point, for progress: an estimate (the ensemble attacks fewer points). */
function workOf(method: AttackMethod, s: AttackSettings, k: number): number {
  const T = Math.min(s.targets, Math.max(1, k - 1));
  switch (method) {
    case 'fgsm': return 1;
    case 'pgd': return s.pgdSteps;
    case 'apgd-ce': case 'apgd-dlr': return s.iters * s.restarts;
    case 'apgd-t': return s.iters * s.restarts * T;
    case 'mt': return 1 + T * (s.mtSteps - 1);
    case 'auto': return (s.ensemble ?? ENSEMBLE_DEFAULT).reduce((a, m) => a + workOf(m, s, k), 0);
  }
}

/** One attack on a block of rows (ids: their global indices, naming per-point random streams). */
function attackBlock(
  model: DifferentiableModel, method: Exclude<AttackMethod, 'auto'>, loss: AttackLoss, eps: number, s: AttackSettings,
  X: Matrix<Float64Array>, labels: Int32Array, cleanOutputs: Matrix<Float64Array>, ids: Int32Array, tick: (f: number) => void,
): AttackOutcome {
  if (eps === 0) return { adversarial: X, broken: new Uint8Array(X.rows) };
  const seed = (s.seed ^ 0x9e3779b9) >>> 0;
  switch (method) {
    case 'fgsm': return fgsmOutcome(model, X, labels, { eps, loss, cleanOutputs });
    case 'pgd': return pgdOutcome(model, X, labels, {
      eps, loss, cleanOutputs, steps: s.pgdSteps, stepSize: s.pgdStepSize, randomStart: s.randomStart,
      // the random start draws per block from the run's seed and the block's first id
      random: mulberry32((seed ^ Math.imul(ids[0] + 1, 0x85ebca6b)) >>> 0),
    }, (st, n) => tick(st / n));
    case 'apgd-ce': case 'apgd-dlr': return apgd(model, X, labels, {
      eps, loss: method === 'apgd-ce' ? 'ce' : 'dlr', iters: s.iters, restarts: s.restarts, seed, ids, onIter: (d, n) => tick(d / n),
    });
    case 'apgd-t': return apgdTargeted(model, X, labels, {
      eps, iters: s.iters, restarts: s.restarts, targets: s.targets, seed, ids, cleanOutputs, onIter: (d, n) => tick(d / n),
    });
    case 'mt': return multiTargeted(model, X, labels, { eps, targets: s.targets, steps: s.mtSteps, cleanOutputs, onTarget: (d, n) => tick(d / n) });
  }
}

export function runMethods(
  model: DifferentiableModel, X: Matrix<Float64Array>, labels: Int32Array, cleanF: Matrix<Float64Array>, k: number,
  methods: readonly AttackMethod[], losses: readonly AttackLoss[], epsList: readonly number[], s: AttackSettings, B: number,
  progress: Progress = () => {},
): MethodRun[] {
  const m = X.rows, d = X.cols;
  const members = s.ensemble ?? ENSEMBLE_DEFAULT;
  if (!members.length) throw new RangeError('the auto ensemble needs at least one attack');
  const combos: { method: AttackMethod; loss: AttackLoss; eps: number }[] = [];
  // 'auto' last, so that it can reuse the runs of its members
  const ordered = [...methods.filter((x) => x !== 'auto'), ...methods.filter((x) => x === 'auto')];
  for (const method of ordered) {
    const ls: AttackLoss[] = (method === 'fgsm' || method === 'pgd') && k > 1 ? [...losses] : ['ce'];
    const budgets = CHEAP_METHODS.includes(method) || !s.strongEps ? epsList : epsList.filter((e) => s.strongEps!.includes(e));
    for (const loss of ls) for (const eps of budgets) combos.push({ method, loss, eps });
  }
  // the ensemble's work: its members not run on their own at that budget (an overestimate:
  // they attack only the points still standing)
  const ran = (name: AttackMethod, eps: number) => combos.some((c) => c.method === name && c.eps === eps && c.loss === 'ce');
  const unitOf = (c: { method: AttackMethod; eps: number }) => c.method !== 'auto' ? workOf(c.method, s, k)
    : members.reduce((a, name) => a + (ran(name, c.eps) ? 0 : workOf(name, s, k)), 0);
  const total = combos.reduce((a, c) => a + unitOf(c) * m, 0);
  let work = 0;
  // outcomes of the single attacks (CE objective for fgsm/pgd), for 'auto' to reuse
  const done = new Map<string, { adversarial: Float64Array; broken: Uint8Array; seconds: number }>();
  const out: MethodRun[] = [];
  for (const c of combos) {
    const cost: MethodCost = { seconds: 0, forwardRows: 0, vjpRows: 0, vjpWeightRows: 0 };
    const counted = counting(model, cost);
    const label = `${c.method}${c.loss === 'ce' ? '' : `/${c.loss}`} eps=${Number(c.eps.toPrecision(4))}`;
    const unit = unitOf(c);
    const t0 = performance.now();
    const adversarial = new Float64Array(m * d), broken = new Uint8Array(m);
    let brokenBy: Int16Array | undefined, reports: MemberReport[] | undefined;
    /** Attack rows (global indices) of the test set in blocks of B; f in [0, 1] of this combo's work reported as they go. */
    const attackRows = (method: Exclude<AttackMethod, 'auto'>, idx: Int32Array, onWork: (f: number) => void): AttackOutcome => {
      const res = { adversarial: { data: new Float64Array(idx.length * d), rows: idx.length, cols: d }, broken: new Uint8Array(idx.length) };
      for (let lo = 0; lo < idx.length; lo += B) {
        const ids = idx.subarray(lo, Math.min(idx.length, lo + B)), n = ids.length;
        const r = attackBlock(counted, method, c.loss, c.eps, s, gatherRows(X, ids), gatherInt(labels, ids), gatherRows(cleanF, ids), ids,
          (f) => onWork((lo + f * n) / idx.length));
        res.adversarial.data.set(r.adversarial.data, lo * d);
        res.broken.set(r.broken, lo);
        onWork((lo + n) / idx.length);
      }
      return res;
    };
    const report = (f: number) => progress(Math.round(Math.min(total, work + f * unit * m)), total, `attacks (${label})`);
    const all = Int32Array.from({ length: m }, (_, i) => i);
    let res: AttackOutcome;
    if (c.method !== 'auto') res = attackRows(c.method, all, report);
    else {
      // the ensemble runs on the whole test set, so the few points left for the expensive
      // members are pooled into full blocks
      const mem: EnsembleMember[] = members.map((name, mi) => ({
        name,
        run: (rows) => {
          const idx = Int32Array.from(rows);
          const prior = done.get(`${name}/${c.eps}`);
          if (prior) return { adversarial: gatherRows({ data: prior.adversarial, rows: m, cols: d }, idx), broken: Uint8Array.from(idx, (i) => prior.broken[i]) };
          return attackRows(name, idx, (f) => report((mi + f) / members.length));
        },
      }));
      const e = worstCase(counted, X, labels, mem, { cleanOutputs: cleanF });
      res = e;
      brokenBy = e.brokenBy;
      reports = e.members.map((r) => ({ ...r, reused: done.has(`${r.name}/${c.eps}`) }));
    }
    adversarial.set(res.adversarial.data);
    broken.set(res.broken);
    work += unit * m;
    progress(Math.min(total, work), total, `attacks (${label})`);
    cost.seconds = (performance.now() - t0) / 1000;
    if (c.method !== 'auto' && c.loss === 'ce') done.set(`${c.method}/${c.eps}`, { adversarial, broken, seconds: cost.seconds });
    out.push({ method: c.method, loss: lossOf(c.method, c.loss, k), eps: c.eps, seconds: cost.seconds, adversarial, cost, members: reports, brokenBy });
  }
  return out;
}
