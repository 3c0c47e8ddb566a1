// The worst case over a set of attacks (AutoAttack's protocol, Croce & Hein 2020): a point
// counts as robust only if it survives every attack. The members run in order, each only on
// the points that every earlier member left standing (correct when clean and not yet broken),
// so the ensemble is never weaker than any member and costs far less than running them all.
// Every attack here treats points independently (per-point random streams), so a member run
// on a subset breaks exactly the points it would break on the whole set.
import type { Matrix } from '../linalg/matrix.js';
import type { DifferentiableModel } from './model.js';
import { misclassified } from './heads.js';
import type { AttackOutcome } from './budget.js';

export interface EnsembleMember {
  name: string;
  /** Attack the rows `rows` of the block (indices into it); returns their outcomes in that order. */
  run(rows: number[]): AttackOutcome;
}

export interface MemberReport {
  name: string;
  /** Points this member attacked (those standing when its turn came). */
  attacked: number;
  /** Points it broke (first among the members). */
  broke: number;
  /** Points still standing after it, i.e. the ensemble of the members so far. */
  standing: number;
  seconds: number;
}

export interface EnsembleOutcome extends AttackOutcome {
  /** Per point: index of the member that broke it, -1 if none did, -2 if misclassified when clean. */
  brokenBy: Int16Array;
  members: MemberReport[];
}

export const BROKEN_CLEAN = -2, NOT_BROKEN = -1;

export function worstCase(
  model: DifferentiableModel, X: Matrix<Float64Array>, labels: Int32Array, members: EnsembleMember[],
  opts: { cleanOutputs?: Matrix<Float64Array> } = {},
): EnsembleOutcome {
  if (!members.length) throw new RangeError('worst-case ensemble: needs at least one attack');
  const b = X.rows, d = X.cols;
  const adv = new Float64Array(X.data), brokenBy = new Int16Array(b).fill(NOT_BROKEN);
  const clean = misclassified(opts.cleanOutputs ?? model.forward(X), labels);
  for (let i = 0; i < b; i++) if (clean[i]) brokenBy[i] = BROKEN_CLEAN;
  const reports: MemberReport[] = [];
  members.forEach((mbr, m) => {
    const rows: number[] = [];
    for (let i = 0; i < b; i++) if (brokenBy[i] === NOT_BROKEN) rows.push(i);
    const t0 = performance.now();
    let broke = 0;
    if (rows.length) {
      const out = mbr.run(rows);
      if (out.broken.length !== rows.length) throw new Error(`worst-case ensemble: ${mbr.name} returned ${out.broken.length} outcomes for ${rows.length} points`);
      rows.forEach((i, j) => {
        // a surviving point keeps the latest member's best point; a broken one the first breaker's
        adv.set(out.adversarial.data.subarray(j * d, j * d + d), i * d);
        if (out.broken[j]) { brokenBy[i] = m; broke++; }
      });
    }
    reports.push({ name: mbr.name, attacked: rows.length, broke, standing: rows.length - broke, seconds: (performance.now() - t0) / 1000 });
  });
  const broken = Uint8Array.from(brokenBy, (v) => (v === NOT_BROKEN ? 0 : 1));
  return { adversarial: { data: adv, rows: b, cols: d }, broken, brokenBy, members: reports };
}
