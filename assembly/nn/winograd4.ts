// Winograd F(4x4, 3x3) transforms (Lavin & Gray 2016) for 3x3 SAME convolutions on one
// H x W x C NHWC image with H, W multiples of 4 and C a multiple of 4 (the SIMD lanes).
// Beside winograd.ts's F(2x2, 3x3): 36 multiplications per 16 outputs where F(2x2) needs 64
// and the direct form 144, so the GEMMs shrink by 1.78x more; used by the empirical NTK's
// row-wise backward (conv_winograd4.ts). Generic over f32/f64; not re-exported by index.ts.
// Tiles are 4x4 output pixels, t = ty (W/4) + tx; the input tile of t is the 6x6 block at
// rows 4ty-1 .. 4ty+4, columns 4tx-1 .. 4tx+4 (zeros outside the image); xi = 6u + v.
//   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//   G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
import { madd } from '../linalg/madd';

/** B^T d over six vectors, results stored at p + k * stride for k = 0..5. */
@inline function bt6<T>(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, p: usize, stride: usize): void {
  const four = v128.splat<T>(<T>4), two = v128.splat<T>(<T>2), five = v128.splat<T>(<T>5);
  const s42 = v128.sub<T>(d4, d2);
  v128.store(p, v128.add<T>(v128.sub<T>(v128.mul<T>(four, d0), v128.mul<T>(five, d2)), d4));
  v128.store(p + stride, v128.sub<T>(v128.add<T>(d4, d3), v128.mul<T>(four, v128.add<T>(d1, d2))));
  v128.store(p + 2 * stride, v128.add<T>(v128.sub<T>(d4, d3), v128.mul<T>(four, v128.sub<T>(d1, d2))));
  const t31 = v128.mul<T>(two, v128.sub<T>(d3, d1));
  v128.store(p + 3 * stride, v128.add<T>(s42, t31));
  v128.store(p + 4 * stride, v128.sub<T>(s42, t31));
  v128.store(p + 5 * stride, v128.add<T>(v128.sub<T>(v128.mul<T>(four, d1), v128.mul<T>(five, d3)), d5));
}

/**
 * V[xi][t0 + t][c] = (B^T d_t B)[u][v] for every tile t of the image and channel c; a plane
 * (one xi) holds planeTiles tiles.
 */
export function wino4Input<T>(X: usize, H: i32, W: i32, C: i32, V: usize, t0: i32, planeTiles: i32): void {
  const sz = <usize>sizeof<T>(), L = <i32>(16 / sizeof<T>());
  const tw = W >> 2, plane = <usize>planeTiles * <usize>C * sz, row = <usize>W * <usize>C * sz;
  V += <usize>t0 * <usize>C * sz;
  const z = v128.splat<T>(0);
  for (let ty = 0; ty < (H >> 2); ty++) {
    const y0 = 4 * ty - 1;
    for (let tx = 0; tx < tw; tx++) {
      const t = ty * tw + tx;
      for (let c = 0; c < C; c += L) {
        const out = V + (<usize>t * <usize>C + <usize>c) * sz;
        // columns v: (B^T d)[u] at xi = 6u + v
        for (let v = 0; v < 6; v++) {
          const x = 4 * tx - 1 + v;
          let d0 = z, d1 = z, d2 = z, d3 = z, d4 = z, d5 = z;
          if (x >= 0 && x < W) {
            const col = X + (<usize>x * <usize>C + <usize>c) * sz;
            if (y0 >= 0) d0 = v128.load(col + <usize>y0 * row);
            d1 = v128.load(col + <usize>(y0 + 1) * row);
            d2 = v128.load(col + <usize>(y0 + 2) * row);
            d3 = v128.load(col + <usize>(y0 + 3) * row);
            d4 = v128.load(col + <usize>(y0 + 4) * row);
            if (y0 + 5 < H) d5 = v128.load(col + <usize>(y0 + 5) * row);
          }
          bt6<T>(d0, d1, d2, d3, d4, d5, out + <usize>v * plane, 6 * plane);
        }
        // rows u: (r B)[u][.] in place
        for (let u = 0; u < 6; u++) {
          const p = out + <usize>(6 * u) * plane;
          bt6<T>(v128.load(p), v128.load(p + plane), v128.load(p + 2 * plane), v128.load(p + 3 * plane), v128.load(p + 4 * plane), v128.load(p + 5 * plane), p, plane);
        }
      }
    }
  }
}

