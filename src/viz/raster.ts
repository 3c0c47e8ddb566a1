// A minimal RGB raster with the drawing primitives the pictures need, encoded with fast-png.
import { encode } from 'fast-png';
import { ADVANCE, GLYPH_H, GLYPH_W, glyph } from './font.js';

export type RGB = [number, number, number];
export type Marker = 'circle' | 'square' | 'triangle' | 'diamond' | 'cross' | 'plus';

export class Raster {
  readonly data: Uint8Array;
  /** Optional clip rectangle [x0, y0, x1, y1) for drawing (not for setImagePixel). */
  clip: [number, number, number, number] | null = null;
  constructor(readonly width: number, readonly height: number, bg: RGB = [255, 255, 255]) {
    if (!(width > 0 && height > 0 && Number.isInteger(width) && Number.isInteger(height)))
      throw new RangeError(`picture size must be positive integers, got ${width} x ${height}`);
    this.data = new Uint8Array(width * height * 3);
    this.rect(0, 0, width, height, bg);
  }

  set(x: number, y: number, c: RGB): void {
    x = Math.round(x); y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const k = this.clip;
    if (k && (x < k[0] || y < k[1] || x >= k[2] || y >= k[3])) return;
    const o = (y * this.width + x) * 3;
    this.data[o] = c[0]; this.data[o + 1] = c[1]; this.data[o + 2] = c[2];
  }

  get(x: number, y: number): RGB {
    const o = (y * this.width + x) * 3;
    return [this.data[o], this.data[o + 1], this.data[o + 2]];
  }

  rect(x: number, y: number, w: number, h: number, c: RGB): void {
    for (let j = Math.max(0, y); j < Math.min(this.height, y + h); j++)
      for (let i = Math.max(0, x); i < Math.min(this.width, x + w); i++) this.set(i, j, c);
  }

  strokeRect(x: number, y: number, w: number, h: number, c: RGB): void {
    this.rect(x, y, w, 1, c); this.rect(x, y + h - 1, w, 1, c);
    this.rect(x, y, 1, h, c); this.rect(x + w - 1, y, 1, h, c);
  }

  /** Line of the given thickness (square brush), Bresenham-stepped. */
  line(x0: number, y0: number, x1: number, y1: number, c: RGB, thick = 1, dash = 0): void {
    x0 = Math.round(x0); y0 = Math.round(y0); x1 = Math.round(x1); y1 = Math.round(y1);
    const dx = Math.abs(x1 - x0), dy = -Math.abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    let err = dx + dy, step = 0;
    const lo = -Math.floor((thick - 1) / 2), hi = lo + thick;
    for (;;) {
      if (!dash || Math.floor(step / dash) % 2 === 0)
        for (let a = lo; a < hi; a++) for (let b = lo; b < hi; b++) this.set(x0 + a, y0 + b, c);
      step++;
      if (x0 === x1 && y0 === y1) break;
      const e2 = 2 * err;
      if (e2 >= dy) { err += dy; x0 += sx; }
      if (e2 <= dx) { err += dx; y0 += sy; }
    }
  }

  /** Text with its top-left at (x, y); glyphs scaled by an integer factor. */
  text(x: number, y: number, s: string, c: RGB, scale = 1): void {
    let cx = Math.round(x);
    for (const ch of s) {
      const g = glyph(ch);
      for (let r = 0; r < GLYPH_H; r++)
        for (let col = 0; col < GLYPH_W; col++)
          if (g[r] & (1 << (GLYPH_W - 1 - col))) this.rect(cx + col * scale, Math.round(y) + r * scale, scale, scale, c);
      cx += ADVANCE * scale;
    }
  }

  /** Text rotated 90 degrees counter-clockwise (reads bottom to top), top-left of its box at (x, y). */
  textUp(x: number, y: number, s: string, c: RGB, scale = 1): void {
    const chars = [...s];
    const len = chars.length * ADVANCE * scale;
    chars.forEach((ch, k) => {
      const g = glyph(ch);
      for (let r = 0; r < GLYPH_H; r++)
        for (let col = 0; col < GLYPH_W; col++)
          if (g[r] & (1 << (GLYPH_W - 1 - col)))
            this.rect(Math.round(x) + r * scale, Math.round(y) + len - (k * ADVANCE + col + 1) * scale, scale, scale, c);
    });
  }

  marker(x: number, y: number, m: Marker, c: RGB, size = 4): void {
    const r = size;
    for (let j = -r; j <= r; j++)
      for (let i = -r; i <= r; i++) {
        let on = false;
        switch (m) {
          case 'circle': on = i * i + j * j <= r * r + r * 0.5; break;
          case 'square': on = Math.abs(i) <= r - 1 && Math.abs(j) <= r - 1; break;
          case 'diamond': on = Math.abs(i) + Math.abs(j) <= r; break;
          case 'triangle': on = j >= -r && j <= r - 1 && Math.abs(i) <= (j + r) / 2; break;
          case 'cross': on = Math.abs(Math.abs(i) - Math.abs(j)) <= 0.5; break;
          case 'plus': on = Math.abs(i) <= 0.5 || Math.abs(j) <= 0.5; break;
        }
        if (on) this.set(x + i, y + j, c);
      }
  }

  /** PNG bytes (8-bit RGB). */
  toPng(): Uint8Array {
    return encode({ width: this.width, height: this.height, data: this.data, channels: 3, depth: 8 });
  }
}
