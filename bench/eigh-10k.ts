// One-off: eigh with vectors of a 10,000 x 10,000 Gram-like matrix, in place on wasm buffers
// (A + V = 1.6 GB). Prints the phase times. Run: node dist/bench/eigh-10k.js [n]
import { initNode, eighInPlace, eighPhaseTimes } from '../src/node.js';

const n = Number(process.argv[2] ?? 10000);
const eng = initNode({});
const A = eng.buffer('f64', n * n), V = eng.buffer('f64', n * n);
let s = 1;
const a = A.data;
for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
  s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
  a[i * n + j] = a[j * n + i] = s / 4294967296 - 0.5 + (i === j ? 1 : 0);
}
const t = performance.now();
let last = 0;
const values = eighInPlace(A, n, V, {
  onProgress: (phase, f) => {
    const now = performance.now();
    if (now - last > 10000) { last = now; console.error(`${((now - t) / 1000).toFixed(0)} s: ${phase} ${(100 * f).toFixed(0)}%`); }
  },
});
const total = (performance.now() - t) / 1000;
console.log(JSON.stringify({ n, threads: eng.threads, total_s: total, phases_s: eighPhaseTimes, top: Array.from(values.slice(0, 3)), memory: eng.describeMemory() }));
