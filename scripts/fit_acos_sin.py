# Fits the conv ReLU maps' c > 1/2 arccos branch (assembly/kernels/acos.ts, WN*/WQ*):
# theta / sin(theta) = N(w) / Q(w) on w = 1 - c in [0, 1/2], N and Q of degree 4, by Lawson-
# weighted linear least squares (relative error, near-minimax) in mpmath at 40 digits, then
# checks theta = sqrt(w (1 + c)) N/Q in double arithmetic against np.arccos and mpmath.
#   /usr/bin/python3 scripts/fit_acos_sin.py 4,4     (about 20 s; prints the coefficients;
#   acos.ts stores both divided by the last Q coefficient, so that Q is monic)
import mpmath as mp, numpy as np, sys
mp.mp.dps = 40
def M(w):  # theta / sin theta with w = 1 - cos theta, theta = 2 asin(sqrt(w/2))
    if w == 0: return mp.mpf(1)
    th = 2*mp.asin(mp.sqrt(w/2)); return th/mp.sin(th)
def fit(m, n, a=0, b=0.5, npts=1500, iters=60):
    ws = [mp.mpf(a) + (mp.mpf(b)-a)*(1-mp.cos(mp.pi*(i+0.5)/npts))/2 for i in range(npts)]
    fs = [M(w) for w in ws]
    u = [mp.mpf(1)]*npts; qp = [mp.mpf(1)]*npts
    for it in range(iters):
        # unknowns p0..pm, q1..qn ; residual (N - f Q)/(f qp)
        rows = []; rhs = []
        for w, f, ui, q in zip(ws, fs, u, qp):
            s = mp.sqrt(ui)/(f*q)
            rows.append([s*w**k for k in range(m+1)] + [-s*f*w**k for k in range(1, n+1)]); rhs.append(s*f)
        A = mp.matrix(rows); y = mp.matrix(rhs)
        AtA = A.T*A; Aty = A.T*y
        x = mp.lu_solve(AtA, Aty)
        P = [x[k] for k in range(m+1)]; Q = [mp.mpf(1)] + [x[m+k] for k in range(1, n+1)]
        ev = lambda c, w: sum(ci*w**k for k, ci in enumerate(c))
        err = [(ev(P, w)/ev(Q, w) - f)/f for w, f in zip(ws, fs)]
        e = max(abs(x) for x in err)
        u = [ui*abs(ei) for ui, ei in zip(u, err)]; su = sum(u); u = [ui/su for ui in u]
        qp = [ev(Q, w) for w in ws]
    return P, Q, e
def check(P, Q, N=200000):
    P = [float(p) for p in P]; Q = [float(q) for q in Q]
    rng = np.random.default_rng(1)
    c = np.concatenate([rng.uniform(0.5, 1, N), 1 - 2.0**-np.arange(1, 53), [0.5000000000000001, 1.0]])
    w = np.maximum(1 - c, 0)
    sn = np.sqrt(w*(1 + c))
    def horner(cf, w):
        r = np.full_like(w, cf[-1])
        for k in range(len(cf)-2, -1, -1): r = r*w + cf[k]
        return r
    th = sn*(horner(P, w)/horner(Q, w))
    worst = 0
    # exact reference on a subset + Math.acos-like np.arccos on all
    ref = np.arccos(c)
    rel = np.abs(th - ref)/np.where(ref == 0, 1, ref)
    idx = np.argsort(rel)[-20:]
    ex = max(abs(mp.mpf(th[i]) - mp.acos(mp.mpf(c[i])))/max(mp.acos(mp.mpf(c[i])), mp.mpf(1e-300)) for i in idx)
    return rel.max(), float(ex)
for (m, n) in [(int(a), int(b)) for a, b in (s.split(',') for s in sys.argv[1:])]:
    P, Q, e = fit(m, n)
    print(m, n, 'fit err', mp.nstr(e, 3), 'double check vs np.arccos / exact on worst', check(P, Q))
    print(' P', [repr(float(p)) for p in P]); print(' Q', [repr(float(q)) for q in Q])
