// Gram G = X X^T for X n x 784 (MNIST-sized features), f64 and f32: ours (gramRaw: lower
// tiles + mirror) vs numpy X @ X.T (OpenBLAS syrk), tfjs matMul(X, X, false, true) (f32)
// and ml-matrix (n = 1024 only). GF/s counts the n(n+1)d flops a symmetric product needs.
import { initNode, gramRaw, type Dtype } from '../../src/node.js';
import { timeit, timeitAsync, numpyTimes, coldAndMedian, PY_PRELUDE, type Ctx, type Row } from '../harness.js';
import { loadTfjs, loadMlMatrix } from '../peers.js';

const D = 784;
const PY = PY_PRELUDE + `
res = {}
rng = np.random.default_rng(0)
for n in args['sizes']:
    X = rng.random((n, args['d'])).astype(args['dtype'])
    res[str(n)] = tm(lambda: X @ X.T, args['reps'][str(n)])
print(json.dumps(res))
`;

const reps = (n: number) => (n <= 2048 ? 5 : n <= 4096 ? 3 : 1);

export async function run(ctx: Ctx): Promise<Row[]> {
  const sizes = ctx.quick ? [512, 1024] : [1024, 2048, 4096, 8192];
  const rows: Row[] = [];
  const tfjs = await loadTfjs();
  const ml = loadMlMatrix();
  for (const dt of ['f64', 'f32'] as Dtype[]) {
    for (const threads of ctx.threads) {
      const numpy = numpyTimes(PY, { sizes, d: D, dtype: dt === 'f64' ? 'float64' : 'float32', reps: Object.fromEntries(sizes.map((n) => [n, reps(n)])) }, threads);
      for (const n of sizes) {
        const e = initNode({ threads });
        const X = e.buffer(dt, n * D), G = e.buffer(dt, n * n);
        { const d = X.data; for (let i = 0; i < d.length; i++) d[i] = Math.random(); }
        const call = () => gramRaw(dt, n, n, D, X.ptr, D, 0, D, G.ptr, n);
        const { cold, median: ours } = coldAndMedian(call, reps(n));
        const peers: Record<string, number | null> = { numpy: numpy[String(n)] ?? null, tfjs: null, 'ml-matrix': null };
        if (dt === 'f32' && tfjs && threads === tfjs.threads) {
          const { tf } = tfjs;
          const x = tf.tensor2d(X.toArray(), [n, D]);
          peers.tfjs = await timeitAsync(async () => { const g = tf.matMul(x, x, false, true); await g.data(); g.dispose(); }, n <= 2048 ? { reps: 3 } : { reps: 1, warmup: 0 }); // 16 s per call at n = 4096
          x.dispose();
        }
        if (dt === 'f64' && ml && threads === 1 && n <= 1024) {
          const x = new ml.Matrix(n, D);
          for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) x.set(i, j, Math.random());
          peers['ml-matrix'] = timeit(() => x.mmul(x.transpose()), { reps: 1, warmup: 0 });
        }
        X.free(); G.free();
        const row: Row = { op: `gram ${dt} (d=${D})`, size: `${n}`, threads, ours_s: ours, gflops: (n * (n + 1) * D) / ours / 1e9, cold_s: cold, peers };
        console.log(JSON.stringify(row));
        rows.push(row);
      }
    }
  }
  return rows;
}
