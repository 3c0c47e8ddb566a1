// The module is instantiated through @assemblyscript/loader (bindings/engine.ts instantiate):
// its abort import decodes AssemblyScript's UTF-16 message and file name, on shared memory
// too, and the exports handed to the engine are the raw wasm functions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { instantiate, newMemory } from '../bindings/engine.js';

const leb = (n: number): number[] => { const o: number[] = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; o.push(b); } while (n); return o; };
/** Signed LEB128 (i32.const immediates), for non-negative n. */
const sleb = (n: number): number[] => { const o: number[] = []; for (;;) { const b = n & 0x7f; n >>= 7; if (n === 0 && !(b & 0x40)) { o.push(b); return o; } o.push(b | 0x80); } };
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];
const name = (s: string) => [...leb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
/** An AssemblyScript string at `ptr`: its byte length at ptr - 4, then UTF-16 code units. */
const asString = (ptr: number, s: string) => {
  const bytes = [...new Uint8Array(new Uint32Array([2 * s.length]).buffer), ...new Uint8Array(Uint16Array.from(s, (c) => c.charCodeAt(0)).buffer)];
  return [0x00, 0x41, ...sleb(ptr - 4), 0x0b, ...leb(bytes.length), ...bytes];
};

/** A module importing env.memory (shared or not) and env.abort whose export boom() aborts like AssemblyScript does. */
function abortingModule(shared: boolean, msg: string, file: string): WebAssembly.Module {
  const i32 = 0x7f;
  const body = [0x00, 0x41, ...sleb(64), 0x41, ...sleb(256), 0x41, 7, 0x41, 3, 0x10, 0x00, 0x0b];
  return new WebAssembly.Module(new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 4, i32, i32, i32, i32, 0], [0x60, 0, 0]])),
    ...section(2, vec([
      [...name('env'), ...name('memory'), 0x02, shared ? 0x03 : 0x01, 1, ...leb(65536)],
      [...name('env'), ...name('abort'), 0x00, 0x00],
    ])),
    ...section(3, vec([[1]])),
    ...section(7, vec([[...name('boom'), 0x00, 1]])),
    ...section(10, vec([[...leb(body.length), ...body]])),
    ...section(11, vec([asString(64, msg), asString(256, file)])),
  ]));
}

for (const shared of [true, false]) {
  test(`loader: abort messages are decoded (${shared ? 'shared' : 'non-shared'} memory)`, () => {
    const memory = newMemory(shared, 1);
    const ex = instantiate(abortingModule(shared, 'n must be positive, got -3', 'assembly/linalg/x.ts'), memory);
    assert.throws(() => ex.boom(), /abort: n must be positive, got -3 at assembly\/linalg\/x.ts:7:3/);
  });
}

test('loader: the engine gets the raw wasm exports (no per-call wrapper)', () => {
  const module = new WebAssembly.Module(readFileSync(new URL('../../build/ntk.wasm', import.meta.url)));
  const ex = instantiate(module, newMemory(true));
  const names = WebAssembly.Module.exports(module).filter((d) => d.kind === 'function').map((d) => d.name).sort();
  assert.deepEqual(Object.keys(ex).filter((k) => typeof ex[k] === 'function').sort(), names);
  // exported wasm functions have numeric names (their function index); JS wrappers do not
  assert.ok(/^\d+$/.test(ex.heap_base.name), `heap_base is a wasm function, name '${ex.heap_base.name}'`);
});
