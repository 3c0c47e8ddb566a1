// NumPy .npy files (format versions 1.0, 2.0, 3.0), parsed from / encoded to bytes so
// browsers can use them too. C order only (Fortran order is accepted when it cannot
// matter: at most one dimension larger than 1).

export type NpyArray = Float64Array | Float32Array | Uint8Array | Int8Array | Int32Array | Uint32Array | Int16Array | Uint16Array | BigInt64Array;

export interface Npy {
  /** Little-endian, native data; 8-byte integers are read as Float64Array (exact below 2^53). */
  data: Float64Array | Float32Array | Uint8Array | Int8Array | Int32Array | Uint32Array | Int16Array | Uint16Array;
  shape: number[];
  /** The descr as written in the file, e.g. '<f8', '>i4', '|u1'. */
  descr: string;
  version: string;
}

const LITTLE_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

type Kind = { ctor: new (n: number) => Npy['data']; size: number; get: (dv: DataView, o: number, le: boolean) => number };
const KINDS: Record<string, Kind> = {
  f8: { ctor: Float64Array, size: 8, get: (d, o, le) => d.getFloat64(o, le) },
  f4: { ctor: Float32Array, size: 4, get: (d, o, le) => d.getFloat32(o, le) },
  u1: { ctor: Uint8Array, size: 1, get: (d, o) => d.getUint8(o) },
  i1: { ctor: Int8Array, size: 1, get: (d, o) => d.getInt8(o) },
  i2: { ctor: Int16Array, size: 2, get: (d, o, le) => d.getInt16(o, le) },
  u2: { ctor: Uint16Array, size: 2, get: (d, o, le) => d.getUint16(o, le) },
  i4: { ctor: Int32Array, size: 4, get: (d, o, le) => d.getInt32(o, le) },
  u4: { ctor: Uint32Array, size: 4, get: (d, o, le) => d.getUint32(o, le) },
  i8: { ctor: Float64Array, size: 8, get: (d, o, le) => Number(d.getBigInt64(o, le)) },
  u8: { ctor: Float64Array, size: 8, get: (d, o, le) => Number(d.getBigUint64(o, le)) },
};

// ---- a tiny parser for the header: a Python dict literal of str keys, str / bool / tuple values
type PyVal = string | boolean | number | PyVal[] | null;

function parsePyLiteral(src: string, name: string, base: number): Record<string, PyVal> {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`${name}: bad .npy header at byte ${base + i}: expected ${what}, found ${JSON.stringify(src.slice(i, i + 12))} (header: ${src.trim()})`);
  };
  const ws = () => { while (i < src.length && /\s/.test(src[i])) i++; };
  const value = (): PyVal => {
    ws();
    const c = src[i];
    if (c === "'" || c === '"') {
      const end = src.indexOf(c, i + 1);
      if (end < 0) fail(`closing ${c}`);
      const s = src.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const out: PyVal[] = [];
      for (;;) {
        ws();
        if (src[i] === close) { i++; return out; }
        out.push(value());
        ws();
        if (src[i] === ',') { i++; continue; }
        if (src[i] === close) { i++; return out; }
        fail(`',' or '${close}'`);
      }
    }
    for (const [lit, v] of [['True', true], ['False', false], ['None', null]] as const)
      if (src.startsWith(lit, i)) { i += lit.length; return v; }
    const m = /^-?\d+L?/.exec(src.slice(i));
    if (m) { i += m[0].length; return Number(m[0].replace('L', '')); }
    return fail('a string, True/False, an integer or a tuple');
  };
  ws();
  if (src[i] !== '{') fail("'{'");
  i++;
  const dict: Record<string, PyVal> = {};
  for (;;) {
    ws();
    if (src[i] === '}') { i++; break; }
    const k = value();
    if (typeof k !== 'string') fail('a string key');
    ws();
    if (src[i] !== ':') fail("':'");
    i++;
    dict[k as string] = value();
    ws();
    if (src[i] === ',') { i++; continue; }
    if (src[i] === '}') { i++; break; }
    fail("',' or '}'");
  }
  ws();
  if (i < src.length) fail('end of header');
  return dict;
}

