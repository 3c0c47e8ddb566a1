// In-memory labelled image datasets and the few transforms the experiments need.
// Browser-safe: no file access here (see src/data/*-node.ts and src/data/load.ts).
import type { Matrix } from '../linalg/matrix.js';
import type { IdxArray } from './idx.js';
import { mulberry32, shuffleInPlace } from './rng.js';

export interface Dataset {
  /** n * d pixels, row-major per image, images channels-last (H, W, C), values in [0, 1]. */
  x: Float64Array;
  /** Labels: class indices 0..classes-1, or -1/+1 when `binary`. */
  y: Int32Array;
  n: number;
  shape: [number, number, number];
  classes: number;
  name: string;
  /** True when y holds -1/+1 (two-class task). */
  binary?: boolean;
  /** Optional name of each class, indexed like the labels (for binary: [-1 class, +1 class]). */
  classNames?: string[];
  /** Positions of these records in the source file (set by loadDataset for subsets). */
  indices?: Int32Array;
}

export function featureDim(ds: Dataset): number {
  return ds.shape[0] * ds.shape[1] * ds.shape[2];
}

/** Image i as a view (H*W*C values, channels-last) into ds.x; e.g. for imageGrid. */
export function imageOf(ds: Dataset, i: number): Float64Array {
  if (!(Number.isInteger(i) && i >= 0 && i < ds.n)) throw new RangeError(`${ds.name}: image index ${i} is out of range 0..${ds.n - 1}`);
  const d = featureDim(ds);
  return ds.x.subarray(i * d, (i + 1) * d);
}

/** The images as an n x d matrix (shares memory with ds.x). */
export function asMatrix(ds: Dataset): Matrix<Float64Array> {
  return { data: ds.x, rows: ds.n, cols: featureDim(ds) };
}

/**
 * Builds a dataset from parsed IDX images (n x H x W or n x H x W x C, ubyte scaled by
 * 1/255; float types must already be in [0,1]) and labels (n, integer type). With
 * `indices`, only those records are converted (in that order): loading a small subset of
 * a large set then costs only the subset's memory. `transpose` swaps H and W of every
 * image (EMNIST stores images transposed).
 */
export function idxToDataset(
  images: IdxArray, labels: IdxArray, name: string,
  opts: { classes?: number; classNames?: string[]; indices?: ArrayLike<number>; transpose?: boolean } = {},
): Dataset {
  const s = images.shape;
  if (s.length !== 3 && s.length !== 4)
    throw new Error(`${name}: images must have 3 (n x H x W) or 4 (n x H x W x C) dimensions, the IDX header declares ${s.length} (${s.join(' x ')})`);
  if (labels.shape.length !== 1)
    throw new Error(`${name}: labels must have 1 dimension (n), the IDX header declares ${labels.shape.length} (${labels.shape.join(' x ')})`);
  if (labels.dtype === 'float' || labels.dtype === 'double')
    throw new Error(`${name}: labels must have an integer type, found ${labels.dtype}`);
  const total = s[0];
  if (labels.shape[0] !== total)
    throw new Error(`${name}: image and label counts differ: ${total} images but ${labels.shape[0]} labels`);
  if (images.dtype !== 'ubyte' && images.dtype !== 'float' && images.dtype !== 'double')
    throw new Error(`${name}: images of type ${images.dtype} are not supported; expected ubyte (0..255) or float/double in [0, 1]`);
  const C = s.length === 4 ? s[3] : 1;
  const shape: [number, number, number] = opts.transpose ? [s[2], s[1], C] : [s[1], s[2], C];
  const d = shape[0] * shape[1] * shape[2];
  // flat source offset (within an image) of destination pixel j, when transposing
  let perm: Int32Array | null = null;
  if (opts.transpose) {
    perm = new Int32Array(d);
    const [Hs, Ws] = [s[1], s[2]];
    for (let r = 0; r < Ws; r++) for (let c = 0; c < Hs; c++) for (let ch = 0; ch < C; ch++)
      perm[(r * Hs + c) * C + ch] = (c * Ws + r) * C + ch;
  }
  let maxLabel = -1;
  for (let i = 0; i < total; i++) {
    const v = labels.data[i];
    if (v < 0) throw new Error(`${name}: label ${v} of record ${i} is negative; expected class indices 0, 1, 2, ...`);
    if (v > maxLabel) maxLabel = v;
  }
  const classes = opts.classes ?? maxLabel + 1;
  if (maxLabel >= classes) throw new Error(`${name}: label ${maxLabel} found, but the dataset has ${classes} classes (0..${classes - 1})`);
  const idx = opts.indices;
  const n = idx ? idx.length : total;
  const src = images.data, x = new Float64Array(n * d), y = new Int32Array(n);
  const lut = new Float64Array(256);
  for (let v = 0; v < 256; v++) lut[v] = v / 255;
  for (let k = 0; k < n; k++) {
    const i = idx ? idx[k] : k;
    if (!(Number.isInteger(i) && i >= 0 && i < total)) throw new RangeError(`${name}: index ${i} (position ${k}) is out of range 0..${total - 1}`);
    y[k] = labels.data[i];
    const off = i * d, out = k * d;
    if (images.dtype === 'ubyte' && !perm) {
      for (let j = 0; j < d; j++) x[out + j] = lut[src[off + j]];
    } else {
      for (let j = 0; j < d; j++) {
        const at = off + (perm ? perm[j] : j), v = src[at];
        if (images.dtype === 'ubyte') { x[out + j] = lut[v]; continue; }
        if (!(v >= 0 && v <= 1))
          throw new Error(`${name}: value ${v} of image ${i} (flat index ${at}) is outside [0, 1]; float IDX images must already be scaled`);
        x[out + j] = v;
      }
    }
  }
  return { x, y, n, shape, classes, name, ...(opts.classNames ? { classNames: opts.classNames } : {}) };
}

