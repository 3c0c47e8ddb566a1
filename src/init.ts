// Browser (and any fetch-capable runtime) initialisation of the process-wide engine.
import { createBrowserEngine, type BrowserEngineOptions } from '../bindings/browser.js';
import { engine, hasEngine, setEngine } from './engine.js';
import type { Engine } from '../bindings/engine.js';

/** Loads the wasm engine (see BrowserEngineOptions) and makes it the current one. */
export async function init(opts: BrowserEngineOptions = {}): Promise<Engine> {
  const e = await createBrowserEngine(opts);
  if (hasEngine()) engine().dispose();
  setEngine(e);
  return e;
}
