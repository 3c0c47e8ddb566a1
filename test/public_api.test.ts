// The public API is deliberate: the names exported by the browser entry (src/index.ts) and the
// extra names of the Node entry (src/node.ts) are pinned here, types included (read with the
// TypeScript checker from the sources). Adding or removing an export means editing this list.
// Internals (the op-program compiler, per-layer reference maps, palettes, raster and glyph
// helpers, fixture helpers) must not appear.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function exportsOf(files: string[]): Map<string, string[]> {
  const program = ts.createProgram(files.map((f) => ROOT + f), {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true, skipLibCheck: true, noEmit: true, types: ['node'], lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  });
  const checker = program.getTypeChecker();
  const out = new Map<string, string[]>();
  for (const f of files) {
    const sym = checker.getSymbolAtLocation(program.getSourceFile(ROOT + f)!)!;
    out.set(f, checker.getExportsOfModule(sym).map((s) => {
      const t = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      return (t.flags & ts.SymbolFlags.Value ? '' : 'type ') + s.getName();
    }).sort());
  }
  return out;
}

const BROWSER = [
  'ARCHS', 'ATTACK_LOSSES', 'CHART_FONT', 'CIFAR10_CLASSES', 'CIFAR_RECORD_BYTES', 'DivergedError',
  'EighConvergenceError', 'Engine', 'Kernel', 'LinearizedNet', 'NET_ARCHS', 'Net', 'NotPositiveDefiniteError',
  'OutOfMemoryError', 'Rng', 'TRAIN_LOSSES', 'Trainer', 'VEGA_LITE_SCHEMA', 'WasmBuffer', 'WorkerExitError', 'WorkerStalledError',
  'accuracy', 'apgd', 'apgdTargeted', 'arch', 'asMatrix', 'attackMembers', 'avgPool', 'buildNet',
  'checkFinite', 'checkMatrix', 'checkShape', 'choSolve', 'choSolveInPlace', 'cholesky', 'choleskyInPlace',
  'cifarDataset', 'cifarLabels', 'classFilter', 'classSelection', 'conv', 'convNet', 'createBrowserEngine',
  'datasetTargets', 'decisions', 'dense', 'dtypeOf', 'eigenFeatures', 'eigh', 'eighInPlace', 'eighPhaseTimes',
  'eighTop', 'eighTopInPlace', 'eigvalsh', 'empiricalKernel', 'encodeIdx', 'encodeNpy', 'engine',
  'evaluateNet', 'facetCharts', 'fc', 'featureDim', 'featureStats', 'fgsm', 'fitKernelMachine', 'flatten',
  'formatDuration', 'formatProgress', 'fromTorchLayout', 'fullMachine', 'gemm', 'gemmRaw', 'gemmTiles',
  'gram', 'gramRaw', 'heatmapChart', 'idxToDataset', 'imageOf', 'inferShapes', 'init', 'kernelMachineModel',
  'kernelOps', 'labelsToTargets', 'lineChart', 'linearize', 'logdet', 'lossAndGrad', 'lossValues', 'matmul',
  'matrix', 'maxPool', 'memberGradients', 'memberMachine', 'mulberry32', 'multiTargeted', 'netArch',
  'netModel', 'objectiveGradient', 'outputVjp', 'parseCifar', 'parseIdx', 'parseNpy', 'pgd', 'polarChart',
  'predict', 'relu', 'reportHtml', 'robustKernelCurve', 'scale', 'scatterChart', 'seedBand', 'serial',
  'setEngine', 'shuffleInPlace', 'sigmoid', 'signedStep', 'softmax', 'solveAlpha', 'solveTriangular',
  'solveTriangularInPlace', 'subset', 'subsetIndices', 'take', 'toTorchLayout', 'tridiagEigh',
  'twoLayerFrozenRelu', 'type AdvTrainOptions', 'type ApgdOptions', 'type ApgdTargetedOptions',
  'type ArchName', 'type AttackLoss', 'type AttackOutcome', 'type AvgPoolLayer', 'type BrowserEngineOptions',
  'type ChartOptions', 'type ChartSpec', 'type CholeskyOptions', 'type CifarPart', 'type ConvLayer',
  'type Dataset', 'type DenseLayer', 'type DifferentiableModel', 'type Dtype', 'type EigenFeatureOptions',
  'type EigenFeatures', 'type EighProgress', 'type EighRawOptions', 'type EighResult', 'type EighTopOptions',
  'type EighTopResult', 'type EmpiricalKernelOptions', 'type EnsembleMember', 'type EnsembleOutcome',
  'type FacetOptions', 'type FeatureStat', 'type FgsmOptions', 'type FitOptions', 'type FlattenLayer',
  'type FloatArray', 'type GemmOptions', 'type Get', 'type HeadLoss', 'type HeatmapChartOptions',
  'type HeatmapData', 'type IdxArray', 'type IdxData', 'type IdxDtype', 'type ImageShape',
  'type InferOptions', 'type KernelMachine', 'type KernelOps', 'type KernelOptions', 'type KernelResult',
  'type Layer', 'type LayerShape', 'type LayerStd', 'type LineChartOptions', 'type LineSeries',
  'type LinearizeOptions', 'type MapShape', 'type Matrix', 'type MaxPoolLayer', 'type Member',
  'type MemberAttackOptions', 'type MemberAttackResult', 'type MultiTargetedOptions', 'type NetArch',
  'type NetModelOptions', 'type NetOptions', 'type Npy', 'type NpyArray', 'type ParamSpec',
  'type Parameterization', 'type PgdOptions', 'type PolarChartOptions', 'type PolarSeries',
  'type PresetOptions', 'type ProgressCallback', 'type ReluLayer', 'type ReportFigure', 'type ReportInput',
  'type ReportTable', 'type RobustEval', 'type RobustKernelOptions', 'type RobustKernelResult',
  'type ScaleLayer', 'type ScatterChartOptions', 'type ScatterData', 'type TensorLayout', 'type TorchTensor',
  'type Trace', 'type TrainLoss', 'type TrainOptions', 'type TriangularOptions', 'type WasmBuild',
  'usefulNonRobust', 'worstCase', 'zeros',
];

