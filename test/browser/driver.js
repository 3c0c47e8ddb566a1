// Module Worker: here Atomics.wait is allowed, so init() attaches the Web Worker pool.
import { run } from './checks.js';
try {
  postMessage(await run({ threads: 2 }));
} catch (e) {
  postMessage({ error: String(e && e.stack || e) });
}