/** Row u of G applied to (x0, x1, x2), on two f64 lanes (each lane as the scalar f64 formula). */
@inline function gRow(u: i32, x0: v128, x1: v128, x2: v128): v128 {
  if (u == 0) return f64x2.div(x0, f64x2.splat(4));
  if (u == 1) return f64x2.div(f64x2.neg(f64x2.add(f64x2.add(x0, x1), x2)), f64x2.splat(6));
  if (u == 2) return f64x2.div(f64x2.neg(f64x2.add(f64x2.sub(x0, x1), x2)), f64x2.splat(6));
  const a = f64x2.div(x0, f64x2.splat(24)), b = f64x2.div(x1, f64x2.splat(12)), c = f64x2.div(x2, f64x2.splat(6));
  if (u == 3) return f64x2.add(f64x2.add(a, b), c);
  if (u == 4) return f64x2.add(f64x2.sub(a, b), c);
  return x2;
}

/** Two consecutive T values at p as f64 lanes, and back (rounded to T). */
@inline function load2<T>(p: usize): v128 {
  if (sizeof<T>() == 4) return f64x2.promote_low_f32x4(v128.load64_zero(p));
  return v128.load(p);
}
@inline function store2<T>(p: usize, v: v128): void {
  if (sizeof<T>() == 4) v128.store64_lane(p, f32x4.demote_f64x2_zero(v), 0);
  else v128.store(p, v);
}

/**
 * U[xi][ci][co] = s (G w G^T)[u][v] of 3 x 3 x Ci x Co HWIO weights w, in f64 on two (ci, co)
 * pairs at a time (Ci Co is even: Ci, Co are multiples of 4 here). The eNTK's forward passes
 * make it once per conv call; divisions two at a time halve its cost.
 */
export function wino4Filter<T>(Wt: usize, Ci: i32, Co: i32, s: f64, U: usize): void {
  const sz = <usize>sizeof<T>(), n = Ci * Co, plane = <usize>n * sz, sv = f64x2.splat(s);
  for (let i = 0; i < n; i += 2) {
    const p = Wt + <usize>i * sz;
    // w[ky][kx] at p + (3 ky + kx) plane
    const w00 = load2<T>(p), w01 = load2<T>(p + plane), w02 = load2<T>(p + 2 * plane);
    const w10 = load2<T>(p + 3 * plane), w11 = load2<T>(p + 4 * plane), w12 = load2<T>(p + 5 * plane);
    const w20 = load2<T>(p + 6 * plane), w21 = load2<T>(p + 7 * plane), w22 = load2<T>(p + 8 * plane);
    for (let u = 0; u < 6; u++) {
      const a0 = gRow(u, w00, w10, w20), a1 = gRow(u, w01, w11, w21), a2 = gRow(u, w02, w12, w22);
      const q = U + <usize>i * sz + <usize>(6 * u) * plane;
      for (let v = 0; v < 6; v++) store2<T>(q + <usize>v * plane, f64x2.mul(sv, gRow(v, a0, a1, a2)));
    }
  }
}

