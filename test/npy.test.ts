import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { encodeNpy, parseNpy, readNpy, writeNpy, writeFileAtomic } from '../src/node.js';

function havePython(): string | null {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'python3 with numpy not available; skipping the numpy cross-check';
  }
}
const py = (code: string) => execFileSync('python3', ['-c', code], { encoding: 'utf8' });

test('npy: numpy loads our files unchanged (shape, dtype, values)', (t) => {
  const why = havePython(); if (why) { t.skip(why); return; }
  const d = mkdtempSync(join(tmpdir(), 'ntk-npy-'));
  const cases: [string, Parameters<typeof writeNpy>[1], number[], string][] = [
    ['f8', Float64Array.from([1.5, -0, Math.PI, 1e-310, -1e300, 7]), [2, 3], 'float64'],
    ['f4', Float32Array.from([0.1, 2, 3, 4]), [4], 'float32'],
    ['u1', Uint8Array.from([0, 1, 255, 128, 7, 9, 11, 12]), [2, 2, 2], 'uint8'],
    ['i4', Int32Array.from([-2147483648, 2147483647, 0]), [3, 1], 'int32'],
    ['i8', BigInt64Array.from([-(2n ** 62n), 5n]), [2], 'int64'],
    ['empty', new Float64Array(0), [0, 5], 'float64'],
    ['scalar', Float64Array.from([42]), [], 'float64'],
  ];
  for (const [tag, data, shape] of cases) writeNpy(join(d, `${tag}.npy`), data, shape);
  assert.deepEqual(readdirSync(d).filter((f) => f.endsWith('.tmp')), [], 'no temp files left');
  const out = JSON.parse(py(`
import numpy as np, json
r = {}
for tag in ${JSON.stringify(cases.map((c) => c[0]))}:
    a = np.load(${JSON.stringify(d)} + '/' + tag + '.npy')
    r[tag] = [list(a.shape), str(a.dtype), [repr(v) for v in a.ravel().tolist()], bool(a.flags.c_contiguous)]
print(json.dumps(r))`));
  for (const [tag, data, shape, dtype] of cases) {
    const [s, dt, vals] = out[tag];
    assert.deepEqual(s, shape, tag); assert.equal(dt, dtype, tag);
    const mine = Array.from(data as ArrayLike<number | bigint>, (v) => typeof v === 'bigint' ? v.toString() : v);
    assert.deepEqual(vals.map((v: string) => (dtype === 'int64' ? v : Number(v))), mine.map((v) => (dtype === 'int64' ? String(v) : Object.is(v, -0) ? -0 : dtype === 'float32' ? Number(Math.fround(v as number)) : v)), tag);
  }
  rmSync(d, { recursive: true });
});

test('npy: we read numpy-written files (v1/v2/v3, big-endian, fortran 1-D, int64)', (t) => {
  const why = havePython(); if (why) { t.skip(why); return; }
  const d = mkdtempSync(join(tmpdir(), 'ntk-npy-'));
  py(`
import numpy as np
from numpy.lib import format as F
d = ${JSON.stringify(d)}
a = np.arange(24, dtype='<f8').reshape(2, 3, 4) / 7
np.save(d + '/f8.npy', a)
np.save(d + '/f4be.npy', np.arange(6, dtype='>f4').reshape(3, 2) - 2.5)
np.save(d + '/i8.npy', np.array([-3, 2**53, 17]))
np.save(d + '/i4be.npy', np.array([[-1, 2], [3, -4]], dtype='>i4'))
np.save(d + '/u1.npy', np.array([[1, 2, 255]], dtype=np.uint8))
np.save(d + '/fort1d.npy', np.asfortranarray(np.arange(5.0)))
np.save(d + '/fort2d.npy', np.asfortranarray(np.arange(6.0).reshape(2, 3)))
for v in [(2, 0), (3, 0)]:
    with open(d + '/v%d.npy' % v[0], 'wb') as f:
        F.write_array(f, a, version=v)
`);
  const a = readNpy(join(d, 'f8.npy'));
  assert.deepEqual(a.shape, [2, 3, 4]); assert.equal(a.descr, '<f8'); assert.equal(a.version, '1.0');
  assert.deepEqual([...a.data], Array.from({ length: 24 }, (_, i) => i / 7));
  for (const v of ['v2', 'v3']) {
    const b = readNpy(join(d, `${v}.npy`));
    assert.equal(b.version, v === 'v2' ? '2.0' : '3.0'); assert.deepEqual([...b.data], [...a.data]);
  }
  const be = readNpy(join(d, 'f4be.npy'));
  assert.ok(be.data instanceof Float32Array); assert.deepEqual(be.shape, [3, 2]); assert.deepEqual([...be.data], [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]);
  const i8 = readNpy(join(d, 'i8.npy'));
  assert.ok(i8.data instanceof Float64Array); assert.deepEqual([...i8.data], [-3, 2 ** 53, 17]);
  assert.deepEqual([...readNpy(join(d, 'i4be.npy')).data], [-1, 2, 3, -4]);
  const u1 = readNpy(join(d, 'u1.npy'));
  assert.ok(u1.data instanceof Uint8Array); assert.deepEqual([...u1.data], [1, 2, 255]); assert.deepEqual(u1.shape, [1, 3]);
  assert.deepEqual([...readNpy(join(d, 'fort1d.npy')).data], [0, 1, 2, 3, 4]);
  assert.throws(() => readNpy(join(d, 'fort2d.npy')), /fort2d\.npy: header at byte 10: fortran_order is True for shape \(2, 3\); only C-order/);
  rmSync(d, { recursive: true });
});

