// Charts: every chart function's spec validates against the Vega-Lite schema, its SVG has one
// mark per datum, and its PNG decodes at the SVG's size times the scale. Image grids: cells
// are pixel-exact and the captions/headers put ink where the layout says. Reports: escaped,
// self-contained, ids scoped. NTK_VIZ_OUT=<dir> keeps the rendered files for a look.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { decode } from 'fast-png';
import Ajv from 'ajv';
import { Resvg } from '@resvg/resvg-wasm';
import {
  lineChart, seedBand, scatterChart, heatmapChart, polarChart, facetCharts, reportHtml,
  renderSvg, renderPng, svgToPng, writeChart, imageGrid, renderImageGrid, writeReport, type ChartSpec,
} from '../src/node.js';
import { fontMetrics } from '../src/viz/font_metrics.js';

const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(require.resolve('vega-lite/vega-lite-schema.json'), 'utf8'));
const ajv = new (Ajv as unknown as typeof Ajv.default)({ strict: false, allowUnionTypes: true, validateFormats: false });
const validate = ajv.compile(schema);
const KEEP = process.env.NTK_VIZ_OUT;
if (KEEP) mkdirSync(KEEP, { recursive: true });

test('the schema check rejects what Vega-Lite would not accept', () => {
  assert.equal(validate({ mark: 'nope', data: { values: [] } }), false);
  assert.equal(validate({ mark: 'point', encoding: { x: { field: 'a', type: 'quantity' } } }), false);
  assert.equal(validate({ mark: 'point', data: { values: [] }, encoding: { x: { field: 'a', type: 'quantitative' } } }), true);
});

function checkSchema(spec: ChartSpec) {
  const ok = validate(JSON.parse(JSON.stringify(spec)));
  assert.ok(ok, `spec does not validate: ${ajv.errorsText(validate.errors?.slice(0, 5))}`);
}
/** Number of items in the SVG mark group(s) of a kind (vega: <g class="mark-symbol role-mark ...">). */
function markItems(svg: string, kind: string): number {
  let n = 0;
  for (const m of svg.matchAll(new RegExp(`<g class="mark-${kind} role-mark[^"]*"[^>]*>`, 'g'))) {
    // count the direct children (paths/rects/...) of this group up to its closing tag
    let depth = 1, i = m.index! + m[0].length;
    while (depth > 0 && i < svg.length) {
      const open = svg.indexOf('<', i);
      if (svg.startsWith('</', open)) { depth--; i = svg.indexOf('>', open) + 1; continue; }
      const end = svg.indexOf('>', open), selfClose = svg[end - 1] === '/';
      if (depth === 1) n++;
      if (!selfClose) depth++;
      i = end + 1;
    }
  }
  return n;
}
async function checkPng(spec: ChartSpec, svg: string, name: string) {
  const w = Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(svg)![1]), h = Number(/<svg[^>]*\sheight="([\d.]+)"/.exec(svg)![1]);
  const bytes = await renderPng(spec, { scale: 2 });
  const png = decode(bytes);
  assert.equal(png.width, Math.round(2 * w)); assert.equal(png.height, Math.round(2 * h));
  if (KEEP) await writeChart(KEEP, name, spec);
  return png;
}

test('font metrics: advance widths agree with resvg laying out the same font', async () => {
  const ttf = new Uint8Array(readFileSync(join(require.resolve('dejavu-fonts-ttf/package.json'), '../ttf/DejaVuSans.ttf')));
  const m = fontMetrics(ttf, 'DejaVuSans.ttf');
  await svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'); // initialises resvg's wasm
  // independent reference: resvg's own parser and shaper; the ink box of 'c' x 11 is 10 advances wider than of 'c' x 1
  const box = (t: string) => new Resvg(`<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="200"><text x="10" y="150" font-size="100" font-family="DejaVu Sans">${t}</text></svg>`,
    { font: { fontBuffers: [ttf], defaultFontFamily: 'DejaVu Sans', loadSystemFonts: false } }).getBBox()!.width;
  for (const c of ['a', 'W', 'm', '0', 'ε', 'φ', '%']) {
    const ref = (box(c.repeat(11)) - box(c)) / 10;
    assert.ok(Math.abs(m.width(c, 100) - ref) < 0.01, `'${c}': metrics ${m.width(c, 100)} vs resvg ${ref}`);
  }
  assert.equal(m.width('aW', 10), m.width('a', 10) + m.width('W', 10));
  assert.throws(() => fontMetrics(new Uint8Array(64), 'zeros'), /zeros: no 'head' table/);
});

