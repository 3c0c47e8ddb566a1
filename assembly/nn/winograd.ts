// Winograd F(2x2, 3x3) transforms (Lavin & Gray 2016) for 3x3 SAME convolutions on one
// H x W x C NHWC image with H, W even and C a multiple of 4 (the SIMD lanes). Generic over
// f32/f64; not re-exported by index.ts (generic, so no wasm export).
// Tiles are 2x2 output pixels, t = ty (W/2) + tx; the input tile of t is the 4x4 block at
// rows 2ty-1 .. 2ty+2, columns 2tx-1 .. 2tx+2 (zeros outside the image); xi = 4u + v.
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   A = [1 0; 1 1; 1 -1; 0 -1]
//   G^T = [1 .5 .5 0; 0 .5 -.5 0; 0 .5 .5 1]
// Filter gradient of one output cotangent g (H x W x Cout):
//   dW[ky, kx, c, o] = sum_{y,x} Xpad[y + ky - 1, x + kx - 1, c] g[y, x, o]
//                    = G^T ( sum_t (B^T d_t B)[., ., c] o (A g_t A^T)[., ., o] ) G
// (the transpose of F(2x2, 3x3)'s bilinear form), so the tile sum is 16 GEMMs
// M[xi] = V[xi]^T U[xi] with K = the tile count: 16 multiplications per tile where the
// direct form needs 36 (2.25x fewer).

/**
 * V[xi][t0 + t][c] = (B^T d_t B)[u][v] for every tile t of the image and channel c; a plane
 * (one xi) holds planeTiles tiles (the image's own count when 0).
 */
export function winoInput<T>(X: usize, H: i32, W: i32, C: i32, V: usize, t0: i32 = 0, planeTiles: i32 = 0): void {
  const sz = <usize>sizeof<T>(), L = <i32>(16 / sizeof<T>());
  const tw = W >> 1, nT = planeTiles ? planeTiles : (H >> 1) * tw, plane = <usize>nT * <usize>C * sz;
  V += <usize>t0 * <usize>C * sz;
  const z = v128.splat<T>(0);
  for (let ty = 0; ty < (H >> 1); ty++) {
    for (let tx = 0; tx < tw; tx++) {
      const t = ty * tw + tx;
      for (let c = 0; c < C; c += L) {
        const out = V + (<usize>t * <usize>C + <usize>c) * sz;
        // columns: r_u = (B^T d)[u] for each of the 4 columns v, stored at xi = 4u + v
        for (let v = 0; v < 4; v++) {
          const x = 2 * tx - 1 + v;
          let d0 = z, d1 = z, d2 = z, d3 = z;
          if (x >= 0 && x < W) {
            const y0 = 2 * ty - 1;
            const col = X + (<usize>x * <usize>C + <usize>c) * sz, row = <usize>W * <usize>C * sz;
            if (y0 >= 0) d0 = v128.load(col + <usize>y0 * row);
            d1 = v128.load(col + <usize>(y0 + 1) * row);
            d2 = v128.load(col + <usize>(y0 + 2) * row);
            if (y0 + 3 < H) d3 = v128.load(col + <usize>(y0 + 3) * row);
          }
          v128.store(out + <usize>v * plane, v128.sub<T>(d0, d2));
          v128.store(out + <usize>(4 + v) * plane, v128.add<T>(d1, d2));
          v128.store(out + <usize>(8 + v) * plane, v128.sub<T>(d2, d1));
          v128.store(out + <usize>(12 + v) * plane, v128.sub<T>(d1, d3));
        }
        // rows: (r B)[u][.]
        for (let u = 0; u < 4; u++) {
          const p = out + <usize>(4 * u) * plane;
          const r0 = v128.load(p), r1 = v128.load(p + plane), r2 = v128.load(p + 2 * plane), r3 = v128.load(p + 3 * plane);
          v128.store(p, v128.sub<T>(r0, r2));
          v128.store(p + plane, v128.add<T>(r1, r2));
          v128.store(p + 2 * plane, v128.sub<T>(r2, r1));
          v128.store(p + 3 * plane, v128.sub<T>(r1, r3));
        }
      }
    }
  }
}

/**
 * U[xi][t0 + t][off + o] = (A g_t A^T)[u][v] of one H x W x Co cotangent g; U rows ldU wide,
 * a plane (one xi) planeTiles rows (the image's own tile count when 0).
 */