/**
 * Which records a class selection keeps and their new labels (see classFilter).
 * Exposed so loaders can select before converting pixels.
 */
export function classSelection(y: Int32Array, classes: number[], numClasses: number, opts: { binary?: boolean } = {}, name = 'dataset'): { indices: Int32Array; y: Int32Array } {
  if (classes.length === 0) throw new Error(`${name}: class selection needs at least one class`);
  if (new Set(classes).size !== classes.length) throw new Error(`${name}: classes repeat: [${classes.join(', ')}]`);
  for (const c of classes)
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) throw new RangeError(`${name}: class ${c} is not one of 0..${numClasses - 1}`);
  if (opts.binary && classes.length !== 2) throw new Error(`${name}: a binary task needs exactly 2 classes, got [${classes.join(', ')}]`);
  const map = new Int32Array(numClasses).fill(-2);
  classes.forEach((c, j) => { map[c] = opts.binary ? (j === 0 ? -1 : 1) : j; });
  let m = 0;
  for (let i = 0; i < y.length; i++) if (map[y[i]] !== -2) m++;
  const indices = new Int32Array(m), out = new Int32Array(m);
  for (let i = 0, k = 0; i < y.length; i++) if (map[y[i]] !== -2) { indices[k] = i; out[k++] = map[y[i]]; }
  return { indices, y: out };
}

/** The records at `indices`, in that order. */
export function take(ds: Dataset, indices: ArrayLike<number>, name = ds.name): Dataset {
  const d = featureDim(ds), m = indices.length;
  const x = new Float64Array(m * d), y = new Int32Array(m);
  for (let k = 0; k < m; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= ds.n) throw new RangeError(`${ds.name}: index ${i} (position ${k}) is out of range 0..${ds.n - 1}`);
    x.set(ds.x.subarray(i * d, (i + 1) * d), k * d);
    y[k] = ds.y[i];
  }
  return { ...ds, x, y, n: m, name };
}

/**
 * Keeps the records whose label is in `classes` (original label values) and relabels them.
 * Multiclass: label classes[j] becomes j (0..k-1), in the order given.
 * Binary ({binary: true}, exactly two classes): classes[0] becomes -1 and classes[1] becomes
 * +1; e.g. CIFAR-10 [0, 1] gives airplane = -1, automobile = +1 (the paper's task).
 * Record order is kept. When every record is kept, x is shared with `ds` (datasets are
 * treated as immutable).
 */
