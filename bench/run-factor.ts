// Standalone runner for the factorisation bench case:
//   node dist/bench/run-factor.js [--quick] [--threads 1,2] [--only eigh|cholesky]
import { run } from './cases/factor.js';

const args = process.argv.slice(2);
const get = (k: string) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : undefined; };
const threads = (get('--threads') ?? '1').split(',').map(Number);
const rows = await run({ threads, quick: args.includes('--quick'), only: get('--only') });
for (const r of rows) {
  const peers = Object.entries(r.peers).map(([k, v]) => `${k} ${v === null ? '-' : v.toFixed(3)} (x${v ? (r.ours_s / v).toFixed(2) : '-'})`).join('  ');
  console.log(`${r.op.padEnd(20)} n=${String(r.size).padEnd(5)} t=${r.threads} ours ${r.ours_s.toFixed(3)} s (cold ${r.cold_s?.toFixed(3)})` +
    (r.gflops ? ` ${r.gflops.toFixed(2)} GF/s` : '') + `  ${peers}`);
}
console.log(JSON.stringify(rows));
