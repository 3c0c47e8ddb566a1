// A tiny static server for the built page, on localhost only. With `isolate` (default) it
// sends COOP/COEP so the page is cross-origin isolated: SharedArrayBuffer exists and the
// engine runs its thread pool; without, the page falls back to one thread.
// Usage: node demo/serve.mjs [dir] [port]
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm', '.map': 'application/json', '.bin': 'application/octet-stream', '.css': 'text/css' };

/** Serves `dir` on 127.0.0.1:port (0 = any free port); resolves to the listening server. */
export function serveDir(dir, { port = 0, isolate = true } = {}) {
  const root = resolve(dir);
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]));
    const file = join(root, path.endsWith('/') ? path + 'index.html' : path);
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !(file === root || file.startsWith(root + sep))) { res.writeHead(404); res.end(); return; }
    try {
      const body = await readFile(file);
      const headers = { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' };
      if (isolate) Object.assign(headers, { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404); res.end();
    }
  });
  return new Promise((ok, fail) => { server.once('error', fail); server.listen(port, '127.0.0.1', () => ok(server)); });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? join(fileURLToPath(new URL('.', import.meta.url)), 'dist');
  const port = process.argv[3] ? Number(process.argv[3]) : 8080;
  const server = await serveDir(dir, { port, isolate: process.env.NTK_NO_ISOLATION !== '1' });
  console.log(`serving ${dir} on http://127.0.0.1:${server.address().port}/ (cross-origin isolated: threads on; Ctrl-C to stop)`);
}