export function classFilter(ds: Dataset, classes: number[], opts: { binary?: boolean } = {}): Dataset {
  if (ds.binary) throw new Error(`${ds.name}: already a binary (-1/+1) dataset; filter before making it binary`);
  const sel = classSelection(ds.y, classes, ds.classes, opts, ds.name);
  const name = `${ds.name}[${classes.join(',')}]`;
  // every record kept (e.g. the airplane/automobile file): share the pixels, no copy
  const out = sel.indices.length === ds.n ? { ...ds, name } : take(ds, sel.indices, name);
  out.y = sel.y;
  out.classes = classes.length;
  out.binary = !!opts.binary;
  if (ds.classNames) out.classNames = classes.map((c) => ds.classNames![c]);
  return out;
}

/**
 * The indices a seeded subset of size n picks, ascending (original order kept).
 * Plain: the first n of a seeded Fisher-Yates permutation, so for a fixed seed a smaller
 * subset is contained in a larger one. Stratified: as equal a share of every class as
 * possible (remainders to the classes in label order, short classes topped up by others),
 * each class's share drawn the same way.
 */
export function subsetIndices(y: Int32Array, n: number, seed: number, opts: { stratified?: boolean } = {}): Int32Array {
  const total = y.length;
  if (!Number.isInteger(n) || n < 0 || n > total) throw new RangeError(`subset: n = ${n} must be an integer in 0..${total} (the dataset size)`);
  const rand = mulberry32(seed);
  let chosen: number[];
  if (!opts.stratified) {
    const perm = new Int32Array(total);
    for (let i = 0; i < total; i++) perm[i] = i;
    // Partial Fisher-Yates from the front: position k gets a uniform pick of the rest.
    for (let k = 0; k < n; k++) {
      const j = k + Math.floor(rand() * (total - k));
      const t = perm[k]; perm[k] = perm[j]; perm[j] = t;
    }
    chosen = Array.from(perm.subarray(0, n));
  } else {
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < total; i++) {
      let l = byClass.get(y[i]);
      if (!l) byClass.set(y[i], (l = []));
      l.push(i);
    }
    const labels = [...byClass.keys()].sort((a, b) => a - b);
    const pools = labels.map((l) => shuffleInPlace(byClass.get(l)!, rand));
    const quota = pools.map(() => 0);
    // Round-robin over classes until n are assigned: equal shares, short classes skipped.
    let left = n;
    while (left > 0) {
      for (let c = 0; c < pools.length && left > 0; c++) if (quota[c] < pools[c].length) { quota[c]++; left--; }
    }
    chosen = pools.flatMap((p, c) => p.slice(0, quota[c]));
  }
  return Int32Array.from(chosen.sort((a, b) => a - b));
}

/** A deterministic subset of n records under `seed` (see subsetIndices). */
export function subset(ds: Dataset, n: number, seed: number, opts: { stratified?: boolean } = {}): Dataset {
  return take(ds, subsetIndices(ds.y, n, seed, opts), `${ds.name}:subset(${n},seed=${seed}${opts.stratified ? ',stratified' : ''})`);
}

/**
 * Regression targets for kernel machines. Binary labels (-1/+1) give an n x 1 column of
 * -1/+1; labels 0..k-1 give an n x k one-hot matrix. `binary` defaults to "some label is
 * -1"; pass it explicitly when a binary label set may hold only +1 (or use datasetTargets).
 */
export function labelsToTargets(y: Int32Array, k: number, binary?: boolean): Matrix<Float64Array> {
  const n = y.length;
  const bin = binary ?? y.includes(-1);
  if (bin) {
    if (k !== 2) throw new Error(`labelsToTargets: binary (-1/+1) labels need k = 2, got k = ${k}`);
    for (let i = 0; i < n; i++)
      if (y[i] !== -1 && y[i] !== 1) throw new RangeError(`labelsToTargets: label ${y[i]} at index ${i} is not -1 or +1 (binary labels)`);
    return { data: Float64Array.from(y), rows: n, cols: 1 };
  }
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`labelsToTargets: k = ${k} must be a positive integer`);
  const data = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const c = y[i];
    if (c < 0 || c >= k) throw new RangeError(`labelsToTargets: label ${c} at index ${i} is outside 0..${k - 1}`);
    data[i * k + c] = 1;
  }
  return { data, rows: n, cols: k };
}

/** Targets of a dataset: a -1/+1 column when it is binary, else one-hot over its classes. */
export function datasetTargets(ds: Dataset): Matrix<Float64Array> {
  return labelsToTargets(ds.y, ds.classes, !!ds.binary);
}
