// Terminal progress bar on stderr. On a TTY it redraws in place (\r); otherwise (CI logs,
// pipes) it prints a whole line every ~5% or every few seconds, so logs stay readable.
import { formatProgress, type ProgressCallback } from './progress.js';

export interface ProgressBarOptions {
  quiet?: boolean;
  /** Default process.stderr. */
  stream?: { write(s: string): unknown; isTTY?: boolean };
  /** Non-TTY: print at least every this many percent (default 5) ... */
  stepPercent?: number;
  /** ... or when this many ms passed since the last line (default 5000). */
  intervalMs?: number;
  /** TTY: minimum ms between redraws (default 100). */
  redrawMs?: number;
  /** Clock in ms (tests inject one). */
  now?: () => number;
}

export interface ProgressBar {
  /** Pass as `onProgress`. */
  update: ProgressCallback;
  /** Prints the final state (if not yet printed) and ends the line. */
  finish(): void;
}

export function progressBar(opts: ProgressBarOptions = {}): ProgressBar {
  const stream = opts.stream ?? process.stderr;
  const now = opts.now ?? (() => performance.now());
  const tty = !!stream.isTTY;
  const step = opts.stepPercent ?? 5, interval = opts.intervalMs ?? 5000, redraw = opts.redrawMs ?? 100;
  let start: number | null = null, lastT = -Infinity, lastPct = -Infinity, lastLen = 0;
  let state: { done: number; total: number; label?: string } | null = null, printedFinal = false, open = false;

  const emit = (t: number) => {
    if (!state) return;
    const line = formatProgress(state.done, state.total, (t - start!) / 1000, state.label);
    if (tty) {
      stream.write('\r' + line + ' '.repeat(Math.max(0, lastLen - line.length)));
      lastLen = line.length;
      open = true;
    } else stream.write(line + '\n');
    lastT = t;
    lastPct = state.total > 0 ? (100 * state.done) / state.total : 0;
    printedFinal = state.done >= state.total;
  };

  const update: ProgressCallback = (done, total, label) => {
    if (opts.quiet) return;
    const t = now();
    if (start === null) start = t;
    state = { done, total, label };
    const pct = total > 0 ? (100 * done) / total : 0;
    const final = done >= total;
    if (tty ? final || t - lastT >= redraw : final || pct - lastPct >= step || t - lastT >= interval) emit(t);
  };

  const finish = () => {
    if (opts.quiet) return;
    if (state && !printedFinal) emit(now());
    if (tty && open) stream.write('\n');
    open = false;
  };
  return { update, finish };
}