test('lineChart: valid spec, one symbol per point, one line per series, bands, PNG size', async () => {
  const band = seedBand([[0.9, 0.5, 0.3], [0.8, 0.6, 0.2], [0.85, 0.55, 0.25]]);
  assert.deepEqual(band.y.map((v) => +v.toFixed(6)), [0.85, 0.55, 0.25]);
  assert.ok(Math.abs(band.hi[0] - 0.85 - 0.05) < 1e-12 && Math.abs(band.lo[1] - 0.5) < 1e-12); // std of {0.9, 0.8, 0.85} = 0.05
  assert.deepEqual(seedBand([[1, 5], [3, 2]], 'minmax'), { y: [2, 3.5], lo: [1, 2], hi: [3, 5] });
  const spec = lineChart([
    { label: 'FGSM', x: [0, 0.1, 0.2], ...band },
    { label: 'PGD', x: [0, 0.1, 0.2, 0.3], y: [0.8, 0.3, 0.1, NaN] },
  ], { title: 'robust accuracy', xLabel: 'ε', yLabel: 'accuracy', yFormat: '.0%' });
  checkSchema(spec);
  const svg = await renderSvg(spec);
  assert.equal(markItems(svg, 'symbol'), 6, 'one marker per finite point (the NaN is dropped)');
  assert.equal(markItems(svg, 'line'), 2);
  assert.equal(markItems(svg, 'area'), 1, 'one band (FGSM)');
  assert.match(svg, /robust accuracy/); assert.match(svg, />40%</);
  assert.match(svg, /font-family="DejaVu Sans/);
  const png = await checkPng(spec, svg, 'line');
  assert.equal(png.channels >= 3, true);
  assert.throws(() => lineChart([{ label: 'bad', x: [0, 1], y: [1] }]), /series 0 \('bad'\): y has 1 values but x has 2/);
  assert.throws(() => lineChart([{ label: 'a', x: [0], y: [1] }, { label: 'a', x: [0], y: [1] }]), /labels must differ/);
});

test('scatterChart: colour scale, tooltips, one circle per point', async () => {
  const n = 40, idx = Array.from({ length: n }, (_, i) => i);
  const spec = scatterChart({ x: idx.map((i) => Math.cos(i)), y: idx.map((i) => Math.sin(i) * i / n), color: idx, fields: { eigenvalue: idx.map((i) => 2 ** -i) } },
    { title: 'usefulness vs robustness', xLabel: 'usefulness', yLabel: 'robustness', colorLabel: 'eigen-index' });
  checkSchema(spec);
  const svg = await renderSvg(spec);
  assert.equal(markItems(svg, 'symbol'), n);
  assert.match(svg, /eigen-index/);
  assert.match(svg, /linearGradient/, 'a colour bar');
  await checkPng(spec, svg, 'scatter');
  const g = scatterChart({ x: [1, 2, 3], y: [1, 2, 3], group: ['a', 'b', 'a'] });
  checkSchema(g);
  assert.throws(() => scatterChart({ x: [1], y: [1], fields: { x: [1] } }), /'x' is reserved/);
});

test('heatmapChart: one rect per cell and a colour bar; refuses huge matrices', async () => {
  const rows = 6, cols = 5, v = Float64Array.from({ length: rows * cols }, (_, k) => Math.sin(k) );
  const spec = heatmapChart({ values: v, rows, cols }, { title: 'kernel distance', colorLabel: 'distance', diverging: true });
  checkSchema(spec);
  const svg = await renderSvg(spec);
  assert.equal(markItems(svg, 'rect'), rows * cols);
  assert.match(svg, /linearGradient/);
  await checkPng(spec, svg, 'heatmap');
  assert.throws(() => heatmapChart({ values: [1, 2, 3], rows: 2, cols: 2 }), /3 values for 2 x 2 cells/);
  assert.throws(() => heatmapChart({ values: new Float64Array(300 * 300), rows: 300, cols: 300 }), /90000 cells exceed maxCells 40000/);
});

test('polarChart: points at r cos phi, r sin phi, one line per trajectory', async () => {
  const T = 12, t = Array.from({ length: T }, (_, i) => i);
  const spec = polarChart([
    { label: 'seed 0', r: t.map((i) => 1 + i / 4), phi: t.map((i) => (i * Math.PI) / 12) },
    { label: 'seed 1', r: t.map((i) => 1 + i / 5), phi: t.map((i) => (-i * Math.PI) / 16) },
  ], { title: 'kernel trajectory' });
  checkSchema(spec);
  const layer = (spec as unknown as { layer: { data: { values: { x: number; y: number; r: number; phi: number }[] } }[] }).layer;
  for (const p of layer[2].data.values) { assert.ok(Math.abs(p.x - p.r * Math.cos(p.phi)) < 1e-12); assert.ok(Math.abs(p.y - p.r * Math.sin(p.phi)) < 1e-12); }
  const svg = await renderSvg(spec);
  assert.equal(markItems(svg, 'symbol'), 2 * T);
  assert.equal(markItems(svg, 'line'), 2 + 4, 'two trajectories and four reference rings (r up to 3.75: 1, 2, 3, 4)');
  await checkPng(spec, svg, 'polar');
  assert.throws(() => polarChart([{ r: [-1], phi: [0] }]), /radius 0 is -1/);
});

test('facetCharts: panels in one figure', async () => {
  const panel = (k: number) => lineChart([{ label: 'a', x: [0, 1, 2], y: [k, k + 1, k] }, { label: 'b', x: [0, 1, 2], y: [1, 0, 1] }], { title: `panel ${k}`, width: 200, height: 140 });
  const spec = facetCharts([panel(1), panel(2), panel(3)], { title: 'three panels', columns: 2 });
  checkSchema(spec);
  const svg = await renderSvg(spec);
  assert.equal(markItems(svg, 'symbol'), 3 * 6);
  assert.equal(markItems(svg, 'line'), 3 * 2);
  for (const k of [1, 2, 3]) assert.match(svg, new RegExp(`panel ${k}`));
  await checkPng(spec, svg, 'facet');
});

test('imageGrid: pixel-exact cells, captions and headers in real text', async () => {
  const a = Float64Array.from([0, 0.2, 0.4, 0.6, 0.8, 1]); // 2 x 3 grayscale
  const b = Float64Array.from([-1, 0.5, 2, 0.25, 0.75, 0.1]); // clipped
  const p = Float64Array.from([-0.5, 0, 0.25, 0.5, 0, 0]); // symmetric: -0.5 -> 0, 0 -> 128, 0.5 -> 255
  const L = await renderImageGrid({ images: [a, b, p], shape: [2, 3], cols: 3, scale: 10, captions: ['y=3 p=8', undefined, 'pred 7'],
    headers: ['clean', 'clipped', 'perturbation (rescaled)'], scaling: ['clip', 'clip', 'symmetric'], title: 'grid' });
  const png = decode(L.png);
  assert.equal(png.width, L.width); assert.equal(png.height, L.height); assert.equal(png.channels, 3);
  const px = (x: number, y: number) => [...png.data.subarray((y * png.width + x) * 3, (y * png.width + x) * 3 + 3)];
  const cell = (i: number, r: number, c: number, dx = 0, dy = 0) => px(L.cells[i].x + c * 10 + dx, L.cells[i].y + r * 10 + dy);
  for (let k = 0; k < 6; k++) {
    const r = Math.floor(k / 3), c = k % 3, v = Math.round(255 * a[k]);
    for (const [dx, dy] of [[0, 0], [9, 9], [0, 9], [9, 0], [5, 4]]) assert.deepEqual(cell(0, r, c, dx, dy), [v, v, v]); // whole 10x10 block
  }
  assert.deepEqual(cell(1, 0, 0), [0, 0, 0]); assert.deepEqual(cell(1, 0, 2), [255, 255, 255]); assert.deepEqual(cell(1, 1, 2), [26, 26, 26]);
  assert.deepEqual(cell(2, 0, 0), [0, 0, 0]); assert.deepEqual(cell(2, 0, 1), [128, 128, 128]); assert.deepEqual(cell(2, 1, 0), [255, 255, 255]);
  // ink (dark anti-aliased text) below cells 0 and 2, none below cell 1; header ink above the row
  const ink = (x0: number, y0: number, x1: number, y1: number) => {
    let n = 0;
    for (let y = Math.max(0, y0); y < Math.min(png.height, y1); y++) for (let x = x0; x < x1; x++) if (px(x, y)[0] < 100) n++;
    return n;
  };
  const below = (i: number) => ink(L.cells[i].x, L.cells[i].y + L.cells[i].h + 1, L.cells[i].x + L.cells[i].w, L.cells[i].y + L.cells[i].h + 24);
  assert.ok(below(0) > 20 && below(2) > 20, `captions: ${below(0)}, ${below(2)}`); assert.equal(below(1), 0);
  assert.ok(ink(0, 0, png.width, L.cells[0].y) > 100, 'title and headers');
  if (KEEP) (await import('node:fs')).writeFileSync(join(KEEP, 'grid.png'), L.png);
});

test('imageGrid: RGB channels-last and errors', async () => {
  const rgb = Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 0.5, 0.5, 0]); // 2 x 2 x 3: red, green / blue, olive
  const L = await renderImageGrid({ images: [rgb], shape: [2, 2, 3], cols: 1, scale: 2 });
  const png = decode(L.png);
  const at = (r: number, c: number) => { const o = ((L.cells[0].y + 2 * r) * png.width + L.cells[0].x + 2 * c) * 3; return [...png.data.subarray(o, o + 3)]; };
  assert.deepEqual(at(0, 0), [255, 0, 0]); assert.deepEqual(at(0, 1), [0, 255, 0]);
  assert.deepEqual(at(1, 0), [0, 0, 255]); assert.deepEqual(at(1, 1), [128, 128, 0]);
  await assert.rejects(imageGrid({ images: [new Float64Array(5)], shape: [2, 2], cols: 1 }), /image 0 has 5 values, shape 2 x 2 x 1 needs 4/);
  await assert.rejects(imageGrid({ images: [Float64Array.from([NaN, 0, 0, 0])], shape: [2, 2], cols: 1 }), /image 0 value 0 is NaN/);
});

