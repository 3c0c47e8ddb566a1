// Runs the bench cases: node dist/bench/run.js [--quick] [--only <case>] [--threads 1,2] [--write]
// Add a case by writing bench/cases/<name>.ts exporting run(ctx): Promise<Row[]> and listing
// its name in CASES.
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { machineInfo, table, writeResults, type Ctx, type CaseModule, type Row } from './harness.js';

export const CASES = ['gemm', 'gram', 'factor', 'kernels', 'attack', 'auto_attack', 'builds', 'nn', 'features', 'paper_cost'];

const NOTES = [
  'ours: AssemblyScript SIMD kernels in wasm (this package) on operands already in wasm memory (gemmRaw/gramRaw); a fresh engine per row, so `cold s` is the first call (V8 tiering, first touch of new memory, worker start-up included).',
  'numpy: numpy matmul on OpenBLAS in a python3 subprocess with OPENBLAS_NUM_THREADS = threads (X @ X.T dispatches to syrk).',
  'tfjs: @tensorflow/tfjs-backend-wasm 4.22, SIMD non-threaded build (its multithread support check fails in Node), so f32 at 1 thread only.',
  'ml-matrix 6.15: pure JS, measured only for small sizes (one rep).',
  'builds: the relaxed-SIMD (FMA, 6x4 f64 / 6x8 f32 register tile) and SIMD (4x4 / 4x8) builds of this package in one process, alternating; `simd build/ours` on a relaxed row is the gain. Needs relaxed SIMD (Node 22+; run on Node 26.10.0). Rows marked CPU seconds time one thread by process CPU time (ours and numpy alike): on a machine loaded by other jobs that is the cost on a core of its own, and it reproduces between runs where wall-clock ratios do not.',
  'nn: the paper\'s Sec. 5 CNNs in f32 at the largest --threads count; pytorch = Debian python3-torch 1.13 on OpenBLAS-openmp (bench/peers/torch_cnn_peer.py, from ../shared/anchors), same threads, MALLOC_MMAP_MAX_=0; tfjs_wasm = @tensorflow/tfjs-backend-wasm 4.22, 1 thread, with a substitute Conv2DBackpropFilter (im2col + BatchMatMul from its own kernels; it has none) and the gradients tfjs-core\'s Node bundle does not register (bench/peers/tfjs_cnn.ts).',
  'Gram GF/s counts n(n+1)d flops (what a symmetric product needs); GEMM counts 2n^3.',
];

function parseArgs(argv: string[]): Ctx & { write: boolean; only?: string } {
  const ctx: Ctx & { write: boolean; only?: string } = { threads: [1, Math.min(2, availableParallelism())], quick: false, write: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') ctx.quick = true;
    else if (a === '--write') ctx.write = true;
    else if (a === '--only') ctx.only = argv[++i];
    else if (a === '--threads') {
      ctx.threads = (argv[++i] ?? '').split(',').map(Number);
      if (!ctx.threads.length || ctx.threads.some((t) => !Number.isInteger(t) || t < 1)) throw new Error(`--threads expects e.g. 1,2; got '${argv[i]}'`);
    } else throw new Error(`unknown argument '${a}' (use --quick, --only <case>, --threads 1,2, --write)`);
  }
  ctx.threads = [...new Set(ctx.threads)];
  for (const c of ctx.only?.split(',') ?? []) if (!CASES.includes(c)) throw new Error(`--only: unknown case '${c}'; cases: ${CASES.join(', ')}`);
  return ctx;
}

async function main(): Promise<void> {
  const ctx = parseArgs(process.argv.slice(2));
  const machine = machineInfo();
  console.log(Object.entries(machine).map(([k, v]) => `${k}: ${v}`).join('\n'));
  const rows: Row[] = [], byCase: Record<string, Row[]> = {};
  const only = ctx.only?.split(',');
  for (const name of CASES) {
    if (only && !only.includes(name)) continue;
    console.log(`\n== ${name} ==`);
    const mod = (await import(`./cases/${name}.js`)) as CaseModule;
    byCase[name] = await mod.run({ threads: ctx.threads, quick: ctx.quick });
    rows.push(...byCase[name]);
  }
  console.log('\n' + table(rows));
  if (ctx.write) {
    machine['load average at end (1/5/15 min)'] = loadavg().map((x) => x.toFixed(2)).join(' / ');
    const path = fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url));
    writeResults(path, byCase, machine, NOTES);
    console.log(`\nwrote ${path}`);
  }
  process.exit(0); // tfjs keeps handles open
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
