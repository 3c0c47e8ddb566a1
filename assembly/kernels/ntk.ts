// Analytic NNGP/NTK kernels: a tiny interpreter over a compiled layer program.
// JS compiles serial(...) into ops (5 f64 each: code, a, b, Pin, unused) and a context
// block (f64 fields, see C_*). Pair state is a tile of T pairs x P pixels (P = 1 once
// flattened): FC tiles vectorise across pairs, conv tiles (T = 1) across pixels.
// Forward maps per spec §1; reverse mode gives the adjoint of nngp0 (per pair/pixel) and of
// the row input's self-covariances q at every ReLU, which are then pulled back once per row.
import { acos_Gw, acos_Nw, acos_Qw, acos_v, kt, madd, K_ONE, K_HALF, K_ZERO, K_PI, K_MONE, K_I2PI, K_FLOOR, K_H, K_WN0, K_WQ0 } from './acos';

// context fields
const C_NOPS = 0, C_OPS = 1, C_MODE = 2, C_H = 3, C_W = 4, C_C = 5, C_D = 6,
  C_X1 = 7, C_N1 = 8, C_X2 = 9, C_N2 = 10, C_Q1 = 11, C_Q2 = 12, C_QSTR = 13,
  C_OUTK = 14, C_OUTN = 15, C_LDO = 16, C_SYM = 17, C_SCR = 18, C_SCRB = 19, C_T = 20, C_PMAX = 21,
  C_WV = 22, C_GX = 23, C_GN0 = 24, C_GQ = 25, C_WHICH = 26, C_N0 = 27, C_NRELU = 28, C_ROW0 = 29,
  C_S0 = 30, C_SQ = 31, C_N0S = 32, C_ROWR = 33, C_ROWE = 34;
// op codes
const OP_DENSE = 1, OP_RELU = 2, OP_CONV = 3, OP_FLATTEN = 4, OP_SCALE = 5, OP_SAVEQ = 6;
const OPW = 5;
const INV2PI: f64 = 1.0 / (2.0 * Math.PI);
/** Floor on 1 - c^2 in derivatives: d arccos(c)/dc = -1/sqrt(1-c^2) is capped at 1e6. */
// (SIN2_FLOOR = 1e-12, applied as a floor of 1e-6 on sin(theta).)
const SIN_FLOOR: f64 = 1e-6; // sqrt(SIN2_FLOOR)

@inline function ld(p: usize, i: i32): f64 { return load<f64>(p + (<usize>i << 3)); }
@inline function st(p: usize, i: i32, v: f64): void { store<f64>(p + (<usize>i << 3), v); }
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 3); }
@inline function cf(ctx: usize, k: i32): f64 { return load<f64>(ctx + (<usize>k << 3)); }
@inline function ci(ctx: usize, k: i32): i32 { return <i32>load<f64>(ctx + (<usize>k << 3)); }
@inline function cp(ctx: usize, k: i32): usize { return <usize>load<f64>(ctx + (<usize>k << 3)); }
@inline function opc(ops: usize, k: i32, f: i32): f64 { return load<f64>(ops + (<usize>(k * OPW + f) << 3)); }
@inline function sp(x: f64): v128 { return f64x2.splat(x); }

/** p[i] = a p[i] + b */
function affine(p: usize, len: i32, a: f64, b: f64): void {
  const av = sp(a), bv = sp(b);
  let i = 0;
  for (; i + 2 <= len; i += 2) v128.store(at(p, i), f64x2.add(f64x2.mul(av, v128.load(at(p, i))), bv));
  for (; i < len; i++) st(p, i, a * ld(p, i) + b);
}

/** dst[i] = dst[i] + a src[i] */
function axpy(dst: usize, src: usize, len: i32, a: f64): void {
  const av = sp(a);
  let i = 0;
  for (; i + 2 <= len; i += 2) v128.store(at(dst, i), f64x2.add(v128.load(at(dst, i)), f64x2.mul(av, v128.load(at(src, i)))));
  for (; i < len; i++) st(dst, i, ld(dst, i) + a * ld(src, i));
}

/** sum of p[0..len) */
function vsum(p: usize, len: i32): f64 {
  let acc = sp(0.0);
  let i = 0;
  for (; i + 2 <= len; i += 2) acc = f64x2.add(acc, v128.load(at(p, i)));
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < len; i++) s += ld(p, i);
  return s;
}

/** dst = a (box3x3(src)) + b on an H x W map, zero padding; tmp holds H*W; dst may be src. */
function box(src: usize, dst: usize, tmp: usize, H: i32, W: i32, a: f64, b: f64): void {
  if ((W & 1) == 0) { boxEven(src, dst, tmp, H, W, a, b); return; }
  for (let y = 0; y < H; y++) {
    const s = at(src, y * W), t = at(tmp, y * W);
    if (W == 1) { st(t, 0, ld(s, 0)); continue; }
    st(t, 0, ld(s, 0) + ld(s, 1));
    let x = 1;
    for (; x + 2 <= W - 1; x += 2)
      v128.store(at(t, x), f64x2.add(f64x2.add(v128.load(at(s, x - 1)), v128.load(at(s, x))), v128.load(at(s, x + 1))));
    for (; x < W - 1; x++) st(t, x, ld(s, x - 1) + ld(s, x) + ld(s, x + 1));
    st(t, W - 1, ld(s, W - 2) + ld(s, W - 1));
  }
  const a9 = a / 9.0;
  const rowB = <usize>W << 3;
  if (H == 1) { colRow(tmp, tmp, tmp, dst, W, a9, b, false, false); return; }
  colRow(tmp, tmp, tmp + rowB, dst, W, a9, b, false, true);
  for (let y = 1; y < H - 1; y++) {
    const t0 = at(tmp, y * W);
    colRow(t0 - rowB, t0, t0 + rowB, at(dst, y * W), W, a9, b, true, true);
  }
  const tl = at(tmp, (H - 1) * W);
  colRow(tl - rowB, tl, tl, at(dst, (H - 1) * W), W, a9, b, true, false);
}

/**
 * box() for an even width: one sweep per output row. A v128 holds pixels (x, x+1) of one
 * row; the column sums V of three neighbouring vectors sit in registers and the row sums
 * take their outer neighbours by shuffles, so no second pass over a temporary map. up holds
 * the original row above (dst may be src: row y is overwritten before row y + 1 reads it).
 */
function boxEven(src: usize, dst: usize, up: usize, H: i32, W: i32, a: f64, b: f64): void {
  // b = 0 (ntk maps, adjoints, the q chain's pull-back): no add per value
  // a = 9 (the ReLU before applied the scale): no multiply either
  if (a == 9.0) {
    if (b == 0) boxEvenB(src, dst, up, H, W, a, b, false, false);
    else boxEvenB(src, dst, up, H, W, a, b, true, false);
  } else if (b == 0) boxEvenB(src, dst, up, H, W, a, b, false, true);
  else boxEvenB(src, dst, up, H, W, a, b, true, true);
}
// @ts-ignore: decorator
@inline function boxEvenB(src: usize, dst: usize, up: usize, H: i32, W: i32, a: f64, b: f64, hasB: bool, hasA: bool): void {
  if (H == 1) { boxRow(src, dst, up, W, a, b, false, false, hasB, hasA); return; }
  boxRow(src, dst, up, W, a, b, false, true, hasB, hasA);
  for (let y = 1; y < H - 1; y++) boxRow(at(src, y * W), at(dst, y * W), up, W, a, b, true, true, hasB, hasA);
  boxRow(at(src, (H - 1) * W), at(dst, (H - 1) * W), up, W, a, b, true, false, hasB, hasA);
}

// @ts-ignore: decorator
@inline function colSum(s: usize, up: usize, x: i32, W: i32, hasUp: bool, hasDn: bool): v128 {
  const cur = v128.load(at(s, x));
  let v = hasUp ? f64x2.add(v128.load(at(up, x)), cur) : cur;
  v128.store(at(up, x), cur); // the original row y, the next row's up
  if (hasDn) v = f64x2.add(v, v128.load(at(s, x + W)));
  return v;
}

// @ts-ignore: decorator
@inline function boxRow(s: usize, d: usize, up: usize, W: i32, a: f64, b: f64, hasUp: bool, hasDn: bool, hasB: bool, hasA: bool): void {
  const a9 = sp(a / 9.0), bv = sp(b), zero = sp(0.0);
  let vprev = zero, vcur = colSum(s, up, 0, W, hasUp, hasDn);
  let x = 0;
  for (; x + 2 < W; x += 2) {
    const vnext = colSum(s, up, x + 2, W, hasUp, hasDn);
    const h = f64x2.add(f64x2.add(f64x2.shuffle(vprev, vcur, 1, 2), vcur), f64x2.shuffle(vcur, vnext, 1, 2));
    const ah = hasA ? f64x2.mul(a9, h) : h;
    v128.store(at(d, x), hasB ? f64x2.add(ah, bv) : ah);
    vprev = vcur; vcur = vnext;
  }
  const h = f64x2.add(f64x2.add(f64x2.shuffle(vprev, vcur, 1, 2), vcur), f64x2.shuffle(vcur, zero, 1, 2));
  const ah = hasA ? f64x2.mul(a9, h) : h;
  v128.store(at(d, x), hasB ? f64x2.add(ah, bv) : ah);
}