/** A^T m over six vectors at p + k * stride: the four results. */
@inline function at6<T>(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, q: usize, stride: usize): void {
  const two = v128.splat<T>(<T>2), four = v128.splat<T>(<T>4), eight = v128.splat<T>(<T>8);
  const s12 = v128.add<T>(m1, m2), d12 = v128.sub<T>(m1, m2), s34 = v128.add<T>(m3, m4), d34 = v128.sub<T>(m3, m4);
  v128.store(q, v128.add<T>(v128.add<T>(s12, s34), m0));
  v128.store(q + stride, v128.add<T>(d12, v128.mul<T>(two, d34)));
  v128.store(q + 2 * stride, v128.add<T>(s12, v128.mul<T>(four, s34)));
  v128.store(q + 3 * stride, v128.add<T>(v128.add<T>(d12, v128.mul<T>(eight, d34)), m5));
}

/**
 * Y (H x W x Co) of the tiles t0 .. of M[xi][t][co] (planeTiles tiles a plane): y = A^T m A
 * (+ bs bias[co] when bias != 0) (+ the old y when acc != 0); R != 0 also gets max(y, 0) (a
 * fused ReLU, as winograd.ts winoOutput). mask (an H x W x Co image; 0: none): y = 0 where
 * mask <= 0, the VJP of a ReLU whose input is mask, fused (the same and-mask as
 * entk_relu_rows, so the same bits). Overwrites M's planes of those tiles.
 */
export function wino4Output<T>(M: usize, planeTiles: i32, t0: i32, H: i32, W: i32, Co: i32, Y: usize,
  bias: usize = 0, bs: f64 = 0, R: usize = 0, acc: i32 = 0, mask: usize = 0): void {
  const sz = <usize>sizeof<T>(), L = <i32>(16 / sizeof<T>());
  const tw = W >> 2, plane = <usize>planeTiles * <usize>Co * sz, row = <usize>W * <usize>Co * sz, px = <usize>Co * sz;
  const post = bias != 0 || acc != 0 || R != 0 || mask != 0, z = v128.splat<T>(0), bsv = v128.splat<T>(<T>bs);
  for (let ty = 0; ty < (H >> 2); ty++) {
    for (let tx = 0; tx < tw; tx++) {
      const src0 = M + <usize>(t0 + ty * tw + tx) * <usize>Co * sz;
      const dst0 = Y + (<usize>(4 * ty) * <usize>W + <usize>(4 * tx)) * <usize>Co * sz;
      for (let o = 0; o < Co; o += L) {
        const src = src0 + <usize>o * sz;
        // over u per column v, into planes 6i + v (i = 0..3)
        for (let v = 0; v < 6; v++) {
          const p = src + <usize>v * plane;
          at6<T>(v128.load(p), v128.load(p + 6 * plane), v128.load(p + 12 * plane), v128.load(p + 18 * plane), v128.load(p + 24 * plane), v128.load(p + 30 * plane), p, 6 * plane);
        }
        const bv = bias != 0 ? v128.mul<T>(bsv, v128.load(bias + <usize>o * sz)) : z;
        // over v per output row i
        for (let i = 0; i < 4; i++) {
          const p = src + <usize>(6 * i) * plane, d = dst0 + <usize>i * row + <usize>o * sz;
          if (!post) {
            at6<T>(v128.load(p), v128.load(p + plane), v128.load(p + 2 * plane), v128.load(p + 3 * plane), v128.load(p + 4 * plane), v128.load(p + 5 * plane), d, px);
            continue;
          }
          // into planes 6i + j (the six inputs are read first), then bias, acc, mask, ReLU copy
          at6<T>(v128.load(p), v128.load(p + plane), v128.load(p + 2 * plane), v128.load(p + 3 * plane), v128.load(p + 4 * plane), v128.load(p + 5 * plane), p, plane);
          for (let j = 0; j < 4; j++) {
            const q = d + <usize>j * px;
            let y = v128.load(p + <usize>j * plane);
            if (bias != 0) y = v128.add<T>(y, bv);
            if (acc) y = v128.add<T>(y, v128.load(q));
            if (mask) y = v128.and(y, v128.gt<T>(v128.load(mask + (q - Y)), z));
            v128.store(q, y);
            if (R != 0) v128.store(R + (q - Y), v128.max<T>(y, z));
          }
        }
      }
    }
  }
}

