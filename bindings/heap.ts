// The one owner of wasm linear memory. Kernels take raw byte offsets; this allocator hands
// them out so that every instance (main thread and workers) sees the same layout and no
// wasm-side allocator state has to be shared between threads.

export const WASM_PAGE = 65536;
/** wasm32 can address at most 4 GiB (65536 pages of 64 KiB). */
export const MAX_PAGES = 65536;
const ALIGN = 64; // cache-line alignment; also satisfies v128 and f64 alignment

export class OutOfMemoryError extends Error {
  constructor(public readonly requested: number, public readonly inUse: number, limitBytes: number) {
    super(
      `wasm memory exhausted: cannot allocate ${fmtBytes(requested)} (${requested} bytes) with ` +
        `${fmtBytes(inUse)} already in use; the limit is ${fmtBytes(limitBytes)} ` +
        `(wasm32 addresses at most 4 GiB); use a smaller problem size`,
    );
    this.name = 'OutOfMemoryError';
  }
}

export function fmtBytes(b: number): string {
  if (b >= 2 ** 30) return `${(b / 2 ** 30).toFixed(2)} GiB`;
  if (b >= 2 ** 20) return `${(b / 2 ** 20).toFixed(1)} MiB`;
  if (b >= 2 ** 10) return `${(b / 2 ** 10).toFixed(1)} KiB`;
  return `${b} B`;
}

interface Block { start: number; size: number }

/** First-fit free-list allocator with coalescing over a WebAssembly.Memory. */
export class Heap {
  private free: Block[] = []; // sorted by start, never adjacent (coalesced)
  private used = new Map<number, number>(); // start -> size
  private top: number; // end of the managed region (bytes)
  inUse = 0;
  peak = 0;

  constructor(readonly memory: WebAssembly.Memory, base: number, readonly maxPages = MAX_PAGES) {
    const start = alignUp(Math.max(base, 1024), ALIGN);
    this.top = memory.buffer.byteLength;
    if (this.top > start) this.free.push({ start, size: this.top - start });
    else this.top = start;
  }

  get limitBytes(): number {
    return this.maxPages * WASM_PAGE;
  }

  /** Returns a 64-byte aligned byte offset of `bytes` bytes (contents undefined). */
  alloc(bytes: number): number {
    if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`alloc: invalid size ${bytes}`);
    const size = alignUp(Math.max(bytes, 1), ALIGN);
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i];
      if (b.size >= size) {
        const ptr = b.start;
        if (b.size === size) this.free.splice(i, 1);
        else { b.start += size; b.size -= size; }
        return this.take(ptr, size);
      }
    }
    // Grow: reuse a free block that ends at the top, then add pages.
    const last = this.free[this.free.length - 1];
    const tailStart = last && last.start + last.size === this.top ? last.start : this.top;
    const needEnd = tailStart + size;
    const needPages = Math.ceil(needEnd / WASM_PAGE);
    const havePages = this.memory.buffer.byteLength / WASM_PAGE;
    if (needPages > this.maxPages) throw new OutOfMemoryError(bytes, this.inUse, this.limitBytes);
    if (needPages > havePages) {
      // Grow generously (1/8 more) to amortise, but never past the limit.
      const want = Math.min(this.maxPages, Math.max(needPages, Math.ceil(havePages * 1.125)));
      try {
        this.memory.grow(want - havePages);
      } catch {
        try { this.memory.grow(needPages - havePages); }
        catch { throw new OutOfMemoryError(bytes, this.inUse, this.limitBytes); }
      }
    }
    const newTop = this.memory.buffer.byteLength;
    if (last && last.start + last.size === this.top) this.free.pop();
    this.top = newTop;
    if (newTop > needEnd) this.insertFree({ start: needEnd, size: newTop - needEnd });
    return this.take(tailStart, size);
  }

  /** Frees a block returned by alloc. Freeing 0 is a no-op; double frees throw. */
  release(ptr: number): void {
    if (ptr === 0) return;
    const size = this.used.get(ptr);
    if (size === undefined) throw new Error(`free: ${ptr} is not an allocated block`);
    this.used.delete(ptr);
    this.inUse -= size;
    this.insertFree({ start: ptr, size });
  }

  sizeOf(ptr: number): number {
    return this.used.get(ptr) ?? 0;
  }

  private take(ptr: number, size: number): number {
    this.used.set(ptr, size);
    this.inUse += size;
    if (this.inUse > this.peak) this.peak = this.inUse;
    return ptr;
  }

  private insertFree(b: Block): void {
    const f = this.free;
    let lo = 0, hi = f.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (f[mid].start < b.start) lo = mid + 1; else hi = mid; }
    f.splice(lo, 0, b);
    // coalesce with next, then previous
    if (lo + 1 < f.length && b.start + b.size === f[lo + 1].start) { b.size += f[lo + 1].size; f.splice(lo + 1, 1); }
    if (lo > 0 && f[lo - 1].start + f[lo - 1].size === b.start) { f[lo - 1].size += b.size; f.splice(lo, 1); }
  }
}

export function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}