/** One output row of the box filter's column pass: d = a9 (tu + t0 + td) + b, absent rows left out. */
// @ts-ignore: decorator
@inline function colRow(tu: usize, t0: usize, td: usize, d: usize, W: i32, a9: f64, b: f64, up: bool, dn: bool): void {
  const av = sp(a9), bv = sp(b);
  let x = 0;
  for (; x + 2 <= W; x += 2) {
    let v = v128.load(at(t0, x));
    if (up) v = f64x2.add(v128.load(at(tu, x)), v);
    if (dn) v = f64x2.add(v, v128.load(at(td, x)));
    v128.store(at(d, x), f64x2.add(f64x2.mul(av, v), bv));
  }
  for (; x < W; x++) {
    let v = ld(t0, x);
    if (up) v = ld(tu, x) + v;
    if (dn) v = v + ld(td, x);
    st(d, x, a9 * v + b);
  }
}

/** ReLU arc-cosine maps on len elements; qa is a scalar (qaStride 0) or an array; theta saved to TH unless 0. */
function reluFwd(N: usize, K: usize, qa: usize, ra: usize, qaStride: i32, qb: usize, rb: usize, TH: usize, len: i32): void {
  const pi = sp(Math.PI), i2p = sp(INV2PI), one = sp(1.0), zero = sp(0.0);
  let i = 0;
  for (; i < len; i += 2) {
    const two = i + 2 <= len;
    const n = two ? v128.load(at(N, i)) : sp(ld(N, i));
    const k = two ? v128.load(at(K, i)) : sp(ld(K, i));
    const a = qaStride == 0 ? sp(ld(qa, 0)) : (two ? v128.load(at(qa, i)) : sp(ld(qa, i)));
    const bq = two ? v128.load(at(qb, i)) : sp(ld(qb, i));
    const rsa = qaStride == 0 ? sp(ld(ra, 0)) : (two ? v128.load(at(ra, i)) : sp(ld(ra, i)));
    const rsb = two ? v128.load(at(rb, i)) : sp(ld(rb, i));
    // s = sqrt(qa qb) from the stored square roots, c = n / s: no sqrt or division per pair
    const s = f64x2.mul(a, bq);
    const c = f64x2.mul(n, f64x2.mul(rsa, rsb));
    const cc = f64x2.pmin(f64x2.pmax(c, sp(-1.0)), one);
    const th = acos_v(cc);
    if (TH) { if (two) v128.store(at(TH, i), th); else st(TH, i, f64x2.extract_lane(th, 0)); }
    const sn = f64x2.sqrt(f64x2.pmax(f64x2.sub(one, f64x2.mul(cc, cc)), zero));
    const pmt = f64x2.sub(pi, th);
    const nOut = f64x2.mul(f64x2.add(f64x2.mul(s, sn), f64x2.mul(pmt, f64x2.mul(cc, s))), i2p);
    const kOut = f64x2.mul(f64x2.mul(k, pmt), i2p);
    if (two) { v128.store(at(N, i), nOut); v128.store(at(K, i), kOut); }
    else { st(N, i, f64x2.extract_lane(nOut, 0)); st(K, i, f64x2.extract_lane(kOut, 0)); }
  }
}

/**
 * Reverse of reluFwd. N, K, TH hold the forward inputs and angles; gN, gK the output adjoints,
 * replaced by the input adjoints. The adjoint of qa is added to gqa (summed when qaStride 0),
 * or, when gqPair is set (qaStride 0 only), stored per pair there instead.
 */
function reluBwd(N: usize, K: usize, TH: usize, gN: usize, gK: usize, qa: usize, ra: usize, qaStride: i32, qb: usize, rb: usize, gqa: usize, len: i32, gqPair: usize = 0): void {
  const pi = sp(Math.PI), i2p = sp(INV2PI), one = sp(1.0), zero = sp(0.0);
  let acc = sp(0.0);
  let i = 0;
  for (; i < len; i += 2) {
    const two = i + 2 <= len;
    const n = two ? v128.load(at(N, i)) : sp(ld(N, i));
    const k = two ? v128.load(at(K, i)) : sp(ld(K, i));
    const a = qaStride == 0 ? sp(ld(qa, 0)) : (two ? v128.load(at(qa, i)) : sp(ld(qa, i)));
    const bq = two ? v128.load(at(qb, i)) : sp(ld(qb, i));
    const gn = two ? v128.load(at(gN, i)) : sp(ld(gN, i));
    const gk = two ? v128.load(at(gK, i)) : sp(ld(gK, i));
    const rsa = qaStride == 0 ? sp(ld(ra, 0)) : (two ? v128.load(at(ra, i)) : sp(ld(ra, i)));
    const rsb = two ? v128.load(at(rb, i)) : sp(ld(rb, i));
    const s = f64x2.mul(a, bq);
    const invs = f64x2.mul(rsa, rsb);
    const c = f64x2.mul(n, invs);
    const cc = f64x2.pmin(f64x2.pmax(c, sp(-1.0)), one);
    const th = two ? v128.load(at(TH, i)) : sp(ld(TH, i));
    const sn = f64x2.sqrt(f64x2.pmax(f64x2.sub(one, f64x2.mul(cc, cc)), zero));
    // r = 1/sqrt(max(1 - c^2, SIN2_FLOOR)) = 1/max(sin, sqrt(SIN2_FLOOR))
    const r = f64x2.div(one, f64x2.pmax(sn, sp(SIN_FLOOR)));
    const A = f64x2.mul(f64x2.sub(pi, th), i2p);
    const kr = f64x2.mul(k, r);
    const ngN = f64x2.add(f64x2.mul(gn, A), f64x2.mul(f64x2.mul(gk, kr), f64x2.mul(invs, i2p)));
    const ngK = f64x2.mul(gk, A);
    const inva = f64x2.mul(rsa, rsa);
    // d nngp/dqa = sin(th) s / (4 pi qa); d ntk/dqa = -k c r / (4 pi qa)
    const dq = f64x2.mul(f64x2.sub(f64x2.mul(gn, f64x2.mul(sn, s)), f64x2.mul(gk, f64x2.mul(kr, cc))), f64x2.mul(inva, f64x2.mul(i2p, sp(0.5))));
    if (two) {
      v128.store(at(gN, i), ngN); v128.store(at(gK, i), ngK);
      if (gqPair) v128.store(at(gqPair, i), dq);
      else if (qaStride == 0) acc = f64x2.add(acc, dq);
      else v128.store(at(gqa, i), f64x2.add(v128.load(at(gqa, i)), dq));
    } else {
      st(gN, i, f64x2.extract_lane(ngN, 0)); st(gK, i, f64x2.extract_lane(ngK, 0));
      if (gqPair) st(gqPair, i, f64x2.extract_lane(dq, 0));
      else if (qaStride == 0) acc = f64x2.add(acc, f64x2.replace_lane(dq, 1, 0.0));
      else st(gqa, i, ld(gqa, i) + f64x2.extract_lane(dq, 0));
    }
  }
  if (qaStride == 0 && !gqPair) st(gqa, 0, ld(gqa, 0) + f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1));
}

// ---- pixel-mode ReLU (one pair's H x W maps) --------------------------------------------
// The q store holds sqrt(q) and 1/sqrt(q) (0 where q = 0) per input, so a pixel needs
// c = n ra rb and s = sqrt(qa qb) = sa sb: no per-pair sqrt or division besides arccos's.
// The loops run two pixels per v128; an odd last pixel goes through the same code on a
// two-lane staging copy whose second lane is all zeros (which maps to exact zeros).
// Two pixels whose c both exceed 1/2 (nearly all of them on images: the maps of two images
// at one pixel are strongly correlated) take a branch for that range alone, in w = 1 - c:
// sin theta = sqrt(w (1 + c)) and theta = sin(theta) N(w)/Q(w) (acos.ts: WN*, WQ*; the
// relaxed build: sqrt(w) G(w)). The new nngp is s sin + (pi - theta) n: s cos theta = n.

/** Staging area for odd tails: 16 x 2 f64 after the tapes and the Pmax spare. */
@inline function stagingOf(ctx: usize, scr: usize): usize {
  return scr + (6 + 3 * <usize>ci(ctx, C_NRELU)) * slotBytes(ctx) + (<usize>ci(ctx, C_PMAX) << 3);
}

/**
 * Forward ReLU maps of one pair on len pixels: N, K in place (K = N when kIsN: the ntk is
 * still the nngp after the first conv), angles to TH unless 0; or, when sums != 0, only
 * the sums of the new nngp and ntk over the pixels into sums[0], sums[1] (a flatten next).
 * Two pixels whose c both exceed 1/2 (nearly all of them on images: neighbouring pixels are
 * strongly correlated) take the c > 1/2 branch alone (see above) instead of both of
 * acos_v's branches and a select per lane (about half the instructions).
 */
/** w = 1 - c (>= 0) of two pixels whose c both exceed 1/2 (see above). */
// @ts-ignore: decorator
@inline function fastW(c: v128): v128 {
  return f64x2.pmax(f64x2.sub(kt(K_ONE), c), kt(K_ZERO));
}
/** sin(arccos c) = sqrt(w (1 + c)). */
// @ts-ignore: decorator
@inline function fastSinW(c: v128, w: v128): v128 {
  return f64x2.sqrt(f64x2.mul(w, f64x2.add(kt(K_ONE), c)));
}
/**
 * arccos(c) for c > 1/2 from w and sn = sin(arccos c): sn N(w)/Q(w) (no second square root),
 * or sqrt(w) G(w) in the relaxed build (no division).
 */
