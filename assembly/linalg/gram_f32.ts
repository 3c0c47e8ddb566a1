// f32 Gram matrices, same scheme as gram_f64.ts: G = X X^T from lower-triangle GEMM tiles,
// then the strict upper triangle mirrored from the lower one.
import { gemm_f32, gemm_f32_lower } from './gemm_f32';
import { gram_tiles, mirror_tasks } from './gram_f64';
import { triRow, mirrorRows } from './gram_common';

/** Task kernel: lower-triangle tile `task` (t x t) of G = X X^T; scratch per tid. */
export function gram_f32_task(
  n: i32, d: i32, X: usize, ldx: i32, G: usize, ldg: i32, work: usize, workBytes: usize, t: i32,
  task: i32, tid: i32,
): void {
  const bi = triRow(task), bj = task - bi * (bi + 1) / 2;
  const i0 = bi * t, j0 = bj * t;
  if (i0 >= n) return;
  // diagonal tiles: lower-triangle micro-tiles only (the mirror fills the rest)
  if (bi == bj) gemm_f32_lower(0, 1, min(t, n - i0), min(t, n - j0), d, <f32>1.0,
    X + ((<usize>i0 * <usize>ldx) << 2), ldx, X + ((<usize>j0 * <usize>ldx) << 2), ldx,
    <f32>0.0, G + ((<usize>i0 * <usize>ldg + <usize>j0) << 2), ldg, work + <usize>tid * workBytes);
  else gemm_f32(0, 1, min(t, n - i0), min(t, n - j0), d, <f32>1.0,
    X + ((<usize>i0 * <usize>ldx) << 2), ldx, X + ((<usize>j0 * <usize>ldx) << 2), ldx,
    <f32>0.0, G + ((<usize>i0 * <usize>ldg + <usize>j0) << 2), ldg, work + <usize>tid * workBytes);
}

/** Task kernel: copies the lower triangle into the upper one for rows [task*MB, +MB). */
export function mirror_f32_task(n: i32, G: usize, ldg: i32, task: i32, tid: i32): void {
  mirrorRows<f32>(n, G, ldg, task);
}

/** G = X X^T on one thread (work: gemm_f32_work_bytes()). */
export function gram_f32(n: i32, d: i32, X: usize, ldx: i32, G: usize, ldg: i32, work: usize): void {
  const t: i32 = 256;
  const nt = gram_tiles(n, t);
  for (let task = 0; task < nt; task++) gram_f32_task(n, d, X, ldx, G, ldg, work, 0, t, task, 0);
  const nm = mirror_tasks(n);
  for (let task = 0; task < nm; task++) mirror_f32_task(n, G, ldg, task, 0);
}
