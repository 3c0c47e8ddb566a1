// CIFAR-10 binary format, parsed from bytes (browser-safe). Each record: 1 label byte,
// then 3072 pixel bytes = the 32x32 red plane, green plane, blue plane, each row-major.
// We convert to channels-last (HWC, as flax / neural-tangents use) scaled to [0, 1].
import type { Dataset } from './dataset.js';

export const CIFAR_RECORD_BYTES = 3073;
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

export interface CifarPart {
  x: Float64Array;
  y: Int32Array;
  n: number;
}

/** Validates a CIFAR-10 .bin file (size, labels) and returns its labels. */
export function cifarLabels(bytes: Uint8Array, name = 'cifar'): Int32Array {
  const R = CIFAR_RECORD_BYTES;
  if (bytes.length % R !== 0)
    throw new Error(`${name}: size ${bytes.length} bytes is not a multiple of the CIFAR-10 record size ${R} (1 label byte + 3072 pixel bytes); ${Math.floor(bytes.length / R)} whole records and ${bytes.length % R} extra bytes`);
  const n = bytes.length / R, y = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const off = r * R, label = bytes[off];
    if (label > 9) throw new Error(`${name}: record ${r} (byte offset ${off}) has label ${label}; expected 0..9`);
    y[r] = label;
  }
  return y;
}

/**
 * Parses CIFAR-10 records (one .bin file, or several concatenated); `name` prefixes every
 * error. With `indices`, only those records are converted, in that order.
 */
export function parseCifar(bytes: Uint8Array, name = 'cifar', opts: { indices?: ArrayLike<number> } = {}): CifarPart {
  const all = cifarLabels(bytes, name), total = all.length, idx = opts.indices;
  const n = idx ? idx.length : total;
  const x = new Float64Array(n * 3072), y = new Int32Array(n);
  const lut = new Float64Array(256);
  for (let v = 0; v < 256; v++) lut[v] = v / 255;
  for (let k = 0; k < n; k++) {
    const r = idx ? idx[k] : k;
    if (!(Number.isInteger(r) && r >= 0 && r < total)) throw new RangeError(`${name}: record index ${r} (position ${k}) is out of range 0..${total - 1}`);
    y[k] = all[r];
    const off = r * CIFAR_RECORD_BYTES + 1, base = k * 3072;
    // plane c, pixel p = row * 32 + col  ->  HWC index p * 3 + c
    for (let c = 0; c < 3; c++) {
      const src = off + c * 1024;
      for (let p = 0; p < 1024; p++) x[base + p * 3 + c] = lut[bytes[src + p]];
    }
  }
  return { x, y, n };
}

/** Concatenates parsed parts into one CIFAR-10 dataset (labels 0..9). */
export function cifarDataset(parts: CifarPart[], name: string): Dataset {
  const n = parts.reduce((a, p) => a + p.n, 0);
  const x = new Float64Array(n * 3072), y = new Int32Array(n);
  let k = 0;
  for (const p of parts) {
    x.set(p.x, k * 3072);
    y.set(p.y, k);
    k += p.n;
  }
  return { x, y, n, shape: [32, 32, 3], classes: 10, name, classNames: CIFAR10_CLASSES.slice() };
}