// @ts-ignore: decorator
@inline function fastThetaWS(w: v128, sn: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.mul(f64x2.sqrt(w), acos_Gw(w));
  return f64x2.mul(sn, f64x2.div(acos_Nw(w), acos_Qw(w)));
}
// @ts-ignore: decorator
@inline function fastTheta(c: v128): v128 {
  const w = fastW(c);
  return fastThetaWS(w, fastSinW(c, w));
}
/** dst[i] = arccos(src[i]) by the maps' c > 1/2 branch, src[i] in (1/2, 1], n even (tests). */
export function ntk_fast_acos_array(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i + 2 <= n; i += 2) v128.store(at(dst, i), fastTheta(v128.load(at(src, i))));
}
/** The same for any c (clamped to [-1, 1]): both arccos branches and a select per lane. */
// @ts-ignore: decorator
@inline function slowA(c: v128): v128 {
  return f64x2.sub(kt(K_PI), acos_v(f64x2.pmin(f64x2.pmax(c, kt(K_MONE)), kt(K_ONE))));
}
// @ts-ignore: decorator
@inline function slowSin(c: v128): v128 {
  const cc = f64x2.pmin(f64x2.pmax(c, kt(K_MONE)), kt(K_ONE));
  return f64x2.sqrt(f64x2.mul(f64x2.sub(kt(K_ONE), cc), f64x2.add(kt(K_ONE), cc)));
}

/**
 * Forward ReLU maps of one pair on len (even) pixels: N, K in place (K = N when kIsN: the
 * ntk is still the nngp after the first conv); with tape, c = n ra rb to TN, the ntk input to
 * TK and (pi - theta)/(2 pi) to TH (what the reverse needs: no product or subtraction
 * there); or, when acc, only the sums of the new nngp and ntk over the pixels into sums[0],
 * sums[1] (a flatten next). Four pixels per step (the table constants loaded once for
 * both halves) when all four take the fast branch; pairs of pixels otherwise.
 */
// @ts-ignore: decorator
@inline function reluPixLoop(N: usize, K: usize, ra: usize, rb: usize, qa: usize, qb: usize, TN: usize, TK: usize, TH: usize, len: i32, sums: usize, kIsN: bool, acc: bool, tape: bool, osc: f64, kAddN: bool = false): void {
  const oscv = sp(osc);
  let accS = kt(K_ZERO), accK = accS, accN = accS;
  let i = 0;
  for (; i < len; ) {
    const two = i + 4 <= len;
    const n0 = v128.load(at(N, i));
    const c0 = f64x2.mul(n0, f64x2.mul(v128.load(at(ra, i)), v128.load(at(rb, i))));
    const f0 = i64x2.bitmask(f64x2.gt(c0, kt(K_HALF))) == 3;
    if (two && f0) {
      const n1 = v128.load(at(N, i + 2));
      const c1 = f64x2.mul(n1, f64x2.mul(v128.load(at(ra, i + 2)), v128.load(at(rb, i + 2))));
      if (i64x2.bitmask(f64x2.gt(c1, kt(K_HALF))) == 3) {
        const w0 = fastW(c0), w1 = fastW(c1), s0 = fastSinW(c0, w0), s1 = fastSinW(c1, w1);
        const A0 = f64x2.sub(kt(K_PI), fastThetaWS(w0, s0)), A1 = f64x2.sub(kt(K_PI), fastThetaWS(w1, s1));
        const ss0 = f64x2.mul(f64x2.mul(v128.load(at(qa, i)), v128.load(at(qb, i))), s0);
        const ss1 = f64x2.mul(f64x2.mul(v128.load(at(qa, i + 2)), v128.load(at(qb, i + 2))), s1);
        const nA0 = f64x2.mul(n0, A0), nA1 = f64x2.mul(n1, A1);
        if (acc) {
          accS = f64x2.add(accS, f64x2.add(ss0, ss1));
          if (kIsN) accK = f64x2.add(accK, f64x2.add(nA0, nA1));
          else {
            accN = f64x2.add(accN, f64x2.add(nA0, nA1));
            accK = f64x2.add(accK, f64x2.add(f64x2.mul(v128.load(at(K, i)), A0), f64x2.mul(v128.load(at(K, i + 2)), A1)));
          }
        } else {
          const k0 = kIsN ? n0 : v128.load(at(K, i)), k1 = kIsN ? n1 : v128.load(at(K, i + 2));
          if (tape) {
            v128.store(at(TN, i), c0); v128.store(at(TN, i + 2), c1);
            // kIsN: the ntk input is n = c s, so the tape keeps sin theta there instead (snTape)
            v128.store(at(TK, i), kIsN ? s0 : k0); v128.store(at(TK, i + 2), kIsN ? s1 : k1);
            v128.store(at(TH, i), f64x2.mul(A0, kt(K_I2PI))); v128.store(at(TH, i + 2), f64x2.mul(A1, kt(K_I2PI)));
          }
          const i2p = oscv;
          v128.store(at(N, i), f64x2.mul(f64x2.add(ss0, nA0), i2p)); v128.store(at(N, i + 2), f64x2.mul(f64x2.add(ss1, nA1), i2p));
          v128.store(at(K, i), f64x2.mul(kIsN ? nA0 : f64x2.mul(k0, A0), i2p)); v128.store(at(K, i + 2), f64x2.mul(kIsN ? nA1 : f64x2.mul(k1, A1), i2p));
        }
        i += 4;
        continue;
      }
    }
    // two pixels
    let A = accS, sn = accS;
    if (f0) { const w = fastW(c0); sn = fastSinW(c0, w); A = f64x2.sub(kt(K_PI), fastThetaWS(w, sn)); }
    else { A = slowA(c0); sn = slowSin(c0); }
    // 2 pi nngp = s sn + A n and 2 pi ntk = k A; the sums take the 1/(2 pi) once
    const ss = f64x2.mul(f64x2.mul(v128.load(at(qa, i)), v128.load(at(qb, i))), sn);
    const nA = f64x2.mul(n0, A);
    if (acc) {
      accS = f64x2.add(accS, ss);
      if (kIsN) accK = f64x2.add(accK, nA);
      else { accN = f64x2.add(accN, nA); accK = f64x2.add(accK, f64x2.mul(v128.load(at(K, i)), A)); }
    } else {
      const k = kIsN ? n0 : v128.load(at(K, i));
      if (tape) { v128.store(at(TN, i), c0); v128.store(at(TK, i), kIsN ? sn : k); v128.store(at(TH, i), f64x2.mul(A, kt(K_I2PI))); }
      v128.store(at(N, i), f64x2.mul(f64x2.add(ss, nA), oscv));
      v128.store(at(K, i), f64x2.mul(kIsN ? nA : f64x2.mul(k, A), oscv));
    }
    i += 2;
  }
  if (acc) {
    const sK = f64x2.extract_lane(accK, 0) + f64x2.extract_lane(accK, 1);
    const sA = kIsN ? sK : f64x2.extract_lane(accN, 0) + f64x2.extract_lane(accN, 1);
    st(sums, 0, ld(sums, 0) + (f64x2.extract_lane(accS, 0) + f64x2.extract_lane(accS, 1) + sA) * INV2PI);
    // kAddN: K lacks the nngp N that the conv before adds to its ntk: sum (K + N) A = sK + sA
    st(sums, 1, ld(sums, 1) + (kAddN && !kIsN ? sK + sA : sK) * INV2PI);
  }
}

function reluPixVec(N: usize, K: usize, ra: usize, rb: usize, qa: usize, qb: usize, TN: usize, TK: usize, TH: usize, len: i32, sums: usize, kIsN: bool, osc: f64, kAddN: bool = false): void {
  if (sums) {
    if (kIsN) reluPixLoop(N, K, ra, rb, qa, qb, 0, 0, 0, len, sums, true, true, false, osc);
    else reluPixLoop(N, K, ra, rb, qa, qb, 0, 0, 0, len, sums, false, true, false, osc, kAddN);
  } else if (TH) {
    if (kIsN) reluPixLoop(N, K, ra, rb, qa, qb, TN, TK, TH, len, 0, true, false, true, osc);
    else reluPixLoop(N, K, ra, rb, qa, qb, TN, TK, TH, len, 0, false, false, true, osc);
  } else {
    if (kIsN) reluPixLoop(N, K, ra, rb, qa, qb, 0, 0, 0, len, 0, true, false, false, osc);
    else reluPixLoop(N, K, ra, rb, qa, qb, 0, 0, 0, len, 0, false, false, false, osc);
  }
}

/** Copies element i of src into lane 0 of a staging pair (lane 1 = 0) and returns its address. */
@inline function stage(stg: usize, slot: i32, src: usize, i: i32): usize {
  const p = at(stg, 2 * slot);
  st(p, 0, ld(src, i)); st(p, 1, 0.0);
  return p;
}

/** reluPixLoop on any len; with TH, the tape's inputs go to TN, TK (one slot of tslot bytes before each other). */
function reluPix(N: usize, K: usize, ra: usize, rb: usize, qa: usize, qb: usize, TH: usize, tslot: usize, len: i32, sums: usize, kIsN: bool, osc: f64, stg: usize, kAddN: bool = false): void {
  if (sums) { st(sums, 0, 0.0); st(sums, 1, 0.0); }
  const even = len & ~1;
  const TN = TH ? TH - 2 * tslot : 0, TK = TH ? TH - tslot : 0;
  reluPixVec(N, K, ra, rb, qa, qb, TN, TK, TH, even, sums, kIsN, osc, kAddN);
  if (even == len) return;
  const i = even;
  if (TH) {
    const c = ld(N, i) * (ld(ra, i) * ld(rb, i)), cc = min(max(c, -1.0), 1.0);
    st(TN, i, c); st(TK, i, kIsN ? Math.sqrt((1.0 - cc) * (1.0 + cc)) : ld(K, i));
  }
  const n = stage(stg, 0, N, i), k = stage(stg, 1, kIsN ? N : K, i), th = at(stg, 12);
  reluPixVec(n, k, stage(stg, 2, ra, i), stage(stg, 3, rb, i), stage(stg, 4, qa, i), stage(stg, 5, qb, i), TH ? at(stg, 20) : 0, TH ? at(stg, 22) : 0, TH ? th : 0, 2, sums, false, osc, kAddN);
  if (!sums) { st(N, i, ld(n, 0)); st(K, i, ld(k, 0)); }
  if (TH) st(TH, i, ld(th, 0));
}

