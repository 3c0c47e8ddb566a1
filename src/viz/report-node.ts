// Writes report.html (atomically) beside a run's JSON, with the versions used filled in.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { writeFileAtomic } from '../io/atomic.js';
import { packageRoot } from '../data/cifar-node.js';
import { reportHtml, type ReportInput } from './report.js';

const require = createRequire(import.meta.url);

function pkgVersion(dir: string): string {
  try { return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version; } catch { return 'unknown'; }
}

/** Versions of this package, Node and the chart stack. */
export function runtimeVersions(): Record<string, string> {
  return {
    'ntk-robustness': pkgVersion(packageRoot()),
    node: process.version,
    vega: vega.version,
    'vega-lite': vl.version,
    '@resvg/resvg-wasm': pkgVersion(dirname(require.resolve('@resvg/resvg-wasm/index_bg.wasm'))),
    'dejavu-fonts-ttf': pkgVersion(dirname(require.resolve('dejavu-fonts-ttf/package.json'))),
  };
}

/**
 * Writes `<dir>/report.html` (or `<dir>/<name>`) atomically and returns its path; the versions
 * of this package, Node, vega, vega-lite, resvg and the font are added to `r.versions`.
 * @example writeReport(dir, { title: 'ntk train', settings, figures: [{ title: 'Loss', svg: fig.svg }], timings })
 */
export function writeReport(dir: string, r: ReportInput, name = 'report.html'): string {
  const path = join(dir, name);
  writeFileAtomic(path, reportHtml({ ...r, versions: { ...runtimeVersions(), ...r.versions } }));
  return path;
}