test('npy: corrupt files give errors naming file, offset and expectation', () => {
  const good = encodeNpy(Float64Array.from([1, 2, 3]), [3]);
  assert.equal((good.length - 24) % 64, 0); // data starts 64-aligned, as numpy writes it
  assert.deepEqual(parseNpy(good, 'g').shape, [3]);
  assert.throws(() => parseNpy(good.subarray(0, good.length - 4), 'x.npy'), /x\.npy: truncated at byte 148: shape \(3\) of <f8 needs 24 data bytes from byte 128 \(file length 152\)/);
  const extra = new Uint8Array(good.length + 2); extra.set(good);
  assert.throws(() => parseNpy(extra, 'x.npy'), /x\.npy: 2 trailing bytes at byte 152/);
  const bad = good.slice(); bad[0] = 0x50;
  assert.throws(() => parseNpy(bad, 'x.npy'), /x\.npy: not a \.npy file: byte 0 is 0x50, expected the magic/);
  const ver = good.slice(); ver[6] = 4;
  assert.throws(() => parseNpy(ver, 'x.npy'), /x\.npy: byte 6: unsupported \.npy format version 4\.0/);
  const hdr = (h: string) => { const b = good.slice(); const s = h.padEnd(117) + '\n'; for (let i = 0; i < 118; i++) b[10 + i] = s.charCodeAt(i); return b; };
  assert.throws(() => parseNpy(hdr("{'descr': '<c16', 'fortran_order': False, 'shape': (3,), }"), 'x.npy'), /x\.npy: header at byte 10: unsupported dtype '<c16'/);
  assert.throws(() => parseNpy(hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (3,) "), 'x.npy'), /x\.npy: bad \.npy header at byte \d+: expected ',' or '}'/);
  assert.throws(() => parseNpy(hdr("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (3,), }"), 'x.npy'), /structured dtypes are not supported/);
  // robust header parsing: double quotes, no trailing comma, py2 long suffix, odd spacing
  assert.deepEqual(parseNpy(hdr('{"shape":(3L,),"fortran_order":False,"descr":"<f8"}'), 'x').shape, [3]);
  assert.throws(() => encodeNpy(new Float64Array(5), [2, 2]), /data has 5 elements but shape \(2, 2\) needs 4/);
});

test('writeFileAtomic replaces a file in one step and cleans up on failure', () => {
  const d = mkdtempSync(join(tmpdir(), 'ntk-atomic-'));
  const p = join(d, 'out.bin');
  writeFileSync(p, 'old');
  writeFileAtomic(p, new Uint8Array([1, 2, 3]));
  assert.deepEqual([...readFileSync(p)], [1, 2, 3]);
  assert.throws(() => writeFileAtomic(join(d, 'missing-dir', 'x.bin'), 'x'), /cannot write .*missing-dir.*x\.bin/);
  assert.deepEqual(readdirSync(d), ['out.bin']);
  rmSync(d, { recursive: true });
});
