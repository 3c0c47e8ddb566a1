// How the page gets cross-origin isolation (threads need SharedArrayBuffer): from the server's
// COOP/COEP headers (npm run demo), else from coi-sw.js (the service worker adds them; one
// reload), else not at all (the page runs on one thread and says why). ?coi=0 turns the
// service worker off.
export type Isolation =
  | { isolated: true; via: 'headers' | 'service worker' }
  | { isolated: false; reloading: boolean; reason: string };

const RELOADED = 'ntk-coi-reloaded';

export async function ensureIsolation(): Promise<Isolation> {
  const sw = navigator.serviceWorker;
  const off = new URLSearchParams(location.search).get('coi') === '0';
  if (off && sw?.controller) {
    // served through the service worker of an earlier visit: drop it and load the page plainly
    await sw.getRegistrations().then((rs) => Promise.all(rs.map((r) => r.unregister())));
    location.reload();
    return { isolated: false, reloading: true, reason: 'reloading without the cross-origin-isolation service worker (?coi=0)' };
  }
  if (crossOriginIsolated) {
    sessionStorage.removeItem(RELOADED);
    return { isolated: true, via: sw?.controller ? 'service worker' : 'headers' };
  }
  if (off) {
    await sw?.getRegistrations().then((rs) => Promise.all(rs.map((r) => r.unregister())));
    return { isolated: false, reloading: false, reason: 'not cross-origin isolated (?coi=0 turns the service worker off)' };
  }
  if (!sw || !isSecureContext) return { isolated: false, reloading: false, reason: 'not cross-origin isolated, and service workers need https or localhost' };
  // the service worker already controls the page but isolation did not follow: do not loop
  if (sw.controller && sessionStorage.getItem(RELOADED)) return { isolated: false, reloading: false, reason: 'not cross-origin isolated even with the service worker (this browser does not allow it)' };
  try {
    await sw.register(new URL('./coi-sw.js', import.meta.url));
    await sw.ready;
    if (!sw.controller) await new Promise<void>((ok) => sw.addEventListener('controllerchange', () => ok(), { once: true }));
  } catch (e) {
    return { isolated: false, reloading: false, reason: `not cross-origin isolated: the service worker failed (${(e as Error).message})` };
  }
  sessionStorage.setItem(RELOADED, '1');
  location.reload();
  return { isolated: false, reloading: true, reason: 'reloading under the cross-origin-isolation service worker' };
}
