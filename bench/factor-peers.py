"""Bench peers for bench/cases/factor.ts: scipy cho_factor/cho_solve and numpy eigh.

usage: OPENBLAS_NUM_THREADS=t python3 factor-peers.py {chol|eigh} n reps
prints {"cold": seconds of the first run, "median": median of the next reps}.
"""
import json
import sys
import time

import numpy as np
import scipy.linalg as sl

op, n, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(1)
S = rng.uniform(-0.5, 0.5, (n, n))
S = (S + S.T) / 2
if op == "chol":
    A = S + n * np.eye(n)  # diagonally dominant: SPD
    B = rng.standard_normal((n, 10))

    def f():
        c = sl.cho_factor(A, lower=True, check_finite=False)
        sl.cho_solve(c, B, check_finite=False)
elif op == "eigh":
    def f():
        np.linalg.eigh(S)
else:
    raise SystemExit(f"unknown op {op}")

times = []
for _ in range(reps + 1):
    t = time.perf_counter()
    f()
    times.append(time.perf_counter() - t)
rest = sorted(times[1:]) or times
print(json.dumps({"cold": times[0], "median": rest[len(rest) // 2]}))
