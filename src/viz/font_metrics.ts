// Advance widths from a TrueType font's own tables (cmap, hmtx), so chart layout (vega's text
// measurement) and image-grid captions are sized for the font that resvg then draws with.
// Kerning is ignored: it moves DejaVu Sans text by well under a percent.

export interface FontMetrics {
  /** Width in pixels of `text` set at `size` px (sum of advance widths). */
  width(text: string, size: number): number;
}

/** Parses the tables needed for advance widths. Throws naming what is missing or malformed. */
export function fontMetrics(ttf: Uint8Array, name = 'font'): FontMetrics {
  const dv = new DataView(ttf.buffer, ttf.byteOffset, ttf.byteLength);
  const tables = new Map<string, number>();
  const numTables = dv.getUint16(4);
  for (let i = 0; i < numTables; i++) {
    const rec = 12 + 16 * i;
    const tag = String.fromCharCode(ttf[rec], ttf[rec + 1], ttf[rec + 2], ttf[rec + 3]);
    tables.set(tag, dv.getUint32(rec + 8));
  }
  const need = (t: string) => {
    const o = tables.get(t);
    if (o === undefined) throw new Error(`${name}: no '${t}' table; expected a TrueType/OpenType font`);
    return o;
  };
  const unitsPerEm = dv.getUint16(need('head') + 18);
  const nMetrics = dv.getUint16(need('hhea') + 34);
  const hmtx = need('hmtx');
  const advance = (glyph: number) => dv.getUint16(hmtx + 4 * Math.min(glyph, nMetrics - 1));
  const glyphOf = cmapLookup(dv, need('cmap'), name);
  const cache = new Map<number, number>();
  const adv = (cp: number) => {
    let a = cache.get(cp);
    if (a === undefined) { a = advance(glyphOf(cp)); cache.set(cp, a); }
    return a;
  };
  return {
    width(text: string, size: number): number {
      let units = 0;
      for (const ch of text) units += adv(ch.codePointAt(0)!);
      return (units * size) / unitsPerEm;
    },
  };
}

/** Code point -> glyph id from the Windows Unicode subtable (format 12 preferred, else 4). */
function cmapLookup(dv: DataView, cmap: number, name: string): (cp: number) => number {
  const n = dv.getUint16(cmap + 2);
  let f4 = -1, f12 = -1;
  for (let i = 0; i < n; i++) {
    const rec = cmap + 4 + 8 * i, platform = dv.getUint16(rec), enc = dv.getUint16(rec + 2), off = cmap + dv.getUint32(rec + 4);
    const format = dv.getUint16(off);
    if (format === 12 && (platform === 3 || platform === 0)) f12 = off;
    if (format === 4 && (platform === 3 || platform === 0) && (enc === 1 || platform === 0)) f4 = off;
  }
  if (f12 >= 0) {
    const groups = dv.getUint32(f12 + 12);
    return (cp) => {
      let lo = 0, hi = groups - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1, g = f12 + 16 + 12 * mid;
        const start = dv.getUint32(g), end = dv.getUint32(g + 4);
        if (cp < start) hi = mid - 1;
        else if (cp > end) lo = mid + 1;
        else return dv.getUint32(g + 8) + cp - start;
      }
      return 0;
    };
  }
  if (f4 < 0) throw new Error(`${name}: no Unicode cmap subtable (format 4 or 12)`);
  const segX2 = dv.getUint16(f4 + 6), ends = f4 + 14, starts = ends + segX2 + 2, deltas = starts + segX2, ranges = deltas + segX2;
  return (cp) => {
    if (cp > 0xffff) return 0;
    for (let s = 0; s < segX2; s += 2) {
      if (cp > dv.getUint16(ends + s)) continue;
      const start = dv.getUint16(starts + s);
      if (cp < start) return 0;
      const ro = dv.getUint16(ranges + s);
      if (ro === 0) return (cp + dv.getInt16(deltas + s)) & 0xffff;
      const g = dv.getUint16(ranges + s + ro + 2 * (cp - start));
      return g === 0 ? 0 : (g + dv.getInt16(deltas + s)) & 0xffff;
    }
    return 0;
  };
}