const NODE_ONLY = [
  'PARAMS_FORMAT', 'cifar10Files', 'cifar2Dir', 'cifar2Files', 'createNodeEngine', 'findIdxPair', 'idxSource',
  'imageGrid', 'initNode', 'loadCifar10', 'loadCifar2Raw', 'loadDataset', 'loadIdxDataset', 'loadMnist',
  'loadNet', 'mnistDataDir', 'mnistSource', 'netFiles', 'packageRoot', 'progressBar', 'readCifarBytes',
  'readCifarFiles', 'readIdxFile', 'readMaybeGzip', 'readNpy', 'renderImageGrid', 'renderPng', 'renderSvg',
  'resolveDir', 'saveNet', 'svgToPng', 'type CellScaling', 'type DataSource', 'type DatasetSpec',
  'type GridLayout', 'type ImageGridOptions', 'type NetIndex', 'type NodeEngineOptions', 'type PngOptions',
  'type ProgressBar', 'type ProgressBarOptions', 'type Split', 'type WrittenChart', 'writeChart',
  'writeDirAtomic', 'writeFileAtomic', 'writeNpy', 'writeReport',
];

test('public API: exported names of the browser and Node entries are exactly the pinned ones', () => {
  const ex = exportsOf(['src/index.ts', 'src/node.ts']);
  const browser = ex.get('src/index.ts')!, node = ex.get('src/node.ts')!;
  const nodeOnly = node.filter((n) => !browser.includes(n));
  assert.ok(browser.every((n) => node.includes(n)), 'the Node entry re-exports the browser entry');
  const diff = (have: string[], want: string[]) => ({ added: have.filter((n) => !want.includes(n)), removed: want.filter((n) => !have.includes(n)) });
  assert.deepEqual(diff(browser, BROWSER), { added: [], removed: [] }, 'src/index.ts exports changed: update BROWSER if deliberate');
  assert.deepEqual(diff(nodeOnly, NODE_ONLY), { added: [], removed: [] }, 'src/node.ts exports changed: update NODE_ONLY if deliberate');
  for (const internal of ['compileProgram', 'layerMap', 'referencePair', 'glyph', 'PALETTE', 'Raster', 'baseConfig', 'fontMetrics', 'chartFonts'])
    assert.ok(!node.includes(internal), `${internal} is internal`);
});