/** A x over four vectors (A = the 6 x 4 transpose of A^T above): the six results at q + k * stride. */
@inline function a6<T>(x0: v128, x1: v128, x2: v128, x3: v128, q: usize, stride: usize): void {
  const two = v128.splat<T>(<T>2), four = v128.splat<T>(<T>4), eight = v128.splat<T>(<T>8);
  const e = v128.add<T>(x0, x2), o = v128.add<T>(x1, x3);
  const e4 = v128.add<T>(x0, v128.mul<T>(four, x2)), o8 = v128.add<T>(v128.mul<T>(two, x1), v128.mul<T>(eight, x3));
  v128.store(q, x0);
  v128.store(q + stride, v128.add<T>(e, o));
  v128.store(q + 2 * stride, v128.sub<T>(e, o));
  v128.store(q + 3 * stride, v128.add<T>(e4, o8));
  v128.store(q + 4 * stride, v128.sub<T>(e4, o8));
  v128.store(q + 5 * stride, x3);
}

/**
 * U[xi][t][off + o] = (A g_t A^T)[u][v] of one H x W x Co cotangent g (the factor a weight
 * gradient contracts with the input tiles: dW = G^T (sum_t V_t o A g_t A^T) G). Planes are
 * plane elements apart. nr8 (f32; off, Co multiples of 8): each plane in pack_b's 8-column
 * panels (column n of tile t at (n / 8) nT 8 + 8 t + n % 8); else rows of ldU.
 * sums (0: none): sums[o] += the sum of g's channel o over all pixels (a conv bias gradient).
 */
export function wino4GradTiles<T>(g: usize, H: i32, W: i32, Co: i32, U: usize, ldU: i32, off: i32, plane: i32, nr8: bool, sums: usize = 0): void {
  const sz = <usize>sizeof<T>(), L = <i32>(16 / sizeof<T>());
  const tw = W >> 2, nT = (H >> 2) * tw, pl = <usize>plane * sz, row = <usize>W * <usize>Co * sz, px = <usize>Co * sz;
  for (let ty = 0; ty < (H >> 2); ty++) {
    for (let tx = 0; tx < tw; tx++) {
      const t = ty * tw + tx;
      const src = g + (<usize>(4 * ty) * <usize>W + <usize>(4 * tx)) * px;
      for (let o = 0; o < Co; o += L) {
        const q = nr8 ? U + (<usize>((off + o) >> 3) * <usize>(nT * 8) + <usize>(8 * t) + <usize>((off + o) & 7)) * sz
          : U + (<usize>t * <usize>ldU + <usize>(off + o)) * sz;
        const p = src + <usize>o * sz;
        // columns j: (A g)[u][j] into planes 6u + j (j < 4)
        let acc = v128.splat<T>(0);
        for (let j = 0; j < 4; j++) {
          const c = p + <usize>j * px;
          const x0 = v128.load(c), x1 = v128.load(c + row), x2 = v128.load(c + 2 * row), x3 = v128.load(c + 3 * row);
          if (sums) acc = v128.add<T>(acc, v128.add<T>(v128.add<T>(x0, x1), v128.add<T>(x2, x3)));
          a6<T>(x0, x1, x2, x3, q + <usize>j * pl, 6 * pl);
        }
        // the bias gradient's pixel sums, from the loads already made (tile by tile)
        if (sums) { const sp = sums + <usize>o * sz; v128.store(sp, v128.add<T>(v128.load(sp), acc)); }
        // rows u: (. A^T)[u][v] in place (the four inputs are read before the six stores)
        for (let u = 0; u < 6; u++) {
          const r = q + <usize>(6 * u) * pl;
          a6<T>(v128.load(r), v128.load(r + pl), v128.load(r + 2 * pl), v128.load(r + 3 * pl), r, pl);
        }
      }
    }
  }
}

