// Bias gradients of conv layers as column sums of the output cotangents: per J row for the
// empirical NTK's conv rows (jacobian.ts; the F(4x4) rows sum inside wino4GradTiles) and per image slot for the
// Winograd filter gradients (conv_winograd.ts, conv_winograd4.ts). Not re-exported by index.ts.

/** db_r = bs colsum(delta_r) of each of the sample's nO rows into J. */
export function convBiasRows<T>(dY: usize, HW: i32, Cout: i32, nO: i32, bs: f64, J: usize, ldJ: i32, colB: i32, task: i32): void {
  const sz = <usize>sizeof<T>();
  for (let q = 0; q < nO; q++) {
    const r = task * nO + q;
    const d = dY + <usize>r * <usize>(HW * Cout) * sz;
    const db = J + <usize>r * <usize>ldJ * sz + <usize>colB * sz;
    for (let o = 0; o < Cout; o++) store<T>(db + <usize>o * sz, 0);
    // SIMD over o where Cout allows (each channel still summed over p in order: same bits)
    const L = <i32>(16 / sizeof<T>()), oV = Cout % L == 0 ? Cout : 0;
    for (let p = 0; p < HW; p++) {
      const dr = d + <usize>(p * Cout) * sz;
      for (let o = 0; o < oV; o += L) { const q = db + <usize>o * sz; v128.store(q, v128.add<T>(v128.load(q), v128.load(dr + <usize>o * sz))); }
      for (let o = oV; o < Cout; o++) store<T>(db + <usize>o * sz, load<T>(db + <usize>o * sz) + load<T>(dr + <usize>o * sz));
    }
    for (let o = 0; o < Cout; o++) store<T>(db + <usize>o * sz, <T>(bs * <f64>load<T>(db + <usize>o * sz)));
  }
}


/** db = column sums of `rows` rows of Co values at dY, in row order (SIMD over channels; Co a multiple of the lanes). */
export function colSums<T>(dY: usize, rows: i32, Co: i32, db: usize): void {
  const sz = <usize>sizeof<T>(), L = <i32>(16 / sizeof<T>());
  memory.fill(db, 0, <usize>Co * sz);
  for (let r = 0; r < rows; r++) {
    const row = dY + <usize>r * <usize>Co * sz;
    for (let o = 0; o < Co; o += L) {
      const q = db + <usize>o * sz;
      v128.store(q, v128.add<T>(v128.load(q), v128.load(row + <usize>o * sz)));
    }
  }
}