/**
 * The last ReLU of a pair, forward and reverse in one sweep: its output adjoints are the
 * same on every pixel (only flatten / dense / scale follow), gn and gk. Writes the input
 * adjoints to gN, gK and adds the adjoint of the row input's q to gq; no tape needed.
 */
/**
 * One fast-branch step of reluPixFBLoop (two pixels whose c both exceed 1/2), the table
 * constants passed in so a four-pixel step loads them once: stores the input adjoints at i
 * and adds the q adjoint. gn2, gk2 are the seeds over 2 pi, gn4, gk4 over 4 pi.
 */
// @ts-ignore: decorator
@inline function fbFast(i: i32, n: v128, k: v128, c: v128, rva: v128, invs: v128, qa: usize, qb: usize, gN: usize, gK: usize, gq: usize,
  gn2: v128, gk2: v128, gn4: v128, gk4: v128, one: v128, pi: v128, floor: v128,
  P0: v128, P1: v128, P2: v128, P3: v128, P4: v128, Q0: v128, Q1: v128, Q2: v128, Q3: v128, needK: bool): void {
  const cc = f64x2.pmin(c, one);
  const w = f64x2.sub(one, cc);
  const q = madd(w, madd(w, madd(w, f64x2.add(w, Q3), Q2), Q1), Q0); // monic
  const nw = madd(w, madd(w, madd(w, madd(w, P4, P3), P2), P1), P0); // theta = sin(theta) N(w)/Q(w)
  const sn = f64x2.sqrt(f64x2.mul(w, f64x2.add(one, cc)));
  // arccos's N/Q and r = 1/max(sin, floor) from one division
  const snf = f64x2.pmax(sn, floor);
  const inv = f64x2.div(one, f64x2.mul(q, snf));
  const kr = f64x2.mul(k, f64x2.mul(q, inv));
  const A = f64x2.sub(pi, f64x2.mul(sn, f64x2.mul(nw, f64x2.mul(snf, inv))));
  const s = f64x2.mul(v128.load(at(qa, i)), v128.load(at(qb, i)));
  v128.store(at(gN, i), f64x2.add(f64x2.mul(gn2, A), f64x2.mul(gk2, f64x2.mul(kr, invs))));
  if (needK) v128.store(at(gK, i), f64x2.mul(gk2, A));
  // d nngp/dqa = sin(th) s / (4 pi qa); d ntk/dqa = -k c r / (4 pi qa)
  // (times 1/qa once per row image at the end: scaleGq)
  const dq = f64x2.sub(f64x2.mul(gn4, f64x2.mul(sn, s)), f64x2.mul(gk4, f64x2.mul(kr, cc)));
  v128.store(at(gq, i), f64x2.add(v128.load(at(gq, i)), dq));
}

/**
 * The last ReLU of a pair, forward and reverse in one sweep: its output adjoints are the
 * same on every pixel (only flatten / dense / scale follow), gn and gk. Writes the input
 * adjoints to gN, gK and adds the adjoint of the row input's q to gq; no tape needed.
 * Four pixels per step when all take the fast arccos branch.
 */
// @ts-ignore: decorator
@inline function reluPixFBLoop(N: usize, K: usize, ra: usize, rb: usize, qa: usize, qb: usize, gN: usize, gK: usize, gq: usize, len: i32, gn_: f64, gk_: f64, kIsN: bool, pre: bool, needK: bool): void {
  const gn = sp(gn_), gk = sp(gk_);
  // pre: gN gets the sum of both input adjoints, (gn + gk) A + ..., which the conv before needs
  const gn2 = sp((pre ? gn_ + gk_ : gn_) * INV2PI), gk2 = sp(gk_ * INV2PI), gn4 = sp(gn_ * 0.5 * INV2PI), gk4 = sp(gk_ * 0.5 * INV2PI);
  let i = 0;
  while (i < len) {
    const n = v128.load(at(N, i));
    const k = kIsN ? n : v128.load(at(K, i));
    const rva = v128.load(at(ra, i));
    const invs = f64x2.mul(rva, v128.load(at(rb, i)));
    const c = f64x2.mul(n, invs);
    const f0 = i64x2.bitmask(f64x2.gt(c, kt(K_HALF))) == 3;
    if (f0) {
      const one = kt(K_ONE), pi = kt(K_PI), floor = kt(K_FLOOR);
      const P0 = kt(K_WN0), P1 = kt(K_WN0 + 1), P2 = kt(K_WN0 + 2), P3 = kt(K_WN0 + 3), P4 = kt(K_WN0 + 4);
      const Q0 = kt(K_WQ0), Q1 = kt(K_WQ0 + 1), Q2 = kt(K_WQ0 + 2), Q3 = kt(K_WQ0 + 3);
      if (i + 4 <= len) {
        const n1 = v128.load(at(N, i + 2));
        const rv1 = v128.load(at(ra, i + 2));
        const iv1 = f64x2.mul(rv1, v128.load(at(rb, i + 2)));
        const c1 = f64x2.mul(n1, iv1);
        if (i64x2.bitmask(f64x2.gt(c1, kt(K_HALF))) == 3) {
          const k1 = kIsN ? n1 : v128.load(at(K, i + 2));
          fbFast(i, n, k, c, rva, invs, qa, qb, gN, gK, gq, gn2, gk2, gn4, gk4, one, pi, floor, P0, P1, P2, P3, P4, Q0, Q1, Q2, Q3, needK);
          fbFast(i + 2, n1, k1, c1, rv1, iv1, qa, qb, gN, gK, gq, gn2, gk2, gn4, gk4, one, pi, floor, P0, P1, P2, P3, P4, Q0, Q1, Q2, Q3, needK);
          i += 4;
          continue;
        }
      }
      fbFast(i, n, k, c, rva, invs, qa, qb, gN, gK, gq, gn2, gk2, gn4, gk4, one, pi, floor, P0, P1, P2, P3, P4, Q0, Q1, Q2, Q3, needK);
      i += 2;
      continue;
    }
    const cc = f64x2.pmin(f64x2.pmax(c, kt(K_MONE)), kt(K_ONE));
    const A = f64x2.sub(kt(K_PI), acos_v(cc));
    const sn = f64x2.sqrt(f64x2.pmax(f64x2.sub(kt(K_ONE), f64x2.mul(cc, cc)), kt(K_ZERO)));
    const kr = f64x2.mul(k, f64x2.div(kt(K_ONE), f64x2.pmax(sn, kt(K_FLOOR))));
    const s = f64x2.mul(v128.load(at(qa, i)), v128.load(at(qb, i)));
    v128.store(at(gN, i), f64x2.add(f64x2.mul(gn2, A), f64x2.mul(gk2, f64x2.mul(kr, invs))));
    if (needK) v128.store(at(gK, i), f64x2.mul(gk2, A));
    const dq = f64x2.sub(f64x2.mul(gn4, f64x2.mul(sn, s)), f64x2.mul(gk4, f64x2.mul(kr, cc))); // times 1/qa later (scaleGq)
    v128.store(at(gq, i), f64x2.add(v128.load(at(gq, i)), dq));
    i += 2;
  }
}

function reluPixFBVec(N: usize, K: usize, ra: usize, rb: usize, qa: usize, qb: usize, gN: usize, gK: usize, gq: usize, len: i32, gn: f64, gk: f64, kIsN: bool, pre: bool, needK: bool): void {
  if (!pre) {
    if (kIsN) reluPixFBLoop(N, K, ra, rb, qa, qb, gN, gK, gq, len, gn, gk, true, false, true);
    else reluPixFBLoop(N, K, ra, rb, qa, qb, gN, gK, gq, len, gn, gk, false, false, true);
  } else if (needK) {
    if (kIsN) reluPixFBLoop(N, K, ra, rb, qa, qb, gN, gK, gq, len, gn, gk, true, true, true);
    else reluPixFBLoop(N, K, ra, rb, qa, qb, gN, gK, gq, len, gn, gk, false, true, true);
  } else {
    if (kIsN) reluPixFBLoop(N, K, ra, rb, qa, qb, gN, gK, gq, len, gn, gk, true, true, false);
    else reluPixFBLoop(N, K, ra, rb, qa, qb, gN, gK, gq, len, gn, gk, false, true, false);
  }
}

function reluPixFB(N: usize, K: usize, ra: usize, rb: usize, qa: usize, qb: usize, gN: usize, gK: usize, gq: usize, len: i32, gn: f64, gk: f64, kIsN: bool, pre: bool, needK: bool, stg: usize): void {
  const even = len & ~1;
  reluPixFBVec(N, K, ra, rb, qa, qb, gN, gK, gq, even, gn, gk, kIsN, pre, needK);
  if (even == len) return;
  const i = even;
  const o = at(stg, 16), q = stage(stg, 7, gq, i);
  reluPixFBVec(stage(stg, 0, N, i), stage(stg, 1, kIsN ? N : K, i), stage(stg, 2, ra, i), stage(stg, 3, rb, i), stage(stg, 4, qa, i), stage(stg, 5, qb, i), o, at(o, 2), q, 2, gn, gk, false, pre, needK);
  st(gN, i, ld(o, 0)); st(gK, i, ld(o, 2)); st(gq, i, ld(q, 0));
}

/**
 * Reverse of a taped pixel-mode ReLU (one pair, len pixels): N, K, TH hold its tape (c, the
 * ntk input, (pi - theta)/(2 pi): see reluPixLoop); gN, gK the output adjoints, replaced by the input adjoints; the adjoint of
 * the row input's q is added to gq. reluBwd's maps without its per-lane tail selects.
 */
