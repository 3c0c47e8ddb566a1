// Elementwise ops of the finite nets, generic over f32/f64, split in fixed chunks of
// `chunk` elements per task: ReLU (forward; its VJP and JVP are the same mask), scaling
// (a linear layer: forward = VJP = JVP), bias rows, column sums, and the SGD update.
// The f32 paths run 4 lanes per instruction (f64: 2).

/** mode 0: Y = max(X, 0); mode 1: Y = G * (X > 0) (the VJP and the JVP of ReLU at X). */
function relu<T>(mode: i32, X: usize, G: usize, Y: usize, n: i32, chunk: i32, task: i32): void {
  const i0 = task * chunk, i1 = min(n, i0 + chunk);
  const L = <i32>(16 / sizeof<T>());
  let i = i0;
  const z = v128.splat<T>(0);
  for (; i + L <= i1; i += L) {
    const o = <usize>i * sizeof<T>();
    const x = v128.load(X + o);
    if (mode == 0) v128.store(Y + o, v128.max<T>(x, z));
    else v128.store(Y + o, v128.and(v128.load(G + o), v128.gt<T>(x, z)));
  }
  for (; i < i1; i++) {
    const o = <usize>i * sizeof<T>();
    const x = load<T>(X + o);
    if (mode == 0) store<T>(Y + o, x > 0 ? x : 0);
    else store<T>(Y + o, x > 0 ? load<T>(G + o) : 0);
  }
}

/** Y = a X (+ Y when accumulate). */
function scaleArr<T>(X: usize, Y: usize, n: i32, a: f64, accumulate: i32, chunk: i32, task: i32): void {
  const i0 = task * chunk, i1 = min(n, i0 + chunk), av = <T>a;
  const L = <i32>(16 / sizeof<T>());
  const s = v128.splat<T>(av);
  let i = i0;
  for (; i + L <= i1; i += L) {
    const o = <usize>i * sizeof<T>();
    let v = v128.mul<T>(s, v128.load(X + o));
    if (accumulate) v = v128.add<T>(v, v128.load(Y + o));
    v128.store(Y + o, v);
  }
  for (; i < i1; i++) {
    const o = <usize>i * sizeof<T>();
    const v = av * load<T>(X + o);
    store<T>(Y + o, accumulate ? load<T>(Y + o) + v : v);
  }
}

/** Y[r, :] += s b for rows of task*chunk.. (lanes over columns). */
function addBias<T>(Y: usize, b: usize, rows: i32, cols: i32, s: f64, chunk: i32, task: i32): void {
  const r0 = task * chunk, r1 = min(rows, r0 + chunk), L = <i32>(16 / sizeof<T>()), sv = v128.splat<T>(<T>s);
  for (let r = r0; r < r1; r++) {
    const row = Y + <usize>r * <usize>cols * sizeof<T>();
    let j = 0;
    for (; j + L <= cols; j += L) {
      const o = <usize>j * sizeof<T>();
      v128.store(row + o, v128.add<T>(v128.load(row + o), v128.mul<T>(sv, v128.load(b + o))));
    }
    for (; j < cols; j++) {
      const q = row + <usize>j * sizeof<T>();
      store<T>(q, load<T>(q) + <T>s * load<T>(b + <usize>j * sizeof<T>()));
    }
  }
}

/** out[j] = s sum_r G[r, j] (+ out[j] when accumulate); rows summed in order. */
function colsum<T>(G: usize, rows: i32, cols: i32, s: f64, out: usize, accumulate: i32): void {
  for (let j = 0; j < cols; j++) {
    let acc: T = 0;
    for (let r = 0; r < rows; r++) acc += load<T>(G + (<usize>r * <usize>cols + <usize>j) * sizeof<T>());
    const q = out + <usize>j * sizeof<T>();
    const v = <T>(s * <f64>acc);
    store<T>(q, accumulate ? load<T>(q) + v : v);
  }
}

