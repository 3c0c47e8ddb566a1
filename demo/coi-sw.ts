// Cross-origin isolation for static hosts that cannot send headers (e.g. GitHub Pages): this
// service worker re-serves every same-origin response with COOP/COEP added, so after one
// reload the page is cross-origin isolated, SharedArrayBuffer exists and the engine runs its
// thread pool. demo/coi.ts registers it only when the page is not isolated already.
declare const self: ServiceWorkerGlobalScope;

self.addEventListener('install', () => { void self.skipWaiting(); });
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (e) => {
  const req = e.request;
  // a Chrome quirk: only-if-cached is only allowed with same-origin mode
  if (req.cache === 'only-if-cached' && req.mode !== 'same-origin') return;
  // the page is all same-origin; other origins pass through untouched
  if (new URL(req.url).origin !== self.location.origin) return;
  e.respondWith(fetch(req).then((res) => {
    if (res.status === 0) return res; // opaque: headers cannot be changed
    const headers = new Headers(res.headers);
    headers.set('Cross-Origin-Opener-Policy', 'same-origin');
    headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  }));
});
