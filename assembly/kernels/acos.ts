// Vectorised f64 arccos (two lanes), fdlibm-style: one rational approximation R(z) serves
// both ranges, selected per lane, so a tile of pairs needs no branches.
//   |x| <= 0.5: acos x = pi/2 - (x + x R(x^2))
//   |x| >  0.5: z = (1 - |x|)/2, s = sqrt z, acos|x| = 2 (s + s R(z)); x < 0 reflects to pi - that.
// Inputs must lie in [-1, 1] (callers clamp). Accuracy about 1 ulp (tested against Math.acos);
// the relaxed-SIMD build evaluates the polynomials with fused multiply-adds. The conv ReLU
// maps' branch for c > 1/2 has its own approximations in w = 1 - c (WN/WQ, WG below).
//
// The constants live in a table in linear memory (KT) and are read with v128.load: V8
// materialises each v128.const with 3-4 instructions, and a loop with ~20 of them cannot keep
// them all in its 16 xmm registers, so it rebuilt them every iteration. One load each
// measured 25-35% faster on the conv ReLU sweep (same results bit for bit).

const PIO2_HI: f64 = 1.57079632679489655800e+00;
const PIO2_LO: f64 = 6.12323399573676603587e-17;
const PS0: f64 = 1.66666666666666657415e-01;
const PS1: f64 = -3.25565818622400915405e-01;
const PS2: f64 = 2.01212532134862925881e-01;
const PS3: f64 = -4.00555345006794114027e-02;
const PS4: f64 = 7.91534994289814532176e-04;
const PS5: f64 = 3.47933107596021167570e-05;
const QS1: f64 = -2.40339491173441421878e+00;
const QS2: f64 = 2.02094576023350569471e+00;
const QS3: f64 = -6.88283971605453293030e-01;
const QS4: f64 = 7.70381505559019352791e-02;

// The c > 1/2 branch works in w = 1 - c and sin theta = sqrt(w (1 + c)), which the maps need
// anyway: theta = sin(theta) M(w), M = theta / sin theta = N(w) / Q(w) with N, Q of degree 4,
// a near-minimax relative fit on [0, 1/2] (scripts/fit_acos_sin.py): theta within a relative
// 1.3e-15 in double arithmetic (checked on 200,000 c in (1/2, 1] and 1 - 2^-k). One square
// root per two pixels instead of two (session 5's theta = sqrt(w) N4/Q3, within 1.9e-14):
// a test build without one of the two roots ran the Node 20 conv Grams 5-9% faster, the
// (4, 4) rational's two extra operations take most of it back (A/B +0-4%). Both scaled by
// 1/q4 so that Q is monic: its Horner scheme starts with w + WQ3, one multiply less (same
// 1.3e-15; A/B +3-5% on the Grams: the SIMD build's ReLU sweeps are bound by their
// floating-point operations, about 3% of a sweep each).
const WN0: f64 = 244.39163788033275, WN1: f64 = -215.72339977042236, WN2: f64 = 57.611819409114325,
  WN3: f64 = -4.530041003671066, WN4: f64 = 0.02539944360063148;
const WQ0: f64 = 244.39163788033258, WQ1: f64 = -297.18727906382026, WQ2: f64 = 124.08869404417803,
  WQ3: f64 = -20.23320488802692;

// The relaxed-SIMD build (FMA) takes theta = sqrt(w) G(w) with G a polynomial of degree 11
// instead (Chebyshev fit on [0, 1/2], error 3.7e-16; theta within 3 ulp): three multiply-adds
// more but no division: there the conv ReLU loops wait on the divider (sqrt and div; a
// test build without the division ran the conv Grams 12% faster on Node 26), not on the
// multiply-add ports (measured: Grams +2-5%, VJPs +7-10% against the rational).
const WG0: f64 = 1.4142135623730947, WG1: f64 = 0.11785113019792083, WG2: f64 = 0.0265165042790255,
  WG3: f64 = 0.007891817327631803, WG4: f64 = 0.0026853989348362734, WG5: f64 = 0.0009888414937336202,
  WG6: f64 = 0.0003825823545715259, WG7: f64 = 0.00015826193452869543, WG8: f64 = 5.1798187359929635e-05,
  WG9: f64 = 5.042657499244106e-05, WG10: f64 = -1.6149600284387082e-05, WG11: f64 = 2.1755118438322112e-05;

// Table slots (two equal lanes each).
export const K_PS0 = 0, K_QS1 = 6, K_ONE = 10, K_HALF = 11, K_ZERO = 12, K_PI = 13, K_TWO = 14, K_MONE = 15,
  K_PIO2_HI = 16, K_PIO2_LO = 17, K_WN0 = 18, K_WQ0 = 24, K_I2PI = 28, K_FLOOR = 29, K_H = 30, K_G0 = 31;
