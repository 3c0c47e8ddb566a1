// Symmetric Gram G = J J^T of the empirical NTK's Jacobian rows (src/nn/empirical_ntk.ts) for
// up to ~1000 rows and a very long k (the conv parameter count, ~287k for cifar-cnn).
// Why not gramRaw: its tiles re-pack a row block once per tile that meets it (5 times each
// row for 500 rows in 128-row tiles), a tenth of the whole eNTK's time. Here each k-slice of J
// is packed once, into groups of G rows k-major (pack_b's NR = G layout: 8 f32 / 4 f64, 32
// bytes per k), and that one packed slice feeds both sides of the micro-kernel: B panels
// directly, A panels as 4 of a group's G lanes (a 32-byte stride per k instead of 16).
// The k-slices are split over a fixed number of slots (task = slot), each summing into its
// own zeroed G copy; the reduction adds the slots in slot order, so the result does not
// depend on the thread count or on which thread ran which slot.
import { pack_b_f32, pack_b_f64 } from '../linalg/pack';
import { madd } from '../linalg/madd';

/**
 * 4 x G micro-tile: c[0:4, 0:G] += A B^T over kc steps, both read from one packed slice.
 * Not inlined into the task (a separate function, as microkernel_f32.ts says): V8 has no
 * on-stack replacement for wasm, so a long task would keep running its baseline code.
 */
function mkPacked_f32(kc: i32, a: usize, b: usize, c: usize, ldcB: usize): void { mkPacked<f32>(kc, a, b, c, ldcB); }
function mkPacked_f64(kc: i32, a: usize, b: usize, c: usize, ldcB: usize): void { mkPacked<f64>(kc, a, b, c, ldcB); }

/**
 * f32 6 x 8 micro-tile (12 accumulators + 2 B + 1 A = 15 registers: room only where the
 * multiply-add is fused, the relaxed build; the SIMD build's mul + add needs a 16th) from the
 * same 8-row packed slice: a 6-row tile starting at lane 0 or 2 of a group lies in one group,
 * at lane 4 or 6 it runs into the next one (a2 = that group, m1 = rows left in the first).
 */
function mkPacked6_f32(kc: i32, a: usize, a2: usize, m1: i32, b: usize, c: usize, ldcB: usize): void {
  if (m1 == 6) mk6(kc, a, a2, 6, b, c, ldcB);
  else if (m1 == 4) mk6(kc, a, a2, 4, b, c, ldcB);
  else mk6(kc, a, a2, 2, b, c, ldcB);
}

// row r of the tile at step p: a + 4 r (r < m1) or a2 + 4 (r - m1); m1 is a constant at each
// inlined call above, so the choice folds away
@inline function rowSplat(a: usize, a2: usize, m1: i32, r: i32): v128 {
  return r < m1 ? v128.load32_splat(a + <usize>(r << 2)) : v128.load32_splat(a2 + <usize>((r - m1) << 2));
}

@inline function mk6(kc: i32, a: usize, a2: usize, m1: i32, b: usize, c: usize, ldcB: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let av = rowSplat(a, a2, m1, 0);
    c00 = madd<f32>(av, b0, c00); c01 = madd<f32>(av, b1, c01);
    av = rowSplat(a, a2, m1, 1);
    c10 = madd<f32>(av, b0, c10); c11 = madd<f32>(av, b1, c11);
    av = rowSplat(a, a2, m1, 2);
    c20 = madd<f32>(av, b0, c20); c21 = madd<f32>(av, b1, c21);
    av = rowSplat(a, a2, m1, 3);
    c30 = madd<f32>(av, b0, c30); c31 = madd<f32>(av, b1, c31);
    av = rowSplat(a, a2, m1, 4);
    c40 = madd<f32>(av, b0, c40); c41 = madd<f32>(av, b1, c41);
    av = rowSplat(a, a2, m1, 5);
    c50 = madd<f32>(av, b0, c50); c51 = madd<f32>(av, b1, c51);
    a += 32; a2 += 32; b += 32;
  }
  v128.store(c, f32x4.add(v128.load(c), c00)); v128.store(c + 16, f32x4.add(v128.load(c + 16), c01)); c += ldcB;
  v128.store(c, f32x4.add(v128.load(c), c10)); v128.store(c + 16, f32x4.add(v128.load(c + 16), c11)); c += ldcB;
  v128.store(c, f32x4.add(v128.load(c), c20)); v128.store(c + 16, f32x4.add(v128.load(c + 16), c21)); c += ldcB;
  v128.store(c, f32x4.add(v128.load(c), c30)); v128.store(c + 16, f32x4.add(v128.load(c + 16), c31)); c += ldcB;
  v128.store(c, f32x4.add(v128.load(c), c40)); v128.store(c + 16, f32x4.add(v128.load(c + 16), c41)); c += ldcB;
  v128.store(c, f32x4.add(v128.load(c), c50)); v128.store(c + 16, f32x4.add(v128.load(c + 16), c51));
}

