"""Benchmark: lbfgsb.minimize_batch on 1,000 problems vs a loop of minimizes.

    PYTHONPATH=$(bash tools/devbuild.sh bench) python3 -P tools/bench_batch.py [--B 1000]

Two problem families with per-problem data and a vectorised f and g:
n = 10, shifted and scaled Rosenbrock functions; n = 1,000, shifted convex
quadratics with per-problem diagonal scaling plus a quartic term.  For each,
the time of ``minimize_batch`` (one fg call per round for all problems
still running) against a Python loop of ``scipy.optimize.minimize(...,
method='L-BFGS-B')`` and of ``lbfgsb.minimize``, one problem at a time with
the same per-problem fg; the ratio loop / batch is printed.  Runs in well
under three minutes on one core.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.optimize as so  # noqa: E402

import lbfgsb  # noqa: E402


def rosenbrock_family(B, n, rng):
    C = rng.uniform(-0.5, 0.5, (B, n))
    A = rng.uniform(1.0, 100.0, B)
    X0 = rng.uniform(-2.0, 2.0, (B, n))

    def fg_batch(X, active):
        Y = X - C[active]
        a = A[active][:, None]
        t = Y[:, 1:] - Y[:, :-1] ** 2
        s = 1.0 - Y[:, :-1]
        F = np.sum(a * t * t + s * s, axis=1)
        G = np.zeros_like(Y)
        G[:, :-1] = -4.0 * a * t * Y[:, :-1] - 2.0 * s
        G[:, 1:] += 2.0 * a * t
        return F, G

    def fg_one(i):
        c, a = C[i], A[i]

        def fg(x):
            y = x - c
            t = y[1:] - y[:-1] ** 2
            s = 1.0 - y[:-1]
            g = np.zeros_like(y)
            g[:-1] = -4.0 * a * t * y[:-1] - 2.0 * s
            g[1:] += 2.0 * a * t
            return np.sum(a * t * t + s * s), g
        return fg
    return X0, fg_batch, fg_one


def quadratic_family(B, n, rng):
    C = rng.uniform(-1.0, 1.0, (B, n))
    W = np.exp(rng.uniform(0.0, np.log(100.0), (B, n)))   # condition <= 100
    X0 = rng.uniform(-2.0, 2.0, (B, n))

    def fg_batch(X, active):
        D = X - C[active]
        w = W[active]
        D2 = D * D
        F = 0.5 * np.sum(w * D2, axis=1) + 0.25 * np.sum(D2 * D2, axis=1)
        return F, w * D + D2 * D

    def fg_one(i):
        c, w = C[i], W[i]

        def fg(x):
            d = x - c
            d2 = d * d
            return 0.5 * np.sum(w * d2) + 0.25 * np.sum(d2 * d2), w * d + d2 * d
        return fg
    return X0, fg_batch, fg_one


def bench(label, family, B, n, loop_limit):
    rng = np.random.default_rng(12345)
    X0, fg_batch, fg_one = family(B, n, rng)
    calls = [0]

    def counted(X, active):
        calls[0] += 1
        return fg_batch(X, active)

    # wall-clock time (the threaded batch uses two cores: CPU time would
    # count both)
    clock = time.perf_counter
    t0 = clock()
    res = lbfgsb.minimize_batch(counted, X0)
    t_batch = clock() - t0
    t0 = clock()
    res2 = lbfgsb.minimize_batch(fg_batch, X0, threads=2)
    t_batch2 = clock() - t0
    assert all(np.array_equal(a.x, b.x) for a, b in zip(res, res2))

    # the loops: on the first loop_limit problems, scaled to B
    k = min(B, loop_limit)
    t0 = clock()
    [so.minimize(fg_one(i), X0[i], jac=True, method="L-BFGS-B") for i in range(k)]
    t_scipy = (clock() - t0) * B / k
    t0 = clock()
    own = [lbfgsb.minimize(fg_one(i), X0[i], jac=True) for i in range(k)]
    t_own = (clock() - t0) * B / k

    nfev = sum(r.nfev for r in res)
    same = sum(r.nit == o.nit for r, o in zip(res, own))
    print(f"{label}: B={B} n={n}: {calls[0]} rounds, {nfev} evaluations, "
          f"{sum(r.success for r in res)}/{B} converged")
    print(f"  minimize_batch                 {t_batch:8.2f} s")
    print(f"  minimize_batch, threads=2      {t_batch2:8.2f} s   (same bits)")
    scaled = "" if k == B else f" (timed on {k}, scaled to {B})"
    print(f"  loop of scipy.optimize.minimize {t_scipy:7.2f} s{scaled}"
          f"   ratio {t_scipy / t_batch:6.1f}x")
    print(f"  loop of lbfgsb.minimize         {t_own:7.2f} s{scaled}"
          f"   ratio {t_own / t_batch:6.1f}x")
    print(f"  loop of scipy vs batch with threads=2: ratio {t_scipy / t_batch2:6.1f}x")
    # (not a bitwise check: the loop's fg sums a vector, the batch's the rows
    # of a matrix, and numpy need not add in the same order; tests/test_batch.py
    # checks bitwise identity with the same arithmetic on both sides)
    print(f"  same nit as the loop of lbfgsb.minimize: {same}/{k}")
    return t_scipy / t_batch


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--B", type=int, default=1000, help="problems per batch")
    ap.add_argument("--loop-limit", type=int, default=1000,
                    help="time the loops on at most this many problems")
    args = ap.parse_args(argv)
    print(f"lbfgsb {lbfgsb.__version__}, scipy {scipy.__version__}, "
          f"numpy {np.__version__}, python {sys.version.split()[0]}")
    bench("shifted Rosenbrock", rosenbrock_family, args.B, 10, args.loop_limit)
    bench("shifted quadratic+quartic", quadratic_family, args.B, 1000,
          args.loop_limit)


if __name__ == "__main__":
    main()
