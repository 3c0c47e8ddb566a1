// Checkpoints of `ntk transfer` on disk: <dir>/state.json (settings, finished runs, the run in
// progress) and <dir>/params-<width>-<seed>-<epoch>.bin (that run's parameters at its last
// checkpoint, raw f32/f64). Each checkpoint's parameters go to a file of their own, written
// atomically before state.json names it, and older ones are removed only after: a kill between
// the two writes leaves state.json naming the previous file, which is still there (one shared
// params.bin would then hold newer weights than state.json's epoch, and the resumed run would
// drift from an uninterrupted one).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { RunRecord, TransferStore } from './transfer.js';

interface State { version: 1; settings: unknown; runs: RunRecord[]; current: { record: RunRecord; dtype: 'f32' | 'f64'; length: number; file: string } | null }

const PARAMS = /^params-.*\.bin$/;

export class CheckpointMismatch extends Error { readonly userError = true; }

/** `faults.afterParams` runs between the two writes of a save (tests: a kill at that moment). */
export function fileStore(dir: string, settings: unknown, resume: boolean, faults: { afterParams?: () => void } = {}): TransferStore & { clear(): void } {
  const stateFile = join(dir, 'state.json');
  const key = JSON.stringify(settings);
  return {
    load() {
      if (!resume || !existsSync(stateFile)) return null;
      const st = JSON.parse(readFileSync(stateFile, 'utf8')) as State;
      if (st.version !== 1 || JSON.stringify(st.settings) !== key)
        throw new CheckpointMismatch(`--resume: the checkpoint in ${dir} was made with other settings (${JSON.stringify(st.settings)}); rerun without --resume to start over`);
      if (!st.current) return { runs: st.runs, current: null };
      const paramsFile = join(dir, st.current.file ?? 'params.bin'); // checkpoints before per-epoch files
      if (!existsSync(paramsFile)) throw new CheckpointMismatch(`--resume: ${paramsFile}, named by ${stateFile}, is missing`);
      const b = readFileSync(paramsFile);
      const bytes = st.current.dtype === 'f32' ? 4 : 8;
      if (b.byteLength !== st.current.length * bytes) throw new CheckpointMismatch(`--resume: ${paramsFile} has ${b.byteLength} bytes, state.json expects ${st.current.length * bytes}`);
      const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
      return { runs: st.runs, current: { record: st.current.record, params: st.current.dtype === 'f32' ? new Float32Array(ab) : new Float64Array(ab) } };
    },
    save(runs, current) {
      mkdirSync(dir, { recursive: true });
      let file = '';
      if (current) {
        const r = current.record;
        file = `params-${r.width}-${r.seed}-${r.epochs[r.epochs.length - 1] ?? 0}.bin`;
        writeFileAtomic(join(dir, file), new Uint8Array(current.params.buffer.slice(current.params.byteOffset, current.params.byteOffset + current.params.byteLength)));
      }
      faults.afterParams?.();
      const st: State = { version: 1, settings, runs, current: current ? { record: current.record, dtype: current.params instanceof Float32Array ? 'f32' : 'f64', length: current.params.length, file } : null };
      writeFileAtomic(stateFile, JSON.stringify(st));
      for (const f of readdirSync(dir)) if (PARAMS.test(f) && f !== file) rmSync(join(dir, f), { force: true });
    },
    clear() { rmSync(dir, { recursive: true, force: true }); },
  };
}
