// Parameter layouts between this package and PyTorch. Ours (channels last, like the
// analytic kernels): dense W (in, out), conv W HWIO (3, 3, Cin, Cout), inputs NHWC, flatten
// in (h, w, c) order. PyTorch: Linear.weight (out, in), Conv2d.weight OIHW (Cout, Cin, 3, 3),
// inputs NCHW, Flatten in (c, h, w) order. A torch.nn.Sequential that mirrors the layer list
// (Conv2d(padding=1), ReLU, AvgPool2d(2), MaxPool2d(2), Flatten, Linear) has the same module
// indices, so tensors are named '<layer>.weight' / '<layer>.bias' as in its state_dict.
// The first dense after a flatten of an H x W x C map also needs its input index permuted:
//   ours[(h W + w) C + c, o] = torch[o, c H W + h W + w].
import type { Net, TensorLayout } from '../nn/net.js';

export interface TorchTensor { readonly name: string; readonly shape: number[]; readonly data: Float64Array; readonly frozen: boolean }

/** Per dense layer index: the H x W x C map its flat input came from (when H W > 1). */
function flattenedMaps(net: Net): Map<number, { H: number; W: number; C: number }> {
  const out = new Map<number, { H: number; W: number; C: number }>();
  let pending: { H: number; W: number; C: number } | null = null;
  for (const ls of net.plan) {
    if (ls.layer.kind === 'flatten' && !ls.inShape.flat && ls.inShape.H * ls.inShape.W > 1) pending = ls.inShape;
    else if (ls.layer.kind === 'dense') { if (pending) out.set(ls.index, pending); pending = null; }
  }
  return out;
}

function convertOne(t: TensorLayout, src: ArrayLike<number>, map: { H: number; W: number; C: number } | undefined, toTorch: boolean): { shape: number[]; data: Float64Array } {
  const data = new Float64Array(t.size);
  if (t.name === 'b') { for (let i = 0; i < t.size; i++) data[i] = src[t.offset + i]; return { shape: [t.size], data }; }
  if (t.kind === 'conv') {
    const [, , I, O] = t.shape;
    for (let k = 0; k < 9; k++) for (let i = 0; i < I; i++) for (let o = 0; o < O; o++) {
      const ours = (k * I + i) * O + o, torch = (o * I + i) * 9 + k;
      if (toTorch) data[torch] = src[t.offset + ours]; else data[ours] = src[t.offset + torch];
    }
    return { shape: toTorch ? [O, I, 3, 3] : [3, 3, I, O], data };
  }
  const [In, O] = t.shape;
  for (let j = 0; j < In; j++) {
    let tj = j;
    if (map) { const c = j % map.C, hw = (j - c) / map.C; tj = c * map.H * map.W + hw; }
    for (let o = 0; o < O; o++) {
      const ours = j * O + o, torch = o * In + tj;
      if (toTorch) data[torch] = src[t.offset + ours]; else data[ours] = src[t.offset + torch];
    }
  }
  return { shape: toTorch ? [O, In] : [In, O], data };
}

/** The net's tensors (trainable and frozen) in PyTorch's layouts, named like its state_dict. */
export function toTorchLayout(net: Net, params: ArrayLike<number> = net.params.data, consts: ArrayLike<number> | null = net.consts?.data ?? null): TorchTensor[] {
  const maps = flattenedMaps(net);
  const one = (t: TensorLayout, src: ArrayLike<number>, frozen: boolean): TorchTensor => {
    const { shape, data } = convertOne(t, src, t.name === 'W' ? maps.get(t.layer) : undefined, true);
    return { name: `${t.layer}.${t.name === 'W' ? 'weight' : 'bias'}`, shape, data, frozen };
  };
  return [...net.layout.map((t) => one(t, params, false)), ...(consts ? net.constLayout.map((t) => one(t, consts, true)) : [])];
}

/**
 * Our parameter buffer (layout order) and frozen tensors from PyTorch-layout tensors keyed by
 * '<layer>.weight' / '<layer>.bias'. Throws naming a missing tensor or a wrong shape.
 */
export function fromTorchLayout(net: Net, tensors: Record<string, { shape: readonly number[]; data: ArrayLike<number> }>): { params: Float64Array; consts: Float64Array } {
  const maps = flattenedMaps(net);
  const params = new Float64Array(net.nParams), consts = new Float64Array(net.constLayout.reduce((s, t) => s + t.size, 0));
  const fill = (t: TensorLayout, dst: Float64Array) => {
    const name = `${t.layer}.${t.name === 'W' ? 'weight' : 'bias'}`, src = tensors[name];
    if (!src) throw new RangeError(`torch parameters: tensor '${name}' (layer ${t.layer} ${t.kind}) is missing`);
    const want = t.name === 'b' ? [t.size] : t.kind === 'conv' ? [t.shape[3], t.shape[2], 3, 3] : [t.shape[1], t.shape[0]];
    if (src.shape.length !== want.length || src.shape.some((v, i) => v !== want[i])) throw new RangeError(`torch parameters: '${name}' has shape (${src.shape.join(', ')}), expected (${want.join(', ')})`);
    // read the torch tensor as if it sat at offset 0, write ours at t.offset
    const { data } = convertOne({ ...t, offset: 0 }, src.data, t.name === 'W' ? maps.get(t.layer) : undefined, false);
    dst.set(data, t.offset);
  };
  net.layout.forEach((t) => fill(t, params));
  net.constLayout.forEach((t) => fill(t, consts));
  return { params, consts };
}
