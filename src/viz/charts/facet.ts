// Multi-panel figures: several chart specs side by side in a grid (e.g. one panel per
// architecture or per eps), sharing the title and the config.
import { type ChartSpec, VEGA_LITE_SCHEMA, baseConfig } from './theme.js';

export interface FacetOptions {
  title?: string;
  /** A line (or lines) under the title, e.g. what the axes mean or which data. */
  subtitle?: string | string[];
  /** Panels per row (default: up to 3). */
  columns?: number;
  /** Share the colour legend / axes scales across panels (default independent). */
  shared?: ('color' | 'x' | 'y')[];
}

/**
 * Panels built by the chart functions (lineChart, scatterChart, ...) in one figure, `columns`
 * per row; each panel keeps its own scales and legend unless listed in `shared`.
 * @example facetCharts(archs.map((a) => lineChart(curves[a], { title: a })), { columns: 3 })
 */
export function facetCharts(panels: ChartSpec[], o: FacetOptions = {}): ChartSpec {
  if (panels.length === 0) throw new RangeError('facetCharts: no panels');
  const columns = o.columns ?? Math.min(3, panels.length);
  if (!(Number.isInteger(columns) && columns >= 1)) throw new RangeError(`facetCharts: columns must be a positive integer, got ${columns}`);
  const concat = panels.map((p, i) => {
    const { $schema: _s, config: _c, ...rest } = p as unknown as Record<string, unknown>;
    if ('concat' in rest || 'hconcat' in rest || 'vconcat' in rest) throw new RangeError(`facetCharts: panel ${i} is itself a multi-panel figure`);
    return rest;
  });
  const shared = new Set(o.shared ?? []);
  const res = (c: 'color' | 'x' | 'y') => (shared.has(c) ? 'shared' : 'independent');
  return { $schema: VEGA_LITE_SCHEMA, ...(o.title ? { title: o.subtitle ? { text: o.title, subtitle: o.subtitle } : o.title } : {}), description: `${panels.length} panels`,
    columns, concat, spacing: 24,
    resolve: { scale: { color: res('color'), strokeDash: res('color'), x: res('x'), y: res('y') }, legend: { color: res('color'), strokeDash: res('color') } },
    config: baseConfig() } as unknown as ChartSpec;
}
