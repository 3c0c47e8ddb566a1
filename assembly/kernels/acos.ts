// Vectorised f64 arccos (two lanes), fdlibm-style: one rational approximation R(z) serves
// both ranges, selected per lane, so a tile of pairs needs no branches.
//   |x| <= 0.5: acos x = pi/2 - (x + x R(x^2))
//   |x| >  0.5: z = (1 - |x|)/2, s = sqrt z, acos|x| = 2 (s + s R(z)); x < 0 reflects to pi - that.
// Inputs must lie in [-1, 1] (callers clamp). Accuracy about 1 ulp (tested against Math.acos).

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

@inline function sp(x: f64): v128 { return f64x2.splat(x); }
@inline function madd(a: v128, b: v128, c: v128): v128 { return f64x2.add(f64x2.mul(a, b), c); }

/** fdlibm's R(z) = p(z) / q(z): the numerator p (with its factor z) ... */
// @ts-ignore: decorator
@inline export function acos_p(z: v128): v128 {
  return f64x2.mul(z, madd(z, madd(z, madd(z, madd(z, madd(z, sp(PS5), sp(PS4)), sp(PS3)), sp(PS2)), sp(PS1)), sp(PS0)));
}

/** ... and the denominator q. */
// @ts-ignore: decorator
@inline export function acos_q(z: v128): v128 {
  return madd(z, madd(z, madd(z, madd(z, sp(QS4), sp(QS3)), sp(QS2)), sp(QS1)), sp(1.0));
}

// @ts-ignore: decorator
@inline export function acos_v(x: v128): v128 {
  const ax = f64x2.abs(x);
  const big = f64x2.gt(ax, sp(0.5));
  const z = v128.bitselect(f64x2.mul(f64x2.sub(sp(1.0), ax), sp(0.5)), f64x2.mul(x, x), big);
  const r = f64x2.div(acos_p(z), acos_q(z));
  // small range: pi/2 - (x - (pio2_lo - x r))
  const small = f64x2.sub(sp(PIO2_HI), f64x2.sub(x, f64x2.sub(sp(PIO2_LO), f64x2.mul(x, r))));
  const s = f64x2.sqrt(z);
  const w = f64x2.mul(s, r);
  const pos = f64x2.mul(sp(2.0), f64x2.add(s, w));
  const neg = f64x2.sub(sp(2.0 * PIO2_HI), f64x2.mul(sp(2.0), f64x2.add(s, f64x2.sub(w, sp(PIO2_LO)))));
  const bigres = v128.bitselect(neg, pos, f64x2.lt(x, sp(0.0)));
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
