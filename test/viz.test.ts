import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from 'fast-png';
import { imageGrid, renderImageGrid, linePlot, renderLinePlot, niceTicks, PALETTE, Raster, glyph, textWidth } from '../src/node.js';

function px(png: ReturnType<typeof decode>, x: number, y: number): number[] {
  const o = (y * png.width + x) * png.channels;
  return [...png.data.subarray(o, o + 3)];
}

test('font: glyph bitmaps and text placement', () => {
  // '1' row 0 is ..#.. and row 6 is .###.
  assert.equal(glyph('1')[0], 0b00100); assert.equal(glyph('1')[6], 0b01110);
  assert.equal(glyph('\u2603'), glyph('?')); // unknown -> '?'
  assert.equal(textWidth('abc', 2), (3 * 6 - 1) * 2);
  const r = new Raster(20, 12);
  r.text(1, 1, 'L', [0, 0, 0]);
  assert.deepEqual(r.get(1, 1), [0, 0, 0]); assert.deepEqual(r.get(2, 1), [255, 255, 255]);
  assert.deepEqual(r.get(5, 7), [0, 0, 0]); // bottom bar of L at row 6
  const u = new Raster(12, 20);
  u.textUp(1, 1, 'L', [0, 0, 0]); // rotated: the L's vertical stroke becomes the bottom row of ink
  assert.deepEqual(u.get(1, 6), [0, 0, 0]); assert.deepEqual(u.get(7, 2), [0, 0, 0]);
});

test('imageGrid: decoded PNG has the layout, pixel values and captions', () => {
  const a = Float64Array.from([0, 0.2, 0.4, 0.6, 0.8, 1]); // 2 x 3 grayscale
  const b = Float64Array.from([-1, 0.5, 2, 0.25, 0.75, 0.1]); // clipped
  const p = Float64Array.from([-0.5, 0, 0.25, 0.5, 0, 0]); // symmetric: -0.5 -> 0, 0 -> 128, 0.5 -> 255
  const opts = { images: [a, b, p], shape: [2, 3] as [number, number], cols: 3, scale: 4, captions: ['y=3 p=8', undefined, 'pred 7'],
    headers: ['clean', 'clipped', 'perturbation (rescaled)'], scaling: ['clip', 'clip', 'symmetric'] as const };
  const L = renderImageGrid({ ...opts, scaling: [...opts.scaling] });
  const png = decode(imageGrid({ ...opts, scaling: [...opts.scaling] }));
  assert.equal(png.width, L.raster.width); assert.equal(png.height, L.raster.height);
  assert.equal(png.channels, 3);
  const cell = (i: number, r: number, c: number, dx = 0, dy = 0) => px(png, L.cells[i].x + c * 4 + dx, L.cells[i].y + r * 4 + dy);
  for (let k = 0; k < 6; k++) {
    const r = Math.floor(k / 3), c = k % 3, v = Math.round(255 * a[k]);
    assert.deepEqual(cell(0, r, c), [v, v, v]); assert.deepEqual(cell(0, r, c, 3, 3), [v, v, v]); // whole 4x4 block
  }
  assert.deepEqual(cell(1, 0, 0), [0, 0, 0]); assert.deepEqual(cell(1, 0, 2), [255, 255, 255]); assert.deepEqual(cell(1, 1, 2), [26, 26, 26]);
  assert.deepEqual(cell(2, 0, 0), [0, 0, 0]); assert.deepEqual(cell(2, 0, 1), [128, 128, 128]); assert.deepEqual(cell(2, 1, 0), [255, 255, 255]);
  // caption ink below cells 0 and 2, none below cell 1
  const ink = (i: number) => {
    let n = 0;
    for (let y = L.cells[i].y + L.cells[i].h + 1; y < L.cells[i].y + L.cells[i].h + 30 && y < png.height; y++)
      for (let x = L.cells[i].x; x < L.cells[i].x + L.cells[i].w; x++) if (px(png, x, y)[0] === 0) n++;
    return n;
  };
  assert.ok(ink(0) > 20 && ink(2) > 20); assert.equal(ink(1), 0);
  // header ink above the first row
  let head = 0;
  for (let y = 0; y < L.cells[0].y; y++) for (let x = 0; x < png.width; x++) if (px(png, x, y)[0] === 0) head++;
  assert.ok(head > 50);
});

