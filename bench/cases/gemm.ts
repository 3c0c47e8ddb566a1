// GEMM C = A B, square n, f64 and f32: ours (gemmRaw on wasm-resident operands) vs numpy
// (OpenBLAS dgemm/sgemm), tfjs-backend-wasm matMul (f32) and ml-matrix mmul (small n).
import { initNode, gemmRaw, type Dtype } from '../../src/node.js';
import { timeit, timeitAsync, numpyTimes, coldAndMedian, PY_PRELUDE, type Ctx, type Row } from '../harness.js';
import { loadTfjs, loadMlMatrix } from '../peers.js';

const PY = PY_PRELUDE + `
res = {}
rng = np.random.default_rng(0)
for n in args['sizes']:
    A = rng.random((n, n)).astype(args['dtype']); B = rng.random((n, n)).astype(args['dtype'])
    res[str(n)] = tm(lambda: A @ B, args['reps'][str(n)])
print(json.dumps(res))
`;

export const reps = (n: number) => (n <= 1024 ? 5 : n <= 2048 ? 3 : 1);

export async function run(ctx: Ctx): Promise<Row[]> {
  const sizes = ctx.quick ? [256, 512] : [512, 1024, 2048, 4096];
  const rows: Row[] = [];
  const tfjs = await loadTfjs();
  const ml = loadMlMatrix();
  for (const dt of ['f64', 'f32'] as Dtype[]) {
    for (const threads of ctx.threads) {
      const numpy = numpyTimes(PY, { sizes, dtype: dt === 'f64' ? 'float64' : 'float32', reps: Object.fromEntries(sizes.map((n) => [n, reps(n)])) }, threads);
      for (const n of sizes) {
        const e = initNode({ threads }); // fresh engine: the first call below is truly cold
        const A = e.buffer(dt, n * n), B = e.buffer(dt, n * n), C = e.buffer(dt, n * n);
        for (const X of [A, B]) { const d = X.data; for (let i = 0; i < d.length; i++) d[i] = Math.random(); }
        const call = () => gemmRaw(dt, false, false, n, n, n, 1, A.ptr, n, B.ptr, n, 0, C.ptr, n);
        const { cold, median: ours } = coldAndMedian(call, reps(n));
        const peers: Record<string, number | null> = { numpy: numpy[String(n)] ?? null, tfjs: null, 'ml-matrix': null };
        if (dt === 'f32' && tfjs && threads === tfjs.threads) {
          const { tf } = tfjs;
          const a = tf.tensor2d(A.toArray(), [n, n]), b = tf.tensor2d(B.toArray(), [n, n]);
          peers.tfjs = await timeitAsync(async () => { const c = tf.matMul(a, b); await c.data(); c.dispose(); }, { reps: reps(n) });
          a.dispose(); b.dispose();
        }
        if (dt === 'f64' && ml && threads === 1 && n <= 512) {
          const a = new ml.Matrix(n, n), b = new ml.Matrix(n, n);
          for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { a.set(i, j, Math.random()); b.set(i, j, Math.random()); }
          peers['ml-matrix'] = timeit(() => a.mmul(b), { reps: 1, warmup: 1 });
        }
        A.free(); B.free(); C.free();
        const row: Row = { op: `gemm ${dt}`, size: `${n}`, threads, ours_s: ours, gflops: (2 * n ** 3) / ours / 1e9, cold_s: cold, peers };
        console.log(JSON.stringify(row));
        rows.push(row);
      }
    }
  }
  return rows;
}
