// The page: controls, drawing and the charts. All computation runs in worker.ts, so the page
// stays responsive while the Gram is built; the status line says what happens.
import embed from 'vega-embed';
import { lineChart, scatterChart } from '../src/viz/charts/index.js';
import { ensureIsolation } from './coi.js';
import { ARCH_CHOICES, GRID, type DatasetInfo, type FeatureRow, type Reply, type Request, type Subset } from './protocol.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const button = (id: string) => $<HTMLButtonElement>(id);
const status = $('status'), statusText = $('status-text'), bar = $<HTMLProgressElement>('bar');

function setStatus(state: string, text: string, frac?: number) {
  status.dataset.state = state;
  statusText.textContent = text;
  if (frac === undefined) bar.removeAttribute('value'); else bar.value = frac;
  // switching data while the worker computes would pair replies with the wrong images
  const data = document.getElementById('dataset') as HTMLSelectElement | null;
  if (data) data.disabled = state === 'busy' || state === 'loading';
}

const isolation = await ensureIsolation();
if (isolation.isolated === false && isolation.reloading) {
  setStatus('loading', `${isolation.reason}…`);
  await new Promise(() => {}); // the reload replaces this page
}

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const send = (r: Request) => worker.postMessage(r);
let datasets: DatasetInfo[] = [];
let info: DatasetInfo;
let subset: Subset | null = null;
let picked = 0;
let featureStatsShown: FeatureRow[] | null = null;

/** Budget text in the dataset's units (CIFAR: k/255). */
const epsText = (eps: number) => (info.epsScale === 1 ? eps.toFixed(2) : `${Math.round(eps * info.epsScale)}/${info.epsScale}`);
const epsMax = () => (info.epsScale === 1 ? 0.3 : 24 / 255);
const epsValue = () => Number($<HTMLInputElement>('eps').value) / info.epsScale;
const className = (c: number) => info.classNames[c] ?? String(c);
const shortName = (c: number) => (info.classNames.length > 2 ? className(c) : ['plane', 'car'][c] ?? className(c));

/**
 * An image on a canvas: grey (MNIST, ink dark on white) or RGB, values in [0, 1]; `signed`
 * values in [-1, 1] are blue-white-red for grey images and 0.5 + v/2 per channel for RGB.
 */
