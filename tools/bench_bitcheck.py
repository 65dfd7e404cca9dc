"""Bitwise check for speed work: the port's iterates equal the Fortran's.

    PYTHONPATH=$(bash tools/devbuild.sh perf) python3 -P tools/bench_bitcheck.py [--save F | --against F]

For each problem (small and large, bounded and not, several m) runs
``lbfgsb.minimize`` (driver loop) and ``tools.fortran.run`` (Debian's Fortran
bound to SciPy's OpenBLAS) and requires ``np.array_equal`` on x, equal f, g,
nit, nfev.  ``--save`` writes a digest of every port result; ``--against``
compares with a saved digest (port before vs after a change, bit for bit).
"""
import argparse
import hashlib
import json
import os
import sys

sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import lbfgsb  # noqa: E402
import reference  # noqa: E402
from tools import fortran  # noqa: E402

CASES = [  # (problem, n, m, maxiter)
    ("ROSENBR", None, 10, 15000), ("BEALE", None, 5, 15000),
    ("HS110", None, 10, 15000), ("PALMER1", None, 7, 15000),
    ("GENROSE", 10, 3, 15000), ("GENROSE", 100, 10, 15000),
    ("TORSION1", 100, 5, 15000), ("OBSTCLAE", 400, 10, 15000),
    ("BDEXP", 1000, 20, 15000), ("NCVXBQP1", 1000, 10, 15000),
    ("SROSENBR", 10000, 5, 200), ("CVXBQP1", 10000, 10, 200),
    ("JNLBRNG1", 10000, 20, 200), ("LIARWHD", 10000, 10, 200),
    ("TRIDIA", 100000, 10, 60), ("DPJB", 10000, 5, 200),
]


def digest(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()[:16]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--save")
    ap.add_argument("--against")
    ns = ap.parse_args()
    out = {}
    bad = 0
    for name, n, m, maxiter in CASES:
        p = reference.get(name, n) if n else reference.get(name)
        bounds = None
        if p.lower is not None and (np.isfinite(p.lower).any() or np.isfinite(p.upper).any()):
            bounds = list(zip(p.lower, p.upper)) if p.n < 1000 else \
                __import__("scipy.optimize").optimize.Bounds(p.lower, p.upper)
        x0 = p.x0 if bounds is None else np.clip(p.x0, p.lower, p.upper)
        r = lbfgsb.minimize(p.fg, x0, jac=True, bounds=bounds,
                            maxcor=m, maxiter=maxiter)
        fr = fortran.run(p.fg, x0, p.lower, p.upper, m=m, maxiter=maxiter,
                         blas="scipy", record=False)
        same = (np.array_equal(r.x, fr["x"]) and r.fun == fr["f"]
                and np.array_equal(r.jac, fr["g"]) and r.nit == fr["nit"]
                and r.nfev == fr["nfev"])
        key = f"{name}/{p.n}/m{m}"
        out[key] = [digest(r.x), digest(r.jac), float(r.fun), int(r.nit), int(r.nfev)]
        bad += not same
        print(f"{key:24s} nit={r.nit:5d} nfev={r.nfev:5d} port==fortran: {same}")
    if ns.save:
        with open(ns.save, "w") as fh:
            json.dump(out, fh, indent=1)
    if ns.against:
        with open(ns.against) as fh:
            old = json.load(fh)
        diff = [k for k in old if old[k] != out.get(k)]
        print("port vs saved digest:", "identical" if not diff else f"DIFFERENT {diff}")
        bad += len(diff)
    print("ALL BITWISE EQUAL" if not bad else f"{bad} MISMATCHES")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
