// eNTK A/B of entkTuning switches in one process (cifar-cnn, all 10 outputs, 2 threads):
// alternating runs after a warm-up each, wall and process CPU seconds (best of reps), and the
// CPU of each wasm task kind (a parallelFor wrapper: the calling thread's wall time per call
// times the pool size is the pool's CPU when both are busy; idle = that minus the CPU used).
//   npm run build && node bench/entk_ab.mjs [reps=3] [B=50] 'gramTile=4' 'gramTile=6' ...
import os from 'node:os';
const lib = await import(new URL('../dist/src/node.js', import.meta.url).href);
const { entkTuning } = await import(new URL('../dist/src/nn/empirical_ntk.js', import.meta.url).href);
const [repsArg = '3', bArg = '50', ...variants] = process.argv.slice(2);
const reps = Number(repsArg), B = Number(bArg);
const e = lib.initNode({ threads: 2 });
const a = lib.netArch('cifar-cnn');
const net = lib.buildNet(a.layers, { input: [32, 32, 3], parameterization: a.parameterization, seed: 0 });
let s = 4;
const X = { data: new Float64Array(B * net.inputDim).map(() => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; }), rows: B, cols: net.inputDim };
const phases = new Map();
const pf = e.parallelFor.bind(e);
e.parallelFor = (name, args, n) => {
  const t0 = performance.now(), c0 = process.cpuUsage();
  try { return pf(name, args, n); } finally {
    const c = process.cpuUsage(c0), k0 = name.replace(/_f(32|64)(_task)?$/, ""), k = process.env.AB_SHAPES && /conv/.test(k0) ? `${k0} ${args.slice(1, 5).join(",")}` : k0;
    const p = phases.get(k) ?? { wall: 0, cpu: 0, calls: 0 };
    p.wall += (performance.now() - t0) / 1e3; p.cpu += (c.user + c.system) / 1e6; p.calls++;
    phases.set(k, p);
  }
};
const vs = (variants.length ? variants : ['']).map((v) => Object.fromEntries(v.split(',').filter(Boolean).map((kv) => { const [k, x] = kv.split('='); return [k, x === 'null' ? null : x === 'true' ? true : x === 'false' ? false : Number(x)]; })));
const saved = { ...entkTuning };
console.log(`node ${process.version}, build ${e.build}, cifar-cnn B = ${B}, ${e.threads} threads, best of ${reps}; load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
const best = vs.map(() => ({ wall: Infinity, cpu: Infinity, phases: null }));
let ref = null;
for (let r = -1; r < reps; r++) vs.forEach((v, i) => {
  Object.assign(entkTuning, saved, v);
  phases.clear();
  const t0 = performance.now(), c0 = process.cpuUsage();
  const K = lib.empiricalKernel(net, X);
  const c = process.cpuUsage(c0), wall = (performance.now() - t0) / 1e3, cpu = (c.user + c.system) / 1e6;
  if (!ref) ref = K.data;
  let d = 0, m = 0;
  for (let j = 0; j < ref.length; j++) { d = Math.max(d, Math.abs(K.data[j] - ref[j])); m = Math.max(m, Math.abs(ref[j])); }
  if (r >= 0) {
    console.log(`  ${JSON.stringify(v)} wall ${wall.toFixed(3)} s cpu ${cpu.toFixed(3)} s  rel diff to first ${(d / m).toExponential(1)}  load ${os.loadavg()[0].toFixed(1)}`);
    if (wall < best[i].wall) best[i] = { wall, cpu: Math.min(cpu, best[i].cpu), phases: new Map(phases) };
    else best[i].cpu = Math.min(cpu, best[i].cpu);
  }
});
Object.assign(entkTuning, saved);
vs.forEach((v, i) => {
  console.log(`${JSON.stringify(v)}: best wall ${best[i].wall.toFixed(3)} s, best cpu ${best[i].cpu.toFixed(3)} s; tasks of the best-wall run (wall, cpu, idle share):`);
  for (const [k, p] of [...best[i].phases].sort((x, y) => y[1].wall - x[1].wall))
    console.log(`    ${k.padEnd(28)} ${p.wall.toFixed(3)} s  cpu ${p.cpu.toFixed(3)} s  idle ${(1 - p.cpu / (p.wall * e.threads)).toFixed(2)}  (${p.calls} calls)`);
});
net.dispose();