function draw(canvas: HTMLCanvasElement, v: ArrayLike<number>, signed = false) {
  const [H, W, C] = subset!.shape;
  canvas.width = W; canvas.height = H;
  const ctx = canvas.getContext('2d')!, img = ctx.createImageData(W, H);
  for (let i = 0; i < H * W; i++) {
    let rgb: number[];
    if (C === 3) rgb = [0, 1, 2].map((c) => 255 * (signed ? 0.5 + 0.5 * v[3 * i + c] : v[3 * i + c]));
    else {
      const t = v[i];
      rgb = signed ? (t >= 0 ? [255, 255 * (1 - t), 255 * (1 - t)] : [255 * (1 + t), 255 * (1 + t), 255]) : [255 * (1 - t), 255 * (1 - t), 255 * (1 - t)];
    }
    img.data.set([...rgb, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}

const scaleSigned = (v: Float64Array) => { let m = 1e-300; for (const t of v) m = Math.max(m, Math.abs(t)); return v.map((t) => t / m); };
const norm = (v: Float64Array) => Math.sqrt(v.reduce((s, t) => s + t * t, 0));
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}) => Object.assign(document.createElement(tag), props);

/** Class-score bars (binary: the one output f, left of 0 = first class); returns the predicted class. */
function scores(box: HTMLElement, s: number[]) {
  box.dataset.scores = JSON.stringify(s);
  if (s.length === 1) {
    const f = s[0], w = Math.min(50, 50 * Math.abs(f) / 1.5);
    const track = el('div', { className: 'track' }), b = el('div', { className: 'bar top' });
    Object.assign(b.style, { width: `${Math.max(1, w)}%`, marginLeft: f >= 0 ? '50%' : `${50 - w}%` });
    track.append(b);
    box.className = 'scores binary';
    box.replaceChildren(el('span', { textContent: className(0) }), track, el('span', { textContent: className(1) }),
      el('span', { className: 'muted f', textContent: `f(x) = ${f.toFixed(3)}` }));
    return f >= 0 ? 1 : 0;
  }
  box.className = 'scores';
  const top = s.indexOf(Math.max(...s)), lo = Math.min(0, ...s), hi = Math.max(...s, 1e-12);
  box.replaceChildren(...s.flatMap((v, c) => {
    const cell = el('span'), b = el('div', { className: c === top ? 'bar top' : 'bar' });
    b.style.width = `${Math.max(1, (100 * (v - lo)) / (hi - lo))}%`;
    cell.append(b);
    return [el('span', { textContent: className(c) }), cell, el('span', { textContent: v.toFixed(3) })];
  }));
  return top;
}

function showGrid(preds?: number[]) {
  const s = subset!, d = s.testPixels.length / s.nTest;
  $('grid').dataset.dataset = s.id;
  $('grid').replaceChildren(...Array.from({ length: Math.min(GRID, s.nTest) }, (_, i) => {
    const fig = el('figure'), c = el('canvas');
    fig.dataset.index = String(i);
    fig.className = (i === picked ? 'picked ' : '') + (preds && preds[i] !== s.testLabels[i] ? 'wrong' : '');
    draw(c, Array.from(s.testPixels.subarray(i * d, (i + 1) * d), (v) => v / 255));
    const y = s.testLabels[i], name = shortName(y);
    // multiclass: label -> prediction; binary names are longer: label and a tick or a cross
    const cap = !preds ? name : info.classNames.length > 2 ? `${name} → ${shortName(preds[i])}` : `${name} ${preds[i] === y ? '✓' : '✗'}`;
    fig.append(c, el('figcaption', { textContent: cap }));
    fig.onclick = () => {
      picked = i;
      for (const f of $('grid').children) f.classList.toggle('picked', f === fig);
      $('feature-image').textContent = String(i);
    };
    return fig;
  }));
}

function chooseDataset(id: string) {
  info = datasets.find((d) => d.id === id)!;
  const eps = $<HTMLInputElement>('eps');
  // MNIST: eps in [0, 0.3] by 0.01; CIFAR: k/255 up to 24/255 (the paper's 8/255 by default)
  Object.assign(eps, info.epsScale === 1 ? { min: '0', max: '0.3', step: '0.01', value: '0.1' } : { min: '0', max: String(epsMax() * info.epsScale), step: '1', value: '8' });
  $('eps-value').textContent = epsText(epsValue());
  $('eps-unit').textContent = info.epsScale === 1 ? '' : ', in /255';
  for (const b of ['fit', 'attack', 'features-run']) button(b).disabled = true;
  $('result').hidden = true; $('features-area').hidden = true; $('accuracy').textContent = '';
  picked = 0;
  setStatus('busy', `loading ${info.title}…`);
  send({ type: 'dataset', id });
}

function showFeatures(stats: FeatureRow[], eps: number, machineClean: number, testImages: number, seconds: number) {
  featureStatsShown = stats;
  $('features-area').hidden = false;
  $('scatter').dataset.stats = JSON.stringify(stats);
  $('scatter-note').textContent = `${stats.length} leading features on ${testImages} test images at ε = ${epsText(eps)} (${seconds.toFixed(1)} s); the whole machine: ${(100 * machineClean).toFixed(0)}% clean. Click a point.`;
  const spec = scatterChart({ x: stats.map((s) => s.usefulness), y: stats.map((s) => s.robustness), color: stats.map((s) => s.index),
    fields: { eigenvalue: stats.map((s) => s.eigenvalue), share: stats.map((s) => s.share) } },
  { xLabel: 'usefulness (clean accuracy)', yLabel: `robustness (accuracy under own FGSM)`, colorLabel: 'eigen-index', width: 330, height: 250, pointSize: 70 });
  return embed('#scatter', spec as never, { actions: false, renderer: 'svg' }).then((res) => {
    res.view.addEventListener('click', (_e, item) => {
      const d = (item as { datum?: { color?: number } } | null)?.datum;
      if (d && typeof d.color === 'number') {
        setStatus('busy', `gradient of feature ${d.color} on test image ${picked}…`);
        send({ type: 'feature-gradient', feature: d.color, index: picked });
      }
    });
  });
}

worker.onmessage = async (ev: MessageEvent<Reply>) => {
  const m = ev.data;
  if (m.type === 'error') {
    setStatus('error', `error: ${m.message}`, 0);
    button('fit').disabled = false;
    if (subset) button('features-run').disabled = button('attack').disabled = false;
    return;
  }
  if (m.type === 'progress') { setStatus('busy', `${m.label}: ${m.done} / ${m.total}`, m.total ? m.done / m.total : 0); return; }
  if (m.type === 'ready') {
    datasets = m.datasets;
    const badge = $('engine');
    badge.textContent = m.threads > 1
      ? `threaded: ${m.threads} threads (cross-origin isolated via ${isolation.isolated ? isolation.via : 'headers'}), ${m.build} wasm`
      : `single thread (${isolation.isolated ? 'isolated, one thread requested' : isolation.reason}), ${m.build} wasm`;
    badge.className = m.threads > 1 ? 'badge ok' : 'badge warn';
    badge.dataset.threads = String(m.threads);
    badge.dataset.isolation = isolation.isolated ? isolation.via : 'none';
    $('dataset').replaceChildren(...datasets.map((d) => el('option', {
      value: d.id, disabled: !d.file, title: d.unavailable ?? '',
      textContent: d.file ? `${d.title} (${(d.bytes! / 1e6).toFixed(1)} MB)` : `${d.title} (unavailable)`,
    })));
    // the reason on its own line: a long option would stretch the select and the page
    $('dataset-note').textContent = datasets.filter((d) => !d.file).map((d) => `${d.title} unavailable: ${d.unavailable}`).join('; ');
    chooseDataset(datasets[0].id);
  } else if (m.type === 'dataset') {
    subset = m.subset;
    showGrid();
    button('fit').disabled = false;
    $('feature-image').textContent = String(picked);
    setStatus('ready', `${info.title}: ${subset.nTest} test images loaded; choose an architecture and build the machine`, 1);
  } else if (m.type === 'fitted') {
    showGrid(m.cleanPredictions);
    $('accuracy').textContent = `(${m.arch}, ${m.n} training images: ${(100 * m.testAccuracy).toFixed(0)}% of ${m.cleanPredictions.length} test images correct; ${info.classNames.length > 2 ? 'label → prediction' : 'label, ✓ right / ✗ wrong'})`;
    button('fit').disabled = button('attack').disabled = button('features-run').disabled = false;
    $('features-area').hidden = true; featureStatsShown = null;
    setStatus('fitted', `machine built in ${m.seconds.toFixed(1)} s: pick an image and attack`, 1);
  } else if (m.type === 'attacked') {
    $('result').hidden = false;
    draw($<HTMLCanvasElement>('clean'), m.clean);
    draw($<HTMLCanvasElement>('adv'), m.adversarial);
    const delta = m.adversarial.map((v, i) => v - m.clean[i]);
    draw($<HTMLCanvasElement>('delta'), scaleSigned(delta), true);
    $('delta-range').textContent = `max |δ| = ${epsText(Math.max(...delta.map(Math.abs)))} (ε = ${epsText(m.eps)})`;
    const pc = scores($('clean-scores'), m.cleanScores), pa = scores($('adv-scores'), m.advScores);
    $('clean-pred').textContent = `${className(pc)}${pc === m.label ? ' (correct)' : ` (wrong: label ${className(m.label)})`}`;
    $('adv-pred').textContent = `${className(pa)}${pa !== pc ? ' (flipped)' : ' (unchanged)'}`;
    $('adv-pred').className = pa !== pc ? 'flipped' : '';
    $('adv-pred').dataset.pred = String(pa); $('clean-pred').dataset.pred = String(pc);
    $('feature-class').textContent = info.classNames.length > 2 ? `its label ${className(m.label)}` : 'f itself (binary)';
    $('features').replaceChildren(...m.features.map((f) => {
      const p = el('div', { className: 'panel' }), c = el('canvas');
      draw(c, scaleSigned(f.grad), true);
      p.append(el('div', { textContent: `feature ${f.index}` }), c, el('div', { className: 'muted', textContent: `f = ${f.value.toFixed(3)}` }));
      return p;
    }));
    const binary = m.cleanScores.length === 1;
    const x = m.curve.eps.map((e) => e * info.epsScale);
    const spec = lineChart([
      { label: binary ? 'margin y·f(x)' : `true class ${className(m.label)}`, x, y: m.curve.trueScore },
      { label: binary ? 'decision boundary' : 'best other class', x, y: m.curve.bestOther },
    ], { xLabel: `ε${info.epsScale === 1 ? '' : ' (/255)'} (${m.method.toUpperCase()})`, yLabel: 'output', yZero: false, xDomain: [0, epsMax() * info.epsScale], width: 220, height: 170 });
    await embed('#curve', spec as never, { actions: false, renderer: 'svg' });
    button('attack').disabled = false;
    setStatus('attacked', `attacked image ${m.index} in ${m.seconds.toFixed(2)} s`, 1);
  } else if (m.type === 'features') {
    await showFeatures(m.stats, m.eps, m.machine.clean, m.testImages, m.seconds);
    $('feature-picture').replaceChildren(el('p', { className: 'muted', textContent: 'click a point of the scatter' }));
    button('features-run').disabled = false;
    setStatus('features', `usefulness and robustness of ${m.stats.length} eigen-features in ${m.seconds.toFixed(1)} s: click a point`, 1);
  } else if (m.type === 'feature-gradient') {
    const row = featureStatsShown?.find((s) => s.index === m.feature);
    const c = el('canvas');
    c.dataset.feature = String(m.feature); c.dataset.index = String(m.index); c.dataset.norm = String(norm(m.grad));
    draw(c, scaleSigned(m.grad), true);
    $('feature-picture').replaceChildren(
      el('div', { textContent: `∇ₓ f${m.feature}(x), test image ${m.index}` }), c,
      el('div', { className: 'muted', textContent: `${info.classNames.length > 2 ? `class ${className(m.label)}: ` : ''}f = ${m.value.toFixed(3)}` }),
      el('div', { className: 'muted', textContent: row ? `λ = ${row.eigenvalue.toPrecision(3)}, useful ${(100 * row.usefulness).toFixed(0)}%, robust ${(100 * row.robustness).toFixed(0)}%` : '' }));
    setStatus('feature-picture', `feature ${m.feature} pictured on test image ${m.index}`, 1);
  }
};

$('arch').replaceChildren(...ARCH_CHOICES.map((a) => el('option', { value: a, textContent: a })));
$('dataset').onchange = () => chooseDataset($<HTMLSelectElement>('dataset').value);
$('eps').oninput = () => { $('eps-value').textContent = epsText(epsValue()); };
button('fit').onclick = () => {
  for (const b of ['fit', 'attack', 'features-run']) button(b).disabled = true;
  setStatus('busy', 'building the kernel machine…', 0);
  send({ type: 'fit', arch: $<HTMLSelectElement>('arch').value, n: Number($<HTMLSelectElement>('ntrain').value) });
};
button('attack').onclick = () => {
  button('attack').disabled = true;
  setStatus('busy', 'attacking…', 0);
  send({ type: 'attack', index: picked, eps: epsValue(), method: $<HTMLSelectElement>('method').value as 'fgsm' | 'pgd', epsMax: epsMax() });
};
button('features-run').onclick = () => {
  button('features-run').disabled = true;
  setStatus('busy', 'evaluating the eigen-features…', 0);
  send({ type: 'features', eps: epsValue() });
};
// threads: ?threads=N overrides; the worker falls back to one without cross-origin isolation
const threads = Number(new URLSearchParams(location.search).get('threads') ?? navigator.hardwareConcurrency ?? 1);
send({ type: 'init', threads: Math.max(1, Math.min(threads, 8)) });
