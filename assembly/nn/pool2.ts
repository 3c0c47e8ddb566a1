// 2x2 pooling with stride 2 on NHWC batches (odd trailing rows/columns dropped, as PyTorch
// and Flax 'VALID' do), generic over f32/f64; one task per image.
//   avg: forward Y = mean of the window; VJP spreads dY / 4; JVP = forward (linear).
//   max: forward Y = window max; VJP routes dY to the first maximal entry (scan order
//        (0,0), (0,1), (1,0), (1,1)); JVP picks the tangent at that entry.

/** mode 0: Y = avg(X); mode 1: dX = spread(dY) (dX fully written, dropped rows zero). */
function avg<T>(mode: i32, X: usize, H: i32, W: i32, C: i32, Y: usize, b: i32): void {
  const Ho = H >> 1, Wo = W >> 1, sz = sizeof<T>();
  const xi = X + <usize>b * <usize>(H * W * C) * sz, yi = Y + <usize>b * <usize>(Ho * Wo * C) * sz;
  if (mode == 1 && ((H & 1) || (W & 1))) memory.fill(xi, 0, <usize>(H * W * C) * sz);
  const q: T = <T>0.25;
  for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) {
    const p00 = xi + <usize>(((2 * i) * W + 2 * j) * C) * sz, p01 = p00 + <usize>C * sz;
    const p10 = p00 + <usize>(W * C) * sz, p11 = p10 + <usize>C * sz;
    const y = yi + <usize>((i * Wo + j) * C) * sz;
    const L = <i32>(16 / sz), qv = v128.splat<T>(q);
    let c0 = 0;
    for (; c0 + L <= C; c0 += L) {
      const o = <usize>c0 * sz;
      if (mode == 0) v128.store(y + o, v128.mul<T>(qv, v128.add<T>(v128.add<T>(v128.load(p00 + o), v128.load(p01 + o)), v128.add<T>(v128.load(p10 + o), v128.load(p11 + o)))));
      else {
        const g = v128.mul<T>(qv, v128.load(y + o));
        v128.store(p00 + o, g); v128.store(p01 + o, g); v128.store(p10 + o, g); v128.store(p11 + o, g);
      }
    }
    for (let c = c0; c < C; c++) {
      const o = <usize>c * sz;
      if (mode == 0) store<T>(y + o, q * (load<T>(p00 + o) + load<T>(p01 + o) + load<T>(p10 + o) + load<T>(p11 + o)));
      else {
        const g = q * load<T>(y + o);
        store<T>(p00 + o, g); store<T>(p01 + o, g); store<T>(p10 + o, g); store<T>(p11 + o, g);
      }
    }
  }
}

/** Offset of the window's first maximum in scan order (strict >: a later tie does not win). */
@inline function firstMax<T>(X: usize, e00: usize, e01: usize, e10: usize, e11: usize): usize {
  let best = e00, m = load<T>(X + e00);
  let v = load<T>(X + e01); if (v > m) { m = v; best = e01; }
  v = load<T>(X + e10); if (v > m) { m = v; best = e10; }
  v = load<T>(X + e11); if (v > m) { best = e11; }
  return best;
}

/**
 * mode 0: out = max(X) (Y-sized); 1: out = VJP of dIn (Y-sized) into X-sized; 2: out = JVP of
 * dIn (X-sized), Y-sized. Task b reads input image b / xPer of X (xPer > 1: the empirical NTK's
 * rows, xPer rows per sample, share their sample's input) and image b of dIn and out.
 */