export function winoGradTiles<T>(g: usize, H: i32, W: i32, Co: i32, U: usize, ldU: i32, off: i32, t0: i32 = 0, planeTiles: i32 = 0, nr8: bool = false): void {
  const sz = <usize>sizeof<T>(), L = <i32>(16 / sizeof<T>());
  const tw = W >> 1, nT = planeTiles ? planeTiles : (H >> 1) * tw, plane = <usize>nT * <usize>ldU * sz;
  const row = <usize>W * <usize>Co * sz;
  U += <usize>t0 * <usize>ldU * sz;
  for (let ty = 0; ty < (H >> 1); ty++) {
    for (let tx = 0; tx < tw; tx++) {
      const t = ty * tw + tx;
      const src = g + (<usize>(2 * ty) * <usize>W + <usize>(2 * tx)) * <usize>Co * sz;
      const dst = U + (<usize>t * <usize>ldU + <usize>off) * sz;
      for (let o = 0; o < Co; o += L) {
        // nr8 (f32; off, Co multiples of 8): each plane already in pack_b's 8-column panels
        // (column n of tile t at (n / 8) nT 8 + 8 t + n % 8), the GEMM's B without a packing pass
        const q = nr8 ? U + (<usize>((off + o) >> 3) * <usize>(nT * 8) + <usize>(8 * t) + <usize>((off + o) & 7)) * sz : dst + <usize>o * sz;
        const p = src + <usize>o * sz;
        const g00 = v128.load(p), g01 = v128.load(p + <usize>Co * sz);
        const g10 = v128.load(p + row), g11 = v128.load(p + row + <usize>Co * sz);
        // A g: rows [g0, g0 + g1, g0 - g1, -g1] (per column j)
        const a00 = g00, a01 = g01;
        const a10 = v128.add<T>(g00, g10), a11 = v128.add<T>(g01, g11);
        const a20 = v128.sub<T>(g00, g10), a21 = v128.sub<T>(g01, g11);
        const a30 = v128.neg<T>(g10), a31 = v128.neg<T>(g11);
        // (A g) A^T: columns [a0, a0 + a1, a0 - a1, -a1]
        v128.store(q, a00); v128.store(q + plane, v128.add<T>(a00, a01)); v128.store(q + 2 * plane, v128.sub<T>(a00, a01)); v128.store(q + 3 * plane, v128.neg<T>(a01));
        v128.store(q + 4 * plane, a10); v128.store(q + 5 * plane, v128.add<T>(a10, a11)); v128.store(q + 6 * plane, v128.sub<T>(a10, a11)); v128.store(q + 7 * plane, v128.neg<T>(a11));
        v128.store(q + 8 * plane, a20); v128.store(q + 9 * plane, v128.add<T>(a20, a21)); v128.store(q + 10 * plane, v128.sub<T>(a20, a21)); v128.store(q + 11 * plane, v128.neg<T>(a21));
        v128.store(q + 12 * plane, a30); v128.store(q + 13 * plane, v128.add<T>(a30, a31)); v128.store(q + 14 * plane, v128.sub<T>(a30, a31)); v128.store(q + 15 * plane, v128.neg<T>(a31));
      }
    }
  }
}

/**
 * dW = s G^T M G for M[xi][c][n] (C rows of ldM, n = q Co + o): column block q goes to
 * out + q * ldOut elements as a 3 x 3 x C x Co HWIO block. Planes are planeRows rows apart
 * (C when 0).
 */
