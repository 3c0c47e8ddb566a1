// Node .npy readers/writers (atomic writes).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { parseNpy, encodeNpy, type Npy, type NpyArray } from './npy.js';

export function writeNpy(path: string, data: NpyArray, shape: number[]): void {
  writeFileAtomic(path, encodeNpy(data, shape));
}

export function readNpy(path: string): Npy {
  const b = readFileSync(path);
  return parseNpy(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), basename(path));
}
