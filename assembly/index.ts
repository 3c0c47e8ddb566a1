// The module's exports. Every kernel takes byte offsets into the JS-owned linear memory.
export * from './linalg/gemm_f64';
export * from './linalg/gemm_f32';
export * from './linalg/gram_f64';
export * from './linalg/gram_f32';
export * from './util/pool_probe';
export * from './linalg/cholesky';
export * from './linalg/trsm';
export * from './linalg/sytrd';
export * from './linalg/tridiag_eig';
export * from './linalg/tridiag_dc';

/** First byte JS may allocate (after static data). */
export function heap_base(): usize {
  return __heap_base;
}
export { acos_f64_array } from './kernels/acos';
export * from './kernels/ntk';
// finite nets: layer ops (forward, VJP, JVP) and SGD
export * from './nn/conv3x3';
export * from './nn/pool2';
export * from './nn/elementwise';
export * from './nn/jacobian';
export * from './nn/entk_gram';
export * from './nn/conv_winograd4';
export * from './nn/entk_rows_wino4';
export * from './nn/conv_winograd';