export function winoFilterOut<T>(M: usize, C: i32, ldM: i32, Co: i32, nq: i32, s: f64, out: usize, ldOut: i32, planeRows: i32 = 0): void {
  const sz = <usize>sizeof<T>(), L = <i32>(16 / sizeof<T>());
  const plane = <usize>(planeRows ? planeRows : C) * <usize>ldM * sz, half = v128.splat<T>(<T>0.5), sv = v128.splat<T>(<T>s);
  const kstride = <usize>C * <usize>Co * sz;
  for (let q = 0; q < nq; q++) {
    const dstQ = out + <usize>q * <usize>ldOut * sz;
    for (let c = 0; c < C; c++) {
      for (let o = 0; o < Co; o += L) {
        const src = M + (<usize>c * <usize>ldM + <usize>(q * Co + o)) * sz;
        const dst = dstQ + (<usize>c * <usize>Co + <usize>o) * sz;
        // rows: G^T m (per column v), then columns: (.) G
        for (let ky = 0; ky < 3; ky++) {
          let w0: v128, w1: v128, w2: v128, w3: v128;
          if (ky == 0) {
            w0 = v128.add<T>(v128.load(src), v128.mul<T>(half, v128.add<T>(v128.load(src + 4 * plane), v128.load(src + 8 * plane))));
            w1 = v128.add<T>(v128.load(src + plane), v128.mul<T>(half, v128.add<T>(v128.load(src + 5 * plane), v128.load(src + 9 * plane))));
            w2 = v128.add<T>(v128.load(src + 2 * plane), v128.mul<T>(half, v128.add<T>(v128.load(src + 6 * plane), v128.load(src + 10 * plane))));
            w3 = v128.add<T>(v128.load(src + 3 * plane), v128.mul<T>(half, v128.add<T>(v128.load(src + 7 * plane), v128.load(src + 11 * plane))));
          } else if (ky == 1) {
            w0 = v128.mul<T>(half, v128.sub<T>(v128.load(src + 4 * plane), v128.load(src + 8 * plane)));
            w1 = v128.mul<T>(half, v128.sub<T>(v128.load(src + 5 * plane), v128.load(src + 9 * plane)));
            w2 = v128.mul<T>(half, v128.sub<T>(v128.load(src + 6 * plane), v128.load(src + 10 * plane)));
            w3 = v128.mul<T>(half, v128.sub<T>(v128.load(src + 7 * plane), v128.load(src + 11 * plane)));
          } else {
            w0 = v128.add<T>(v128.load(src + 12 * plane), v128.mul<T>(half, v128.add<T>(v128.load(src + 4 * plane), v128.load(src + 8 * plane))));
            w1 = v128.add<T>(v128.load(src + 13 * plane), v128.mul<T>(half, v128.add<T>(v128.load(src + 5 * plane), v128.load(src + 9 * plane))));
            w2 = v128.add<T>(v128.load(src + 14 * plane), v128.mul<T>(half, v128.add<T>(v128.load(src + 6 * plane), v128.load(src + 10 * plane))));
            w3 = v128.add<T>(v128.load(src + 15 * plane), v128.mul<T>(half, v128.add<T>(v128.load(src + 7 * plane), v128.load(src + 11 * plane))));
          }
          const h12 = v128.mul<T>(half, v128.add<T>(w1, w2));
          const d = dst + <usize>(ky * 3) * kstride;
          v128.store(d, v128.mul<T>(sv, v128.add<T>(w0, h12)));
          v128.store(d + kstride, v128.mul<T>(sv, v128.mul<T>(half, v128.sub<T>(w1, w2))));
          v128.store(d + 2 * kstride, v128.mul<T>(sv, v128.add<T>(h12, w3)));
        }
      }
    }
  }
}

/** U[xi][ci][co] = s (G w G^T)[u][v] of 3 x 3 x Ci x Co HWIO weights w (the forward transform). */
export function winoFilter<T>(Wt: usize, Ci: i32, Co: i32, s: f64, U: usize): void {
  const sz = <usize>sizeof<T>(), n = Ci * Co, plane = <usize>n * sz;
  for (let i = 0; i < n; i++) {
    const p = Wt + <usize>i * sz, ks = plane;
    // g[ky][kx] at p + (3 ky + kx) plane; (G g) over ky per column, then over kx
    let t0: f64 = 0, t1: f64 = 0, t2: f64 = 0;
    for (let u = 0; u < 4; u++) {
      for (let kx = 0; kx < 3; kx++) {
        const g0 = <f64>load<T>(p + <usize>kx * ks), g1 = <f64>load<T>(p + <usize>(3 + kx) * ks), g2 = <f64>load<T>(p + <usize>(6 + kx) * ks);
        const r = u == 0 ? g0 : u == 1 ? 0.5 * (g0 + g1 + g2) : u == 2 ? 0.5 * (g0 - g1 + g2) : g2;
        if (kx == 0) t0 = r; else if (kx == 1) t1 = r; else t2 = r;
      }
      const q = U + <usize>i * sz + <usize>(4 * u) * plane;
      store<T>(q, <T>(s * t0));
      store<T>(q + plane, <T>(s * 0.5 * (t0 + t1 + t2)));
      store<T>(q + 2 * plane, <T>(s * 0.5 * (t0 - t1 + t2)));
      store<T>(q + 3 * plane, <T>(s * t2));
    }
  }
}