test('imageGrid: RGB channels-last and errors', () => {
  const rgb = Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 0.5, 0.5, 0]); // 2 x 2 x 3: red, green / blue, olive
  const L = renderImageGrid({ images: [rgb], shape: [2, 2, 3], cols: 1, scale: 2 });
  const png = decode(L.raster.toPng());
  const at = (r: number, c: number) => px(png, L.cells[0].x + 2 * c, L.cells[0].y + 2 * r);
  assert.deepEqual(at(0, 0), [255, 0, 0]); assert.deepEqual(at(0, 1), [0, 255, 0]);
  assert.deepEqual(at(1, 0), [0, 0, 255]); assert.deepEqual(at(1, 1), [128, 128, 0]);
  assert.throws(() => imageGrid({ images: [new Float64Array(5)], shape: [2, 2], cols: 1 }), /image 0 has 5 values, shape 2 x 2 x 1 needs 4/);
  assert.throws(() => imageGrid({ images: [Float64Array.from([NaN, 0, 0, 0])], shape: [2, 2], cols: 1 }), /image 0 value 0 is NaN/);
});

test('niceTicks picks 1-2-5 steps', () => {
  assert.deepEqual(niceTicks(0, 1).ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0, 0.3).ticks, [0, 0.1, 0.2, 0.3]);
  assert.deepEqual(niceTicks(0, 8 / 255), { ticks: [0, 0.01, 0.02, 0.03], step: 0.01, decimals: 2 });
});

test('linePlot: series colours and markers land where the data say', () => {
  const L = renderLinePlot({ title: 'robust accuracy', xLabel: 'eps', yLabel: 'accuracy', width: 600, height: 400, legend: 'lower left',
    series: [{ label: 'FGSM', x: [0, 0.1, 0.2], y: [0.9, 0.5, 0.3] }, { label: 'PGD', x: [0, 0.2], y: [0.8, 0.1], marker: 'square' }] });
  const png = decode(linePlot({ title: 'robust accuracy', xLabel: 'eps', yLabel: 'accuracy', width: 600, height: 400, legend: 'lower left',
    series: [{ label: 'FGSM', x: [0, 0.1, 0.2], y: [0.9, 0.5, 0.3] }, { label: 'PGD', x: [0, 0.2], y: [0.8, 0.1], marker: 'square' }] }));
  assert.equal(png.width, 600); assert.equal(png.height, 400);
  const c0 = [...PALETTE[0]], c1 = [...PALETTE[1]];
  assert.deepEqual(px(png, ...L.toPixel(0.1, 0.5)), c0); // marker centre
  assert.deepEqual(px(png, ...L.toPixel(0.1, 0.5).map((v, i) => v + (i === 0 ? 3 : 0)) as [number, number]), c0); // circle radius 4
  assert.deepEqual(px(png, ...L.toPixel(0.05, 0.7)), c0); // on the line between the first two points
  assert.deepEqual(px(png, ...L.toPixel(0.1, 0.45)), c1); // PGD line midpoint (0.1, 0.45)
  const [sx, sy] = L.toPixel(0.2, 0.1);
  assert.deepEqual(px(png, sx + 3, sy + 3), c1); // square marker corner
  // frame, y-axis gridline/tick at 0.4, legend sample line in each colour
  assert.deepEqual(px(png, L.plot.x - 1, L.plot.y + 10), [0, 0, 0]);
  const [, y04] = L.toPixel(0, 0.4);
  assert.deepEqual(px(png, L.plot.x - 3, y04), [0, 0, 0]);
  let tickInk = 0;
  for (let x = 0; x < L.plot.x - 8; x++) for (let y = y04 - 7; y <= y04 + 7; y++) if (px(png, x, y)[0] === 0) tickInk++;
  assert.ok(tickInk > 20, 'tick label "0.4" drawn');
  assert.ok(L.legend && L.legend.x < L.plot.x + 20 && L.legend.y > L.plot.y + L.plot.h / 2, 'legend at lower left');
  const cy0 = L.legend!.y + 8 + 7;
  assert.deepEqual(px(png, L.legend!.x + 14, cy0), c0);
  // 'auto' avoids the lines: the top-right corner is empty for decreasing curves starting low
  const A = renderLinePlot({ series: [{ label: 'a', x: [0, 1], y: [0.5, 0.0] }] });
  assert.ok(A.legend!.y < A.plot.y + 20 && A.legend!.x > A.plot.x + A.plot.w / 2, 'auto legend goes upper right');
  assert.throws(() => linePlot({ series: [{ label: 'bad', x: [0, 1], y: [1] }] }), /series 0 \('bad'\) has 2 x values but 1 y values/);
});
