/*
 * Charts as Vega-Lite specifications: one function per chart kind, data in, plain JSON spec
 * out (browser-safe; the browser renders a spec with vega-embed, Node with renderSvg/renderPng).
 *
 *   lineChart(series, opts)     lines + markers + optional bands (seedBand: mean +- std over seeds)
 *   scatterChart(data, opts)    points with a continuous colour scale (or groups) and tooltips
 *   heatmapChart(data, opts)    matrix as rects with a colour bar
 *   polarChart(series, opts)    (r, phi) trajectories drawn at x = r cos phi, y = r sin phi, coloured by epoch
 *   facetCharts(panels, opts)   several of the above in one multi-panel figure
 *
 * Node (from 'ntk-robustness/node', or src/node.ts inside the repo):
 *   renderSvg(spec) -> Promise<string>, renderPng(spec, {scale = 2}) -> Promise<Uint8Array>,
 *   writeChart(dir, name, spec) -> Promise<{ name, svg, spec, files }>   writes <name>.png + <name>.svg atomically
 *   writeReport(dir, { title, command, summary, settings, data, figures, tables, timings, files }) -> path of report.html
 *   imageGrid(opts) -> Promise<Uint8Array>   pixel-exact image cells with real-font captions (PNG)
 *
 * Example (a command writing a figure and its report; inside the repo the imports are
 * ../viz/charts/index.js, ../viz/render-node.js and ../viz/report-node.js):
 *
 *   import { lineChart, seedBand } from 'ntk-robustness';
 *   import { writeChart, writeReport } from 'ntk-robustness/node';
 *
 *   const band = seedBand([lossSeed0, lossSeed1, lossSeed2]);
 *   const spec = lineChart([{ label: 'train loss', x: epochs, ...band }],
 *     { title: 'Training curve', xLabel: 'epoch', yLabel: 'loss', yScale: 'log' });
 *   const fig = await writeChart(outDir, 'train-curve', spec);        // train-curve.png, train-curve.svg
 *   const report = writeReport(outDir, {
 *     title: 'ntk train', command: process.argv.slice(1).join(' '), settings: opts, data: task.info,
 *     figures: [{ title: 'Training curve', svg: fig.svg, file: 'train-curve.png' }],
 *     tables: [{ title: 'Final', columns: ['epoch', 'loss'], rows: [[10, 0.12]] }],
 *     timings: { fit: 1.2, total: 3.4 }, files: [...fig.files, 'report.json'] });
 *   process.stderr.write(`report: ${report}\n`);
 */
export { lineChart, seedBand, type LineSeries, type LineChartOptions } from './line.js';
export { scatterChart, type ScatterData, type ScatterChartOptions } from './scatter.js';
export { heatmapChart, type HeatmapData, type HeatmapChartOptions } from './heatmap.js';
export { polarChart, type PolarSeries, type PolarChartOptions } from './polar.js';
export { facetCharts, type FacetOptions } from './facet.js';
export { type ChartSpec, type ChartOptions, CHART_FONT, VEGA_LITE_SCHEMA } from './theme.js';
