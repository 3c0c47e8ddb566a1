// Progress reporting. Long computations take an `onProgress` callback (browser-safe);
// renderers (a terminal bar in progress-node.ts, a DOM bar in a page) consume it.

export type ProgressCallback = (done: number, total: number, label?: string) => void;

/** Human-readable duration: 42s, 3m05s, 1h02m. */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '?';
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function formatRate(r: number): string {
  if (!Number.isFinite(r) || r <= 0) return '-';
  if (r >= 100) return r.toFixed(0);
  if (r >= 1) return r.toFixed(1);
  return r.toPrecision(2);
}

/**
 * One progress line: `label [#####.....]  45% 450/1000  12.3/s  ETA 44s`.
 * `elapsedSec` is the time since the start; rate and ETA come from it.
 */
export function formatProgress(done: number, total: number, elapsedSec: number, label = '', width = 24): string {
  const frac = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const fill = Math.round(frac * width);
  const rate = elapsedSec > 0 ? done / elapsedSec : NaN;
  const eta = done >= total ? `in ${formatDuration(elapsedSec)}` : rate > 0 ? `ETA ${formatDuration((total - done) / rate)}` : 'ETA ?';
  const pct = `${Math.floor(frac * 100)}%`.padStart(4);
  return `${label ? label + ' ' : ''}[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${pct} ${done}/${total}  ${formatRate(rate)}/s  ${eta}`;
}
