// Training checkpoints: the net's parameter directory (params.json + one .npy per tensor)
// plus the optimiser state (velocity.npy, the momentum buffer) and state.json (completed
// epochs, seed, settings and the per-epoch history). Random streams are functions of
// (seed, epoch, step) (src/nn/train.ts streamSeed), so seed + epoch is the whole RNG state
// and a run resumed from the last checkpoint repeats the uninterrupted run bit for bit.
// Written whole and renamed into place (writeDirAtomic).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeNpy, parseNpy } from './npy.js';
import { netFiles, writeDirAtomic, resolveDir, loadNet } from './params-node.js';
import type { Net } from '../nn/net.js';
import type { Trainer } from '../nn/train.js';

export interface CheckpointState {
  /** Completed epochs. */
  epoch: number;
  seed: number;
  /** Settings a resume must match (compared key by key). */
  settings: Record<string, unknown>;
  history: unknown[];
}

export function saveCheckpoint(dir: string, net: Net, trainer: Trainer, arch: string, width: number | undefined, state: CheckpointState): void {
  const files = netFiles(net, arch, width);
  const v = trainer.velocityArray();
  if (v) files.set('velocity.npy', encodeNpy(net.dtype === 'f32' ? Float32Array.from(v) : v, [v.length]));
  files.set('state.json', JSON.stringify({ format: 'ntk-robustness-checkpoint', version: 1, rng: { seed: state.seed, epoch: state.epoch, note: 'streams are functions of (seed, epoch, step)' }, ...state }, null, 1));
  writeDirAtomic(dir, files);
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(resolveDir(dir), 'state.json'));
}

export function loadCheckpoint(dir: string): { net: Net; state: CheckpointState; velocity: Float64Array | null } {
  const d = resolveDir(dir), sp = join(d, 'state.json');
  if (!existsSync(sp)) throw Object.assign(new RangeError(`${sp}: no checkpoint to resume from`), { userError: true });
  let state: CheckpointState;
  try { state = JSON.parse(readFileSync(sp, 'utf8')); } catch (e) { throw Object.assign(new RangeError(`${sp}: not valid JSON (${(e as Error).message})`), { userError: true }); }
  const { net } = loadNet(d);
  let velocity: Float64Array | null = null;
  const vp = join(d, 'velocity.npy');
  if (existsSync(vp)) {
    try {
      const b = readFileSync(vp), a = parseNpy(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), vp);
      velocity = Float64Array.from(a.data as ArrayLike<number>);
    } catch (e) { net.dispose(); throw Object.assign(new RangeError((e as Error).message), { userError: true }); }
  }
  return { net, state, velocity };
}