// @ts-ignore: decorator
@inline function reluPixBwdLoop(N: usize, K: usize, TH: usize, gN: usize, gK: usize, ra: usize, rb: usize, qa: usize, qb: usize, gq: usize, len: i32, pre: bool, needK: bool, snTape: bool): void {
  for (let i = 0; i + 2 <= len; i += 2) {
    const rva = v128.load(at(ra, i));
    const invs = f64x2.mul(rva, v128.load(at(rb, i)));
    const c = v128.load(at(N, i));
    const cc = f64x2.pmin(f64x2.pmax(c, kt(K_MONE)), kt(K_ONE));
    const s = f64x2.mul(v128.load(at(qa, i)), v128.load(at(qb, i)));
    // snTape (the forward's K was N): K holds sin theta and the ntk input is n = c s
    const sn = snTape ? v128.load(at(K, i)) : f64x2.sqrt(f64x2.mul(f64x2.sub(kt(K_ONE), cc), f64x2.add(kt(K_ONE), cc)));
    const r = f64x2.div(kt(K_ONE), f64x2.pmax(sn, kt(K_FLOOR)));
    const A = v128.load(at(TH, i));
    const kr = f64x2.mul(snTape ? f64x2.mul(c, s) : v128.load(at(K, i)), r);
    const gn = v128.load(at(gN, i)), gk = v128.load(at(gK, i));
    // pre: gN gets the sum of both input adjoints (the conv before needs only that and gK)
    v128.store(at(gN, i), f64x2.add(f64x2.mul(pre ? f64x2.add(gn, gk) : gn, A), f64x2.mul(f64x2.mul(gk, kr), f64x2.mul(invs, kt(K_I2PI)))));
    if (needK) v128.store(at(gK, i), f64x2.mul(gk, A));
    const dq = f64x2.sub(f64x2.mul(gn, f64x2.mul(sn, s)), f64x2.mul(gk, f64x2.mul(kr, cc)));
    v128.store(at(gq, i), f64x2.add(v128.load(at(gq, i)), dq));
  }
}

function reluPixBwdVec(N: usize, K: usize, TH: usize, gN: usize, gK: usize, ra: usize, rb: usize, qa: usize, qb: usize, gq: usize, len: i32, pre: bool, needK: bool, snTape: bool): void {
  if (snTape) { // after a first conv: then pre always holds
    if (needK) reluPixBwdLoop(N, K, TH, gN, gK, ra, rb, qa, qb, gq, len, true, true, true);
    else reluPixBwdLoop(N, K, TH, gN, gK, ra, rb, qa, qb, gq, len, true, false, true);
  } else if (!pre) reluPixBwdLoop(N, K, TH, gN, gK, ra, rb, qa, qb, gq, len, false, true, false);
  else if (needK) reluPixBwdLoop(N, K, TH, gN, gK, ra, rb, qa, qb, gq, len, true, true, false);
  else reluPixBwdLoop(N, K, TH, gN, gK, ra, rb, qa, qb, gq, len, true, false, false);
}

function reluPixBwd(N: usize, K: usize, TH: usize, gN: usize, gK: usize, ra: usize, rb: usize, qa: usize, qb: usize, gq: usize, len: i32, pre: bool, needK: bool, snTape: bool, stg: usize): void {
  const even = len & ~1;
  reluPixBwdVec(N, K, TH, gN, gK, ra, rb, qa, qb, gq, even, pre, needK, snTape);
  if (even == len) return;
  const i = even;
  const n = stage(stg, 3, gN, i), k = stage(stg, 4, gK, i), q = stage(stg, 9, gq, i);
  reluPixBwdVec(stage(stg, 0, N, i), stage(stg, 1, K, i), stage(stg, 2, TH, i), n, k, stage(stg, 5, ra, i), stage(stg, 6, rb, i), stage(stg, 7, qa, i), stage(stg, 8, qb, i), q, 2, pre, needK, snTape);
  st(gN, i, ld(n, 0)); st(gK, i, ld(k, 0)); st(gq, i, ld(q, 0));
}

/**
 * Whether the reverse of the pixel-mode ReLU at op o writes the sum of its two input
 * adjoints (nngp + ntk) to gN: when a conv precedes it, whose reverse needs just that sum
 * (and the ntk adjoint alone, unless it is the first op), so it skips its own add pass.
 */
@inline function preAdds(ops: usize, o: i32): bool {
  return o > 0 && <i32>opc(ops, o, 0) == OP_RELU && <i32>opc(ops, o, 3) > 1 && <i32>opc(ops, o - 1, 0) == OP_CONV;
}

/**
 * Whether fwdTile ran the pixel ReLU at op o with kIsN (its ntk input the nngp: right after
 * a conv with no dense or conv before it), so its tape holds sin theta in the K slot.
 */
function kIsNAt(ops: usize, o: i32): bool {
  if (o < 1 || <i32>opc(ops, o - 1, 0) != OP_CONV) return false;
  for (let j = 0; j < o - 1; j++) { const c = <i32>opc(ops, j, 0); if (c == OP_DENSE || c == OP_CONV) return false; }
  return true;
}

@inline function slotBytes(ctx: usize): usize { return <usize>(ci(ctx, C_T) * ci(ctx, C_PMAX)) << 3; }

/** Bytes of per-thread scratch the pair kernels need for this context. */
export function ntk_scratch_bytes(T: i32, Pmax: i32, nrelu: i32): usize {
  return (<usize>(6 + 3 * nrelu) * <usize>T * <usize>Pmax + <usize>Pmax + 32) << 3; // + tail staging
}

/**
 * Forward pass over pairs (b, i..i+T) through ops [0, oEnd); with oEnd = nops it leaves the
 * results in N, K (P = 1). Tape kept when tape is set. Returns whether K is still implicitly
 * N (a first conv's ntk equals its nngp and is not copied until an op other than ReLU).
 */
function fwdTile(ctx: usize, b: i32, i0: i32, T: i32, scr: usize, tape: bool, oEnd: i32): bool {
  const slot = slotBytes(ctx);
  const N = scr, K = scr + slot, tmp = scr + 4 * slot;
  const nops = ci(ctx, C_NOPS), ops = cp(ctx, C_OPS);
  const H = ci(ctx, C_H), W = ci(ctx, C_W), Cc = ci(ctx, C_C), d = ci(ctx, C_D);
  const n1 = ci(ctx, C_N1), n2 = ci(ctx, C_N2);
  const mode = ci(ctx, C_MODE);
  if (mode == 0) {
    const src = at(cp(ctx, C_N0), b * ci(ctx, C_LDO) + i0);
    memory.copy(N, src, <usize>T << 3);
    // N0 holds x.x' (Gram via gramRaw, scale 1/d) or x.x'/d already (scale 1)
    const s0 = cf(ctx, C_N0S);
    if (s0 != 1.0) affine(N, T, s0, 0.0);
  } else {
    // channels > 1: a first conv's a/9 rides on the channel mean's 1/C (no multiply in its box)
    const P = H * W, x1 = at(cp(ctx, C_X1), b * d), invC = (Cc > 1 && nops > 0 && <i32>opc(ops, 0, 0) == OP_CONV ? opc(ops, 0, 1) / 9.0 : 1.0) / <f64>Cc;
    for (let t = 0; t < T; t++) {
      const x2 = at(cp(ctx, C_X2), (i0 + t) * d), nt = at(N, t * P);
      if (Cc == 1) {
        let p = 0;
        for (; p + 2 <= P; p += 2) v128.store(at(nt, p), f64x2.mul(v128.load(at(x1, p)), v128.load(at(x2, p))));
        for (; p < P; p++) st(nt, p, ld(x1, p) * ld(x2, p));
      } else {
        let p = 0;
        if (Cc == 3) { // RGB: two pixels (six values) per step, the same sums in the same order
          const ic = sp(invC);
          for (; p + 2 <= P; p += 2) {
            const o = 3 * p;
            const m0 = f64x2.mul(v128.load(at(x1, o)), v128.load(at(x2, o)));
            const m1 = f64x2.mul(v128.load(at(x1, o + 2)), v128.load(at(x2, o + 2)));
            const m2 = f64x2.mul(v128.load(at(x1, o + 4)), v128.load(at(x2, o + 4)));
            const sum = f64x2.add(f64x2.add(f64x2.shuffle(m0, m1, 0, 3), f64x2.shuffle(m0, m2, 1, 2)), f64x2.shuffle(m1, m2, 0, 3));
            v128.store(at(nt, p), f64x2.mul(sum, ic));
          }
        }
        for (; p < P; p++) {
          let s: f64 = 0;
          for (let c = 0; c < Cc; c++) s += ld(x1, p * Cc + c) * ld(x2, p * Cc + c);
          st(nt, p, s * invC);
        }
      }
    }
  }
  // K starts at 0; a first conv never reads it (its ntk is its nngp)
  if (mode == 0 || <i32>opc(ops, 0, 0) != OP_CONV) memory.fill(K, 0, <usize>(T * (mode == 0 ? 1 : H * W)) << 3);
  let relu = 0;
  let kZero = true; // ntk0 = 0 until the first dense/conv: skip its box filter
  let kIsN = false; // K is N (not materialised) after a first conv
  let preScaled = mode == 1 && Cc > 1 && nops > 0 && <i32>opc(ops, 0, 0) == OP_CONV; // the maps carry the next conv's a/9
  let kAddN = false; // K lacks the conv's nngp N (the summing ReLU next adds its terms)
  const qs = ci(ctx, C_QSTR);
  for (let o = 0; o < oEnd; o++) {
    const code = <i32>opc(ops, o, 0), a = opc(ops, o, 1), bb = opc(ops, o, 2), Pin = <i32>opc(ops, o, 3);
    const len = T * Pin;
    if (kIsN && code != OP_RELU) { memory.copy(K, N, <usize>len << 3); kIsN = false; }
    if (code == OP_DENSE) {
      affine(N, len, a, bb);
      // ntk <- nngp_new + w2 ntk
      affine(K, len, a, 0.0);
      axpy(K, N, len, 1.0);
      kZero = false;
    } else if (code == OP_RELU) {
      const pre = <i32>a;
      const tp = scr + (6 + 3 * <usize>relu) * slot; // tape: inputs N, K and the angles
      // (pixel maps store the tape's inputs in their own sweep)
      if (tape && Pin == 1) { memory.copy(tp, N, <usize>len << 3); memory.copy(tp + slot, kIsN ? N : K, <usize>len << 3); }
      const TH = tape ? tp + 2 * slot : 0;
      const qa = at(cp(ctx, C_Q1), pre * n1 + b * Pin), qb = at(cp(ctx, C_Q2), pre * n2 + i0 * Pin);
      const ra = at(qa, qs * n1), rb = at(qb, qs * n2);
      if (Pin == 1) { // a 1 x 1 image: the flat maps, which read K
        if (kIsN) { memory.copy(K, N, <usize>len << 3); kIsN = false; }
        reluFwd(N, K, qa, ra, 0, qb, rb, TH, T);
      } else {
        // a flatten right after (and no tape): keep only the pixel sums
        const fuse = !tape && o + 1 < oEnd && <i32>opc(ops, o + 1, 0) == OP_FLATTEN;
        // a conv next: its scale a/9 goes into the maps' 1/(2 pi), so the box filter has none
        preScaled = o + 1 < oEnd && <i32>opc(ops, o + 1, 0) == OP_CONV;
        const osc = preScaled ? INV2PI * (opc(ops, o + 1, 1) / 9.0) : INV2PI;
        const stg = stagingOf(ctx, scr), sums = tmp;
        for (let t = 0; t < T; t++)
          reluPix(at(N, t * Pin), at(K, t * Pin), ra, at(rb, t * Pin), qa, at(qb, t * Pin), TH ? at(TH, t * Pin) : 0, slot, Pin, fuse ? at(sums, 2 * t) : 0, kIsN, osc, stg, kAddN);
        if (fuse) {
          const inv = 1.0 / <f64>Pin;
          for (let t = 0; t < T; t++) { st(N, t, ld(sums, 2 * t) * inv); st(K, t, ld(sums, 2 * t + 1) * inv); }
          o++; // the flatten is done
        }
        kIsN = false; kAddN = false;
      }
      relu++;
    } else if (code == OP_CONV) {
      const ac = preScaled ? 9.0 : a; // box(.) a/9 = box(.) when the ReLU before applied a/9
      preScaled = false;
      // a pixel ReLU summed into a flatten next (Gram): it takes sum (K + N) A as sum K A +
      // sum N A, both of which it forms anyway, so no pass adding N to K here
      kAddN = !kZero && !tape && o + 2 < oEnd && <i32>opc(ops, o + 1, 0) == OP_RELU && <i32>opc(ops, o + 1, 3) > 1
        && <i32>opc(ops, o + 2, 0) == OP_FLATTEN;
      for (let t = 0; t < T; t++) {
        const nt = at(N, t * Pin), kt = at(K, t * Pin);
        box(nt, nt, tmp, H, W, ac, bb);
        if (!kZero) { box(kt, kt, tmp, H, W, ac, 0.0); if (!kAddN) axpy(kt, nt, Pin, 1.0); }
      }
      if (kZero) kIsN = true;
      kZero = false;
    } else if (code == OP_FLATTEN) {
      const inv = 1.0 / <f64>Pin;
      for (let t = 0; t < T; t++) {
        const sn = vsum(at(N, t * Pin), Pin), sk = vsum(at(K, t * Pin), Pin);
        st(N, t, sn * inv); st(K, t, sk * inv);
      }
    } else if (code == OP_SCALE) {
      affine(N, len, a, 0.0); affine(K, len, a, 0.0);
    }
  }
  return kIsN;
}

