// The engine: one wasm instance on the calling thread, one Heap owning its memory, and a
// pool that runs "task kernels" (wasm exports ending in (task, tid)) on every thread.
import { instantiateSync } from '@assemblyscript/loader';
import { Heap, fmtBytes } from './heap.js';
import type { WasmBuild } from './select.js';

export type Dtype = 'f64' | 'f32';
export type FloatArray = Float64Array | Float32Array;

/** Raw wasm exports. Kernels take byte offsets (usize) into the shared linear memory. */
export type WasmExports = Record<string, (...args: number[]) => number | void> & {
  heap_base(): number;
};

/**
 * Runs `exports[name](...args, task, tid)` for task = 0..nTasks-1, spread over threads.
 * tid is in [0, size): kernels use it to pick their per-thread scratch.
 */
export interface Pool {
  readonly size: number;
  run(name: string, args: readonly number[], nTasks: number): void;
  terminate(): void;
}

/** Single-thread pool: the fallback when SharedArrayBuffer or workers are unavailable. */
export class SerialPool implements Pool {
  readonly size = 1;
  constructor(private readonly exports: WasmExports) {}
  run(name: string, args: readonly number[], nTasks: number): void {
    const f = this.exports[name];
    if (typeof f !== 'function') throw new Error(`wasm kernel '${name}' is not exported`);
    for (let t = 0; t < nTasks; t++) f(...args, t, 0);
  }
  terminate(): void {}
}

const BYTES: Record<Dtype, number> = { f64: 8, f32: 4 };

/**
 * A typed array living in wasm memory. `data` is re-created when the memory buffer
 * changes (non-shared memory detaches its ArrayBuffer on growth), so always read it
 * through the getter instead of caching it across allocations.
 */
export class WasmBuffer<T extends FloatArray = FloatArray> {
  private view: T | null = null;
  constructor(private readonly eng: Engine, public ptr: number, readonly length: number, readonly dtype: Dtype) {}
  get bytes(): number { return this.length * BYTES[this.dtype]; }
  get data(): T {
    const buf = this.eng.memory.buffer;
    if (this.ptr === 0 && this.length > 0) throw new Error('WasmBuffer used after free()');
    if (!this.view || this.view.buffer !== buf) {
      this.view = (this.dtype === 'f64'
        ? new Float64Array(buf, this.ptr, this.length)
        : new Float32Array(buf, this.ptr, this.length)) as T;
    }
    return this.view;
  }
  /** A copy on the JS heap, safe to keep after free(). */
  toArray(): T { return this.data.slice() as T; }
  free(): void {
    if (this.ptr !== 0) this.eng.heap.release(this.ptr);
    this.ptr = 0;
    this.view = null;
  }
}

export class Engine {
  readonly heap: Heap;
  pool: Pool;
  private scratch = new Map<string, { ptr: number; bytes: number }>();

  constructor(
    readonly exports: WasmExports,
    readonly memory: WebAssembly.Memory,
    readonly shared: boolean,
    heap?: Heap,
    /** Which wasm build runs: 'relaxed' (FMA), 'relaxed4' (FMA, 4-row tiles), 'simd' or 'single' (see bindings/select.ts). */
    readonly build: WasmBuild = shared ? 'simd' : 'single',
  ) {
    this.heap = heap ?? new Heap(memory, exports.heap_base());
    this.pool = new SerialPool(exports);
  }

  get threads(): number { return this.pool.size; }

  buffer(dtype: 'f64', length: number): WasmBuffer<Float64Array>;
  buffer(dtype: 'f32', length: number): WasmBuffer<Float32Array>;
  buffer(dtype: Dtype, length: number): WasmBuffer;
  buffer(dtype: Dtype, length: number): WasmBuffer {
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`buffer length must be a non-negative integer, got ${length}`);
    return new WasmBuffer(this, this.heap.alloc(length * BYTES[dtype]), length, dtype);
  }

  /** A wasm buffer holding a copy of `src` (f64 or f32 by its type). */
  from(src: Float64Array): WasmBuffer<Float64Array>;
  from(src: Float32Array): WasmBuffer<Float32Array>;
  from(src: FloatArray): WasmBuffer {
    const b = this.buffer(src instanceof Float64Array ? 'f64' : 'f32', src.length);
    b.data.set(src);
    return b;
  }

  /** True when `a` already lives in this engine's memory, so kernels can use it in place. */
  owns(a: ArrayBufferView): boolean {
    return a.buffer === this.memory.buffer;
  }

  /**
   * Byte offset of `a` for a kernel call, copying it in only when it is not already in
   * wasm memory. Call the returned release() when done (it frees only what was copied).
   */
  input(a: FloatArray): { ptr: number; release: () => void } {
    if (this.owns(a)) return { ptr: a.byteOffset, release: () => {} };
    const ptr = this.heap.alloc(a.byteLength);
    (a instanceof Float64Array ? new Float64Array(this.memory.buffer, ptr, a.length) : new Float32Array(this.memory.buffer, ptr, a.length)).set(a);
    return { ptr, release: () => this.heap.release(ptr) };
  }

  /**
   * Per-thread scratch of `bytesPerThread` bytes each, laid out contiguously; kernels find
   * theirs at base + tid * bytesPerThread. Kept between calls and grown on demand. Each `key`
   * owns its own region, so a caller holding one (e.g. the kernel interpreter) can call code
   * that uses another (GEMM packing, key 'gemm') without either overwriting or freeing the other.
   */
  threadScratch(bytesPerThread: number, key = 'default'): number {
    const need = Math.ceil(bytesPerThread / 64) * 64 * this.threads;
    const cur = this.scratch.get(key);
    if (cur && cur.bytes >= need) return cur.ptr;
    if (cur) this.heap.release(cur.ptr);
    this.scratch.delete(key);
    const ptr = this.heap.alloc(need);
    this.scratch.set(key, { ptr, bytes: need });
    return ptr;
  }

  /** Runs a task kernel over nTasks tasks on the pool (see Pool). */
  parallelFor(name: string, args: readonly number[], nTasks: number): void {
    if (nTasks <= 0) return;
    this.pool.run(name, args, nTasks);
  }

  call(name: string, ...args: number[]): number {
    const f = this.exports[name];
    if (typeof f !== 'function') throw new Error(`wasm kernel '${name}' is not exported`);
    return f(...args) as number;
  }

  describeMemory(): string {
    return `${fmtBytes(this.heap.inUse)} in use, peak ${fmtBytes(this.heap.peak)}, memory ${fmtBytes(this.memory.buffer.byteLength)}`;
  }

  dispose(): void { this.pool.terminate(); }
}

/**
 * Instantiates `module` on `memory` through @assemblyscript/loader, which supplies the imports
 * AssemblyScript modules expect (abort and trace with their messages decoded, seed) and works
 * on shared memory. The instance's raw exports are returned, not the loader's demangled
 * wrappers: those add ~110 ns to every call (measured on this machine: 45 ns for an empty
 * kernel call raw, 157 ns wrapped) and nothing number-only kernels need. Used by every thread.
 */
export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): WasmExports {
  return instantiateSync(module, { env: { memory } }).instance.exports as unknown as WasmExports;
}

export function newMemory(shared: boolean, initialPages = 256): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: initialPages, maximum: 65536, shared } as WebAssembly.MemoryDescriptor);
}

/** Instantiates a compiled module (a shared-memory build when `shared`) on a fresh memory. */
export function createEngine(module: WebAssembly.Module, shared: boolean, build?: WasmBuild): Engine {
  const memory = newMemory(shared);
  return new Engine(instantiate(module, memory), memory, shared, undefined, build);
}
