// Public, browser-safe entry. Node users import 'ntk-robustness/node' for files and threads.
export { engine, setEngine } from './engine.js';
export { Engine, WasmBuffer, type Dtype, type FloatArray } from '../bindings/engine.js';
export { OutOfMemoryError } from '../bindings/heap.js';
export * from "./linalg/matrix.js";
export { gemm, matmul, gemmRaw } from "./linalg/gemm.js";
export type { KernelOps } from './machines/kernel_ops.js';
export { solveAlpha, fitKernelMachine, predict, outputVjp, type KernelMachine, type FitOptions } from './machines/kernel_regression.js';
export { kernelMachineModel, type DifferentiableModel } from './attacks/model.js';
export { objectiveGradient, lossValues, softmax, sigmoid, ATTACK_LOSSES, type AttackLoss } from './attacks/losses.js';
export { fgsm, pgd, decisions, accuracy, signedStep, type FgsmOptions, type PgdOptions } from './attacks/fgsm_pgd.js';