/** Gram rows: task = row b of X1 (columns ..b, the lower triangle, when symmetric). */
export function ntk_gram_task(ctx: usize, task: i32, tid: i32): void {
  if (ci(ctx, C_MODE) == 1) { gramRowBlock(ctx, task, tid); return; }
  const b = task + ci(ctx, C_ROW0);
  const scr = cp(ctx, C_SCR) + <usize>tid * cp(ctx, C_SCRB);
  const slot = slotBytes(ctx);
  const T = ci(ctx, C_T), n2 = ci(ctx, C_N2), ldo = ci(ctx, C_LDO);
  const outK = cp(ctx, C_OUTK), outN = cp(ctx, C_OUTN);
  const end = ci(ctx, C_SYM) != 0 ? b + 1 : n2;
  let i = 0;
  while (i < end) {
    const t = min(T, end - i);
    fwdTile(ctx, b, i, t, scr, false, ci(ctx, C_NOPS));
    if (outK) memory.copy(at(outK, b * ldo + i), scr + slot, <usize>t << 3);
    if (outN) memory.copy(at(outN, b * ldo + i), scr, <usize>t << 3);
    i += t;
  }
}

/**
 * Pixel-mode Gram rows (task = a block of ROWR rows from ROW0, up to ROWE): column i outer,
 * the block's rows inner, so column i's image and self maps (19 KB on MNIST, 40 KB on CIFAR)
 * are read from memory once per block instead of once per row; the block's own maps stay
 * in L2.
 */
function gramRowBlock(ctx: usize, task: i32, tid: i32): void {
  const R = ci(ctx, C_ROWR), b0 = ci(ctx, C_ROW0) + task * R, b1 = min(b0 + R, ci(ctx, C_ROWE));
  const scr = cp(ctx, C_SCR) + <usize>tid * cp(ctx, C_SCRB);
  const slot = slotBytes(ctx);
  const n2 = ci(ctx, C_N2), ldo = ci(ctx, C_LDO), sym = ci(ctx, C_SYM) != 0, nops = ci(ctx, C_NOPS);
  const outK = cp(ctx, C_OUTK), outN = cp(ctx, C_OUTN);
  const iEnd = sym ? b1 : n2;
  for (let i = 0; i < iEnd; i++) {
    for (let b = sym && i > b0 ? i : b0; b < b1; b++) {
      fwdTile(ctx, b, i, 1, scr, false, nops);
      if (outK) st(outK, b * ldo + i, ld(scr + slot, 0));
      if (outN) st(outN, b * ldo + i, ld(scr, 0));
    }
  }
}

/**
 * Self-covariance chain of one input (task = point): stores sqrt(q) at each ReLU input (and the
 * final nngp(x, x) at SAVEQ) into Q1 (which = 0) or Q2 (which = 1), and 1/sqrt(q) in a second
 * store of the same layout QSTR * npts values further on.
 */
export function ntk_self_task(ctx: usize, which: i32, task: i32, tid: i32): void {
  const scr = cp(ctx, C_SCR) + <usize>tid * cp(ctx, C_SCRB);
  const slot = slotBytes(ctx);
  const q = scr, tmp = scr + 4 * slot;
  const pt = task;
  const X = which ? cp(ctx, C_X2) : cp(ctx, C_X1), npts = which ? ci(ctx, C_N2) : ci(ctx, C_N1);
  const Q = which ? cp(ctx, C_Q2) : cp(ctx, C_Q1);
  const H = ci(ctx, C_H), W = ci(ctx, C_W), Cc = ci(ctx, C_C), d = ci(ctx, C_D);
  const x = at(X, pt * d);
  if (ci(ctx, C_MODE) == 0) {
    let s: f64 = 0;
    for (let j = 0; j < d; j++) { const v = ld(x, j); s += v * v; }
    st(q, 0, s / <f64>d);
  } else {
    const P = H * W;
    for (let p = 0; p < P; p++) {
      let s: f64 = 0;
      for (let c = 0; c < Cc; c++) { const v = ld(x, p * Cc + c); s += v * v; }
      st(q, p, s / <f64>Cc);
    }
  }
  const nops = ci(ctx, C_NOPS), ops = cp(ctx, C_OPS);
  for (let o = 0; o < nops; o++) {
    const code = <i32>opc(ops, o, 0), a = opc(ops, o, 1), bb = opc(ops, o, 2), Pin = <i32>opc(ops, o, 3);
    if (code == OP_DENSE) affine(q, Pin, a, bb);
    else if (code == OP_RELU || code == OP_SAVEQ) {
      const dst = at(Q, <i32>a * npts + pt * Pin), rdst = at(dst, ci(ctx, C_QSTR) * npts);
      // a ReLU's input keeps sqrt(q) (the pair maps need s = sqrt(qa qb) = sa sb), the final
      // nngp(x, x) of SAVEQ q itself; 1/sqrt(q) beside (0 where q = 0: then c = 0 and s = 0)
      if (code == OP_SAVEQ) memory.copy(dst, q, <usize>Pin << 3);
      else {
        let p = 0;
        for (; p + 2 <= Pin; p += 2) v128.store(at(dst, p), f64x2.sqrt(v128.load(at(q, p))));
        for (; p < Pin; p++) st(dst, p, Math.sqrt(ld(q, p)));
      }
      let p = 0;
      for (; p + 2 <= Pin; p += 2) {
        const v = v128.load(at(q, p));
        v128.store(at(rdst, p), v128.and(f64x2.div(sp(1.0), f64x2.sqrt(v)), f64x2.gt(v, sp(0.0))));
      }
      for (; p < Pin; p++) { const v = ld(q, p); st(rdst, p, v > 0 ? 1.0 / Math.sqrt(v) : 0.0); }
      if (code == OP_RELU) affine(q, Pin, 0.5, 0.0);
    } else if (code == OP_CONV) box(q, q, tmp, H, W, a, bb);
    else if (code == OP_FLATTEN) {
      let s: f64 = 0;
      for (let p = 0; p < Pin; p++) s += ld(q, p);
      st(q, 0, s / <f64>Pin);
    } else if (code == OP_SCALE) affine(q, Pin, a, 0.0);
  }
}

