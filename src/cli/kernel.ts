// `ntk kernel`: write the analytic NTK/NNGP Gram (and the test-by-train cross-kernel) as .npy,
// with <name>.json (settings, data, statistics, timings) and <name>.report.html beside it.
import { Command, Option } from 'commander';
import { dirname, basename, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { arch as archKernel } from '../kernels/kernel.js';
import { readNpy, writeNpy } from '../io/npy-node.js';
import { progressBar } from '../io/progress-node.js';
import { checkFinite, type Matrix } from '../linalg/matrix.js';
import { engine } from '../engine.js';
import { addDataOptions, loadTask, type DataOptions } from './data_options.js';
import { ARCH_HELP } from './kernel_choice.js';
import { UsageError } from './errors.js';
import { checkFits, gramBytes } from './limits.js';
import { fmtBytes } from '../../bindings/heap.js';
import { writeFileAtomic } from '../io/atomic.js';
import { heatmapChart } from '../viz/charts/index.js';
import { writeChart } from '../viz/render-node.js';
import { writeReport } from '../viz/report-node.js';

interface KernelCmdOptions extends DataOptions {
  arch: string;
  n?: number;
  kind: 'ntk' | 'nngp';
  x?: string;
  x2?: string;
  out: string;
  quiet: boolean;
}

export function kernelCommand(): Command {
  const cmd = new Command('kernel')
    .description('compute the analytic NTK (or NNGP) Gram of a dataset subset or of your own inputs and write it as .npy')
    .option('--arch <name>', `architecture: ${ARCH_HELP}`, 'fc1')
    .addOption(new Option('--kind <k>', 'which kernel').choices(['ntk', 'nngp']).default('ntk'))
    .option('--n <n>', 'training points (alias of --train)')
    .option('--x <file.npy>', 'your own inputs instead of a dataset: (n, H, W, C), (n, H, W) or, for FC kernels, (n, d)')
    .option('--x2 <file.npy>', 'with --x: second input set; writes the cross-kernel K(x, x2)')
    .option('--out <file.npy>', 'output Gram; with a test set the cross-kernel goes to <name>_test.npy', 'K.npy')
    .option('-q, --quiet', 'no progress on stderr', false);
  // --test defaults to none here (0): the Gram alone
  addDataOptions(cmd, { train: 1000, test: 0 });
  cmd.action(async (opts: KernelCmdOptions & { n?: string }) => runKernel({ ...opts, train: opts.n !== undefined ? toN(opts.n) : opts.train }));
  return cmd;
}

function toN(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1) throw new UsageError(`--n: expected a positive integer, got '${v}'`);
  return n;
}

function imageInputs(path: string, what: string): { X: Matrix<Float64Array>; shape: [number, number, number] | null } {
  let arr;
  try { arr = readNpy(path); } catch (e) { throw new UsageError(`${what} ${path}: ${(e as Error).message}`); }
  const s = arr.shape;
  if (s.length < 2 || s.length > 4) throw new UsageError(`${what} ${path}: expected shape (n, d), (n, H, W) or (n, H, W, C), got (${s.join(', ')})`);
  if (typeof arr.data[0] === 'bigint') throw new UsageError(`${what} ${path}: integer dtype ${arr.descr} is not supported; save floats`);
  const data = Float64Array.from(arr.data as ArrayLike<number>);
  const n = s[0], d = data.length / Math.max(n, 1);
  const X = { data, rows: n, cols: d };
  try { checkFinite(X, `${what} ${path}`); } catch (e) { throw new UsageError((e as Error).message); }
  const shape: [number, number, number] | null = s.length === 2 ? null : [s[1], s[2], s.length === 4 ? s[3] : 1];
  return { X, shape };
}

