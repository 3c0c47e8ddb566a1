// Saving and loading finite nets: one .npy per tensor plus a JSON index (params.json) of
// layer, name, shape, offset and layout, with the layer values, input shape and
// parameterisation, so a directory rebuilds its net on its own. Layouts are ours (dense W
// (in, out), conv W HWIO (3, 3, Cin, Cout)); src/io/torch_layout.ts converts to PyTorch's.
// Directories are written whole to a temp directory and renamed into place, so a reader
// (or a resumed run) never sees a mix of two saves.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { encodeNpy, parseNpy, type Npy } from './npy.js';
import { Net } from '../nn/net.js';
import type { Layer } from '../kernels/layers.js';
import type { ImageShape } from '../kernels/compile.js';
import type { Parameterization } from '../nn/init.js';
import type { Dtype } from '../../bindings/engine.js';

export const PARAMS_FORMAT = 'ntk-robustness-net';

export interface NetIndex {
  format: typeof PARAMS_FORMAT;
  version: 1;
  arch: string;
  layers: Layer[];
  input: ImageShape | number;
  width?: number;
  parameterization: Parameterization;
  dtype: Dtype;
  outputs: number;
  nParams: number;
  tensors: { layer: number; kind: string; name: 'W' | 'b'; shape: number[]; offset: number; file: string; frozen: boolean }[];
  layouts: string;
}

const LAYOUT_NOTE = 'dense W (in, out) -> PyTorch Linear.weight (out, in) = W^T; conv W HWIO (3, 3, Cin, Cout) -> Conv2d.weight OIHW = W.transpose(3, 2, 0, 1); ' +
  'inputs NHWC rows; the first dense after flatten of an H x W x C map has input index (h W + w) C + c, PyTorch (c H W + h W + w); see src/io/torch_layout.ts';

class ParamsError extends RangeError { userError = true; }

/** Files of a net's parameter directory: params.json and one .npy per tensor. */
export function netFiles(net: Net, arch: string, width?: number): Map<string, Uint8Array | string> {
  const files = new Map<string, Uint8Array | string>();
  const tensors: NetIndex['tensors'] = [];
  const add = (t: Net['layout'][number], src: Float32Array | Float64Array, frozen: boolean) => {
    const file = `L${t.layer}.${t.name}${frozen ? '.frozen' : ''}.npy`;
    const data = src.slice(t.offset, t.offset + t.size);
    files.set(file, encodeNpy(data, [...t.shape]));
    tensors.push({ layer: t.layer, kind: t.kind, name: t.name, shape: [...t.shape], offset: t.offset, file, frozen });
  };
  net.layout.forEach((t) => add(t, net.params.data, false));
  if (net.consts) net.constLayout.forEach((t) => add(t, net.consts!.data, true));
  const s = net.inputShape;
  const index: NetIndex = {
    format: PARAMS_FORMAT, version: 1, arch, layers: [...net.layers], input: s.flat ? s.C : [s.H, s.W, s.C], width,
    parameterization: net.parameterization, dtype: net.dtype, outputs: net.outputs, nParams: net.nParams, tensors, layouts: LAYOUT_NOTE,
  };
  files.set('params.json', JSON.stringify(index, null, 1));
  return files;
}

/** Writes `files` as directory `dir`, replacing it atomically (temp dir + rename). */
export function writeDirAtomic(dir: string, files: Map<string, Uint8Array | string>): void {
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = join(dirname(dir), `.${basename(dir)}.${process.pid}.tmp`), old = `${dir}.old`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  for (const [name, bytes] of files) {
    const p = join(tmp, name);
    writeFileSync(p, bytes);
    const fd = openSync(p, 'r'); try { fsyncSync(fd); } finally { closeSync(fd); }
  }
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

/**
 * The directory to read: `dir`, its `.old` twin when a save was interrupted between renames,
 * or the same for `dir`/checkpoint (the --out directory of ntk train).
 */
export function resolveDir(dir: string): string {
  for (const d of [dir, join(dir, 'checkpoint')]) {
    if (existsSync(join(d, 'params.json'))) return d;
    if (existsSync(join(`${d}.old`, 'params.json'))) return `${d}.old`;
  }
  return dir;
}

export function saveNet(net: Net, dir: string, arch = 'custom', width?: number): void {
  writeDirAtomic(dir, netFiles(net, arch, width));
}

function readTensor(dir: string, file: string, shape: number[], what: string): Npy {
  const p = join(dir, file);
  if (!existsSync(p)) throw new ParamsError(`${p}: missing tensor file for ${what}`);
  let a: Npy;
  try { const b = readFileSync(p); a = parseNpy(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), p); }
  catch (e) { throw new ParamsError((e as Error).message); }
  if (!(a.data instanceof Float32Array || a.data instanceof Float64Array)) throw new ParamsError(`${p}: ${what} must be float32 or float64, got ${a.descr}`);
  if (a.shape.length !== shape.length || a.shape.some((v, i) => v !== shape[i])) throw new ParamsError(`${p}: ${what} has shape (${a.shape.join(', ')}), expected (${shape.join(', ')})`);
  for (let i = 0; i < a.data.length; i++) if (!Number.isFinite(a.data[i] as number)) throw new ParamsError(`${p}: ${what} element ${i} is ${a.data[i]}`);
  return a;
}

/** Reads params.json and builds its net; `dtype` overrides the saved one. */
export function loadNet(dir: string, opts: { dtype?: Dtype } = {}): { net: Net; index: NetIndex } {
  dir = resolveDir(dir);
  const ip = join(dir, 'params.json');
  if (!existsSync(ip)) throw new ParamsError(`${ip}: not found; a net directory holds params.json and one .npy per tensor (written by ntk train)`);
  let index: NetIndex;
  try { index = JSON.parse(readFileSync(ip, 'utf8')); } catch (e) { throw new ParamsError(`${ip}: not valid JSON (${(e as Error).message})`); }
  if (index?.format !== PARAMS_FORMAT || !Array.isArray(index.tensors) || !Array.isArray(index.layers)) throw new ParamsError(`${ip}: not a ${PARAMS_FORMAT} index (format, layers, tensors)`);
  const net = new Net(index.layers, { input: index.input, width: index.width, parameterization: index.parameterization, dtype: opts.dtype ?? index.dtype });
  try {
    const params = new Float64Array(net.nParams), consts = new Float64Array(net.constLayout.reduce((s, t) => s + t.size, 0));
    const want = [...net.layout.map((t) => ({ t, frozen: false })), ...net.constLayout.map((t) => ({ t, frozen: true }))];
    for (const { t, frozen } of want) {
      const what = `layer ${t.layer} (${t.kind}) ${t.name}${frozen ? ' (frozen)' : ''}`;
      const entry = index.tensors.find((e) => e.layer === t.layer && e.name === t.name && !!e.frozen === frozen);
      if (!entry) throw new ParamsError(`${ip}: tensor ${what} is missing from the index`);
      const a = readTensor(dir, entry.file, [...t.shape], what);
      (frozen ? consts : params).set(a.data as ArrayLike<number>, t.offset);
    }
    net.setParams(params);
    if (net.consts) net.consts.data.set(consts);
    return { net, index };
  } catch (e) { net.dispose(); throw e; }
}