/**
 * Reverse pass over the tile (b, i..i+T_) left by fwdTile(tape = true), from the seeds in
 * gN, gK at the output of op oStart (relu0 ReLUs up to there; the final P = 1 when
 * oStart = nops - 1) down to the adjoints of nngp0 in gN. The ReLU q adjoints are summed
 * into GQ (row b), or, when sq is set (flat mode), stored per pair at sq + relu-th plane.
 */
function bwdTile(ctx: usize, b: i32, i: i32, T_: i32, scr: usize, sq: usize, oStart: i32, relu0: i32): void {
  const slot = slotBytes(ctx);
  const gN = scr + 2 * slot, gK = scr + 3 * slot, tmp = scr + 4 * slot;
  const n1 = ci(ctx, C_N1), n2 = ci(ctx, C_N2);
  const nops = ci(ctx, C_NOPS), ops = cp(ctx, C_OPS), nrelu = ci(ctx, C_NRELU);
  const H = ci(ctx, C_H), W = ci(ctx, C_W);
  const GQ = cp(ctx, C_GQ);
  let relu = relu0;
  for (let o = oStart; o >= 0; o--) {
    const code = <i32>opc(ops, o, 0), a = opc(ops, o, 1), bb = opc(ops, o, 2), Pin = <i32>opc(ops, o, 3);
    const len = T_ * Pin;
    if (code == OP_DENSE) {
      for (let j = 0; j < len; j++) { const k = ld(gK, j); st(gN, j, a * (ld(gN, j) + k)); st(gK, j, a * k); }
    } else if (code == OP_RELU) {
      relu--;
      const tp = scr + (6 + 3 * <usize>relu) * slot;
      const pre = <i32>a;
      const qa = at(cp(ctx, C_Q1), pre * n1 + b * Pin), qb = at(cp(ctx, C_Q2), pre * n2 + i * Pin);
      const gqa = at(GQ, pre * n1 + b * Pin);
      const ra = at(qa, ci(ctx, C_QSTR) * n1), rb = at(qb, ci(ctx, C_QSTR) * n2);
      const pair = sq ? at(sq, (relu * n1 + b) * n2 + i) : 0;
      if (Pin == 1) reluBwd(tp, tp + slot, tp + 2 * slot, gN, gK, qa, ra, 0, qb, rb, gqa, T_, pair);
      else {
        const stg = stagingOf(ctx, scr);
        for (let t = 0; t < T_; t++)
          reluPixBwd(at(tp, t * Pin), at(tp + slot, t * Pin), at(tp + 2 * slot, t * Pin), at(gN, t * Pin), at(gK, t * Pin), ra, at(rb, t * Pin), qa, at(qb, t * Pin), gqa, Pin, preAdds(ops, o), o > 1 || !preAdds(ops, o), kIsNAt(ops, o), stg);
      }
    } else if (code == OP_CONV) {
      for (let t = 0; t < T_; t++) {
        const nt = at(gN, t * Pin), kt = at(gK, t * Pin);
        if (!(o + 1 < nops && preAdds(ops, o + 1))) axpy(nt, kt, Pin, 1.0); // else the ReLU after did
        box(nt, nt, tmp, H, W, a, 0.0);
        if (o > 0) box(kt, kt, tmp, H, W, a, 0.0); // the input ntk (0) has no adjoint use
      }
    } else if (code == OP_FLATTEN) {
      const inv = 1.0 / <f64>Pin;
      for (let t = T_ - 1; t >= 0; t--) {
        const vn = ld(gN, t) * inv, vk = ld(gK, t) * inv;
        for (let p = 0; p < Pin; p++) { st(gN, t * Pin + p, vn); st(gK, t * Pin + p, vk); }
      }
    } else if (code == OP_SCALE) {
      affine(gN, len, a, 0.0); affine(gK, len, a, 0.0);
    }
  }
}

/**
 * VJP row (task = row b of X1): for W (n1 x n2), accumulates sum_i W[b,i] dTheta(x_b, x_i)/dx_b.
 * Flat mode writes the nngp0 adjoints to GN0 (the caller adds GN0 X2 / d by GEMM) and the
 * q-chain term to GX[b] (overwriting); pixel mode writes the whole gradient to GX[b].
 */
export function ntk_vjp_task(ctx: usize, task: i32, tid: i32): void {
  const scr = cp(ctx, C_SCR) + <usize>tid * cp(ctx, C_SCRB);
  const n1 = ci(ctx, C_N1), n2 = ci(ctx, C_N2), d = ci(ctx, C_D);
  const nops = ci(ctx, C_NOPS), ops = cp(ctx, C_OPS);
  const mode = ci(ctx, C_MODE), which = ci(ctx, C_WHICH);
  const GQ = cp(ctx, C_GQ);
  // pixel mode: a task is a block of ROWR rows, column i outer (its maps read once per block)
  const R = mode == 1 ? ci(ctx, C_ROWR) : 1, b0 = task * R, b1 = min(b0 + R, n1);
  for (let b = b0; b < b1; b++) {
    for (let o = 0; o < nops; o++)
      if (<i32>opc(ops, o, 0) == OP_RELU) {
        const Pin = <i32>opc(ops, o, 3);
        memory.fill(at(GQ, <i32>opc(ops, o, 1) * n1 + b * Pin), 0, <usize>Pin << 3);
      }
    memory.fill(at(cp(ctx, C_GX), b * d), 0, <usize>d << 3);
  }
  // Pixel mode: when only flatten / dense / scale follow the last ReLU, its output adjoints
  // are W[b, i] (fn, fk) on every pixel, so it runs forward and reverse in one sweep.
  let oR = -1;
  let fn: f64 = which == 0 ? 0.0 : 1.0, fk: f64 = which == 0 ? 1.0 : 0.0;
  if (mode == 1) {
    for (let o = nops - 1; o >= 0; o--) {
      const code = <i32>opc(ops, o, 0);
      if (code == OP_RELU) {
        if (<i32>opc(ops, o, 3) > 1 && o + 1 < nops && <i32>opc(ops, o + 1, 0) == OP_FLATTEN) oR = o;
        break;
      }
      if (code != OP_FLATTEN && code != OP_DENSE && code != OP_SCALE && code != OP_SAVEQ) break;
    }
    for (let o = nops - 1; o > oR && oR >= 0; o--) {
      const code = <i32>opc(ops, o, 0), a = opc(ops, o, 1);
      if (code == OP_DENSE) { fn = a * (fn + fk); fk = a * fk; }
      else if (code == OP_SCALE) { fn *= a; fk *= a; }
      else if (code == OP_FLATTEN) { const inv = 1.0 / opc(ops, o, 3); fn *= inv; fk *= inv; }
    }
    for (let i = 0; i < n2; i++)
      for (let b = b0; b < b1; b++) vjpTile(ctx, b, i, 1, scr, oR, fn, fk);
  } else {
    const T = ci(ctx, C_T);
    for (let i = 0; i < n2; i += T) vjpTile(ctx, b0, i, min(T, n2 - i), scr, oR, fn, fk);
  }
  if (mode == 1) scaleGq(ctx, b0, b1, oR);
  for (let b = b0; b < b1; b++) qchainPull(ctx, b, scr);
}

/**
 * Pixel-mode ReLUs add d/dqa without its factor 1/qa = ra^2 (and, taped ones, 1/(4 pi)):
 * it depends on the row image alone, so it is applied here once per row image instead of
 * once per pair and pixel.
 */
function scaleGq(ctx: usize, b0: i32, b1: i32, oR: i32): void {
  const n1 = ci(ctx, C_N1), nops = ci(ctx, C_NOPS), ops = cp(ctx, C_OPS), qs = ci(ctx, C_QSTR);
  const GQ = cp(ctx, C_GQ), Q1 = cp(ctx, C_Q1);
  for (let o = 0; o < nops; o++) {
    const Pin = <i32>opc(ops, o, 3);
    if (<i32>opc(ops, o, 0) != OP_RELU || Pin == 1) continue;
    const pre = <i32>opc(ops, o, 1);
    const f = sp(o == oR ? 1.0 : 0.5 * INV2PI);
    for (let b = b0; b < b1; b++) {
      const g = at(GQ, pre * n1 + b * Pin), r = at(Q1, (qs + pre) * n1 + b * Pin);
      let p = 0;
      for (; p + 2 <= Pin; p += 2) {
        const rv = v128.load(at(r, p));
        v128.store(at(g, p), f64x2.mul(v128.load(at(g, p)), f64x2.mul(f64x2.mul(rv, rv), f)));
      }
      for (; p < Pin; p++) { const rv = ld(r, p); st(g, p, ld(g, p) * (rv * rv * f64x2.extract_lane(f, 0))); }
    }
  }
}

