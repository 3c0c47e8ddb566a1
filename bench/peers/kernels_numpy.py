#!/usr/bin/env python3
"""Bench peer for bench/cases/kernels.ts: the same analytic kernels in vectorised numpy
(OpenBLAS GEMM for x.x' / d, then elementwise arc-cosine maps over the whole Gram; conv maps
per pair). Prints JSON {op: seconds}. Usage: kernels_numpy.py N_FC N_CONV"""
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


def conv1(X, H, W):
    Xi = X.reshape(-1, H, W)
    q = 2 * box(Xi * Xi) + 0.01
    out = np.empty((len(X), len(X)))
    for i in range(len(X)):  # one row of pairs at a time, vectorised across pairs and pixels
        n = 2 * box(Xi[i] * Xi) + 0.01
        n, k, _, _ = relu(n, n, q[i][None], q)
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
    Xc = rng.uniform(0, 1, (nconv, 784))
    t = time.perf_counter(); conv1(Xc, 28, 28); res['conv1'] = time.perf_counter() - t
    print(json.dumps(res))


if __name__ == '__main__':
    main()
