// Node reader for IDX files, plain or gzip-compressed (.gz, as Fashion-MNIST ships).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseIdx, type IdxArray } from './idx.js';

/** Reads a file; paths ending in .gz are gunzipped (errors name the file). */
export function readMaybeGzip(path: string): Uint8Array {
  const raw = readFileSync(path);
  if (!path.endsWith('.gz')) return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  try {
    const out = gunzipSync(raw);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    throw new Error(`${basename(path)}: not a valid gzip file (path ends in .gz): ${(e as Error).message}`);
  }
}

export function readIdxFile(path: string): IdxArray {
  return parseIdx(readMaybeGzip(path), basename(path));
}