async function runKernel(opts: KernelCmdOptions): Promise<void> {
  const say = (s: string) => { if (!opts.quiet) process.stderr.write(s + '\n'); };
  let X: Matrix<Float64Array>, X2: Matrix<Float64Array> | null = null, shape: [number, number, number] | null;
  let data: Record<string, unknown>;
  if (opts.x) {
    const a = imageInputs(opts.x, '--x');
    X = a.X; shape = a.shape;
    if (opts.x2) {
      const b = imageInputs(opts.x2, '--x2');
      if (b.X.cols !== X.cols || (b.shape ?? []).join('x') !== (shape ?? []).join('x'))
        throw new UsageError(`--x2 ${opts.x2}: inputs must have the shape of --x`);
      X2 = b.X;
    }
    data = { inputs: opts.x, rows: X.rows, features: X.cols, shape: shape ?? null, ...(opts.x2 ? { inputs2: opts.x2, rows2: X2!.rows } : {}) };
  } else {
    if (opts.x2) throw new UsageError('--x2 needs --x');
    const task = loadTask(opts);
    X = task.train.X; shape = task.shape;
    if (opts.test) X2 = task.test.X;
    data = task.info;
    say(`ntk kernel: ${task.description}`);
  }
  let kernel;
  try {
    kernel = archKernel(opts.arch);
    kernel.program(X.cols, shape ?? undefined);
  } catch (e) {
    throw new UsageError(`--arch ${opts.arch}: ${(e as Error).message}${shape ? '' : ' (flat (n, d) inputs fit FC kernels only; give images as (n, H, W[, C]))'}`);
  }
  const m2 = X2 ? X2.rows : 0, d = X.cols;
  // Gram + cross-kernel + both input sets, all resident in wasm memory
  checkFits(opts.x ? '--x rows' : '--n', X.rows, (n) => gramBytes(n) + 8 * (n * m2 + (n + m2) * d),
    `the ${X.rows} x ${X.rows} f64 Gram alone is ${fmtBytes(gramBytes(X.rows))}`);
  const out = opts.out;
  if (!out.endsWith('.npy')) throw new UsageError(`--out ${out}: expected a file name ending in .npy`);
  mkdirSync(dirname(out) || '.', { recursive: true });
  const t0 = performance.now();
  const get = opts.kind;
  const bar = progressBar({ quiet: opts.quiet });
  const kopts = { get, shape: shape ?? undefined, onProgress: (d: number, t: number) => bar.update(d, t, `${get} Gram ${X.rows} x ${X.rows}`) } as const;
  say(`${engine().threads} thread(s)`);
  const K = kernel.kernelFn(X, null, kopts)[get]!;
  bar.finish();
  writeNpy(out, K.data, [K.rows, K.cols]);
  const written = [out];
  if (X2) {
    const bar2 = progressBar({ quiet: opts.quiet });
    const Kx = kernel.kernelFn(X2, X, { ...kopts, onProgress: (d, t) => bar2.update(d, t, `cross-kernel ${X2!.rows} x ${X.rows}`) })[get]!;
    bar2.finish();
    const p = opts.x ? join(dirname(out), basename(out, '.npy') + '_x2.npy') : join(dirname(out), basename(out, '.npy') + '_test.npy');
    writeNpy(p, Kx.data, [Kx.rows, Kx.cols]);
    written.push(p);
  }
  const tKernels = (performance.now() - t0) / 1000;
  const stem = join(dirname(out), basename(out, '.npy'));
  const files = await writeKernelReport(stem, { opts, K, data, written, seconds: tKernels });
  say(`done in ${tKernels.toFixed(2)} s; wrote ${[...written, ...files].join(', ')}`);
  process.stdout.write(`report: ${stem}.report.html\n`);
}

/** Gram statistics, <stem>.json, a heatmap of the leading block and <stem>.report.html. */
async function writeKernelReport(stem: string, c: { opts: KernelCmdOptions; K: Matrix<Float64Array>; data: Record<string, unknown>; written: string[]; seconds: number }): Promise<string[]> {
  const { opts, K } = c, n = K.rows;
  let dmin = Infinity, dmax = -Infinity, dsum = 0, omin = Infinity, omax = -Infinity;
  for (let i = 0; i < n; i++) {
    const d = K.data[i * n + i];
    dmin = Math.min(dmin, d); dmax = Math.max(dmax, d); dsum += d;
    for (let j = 0; j < n; j++) if (j !== i) { const v = K.data[i * n + j]; omin = Math.min(omin, v); omax = Math.max(omax, v); }
  }
  const stats = { n, diagonalMin: dmin, diagonalMean: dsum / n, diagonalMax: dmax, offDiagonalMin: n > 1 ? omin : null, offDiagonalMax: n > 1 ? omax : null };
  const settings = { arch: opts.arch, kind: opts.kind, out: opts.out, ...(opts.x ? { x: opts.x, x2: opts.x2 ?? null } : { dataset: opts.dataset, train: opts.train, test: opts.test, seed: opts.seed }) };
  const dir = dirname(stem), name = basename(stem);
  // the leading block (at most 40 x 40) as a heatmap: readable cells, and the same picture at any n
  const b = Math.min(n, 40), block = new Float64Array(b * b);
  for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) block[i * b + j] = K.data[i * n + j];
  const fig = await writeChart(dir, `${name}-block`, heatmapChart({ values: block, rows: b, cols: b }, {
    title: `${opts.kind.toUpperCase()} Gram of ${opts.arch}${b < n ? `: first ${b} of ${n} points` : ''}`, xLabel: 'point j', yLabel: 'point i', colorLabel: `K(x_i, x_j)` }));
  const files = [...fig.files.map((f) => join(dir, f)), `${stem}.json`, `${stem}.report.html`];
  const json = { tool: 'ntk-robustness', command: 'kernel', date: new Date().toISOString(), settings, data: c.data, gram: stats,
    timings: { kernelSeconds: c.seconds }, engine: { threads: engine().threads, wasmPeakBytes: engine().heap.peak }, node: process.version,
    files: [...c.written, ...files].map((f) => basename(f)) };
  writeFileAtomic(`${stem}.json`, JSON.stringify(json, null, 2) + '\n');
  writeReport(dir, {
    title: `ntk kernel: ${opts.kind.toUpperCase()} Gram of ${opts.arch}`, command: ['ntk', ...process.argv.slice(2)].join(' '), date: json.date,
    summary: [`${n} x ${n} ${opts.kind.toUpperCase()} Gram written to ${basename(opts.out)}; diagonal ${dmin.toPrecision(4)} .. ${dmax.toPrecision(4)}`],
    figures: [{ title: 'Leading block of the Gram', svg: fig.svg, file: basename(fig.files[0]) }],
    tables: [{ title: 'Gram statistics', columns: Object.keys(stats), rows: [Object.values(stats)] }],
    settings: { ...settings, threads: engine().threads }, data: c.data, timings: { kernels: c.seconds },
    files: json.files,
  }, `${name}.report.html`);
  return files;
}
