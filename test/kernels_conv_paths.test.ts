// The conv kernels' pixel loops have a fast branch (both pixels of a SIMD pair with c > 1/2),
// a both-arccos-branches path for the rest, and a staged path for an odd last pixel. Signed
// (Gaussian) inputs on odd shapes send pixels down all three: the Gram is checked against a
// plain per-pixel JS transcription of spec §1 (Math.acos), the VJPs against central finite
// differences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arch, type ImageShape, type Matrix } from '../src/node.js';
import { rng, randn, kernelVjpDirectional } from './helpers.js';

function gaussMat(rows: number, cols: number, seed: number): Matrix<Float64Array> {
  const r = rng(seed), data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = randn(r);
  return { data, rows, cols };
}

/** 3x3 mean with zero padding (spec §1), then w2 * that + b2. */
function box(m: Float64Array, H: number, W: number, w2: number, b2: number): Float64Array {
  const o = new Float64Array(H * W);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy, xx = x + dx;
          if (yy >= 0 && yy < H && xx >= 0 && xx < W) s += m[yy * W + xx];
        }
      o[y * W + x] = w2 * s / 9 + b2;
    }
  return o;
}

/** CONV_L (W_std^2 = 2, b_std^2 = 0.01) ntk and nngp of one pair, pixel by pixel. */
function refConv(x: Float64Array, y: Float64Array, [H, W, C]: ImageShape, L: number): { ntk: number; nngp: number } {
  const P = H * W, dot = (a: Float64Array, b: Float64Array): Float64Array => Float64Array.from({ length: P }, (_, p) => {
    let s = 0;
    for (let c = 0; c < C; c++) s += a[p * C + c] * b[p * C + c];
    return s / C;
  });
  let n: Float64Array = dot(x, y), qx: Float64Array = dot(x, x), qy: Float64Array = dot(y, y), k: Float64Array | null = null;
  for (let l = 0; l < L; l++) {
    n = box(n, H, W, 2, 0.01); qx = box(qx, H, W, 2, 0.01); qy = box(qy, H, W, 2, 0.01);
    const kk: Float64Array = k ? box(k, H, W, 2, 0) : new Float64Array(P), nn = n;
    k = Float64Array.from(nn, (v, p) => v + kk[p]);
    for (let p = 0; p < P; p++) {
      const s = Math.sqrt(qx[p] * qy[p]), c = Math.min(1, Math.max(-1, n[p] / s)), th = Math.acos(c);
      n[p] = s * (Math.sin(th) + (Math.PI - th) * c) / (2 * Math.PI);
      k[p] = k[p] * (Math.PI - th) / (2 * Math.PI);
      qx[p] /= 2; qy[p] /= 2;
    }
  }
  const mean = (m: Float64Array) => m.reduce((a, b) => a + b, 0) / P;
  const nngp = 2 * mean(n) + 0.01;
  return { nngp, ntk: nngp + 2 * mean(k!) };
}

// 1 x 1 images take the flat ReLU maps after a conv (a regression: they once read a K the
// first conv had not written)
const shapes: ImageShape[] = [[5, 3, 2], [3, 7, 1], [4, 4, 3], [1, 1, 2], [1, 5, 1]];

for (const name of ['conv1', 'conv2']) {
  for (const shape of shapes) {
    test(`${name} Gram on signed ${shape.join('x')} inputs matches a per-pixel reference`, () => {
      const d = shape[0] * shape[1] * shape[2], n = 5, L = name === 'conv1' ? 1 : 2;
      const X = gaussMat(n, d, 21), Y = gaussMat(3, d, 22);
      const r = arch(name).kernelFn(Y, X, { get: 'both', shape });
      let worst = 0, slowPixels = 0;
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < n; j++) {
          const ref = refConv(Y.data.subarray(i * d, (i + 1) * d), X.data.subarray(j * d, (j + 1) * d), shape, L);
          worst = Math.max(worst, Math.abs(r.ntk!.data[i * n + j] - ref.ntk) / Math.abs(ref.ntk), Math.abs(r.nngp!.data[i * n + j] - ref.nngp) / Math.abs(ref.nngp));
        }
      assert.ok(worst < 1e-12, `worst relative error ${worst}`);
      // the inputs do reach the both-branches path: some first-layer c <= 1/2
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < n; j++)
          for (let p = 0; p < shape[0] * shape[1]; p++) {
            const x = Y.data.subarray(i * d, (i + 1) * d), y = X.data.subarray(j * d, (j + 1) * d);
            let s = 0, a = 0, b = 0;
            for (let c = 0; c < shape[2]; c++) { const u = x[p * shape[2] + c], v = y[p * shape[2] + c]; s += u * v; a += u * u; b += v * v; }
            if (s / Math.sqrt(a * b) <= 0.5) slowPixels++;
          }
      assert.ok(slowPixels > 0);
    });

    test(`${name} ntk and nngp VJPs on signed ${shape.join('x')} inputs match finite differences`, () => {
      const d = shape[0] * shape[1] * shape[2], n = 4, b = 2;
      const k = arch(name), Xt = gaussMat(n, d, 31), X = gaussMat(b, d, 32), W = gaussMat(b, n, 33);
      for (const get of ['ntk', 'nngp'] as const) {
        const G = k.kernelVjp(X, Xt, W, { get, shape });
        for (let row = 0; row < b; row++) {
          const { an, fd } = kernelVjpDirectional(k, X, Xt, W, G, get, shape, row, gaussMat(1, d, 40 + row).data, 1e-5);
          assert.ok(Math.abs(an - fd) < 1e-6 * Math.max(Math.abs(an), 1e-3), `${get} row ${row}: analytic ${an} vs finite differences ${fd}`);
        }
      }
    });
  }
}
