#!/usr/bin/env python3
"""Bench peer for bench/cases/kernels.ts: the same analytic kernels in vectorised numpy
(OpenBLAS GEMM for x.x' / d, then elementwise arc-cosine maps over the whole Gram; CONV1 and
CONV2 maps per row of pairs, on MNIST 28 x 28 x 1 and CIFAR 32 x 32 x 3 shapes). Prints JSON
{op: seconds}. Usage: kernels_numpy.py N_FC N_CONV"""
import json, sys, time
import numpy as np


def relu(n, k, q1, q2):
    s = np.sqrt(q1 * q2)
    c = np.clip(n / s, -1, 1)
    th = np.arccos(c)
    return s * (np.sin(th) + (np.pi - th) * c) / (2 * np.pi), k * (np.pi - th) / (2 * np.pi), q1 / 2, q2 / 2


def fc(X, L):
    d = X.shape[1]
    q = (X * X).sum(1) / d
    n, k = X @ X.T / d, 0.0
    q1, q2 = q[:, None], q[None, :]
    for _ in range(L):
        n = 2 * n + 0.01; k = n + 2 * k; q1 = 2 * q1 + 0.01; q2 = 2 * q2 + 0.01
        n, k, q1, q2 = relu(n, k, q1, q2)
    return n * 2 + 0.01 + 2 * k


def box(m):  # m: (..., H, W)
    p = np.pad(m, [(0, 0)] * (m.ndim - 2) + [(1, 1), (1, 1)])
    H, W = m.shape[-2:]
    return sum(p[..., 1 + dy:1 + dy + H, 1 + dx:1 + dx + W] for dy in (-1, 0, 1) for dx in (-1, 0, 1)) / 9.0


def conv(X, shape, L):
    """CONV_L Gram on H x W x C images (channels last): per-pixel maps, 3x3 mean, zero padding."""
    H, W, C = shape
    Xi = X.reshape(-1, H, W, C)
    qs, q = [], (Xi * Xi).sum(-1) / C
    for _ in range(L):  # self maps at each ReLU input, once per image
        q = 2 * box(q) + 0.01
        qs.append(q)
        q = q / 2
    out = np.empty((len(X), len(X)))
    for i in range(len(X)):  # one row of pairs at a time, vectorised across pairs and pixels
        n, k = (Xi[i][None] * Xi).sum(-1) / C, None
        for l in range(L):
            n = 2 * box(n) + 0.01
            k = n if k is None else n + 2 * box(k)
            n, k, _, _ = relu(n, k, qs[l][i][None], qs[l])
        out[i] = 2 * n.mean((1, 2)) + 0.01 + 2 * k.mean((1, 2))
    return out


def main():
    nfc, nconv = int(sys.argv[1]), int(sys.argv[2])
    rng = np.random.default_rng(0)
    res = {}
    X = rng.uniform(0, 1, (nfc, 784))
    for L in (1, 3):
        fc(X[:50], L)
        t = time.perf_counter(); fc(X, L); res[f'fc{L}'] = time.perf_counter() - t
    for name, shape in (('mnist', (28, 28, 1)), ('cifar', (32, 32, 3))):
        Xc = rng.uniform(0, 1, (nconv, int(np.prod(shape))))
        for L in (1, 2):
            conv(Xc[:4], shape, L)
            t = time.perf_counter(); conv(Xc, shape, L); res[f'conv{L} {name}'] = time.perf_counter() - t
    print(json.dumps(res))


if __name__ == '__main__':
    main()
