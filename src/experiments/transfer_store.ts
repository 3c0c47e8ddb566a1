// Checkpoints of `ntk transfer` on disk: <dir>/state.json (settings, finished runs, the run in
// progress) and <dir>/params.bin (that run's parameters at its last checkpoint, raw f32/f64).
// Both are written atomically, parameters first, so a kill at any moment leaves a consistent
// pair: state.json names the byte length and dtype of the params.bin it was written with.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { RunRecord, TransferStore } from './transfer.js';

interface State { version: 1; settings: unknown; runs: RunRecord[]; current: { record: RunRecord; dtype: 'f32' | 'f64'; length: number } | null }

export class CheckpointMismatch extends Error { readonly userError = true; }

export function fileStore(dir: string, settings: unknown, resume: boolean): TransferStore & { clear(): void } {
  const stateFile = join(dir, 'state.json'), paramsFile = join(dir, 'params.bin');
  const key = JSON.stringify(settings);
  return {
    load() {
      if (!resume || !existsSync(stateFile)) return null;
      const st = JSON.parse(readFileSync(stateFile, 'utf8')) as State;
      if (st.version !== 1 || JSON.stringify(st.settings) !== key)
        throw new CheckpointMismatch(`--resume: the checkpoint in ${dir} was made with other settings (${JSON.stringify(st.settings)}); rerun without --resume to start over`);
      if (!st.current) return { runs: st.runs, current: null };
      const b = readFileSync(paramsFile);
      const bytes = st.current.dtype === 'f32' ? 4 : 8;
      if (b.byteLength !== st.current.length * bytes) throw new CheckpointMismatch(`--resume: ${paramsFile} has ${b.byteLength} bytes, state.json expects ${st.current.length * bytes}`);
      const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
      return { runs: st.runs, current: { record: st.current.record, params: st.current.dtype === 'f32' ? new Float32Array(ab) : new Float64Array(ab) } };
    },
    save(runs, current) {
      mkdirSync(dir, { recursive: true });
      if (current) writeFileAtomic(paramsFile, new Uint8Array(current.params.buffer.slice(current.params.byteOffset, current.params.byteOffset + current.params.byteLength)));
      const st: State = { version: 1, settings, runs, current: current ? { record: current.record, dtype: current.params instanceof Float32Array ? 'f32' : 'f64', length: current.params.length } : null };
      writeFileAtomic(stateFile, JSON.stringify(st));
    },
    clear() { rmSync(dir, { recursive: true, force: true }); },
  };
}
