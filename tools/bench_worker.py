"""One timed run for tools/bench.py, in this process or in a fresh one.

    python3 tools/bench_worker.py '<json spec>'    ->  prints one JSON line

spec: impl (port | port-reference | scipy | fortran | pylbfgsb), kind, n, m, maxiter, reps,
mem (bool: report tracemalloc peak and RSS high-water of one more run).
Times each run (wall, ``time.perf_counter``, and the process's CPU time) and,
separately, the time spent inside the objective, so the solver's own time is
total - objective.  Kept
importable without lbfgsb/scipy so the pure-Python PyPI ``lbfgsb`` (whose
import name clashes with the port's) can be run from its own venv.
"""
import json
import os
import resource
import sys
import time
import tracemalloc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_problems  # noqa: E402


def _solver(impl):
    """(run(fg, x0, lo, up, m, maxiter) -> (nit, nfev, x))."""
    import numpy as np
    if impl in ("port", "port-reference", "scipy"):
        if impl.startswith("port"):
            import lbfgsb
            kernels = "reference" if impl == "port-reference" else "scipy"

            def mini(*args, **opt):
                return lbfgsb.minimize(*args, kernels=kernels, **opt)
        else:
            from scipy.optimize import minimize as smin

            def mini(fun, x0, jac, bounds, **opt):
                return smin(fun, x0, jac=jac, bounds=bounds, method="L-BFGS-B",
                            options=opt)
        from scipy.optimize import Bounds

        def run(fg, x0, lo, up, m, maxiter):
            b = None if lo is None else Bounds(lo, up)
            r = mini(fg, x0, jac=True, bounds=b, maxcor=m, maxiter=maxiter,
                     ftol=0.0, gtol=0.0)
            return r.nit, r.nfev, r.x
        return run
    if impl == "fortran":
        sys.path.append(os.path.dirname(HERE))
        from tools import fortran
        h = fortran.load("scipy")  # noqa: F841  (bind once, outside the timing)

        def run(fg, x0, lo, up, m, maxiter):
            r = fortran.run(fg, x0, lo, up, m=m, factr=0.0, pgtol=0.0,
                            maxiter=maxiter, blas="scipy", record=False)
            return r["nit"], r["nfev"], r["x"]
        return run
    if impl == "pylbfgsb":
        from lbfgsb import minimize_lbfgsb

        def run(fg, x0, lo, up, m, maxiter):
            b = None if lo is None else np.column_stack([lo, up])
            r = minimize_lbfgsb(x0=x0, fun=fg, jac=True, bounds=b, maxcor=m,
                                maxiter=maxiter, ftol=0.0, gtol=0.0,
                                is_use_numba_jit=False)
            return int(r.nit), int(r.nfev), r.x
        return run
    raise ValueError(impl)


def _peak_rss_kb():
    """This process's peak resident set, in kB.

    VmHWM belongs to the address space ``exec`` made; ``ru_maxrss`` would
    also carry the parent's peak across Python's vfork + exec.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(spec):
    import numpy as np
    run = _solver(spec["impl"])
    fg0, x0, lo, up = bench_problems.make(spec["kind"], spec["n"])
    tf = [0.0, 0.0]                      # objective's wall and CPU time

    def fg(x):
        t, c = time.perf_counter(), time.process_time()
        r = fg0(x)
        tf[0] += time.perf_counter() - t
        tf[1] += time.process_time() - c
        return r
    out = {"total": [], "fun": [], "total_cpu": [], "fun_cpu": []}
    inner = spec.get("inner", 1)         # runs per timed sample (short runs)
    nit, nfev, x = 0, 0, x0
    for _ in range(spec.get("warmup", 1)):
        nit, nfev, x = run(fg, x0, lo, up, spec["m"], spec["maxiter"])
    for _ in range(spec["reps"]):
        tf[0] = tf[1] = 0.0
        t, c = time.perf_counter(), time.process_time()
        for _ in range(inner):
            nit, nfev, x = run(fg, x0, lo, up, spec["m"], spec["maxiter"])
        out["total"].append((time.perf_counter() - t) / inner)
        out["total_cpu"].append((time.process_time() - c) / inner)
        out["fun"].append(tf[0] / inner)
        out["fun_cpu"].append(tf[1] / inner)
    out["nit"], out["nfev"] = int(nit), int(nfev)
    if lo is not None:
        out["nfree"] = int(np.count_nonzero((x > lo) & (x < up)))
        free = (x > lo) & (x < up)              # lines of 8 doubles holding a free /
        pad = np.zeros((-free.size) % 8, bool)  # an active variable (bench_model)
        out["lines_free"] = float(np.concatenate([free, pad]).reshape(-1, 8).any(1).mean())
        out["lines_act"] = float(np.concatenate([~free, pad]).reshape(-1, 8).any(1).mean())
    else:
        out["nfree"] = spec["n"]
    if spec.get("mem"):
        rss0 = _peak_rss_kb()
        tracemalloc.start()
        run(fg, x0, lo, up, spec["m"], spec["maxiter"])
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out["tracemalloc_peak"] = peak
        out["maxrss"] = _peak_rss_kb() * 1024
        out["maxrss_before"] = rss0 * 1024
    return out


if __name__ == "__main__":
    print(json.dumps(measure(json.loads(sys.argv[1]))))
