// One entry point for the CLI: a dataset by name, split and optional class selection.
import { classFilter, type Dataset } from './dataset.js';
import { loadCifar10, loadCifar2Raw } from './cifar-node.js';
import { findIdxPair, loadIdxDataset, loadMnist, type Split } from './mnist.js';

export interface DatasetSpec {
  /** mnist: bundled MNIST; cifar2: CIFAR-10 airplane (-1) vs automobile (+1), binary;
   *  cifar10: official batches from `path`; idx: an IDX image set from `path` (a directory
   *  with the usual file names) or explicit `images` + `labels` files. */
  name: 'mnist' | 'cifar2' | 'cifar10' | 'idx';
  path?: string;
  images?: string;
  labels?: string;
  split?: Split;
  /** Keep only these classes (original labels), relabelled 0..k-1 in this order ... */
  classes?: number[];
  /** ... or, with exactly 2 classes, -1 (first) / +1 (second). */
  binary?: boolean;
}

export function loadDataset(spec: DatasetSpec): Dataset {
  const split = spec.split ?? 'train';
  if (split !== 'train' && split !== 'test') throw new Error(`dataset split must be 'train' or 'test', got '${split}'`);
  let ds: Dataset;
  switch (spec.name) {
    case 'mnist':
      ds = loadMnist(split);
      break;
    case 'cifar2': {
      const raw = loadCifar2Raw(split, spec.path);
      if (spec.classes && !(spec.classes.length === 2 && spec.classes[0] === 0 && spec.classes[1] === 1))
        throw new Error(`cifar2 is airplane (0) vs automobile (1); classes [${spec.classes.join(', ')}] need the full cifar10 set (--dataset cifar10 --data-dir ...)`);
      ds = classFilter(raw, [0, 1], { binary: true });
      ds.name = `cifar2-${split}`;
      return ds;
    }
    case 'cifar10':
      if (!spec.path) throw new Error('dataset cifar10 needs a data directory (--data-dir) holding cifar-10-batches-bin/*.bin');
      ds = loadCifar10(spec.path, split);
      break;
    case 'idx': {
      let files: { images: string; labels: string };
      if (spec.images && spec.labels) files = { images: spec.images, labels: spec.labels };
      else if (spec.path) files = findIdxPair(spec.path, split);
      else throw new Error('dataset idx needs a directory (--data-dir) or both image and label files');
      ds = loadIdxDataset(files, undefined);
      break;
    }
    default:
      throw new Error(`unknown dataset '${(spec as { name: string }).name}'; expected mnist, cifar2, cifar10 or idx`);
  }
  if (spec.classes) return classFilter(ds, spec.classes, { binary: spec.binary });
  if (spec.binary) throw new Error(`${ds.name}: binary needs classes (two of them), e.g. classes [0, 1]`);
  return ds;
}
