// Bench harness shared by every case module: timing, the python (numpy/OpenBLAS) peer,
// result rows, the printed table and bench/RESULTS.md.
import { spawnSync } from 'node:child_process';
import { cpus, availableParallelism, loadavg } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/io/atomic.js';

export interface Ctx {
  /** Thread counts to measure (ours and peers matched). */
  threads: number[];
  /** Smaller sizes for a fast smoke run. */
  quick: boolean;
}

/** One measured operation. Times are seconds (median); peers null when not measured. */
export interface Row {
  op: string;
  size: string;
  threads: number;
  ours_s: number;
  /** GF/s of ours (flop count / ours_s). */
  gflops?: number;
  /** First call on a fresh engine (compile tiers, page faults, worker start included). */
  cold_s?: number;
  peers: Record<string, number | null>;
}

export interface CaseModule {
  run(ctx: Ctx): Promise<Row[]>;
}

/** Median seconds over `reps` runs after `warmup` untimed runs. */
export function timeit(f: () => unknown, opts: { reps?: number; warmup?: number } = {}): number {
  const { reps = 5, warmup = 1 } = opts;
  for (let i = 0; i < warmup; i++) f();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    f();
    t.push((performance.now() - t0) / 1e3);
  }
  t.sort((a, b) => a - b);
  return t[t.length >> 1];
}

/** Async variant (for peers whose results arrive through promises, e.g. tfjs). */
export async function timeitAsync(f: () => Promise<unknown>, opts: { reps?: number; warmup?: number } = {}): Promise<number> {
  const { reps = 5, warmup = 1 } = opts;
  for (let i = 0; i < warmup; i++) await f();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await f();
    t.push((performance.now() - t0) / 1e3);
  }
  t.sort((a, b) => a - b);
  return t[t.length >> 1];
}

/** Spawns python3 with BLAS threads pinned to `threads`; returns the last stdout line as JSON. */
function python(argv: string[], input: string, threads: number, timeoutMs?: number): any {
  const t = String(threads);
  const r = spawnSync('python3', argv, {
    input,
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: t, OMP_NUM_THREADS: t, MKL_NUM_THREADS: t },
    maxBuffer: 64 << 20,
    timeout: timeoutMs,
  });
  if (r.error) throw new Error(`python3 failed: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`python3 exited with ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const out = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(out);
  } catch {
    throw new Error(`python3 printed no JSON: '${out.slice(0, 200)}'`);
  }
}

/**
 * Runs a python3 script with BLAS threads pinned to `threads`; `args` arrive as JSON on
 * stdin (json.load(sys.stdin)), the script prints one JSON value on stdout.
 */
export function runPython(script: string, args: object, threads: number): any {
  return python(['-c', script], JSON.stringify(args), threads);
}

/** A peer script file in bench/ run with command-line arguments; null (logged) when it fails. */
export function runPythonFile(file: string, argv: string[], threads: number): any | null {
  const path = fileURLToPath(new URL(`../../bench/${file}`, import.meta.url)); // dist/bench -> bench
  try {
    return python([path, ...argv], '', threads, 600_000);
  } catch (e) {
    console.error(`${file} peer failed: ${(e as Error).message}`);
    return null;
  }
}

/** runPython for peers: {} (logged) instead of an exception when python/numpy is unavailable. */
export function numpyTimes(script: string, args: object, threads: number): Record<string, number> {
  try {
    return runPython(script, args, threads);
  } catch (e) {
    console.error(`numpy peer failed: ${(e as Error).message}`);
    return {};
  }
}

/** The first call's seconds (cold: tier-up, page faults, worker start), then the median of `reps` more. */
export function coldAndMedian(f: () => unknown, reps: number): { cold: number; median: number } {
  const t0 = performance.now();
  f();
  const cold = (performance.now() - t0) / 1e3;
  return { cold, median: timeit(f, { reps, warmup: 0 }) };
}

/** numpy timing helper prepended to python peer scripts: tm(f, reps) -> median seconds. */
export const PY_PRELUDE = `
import json, sys, time
import numpy as np
def tm(f, reps):
    f()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
    ts.sort()
    return ts[len(ts) // 2]
args = json.load(sys.stdin)
`;

