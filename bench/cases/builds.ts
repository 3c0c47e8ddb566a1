// The relaxed-SIMD (FMA) builds (6-row tiles, and relaxed4's 4-row tiles) against the SIMD build, side by side in one run: f64/f32 GEMM,
// Gram, Cholesky + solve and eigh, each with its OpenBLAS peer measured in the same run.
// The builds alternate (simd, relaxed, simd, relaxed) and each keeps its better median, so a
// burst of load from other processes hits both alike. Needs a runtime with relaxed SIMD
// (Node 22+, or Node 20 with --experimental-wasm-relaxed-simd); elsewhere only the SIMD rows.
// On one thread, GEMM and Gram are also timed in CPU seconds (process CPU time, ours and
// numpy's): on a machine shared with other jobs that is what the op costs on a core it has to
// itself, so those ratios hold up under load where wall-clock ratios do not.
import { initNode, engine, gemmRaw, gramRaw, choleskyInPlace, choSolveInPlace, eigh, type Dtype } from '../../src/node.js';
import { hasRelaxedSimd } from '../../bindings/select.js';
import { timeit, numpyTimes, runPythonFile, PY_PRELUDE, type Ctx, type Row } from '../harness.js';

const PY = PY_PRELUDE + `
res = {}
rng = np.random.default_rng(0)
for key, op, n, d, dt, reps in args['cases']:
    A = rng.random((n, d)).astype(dt)
    B = rng.random((d, n)).astype(dt)
    f = (lambda: A @ B) if op == 'gemm' else (lambda: A @ A.T)
    res[key] = tm(f, reps)
    cpu = []
    for _ in range(reps):
        c0 = time.process_time(); f(); cpu.append(time.process_time() - c0)
    res[key + ' cpu'] = sorted(cpu)[len(cpu) // 2]
print(json.dumps(res))
`;

interface Op {
  key: string; op: string; size: string; flops: number; reps: number;
  /** Sets up inputs on the current engine and returns the timed call and a cleanup. */
  setup(): { call: () => void; free: () => void };
}

function fill(d: Float64Array | Float32Array, seed: number): void {
  let s = seed >>> 0;
  for (let i = 0; i < d.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; d[i] = s / 4294967296; }
}

function gemmOp(dt: Dtype, n: number): Op {
  return {
    key: `gemm ${dt} ${n}`, op: `gemm ${dt}`, size: `${n}`, flops: 2 * n ** 3, reps: n <= 1024 ? 5 : 3,
    setup() {
      const e = engine(), A = e.buffer(dt, n * n), B = e.buffer(dt, n * n), C = e.buffer(dt, n * n);
      fill(A.data, 1); fill(B.data, 2);
      return { call: () => gemmRaw(dt, false, false, n, n, n, 1, A.ptr, n, B.ptr, n, 0, C.ptr, n), free: () => { A.free(); B.free(); C.free(); } };
    },
  };
}

function gramOp(dt: Dtype, n: number, d: number): Op {
  return {
    key: `gram ${dt} ${n}`, op: `gram ${dt} (d=${d})`, size: `${n}`, flops: n * (n + 1) * d, reps: 3,
    setup() {
      const e = engine(), X = e.buffer(dt, n * d), G = e.buffer(dt, n * n);
      fill(X.data, 3);
      return { call: () => gramRaw(dt, n, n, d, X.ptr, d, 0, 0, G.ptr, n), free: () => { X.free(); G.free(); } };
    },
  };
}

function symmetric(n: number, shift: number): Float64Array {
  const a = new Float64Array(n * n);
  fill(a, 4);
  for (let i = 0; i < n; i++) { for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j] = a[i * n + j] - 0.5; a[i * n + i] += shift; }
  return a;
}

function cholOp(n: number): Op {
  const S = symmetric(n, n), Bs = new Float64Array(n * 10);
  fill(Bs, 5);
  return {
    key: `chol ${n}`, op: 'cholesky+solve(10) in wasm memory', size: `${n}`, flops: n ** 3 / 3 + 4 * n * n * 10, reps: 3,
    setup() {
      const e = engine(), A = e.buffer('f64', n * n), B = e.buffer('f64', n * 10);
      return {
        call: () => { A.data.set(S); B.data.set(Bs); choleskyInPlace(A, n); choSolveInPlace(A, n, B, 10); },
        free: () => { A.free(); B.free(); },
      };
    },
  };
}

