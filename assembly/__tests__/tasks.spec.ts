import { gemm_f64, gemm_f64_task, gemm_f64_work_bytes } from "../linalg/gemm_f64";
import { gram_f64, gram_f64_task, mirror_f64_task, gram_tiles, mirror_tasks } from "../linalg/gram_f64";

function ptr<T>(a: StaticArray<T>): usize { return changetype<usize>(a); }
const WB = gemm_f64_work_bytes();
const work = new StaticArray<u8>(<i32>WB * 2);

function rand(n: i32, seed: u32): StaticArray<f64> {
  const a = new StaticArray<f64>(n);
  let s = seed;
  for (let i = 0; i < n; i++) { s = s * 1664525 + 1013904223; a[i] = <f64>(s >>> 8) / 8388608.0 - 1.0; }
  return a;
}

describe("task kernels", () => {
  it("gemm_f64_task over all tiles (ragged, any tid) equals one gemm_f64 call bit for bit", () => {
    const m = 75, n = 53, k = 41, tm = 16, tn = 24;
    const A = rand(k * m, 1), B = rand(n * k, 2);
    const C1 = new StaticArray<f64>(m * n), C2 = new StaticArray<f64>(m * n);
    gemm_f64(1, 1, m, n, k, 1.5, ptr(A), m, ptr(B), k, 0.0, ptr(C1), n, ptr(work));
    const tasks = ((m + tm - 1) / tm) * ((n + tn - 1) / tn);
    for (let t = tasks - 1; t >= 0; t--) {
      gemm_f64_task(1, 1, m, n, k, 1.5, ptr(A), m, ptr(B), k, 0.0, ptr(C2), n, ptr(work), WB, tm, tn, t, t & 1);
    }
    let diff: f64 = 0;
    for (let i = 0; i < m * n; i++) diff = max(diff, abs(C1[i] - C2[i]));
    expect<f64>(diff).toBe(0.0);
  });

  it("gram tiles of 16 + mirror tasks equal gram_f64 (tiles of 256)", () => {
    const n = 83, d = 9, t = 16;
    const X = rand(n * d, 3);
    const G1 = new StaticArray<f64>(n * n), G2 = new StaticArray<f64>(n * n);
    gram_f64(n, d, ptr(X), d, ptr(G1), n, ptr(work));
    G2.fill(NaN); // every entry must be written
    const nt = gram_tiles(n, t);
    expect<i32>(nt).toBe(21); // 6 row blocks -> 6 * 7 / 2 lower tiles
    for (let task = 0; task < nt; task++) gram_f64_task(n, d, ptr(X), d, ptr(G2), n, ptr(work), WB, t, task, task & 1);
    for (let task = 0; task < mirror_tasks(n); task++) mirror_f64_task(n, ptr(G2), n, task, 0);
    let diff: f64 = 0;
    for (let i = 0; i < n * n; i++) diff = max(diff, abs(G1[i] - G2[i]));
    expect<f64>(diff).toBe(0.0);
  });
});
