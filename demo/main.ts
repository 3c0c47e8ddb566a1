// The page: controls, drawing and the eps-curve chart. All computation runs in worker.ts, so
// the page stays responsive while the Gram is built; the status line says what happens.
import embed from 'vega-embed';
import { lineChart } from '../src/viz/charts/index.js';
import { ARCH_CHOICES, type Reply, type Request, type Subset } from './protocol.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const send = (r: Request) => worker.postMessage(r);
let subset: Subset | null = null;
let picked = 0;
const status = $('status'), statusText = $('status-text'), bar = $<HTMLProgressElement>('bar');

function setStatus(state: string, text: string, frac?: number) {
  status.dataset.state = state;
  statusText.textContent = text;
  if (frac === undefined) bar.removeAttribute('value'); else bar.value = frac;
}

/** Grey image in [0, 1] (or signed in [-1, 1] as blue-white-red) on a canvas. */
function draw(canvas: HTMLCanvasElement, v: ArrayLike<number>, signed = false) {
  const [H, W] = subset!.shape;
  canvas.width = W; canvas.height = H;
  const ctx = canvas.getContext('2d')!, img = ctx.createImageData(W, H);
  for (let i = 0; i < H * W; i++) {
    const t = v[i];
    const [r, g, b] = signed
      ? (t >= 0 ? [255, 255 * (1 - t), 255 * (1 - t)] : [255 * (1 + t), 255 * (1 + t), 255])
      : [255 * (1 - t), 255 * (1 - t), 255 * (1 - t)]; // ink dark on white
    img.data.set([r, g, b, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}

const scaleSigned = (v: Float64Array) => { const m = Math.max(1e-300, ...v.map(Math.abs)); return v.map((t) => t / m); };

function scores(el: HTMLElement, s: number[]) {
  const top = s.indexOf(Math.max(...s)), lo = Math.min(0, ...s), hi = Math.max(...s, 1e-12);
  el.dataset.scores = JSON.stringify(s);
  el.replaceChildren(...s.flatMap((v, c) => {
    const name = Object.assign(document.createElement('span'), { textContent: String(c) });
    const cell = document.createElement('span');
    const b = Object.assign(document.createElement('div'), { className: c === top ? 'bar top' : 'bar' });
    b.style.width = `${Math.max(1, (100 * (v - lo)) / (hi - lo))}%`;
    cell.append(b);
    return [name, cell, Object.assign(document.createElement('span'), { textContent: v.toFixed(3) })];
  }));
  return top;
}

function showGrid(preds?: number[]) {
  const s = subset!, d = s.testPixels.length / s.nTest;
  $('grid').replaceChildren(...Array.from({ length: s.nTest }, (_, i) => {
    const fig = document.createElement('figure'), c = document.createElement('canvas');
    fig.dataset.index = String(i);
    fig.className = (i === picked ? 'picked ' : '') + (preds && preds[i] !== s.testLabels[i] ? 'wrong' : '');
    draw(c, Array.from(s.testPixels.subarray(i * d, (i + 1) * d), (v) => v / 255));
    const cap = document.createElement('figcaption');
    cap.textContent = preds ? `${s.testLabels[i]} → ${preds[i]}` : `label ${s.testLabels[i]}`;
    fig.append(c, cap);
    fig.onclick = () => { picked = i; for (const f of $('grid').children) f.classList.toggle('picked', f === fig); };
    return fig;
  }));
}

worker.onmessage = async (ev: MessageEvent<Reply>) => {
  const m = ev.data;
  if (m.type === 'error') { setStatus('error', `error: ${m.message}`, 0); ($('fit') as HTMLButtonElement).disabled = false; return; }
  if (m.type === 'progress') { setStatus('busy', `${m.label}: ${m.done} / ${m.total}`, m.total ? m.done / m.total : 0); return; }
  if (m.type === 'ready') {
    subset = m.subset;
    $('engine').textContent = `${m.threads} thread${m.threads > 1 ? 's' : ''} (${m.isolated ? 'cross-origin isolated' : 'not isolated: single thread'}), ${m.build} wasm`;
    $('engine').dataset.threads = String(m.threads);
    showGrid();
    ($('fit') as HTMLButtonElement).disabled = false;
    setStatus('ready', 'engine ready: choose an architecture and build the machine', 1);
  } else if (m.type === 'fitted') {
    showGrid(m.cleanPredictions);
    $('accuracy').textContent = `(${m.arch}, ${m.n} training images: ${(100 * m.testAccuracy).toFixed(0)}% of these ${m.cleanPredictions.length} correct; label → prediction)`;
    ($('fit') as HTMLButtonElement).disabled = false;
    ($('attack') as HTMLButtonElement).disabled = false;
    setStatus('fitted', `machine built in ${m.seconds.toFixed(1)} s: pick an image and attack`, 1);
  } else if (m.type === 'attacked') {
    $('result').hidden = false;
    draw($('clean') as HTMLCanvasElement, m.clean);
    draw($('adv') as HTMLCanvasElement, m.adversarial);
    const delta = m.adversarial.map((v, i) => v - m.clean[i]);
    draw($('delta') as HTMLCanvasElement, scaleSigned(delta), true);
    $('delta-range').textContent = `max |δ| = ${Math.max(...delta.map(Math.abs)).toFixed(3)} (ε = ${m.eps})`;
    const pc = scores($('clean-scores'), m.cleanScores), pa = scores($('adv-scores'), m.advScores);
    $('clean-pred').textContent = String(pc);
    $('adv-pred').textContent = `${pa}${pa !== pc ? ' (flipped)' : ' (unchanged)'}`;
    $('adv-pred').dataset.pred = String(pa); $('clean-pred').dataset.pred = String(pc);
    $('feature-class').textContent = String(m.featureClass);
    $('features').replaceChildren(...m.features.map((f, i) => {
      const p = Object.assign(document.createElement('div'), { className: 'panel' }), c = document.createElement('canvas');
      draw(c, scaleSigned(f.grad), true);
      p.append(Object.assign(document.createElement('div'), { textContent: `feature ${i + 1}` }), c,
        Object.assign(document.createElement('div'), { className: 'muted', textContent: `f = ${f.value.toFixed(3)}` }));
      return p;
    }));
    const spec = lineChart([
      { label: `true class ${m.label}`, x: m.curve.eps, y: m.curve.trueScore },
      { label: 'best other class', x: m.curve.eps, y: m.curve.bestOther },
    ], { xLabel: `ε (${m.method.toUpperCase()})`, yLabel: 'output', yZero: false, xDomain: [0, 0.3], width: 250, height: 170 });
    await embed('#curve', spec as never, { actions: false, renderer: 'svg' });
    ($('attack') as HTMLButtonElement).disabled = false;
    setStatus('attacked', `attacked image ${m.index} in ${m.seconds.toFixed(2)} s`, 1);
  }
};

$('arch').replaceChildren(...ARCH_CHOICES.map((a) => Object.assign(document.createElement('option'), { value: a, textContent: a })));
$('eps').oninput = () => { $('eps-value').textContent = Number(($('eps') as HTMLInputElement).value).toFixed(2); };
$('fit').onclick = () => {
  ($('fit') as HTMLButtonElement).disabled = true; ($('attack') as HTMLButtonElement).disabled = true;
  setStatus('busy', 'building the kernel machine…', 0);
  send({ type: 'fit', arch: ($('arch') as HTMLSelectElement).value, n: Number(($('ntrain') as HTMLSelectElement).value) });
};
$('attack').onclick = () => {
  ($('attack') as HTMLButtonElement).disabled = true;
  setStatus('busy', 'attacking…', 0);
  send({ type: 'attack', index: picked, eps: Number(($('eps') as HTMLInputElement).value), method: ($('method') as HTMLSelectElement).value as 'fgsm' | 'pgd' });
};
// threads: ?threads=N overrides; the worker falls back to one without cross-origin isolation
const threads = Number(new URLSearchParams(location.search).get('threads') ?? navigator.hardwareConcurrency ?? 1);
send({ type: 'init', threads: Math.max(1, Math.min(threads, 8)) });