/** Parses a .npy file; `name` (the file name) prefixes every error, with the byte offset. */
export function parseNpy(bytes: Uint8Array, name = 'npy'): Npy {
  for (let k = 0; k < 6; k++)
    if (bytes[k] !== MAGIC[k])
      throw new Error(`${name}: not a .npy file: byte ${k} is ${bytes.length > k ? '0x' + bytes[k].toString(16) : 'missing (file too short)'}, expected the magic \\x93NUMPY`);
  if (bytes.length < 10) throw new Error(`${name}: truncated at byte ${bytes.length}: the .npy preamble needs 10 bytes`);
  const major = bytes[6], minor = bytes[7];
  if (major < 1 || major > 3 || minor !== 0)
    throw new Error(`${name}: byte 6: unsupported .npy format version ${major}.${minor}; expected 1.0, 2.0 or 3.0`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw new Error(`${name}: truncated at byte ${bytes.length}: header length field missing`);
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const hstart = 8 + lenBytes, dataStart = hstart + hlen;
  if (bytes.length < dataStart)
    throw new Error(`${name}: truncated at byte ${bytes.length}: the header length field (byte 8) declares ${hlen} header bytes, ending at byte ${dataStart}`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(hstart, dataStart));
  const dict = parsePyLiteral(header, name, hstart);
  const descr = dict.descr, fortran = dict.fortran_order, shapeV = dict.shape;
  if (typeof descr !== 'string')
    throw new Error(`${name}: header at byte ${hstart}: 'descr' must be a simple dtype string like '<f8'; structured dtypes are not supported (got ${JSON.stringify(descr)})`);
  if (typeof fortran !== 'boolean') throw new Error(`${name}: header at byte ${hstart}: 'fortran_order' must be True or False`);
  if (!Array.isArray(shapeV) || !shapeV.every((d) => typeof d === 'number' && d >= 0))
    throw new Error(`${name}: header at byte ${hstart}: 'shape' must be a tuple of non-negative integers, got ${JSON.stringify(shapeV)}`);
  const shape = shapeV as number[];
  const m = /^([<>|=])([a-z])(\d+)$/.exec(descr);
  const kind = m ? KINDS[m[2] + m[3]] : undefined;
  if (!m || !kind)
    throw new Error(`${name}: header at byte ${hstart}: unsupported dtype '${descr}'; expected one of <f8 <f4 |u1 |i1 <i2 <u2 <i4 <u4 <i8 <u8 (or big-endian '>')`);
  if (fortran && shape.filter((d) => d > 1).length > 1)
    throw new Error(`${name}: header at byte ${hstart}: fortran_order is True for shape (${shape.join(', ')}); only C-order arrays are supported (save with np.ascontiguousarray)`);
  const n = shape.reduce((a, b) => a * b, 1);
  const need = dataStart + n * kind.size;
  if (bytes.length < need)
    throw new Error(`${name}: truncated at byte ${bytes.length}: shape (${shape.join(', ')}) of ${descr} needs ${n * kind.size} data bytes from byte ${dataStart} (file length ${need})`);
  if (bytes.length > need)
    throw new Error(`${name}: ${bytes.length - need} trailing bytes at byte ${need}: shape (${shape.join(', ')}) of ${descr} ends there`);
  const le = m[1] !== '>';
  let data: Npy['data'];
  const wide = m[3] === '8' && m[2] !== 'f';
  if ((le || kind.size === 1) && !wide && LITTLE_HOST) {
    // native layout: one copy (slice also realigns the data for the typed-array view)
    const buf = bytes.slice(dataStart, need).buffer;
    data = kind.size === 1 ? (m[2] === 'u' ? new Uint8Array(buf) : new Int8Array(buf)) : new (kind.ctor as unknown as new (b: ArrayBuffer) => Npy['data'])(buf);
  } else {
    data = new kind.ctor(n);
    for (let i = 0; i < n; i++) data[i] = kind.get(dv, dataStart + i * kind.size, le);
  }
  if (m[2] === 'i' && m[3] === '8' || m[2] === 'u' && m[3] === '8') {
    for (let i = 0; i < n; i++) {
      const big = m[2] === 'i' ? dv.getBigInt64(dataStart + i * 8, le) : dv.getBigUint64(dataStart + i * 8, le);
      if (big > 9007199254740992n || big < -9007199254740992n)
        throw new Error(`${name}: element ${i} (byte ${dataStart + i * 8}) is ${big}, beyond 2^53; cannot be represented exactly as a JS number`);
    }
  }
  return { data, shape, descr, version: `${major}.0` };
}

function descrOf(data: NpyArray): string {
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Int8Array) return '|i1';
  if (data instanceof Int16Array) return '<i2';
  if (data instanceof Uint16Array) return '<u2';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof Uint32Array) return '<u4';
  if (data instanceof BigInt64Array) return '<i8';
  throw new TypeError('encodeNpy: data must be a Float64Array, Float32Array, Uint8Array, Int8Array, Int16Array, Uint16Array, Int32Array, Uint32Array or BigInt64Array');
}

/** Encodes a C-order array as .npy (version 1.0, or 2.0 when the header needs it). */
export function encodeNpy(data: NpyArray, shape: number[]): Uint8Array {
  const descr = descrOf(data);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new RangeError(`encodeNpy: shape (${shape.join(', ')}) must be non-negative integers`);
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new RangeError(`encodeNpy: data has ${data.length} elements but shape (${shape.join(', ')}) needs ${n}`);
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  let version = 1, pre = 10;
  // total header (preamble + dict + padding + '\n') is a multiple of 64, as numpy writes it
  let total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  if (total - pre > 0xffff) { version = 2; pre = 12; total = Math.ceil((pre + dict.length + 1) / 64) * 64; }
  dict = dict + ' '.repeat(total - pre - dict.length - 1) + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = version; out[7] = 0;
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, total - pre, true); else dv.setUint32(8, total - pre, true);
  for (let i = 0; i < dict.length; i++) out[pre + i] = dict.charCodeAt(i);
  // typed arrays are platform-endian; every platform we run on is little-endian, checked here
  if (!LITTLE_HOST) throw new Error('encodeNpy: big-endian hosts are not supported');
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}
