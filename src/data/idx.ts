// IDX files (the MNIST family format), parsed from bytes so browsers can use it too.
// Layout: 2 zero bytes, a type code, the number of dims, then big-endian u32 dims and
// a big-endian payload.

export type IdxDtype = 'ubyte' | 'byte' | 'short' | 'int' | 'float' | 'double';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dtype: IdxDtype;
  shape: number[];
  data: IdxData;
}

const TYPES: Record<number, { dtype: IdxDtype; size: number }> = {
  0x08: { dtype: 'ubyte', size: 1 },
  0x09: { dtype: 'byte', size: 1 },
  0x0b: { dtype: 'short', size: 2 },
  0x0c: { dtype: 'int', size: 4 },
  0x0d: { dtype: 'float', size: 4 },
  0x0e: { dtype: 'double', size: 8 },
};

const hex = (v: number, w = 2) => '0x' + v.toString(16).padStart(w, '0');

/**
 * Parses an IDX file. `name` (usually the file name) prefixes every error, which also
 * names the byte offset and what was expected there. ubyte payloads are returned as a
 * view into `bytes` (no copy); other types are converted from big-endian into new arrays.
 */
export function parseIdx(bytes: Uint8Array, name = 'idx'): IdxArray {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b)
    throw new Error(`${name}: byte 0: found the gzip signature 1f 8b; decompress first (readIdxFile does this for paths ending in .gz)`);
  if (bytes.length < 4)
    throw new Error(`${name}: truncated at byte ${bytes.length}: an IDX file starts with a 4-byte magic number (00 00 <type> <ndims>)`);
  if (bytes[0] !== 0 || bytes[1] !== 0)
    throw new Error(`${name}: bad magic at byte 0: expected 00 00 <type> <ndims>, found ${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`);
  const t = TYPES[bytes[2]];
  if (!t)
    throw new Error(`${name}: unknown data type code ${hex(bytes[2])} at byte 2: expected 0x08 (ubyte), 0x09 (byte), 0x0b (short), 0x0c (int), 0x0d (float) or 0x0e (double)`);
  const ndims = bytes[3];
  if (ndims === 0) throw new Error(`${name}: byte 3: number of dimensions is 0; expected at least 1`);
  const headerEnd = 4 + 4 * ndims;
  if (bytes.length < headerEnd)
    throw new Error(`${name}: truncated at byte ${bytes.length}: the header declares ${ndims} dimensions, which need ${headerEnd} header bytes`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < ndims; i++) shape.push(dv.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const payload = count * t.size;
  const end = headerEnd + payload;
  const what = () =>
    `header declares ${shape.join(' x ')} = ${count} ${t.dtype} values (${payload} bytes from byte ${headerEnd}, file length ${end})`;
  if (bytes.length < end)
    throw new Error(`${name}: truncated at byte ${bytes.length}: ${what()} but only ${bytes.length - headerEnd} bytes remain`);
  if (bytes.length > end)
    throw new Error(`${name}: ${bytes.length - end} trailing bytes at byte ${end}: ${what()} but the file is ${bytes.length} bytes long`);
  return { dtype: t.dtype, shape, data: decodePayload(dv, headerEnd, count, t.dtype, bytes) };
}

function decodePayload(dv: DataView, off: number, n: number, dtype: IdxDtype, bytes: Uint8Array): IdxData {
  switch (dtype) {
    case 'ubyte': return bytes.subarray(off, off + n);
    case 'byte': return new Int8Array(bytes.buffer, bytes.byteOffset + off, n);
    case 'short': { const a = new Int16Array(n); for (let i = 0; i < n; i++) a[i] = dv.getInt16(off + 2 * i, false); return a; }
    case 'int': { const a = new Int32Array(n); for (let i = 0; i < n; i++) a[i] = dv.getInt32(off + 4 * i, false); return a; }
    case 'float': { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = dv.getFloat32(off + 4 * i, false); return a; }
    case 'double': { const a = new Float64Array(n); for (let i = 0; i < n; i++) a[i] = dv.getFloat64(off + 8 * i, false); return a; }
  }
}

/** Encodes an IDX file (big-endian), the inverse of parseIdx; used by tests and tools. */
export function encodeIdx(arr: IdxArray): Uint8Array {
  const code = Number(Object.keys(TYPES).find((k) => TYPES[Number(k)].dtype === arr.dtype));
  const size = TYPES[code].size;
  const n = arr.shape.reduce((a, b) => a * b, 1);
  if (arr.data.length !== n) throw new Error(`encodeIdx: data has ${arr.data.length} values but shape ${arr.shape.join(' x ')} needs ${n}`);
  const head = 4 + 4 * arr.shape.length;
  const out = new Uint8Array(head + n * size);
  const dv = new DataView(out.buffer);
  out[2] = code;
  out[3] = arr.shape.length;
  arr.shape.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < n; i++) {
    const v = arr.data[i], o = head + i * size;
    switch (arr.dtype) {
      case 'ubyte': dv.setUint8(o, v); break;
      case 'byte': dv.setInt8(o, v); break;
      case 'short': dv.setInt16(o, v, false); break;
      case 'int': dv.setInt32(o, v, false); break;
      case 'float': dv.setFloat32(o, v, false); break;
      case 'double': dv.setFloat64(o, v, false); break;
    }
  }
  return out;
}
