"""Benchmark: many small problems in one process, on two threads, and on a
two-worker Dask LocalCluster; and the overhead of the Dask path at small B.

    PYTHONPATH=$(bash tools/devbuild.sh bench) python3 -P tools/bench_dask.py [--B 100000]

The problems are tools/bench_batch.py's shifted, scaled Rosenbrock functions
(n = 10).  Prints wall-clock seconds and problems per second of
``lbfgsb.minimize_batch`` (threads 1 and 2) and ``lbfgsb.dask.minimize_batch``
(two worker processes of one thread, default partitions, no checkpoints, and
with checkpoints every 10 s), then the time of both paths for small B.
Needs dask[distributed].
"""

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import lbfgsb  # noqa: E402
import lbfgsb.dask  # noqa: E402

sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tools.bench_batch import rosenbrock_family, timed  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--B", type=int, default=100_000)
    ap.add_argument("--n", type=int, default=10)
    args = ap.parse_args(argv)
    import distributed
    X0, fg_batch, _ = rosenbrock_family(args.B, args.n, np.random.default_rng(0))
    clock = time.perf_counter
    t0 = clock()
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                       processes=True, dashboard_address=None,
                                       silence_logs=40)
    client = distributed.Client(cluster)
    print(f"LocalCluster (2 worker processes x 1 thread) up in {clock() - t0:.1f} s")
    print(f"B = {args.B} problems, n = {args.n}")

    def report(label, run):
        dt, x, _ = timed(run)       # (results dropped before the next run)
        print(f"  {label:<44} {dt:8.2f} s  {args.B / dt:9.0f} problems/s", flush=True)
        return x
    ref = report("minimize_batch, threads=1",
                 lambda: lbfgsb.minimize_batch(fg_batch, X0))
    two = report("minimize_batch, threads=2",
                 lambda: lbfgsb.minimize_batch(fg_batch, X0, threads=2))
    dsk = report("dask, 2 workers",
                 lambda: lbfgsb.dask.minimize_batch(fg_batch, X0, client=client))
    with tempfile.TemporaryDirectory() as d:
        ck = report("dask, 2 workers, checkpoints every 10 s",
                    lambda: lbfgsb.dask.minimize_batch(fg_batch, X0, client=client,
                                                       checkpoint_dir=d))
    same = all(np.array_equal(ref, other) for other in (two, dsk, ck))
    print(f"  all four bitwise equal: {same}")
    print("overhead of the Dask path at small B (median of 5):")
    for B in (1, 10, 100, 1000):
        t_in, t_dk = [], []
        for _ in range(5):
            t0 = clock()
            lbfgsb.minimize_batch(fg_batch, X0[:B])
            t_in.append(clock() - t0)
            t0 = clock()
            lbfgsb.dask.minimize_batch(fg_batch, X0[:B], client=client)
            t_dk.append(clock() - t0)
        print(f"  B = {B:5d}: in process {np.median(t_in) * 1e3:8.1f} ms, "
              f"dask {np.median(t_dk) * 1e3:8.1f} ms")
    client.close()
    cluster.close()


if __name__ == "__main__":
    main()
