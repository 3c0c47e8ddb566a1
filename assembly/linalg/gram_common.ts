// Pieces shared by the f64 and f32 Gram kernels (gram_f64.ts, gram_f32.ts). Not re-exported
// by index.ts: only the typed task kernels built on them are wasm exports.

/** Mirror block: an MB x MB source block (32 KiB in f64) stays in L1. */
export const MB: i32 = 64;

/** Tile index of the `task`-th lower-triangle tile (row-major over bi, bj <= bi): bi. */
@inline export function triRow(task: i32): i32 {
  let bi = <i32>((Math.sqrt(8.0 * <f64>task + 1.0) - 1.0) * 0.5);
  while ((bi + 1) * (bi + 2) / 2 <= task) bi++;
  while (bi * (bi + 1) / 2 > task) bi--;
  return bi;
}

/** Copies the lower triangle into the upper one for rows [task*MB, +MB) of the n x n G. */
@inline export function mirrorRows<T>(n: i32, G: usize, ldg: i32, task: i32): void {
  const i0 = task * MB, i1 = min(n, i0 + MB);
  const ld = <usize>ldg, sz = <usize>sizeof<T>();
  for (let j0 = i0; j0 < n; j0 += MB) {
    const j1 = min(n, j0 + MB);
    for (let i = i0; i < i1; i++) {
      const row = G + <usize>i * ld * sz;
      for (let j = max(j0, i + 1); j < j1; j++) {
        store<T>(row + <usize>j * sz, load<T>(G + (<usize>j * ld + <usize>i) * sz));
      }
    }
  }
}