test('report: escaped, self-contained, figures inline with scoped ids, versions filled in', async () => {
  const spec = scatterChart({ x: [0, 1], y: [0, 1], color: [0, 1] }, { title: 'fig' }); // colour bar: a gradient with an id
  const svg = await renderSvg(spec);
  const grid = await imageGrid({ images: [new Float64Array(4)], shape: [2, 2], cols: 1 });
  const html = reportHtml({ title: 'run <1>', command: 'ntk x --a "b"', summary: ['accuracy 90%'], settings: { eps: [0.1, 0.2], name: '<b>' },
    figures: [{ title: 'one', svg }, { title: 'two', svg }, { title: 'grid', png: grid, file: 'g.png' }],
    tables: [{ title: 't', columns: ['a', 'b'], rows: [[1, 0.123456789], ['x', null]] }], timings: { fit: 1.23456 } });
  assert.match(html, /<title>run &lt;1&gt;<\/title>/); assert.match(html, /&lt;b&gt;/); assert.doesNotMatch(html, /<b>/);
  assert.match(html, /<td class="num">0\.1235<\/td>/); assert.match(html, /1\.235 s/);
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/, 'no scripts, no network');
  assert.match(html, /src="data:image\/png;base64,/);
  const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(ids.length >= 2); assert.equal(new Set(ids).size, ids.length, 'ids unique across figures');
  for (const m of html.matchAll(/url\(#([^)]+)\)/g)) assert.ok(ids.includes(m[1]), `url(#${m[1]}) resolves`);
  assert.throws(() => reportHtml({ title: 'x', tables: [{ columns: ['a'], rows: [[1, 2]] }] }), /row 0 has 2 cells for 1 columns/);
  const dir = mkdtempSync(join(tmpdir(), 'ntk-report-'));
  try {
    const path = writeReport(dir, { title: 'r' });
    const text = readFileSync(path, 'utf8');
    for (const k of ['ntk-robustness', 'vega-lite', '@resvg/resvg-wasm', 'dejavu-fonts-ttf']) assert.match(text, new RegExp(`<th>${k}</th><td>\\d+\\.\\d+`));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