export const KT: usize = memory.data<f64>([
  PS0, PS0, PS1, PS1, PS2, PS2, PS3, PS3, PS4, PS4, PS5, PS5, // 0..5
  QS1, QS1, QS2, QS2, QS3, QS3, QS4, QS4, // 6..9
  1.0, 1.0, 0.5, 0.5, 0.0, 0.0, Math.PI, Math.PI, 2.0, 2.0, -1.0, -1.0, // 10..15
  PIO2_HI, PIO2_HI, PIO2_LO, PIO2_LO, // 16, 17
  WN0, WN0, WN1, WN1, WN2, WN2, WN3, WN3, WN4, WN4, 0.0, 0.0, // 18..22 (23 unused)
  WQ0, WQ0, WQ1, WQ1, WQ2, WQ2, WQ3, WQ3, // 24..27
  1.0 / (2.0 * Math.PI), 1.0 / (2.0 * Math.PI), 1e-6, 1e-6, 0.5 / (2.0 * Math.PI), 0.5 / (2.0 * Math.PI), // 28 1/(2 pi), 29 SIN_FLOOR, 30 1/(4 pi)
  WG0, WG0, WG1, WG1, WG2, WG2, WG3, WG3, WG4, WG4, WG5, WG5, WG6, WG6, WG7, WG7, WG8, WG8, WG9, WG9, WG10, WG10, WG11, WG11, // 31..42
], 16);

/** Table constant k (both lanes). */
// @ts-ignore: decorator
@inline export function kt(k: i32): v128 { return v128.load(KT + (<usize>k << 4)); }
/** a b + c: one fused multiply-add in the relaxed-SIMD build (the polynomials' Horner steps). */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(f64x2.mul(a, b), c);
}

/** fdlibm's R(z) = p(z) / q(z): the numerator p (with its factor z) ... */
// @ts-ignore: decorator
@inline export function acos_p(z: v128): v128 {
  return f64x2.mul(z, madd(z, madd(z, madd(z, madd(z, madd(z, kt(5), kt(4)), kt(3)), kt(2)), kt(1)), kt(0)));
}

/** ... and the denominator q. */
// @ts-ignore: decorator
@inline export function acos_q(z: v128): v128 {
  return madd(z, madd(z, madd(z, madd(z, kt(9), kt(8)), kt(7)), kt(6)), kt(K_ONE));
}

/** N(w) and the monic Q(w) of the c > 1/2 branch, theta / sin theta = N/Q (see WN*, WQ*). */
// @ts-ignore: decorator
@inline export function acos_Nw(w: v128): v128 {
  return madd(w, madd(w, madd(w, madd(w, kt(K_WN0 + 4), kt(K_WN0 + 3)), kt(K_WN0 + 2)), kt(K_WN0 + 1)), kt(K_WN0));
}
// @ts-ignore: decorator
@inline export function acos_Qw(w: v128): v128 {
  return madd(w, madd(w, madd(w, f64x2.add(w, kt(K_WQ0 + 3)), kt(K_WQ0 + 2)), kt(K_WQ0 + 1)), kt(K_WQ0));
}

/** G(w) of the relaxed build's c > 1/2 branch (see WG*). */
// @ts-ignore: decorator
@inline export function acos_Gw(w: v128): v128 {
  let g = madd(w, kt(K_G0 + 11), kt(K_G0 + 10));
  g = madd(w, g, kt(K_G0 + 9)); g = madd(w, g, kt(K_G0 + 8)); g = madd(w, g, kt(K_G0 + 7)); g = madd(w, g, kt(K_G0 + 6));
  g = madd(w, g, kt(K_G0 + 5)); g = madd(w, g, kt(K_G0 + 4)); g = madd(w, g, kt(K_G0 + 3)); g = madd(w, g, kt(K_G0 + 2));
  g = madd(w, g, kt(K_G0 + 1));
  return madd(w, g, kt(K_G0));
}

// @ts-ignore: decorator
@inline export function acos_v(x: v128): v128 {
  const ax = f64x2.abs(x);
  const big = f64x2.gt(ax, kt(K_HALF));
  const z = v128.bitselect(f64x2.mul(f64x2.sub(kt(K_ONE), ax), kt(K_HALF)), f64x2.mul(x, x), big);
  const r = f64x2.div(acos_p(z), acos_q(z));
  // small range: pi/2 - (x - (pio2_lo - x r))
  const small = f64x2.sub(kt(K_PIO2_HI), f64x2.sub(x, f64x2.sub(kt(K_PIO2_LO), f64x2.mul(x, r))));
  const s = f64x2.sqrt(z);
  const w = f64x2.mul(s, r);
  const pos = f64x2.mul(kt(K_TWO), f64x2.add(s, w));
  const neg = f64x2.sub(kt(K_PI), f64x2.mul(kt(K_TWO), f64x2.add(s, f64x2.sub(w, kt(K_PIO2_LO)))));
  const bigres = v128.bitselect(neg, pos, f64x2.lt(x, kt(K_ZERO)));
  return v128.bitselect(bigres, small, big);
}

// @ts-ignore: decorator
@inline export function acos_s(x: f64): f64 {
  return f64x2.extract_lane(acos_v(f64x2.splat(x)), 0);
}

/** dst[i] = acos(src[i]) for i < n (exported for tests against Math.acos). */
export function acos_f64_array(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) v128.store(dst + (<usize>i << 3), acos_v(v128.load(src + (<usize>i << 3))));
  for (; i < n; i++) store<f64>(dst + (<usize>i << 3), acos_s(load<f64>(src + (<usize>i << 3))));
}
