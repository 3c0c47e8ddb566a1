// Packing of op(A) and op(B) blocks into the contiguous micro-panels the micro-kernels
// stream through (BLIS layout). Edge panels are zero-padded so the micro-kernel always
// runs a full MR x NR tile; transposes are absorbed here, so one kernel serves all four.

/**
 * Four strided f64 rows (src, src + ld, ...) of kc values -> dst[p*4 + r]: a 4 x 2
 * transpose per pair of p via lane shuffles (2 loads + 2 stores per row pair instead of
 * 8 scalar moves); the packing of row-major A and of B^T both reduce to it.
 */
function interleave4_f64(src: usize, ldBytes: usize, kc: i32, dst: usize): void {
  const s1 = src + ldBytes, s2 = s1 + ldBytes, s3 = s2 + ldBytes;
  let p = 0;
  for (; p + 2 <= kc; p += 2) {
    const o = <usize>p << 3;
    const r0 = v128.load(src + o), r1 = v128.load(s1 + o), r2 = v128.load(s2 + o), r3 = v128.load(s3 + o);
    const d = dst + (<usize>p << 5);
    v128.store(d, v128.shuffle<i64>(r0, r1, 0, 2));
    v128.store(d, v128.shuffle<i64>(r2, r3, 0, 2), 16);
    v128.store(d, v128.shuffle<i64>(r0, r1, 1, 3), 32);
    v128.store(d, v128.shuffle<i64>(r2, r3, 1, 3), 48);
  }
  if (p < kc) {
    const o = <usize>p << 3, d = dst + (<usize>p << 5);
    store<f64>(d, load<f64>(src + o));
    store<f64>(d, load<f64>(s1 + o), 8);
    store<f64>(d, load<f64>(s2 + o), 16);
    store<f64>(d, load<f64>(s3 + o), 24);
  }
}

/**
 * Two strided f64 rows of kc values -> dst + p*dstStride (2 consecutive values per p): a
 * 2 x 2 transpose per pair of p. The relaxed build's 6-row panels use three of them.
 */
function interleave2_f64(src: usize, ldBytes: usize, kc: i32, dst: usize, dstStride: usize): void {
  const s1 = src + ldBytes;
  let p = 0;
  for (; p + 2 <= kc; p += 2) {
    const o = <usize>p << 3;
    const r0 = v128.load(src + o), r1 = v128.load(s1 + o);
    const d = dst + <usize>p * dstStride;
    v128.store(d, v128.shuffle<i64>(r0, r1, 0, 2));
    v128.store(d + dstStride, v128.shuffle<i64>(r0, r1, 1, 3));
  }
  if (p < kc) {
    const o = <usize>p << 3, d = dst + <usize>p * dstStride;
    store<f64>(d, load<f64>(src + o));
    store<f64>(d, load<f64>(s1 + o), 8);
  }
}

/**
 * op(A)[i0:i0+mc, p0:p0+kc] -> dst as ceil(mc/mr) panels of kc x mr (row index fastest).
 * op(A)[i][p] = A[i*lda + p] (transA = 0) or A[p*lda + i] (transA = 1). f64 elements.
 */
export function pack_a_f64(transA: i32, A: usize, lda: i32, i0: i32, p0: i32, mc: i32, kc: i32, mr: i32, dst: usize): void {
  const ld = <usize>lda;
  for (let ir = 0; ir < mc; ir += mr) {
    const rows = min(mr, mc - ir);
    if (transA) {
      // rows of op(A) are contiguous within each row of A: copy runs of `rows` values
      for (let p = 0; p < kc; p++) {
        const src = A + ((<usize>(p0 + p) * ld + <usize>(i0 + ir)) << 3);
        const d = dst + (<usize>(p * mr) << 3);
        if (rows == mr && (mr & 1) == 0) {
          for (let r = 0; r < mr; r += 2) v128.store(d + (<usize>r << 3), v128.load(src + (<usize>r << 3)));
        } else {
          let r = 0;
          for (; r < rows; r++) store<f64>(d + (<usize>r << 3), load<f64>(src + (<usize>r << 3)));
          for (; r < mr; r++) store<f64>(d + (<usize>r << 3), 0.0);
        }
      }
    } else if (rows == 4 && mr == 4) {
      interleave4_f64(A + ((<usize>(i0 + ir) * ld + <usize>p0) << 3), ld << 3, kc, dst);
    } else if (rows == mr && mr == 6) {
      const src = A + ((<usize>(i0 + ir) * ld + <usize>p0) << 3);
      for (let r = 0; r < 6; r += 2) interleave2_f64(src + ((<usize>r * ld) << 3), ld << 3, kc, dst + (<usize>r << 3), 48);
    } else {
      for (let r = 0; r < mr; r++) {
        const d = dst + (<usize>r << 3);
        if (r < rows) {
          const src = A + ((<usize>(i0 + ir + r) * ld + <usize>p0) << 3);
          for (let p = 0; p < kc; p++) store<f64>(d + (<usize>(p * mr) << 3), load<f64>(src + (<usize>p << 3)));
        } else {
          for (let p = 0; p < kc; p++) store<f64>(d + (<usize>(p * mr) << 3), 0.0);
        }
      }
    }
    dst += <usize>(kc * mr) << 3;
  }
}