function eighOp(n: number): Op {
  const A = { data: symmetric(n, 0), rows: n, cols: n };
  return { key: `eigh ${n}`, op: 'eigh (values + vectors)', size: `${n}`, flops: 0, reps: 2, setup: () => ({ call: () => { eigh(A); }, free: () => {} }) };
}

/** Median process CPU seconds of `reps` calls (one thread: the time on a core of its own). */
function cpuMedian(call: () => void, reps: number): number {
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    call();
    const c = process.cpuUsage(c0);
    t.push((c.user + c.system) / 1e6);
  }
  t.sort((a, b) => a - b);
  return t[t.length >> 1];
}

export async function run(ctx: Ctx): Promise<Row[]> {
  const builds = hasRelaxedSimd() ? (['simd', 'relaxed', 'relaxed4'] as const) : (['simd'] as const);
  if (builds.length === 1) console.error('builds: no relaxed SIMD in this runtime (Node 22+, or Node 20 with --experimental-wasm-relaxed-simd): SIMD rows only');
  const q = ctx.quick;
  const ops: Op[] = [
    gemmOp('f64', q ? 512 : 1024), gemmOp('f64', q ? 1024 : 2048), gemmOp('f32', q ? 1024 : 2048),
    gramOp('f64', q ? 1024 : 2048, 784), gramOp('f32', q ? 1024 : 2048, 784),
    cholOp(q ? 1024 : 2048), eighOp(q ? 512 : 1024),
  ];
  const rows: Row[] = [];
  for (const threads of ctx.threads) {
    const blas = ops.filter((o) => o.key.startsWith('gemm') || o.key.startsWith('gram')).map((o) => {
      const [kind, dt, n] = o.key.split(' ');
      return [o.key, kind, Number(n), kind === 'gemm' ? Number(n) : 784, dt === 'f64' ? 'float64' : 'float32', o.reps];
    });
    const numpy = numpyTimes(PY, { cases: blas }, threads);
    for (const o of ops) {
      const [kind, n] = [o.key.split(' ')[0], Number(o.key.split(' ').pop())];
      const peer = kind === 'chol' ? runPythonFile('factor-peers.py', ['chol', String(n), '3'], threads)?.median ?? null
        : kind === 'eigh' ? runPythonFile('factor-peers.py', ['eigh', String(n), '2'], threads)?.median ?? null
        : numpy[o.key] ?? null;
      const best: Record<string, number> = {}, bestCpu: Record<string, number> = {};
      const cpuToo = threads === 1 && (kind === 'gemm' || kind === 'gram');
      for (let round = 0; round < 2; round++) {
        for (const build of builds) {
          initNode({ threads, wasm: build });
          const { call, free } = o.setup();
          try {
            const t = timeit(call, { reps: o.reps, warmup: 1 });
            best[build] = Math.min(best[build] ?? Infinity, t);
            if (cpuToo) bestCpu[build] = Math.min(bestCpu[build] ?? Infinity, cpuMedian(call, o.reps));
          } finally { free(); }
        }
      }
      for (const build of builds) {
        const peers: Record<string, number | null> = { [kind === 'chol' ? 'scipy' : 'numpy']: peer };
        if (build !== 'simd') peers['simd build'] = best.simd;
        const row: Row = { op: `${o.op}, ${build}`, size: o.size, threads, ours_s: best[build], gflops: o.flops ? o.flops / best[build] / 1e9 : undefined, peers };
        console.log(JSON.stringify(row));
        rows.push(row);
      }
      if (cpuToo) for (const build of builds) {
        const peers: Record<string, number | null> = { numpy: numpy[o.key + ' cpu'] ?? null };
        if (build !== 'simd') peers['simd build'] = bestCpu.simd;
        const row: Row = { op: `${o.op}, ${build}, CPU seconds`, size: o.size, threads, ours_s: bestCpu[build], gflops: o.flops / bestCpu[build] / 1e9, peers };
        console.log(JSON.stringify(row));
        rows.push(row);
      }
    }
  }
  initNode({});
  return rows;
}
