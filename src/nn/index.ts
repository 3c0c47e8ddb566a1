// Finite networks built from the layer values of src/kernels (one description, three views).
//   const net = buildNet(serial(conv({out: 32}), relu(), avgPool(), flatten(), dense({out: 10})),
//                        { input: [28, 28, 1], parameterization: 'ntk' | 'standard', dtype: 'f32' | 'f64', seed, width });
//   net.params (one contiguous WasmBuffer), net.layout (layer, name 'W'|'b', shape, offset, size) = Jacobian column order
//   net.forward(X) -> outputs;  low level on wasm pointers:
//     const tr = net.trace(B); net.view(tr.input, B * net.inputDim).set(rows); net.run(tr [, paramsPtr]);
//     net.backward(tr, dOutPtr, gradPtr | 0, dXPtr | 0);   net.jvp(tr, tangentPtr, outPtr [, tXPtr]);  tr.free()
//   new Trainer(net, { batch, lr, momentum, loss, seed, adv }).runEpoch(X, labels);  netModel(net) -> DifferentiableModel
// The Monte-Carlo nets below (Mlp, ConvNet, empiricalNtk) predate Net and remain for the kernel MC tests.
export { Rng } from './random.js';
export { Mlp, type NetOptions } from './mlp.js';
export { ConvNet } from './conv.js';
export { empiricalKernel, type EmpiricalKernelOptions } from './empirical_ntk.js';
export { linearize, LinearizedNet, type LinearizeOptions } from './linearize.js';
export { Net, buildNet, type NetOptions as FiniteNetOptions, type TensorLayout, type Trace } from './net.js';
export { type Parameterization } from './init.js';
export { Trainer, DivergedError, streamSeed, type TrainOptions, type AdvTrainOptions } from './train.js';
export { lossAndGrad, checkTrainLabels, TRAIN_LOSSES, type TrainLoss } from './losses.js';
export { netModel, type NetModelOptions } from './model.js';
export { toTorchLayout, fromTorchLayout, type TorchTensor } from '../io/torch_layout.js';
export { netArch, NET_ARCHS, type NetArch } from './presets.js';
export { evaluateNet, type RobustEval } from './evaluate.js';
export { convTuning } from './ops/conv.js';