/**
 * op(B)[p0:p0+kc, j0:j0+nc] -> dst as ceil(nc/nr) panels of kc x nr (column index fastest).
 * op(B)[p][j] = B[p*ldb + j] (transB = 0) or B[j*ldb + p] (transB = 1). f64 elements.
 */
export function pack_b_f64(transB: i32, B: usize, ldb: i32, p0: i32, j0: i32, kc: i32, nc: i32, nr: i32, dst: usize): void {
  const ld = <usize>ldb;
  for (let jr = 0; jr < nc; jr += nr) {
    const cols = min(nr, nc - jr);
    if (!transB) {
      for (let p = 0; p < kc; p++) {
        const src = B + ((<usize>(p0 + p) * ld + <usize>(j0 + jr)) << 3);
        const d = dst + (<usize>(p * nr) << 3);
        if (cols == nr && nr == 4) {
          v128.store(d, v128.load(src));
          v128.store(d, v128.load(src, 16), 16);
        } else {
          let c = 0;
          for (; c < cols; c++) store<f64>(d + (<usize>c << 3), load<f64>(src + (<usize>c << 3)));
          for (; c < nr; c++) store<f64>(d + (<usize>c << 3), 0.0);
        }
      }
    } else if (cols == 4 && nr == 4) {
      interleave4_f64(B + ((<usize>(j0 + jr) * ld + <usize>p0) << 3), ld << 3, kc, dst);
    } else {
      for (let c = 0; c < nr; c++) {
        const d = dst + (<usize>c << 3);
        if (c < cols) {
          const src = B + ((<usize>(j0 + jr + c) * ld + <usize>p0) << 3);
          for (let p = 0; p < kc; p++) store<f64>(d + (<usize>(p * nr) << 3), load<f64>(src + (<usize>p << 3)));
        } else {
          for (let p = 0; p < kc; p++) store<f64>(d + (<usize>(p * nr) << 3), 0.0);
        }
      }
    }
    dst += <usize>(kc * nr) << 3;
  }
}

/**
 * f32 analogue of interleave4_f64: four strided rows of kc values -> dst + p*dstStride
 * (4 consecutive f32 per p), a 4 x 4 transpose per 4 values of p.
 */
function interleave4_f32(src: usize, ldBytes: usize, kc: i32, dst: usize, dstStride: usize): void {
  const s1 = src + ldBytes, s2 = s1 + ldBytes, s3 = s2 + ldBytes;
  let p = 0;
  for (; p + 4 <= kc; p += 4) {
    const o = <usize>p << 2;
    const r0 = v128.load(src + o), r1 = v128.load(s1 + o), r2 = v128.load(s2 + o), r3 = v128.load(s3 + o);
    const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<i32>(r2, r3, 0, 4, 1, 5);
    const t2 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<i32>(r2, r3, 2, 6, 3, 7);
    const d = dst + <usize>p * dstStride;
    v128.store(d, v128.shuffle<i64>(t0, t1, 0, 2));
    v128.store(d + dstStride, v128.shuffle<i64>(t0, t1, 1, 3));
    v128.store(d + 2 * dstStride, v128.shuffle<i64>(t2, t3, 0, 2));
    v128.store(d + 3 * dstStride, v128.shuffle<i64>(t2, t3, 1, 3));
  }
  for (; p < kc; p++) {
    const o = <usize>p << 2, d = dst + <usize>p * dstStride;
    store<f32>(d, load<f32>(src + o));
    store<f32>(d, load<f32>(s1 + o), 4);
    store<f32>(d, load<f32>(s2 + o), 8);
    store<f32>(d, load<f32>(s3 + o), 12);
  }
}