/** G^T m over six vectors (k4 = c/4, k6 = c/6, k12 = c/12, k24 = c/24, c5 = c): three results at q + k * stride. */
@inline function gt6<T>(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, q: usize, stride: usize,
  k4: v128, k6: v128, k12: v128, k24: v128, c5: v128): void {
  const a = v128.add<T>(m1, m2), b = v128.add<T>(m3, m4), c = v128.sub<T>(m2, m1), d = v128.sub<T>(m3, m4);
  v128.store(q, v128.add<T>(v128.sub<T>(v128.mul<T>(k4, m0), v128.mul<T>(k6, a)), v128.mul<T>(k24, b)));
  v128.store(q + stride, v128.add<T>(v128.mul<T>(k6, c), v128.mul<T>(k12, d)));
  v128.store(q + 2 * stride, v128.add<T>(v128.mul<T>(k6, v128.sub<T>(b, a)), v128.mul<T>(c5, m5)));
}

/**
 * dW = s G^T M G (3 x 3 from 6 x 6) for nc rows c and nn columns n (multiples of the lanes)
 * of M[xi] (rows ldM elements, planes plane elements apart; overwritten by the first pass):
 * entry (c, n) goes to out + (c Co' + n) elements, tap k = 3 ky + kx kstride elements further.
 */
export function wino4FilterOut<T>(M: usize, ldM: i32, plane: i32, nc: i32, nn: i32, s: f64, out: usize, ldOutC: i32, kstride: i32): void {
  const sz = <usize>sizeof<T>(), L = <i32>(16 / sizeof<T>()), pl = <usize>plane * sz, ks = <usize>kstride * sz;
  const one = v128.splat<T>(<T>1), h4 = v128.splat<T>(<T>(1.0 / 4)), h6 = v128.splat<T>(<T>(1.0 / 6)), h12 = v128.splat<T>(<T>(1.0 / 12)), h24 = v128.splat<T>(<T>(1.0 / 24));
  const s4 = v128.splat<T>(<T>(s / 4)), s6 = v128.splat<T>(<T>(s / 6)), s12 = v128.splat<T>(<T>(s / 12)), s24 = v128.splat<T>(<T>(s / 24)), sv = v128.splat<T>(<T>s);
  for (let c = 0; c < nc; c++) {
    for (let n = 0; n < nn; n += L) {
      const src = M + (<usize>c * <usize>ldM + <usize>n) * sz;
      // columns v: G^T over u into planes 6 ky + v
      for (let v = 0; v < 6; v++) {
        const p = src + <usize>v * pl;
        gt6<T>(v128.load(p), v128.load(p + 6 * pl), v128.load(p + 12 * pl), v128.load(p + 18 * pl), v128.load(p + 24 * pl), v128.load(p + 30 * pl), p, 6 * pl, h4, h6, h12, h24, one);
      }
      // rows ky: (.) G over v, scaled by s, into the taps 3 ky + kx
      const dst = out + (<usize>c * <usize>ldOutC + <usize>n) * sz;
      for (let ky = 0; ky < 3; ky++) {
        const p = src + <usize>(6 * ky) * pl;
        gt6<T>(v128.load(p), v128.load(p + pl), v128.load(p + 2 * pl), v128.load(p + 3 * pl), v128.load(p + 4 * pl), v128.load(p + 5 * pl), dst + <usize>(3 * ky) * ks, ks, s4, s6, s12, s24, sv);
      }
    }
  }
}

// The eNTK rows' packed route (entk_rows_wino4.ts) keeps one MR x w block of (ci, co) of all 36
// GEMM outputs in a tile buffer laid out for this transform: row r at r TILE_ROW bytes, plane xi
// at xi TILE_SLOT bytes in it (w <= 16 f32 columns). Fixed strides let every load and store
// of the 6 x 6 -> 3 x 3 transform use a constant offset from one base (wino4FilterOut's general
// strides cost an address computation each), and it fuses the multiply-adds where the build can.
export const TILE_SLOT: i32 = 64;
export const TILE_ROW: i32 = 36 * TILE_SLOT;

