#!/usr/bin/python3
"""PyTorch CPU peer timings for the NTK-adversarial-robustness workloads.

Copied from the project's shared performance anchors (../shared/anchors/torch_cnn_peer.py,
measured 2026-11-26); changes: the `blas` field reports the BLAS library this process really
mapped (read from /proc/self/maps) instead of guessing from LD_LIBRARY_PATH, and --threads.

Run with Debian's torch (1.13.1):  /usr/bin/python3 torch_peer.py <workload> [options]
Each invocation measures one workload and prints one JSON line (append to a log).
Synthetic random data of the right shapes; inputs uniform in [0,1], float32 unless --f64.
"""
import argparse, json, math, os, resource, statistics, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F

_threads = 2
for _i, _a in enumerate(sys.argv):
    if _a == "--threads" and _i + 1 < len(sys.argv):
        _threads = int(sys.argv[_i + 1])
torch.set_num_threads(_threads)


def mapped_blas():
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1]
            if "blas" in p.lower():
                libs.add(os.path.realpath(p))
    return ", ".join(sorted(libs)) or "none mapped"


def lecun_normal_(w):
    # Flax default: variance_scaling(1, fan_in, truncated_normal) -> std = sqrt(1/fan_in)/.87962566, trunc at 2 sigma
    fan_in = w[0].numel()
    std = math.sqrt(1.0 / fan_in) / 0.87962566103423978
    nn.init.trunc_normal_(w, 0.0, std, -2 * std, 2 * std)


class MnistCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 32, 3, padding=1)
        self.c2 = nn.Conv2d(32, 64, 3, padding=1)
        self.d1 = nn.Linear(7 * 7 * 64, 256)
        self.d2 = nn.Linear(256, 10)

    def forward(self, x):
        x = F.avg_pool2d(F.relu(self.c1(x)), 2)
        x = F.avg_pool2d(F.relu(self.c2(x)), 2)
        x = x.flatten(1)
        return self.d2(F.relu(self.d1(x)))


class CifarCNN(nn.Module):
    def __init__(self):
        super().__init__()
        ch = [(3, 32), (32, 32), (32, 64), (64, 64), (64, 128), (128, 128)]
        self.convs = nn.ModuleList([nn.Conv2d(a, b, 3, padding=1) for a, b in ch])
        self.d = nn.Linear(8 * 8 * 128, 10)

    def forward(self, x):
        c = self.convs
        x = F.relu(c[0](x)); x = F.relu(c[1](x)); x = F.max_pool2d(x, 2)
        x = F.relu(c[2](x)); x = F.relu(c[3](x)); x = F.relu(c[4](x)); x = F.relu(c[5](x))
        x = F.avg_pool2d(x, 2)
        return self.d(x.flatten(1))


def make(name, dtype):
    torch.manual_seed(0)
    m = MnistCNN() if name == "mnist" else CifarCNN()
    for mod in m.modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            lecun_normal_(mod.weight)
            nn.init.zeros_(mod.bias)
    m = m.to(dtype)
    shape = (1, 28, 28) if name == "mnist" else (3, 32, 32)
    return m, shape


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


WARMUP = 1


def timeit(fn, reps, warmup=None):
    warmup = WARMUP if warmup is None else warmup
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return statistics.median(ts), ts