export function machineInfo(): Record<string, string> {
  let numpy = 'unavailable', blas = 'unavailable';
  try {
    const v = runPython(
      `import json, numpy as np\ncfg = np.show_config(mode='dicts')\nb = cfg['Build Dependencies']['blas']\nprint(json.dumps([np.__version__, b.get('name', '?') + ' ' + b.get('version', '?')]))`,
      {}, 1);
    [numpy, blas] = v;
  } catch { /* no python: peers will be null */ }
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: String(availableParallelism()),
    node: process.version,
    numpy,
    blas,
    date: new Date().toISOString(),
    // > cores means other processes competed for the CPU: absolute times are then noisy
    'load average at start (1/5/15 min)': loadavg().map((x) => x.toFixed(2)).join(' / '),
  };
}

const fmt = (x: number | null | undefined, d = 4) => (x == null || !Number.isFinite(x) ? '—' : x >= 100 ? x.toFixed(0) : x.toPrecision(d));

/** Markdown table: times, GF/s, and peer time / ours (> 1: ours faster). */
export function table(rows: Row[]): string {
  const peers = [...new Set(rows.flatMap((r) => Object.keys(r.peers)))];
  const head = ['op', 'size', 'thr', 'ours s', 'GF/s', 'cold s', ...peers.flatMap((p) => [`${p} s`, `${p}/ours`])];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const cells = [r.op, r.size, String(r.threads), fmt(r.ours_s), fmt(r.gflops, 3), fmt(r.cold_s)];
    for (const p of peers) {
      const v = r.peers[p];
      cells.push(fmt(v), v == null ? '—' : fmt(v / r.ours_s, 3));
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/**
 * Writes bench/RESULTS.md. Each case keeps its own section (with the machine state of the
 * run that measured it), so `--only <case> --write` refreshes one section and keeps the rest.
 */
/**
 * Rewrites the case sections this run measured; every other case section and the hand-written
 * text after a section's end marker (up to the next section or ## Notes) are kept as they were.
 */
export function writeResults(path: string, byCase: Record<string, Row[]>, machine: Record<string, string>, notes: string[]): void {
  const sections = new Map<string, string>(), trailers = new Map<string, string>();
  if (existsSync(path)) {
    const old = readFileSync(path, 'utf8');
    for (const m of old.matchAll(/<!-- case:([a-z0-9_-]+) -->\n([\s\S]*?)<!-- end:\1 -->\n([\s\S]*?)(?=<!-- case:|## Notes\n|$)/g)) {
      sections.set(m[1], m[2]);
      trailers.set(m[1], m[3].replace(/\n$/, '')); // the join below puts that newline back
    }
  }
  for (const [name, rows] of Object.entries(byCase)) {
    sections.set(name, [
      `## ${name}`, '',
      `Measured ${machine.date ?? new Date().toISOString()} on ${machine.cpu} (${machine.cores} cores), Node ${machine.node}, numpy ${machine.numpy} with ${machine.blas}; load average at start ${machine['load average at start (1/5/15 min)'] ?? '?'}, at end ${machine['load average at end (1/5/15 min)'] ?? '?'}.`, '',
      table(rows), '',
    ].join('\n'));
  }
  const { date: _d, ...stable } = machine;
  const md = [
    '# Benchmark results',
    '',
    'Generated by `npm run bench -- --write` (bench/run.ts). Times are medians in seconds;',
    '`peer/ours` > 1 means ours is faster. Peers run in the same process run, threads matched.',
    '',
    '## Machine',
    '',
    'Each section names the machine, Node and BLAS of the run that measured it (the project has',
    'run on more than one VM type); the latest run:',
    '',
    ...Object.entries(stable).filter(([k]) => !k.startsWith('load average')).map(([k, v]) => `- ${k}: ${v}`),
    '',
    ...[...sections.entries()].map(([name, body]) => `<!-- case:${name} -->\n${body}<!-- end:${name} -->\n${trailers.get(name) ?? ''}`),
    '## Notes',
    '',
    ...notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
  writeFileAtomic(path, md);
}
