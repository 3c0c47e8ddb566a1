// `ntk kernel`: write the analytic NTK/NNGP Gram (and the test-by-train cross-kernel) as .npy.
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
  if (opts.x) {
    const a = imageInputs(opts.x, '--x');
    X = a.X; shape = a.shape;
    if (opts.x2) {
      const b = imageInputs(opts.x2, '--x2');
      if (b.X.cols !== X.cols || (b.shape ?? []).join('x') !== (shape ?? []).join('x'))
        throw new UsageError(`--x2 ${opts.x2}: inputs must have the shape of --x`);
      X2 = b.X;
    }
  } else {
    if (opts.x2) throw new UsageError('--x2 needs --x');
    const task = loadTask(opts);
    X = task.train.X; shape = task.shape;
    if (opts.test) X2 = task.test.X;
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
  say(`done in ${((performance.now() - t0) / 1000).toFixed(2)} s; wrote ${written.join(', ')}`);
}
