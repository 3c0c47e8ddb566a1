// Node entry: everything in the browser-safe entry plus file I/O and the worker pool.
import { createNodeEngine, type NodeEngineOptions } from '../bindings/node.js';
import { engine, setAutoInit, setEngine, hasEngine } from './engine.js';

export * from './index.js';
export { createNodeEngine, type NodeEngineOptions };
// Data files (Node readers)
export { readIdxFile, readMaybeGzip } from './data/idx-node.js';
export { loadMnist, loadIdxDataset, findIdxPair, mnistDataDir, idxSource, mnistSource, type DataSource, type Split } from './data/mnist.js';
export {
  readCifarFiles, readCifarBytes, loadCifar10, loadCifar2Raw, cifar2Dir, cifar2Files, cifar10Files, packageRoot,
} from './data/cifar-node.js';
export { loadDataset, type DatasetSpec } from './data/load.js';
export { writeFileAtomic } from './io/atomic.js';
export { readNpy, writeNpy } from './io/npy-node.js';
export { progressBar, type ProgressBar, type ProgressBarOptions } from './io/progress-node.js';
// Figures and reports: charts to SVG/PNG (packaged font), image grids, report.html
export { renderSvg, renderPng, svgToPng, writeChart, type PngOptions, type WrittenChart } from './viz/render-node.js';
export { imageGrid, renderImageGrid, type ImageGridOptions, type GridLayout, type CellScaling } from './viz/grid.js';
export { writeReport } from './viz/report-node.js';

setAutoInit(() => createNodeEngine());

/** (Re)initialises the engine, e.g. with a thread count. Returns it. */
export function initNode(opts: NodeEngineOptions = {}) {
  if (hasEngine()) engine().dispose();
  const e = createNodeEngine(opts);
  setEngine(e);
  return e;
}
// Finite nets: parameter directories and checkpoints
export { saveNet, loadNet, netFiles, writeDirAtomic, resolveDir, PARAMS_FORMAT, type NetIndex } from './io/params-node.js';