/** One tile of ntk_vjp_task: pairs (b, i..i+T_), their gradient added to GX[b] (flat mode: adjoints to GN0). */
function vjpTile(ctx: usize, b: i32, i: i32, T_: i32, scr: usize, oR: i32, fn: f64, fk: f64): void {
  const slot = slotBytes(ctx);
  const gN = scr + 2 * slot, gK = scr + 3 * slot;
  const n1 = ci(ctx, C_N1), n2 = ci(ctx, C_N2);
  const nops = ci(ctx, C_NOPS), ops = cp(ctx, C_OPS), nrelu = ci(ctx, C_NRELU);
  const H = ci(ctx, C_H), W = ci(ctx, C_W), Cc = ci(ctx, C_C), d = ci(ctx, C_D);
  const mode = ci(ctx, C_MODE), which = ci(ctx, C_WHICH);
  const GQ = cp(ctx, C_GQ), GX = at(cp(ctx, C_GX), b * d), Wv = at(cp(ctx, C_WV), b * n2);
  const X2 = cp(ctx, C_X2);
  const invC = 1.0 / <f64>Cc;
  const stg = stagingOf(ctx, scr), qs = ci(ctx, C_QSTR);
  {
    if (oR >= 0) {
      const kIsN = fwdTile(ctx, b, i, T_, scr, true, oR);
      const pre = <i32>opc(ops, oR, 1), P = <i32>opc(ops, oR, 3);
      const qa = at(cp(ctx, C_Q1), pre * n1 + b * P), qb = at(cp(ctx, C_Q2), pre * n2 + i * P);
      const ra = at(qa, qs * n1), rb = at(qb, qs * n2);
      const gqa = at(GQ, pre * n1 + b * P);
      for (let t = 0; t < T_; t++) {
        const w = ld(Wv, i + t);
        reluPixFB(at(scr, t * P), at(scr + slot, t * P), ra, at(rb, t * P), qa, at(qb, t * P), at(gN, t * P), at(gK, t * P), gqa, P, w * fn, w * fk, kIsN, preAdds(ops, oR), oR > 1 || !preAdds(ops, oR), stg);
      }
      bwdTile(ctx, b, i, T_, scr, 0, oR - 1, nrelu - 1);
    } else {
      fwdTile(ctx, b, i, T_, scr, true, nops);
      // seeds (final P = 1)
      if (which == 0) { memory.copy(gK, at(Wv, i), <usize>T_ << 3); memory.fill(gN, 0, <usize>T_ << 3); }
      else { memory.copy(gN, at(Wv, i), <usize>T_ << 3); memory.fill(gK, 0, <usize>T_ << 3); }
      bwdTile(ctx, b, i, T_, scr, 0, nops - 1, nrelu);
    }
    if (mode == 0) memory.copy(at(cp(ctx, C_GN0), b * n2 + i), gN, <usize>T_ << 3);
    else {
      const P = H * W;
      for (let t = 0; t < T_; t++) {
        const x2 = at(X2, (i + t) * d), gt = at(gN, t * P);
        if (Cc == 1) {
          let p = 0;
          for (; p + 2 <= P; p += 2) v128.store(at(GX, p), f64x2.add(v128.load(at(GX, p)), f64x2.mul(v128.load(at(gt, p)), v128.load(at(x2, p)))));
          for (; p < P; p++) st(GX, p, ld(GX, p) + ld(gt, p) * ld(x2, p));
        } else {
          let p = 0;
          if (Cc == 3) { // RGB: two pixels per step, as the scalar loop computes them
            const ic = sp(invC);
            for (; p + 2 <= P; p += 2) {
              const o = 3 * p, gv = f64x2.mul(v128.load(at(gt, p)), ic);
              v128.store(at(GX, o), f64x2.add(v128.load(at(GX, o)), f64x2.mul(f64x2.shuffle(gv, gv, 0, 0), v128.load(at(x2, o)))));
              v128.store(at(GX, o + 2), f64x2.add(v128.load(at(GX, o + 2)), f64x2.mul(gv, v128.load(at(x2, o + 2)))));
              v128.store(at(GX, o + 4), f64x2.add(v128.load(at(GX, o + 4)), f64x2.mul(f64x2.shuffle(gv, gv, 1, 1), v128.load(at(x2, o + 4)))));
            }
          }
          for (; p < P; p++) {
            const gv = ld(gt, p) * invC;
            for (let c = 0; c < Cc; c++) st(GX, p * Cc + c, ld(GX, p * Cc + c) + gv * ld(x2, p * Cc + c));
          }
        }
      }
    }
  }
}


/**
 * Pulls the self-covariance adjoints GQ (row b) back through the q chain of x_b and adds
 * the result to GX[b] (flat mode: overwrites it).
 */
function qchainPull(ctx: usize, b: i32, scr: usize): void {
  const slot = slotBytes(ctx);
  const tmp = scr + 4 * slot, g = scr + 5 * slot;
  const n1 = ci(ctx, C_N1);
  const nops = ci(ctx, C_NOPS), ops = cp(ctx, C_OPS);
  const H = ci(ctx, C_H), W = ci(ctx, C_W), Cc = ci(ctx, C_C), d = ci(ctx, C_D);
  const mode = ci(ctx, C_MODE);
  const GQ = cp(ctx, C_GQ), GX = at(cp(ctx, C_GX), b * d), x1 = at(cp(ctx, C_X1), b * d);
  const invC = 1.0 / <f64>Cc;
  st(g, 0, 0.0);
  for (let o = nops - 1; o >= 0; o--) {
    const code = <i32>opc(ops, o, 0), a = opc(ops, o, 1), bb = opc(ops, o, 2), Pin = <i32>opc(ops, o, 3);
    if (code == OP_DENSE || code == OP_SCALE) affine(g, Pin, a, 0.0);
    else if (code == OP_RELU) {
      const gq = at(GQ, <i32>a * n1 + b * Pin);
      for (let p = 0; p < Pin; p++) st(g, p, 0.5 * ld(g, p) + ld(gq, p));
    } else if (code == OP_CONV) box(g, g, tmp, H, W, a, 0.0);
    else if (code == OP_FLATTEN) {
      const v = ld(g, 0) / <f64>Pin;
      for (let p = 0; p < Pin; p++) st(g, p, v);
    }
  }
  if (mode == 0) {
    const f = 2.0 * ld(g, 0) / <f64>d;
    for (let j = 0; j < d; j++) st(GX, j, f * ld(x1, j));
  } else {
    const Pp = H * W;
    for (let p = 0; p < Pp; p++) {
      const f = 2.0 * ld(g, p) * invC;
      for (let c = 0; c < Cc; c++) st(GX, p * Cc + c, ld(GX, p * Cc + c) + f * ld(x1, p * Cc + c));
    }
  }
}

/**
 * Fused forward + sensitivities, flat mode (task = row b of X1): writes the kernel (ntk when
 * WHICH = 0, nngp when 1) to OUTK[b, :], and per pair its derivative with respect to nngp0
 * to S0[b, :] and with respect to the row input's q at the relu-th ReLU to SQ[relu][b, :].
 * Any weights W then give the VJP without another pass (ntk_fused_bwd_task + one GEMM).
 */
export function ntk_sens_task(ctx: usize, task: i32, tid: i32): void {
  const b = task;
  const scr = cp(ctx, C_SCR) + <usize>tid * cp(ctx, C_SCRB);
  const slot = slotBytes(ctx);
  const gN = scr + 2 * slot, gK = scr + 3 * slot;
  const T = ci(ctx, C_T), n2 = ci(ctx, C_N2), which = ci(ctx, C_WHICH);
  const outK = cp(ctx, C_OUTK), S0 = cp(ctx, C_S0), SQ = cp(ctx, C_SQ);
  let i = 0;
  while (i < n2) {
    const T_ = min(T, n2 - i);
    fwdTile(ctx, b, i, T_, scr, true, ci(ctx, C_NOPS));
    memory.copy(at(outK, b * n2 + i), which == 0 ? scr + slot : scr, <usize>T_ << 3);
    const one = which == 0 ? gK : gN, zero = which == 0 ? gN : gK;
    for (let t = 0; t < T_; t++) st(one, t, 1.0);
    memory.fill(zero, 0, <usize>T_ << 3);
    bwdTile(ctx, b, i, T_, scr, SQ, ci(ctx, C_NOPS) - 1, ci(ctx, C_NRELU));
    memory.copy(at(S0, b * n2 + i), gN, <usize>T_ << 3);
    i += T_;
  }
}

/**
 * Backward of one weight matrix WV from the sensitivities (task = row b): GN0[b, i] =
 * WV[b, i] S0[b, i], GQ at each ReLU = sum_i WV[b, i] SQ[relu][b, i], then the q chain into
 * GX[b] (overwritten; the caller adds GN0 X2 / d by GEMM).
 */
export function ntk_fused_bwd_task(ctx: usize, task: i32, tid: i32): void {
  const b = task;
  const scr = cp(ctx, C_SCR) + <usize>tid * cp(ctx, C_SCRB);
  const n1 = ci(ctx, C_N1), n2 = ci(ctx, C_N2);
  const nops = ci(ctx, C_NOPS), ops = cp(ctx, C_OPS);
  const Wv = at(cp(ctx, C_WV), b * n2), S0 = at(cp(ctx, C_S0), b * n2), GN0 = at(cp(ctx, C_GN0), b * n2);
  const SQ = cp(ctx, C_SQ), GQ = cp(ctx, C_GQ);
  let j = 0;
  for (; j + 2 <= n2; j += 2) v128.store(at(GN0, j), f64x2.mul(v128.load(at(Wv, j)), v128.load(at(S0, j))));
  for (; j < n2; j++) st(GN0, j, ld(Wv, j) * ld(S0, j));
  let relu = 0;
  for (let o = 0; o < nops; o++)
    if (<i32>opc(ops, o, 0) == OP_RELU) {
      const sq = at(SQ, (relu * n1 + b) * n2);
      let acc = sp(0.0);
      let k = 0;
      for (; k + 2 <= n2; k += 2) acc = f64x2.add(acc, f64x2.mul(v128.load(at(Wv, k)), v128.load(at(sq, k))));
      let sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
      for (; k < n2; k++) sum += ld(Wv, k) * ld(sq, k);
      st(GQ, <i32>opc(ops, o, 1) * n1 + b, sum); // flat mode: Pin = 1
      relu++;
    }
  qchainPull(ctx, b, scr);
}