function maxp<T>(mode: i32, X: usize, dIn: usize, H: i32, W: i32, C: i32, out: usize, xPer: i32, b: i32): void {
  const Ho = H >> 1, Wo = W >> 1, sz = sizeof<T>();
  const oOff = <usize>b * <usize>(H * W * C) * sz, yOff = <usize>b * <usize>(Ho * Wo * C) * sz;
  X += <usize>(b / xPer) * <usize>(H * W * C) * sz; // this task's input image
  if (mode == 1) {
    // the window's first maximum (scan order, strict >, as the scalar loop below) lane-wise:
    // each of the 4 entries gets dy or 0, so dX needs no zeroing except dropped odd rows/columns
    if ((H & 1) || (W & 1)) memory.fill(out + oOff, 0, <usize>(H * W * C) * sz);
    const L = <i32>(16 / sz), cV = C - C % L;
    for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) {
      const e00 = <usize>(((2 * i) * W + 2 * j) * C) * sz, e01 = e00 + <usize>C * sz;
      const e10 = e00 + <usize>(W * C) * sz, e11 = e10 + <usize>C * sz;
      const y = yOff + <usize>((i * Wo + j) * C) * sz;
      for (let c0 = 0; c0 < cV; c0 += L) {
        const o = <usize>c0 * sz;
        const x00 = v128.load(X + e00 + o), x01 = v128.load(X + e01 + o), x10 = v128.load(X + e10 + o), x11 = v128.load(X + e11 + o);
        const s01 = v128.gt<T>(x01, x00), m2 = v128.bitselect(x01, x00, s01);
        const s10 = v128.gt<T>(x10, m2), m3 = v128.bitselect(x10, m2, s10);
        const s11 = v128.gt<T>(x11, m3);
        const w10 = v128.andnot(s10, s11), w01 = v128.andnot(v128.andnot(s01, s10), s11);
        const w00 = v128.not(v128.or(v128.or(s01, s10), s11));
        const g = v128.load(dIn + y + o), q = out + oOff;
        v128.store(q + e00 + o, v128.and(g, w00)); v128.store(q + e01 + o, v128.and(g, w01));
        v128.store(q + e10 + o, v128.and(g, w10)); v128.store(q + e11 + o, v128.and(g, s11));
      }
      for (let c = cV; c < C; c++) {
        const o = <usize>c * sz;
        const best = firstMax<T>(X, e00 + o, e01 + o, e10 + o, e11 + o);
        store<T>(out + oOff + e00 + o, 0); store<T>(out + oOff + e01 + o, 0); store<T>(out + oOff + e10 + o, 0); store<T>(out + oOff + e11 + o, 0);
        store<T>(out + oOff + best, load<T>(dIn + y + o));
      }
    }
    return;
  }
  for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) {
    const e00 = <usize>(((2 * i) * W + 2 * j) * C) * sz, e01 = e00 + <usize>C * sz;
    const e10 = e00 + <usize>(W * C) * sz, e11 = e10 + <usize>C * sz;
    const y = yOff + <usize>((i * Wo + j) * C) * sz;
    let c0 = 0;
    if (mode == 0) {
      // forward: lane-wise max (the JVP below needs the first maximal entry: scalar)
      const L = <i32>(16 / sz);
      for (; c0 + L <= C; c0 += L) {
        const o = <usize>c0 * sz;
        const m = v128.max<T>(v128.max<T>(v128.load(X + e00 + o), v128.load(X + e01 + o)), v128.max<T>(v128.load(X + e10 + o), v128.load(X + e11 + o)));
        v128.store(out + y + o, m);
      }
    }
    for (let c = c0; c < C; c++) {
      const o = <usize>c * sz;
      const best = firstMax<T>(X, e00 + o, e01 + o, e10 + o, e11 + o);
      store<T>(out + y + o, mode == 0 ? load<T>(X + best) : load<T>(dIn + oOff + best));
    }
  }
}

export function nn_avgpool_f32(mode: i32, X: usize, H: i32, W: i32, C: i32, Y: usize, task: i32, tid: i32): void { avg<f32>(mode, X, H, W, C, Y, task); }
export function nn_avgpool_f64(mode: i32, X: usize, H: i32, W: i32, C: i32, Y: usize, task: i32, tid: i32): void { avg<f64>(mode, X, H, W, C, Y, task); }
export function nn_maxpool_f32(mode: i32, X: usize, dIn: usize, H: i32, W: i32, C: i32, out: usize, xPer: i32, task: i32, tid: i32): void { maxp<f32>(mode, X, dIn, H, W, C, out, xPer, task); }
export function nn_maxpool_f64(mode: i32, X: usize, dIn: usize, H: i32, W: i32, C: i32, out: usize, xPer: i32, task: i32, tid: i32): void { maxp<f64>(mode, X, dIn, H, W, C, out, xPer, task); }
