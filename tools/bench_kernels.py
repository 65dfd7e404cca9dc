"""What reproducibility costs: the port with ``kernels="reference"`` (its own
netlib-order BLAS/LAPACK, the same bits on every machine) beside
``kernels="scipy"`` (SciPy's OpenBLAS, the default), per iteration.

    python3 tools/bench_kernels.py            # n = 1e2 .. 1e6, ~3 minutes
    python3 tools/bench_kernels.py --quick    # n = 1e2 .. 1e5

Problems of tools/bench_problems.py (``quad``: no bounds; ``bquad``: about
half the variables at a bound), m = 10, ftol = gtol = 0 and a fixed maxiter so
both kernel sets do the same number of iterations (checked).  Solver time per
iteration = (wall time of minimize - time inside the objective) / nit.  The two
kernel sets run interleaved (reference, scipy, reference, ...) in one process
so machine load hits both alike; medians are reported, with the ratio
reference / scipy.  OPENBLAS_NUM_THREADS=1 (set here).  Also times the level-1
kernels alone at n = 1e6 (``lbfgsb.port.kernels.call_*``).
"""
import os
import sys

os.environ["OPENBLAS_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_worker  # noqa: E402

KERNELS = ("port-reference", "port")
SIZES = (100, 1000, 10_000, 100_000, 1_000_000)


def _maxiter(n):
    return 200 if n <= 1000 else 60 if n <= 10_000 else 25 if n <= 100_000 else 10


def solver_section(sizes, reps, log):
    rows = []
    log("%-6s %9s  %14s  %14s  %6s  %s" % ("kind", "n", "reference", "scipy", "ratio",
                                           "nit (ref, scipy)"))
    for kind in ("quad", "bquad"):
        for n in sizes:
            per = {k: [] for k in KERNELS}
            nit = {}
            inner = max(1, 20_000 // (n * _maxiter(n) // 100 + 1))
            for _ in range(reps):
                for k in KERNELS:                    # interleaved
                    r = bench_worker.measure(dict(impl=k, kind=kind, n=n, m=10,
                                                  maxiter=_maxiter(n), reps=1,
                                                  warmup=1 if not per[k] else 0,
                                                  inner=inner))
                    per[k].append((r["total"][0] - r["fun"][0]) / r["nit"])
                    nit[k] = r["nit"]
            med = {k: float(np.median(v)) for k, v in per.items()}
            ratio = med["port-reference"] / med["port"]
            log("%-6s %9d  %11.2f us  %11.2f us  %6.2f  %s" % (
                kind, n, 1e6 * med["port-reference"], 1e6 * med["port"], ratio,
                (nit["port-reference"], nit["port"])))
            rows.append(dict(kind=kind, n=n, reference_s=med["port-reference"],
                             scipy_s=med["port"], ratio=ratio, nit=nit))
    return rows


def level1_section(n, reps, log):
    from lbfgsb.port import kernels as _kernels
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(n), rng.standard_normal(n)
    calls = {
        "ddot": lambda k: _kernels.call_ddot(k, n, x, 1, y, 1),
        "daxpy": lambda k: _kernels.call_daxpy(k, n, 1e-3, x, 1, y, 1),
        "dcopy": lambda k: _kernels.call_dcopy(k, n, x, 1, y, 1),
        "dnrm2": lambda k: _kernels.call_dnrm2(k, n, x, 1),
    }
    rows = []
    log("level-1 kernels alone, n = %d (median of %d):" % (n, reps))
    for name, fn in calls.items():
        t = {"reference": [], "scipy": []}
        for _ in range(reps):
            for k in t:
                t0 = time.perf_counter()
                fn(k)
                t[k].append(time.perf_counter() - t0)
        med = {k: float(np.median(v)) for k, v in t.items()}
        log("  %-6s reference %8.1f us   scipy %8.1f us   ratio %5.2f" % (
            name, 1e6 * med["reference"], 1e6 * med["scipy"],
            med["reference"] / med["scipy"]))
        rows.append(dict(kernel=name, n=n, **med))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="n up to 1e5, fewer repetitions")
    ap.add_argument("--json", help="write the rows as JSON")
    a = ap.parse_args()
    lines = []

    def log(s):
        print(s, flush=True)
        lines.append(s)
    log("solver time per iteration, m = 10, OPENBLAS_NUM_THREADS=1, load %.1f:"
        % os.getloadavg()[0])
    sizes = SIZES[:-1] if a.quick else SIZES
    rec = {"solver": solver_section(sizes, 3 if a.quick else 5, log),
           "level1": level1_section(1_000_000, 5 if a.quick else 21, log)}
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(rec, fh, indent=1)


if __name__ == "__main__":
    main()