def loadavg():
    return open("/proc/loadavg").read().split()[:3]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("workload", choices=["train", "pgd", "fwd", "ntk", "matmul"])
    ap.add_argument("--net", choices=["mnist", "cifar"], default="mnist")
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--f64", action="store_true")
    ap.add_argument("--method", default="functorch", choices=["functorch", "loop", "batched_grad"])
    ap.add_argument("--chunk", type=int, default=0, help="functorch: samples per vmap chunk (0 = all)")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--channels_last", action="store_true")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    dtype = torch.float64 if args.f64 else torch.float32
    global WARMUP
    WARMUP = args.warmup
    res = {"workload": args.workload, "net": args.net, "dtype": str(dtype).replace("torch.", ""),
           "threads": torch.get_num_threads(), "torch": torch.__version__, "load_before": loadavg(),
           "blas": mapped_blas(), "warmup": args.warmup,
           "malloc": "mmap_max=0" if os.environ.get("MALLOC_MMAP_MAX_") == "0" else "glibc default"}

    if args.workload == "matmul":
        n = args.batch or 2000
        a = torch.randn(n, n, dtype=dtype)
        med, ts = timeit(lambda: a @ a, args.reps)
        res.update(n=n, median_s=med, gflops=2 * n ** 3 / med / 1e9, times=ts)
        print(json.dumps(res)); return

    model, shape = make(args.net, dtype)
    B = args.batch or {"train": 300 if args.net == "mnist" else 250, "pgd": 300 if args.net == "mnist" else 250,
                       "fwd": 250, "ntk": 20 if args.net == "mnist" else 50}[args.workload]
    g = torch.Generator().manual_seed(1)
    x = torch.rand((B,) + shape, generator=g, dtype=dtype)
    y = torch.randint(0, 10, (B,), generator=g)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    res.update(batch=B, params=sum(p.numel() for p in model.parameters()), channels_last=args.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def train_step(xb):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xb), y)
        loss.backward()
        opt.step()
        return loss

    if args.workload == "train":
        med, ts = timeit(lambda: train_step(x), args.reps)
        res.update(median_s=med, images_per_s=B / med, times=ts)

    elif args.workload == "pgd":
        eps, alpha = (0.3, 0.3 / 8) if args.net == "mnist" else (8 / 255, 2 / 255)

        def pgd_train():
            xa = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp_(0, 1)
            for _ in range(args.steps):
                xa.requires_grad_(True)
                loss = F.cross_entropy(model(xa), y)
                gx, = torch.autograd.grad(loss, xa)
                xa = xa.detach() + alpha * gx.sign()
                xa = torch.min(torch.max(xa, x - eps), x + eps).clamp_(0, 1)
            return train_step(xa.detach())
        med, ts = timeit(pgd_train, args.reps)
        res.update(steps=args.steps, eps=eps, alpha=alpha, median_s=med, images_per_s=B / med, times=ts)

    elif args.workload == "fwd":
        model.eval()

        def fwd():
            with torch.inference_mode():
                return model(x)
        med, ts = timeit(fwd, args.reps)
        res.update(median_s=med, images_per_s=B / med, times=ts)

    elif args.workload == "ntk":
        params = [p for p in model.parameters()]
        P = sum(p.numel() for p in params)
        O = 10
        res.update(rss_before_mb=rss_mb(), method=args.method, chunk=args.chunk, J_shape=[B * O, P],
                   J_bytes_mb=B * O * P * (8 if args.f64 else 4) / 2 ** 20)

        if args.method == "functorch":
            from functorch import make_functional, vmap, jacrev
            fmodel, fparams = make_functional(model)

            def f1(ps, xi):
                return fmodel(ps, xi.unsqueeze(0)).squeeze(0)
            jf = vmap(jacrev(f1), (None, 0))

            def build_J():
                J = torch.empty(B * O, P, dtype=dtype)
                ch = args.chunk or B
                for s in range(0, B, ch):
                    jac = jf(fparams, x[s:s + ch])  # tuple of [n, O, *pshape]
                    off = 0
                    n = jac[0].shape[0]
                    for j in jac:
                        k = j[0, 0].numel()
                        J[s * O:(s + n) * O, off:off + k] = j.reshape(n * O, k)
                        off += k
                    del jac
                return J
        elif args.method == "loop":
            def build_J():
                J = torch.empty(B * O, P, dtype=dtype)
                for i in range(B):
                    out = model(x[i:i + 1])[0]
                    for k in range(O):
                        gs = torch.autograd.grad(out[k], params, retain_graph=k < O - 1)
                        torch.cat([gg.reshape(-1) for gg in gs], out=J[i * O + k])
                return J
        else:  # batched_grad: per sample, all 10 one-hot cotangents at once (autograd.grad is_grads_batched)
            eye = torch.eye(O, dtype=dtype).unsqueeze(1)  # [O,1,O]

            def build_J():
                J = torch.empty(B * O, P, dtype=dtype)
                for i in range(B):
                    out = model(x[i:i + 1])
                    gs = torch.autograd.grad(out, params, grad_outputs=eye, is_grads_batched=True)
                    torch.cat([gg.reshape(O, -1) for gg in gs], dim=1, out=J[i * O:(i + 1) * O])
                return J

        def ntk():
            t0 = time.perf_counter()
            J = build_J()
            t1 = time.perf_counter()
            K = J @ J.T
            t2 = time.perf_counter()
            return K, t1 - t0, t2 - t1
        tj, tk, tt = [], [], []
        reps = args.reps
        K = None
        for r in range(1 - args.warmup, reps + 1):  # r == 0: warm-up
            del K
            t0 = time.perf_counter()
            K, a, b = ntk()
            t = time.perf_counter() - t0
            if r > 0:
                tj.append(a); tk.append(b); tt.append(t)
            else:
                res["warmup_s"] = t
        res.update(median_s=statistics.median(tt), median_J_s=statistics.median(tj),
                   median_JJt_s=statistics.median(tk), times=tt, peak_rss_mb=peak_mb())
        # sanity
        Kd = K.double()
        asym = (Kd - Kd.T).abs().max().item() / Kd.abs().max().item()
        ev = torch.linalg.eigvalsh((Kd + Kd.T) / 2)
        res.update(rel_asym=asym, eig_min=ev[0].item(), eig_max=ev[-1].item(), trace=Kd.trace().item(),
                   psd_ok=bool(ev[0].item() > -1e-5 * ev[-1].item()))
        # cross-check one entry against direct autograd (f64 of same net in same dtype)
        out = model(x[1:2])[0]
        g1 = torch.cat([gg.reshape(-1) for gg in torch.autograd.grad(out[3], params)])
        out = model(x[0:1])[0]
        g0 = torch.cat([gg.reshape(-1) for gg in torch.autograd.grad(out[7], params)])
        direct = (g1.double() @ g0.double()).item()
        res.update(check_entry=[K[1 * O + 3, 0 * O + 7].item(), direct])
        if os.environ.get("SAVE_K"):
            torch.save(K, os.environ["SAVE_K"])
    print(json.dumps(res))


if __name__ == "__main__":
    main()
