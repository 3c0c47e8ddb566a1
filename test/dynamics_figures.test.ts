// ntk dynamics figures read at a glance: every overlay names its runs in a legend, one colour
// per run and the same colour for a run in every figure; every kernel figure's title says which
// batch (clean or PGD-perturbed). Polar charts by series: legend entries in the SVG, the
// quadrant view refuses angles outside [0, pi/2]. The linearised-vs-not comparison rows are
// read from the histories and distance matrices they are given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { polarChart, facetCharts, renderSvg, type ChartSpec } from '../src/node.js';
import { kernelDynamics } from '../src/experiments/dynamics_metrics.js';
import { dynamicsFigures } from '../src/experiments/dynamics_figures.js';
import { linearComparison } from '../src/experiments/dynamics_linear.js';
import type { EpochRow, KernelInput } from '../src/experiments/dynamics.js';

const N = 6, T = 3;
/** K_t = A + t s_r D (symmetric, positive): runs differ in how fast they move. */
function kernels(speed: number, seed: number): Float64Array[] {
  const A = new Float64Array(N * N), D = new Float64Array(N * N);
  for (let i = 0; i < N; i++) for (let j = 0; j <= i; j++) {
    A[i * N + j] = A[j * N + i] = i === j ? 3 + i : 0.3 / (1 + i + j);
    D[i * N + j] = D[j * N + i] = Math.sin(seed + 7 * i + 3 * j) * (i === j ? 0.5 : 0.1);
  }
  return Array.from({ length: T + 1 }, (_, t) => A.map((a, k) => a + t * speed * D[k]));
}
const row = (epoch: number, acc: number): EpochRow => ({ epoch, loss: epoch ? 1 / epoch : null, trainSeconds: epoch ? 2 : 0, kernelSeconds: 1,
  train: { clean: acc, robust: acc / 2 }, test: { clean: acc - 0.05, robust: acc / 3 } });

function input() {
  const runs = [{ name: 'clean', label: 'standard' }, { name: 'pgd', label: 'PGD adv.' }, { name: 'pgd-lin1', label: 'PGD adv., linearised from 1' }];
  const Ks: Record<KernelInput, Record<string, Float64Array[]>> = { clean: {}, pgd: {} };
  runs.forEach((r, i) => { Ks.clean[r.name] = kernels(0.2 + 0.3 * i, i); Ks.pgd[r.name] = kernels(0.4 + 0.2 * i, 10 + i); });
  const metrics = { clean: {}, pgd: {} } as Record<KernelInput, Record<string, ReturnType<typeof kernelDynamics>>>;
  for (const b of ['clean', 'pgd'] as const) for (const r of runs) metrics[b][r.name] = kernelDynamics(Ks[b][r.name], N, { top: 2, concentration: [2, 4] });
  const histories = Object.fromEntries(runs.map((r, i) => [r.name, Array.from({ length: T + 1 }, (_, e) => row(e, 0.1 + 0.2 * e + 0.01 * i))]));
  return { runs, histories, metrics, cleanKernels: Ks.clean, N, epochs: T, top: 2, arch: 'mnist-cnn', dataset: 'mnist', kernelBatch: 3, evalN: 20, steps: 5, eps: 0.3 };
}

const titleOf = (spec: ChartSpec): string => {
  const t = (spec as { title?: unknown }).title;
  return typeof t === 'string' ? t : JSON.stringify(t);
};
/** Every colour encoding in a (possibly multi-panel, layered) spec. */
function colorEncodings(spec: unknown): { field?: string; scale?: { domain?: string[] }; legend?: unknown }[] {
  const out: { field?: string; scale?: { domain?: string[] }; legend?: unknown }[] = [];
  const walk = (s: unknown) => {
    if (!s || typeof s !== 'object') return;
    const o = s as Record<string, unknown>;
    const c = (o.encoding as Record<string, unknown> | undefined)?.color;
    if (c) out.push(c as never);
    for (const k of ['layer', 'concat', 'hconcat', 'vconcat']) if (Array.isArray(o[k])) for (const x of o[k] as unknown[]) walk(x);
  };
  walk(spec);
  return out;
}