/**
 * Y (H x W x Co, rows of Co) of the tiles t0 .. of M[xi][t][co] (planeTiles tiles a plane):
 * y = A^T m A (+ bs bias[co] when bias != 0) (+ the old y when acc != 0); R != 0 also gets
 * max(y, 0) (a fused ReLU).
 */
export function winoOutput<T>(M: usize, planeTiles: i32, t0: i32, H: i32, W: i32, Co: i32, Y: usize, bias: usize = 0, bs: f64 = 0, R: usize = 0, acc: i32 = 0): void {
  const sz = <usize>sizeof<T>(), L = <i32>(16 / sizeof<T>());
  const tw = W >> 1, plane = <usize>planeTiles * <usize>Co * sz, row = <usize>W * <usize>Co * sz;
  const z = v128.splat<T>(0), bsv = v128.splat<T>(<T>bs);
  for (let ty = 0; ty < (H >> 1); ty++) {
    for (let tx = 0; tx < tw; tx++) {
      const src0 = M + <usize>(t0 + ty * tw + tx) * <usize>Co * sz;
      const dst = Y + (<usize>(2 * ty) * <usize>W + <usize>(2 * tx)) * <usize>Co * sz;
      for (let o = 0; o < Co; o += L) {
        const src = src0 + <usize>o * sz;
        // A^T over u per column v: [m0 + m1 + m2, m1 - m2 - m3]
        const m00 = v128.load(src), m01 = v128.load(src + plane), m02 = v128.load(src + 2 * plane), m03 = v128.load(src + 3 * plane);
        const m10 = v128.load(src + 4 * plane), m11 = v128.load(src + 5 * plane), m12 = v128.load(src + 6 * plane), m13 = v128.load(src + 7 * plane);
        const m20 = v128.load(src + 8 * plane), m21 = v128.load(src + 9 * plane), m22 = v128.load(src + 10 * plane), m23 = v128.load(src + 11 * plane);
        const m30 = v128.load(src + 12 * plane), m31 = v128.load(src + 13 * plane), m32 = v128.load(src + 14 * plane), m33 = v128.load(src + 15 * plane);
        const a0 = v128.add<T>(v128.add<T>(m00, m10), m20), b0 = v128.sub<T>(v128.sub<T>(m10, m20), m30);
        const a1 = v128.add<T>(v128.add<T>(m01, m11), m21), b1 = v128.sub<T>(v128.sub<T>(m11, m21), m31);
        const a2 = v128.add<T>(v128.add<T>(m02, m12), m22), b2 = v128.sub<T>(v128.sub<T>(m12, m22), m32);
        const a3 = v128.add<T>(v128.add<T>(m03, m13), m23), b3 = v128.sub<T>(v128.sub<T>(m13, m23), m33);
        let y00 = v128.add<T>(v128.add<T>(a0, a1), a2), y01 = v128.sub<T>(v128.sub<T>(a1, a2), a3);
        let y10 = v128.add<T>(v128.add<T>(b0, b1), b2), y11 = v128.sub<T>(v128.sub<T>(b1, b2), b3);
        if (bias != 0) {
          const bv = v128.mul<T>(bsv, v128.load(bias + <usize>o * sz));
          y00 = v128.add<T>(y00, bv); y01 = v128.add<T>(y01, bv); y10 = v128.add<T>(y10, bv); y11 = v128.add<T>(y11, bv);
        }
        const off = <usize>o * sz, d = dst + off;
        if (acc) {
          y00 = v128.add<T>(y00, v128.load(d)); y01 = v128.add<T>(y01, v128.load(d + <usize>Co * sz));
          y10 = v128.add<T>(y10, v128.load(d + row)); y11 = v128.add<T>(y11, v128.load(d + row + <usize>Co * sz));
        }
        v128.store(d, y00);
        v128.store(d + <usize>Co * sz, y01);
        v128.store(d + row, y10);
        v128.store(d + row + <usize>Co * sz, y11);
        if (R != 0) {
          const r = R + (d - Y);
          v128.store(r, v128.max<T>(y00, z));
          v128.store(r + <usize>Co * sz, v128.max<T>(y01, z));
          v128.store(r + row, v128.max<T>(y10, z));
          v128.store(r + row + <usize>Co * sz, v128.max<T>(y11, z));
        }
      }
    }
  }
}
