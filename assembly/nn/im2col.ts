// im2col for 3x3 SAME convolutions on NHWC batches, shared by conv3x3.ts and jacobian.ts
// (not re-exported by index.ts: generic, so no wasm export).

/** Patches of rows r0..r0+rows of the B*H*W pixel rows -> dst (rows x 9C, order (dy, dx, c)). */
export function im2col<T>(X: usize, H: i32, W: i32, C: i32, r0: i32, rows: i32, dst: usize): void {
  const HW = H * W, K = 9 * C, cb = <usize>C * sizeof<T>();
  for (let r = 0; r < rows; r++) {
    const p = r0 + r, b = p / HW, q = p - b * HW, y = q / W, x = q - y * W;
    const img = X + <usize>b * <usize>HW * cb;
    let d = dst + <usize>r * <usize>K * sizeof<T>();
    for (let dy = -1; dy <= 1; dy++) {
      const yy = y + dy;
      for (let dx = -1; dx <= 1; dx++) {
        const xx = x + dx;
        if (yy < 0 || yy >= H || xx < 0 || xx >= W) memory.fill(d, 0, cb);
        else if (C == 1) store<T>(d, load<T>(img + <usize>(yy * W + xx) * sizeof<T>()));
        else memory.copy(d, img + <usize>(yy * W + xx) * cb, cb);
        d += cb;
      }
    }
  }
}
