// Which wasm build to load. Four builds come from one AssemblyScript source (asconfig.json):
// 'relaxed' (shared memory + relaxed SIMD: fused multiply-add micro-kernels with a larger
// register tile), 'relaxed4' (the same with the SIMD build's 4-row tiles, for V8 before 13),
// 'simd' (shared memory, plain SIMD: the fallback) and 'single' (non-shared memory, for pages
// without SharedArrayBuffer; one thread). Browser-safe.

export type WasmBuild = 'relaxed' | 'relaxed4' | 'simd' | 'single';

export const BUILD_FILES: Record<WasmBuild, string> = {
  relaxed: 'ntk-relaxed.wasm',
  relaxed4: 'ntk-relaxed4.wasm',
  simd: 'ntk.wasm',
  single: 'ntk-single.wasm',
};

// The smallest module using a relaxed-SIMD instruction: one function () -> v128 returning
// f64x2.relaxed_madd(0, 0, 0). WebAssembly.validate accepts it exactly where the runtime
// compiles relaxed SIMD (Chrome/Edge 114+, Firefox, Node 22+, Node 20 with
// --experimental-wasm-relaxed-simd). Whether it is picked also depends on V8 (RELAXED_MIN_V8).
const ZERO = Array.from({ length: 16 }, () => 0);
const CONST = [0xfd, 0x0c, ...ZERO]; // v128.const 0
const BODY = [0x00, ...CONST, ...CONST, ...CONST, 0xfd, 0x87, 0x02, 0x0b]; // f64x2.relaxed_madd, end
const PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,       // type section: () -> v128
  0x03, 0x02, 0x01, 0x00,                         // function section: func 0 has type 0
  0x0a, BODY.length + 2, 0x01, BODY.length, ...BODY, // code section
]);
// the same module with plain SIMD (f64x2.add, 0xfd 0xf0 0x01): proves the probe's framing is
// right, so a runtime that rejects PROBE rejects relaxed SIMD, not a malformed module
const BODY_SIMD = [0x00, ...CONST, ...CONST, 0xfd, 0xf0, 0x01, 0x0b];
const PROBE_SIMD = new Uint8Array([...PROBE.subarray(0, 19), 0x0a, BODY_SIMD.length + 2, 0x01, BODY_SIMD.length, ...BODY_SIMD]);

/** True when this runtime compiles relaxed SIMD (f64x2.relaxed_madd). */
export function hasRelaxedSimd(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(PROBE);
}

/** True when this runtime compiles plain wasm SIMD (self-check of the probe's framing). */
export function hasSimd(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(PROBE_SIMD);
}

/**
 * Oldest V8 major version that runs the relaxed build's 6-row tiles well. Measured on one
 * machine (2 cores, AVX-512, 1 thread): V8 12.4 (Node 22) runs them slower than the SIMD
 * build's 4-row tiles (relaxed vs SIMD: f64 GEMM 0.95x, Gram 0.85-0.91x, Cholesky 0.84x, eigh
 * 0.89x) while the same 4-row tiles with FMA are faster (the 'relaxed4' build); V8 13.6
 * (Node 24) and 14.6 (Node 26) run the 6-row tiles 1.2-1.5x faster than SIMD. So Node with an
 * older V8 (22; 20 with --experimental-wasm-relaxed-simd) gets 'relaxed4'.
 */
export const RELAXED_MIN_V8 = 13;

/** This runtime's V8 major version when it is Node (process.versions.v8), else null (browsers: evergreen). */
export function nodeV8Major(): number | null {
  const v = (globalThis as { process?: { versions?: { v8?: string } } }).process?.versions?.v8;
  const m = typeof v === 'string' ? /^(\d+)\./.exec(v) : null;
  return m ? Number(m[1]) : null;
}

/**
 * The build to load: `forced` ('simd' | 'relaxed' | 'relaxed4', from NTK_WASM or an option)
 * wins and fails clearly where it cannot run; otherwise, where the runtime has relaxed SIMD,
 * relaxed (relaxed4 on Node with a V8 older than RELAXED_MIN_V8), simd where only shared
 * memory exists, single without SharedArrayBuffer. browser: the browser loader's choice
 * (no relaxed4 there: browsers are evergreen; it ships three builds).
 */
export function chooseBuild(shared: boolean, forced?: string, browser = false): WasmBuild {
  if (forced !== undefined && forced !== '') {
    if (forced !== 'simd' && forced !== 'relaxed' && forced !== 'relaxed4') {
      throw new Error(`NTK_WASM must be 'simd', 'relaxed' or 'relaxed4', got '${forced}'`);
    }
    if (!shared) throw new Error(`NTK_WASM=${forced} needs SharedArrayBuffer (a cross-origin isolated page); without it only the single-thread build runs`);
    if (forced !== 'simd' && !hasRelaxedSimd()) {
      throw new Error(`NTK_WASM=${forced}: this runtime has no relaxed SIMD (Node 22+, Chrome 114+, Firefox; Node 20 turns on --experimental-wasm-relaxed-simd when asked for it)`);
    }
    return forced;
  }
  if (!shared) return 'single';
  if (!hasRelaxedSimd()) return 'simd';
  const v8 = nodeV8Major();
  return browser || v8 === null || v8 >= RELAXED_MIN_V8 ? 'relaxed' : 'relaxed4';
}
