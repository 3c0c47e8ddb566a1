// Plain row-major matrices: a typed array with its shape, as numpy users expect.
import type { FloatArray } from '../../bindings/engine.js';

export interface Matrix<T extends FloatArray = FloatArray> {
  data: T;
  rows: number;
  cols: number;
}

export function matrix<T extends FloatArray>(data: T, rows: number, cols: number, what = 'matrix'): Matrix<T> {
  checkShape(data, rows, cols, what);
  return { data, rows, cols };
}

export function zeros(rows: number, cols: number): Matrix<Float64Array> {
  return { data: new Float64Array(rows * cols), rows, cols };
}

export function checkShape(data: FloatArray, rows: number, cols: number, what: string): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0)
    throw new RangeError(`${what}: shape must be non-negative integers, got ${rows} x ${cols}`);
  if (data.length !== rows * cols)
    throw new RangeError(`${what}: data has ${data.length} entries but shape ${rows} x ${cols} needs ${rows * cols}`);
}

export function checkMatrix(m: Matrix, what: string): void {
  if (!m || !(m.data instanceof Float64Array || m.data instanceof Float32Array))
    throw new TypeError(`${what}: expected { data: Float64Array | Float32Array, rows, cols }`);
  checkShape(m.data, m.rows, m.cols, what);
}

/** Throws naming the first non-finite entry (row, column), so NaN never flows on silently. */
export function checkFinite(m: Matrix, what: string): void {
  const d = m.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      const r = Math.floor(i / Math.max(m.cols, 1)), c = i - r * m.cols;
      throw new RangeError(`${what}: entry (${r}, ${c}) is ${d[i]}; expected a finite number`);
    }
  }
}

export function dtypeOf(m: Matrix): 'f64' | 'f32' {
  return m.data instanceof Float64Array ? 'f64' : 'f32';
}