/** Two strided f32 rows -> dst + p*dstStride (2 consecutive f32 per p); see interleave2_f64. */
function interleave2_f32(src: usize, ldBytes: usize, kc: i32, dst: usize, dstStride: usize): void {
  const s1 = src + ldBytes;
  let p = 0;
  for (; p + 4 <= kc; p += 4) {
    const o = <usize>p << 2;
    const r0 = v128.load(src + o), r1 = v128.load(s1 + o);
    const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7);
    const d = dst + <usize>p * dstStride;
    v128.store64_lane(d, t0, 0);
    v128.store64_lane(d + dstStride, t0, 1);
    v128.store64_lane(d + 2 * dstStride, t1, 0);
    v128.store64_lane(d + 3 * dstStride, t1, 1);
  }
  for (; p < kc; p++) {
    const o = <usize>p << 2, d = dst + <usize>p * dstStride;
    store<f32>(d, load<f32>(src + o));
    store<f32>(d, load<f32>(s1 + o), 4);
  }
}

/** f32 version of pack_a_f64. */
export function pack_a_f32(transA: i32, A: usize, lda: i32, i0: i32, p0: i32, mc: i32, kc: i32, mr: i32, dst: usize): void {
  const ld = <usize>lda;
  for (let ir = 0; ir < mc; ir += mr) {
    const rows = min(mr, mc - ir);
    if (transA) {
      for (let p = 0; p < kc; p++) {
        const src = A + ((<usize>(p0 + p) * ld + <usize>(i0 + ir)) << 2);
        const d = dst + (<usize>(p * mr) << 2);
        if (rows == mr && mr == 4) {
          v128.store(d, v128.load(src));
        } else if (rows == mr && mr == 6) {
          v128.store(d, v128.load(src));
          store<u64>(d, load<u64>(src, 16), 16);
        } else {
          let r = 0;
          for (; r < rows; r++) store<f32>(d + (<usize>r << 2), load<f32>(src + (<usize>r << 2)));
          for (; r < mr; r++) store<f32>(d + (<usize>r << 2), 0.0);
        }
      }
    } else if (rows == 4 && mr == 4) {
      interleave4_f32(A + ((<usize>(i0 + ir) * ld + <usize>p0) << 2), ld << 2, kc, dst, 16);
    } else if (rows == mr && mr == 6) {
      const src = A + ((<usize>(i0 + ir) * ld + <usize>p0) << 2);
      interleave4_f32(src, ld << 2, kc, dst, 24);
      interleave2_f32(src + ((<usize>4 * ld) << 2), ld << 2, kc, dst + 16, 24);
    } else {
      for (let r = 0; r < mr; r++) {
        const d = dst + (<usize>r << 2);
        if (r < rows) {
          const src = A + ((<usize>(i0 + ir + r) * ld + <usize>p0) << 2);
          for (let p = 0; p < kc; p++) store<f32>(d + (<usize>(p * mr) << 2), load<f32>(src + (<usize>p << 2)));
        } else {
          for (let p = 0; p < kc; p++) store<f32>(d + (<usize>(p * mr) << 2), 0.0);
        }
      }
    }
    dst += <usize>(kc * mr) << 2;
  }
}

/** f32 version of pack_b_f64. */
export function pack_b_f32(transB: i32, B: usize, ldb: i32, p0: i32, j0: i32, kc: i32, nc: i32, nr: i32, dst: usize): void {
  const ld = <usize>ldb;
  for (let jr = 0; jr < nc; jr += nr) {
    const cols = min(nr, nc - jr);
    if (!transB) {
      for (let p = 0; p < kc; p++) {
        const src = B + ((<usize>(p0 + p) * ld + <usize>(j0 + jr)) << 2);
        const d = dst + (<usize>(p * nr) << 2);
        if (cols == nr && nr == 8) {
          v128.store(d, v128.load(src));
          v128.store(d, v128.load(src, 16), 16);
        } else {
          let c = 0;
          for (; c < cols; c++) store<f32>(d + (<usize>c << 2), load<f32>(src + (<usize>c << 2)));
          for (; c < nr; c++) store<f32>(d + (<usize>c << 2), 0.0);
        }
      }
    } else if (cols == 8 && nr == 8) {
      const src = B + ((<usize>(j0 + jr) * ld + <usize>p0) << 2);
      interleave4_f32(src, ld << 2, kc, dst, 32);
      interleave4_f32(src + ((ld << 2) << 2), ld << 2, kc, dst + 16, 32);
    } else {
      for (let c = 0; c < nr; c++) {
        const d = dst + (<usize>c << 2);
        if (c < cols) {
          const src = B + ((<usize>(j0 + jr + c) * ld + <usize>p0) << 2);
          for (let p = 0; p < kc; p++) store<f32>(d + (<usize>(p * nr) << 2), load<f32>(src + (<usize>p << 2)));
        } else {
          for (let p = 0; p < kc; p++) store<f32>(d + (<usize>(p * nr) << 2), 0.0);
        }
      }
    }
    dst += <usize>(kc * nr) << 2;
  }
}
