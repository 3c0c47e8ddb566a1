// Empirical NTK of finite nets: K(x, x') = <df(x)/dparams, df(x')/dparams> for one output.
import type { Matrix } from '../linalg/matrix.js';
import type { Mlp } from './mlp.js';
import type { ConvNet } from './conv.js';

function rows(X: Matrix, i: number): Float64Array { return Float64Array.from(X.data.subarray(i * X.cols, (i + 1) * X.cols)); }

/**
 * MLP empirical NTK from per-layer gradient factors, without forming the parameter gradients:
 * <dW_l, dW_l'> = (W_std^2 / m_l) (delta.delta') (a.a'), <db_l, db_l'> = b_std^2 (delta.delta').
 */
export function mlpEmpiricalNtk(net: Mlp, X1: Matrix, X2?: Matrix, k = 0): Matrix<Float64Array> {
  const B = X2 ?? X1;
  const f1 = Array.from({ length: X1.rows }, (_, i) => net.gradFactors(rows(X1, i), k));
  const f2 = X2 ? Array.from({ length: B.rows }, (_, i) => net.gradFactors(rows(B, i), k)) : f1;
  const K = new Float64Array(X1.rows * B.rows);
  const dot = (u: Float64Array, v: Float64Array) => { let s = 0; for (let i = 0; i < u.length; i++) s += u[i] * v[i]; return s; };
  for (let i = 0; i < X1.rows; i++) for (let j = 0; j < B.rows; j++) {
    let s = 0;
    for (let l = 0; l < net.layers; l++) {
      const dd = dot(f1[i].delta[l], f2[j].delta[l]);
      s += dd * ((net.wStd * net.wStd / net.dims[l]) * dot(f1[i].a[l], f2[j].a[l]) + net.bStd * net.bStd);
    }
    K[i * B.rows + j] = s;
  }
  return { data: K, rows: X1.rows, cols: B.rows };
}

/** Empirical NTK from explicit per-sample parameter gradients (any net with paramGrad). */
export function empiricalNtk(net: Pick<Mlp | ConvNet, 'paramGrad'>, X1: Matrix, X2?: Matrix, k = 0): Matrix<Float64Array> {
  const B = X2 ?? X1;
  const g1 = Array.from({ length: X1.rows }, (_, i) => net.paramGrad(rows(X1, i), k));
  const g2 = X2 ? Array.from({ length: B.rows }, (_, i) => net.paramGrad(rows(B, i), k)) : g1;
  const K = new Float64Array(X1.rows * B.rows);
  for (let i = 0; i < X1.rows; i++) for (let j = 0; j < B.rows; j++) {
    const u = g1[i], v = g2[j];
    let s = 0;
    for (let q = 0; q < u.length; q++) s += u[q] * v[q];
    K[i * B.rows + j] = s;
  }
  return { data: K, rows: X1.rows, cols: B.rows };
}
