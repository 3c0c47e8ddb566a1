// Data flags shared by the commands, and the task they describe: a seeded train/test subset,
// binary (-1/+1, one output) when exactly two classes are kept, else k-class one-hot.
import type { Command } from 'commander';
import { loadDataset, type DatasetSpec } from '../data/load.js';
import { asMatrix, type Dataset } from '../data/dataset.js';
import type { Matrix } from '../linalg/matrix.js';
import { choice, intList, nonNegativeInt, positiveInt } from './parse.js';
import { UsageError } from './errors.js';

export interface DataOptions {
  dataset: DatasetSpec['name'];
  dataDir?: string;
  trainImages?: string;
  trainLabels?: string;
  testImages?: string;
  testLabels?: string;
  classes?: number[];
  train: number;
  test: number;
  seed: number;
  stratified: boolean;
}

export interface Task {
  train: { X: Matrix<Float64Array>; labels: Int32Array; indices?: Int32Array };
  test: { X: Matrix<Float64Array>; labels: Int32Array; indices?: Int32Array };
  /** 1 for a binary task (labels -1/+1), else the number of classes. */
  outputs: number;
  shape: [number, number, number];
  classNames?: string[];
  description: string;
  info: Record<string, unknown>;
}

export function addDataOptions(cmd: Command, defaults: { train: number; test: number }): Command {
  return cmd
    .option('--dataset <name>', 'mnist (bundled), cifar2 (CIFAR-10 airplane vs automobile, binary), cifar10 (official binaries in --data-dir), idx (any IDX image set)', choice('--dataset', ['mnist', 'cifar2', 'cifar10', 'idx'] as const), 'mnist')
    .option('--data-dir <path>', 'directory of cifar-10-batches-bin/*.bin (cifar10), of the IDX files (idx), or of train.bin/test.bin (cifar2)')
    .option('--train-images <file>', 'idx: training images file (.gz allowed)')
    .option('--train-labels <file>', 'idx: training labels file')
    .option('--test-images <file>', 'idx: test images file')
    .option('--test-labels <file>', 'idx: test labels file')
    .option('--classes <list>', 'keep these classes, e.g. 0,1; exactly two make a binary task with labels -1/+1', intList('--classes'))
    .option('--train <n>', 'training points (seeded random subset)', positiveInt('--train'), defaults.train)
    .option('--test <n>', 'test points (seeded random subset)', positiveInt('--test'), defaults.test)
    .option('--seed <s>', 'seed of the subsets and random starts', nonNegativeInt('--seed'), 0)
    .option('--stratified', 'class-balanced subsets', false);
}

function load(opts: DataOptions, split: 'train' | 'test', n: number, seed: number): Dataset {
  const classes = opts.classes;
  if (classes && new Set(classes).size !== classes.length) throw new UsageError(`--classes: repeated class in ${classes.join(',')}`);
  if (classes && classes.length < 2) throw new UsageError(`--classes: need at least two classes, got ${classes.join(',')}`);
  const spec: DatasetSpec = {
    name: opts.dataset, path: opts.dataDir, split,
    images: split === 'train' ? opts.trainImages : opts.testImages,
    labels: split === 'train' ? opts.trainLabels : opts.testLabels,
    classes: opts.dataset === 'cifar2' ? undefined : classes,
    binary: opts.dataset !== 'cifar2' && classes?.length === 2,
    subset: { n, seed, stratified: opts.stratified },
  };
  if (opts.dataset === 'cifar2' && classes && !(classes.length === 2 && classes[0] === 0 && classes[1] === 1))
    throw new UsageError(`--classes ${classes.join(',')}: cifar2 is airplane (0) vs automobile (1); use --dataset cifar10 --data-dir ... for other classes`);
  try {
    return loadDataset(spec);
  } catch (e) {
    const msg = (e as Error).message;
    // the loader names the pool size; say which flag asked for more
    throw new UsageError(/^subset: n = /.test(msg) ? `--${split} ${n}: ${msg}` : msg);
  }
}

export function loadTask(opts: DataOptions): Task {
  // Only the seeded subsets are converted to floats (the loader picks indices from labels first).
  // test 0 (ntk kernel without --test): no test split is read at all
  const tr = load(opts, 'train', opts.train, opts.seed), te = opts.test > 0 ? load(opts, 'test', opts.test, opts.seed + 1) : null;
  const trainAll = tr;
  if (te && tr.shape.join('x') !== te.shape.join('x'))
    throw new UsageError(`train images are ${tr.shape.join('x')} but test images are ${te.shape.join('x')}`);
  const binary = !!trainAll.binary;
  const outputs = binary ? 1 : trainAll.classes;
  const names = trainAll.classNames;
  const task = binary ? `binary ${names ? names.join(' (-1) vs ') + ' (+1)' : ''}` : `${outputs} classes`;
  const Xtr = asMatrix(tr);
  return {
    train: { X: Xtr, labels: tr.y, indices: tr.indices },
    test: te ? { X: asMatrix(te), labels: te.y, indices: te.indices } : { X: { data: new Float64Array(0), rows: 0, cols: Xtr.cols }, labels: new Int32Array(0) },
    outputs, shape: trainAll.shape, classNames: names,
    description: `${opts.dataset} ${trainAll.shape.join('x')}, ${task}, ${opts.train} train${te ? ` / ${opts.test} test` : ''} (seed ${opts.seed})`,
    info: { dataset: opts.dataset, shape: trainAll.shape, classes: opts.classes ?? null, classNames: names ?? null, binary, outputs,
      train: opts.train, test: opts.test, seed: opts.seed, stratified: opts.stratified, trainSet: tr.name, testSet: te?.name ?? null },
  };
}
