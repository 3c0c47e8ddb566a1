// Module Worker: here Atomics.wait is allowed, so init() attaches the Web Worker pool.
import { run } from './checks.js';
import { runFaults } from './faults.js';
try {
  const result = await run({ threads: 2 });
  result.faults = await runFaults();
  postMessage(result);
} catch (e) {
  postMessage({ error: String(e && e.stack || e) });
}