/** Rows u = 0..5 of one column v of the tile (one 4-column lane group at p): G^T over u, in place into rows 0..2. */
@inline function tileCol(p: usize): void {
  const m0 = v128.load(p), m1 = v128.load(p, 6 * TILE_SLOT), m2 = v128.load(p, 12 * TILE_SLOT);
  const m3 = v128.load(p, 18 * TILE_SLOT), m4 = v128.load(p, 24 * TILE_SLOT), m5 = v128.load(p, 30 * TILE_SLOT);
  const a = f32x4.add(m1, m2), b = f32x4.add(m3, m4), c = f32x4.sub(m2, m1), d = f32x4.sub(m3, m4);
  const k6 = f32x4.splat(<f32>(1.0 / 6));
  v128.store(p, madd<f32>(f32x4.splat(<f32>(1.0 / 24)), b, madd<f32>(f32x4.splat(<f32>(-1.0 / 6)), a, f32x4.mul(f32x4.splat(0.25), m0))));
  v128.store(p, madd<f32>(f32x4.splat(<f32>(1.0 / 12)), d, f32x4.mul(k6, c)), 6 * TILE_SLOT);
  v128.store(p, madd<f32>(k6, f32x4.sub(b, a), m5), 12 * TILE_SLOT);
}

/** Row ky of the tile at p (planes 6 ky + v): (.) G over v, scaled, into the taps 3 ky + kx at q + kx ks. */
@inline function tileRow(p: usize, q: usize, ks: usize, s4: v128, sn6: v128, s6: v128, s12: v128, s24: v128, sv: v128): void {
  const m0 = v128.load(p), m1 = v128.load(p, TILE_SLOT), m2 = v128.load(p, 2 * TILE_SLOT);
  const m3 = v128.load(p, 3 * TILE_SLOT), m4 = v128.load(p, 4 * TILE_SLOT), m5 = v128.load(p, 5 * TILE_SLOT);
  const a = f32x4.add(m1, m2), b = f32x4.add(m3, m4), c = f32x4.sub(m2, m1), d = f32x4.sub(m3, m4);
  v128.store(q, madd<f32>(s24, b, madd<f32>(sn6, a, f32x4.mul(s4, m0))));
  v128.store(q + ks, madd<f32>(s12, d, f32x4.mul(s6, c)));
  v128.store(q + 2 * ks, madd<f32>(s6, f32x4.sub(b, a), f32x4.mul(sv, m5)));
}

/**
 * dW = s G^T M G (f32) of nc rows and w columns (a multiple of 4, <= 16) of the tile buffer at
 * Tb (laid out as TILE_ROW / TILE_SLOT say): entry (c, n) to out + c ldOut + 4 n bytes, tap
 * k = 3 ky + kx ks bytes further. Overwrites the tile buffer.
 */
export function wino4TileOut(Tb: usize, nc: i32, w: i32, s: f64, out: usize, ldOut: usize, ks: usize): void {
  const s4 = f32x4.splat(<f32>(s / 4)), s6 = f32x4.splat(<f32>(s / 6)), sn6 = f32x4.splat(<f32>(-s / 6));
  const s12 = f32x4.splat(<f32>(s / 12)), s24 = f32x4.splat(<f32>(s / 24)), sv = f32x4.splat(<f32>s);
  for (let c = 0; c < nc; c++) {
    for (let n = 0; n < w; n += 4) {
      const p = Tb + <usize>(c * TILE_ROW) + (<usize>n << 2), q = out + <usize>c * ldOut + (<usize>n << 2);
      for (let v = 0; v < 6; v++) tileCol(p + <usize>(v * TILE_SLOT));
      for (let ky = 0; ky < 3; ky++) tileRow(p + <usize>(6 * ky * TILE_SLOT), q + <usize>(3 * ky) * ks, ks, s4, sn6, s6, s12, s24, sv);
    }
  }
}

