import { gram_f64 } from "../linalg/gram_f64";
import { gram_f32 } from "../linalg/gram_f32";
import { gemm_f64_work_bytes } from "../linalg/gemm_f64";

function ptr<T>(a: StaticArray<T>): usize { return changetype<usize>(a); }
const work = new StaticArray<u8>(<i32>gemm_f64_work_bytes());

describe("gram", () => {
  it("X X^T is exactly symmetric and matches the dot products (f64, f32)", () => {
    // n = 300 spans two 256-row tiles (off-diagonal tile + ragged diagonal tile)
    const n = 300, d = 37;
    const X = new StaticArray<f64>(n * d), Xs = new StaticArray<f32>(n * d);
    let s: u32 = 7;
    for (let i = 0; i < n * d; i++) {
      s = s * 1664525 + 1013904223;
      Xs[i] = <f32>(<f64>(s >>> 8) / 8388608.0 - 1.0);
      X[i] = <f64>Xs[i];
    }
    const G = new StaticArray<f64>(n * n), Gs = new StaticArray<f32>(n * n);
    G.fill(NaN); Gs.fill(NaN);
    gram_f64(n, d, ptr(X), d, ptr(G), n, ptr(work));
    gram_f32(n, d, ptr(Xs), d, ptr(Gs), n, ptr(work));
    let err64: f64 = 0, err32: f64 = 0, asym: f64 = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let dot: f64 = 0;
      for (let l = 0; l < d; l++) dot += X[i * d + l] * X[j * d + l];
      // |x| < 1 so sum |x_i x_j| <= d: bounds d * d * eps with eps 1.1e-16 / 6e-8
      err64 = max(err64, abs(G[i * n + j] - dot));
      err32 = max(err32, abs(<f64>Gs[i * n + j] - dot));
      asym = max(asym, abs(G[i * n + j] - G[j * n + i]) + abs(<f64>Gs[i * n + j] - <f64>Gs[j * n + i]));
    }
    expect<f64>(err64).toBeLessThan(<f64>(d * d) * 1.2e-16);
    expect<f64>(err32).toBeLessThan(<f64>(d * d) * 6e-8);
    expect<f64>(asym).toBe(0.0);
  });
});