/** SGD, PyTorch's form: v = mu v + g, p -= lr v (mu = 0: p -= lr g, v untouched). */
function sgd<T>(P: usize, G: usize, V: usize, n: i32, lr: f64, mu: f64, chunk: i32, task: i32): void {
  const i0 = task * chunk, i1 = min(n, i0 + chunk), lrT = <T>lr, muT = <T>mu, L = <i32>(16 / sizeof<T>());
  const lrv = v128.splat<T>(lrT), muv = v128.splat<T>(muT);
  let i = i0;
  for (; i + L <= i1; i += L) {
    const o = <usize>i * sizeof<T>();
    let g = v128.load(G + o);
    if (mu != 0) { g = v128.add<T>(v128.mul<T>(muv, v128.load(V + o)), g); v128.store(V + o, g); }
    v128.store(P + o, v128.sub<T>(v128.load(P + o), v128.mul<T>(lrv, g)));
  }
  for (; i < i1; i++) {
    const o = <usize>i * sizeof<T>();
    let g = load<T>(G + o);
    if (mu != 0) { g = muT * load<T>(V + o) + g; store<T>(V + o, g); }
    store<T>(P + o, load<T>(P + o) - lrT * g);
  }
}

/** 1 when any of the n values is NaN or infinite. */
function nonFinite<T>(X: usize, n: i32): i32 {
  for (let i = 0; i < n; i++) { const v = load<T>(X + <usize>i * sizeof<T>()); if (!isFinite<T>(v)) return 1; }
  return 0;
}

export function nn_relu_f32(mode: i32, X: usize, G: usize, Y: usize, n: i32, chunk: i32, task: i32, tid: i32): void { relu<f32>(mode, X, G, Y, n, chunk, task); }
export function nn_relu_f64(mode: i32, X: usize, G: usize, Y: usize, n: i32, chunk: i32, task: i32, tid: i32): void { relu<f64>(mode, X, G, Y, n, chunk, task); }
export function nn_scale_f32(X: usize, Y: usize, n: i32, a: f64, accumulate: i32, chunk: i32, task: i32, tid: i32): void { scaleArr<f32>(X, Y, n, a, accumulate, chunk, task); }
export function nn_scale_f64(X: usize, Y: usize, n: i32, a: f64, accumulate: i32, chunk: i32, task: i32, tid: i32): void { scaleArr<f64>(X, Y, n, a, accumulate, chunk, task); }
export function nn_add_bias_f32(Y: usize, b: usize, rows: i32, cols: i32, s: f64, chunk: i32, task: i32, tid: i32): void { addBias<f32>(Y, b, rows, cols, s, chunk, task); }
export function nn_add_bias_f64(Y: usize, b: usize, rows: i32, cols: i32, s: f64, chunk: i32, task: i32, tid: i32): void { addBias<f64>(Y, b, rows, cols, s, chunk, task); }
export function nn_colsum_f32(G: usize, rows: i32, cols: i32, s: f64, out: usize, accumulate: i32): void { colsum<f32>(G, rows, cols, s, out, accumulate); }
export function nn_colsum_f64(G: usize, rows: i32, cols: i32, s: f64, out: usize, accumulate: i32): void { colsum<f64>(G, rows, cols, s, out, accumulate); }
export function nn_sgd_f32(P: usize, G: usize, V: usize, n: i32, lr: f64, mu: f64, chunk: i32, task: i32, tid: i32): void { sgd<f32>(P, G, V, n, lr, mu, chunk, task); }
export function nn_sgd_f64(P: usize, G: usize, V: usize, n: i32, lr: f64, mu: f64, chunk: i32, task: i32, tid: i32): void { sgd<f64>(P, G, V, n, lr, mu, chunk, task); }
export function nn_nonfinite_f32(X: usize, n: i32): i32 { return nonFinite<f32>(X, n); }
export function nn_nonfinite_f64(X: usize, n: i32): i32 { return nonFinite<f64>(X, n); }
