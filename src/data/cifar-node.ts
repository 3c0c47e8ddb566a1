// Node readers for CIFAR-10 binary files: the official batches from a user directory, and
// the paper's airplane/automobile set shipped in ../shared/data (override: NTK_CIFAR_DIR).
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cifarDataset, cifarLabels, parseCifar } from './cifar.js';
import type { Dataset } from './dataset.js';
import type { Split } from './mnist.js';

/** Reads CIFAR-10 .bin files, validating each (errors name the file), concatenated in order. */
export function readCifarBytes(paths: string[], name = 'cifar10'): Uint8Array {
  if (paths.length === 0) throw new Error(`${name}: no CIFAR-10 files given`);
  const parts = paths.map((p) => {
    if (!existsSync(p)) throw new Error(`${name}: CIFAR-10 file ${p} does not exist`);
    const b = readFileSync(p);
    const u = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    cifarLabels(u, basename(p));
    return u;
  });
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Reads and concatenates CIFAR-10 .bin files into a dataset (optionally only `indices`). */
export function readCifarFiles(paths: string[], name = 'cifar10', opts: { indices?: ArrayLike<number> } = {}): Dataset {
  return cifarDataset([parseCifar(readCifarBytes(paths, name), name, opts)], name);
}

/** The package root: the nearest ancestor of this module with our package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, 'utf8')).name === 'ntk-robustness') return dir;
      } catch { /* not ours, keep walking */ }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('ntk-robustness: cannot find the package root (package.json) above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** Directory of the airplane/automobile set: $NTK_CIFAR_DIR or <package>/../shared/data/cifar10-airplane-automobile. */
export function cifar2Dir(): string {
  return process.env.NTK_CIFAR_DIR || resolve(packageRoot(), '../shared/data/cifar10-airplane-automobile');
}

/**
 * CIFAR-10 airplane (label 0) vs automobile (label 1), every image of both classes
 * (10000 train / 2000 test), labels kept as 0/1 here (classFilter makes them -1/+1).
 */
export function loadCifar2Raw(split: Split = 'train', dir = cifar2Dir()): Dataset {
  return readCifarFiles(cifar2Files(split, dir), `cifar2-${split}`);
}

export function cifar2Files(split: Split, dir = cifar2Dir()): string[] {
  const f = join(dir, `${split}.bin`);
  if (!existsSync(f))
    throw new Error(`CIFAR-10 airplane/automobile ${split} file ${f} not found; set NTK_CIFAR_DIR to the directory holding train.bin and test.bin`);
  return [f];
}

/**
 * The official CIFAR-10 batches from `dir` (either cifar-10-batches-bin itself or its
 * parent): train = data_batch_1..5.bin, test = test_batch.bin.
 */
export function loadCifar10(dir: string, split: Split = 'train'): Dataset {
  return readCifarFiles(cifar10Files(dir, split), `cifar10-${split}`);
}

export function cifar10Files(dir: string, split: Split): string[] {
  const base = existsSync(join(dir, 'cifar-10-batches-bin')) ? join(dir, 'cifar-10-batches-bin') : dir;
  const names = split === 'train' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin'];
  const missing = names.filter((n) => !existsSync(join(base, n)));
  if (missing.length) throw new Error(`CIFAR-10 directory ${base}: missing ${missing.join(', ')} (expected the official cifar-10-batches-bin files)`);
  return names.map((n) => join(base, n));
}
