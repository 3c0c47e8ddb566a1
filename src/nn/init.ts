// Seeded initialisation of a net's parameter buffer (layer by layer, W then b, then frozen
// tensors, all from one Rng stream). NTK parameterisation: W, b ~ N(0, 1) (the forward pass
// applies W_std / sqrt(fan_in) and b_std). Standard parameterisation (Flax defaults, the
// paper's Sec. 5 code): W ~ lecun_normal = truncated normal on [-2, 2] standard deviations
// rescaled to std 1/sqrt(fan_in) (JAX's 0.8796... correction), b = 0. Frozen readouts: +-1.
import type { LayerShape } from '../kernels/shapes.js';
import { Rng } from './random.js';

export type Parameterization = 'ntk' | 'standard';

// std of a standard normal truncated to [-2, 2] (jax.nn.initializers.variance_scaling)
const TRUNC_STD = 0.87962566103423978;

function truncatedNormal(rng: Rng): number {
  for (;;) { const v = rng.normal(); if (v >= -2 && v <= 2) return v; }
}

/** Fills `params` (trainable, layout order) and `consts` (frozen, their order). */
export function initParams(plan: readonly LayerShape[], param: Parameterization, seed: number, params: Float64Array, consts: Float64Array): void {
  const rng = new Rng(seed);
  let p = 0, q = 0;
  for (const ls of plan) {
    for (const t of ls.params) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      if (param === 'ntk') for (let i = 0; i < n; i++) params[p + i] = rng.normal();
      else if (t.name === 'W') {
        const std = 1 / Math.sqrt(ls.fanIn) / TRUNC_STD;
        for (let i = 0; i < n; i++) params[p + i] = std * truncatedNormal(rng);
      } else params.fill(0, p, p + n);
      p += n;
    }
    for (const t of ls.consts) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      for (let i = 0; i < n; i++) consts[q + i] = rng.uniform() < 0.5 ? -1 : 1;
      q += n;
    }
  }
}
