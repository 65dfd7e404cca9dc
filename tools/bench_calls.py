"""Per-call costs: the port against SciPy on calls where the call, not the
iterations, is the cost (issue 21's small-problem and bounds-conversion
targets).

    PYTHONPATH=$(bash tools/devbuild.sh me) python3 -P tools/bench_calls.py [--reps 7]

Cases (each timed as the median of ``--reps`` runs, port and SciPy
interleaved in the same process, ratio = port / SciPy; the ratio of the
fastest runs is printed too; times are the process's CPU time, which a
shared machine's other jobs disturb far less than wall time):

- ``small``: 20 whole ``minimize`` calls on a 10-variable bounded quadratic
  (``jac=True``, pairs of bounds);
- ``fmin200``: ``fmin_l_bfgs_b`` on Rosenbrock (n = 50) with 200 iterations
  (the port's own time is a few microseconds per iteration: the ratio is
  bounded below by the objective's share of SciPy's time);
- ``bounds1e5``: ``minimize(fg, zeros(1e5), jac=True, bounds=Bounds(lo, hi),
  options={'maxiter': 30})``: time per iteration including the per-call
  costs, the objective's own time subtracted.

Prints one line per case with the machine's load average.  To compare two
builds, run the script under each build alternately (the ratios are
measured against SciPy in the same process, so they can be compared across
runs on a shared machine).
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import scipy.optimize as so  # noqa: E402
from scipy.optimize import Bounds  # noqa: E402

import lbfgsb  # noqa: E402

W10 = np.arange(1.0, 11.0)


def quad10(x):
    d = x - 0.7
    return float(W10 @ (d * d)), 2 * W10 * d


def small(mod):
    bounds = [(-1.0, 0.5)] * 10
    for k in range(20):
        mod.minimize(quad10, np.full(10, 0.1 * k), jac=True, method="L-BFGS-B",
                     bounds=bounds)


def fmin200(mod):
    fg = lambda x: (so.rosen(x), so.rosen_der(x))  # noqa: E731
    x, f, d = mod.fmin_l_bfgs_b(fg, np.tile([-1.2, 1.0], 25), m=5, factr=0,
                                pgtol=0, maxiter=200)
    assert d["nit"] == 200, d


class Big:
    """The bounded n = 1e5 problem; counts its own time."""

    def __init__(self, n=100_000):
        rng = np.random.default_rng(0)
        self.c = rng.uniform(-1, 1, n)
        self.w = rng.uniform(0.5, 2, n)
        self.bounds = Bounds(np.full(n, -0.5), np.full(n, 0.5))
        self.n = n

    def fg(self, x):
        t = time.process_time()
        d = x - self.c
        wd = self.w * d
        out = float(d @ wd), 2 * wd
        self.inside += time.process_time() - t
        return out

    def run(self, mod):
        self.inside = 0.0
        t = time.process_time()
        res = mod.minimize(self.fg, np.zeros(self.n), jac=True, method="L-BFGS-B",
                           bounds=self.bounds,
                           options={"maxiter": 30, "ftol": 0, "gtol": 0})
        return (time.process_time() - t - self.inside) / res.nit


def timed(fn):
    t = time.process_time()
    fn()
    return time.process_time() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--only", default=None)
    a = ap.parse_args()
    big = Big()
    cases = {
        "small": lambda mod: timed(lambda: small(mod)),
        "fmin200": lambda mod: timed(lambda: fmin200(mod)),
        "bounds1e5": big.run,
    }
    print(f"load average at start: {os.getloadavg()}")
    for name, fn in cases.items():
        if a.only and name != a.only:
            continue
        fn(lbfgsb), fn(so)                  # warm up
        port, ref = [], []
        for _ in range(a.reps):
            port.append(fn(lbfgsb))
            ref.append(fn(so))
        p, s = np.median(port), np.median(ref)
        print(f"{name:10s} port {p * 1e3:9.3f} ms  scipy {s * 1e3:9.3f} ms  "
              f"ratio {p / s:5.2f}x  (of the fastest runs: {min(port) / min(ref):5.2f}x)"
              f"   (load {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
