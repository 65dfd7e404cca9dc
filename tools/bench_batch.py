"""Benchmark: lbfgsb.minimize_batch against loops, over a grid of B x n.

    PYTHONPATH=$(bash tools/devbuild.sh bench) python3 -P tools/bench_batch.py \
        [--B 10,100,1000,10000] [--n 10,100,1000,10000] [--max-size 1e6] [--repeat 3]

For each grid point (B problems of n variables, skipping B * n > --max-size:
the batch holds every problem's workspace, ~200 n bytes each, and the loops
take minutes there) the wall-clock time of

* ``minimize_batch`` with ``threads=1`` and ``threads=2`` (automatic window),
* a Python loop of ``lbfgsb.minimize`` and one of ``scipy.optimize.minimize(
  method='L-BFGS-B')``, one problem at a time with the same per-problem f
  and g, keeping the results as the batch does (timed on at most
  --loop-limit problems, scaled to B; the loop's x are checked to be
  bitwise the batch's; see ``timed``),

measured interleaved (batch, batch threads=2, loop, SciPy loop, again) and
repeated; the medians and the ratios loop / batch are printed.  n = 10:
shifted, scaled Rosenbrock functions; n > 10: shifted convex quadratics with
per-problem diagonal scaling plus a quartic term.  The machine may be
shared: the ratios of one run are what to read.
"""

import argparse
import gc
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


def family(n):
    return rosenbrock_family if n <= 10 else quadratic_family


def timed(solve):
    """(seconds, the x of the results, total nfev) of ``solve()``.

    The results are kept while timed, as a user keeps them (the batch
    returns all B; a loop that dropped them would reuse one workspace's
    memory), and dropped afterwards, with a collection before the clock
    starts: results alive from an earlier run would make the garbage
    collector's passes, and so the next run, slower (10,000 results of n =
    10 made the run after them ~30% slower)."""
    gc.collect()
    t0 = time.perf_counter()
    results = solve()
    seconds = time.perf_counter() - t0
    return seconds, np.array([r.x for r in results]), sum(r.nfev for r in results)


def measure(B, n, repeat, loop_limit, scipy_limit):
    """Median wall-clock seconds of the four ways (loops scaled to B)."""
    X0, fg_batch, fg_one = family(n)(B, n, np.random.default_rng(12345))
    k_own, k_sp = min(B, loop_limit), min(B, scipy_limit)
    times = {"batch": [], "batch2": [], "loop": [], "scipy": []}
    for _ in range(repeat):
        t, x1, nfev = timed(lambda: lbfgsb.minimize_batch(fg_batch, X0, threads=1))
        times["batch"].append(t)
        t, x2, _ = timed(lambda: lbfgsb.minimize_batch(fg_batch, X0, threads=2))
        times["batch2"].append(t)
        assert np.array_equal(x1, x2)
        t, xl, _ = timed(lambda: [lbfgsb.minimize(fg_one(i), X0[i], jac=True)
                                  for i in range(k_own)])
        times["loop"].append(t * B / k_own)
        assert np.array_equal(xl, x1[:k_own])       # the batch solves each alone
        t, _, _ = timed(lambda: [so.minimize(fg_one(i), X0[i], jac=True,
                                             method="L-BFGS-B") for i in range(k_sp)])
        times["scipy"].append(t * B / k_sp)
    med = {k: float(np.median(v)) for k, v in times.items()}
    med["nfev"] = nfev
    return med


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--B", default="10,100,1000,10000", help="batch sizes")
    ap.add_argument("--n", default="10,100,1000,10000", help="problem sizes")
    ap.add_argument("--max-size", type=float, default=1e6,
                    help="skip grid points with B * n above this")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved repeats (median)")
    ap.add_argument("--loop-limit", type=int, default=300,
                    help="time the loop of lbfgsb.minimize on at most this many problems")
    ap.add_argument("--scipy-limit", type=int, default=100,
                    help="time the SciPy loop on at most this many problems")
    args = ap.parse_args(argv)
    Bs = [int(float(b)) for b in args.B.split(",")]
    ns = [int(float(n)) for n in args.n.split(",")]
    print(f"lbfgsb {lbfgsb.__version__}, scipy {scipy.__version__}, "
          f"numpy {np.__version__}, python {sys.version.split()[0]}; "
          f"wall-clock medians of {args.repeat} interleaved runs")
    print(f"{'n':>6} {'B':>6} {'evals':>9} {'batch':>8} {'batch t2':>9} "
          f"{'loop':>8} {'scipy':>8} {'loop/b':>7} {'loop/b2':>8} {'scipy/b':>8}")
    skipped = []
    for n in ns:
        for B in Bs:
            if B * n > args.max_size:
                skipped.append(f"{B}x{n}")
                continue
            m = measure(B, n, args.repeat, args.loop_limit, args.scipy_limit)
            print(f"{n:>6} {B:>6} {m['nfev']:>9} {m['batch']:>8.3f} {m['batch2']:>9.3f} "
                  f"{m['loop']:>8.3f} {m['scipy']:>8.3f} {m['loop'] / m['batch']:>6.2f}x "
                  f"{m['loop'] / m['batch2']:>7.2f}x {m['scipy'] / m['batch']:>7.2f}x",
                  flush=True)
    if skipped:
        print(f"skipped (B*n > {args.max_size:g}): {', '.join(skipped)}")


if __name__ == "__main__":
    main()