@inline function splatLoad<T>(a: usize): v128 {
  if (sizeof<T>() == 4) return v128.load32_splat(a);
  return v128.load64_splat(a);
}

@inline function mkPacked<T>(kc: i32, a: usize, b: usize, c: usize, ldcB: usize): void {
  const sz = <usize>sizeof<T>();
  let c00 = v128.splat<T>(0), c01 = v128.splat<T>(0);
  let c10 = v128.splat<T>(0), c11 = v128.splat<T>(0);
  let c20 = v128.splat<T>(0), c21 = v128.splat<T>(0);
  let c30 = v128.splat<T>(0), c31 = v128.splat<T>(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let av = splatLoad<T>(a);
    c00 = madd<T>(av, b0, c00); c01 = madd<T>(av, b1, c01);
    av = splatLoad<T>(a + sz);
    c10 = madd<T>(av, b0, c10); c11 = madd<T>(av, b1, c11);
    av = splatLoad<T>(a + 2 * sz);
    c20 = madd<T>(av, b0, c20); c21 = madd<T>(av, b1, c21);
    av = splatLoad<T>(a + 3 * sz);
    c30 = madd<T>(av, b0, c30); c31 = madd<T>(av, b1, c31);
    a += 32; b += 32;
  }
  v128.store(c, v128.add<T>(v128.load(c), c00)); v128.store(c + 16, v128.add<T>(v128.load(c + 16), c01)); c += ldcB;
  v128.store(c, v128.add<T>(v128.load(c), c10)); v128.store(c + 16, v128.add<T>(v128.load(c + 16), c11)); c += ldcB;
  v128.store(c, v128.add<T>(v128.load(c), c20)); v128.store(c + 16, v128.add<T>(v128.load(c + 16), c21)); c += ldcB;
  v128.store(c, v128.add<T>(v128.load(c), c30)); v128.store(c + 16, v128.add<T>(v128.load(c + 16), c31));
}

/**
 * Task = slot: Cs[slot] (npad x npad, rows ldc apart; npad = n rounded up to 8) = the lower
 * 4 x G tiles of sum over this slot's k-slices of X[:, slice] X[:, slice]^T. X: n rows of d
 * values, ldx apart. kc: slice length; per: slices per slot. P: per-thread packing scratch
 * (npad * kc elements at P + tid * pBytes).
 */
