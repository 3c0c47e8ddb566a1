// One entry point for the CLI: a dataset by name and split, with optional class selection
// and a seeded subset. Classes and subset are chosen from the labels first, so only the
// selected images are converted to floats (a 1000-image MNIST subset never holds all 60000).
import { classSelection, subsetIndices, type Dataset } from './dataset.js';
import { cifar10Files, cifar2Files, readCifarBytes } from './cifar-node.js';
import { cifarDataset, cifarLabels, parseCifar, CIFAR10_CLASSES } from './cifar.js';
import { findIdxPair, idxSource, mnistSource, type DataSource, type Split } from './mnist.js';

export interface DatasetSpec {
  /** mnist: bundled MNIST; cifar2: CIFAR-10 airplane (-1) vs automobile (+1), binary
   *  (`path` overrides the directory of train.bin/test.bin); cifar10: official batches from
   *  `path`; idx: an IDX image set from `path` (a directory with the usual file names) or
   *  explicit `images` + `labels` files. */
  name: 'mnist' | 'cifar2' | 'cifar10' | 'idx';
  path?: string;
  images?: string;
  labels?: string;
  split?: Split;
  /** Keep only these classes (original labels), relabelled 0..k-1 in this order ... */
  classes?: number[];
  /** ... or, with exactly 2 classes, -1 (first) / +1 (second). */
  binary?: boolean;
  /** idx only: swap image rows and columns (EMNIST stores images transposed). */
  transpose?: boolean;
  /** A seeded subset of the (class-filtered) records; equals subset(classFilter(...), n, seed). */
  subset?: { n: number; seed: number; stratified?: boolean };
}

function cifarSource(files: string[], name: string): DataSource {
  const bytes = readCifarBytes(files, name);
  return {
    name, labels: cifarLabels(bytes, name), classes: 10, classNames: CIFAR10_CLASSES.slice(),
    materialize: (indices) => cifarDataset([parseCifar(bytes, name, { indices })], name),
  };
}

export function loadDataset(spec: DatasetSpec): Dataset {
  const split = spec.split ?? 'train';
  if (split !== 'train' && split !== 'test') throw new Error(`dataset split must be 'train' or 'test', got '${split}'`);
  let src: DataSource, classes = spec.classes, binary = !!spec.binary, name: string;
  switch (spec.name) {
    case 'mnist':
      src = mnistSource(split);
      name = src.name;
      break;
    case 'cifar2':
      if (classes && !(classes.length === 2 && classes[0] === 0 && classes[1] === 1))
        throw new Error(`cifar2 is airplane (0) vs automobile (1); classes [${classes.join(', ')}] need the full cifar10 set (--dataset cifar10 --data-dir ...)`);
      src = cifarSource(cifar2Files(split, spec.path), `cifar2-${split}`);
      classes = [0, 1];
      binary = true;
      name = src.name;
      break;
    case 'cifar10':
      if (!spec.path) throw new Error('dataset cifar10 needs a data directory (--data-dir) holding cifar-10-batches-bin/*.bin');
      src = cifarSource(cifar10Files(spec.path, split), `cifar10-${split}`);
      name = src.name;
      break;
    case 'idx': {
      let files: { images: string; labels: string };
      if (spec.images && spec.labels) files = { images: spec.images, labels: spec.labels };
      else if (spec.path) files = findIdxPair(spec.path, split);
      else throw new Error('dataset idx needs a directory (--data-dir) or both image and label files');
      src = idxSource(files, undefined, { transpose: spec.transpose });
      name = src.name;
      break;
    }
    default:
      throw new Error(`unknown dataset '${(spec as { name: string }).name}'; expected mnist, cifar2, cifar10 or idx`);
  }
  if (binary && !classes) throw new Error(`${name}: binary needs classes (two of them), e.g. classes [0, 1]`);
  let indices: Int32Array | undefined, y: Int32Array = src.labels;
  if (classes && spec.name !== 'cifar2') name += `[${classes.join(',')}]`;
  if (classes) ({ indices, y } = classSelection(src.labels, classes, src.classes, { binary }, name));
  if (spec.subset) {
    const { n, seed, stratified } = spec.subset;
    const pick = subsetIndices(y, n, seed, { stratified });
    indices = Int32Array.from(pick, (k) => (indices ? indices[k] : k));
    y = Int32Array.from(pick, (k) => y[k]);
    name += `:subset(${n},seed=${seed}${stratified ? ',stratified' : ''})`;
  }
  const ds = src.materialize(indices);
  ds.y = y;
  ds.name = name;
  if (indices) ds.indices = indices;
  if (classes) {
    ds.classes = classes.length;
    ds.binary = binary;
    if (src.classNames) ds.classNames = classes.map((c) => src.classNames![c]);
  }
  return ds;
}