test('dynamics figures: batch in every kernel figure title, runs coloured by a legend in the same order everywhere', async () => {
  const d = input(), figs = dynamicsFigures(d);
  assert.deepEqual(figs.map((f) => f.name), ['distance-clean', 'distance-prev-clean', 'polar-clean', 'concentration-clean',
    'distance-pgd', 'distance-prev-pgd', 'polar-pgd', 'concentration-pgd', 'accuracy', 'kernel-values']);
  const labels = d.runs.map((r) => r.label);
  for (const f of figs) {
    const t = titleOf(f.spec);
    if (f.name.endsWith('-clean') || f.name === 'kernel-values') assert.match(t, /clean batch/, f.name);
    if (f.name.endsWith('-pgd')) assert.match(t, /PGD-perturbed batch/, f.name);
    assert.match(t, /mnist-cnn, mnist/, `${f.name}: the subtitle names the net and data`);
    if (/^(distance-prev|polar|concentration|accuracy)/.test(f.name)) {
      // overlays: colour by run, the runs' labels as the domain (same order = same colours), with a legend
      const cs = colorEncodings(f.spec).filter((c) => c.field === 'series');
      assert.ok(cs.length > 0, `${f.name} colours by run`);
      for (const c of cs) { assert.deepEqual(c.scale?.domain, labels, f.name); assert.notEqual(c.legend, null, f.name); }
      const svg = await renderSvg(f.spec);
      for (const l of labels) assert.ok(svg.includes(`>${l}</text>`), `${f.name}: legend names '${l}'`);
    }
  }
  // panels of one figure share one colour legend (not one per panel)
  const polarSvg = await renderSvg(figs.find((f) => f.name === 'polar-clean')!.spec);
  assert.equal(polarSvg.split('>PGD adv., linearised from 1</text>').length - 1, 1, 'one legend for the three polar panels');
  // the quadrant view: the synthetic angles are in [0, pi/2]
  const polarSpec = figs.find((f) => f.name === 'polar-pgd')!.spec as unknown as { concat: { layer: { encoding: { x: { scale: { domain: number[] } } } }[] }[] };
  assert.equal(polarSpec.concat[0].layer[0].encoding.x.scale.domain[0], 0);
});

test('polarChart colorBy series: legend per trajectory, quadrant refuses negative angles, default unchanged', async () => {
  const t = [0, 1, 2];
  const spec = polarChart([{ label: 'a', r: [0, 0.5, 1], phi: [0, 0.3, 0.2], t }, { label: 'b', r: [0, 0.7, 1], phi: [0, 0.1, 0.4], t }],
    { colorBy: 'series', legendTitle: 'training', quadrant: true, title: 'q' });
  const svg = await renderSvg(spec);
  assert.match(svg, />training<\/text>/);
  assert.match(svg, />a<\/text>/);
  assert.match(svg, />b<\/text>/);
  assert.throws(() => polarChart([{ label: 'a', r: [0, 1], phi: [0, -0.2] }], { quadrant: true }), /quadrant needs angles in \[0, pi\/2\]; series 'a' has phi = -0.2/);
  assert.throws(() => polarChart([{ label: 'a', r: [1], phi: [0] }, { label: 'a', r: [1], phi: [0] }], { colorBy: 'series' }), /labels must differ/);
  // default: coloured by time with a colour bar, grey lines (what existing callers get)
  const old = polarChart([{ label: 'a', r: [0, 1], phi: [0, 1] }]) as unknown as { layer: { mark: { color?: string }; encoding: { color?: { field: string } } }[] };
  assert.equal(old.layer[1].mark.color, '#999');
  assert.equal(old.layer[2].encoding.color?.field, 't');
  // facet subtitle
  const f = facetCharts([spec], { title: 'T', subtitle: ['line 1', 'line 2'] }) as unknown as { title: { text: string; subtitle: string[] } };
  assert.deepEqual(f.title, { text: 'T', subtitle: ['line 1', 'line 2'] });
  assert.equal((facetCharts([spec], { title: 'T' }) as unknown as { title: string }).title, 'T');
});

test('linearComparison: last-epoch accuracies, distances to K_0 and K_e, training seconds after e', () => {
  const h = (acc: number, secs: number): EpochRow[] => [0, 1, 2, 3].map((e) => ({ ...row(e, acc + e / 10), trainSeconds: e ? secs : 0 }));
  const D = (base: number) => [0, 1, 2, 3].map((s) => [0, 1, 2, 3].map((t) => (s === t ? 0 : base * (Math.abs(s - t) + 0.5 * Math.min(s, t)))));
  const rows = linearComparison('pgd', 1, 3, { pgd: h(0.2, 5), 'pgd-lin1': h(0.1, 9) }, { clean: { pgd: D(1), 'pgd-lin1': D(2) }, pgd: { pgd: D(3), 'pgd-lin1': D(4) } });
  assert.deepEqual(rows.map((r) => r.run), ['pgd', 'pgd-lin1']);
  assert.equal(rows[0].train.clean, 0.2 + 0.3);
  assert.equal(rows[1].test.robust, (0.1 + 0.3) / 3);
  assert.deepEqual(rows[0].fromInit, { clean: 3, pgd: 9 });
  assert.deepEqual(rows[1].fromLinearizationPoint, { clean: 2 * 2.5, pgd: 4 * 2.5 });
  assert.equal(rows[1].trainSeconds, 18);
  assert.throws(() => linearComparison('pgd', 1, 4, { pgd: h(0.2, 5), 'pgd-lin1': h(0.1, 9) }, { clean: {}, pgd: {} }), /run 'pgd' has no epoch 4/);
});