function gramSlot<T>(n: i32, d: i32, X: usize, ldx: i32, kc: i32, per: i32, Cs: usize, ldc: i32, P: usize, pBytes: usize, mr: i32, task: i32, tid: i32): void {
  const sz = <usize>sizeof<T>(), G = <i32>(32 / sizeof<T>());
  const npad = gramPad(n), ldcB = <usize>ldc * sz;
  const six = sizeof<T>() == 4 && mr == 6;
  const C = Cs + <usize>task * <usize>npad * ldcB, Pt = P + <usize>tid * pBytes;
  memory.fill(C, 0, <usize>npad * ldcB);
  const k0 = task * per * kc, k1 = min(d, (task + 1) * per * kc);
  for (let p0 = k0; p0 < k1; p0 += kc) {
    const kcs = min(kc, k1 - p0), panel = <usize>kcs * 32;
    if (sizeof<T>() == 4) pack_b_f32(1, X, ldx, p0, 0, kcs, n, G, Pt);
    else pack_b_f64(1, X, ldx, p0, 0, kcs, n, G, Pt);
    if (six) {
      // 6-row tiles reach row ceil(n / 6) * 6 - 1, possibly a group past the packed ones: zero it
      const packed = (n + G - 1) / G, need = ((n + 5) / 6 * 6 + G - 1) / G;
      if (need > packed) memory.fill(Pt + <usize>packed * panel, 0, <usize>(need - packed) * panel);
      for (let i = 0; i < n; i += 6) {
        const g = i / G, lane = i % G, m1 = min(6, G - lane);
        const a = Pt + <usize>g * panel + <usize>lane * sz, a2 = Pt + <usize>(g + 1) * panel;
        const c = C + <usize>i * ldcB;
        const jd = (i + 5) - (i + 5) % G;
        for (let j = 0; j < jd; j += G) mkPacked6_f32(kcs, a, a2, m1, Pt + <usize>(j / G) * panel, c + <usize>j * sz, ldcB);
        mkPacked6_f32(kcs, a, a2, m1, Pt + <usize>(jd / G) * panel, c + <usize>jd * sz, ldcB);
      }
      continue;
    }
    for (let i = 0; i < n; i += 4) {
      const a = Pt + <usize>(i / G) * panel + <usize>(i % G) * sz;
      const c = C + <usize>i * ldcB;
      // the tile on the diagonal apart: two call sites keep Binaryen from inlining the micro-kernel
      const jd = i - i % G;
      for (let j = 0; j < jd; j += G) {
        if (sizeof<T>() == 4) mkPacked_f32(kcs, a, Pt + <usize>(j / G) * panel, c + <usize>j * sz, ldcB);
        else mkPacked_f64(kcs, a, Pt + <usize>(j / G) * panel, c + <usize>j * sz, ldcB);
      }
      if (sizeof<T>() == 4) mkPacked_f32(kcs, a, Pt + <usize>(jd / G) * panel, c + <usize>jd * sz, ldcB);
      else mkPacked_f64(kcs, a, Pt + <usize>(jd / G) * panel, c + <usize>jd * sz, ldcB);
    }
  }
}

/** Rows (and columns) of one slot's C: n rounded up to 24, a multiple of both tile heights (4, 6) and of G. */
@inline function gramPad(n: i32): i32 { return (n + 23) / 24 * 24; }

/** Task = rows task*rows ..: G[r, c] = sum over slots (in slot order) of Cs[slot][r, c] for c <= r. */
function gramReduce<T>(n: i32, nSlots: i32, Cs: usize, ldc: i32, Gm: usize, ldg: i32, rows: i32, task: i32, tid: i32): void {
  const sz = <usize>sizeof<T>(), npad = gramPad(n), slot = <usize>npad * <usize>ldc * sz;
  const r1 = min(n, (task + 1) * rows);
  for (let r = task * rows; r < r1; r++) {
    const src = Cs + <usize>r * <usize>ldc * sz, dst = Gm + <usize>r * <usize>ldg * sz;
    for (let c = 0; c <= r; c++) {
      let s = load<T>(src + <usize>c * sz);
      for (let q = 1; q < nSlots; q++) s += load<T>(src + <usize>q * slot + <usize>c * sz);
      store<T>(dst + <usize>c * sz, s);
    }
  }
}

export function entk_gram_slot_f32(n: i32, d: i32, X: usize, ldx: i32, kc: i32, per: i32, Cs: usize, ldc: i32, P: usize, pBytes: usize, mr: i32, task: i32, tid: i32): void {
  gramSlot<f32>(n, d, X, ldx, kc, per, Cs, ldc, P, pBytes, mr, task, tid);
}
export function entk_gram_slot_f64(n: i32, d: i32, X: usize, ldx: i32, kc: i32, per: i32, Cs: usize, ldc: i32, P: usize, pBytes: usize, mr: i32, task: i32, tid: i32): void {
  gramSlot<f64>(n, d, X, ldx, kc, per, Cs, ldc, P, pBytes, mr, task, tid);
}
export function entk_gram_reduce_f32(n: i32, nSlots: i32, Cs: usize, ldc: i32, Gm: usize, ldg: i32, rows: i32, task: i32, tid: i32): void {
  gramReduce<f32>(n, nSlots, Cs, ldc, Gm, ldg, rows, task, tid);
}
export function entk_gram_reduce_f64(n: i32, nSlots: i32, Cs: usize, ldc: i32, Gm: usize, ldg: i32, rows: i32, task: i32, tid: i32): void {
  gramReduce<f64>(n, nSlots, Cs, ldc, Gm, ldg, rows, task, tid);
}
