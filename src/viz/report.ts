// report.html of a run: one self-contained page (no scripts, no server, no network) with the
// settings, the data used, result tables, the figures inline as SVG (image grids as embedded
// PNG), timings and the versions used. Built as a string here (browser-safe); report-node.ts
// writes it.

export type Cell = string | number | boolean | null | undefined;

export interface ReportTable {
  title?: string;
  columns: string[];
  rows: Cell[][];
  caption?: string;
}

export interface ReportFigure {
  title?: string;
  caption?: string;
  /** SVG markup (writeChart's `svg`); drawn inline. */
  svg?: string;
  /** PNG bytes (e.g. an image grid); embedded as a data URL. */
  png?: Uint8Array;
  /** File beside report.html the figure was also written to (linked under it). */
  file?: string;
  /** Text alternative; defaults to the title. */
  alt?: string;
}

export interface ReportInput {
  title: string;
  /** The command line that made the run. */
  command?: string;
  /** Headline results, one sentence each. */
  summary?: string[];
  settings?: Record<string, unknown>;
  /** What data was used (dataset, sizes, classes, sources). */
  data?: Record<string, unknown>;
  figures?: ReportFigure[];
  tables?: ReportTable[];
  /** Seconds per phase. */
  timings?: Record<string, number>;
  /** Package and runtime versions; writeReport fills in ntk-robustness, node, vega, ... */
  versions?: Record<string, string>;
  /** Output files beside the report (linked). */
  files?: string[];
  /** When the run finished (ISO 8601); default now. */
  date?: string;
}

export const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

function fmtCell(v: unknown): string {
  if (v === null || v === undefined) return '<span class="na">—</span>';
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return String(v);
    if (!Number.isFinite(v)) return String(v);
    return String(Number(v.toPrecision(4)));
  }
  if (typeof v === 'object') return `<code>${escapeHtml(JSON.stringify(v))}</code>`;
  return escapeHtml(String(v));
}

function kvTable(o: Record<string, unknown>): string {
  return `<table class="kv">${Object.entries(o).map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${fmtCell(v)}</td></tr>`).join('')}</table>`;
}

const b64 = (u: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
  return btoa(s);
};

/** Several SVGs in one page must not share ids (clip paths, gradients): prefix each figure's. */
function scopeIds(svg: string, p: string): string {
  return svg.replace(/\bid="([^"]+)"/g, `id="${p}-$1"`).replace(/url\(#([^)]+)\)/g, `url(#${p}-$1)`).replace(/href="#([^"]+)"/g, `href="#${p}-$1"`)
    .replace(/^<\?xml[^>]*>\s*/, '');
}

function figureHtml(f: ReportFigure, i: number): string {
  const alt = escapeHtml(f.alt ?? f.title ?? `figure ${i + 1}`);
  let body = '';
  if (f.svg) body = `<div class="svg" role="img" aria-label="${alt}">${scopeIds(f.svg, `f${i}`)}</div>`;
  else if (f.png) body = `<img class="pixels" alt="${alt}" src="data:image/png;base64,${b64(f.png)}">`;
  else throw new RangeError(`report figure ${i} ('${f.title ?? ''}') has neither svg nor png`);
  const cap = [f.caption ? escapeHtml(f.caption) : '', f.file ? `<a href="${escapeHtml(f.file)}">${escapeHtml(f.file)}</a>` : ''].filter(Boolean).join(' — ');
  return `<figure>${f.title ? `<h3>${escapeHtml(f.title)}</h3>` : ''}${body}${cap ? `<figcaption>${cap}</figcaption>` : ''}</figure>`;
}

function tableHtml(t: ReportTable, i: number): string {
  t.rows.forEach((r, k) => {
    if (r.length !== t.columns.length) throw new RangeError(`report table ${i} ('${t.title ?? ''}') row ${k} has ${r.length} cells for ${t.columns.length} columns`);
  });
  return `${t.title ? `<h3>${escapeHtml(t.title)}</h3>` : ''}<table class="data"><thead><tr>${t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead>` +
    `<tbody>${t.rows.map((r) => `<tr>${r.map((c) => `<td${typeof c === 'number' ? ' class="num"' : ''}>${fmtCell(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>` +
    (t.caption ? `<p class="caption">${escapeHtml(t.caption)}</p>` : '');
}

const CSS = `
body{font-family:"DejaVu Sans",system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;max-width:1100px;margin:2rem auto;padding:0 1.2rem;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}h3{font-size:1rem;margin:.6rem 0}
.meta{color:#666;font-size:.9rem}code,pre{font-family:"DejaVu Sans Mono",ui-monospace,monospace;font-size:.85rem}pre{background:#f6f6f6;padding:.6rem;overflow-x:auto;white-space:pre-wrap}
ul.summary li{margin:.2rem 0}figure{margin:1rem 0 1.6rem}figure .svg svg{max-width:100%;height:auto}
img.pixels{image-rendering:pixelated;max-width:100%;border:1px solid #eee}figcaption{color:#555;font-size:.9rem;margin-top:.3rem}
table{border-collapse:collapse;margin:.4rem 0 1rem;font-size:.9rem}th,td{padding:.25rem .7rem;border-bottom:1px solid #e3e3e3;text-align:left;vertical-align:top}
table.data thead th{border-bottom:2px solid #999}td.num{text-align:right;font-variant-numeric:tabular-nums}table.kv th{color:#444;font-weight:normal;white-space:nowrap}
.na{color:#aaa}.caption{color:#555;font-size:.9rem}`;

/** The complete HTML page of a run (no scripts; figures inline), e.g. for a download link in a page. */
export function reportHtml(r: ReportInput): string {
  const date = r.date ?? new Date().toISOString();
  const parts: string[] = [];
  parts.push(`<h1>${escapeHtml(r.title)}</h1><p class="meta">${escapeHtml(date)}</p>`);
  if (r.command) parts.push(`<pre class="command">${escapeHtml(r.command)}</pre>`);
  if (r.summary?.length) parts.push(`<h2>Results</h2><ul class="summary">${r.summary.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>`);
  if (r.figures?.length) parts.push(`<h2>Figures</h2>${r.figures.map(figureHtml).join('')}`);
  if (r.tables?.length) parts.push(`<h2>Tables</h2>${r.tables.map(tableHtml).join('')}`);
  if (r.settings) parts.push(`<h2>Settings</h2>${kvTable(r.settings)}`);
  if (r.data) parts.push(`<h2>Data</h2>${kvTable(r.data)}`);
  if (r.timings) parts.push(`<h2>Timings</h2>${kvTable(Object.fromEntries(Object.entries(r.timings).map(([k, v]) => [k, `${v < 10 ? v.toFixed(3) : v.toFixed(1)} s`])))}`);
  if (r.files?.length) parts.push(`<h2>Files</h2><ul>${r.files.map((f) => `<li><a href="${escapeHtml(f)}">${escapeHtml(f)}</a></li>`).join('')}</ul>`);
  if (r.versions) parts.push(`<h2>Versions</h2>${kvTable(r.versions)}`);
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${escapeHtml(r.title)}</title><style>${CSS}</style></head><body>\n${parts.join('\n')}\n</body></html>\n`;
}
