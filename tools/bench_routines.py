"""Time the port's routines one by one at large n (the bounded iteration's parts).

    PYTHONPATH=$(bash tools/devbuild.sh NAME) python3 -P tools/bench_routines.py
    python3 -P tools/bench_routines.py --n 100000 --m 10 --reps 7

Calls the routines through their test shims (lbfgsb.port.*.py_*) on a state
like that of a bounded run in the middle of a solve: half the variables free,
the other half at a bound, col = m stored pairs, a few variables entering and
leaving the free set.  The values are random (the timings do not depend on
them); the shims' own work (argument checks, a copy of a 2m x 2m or n-vector
result where the shim makes one) is included and is small beside the passes
over n.  Prints CPU milliseconds per call (the best of ``--reps``: on a shared
machine CPU time is disturbed far less than wall time by other jobs) for both kernel
sets, and with ``--json`` one JSON record on the last line.
"""
import argparse
import json
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402


def state(n, m, seed=0):
    rng = np.random.default_rng(seed)
    s = {}
    s["x"] = rng.uniform(-0.5, 0.5, n)
    s["l"] = np.full(n, -1.0)
    s["u"] = np.full(n, 1.0)
    s["nbd"] = np.full(n, 2, dtype=np.int32)
    s["g"] = rng.standard_normal(n) * 1e-3    # the Cauchy point in the first segment
    s["ws"] = np.asfortranarray(rng.standard_normal((n, m)) * 1e-3)
    s["wy"] = np.asfortranarray(rng.standard_normal((n, m)) * 1e-3)
    a = np.tril(rng.uniform(0.1, 0.2, (m, m)), -1) + np.diag(np.full(m, 1.0))
    s["sy"] = np.asfortranarray(a)
    s["wt"] = np.asfortranarray(np.eye(m) * 2.0)
    free = np.arange(1, n + 1, 2, dtype=np.int32)          # odd variables free
    act = np.arange(n, 0, -1, dtype=np.int32)[::2][::-1]   # even ones active
    s["ind"] = np.ascontiguousarray(np.concatenate([free, act[::-1]]).astype(np.int32))
    s["nfree"] = free.size
    k = max(1, n // 1000)                                  # 0.1% enter, 0.1% leave
    indx2 = np.zeros(n, dtype=np.int32)
    indx2[:k] = act[:k]
    indx2[n - k:] = free[:k]
    s["indx2"], s["nenter"], s["ileave"] = indx2, k, n - k + 1
    wn = np.asfortranarray(np.eye(2 * m) * 3.0)
    s["wn"] = wn
    return s


def timeit(f, reps):
    f()
    ts = []
    for _ in range(reps):
        t = time.process_time()
        f()
        ts.append(time.process_time() - t)
    return 1e3 * min(ts)


def routines(s, n, m, kernels):
    from lbfgsb.port import cauchy, formk, subsm, matupd, projgr, freev
    x, l, u, nbd, g = s["x"], s["l"], s["u"], s["nbd"], s["g"]
    ws, wy, sy, wt = s["ws"], s["wy"], s["sy"], s["wt"]
    ind, nfree = s["ind"], s["nfree"]
    col, head, theta = m, 1, 1.5
    out = {}

    iorder, iwh = np.zeros(n, np.int32), np.zeros(n, np.int32)
    t, d, xcp = np.zeros(n), np.zeros(n), np.zeros(n)
    p, c, wbp, v = (np.zeros(2 * m) for _ in range(4))

    def run_cauchy():
        cauchy.py_cauchy(x, l, u, nbd, g, iorder, iwh, t, d, xcp, m, ws, wy,
                         sy, wt, theta, col, head, p, c, wbp, v, kernels=kernels)
    out["cauchy"] = run_cauchy
    out["projgr"] = lambda: projgr.py_projgr(l, u, nbd, x, g)
    iwhere = np.zeros(n, np.int32)
    iwhere[1::2] = 1
    index = s["ind"].copy()
    indx2 = np.zeros(n, np.int32)
    out["freev"] = lambda: freev.py_freev(nfree, index.copy(), indx2, iwhere, True, True, 5)
    out["formk"] = lambda: formk.py_formk(
        n, nfree, ind, s["nenter"], s["ileave"], s["indx2"], m + 3, True, s["wn"],
        s["wn"], m, ws, wy, sy, theta, col, head, kernels=kernels)
    wa = np.zeros(4 * m)
    wa[2 * m:] = 1e-3
    out["cmprlb"] = lambda: subsm.py_cmprlb(n, m, x, g, ws, wy, sy, wt, x * 0.5, wa, ind,
                                            theta, col, head, nfree, True, kernels=kernels)
    out["subsm"] = lambda: subsm.py_subsm(n, m, nfree, ind, l, u, nbd, x, g * 1e-3, ws, wy,
                                          theta, x, g, col, head, s["wn"], kernels=kernels)
    ss = np.asfortranarray(np.eye(m))
    wsc, wyc, syc = ws.copy(order="F"), wy.copy(order="F"), sy.copy(order="F")
    out["matupd"] = lambda: matupd.py_matupd(m, wsc, wyc, syc, ss, g, x, 1, m + 5, m, 1,
                                             2.0, 1.0, 1.0, 3.0, kernels=kernels)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10**6)
    ap.add_argument("--m", type=int, default=10)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    ns = ap.parse_args()
    s = state(ns.n, ns.m)
    rec = {"n": ns.n, "m": ns.m, "loadavg": os.getloadavg()}
    for kernels in ("scipy", "reference"):
        fs = routines(s, ns.n, ns.m, kernels)
        rec[kernels] = {name: timeit(f, ns.reps) for name, f in fs.items()}
    names = list(rec["scipy"])
    print(f"n={ns.n} m={ns.m} load {rec['loadavg'][0]:.2f}   ms per call (best of {ns.reps})")
    print("  " + " ".join(f"{k:>9s}" for k in ["kernels"] + names))
    for kernels in ("scipy", "reference"):
        print("  " + f"{kernels:>9s}" + " ".join(f"{rec[kernels][k]:9.2f}" for k in names))
    if ns.json:
        print(json.dumps(rec))


if __name__ == "__main__":
    main()
