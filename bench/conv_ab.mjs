// Conv NTK kernels of an older build of this package against this one, in one process, one
// thread, timed in process CPU seconds (best of reps, the two alternating, after a warm-up
// call each): on a machine shared with other jobs that is the cost on a core of its own,
// where wall-clock ratios drift with the load. Gram n x n and VJP (b test x n train) of CONV1
// and CONV2 on MNIST (28 x 28 x 1) and CIFAR (32 x 32 x 3) shapes, random [0, 1] inputs.
//   git archive 04c11b3 | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/ && (cd /tmp/base && npm run build)
//   npm run build && node bench/conv_ab.mjs /tmp/base [reps=5] [filter]     (env AB_N=200, AB_B=50)
// (plain JS on the built dist/, so an old checkout needs nothing but its own build)
import os from 'node:os';
import { pathToFileURL } from 'node:url';
const ours = await import(new URL('../dist/src/node.js', import.meta.url).href);
const [baseDir, repsArg, filter = ''] = process.argv.slice(2);
if (!baseDir) { console.error('usage: node bench/conv_ab.mjs <base package dir (built)> [reps] [filter]'); process.exit(2); }
const base = (await import(pathToFileURL(`${baseDir}/dist/src/node.js`).href));
const reps = Number(repsArg ?? 5), n = Number(process.env.AB_N ?? 200), b = Number(process.env.AB_B ?? 50);

function rand(r, d, seed) {
  let s = seed >>> 0;
  const a = new Float64Array(r * d);
  for (let i = 0; i < a.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[i] = s / 4294967296; }
  return { data: a, rows: r, cols: d };
}
function cpu(f) { const c0 = process.cpuUsage(); f(); const c = process.cpuUsage(c0); return (c.user + c.system) / 1e6; }

base.initNode({ threads: 1 });
const e = ours.initNode({ threads: 1 });
console.log(`node ${process.version}, this build: ${e.build}; n = ${n}, b = ${b}, best of ${reps}; load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
for (const img of ['mnist', 'cifar']) for (const a of ['conv1', 'conv2']) for (const op of ['gram', 'vjp']) {
  const key = `${op} ${a} ${img}`;
  if (filter && !key.includes(filter)) continue;
  const shape = (img === 'mnist' ? [28, 28, 1] : [32, 32, 3]);
  const d = shape[0] * shape[1] * shape[2];
  const X = rand(n, d, 1), Xb = rand(b, d, 4), W = rand(b, n, 3);
  for (let i = 0; i < W.data.length; i++) W.data[i] -= 0.5;
  const best = { base: Infinity, ours: Infinity };
  for (let r = -1; r < reps; r++) for (const [name, lib] of [['base', base], ['ours', ours]]) {
    const k = lib.arch(a);
    const t = op === 'gram' ? cpu(() => k.kernelFn(X, null, { shape })) : cpu(() => k.kernelVjp(Xb, X, W, { shape }));
    if (r >= 0) best[name] = Math.min(best[name], t); // r = -1 warms up (V8 tier-up)
  }
  const pairs = op === 'gram' ? (n * (n + 1)) / 2 : b * n;
  console.log(`${key.padEnd(18)} base ${best.base.toFixed(3)} s  ours ${best.ours.toFixed(3)} s (${(pairs / best.ours).toExponential(2)} pairs/s)  speed-up ${(best.base / best.ours).toFixed(2)}x  load ${os.loadavg()[0].toFixed(1)}`);
}
