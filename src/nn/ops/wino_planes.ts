// Plane strides of the Winograd transforms (training convs in conv.ts, F(4x4) input cotangents
// in conv_wino4.ts, the empirical NTK's conv rows).

/**
 * Smallest count c = n, n + step, ... whose plane (c * rowBytes bytes) puts 16 consecutive
 * planes in at least 8 distinct 64-byte L1 sets. Planes a multiple of 4 KiB apart all map to
 * one set, and the Winograd transforms, which touch 16-36 planes per tile, then miss L1 on
 * every access (4 KiB aliasing: cifar-cnn's 16 x 16 x 128 planes are 32 KiB).
 */
export function spreadCount(n: number, rowBytes: number, step = 1): number {
  let best = n, bestSets = 0;
  for (let c = n; c < n + 64 * step; c += step) {
    const sets = new Set<number>();
    for (let k = 0; k < 16; k++) sets.add(Math.floor(((k * c * rowBytes) % 4096) / 64));
    if (sets.size >= 8) return c;
    if (sets.size > bestSets) { best = c; bestSets = sets.size; }
  }
  return best;
}
