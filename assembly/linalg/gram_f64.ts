// Gram matrices G = X X^T (n x n, X n x d row-major) through the GEMM machinery: only the
// lower-triangle tiles are computed (X[rows bi] X[rows bj]^T with bj <= bi, i.e. gemm with
// transB), then the strict upper triangle is mirrored from the lower one. X Y^T needs no
// kernel of its own: it is gemm(transB = 1).
import { gemm_f64, gemm_f64_lower } from './gemm_f64';
import { MB, triRow, mirrorRows } from './gram_common';

/** Number of lower-triangle tiles (diagonal included) for n rows and tile size t. */
export function gram_tiles(n: i32, t: i32): i32 {
  const nb = (n + t - 1) / t;
  return nb * (nb + 1) / 2;
}

/** Task kernel: lower-triangle tile `task` (t x t) of G = X X^T; scratch per tid. */
export function gram_f64_task(
  n: i32, d: i32, X: usize, ldx: i32, G: usize, ldg: i32, work: usize, workBytes: usize, t: i32,
  task: i32, tid: i32,
): void {
  const bi = triRow(task), bj = task - bi * (bi + 1) / 2;
  const i0 = bi * t, j0 = bj * t;
  if (i0 >= n) return;
  // diagonal tiles: lower-triangle micro-tiles only (the mirror fills the rest)
  if (bi == bj) gemm_f64_lower(0, 1, min(t, n - i0), min(t, n - j0), d, 1.0,
    X + ((<usize>i0 * <usize>ldx) << 3), ldx, X + ((<usize>j0 * <usize>ldx) << 3), ldx,
    0.0, G + ((<usize>i0 * <usize>ldg + <usize>j0) << 3), ldg, work + <usize>tid * workBytes);
  else gemm_f64(0, 1, min(t, n - i0), min(t, n - j0), d, 1.0,
    X + ((<usize>i0 * <usize>ldx) << 3), ldx, X + ((<usize>j0 * <usize>ldx) << 3), ldx,
    0.0, G + ((<usize>i0 * <usize>ldg + <usize>j0) << 3), ldg, work + <usize>tid * workBytes);
}

/** Task kernel: copies the lower triangle into the upper one for rows [task*MB, +MB). */
export function mirror_f64_task(n: i32, G: usize, ldg: i32, task: i32, tid: i32): void {
  mirrorRows<f64>(n, G, ldg, task);
}

/** Number of mirror_f64_task tasks for n rows. */
export function mirror_tasks(n: i32): i32 {
  return (n + MB - 1) / MB;
}

/** G = X X^T on one thread (work: gemm_f64_work_bytes()). */
export function gram_f64(n: i32, d: i32, X: usize, ldx: i32, G: usize, ldg: i32, work: usize): void {
  const t: i32 = 256;
  const nt = gram_tiles(n, t);
  for (let task = 0; task < nt; task++) gram_f64_task(n, d, X, ldx, G, ldg, work, 0, t, task, 0);
  const nm = mirror_tasks(n);
  for (let task = 0; task < nm; task++) mirror_f64_task(n, G, ldg, task, 0);
}
