"""Side-by-side speed benchmark: the port vs SciPy, the Fortran, PyPI lbfgsb.

    python3 tools/bench.py            # full run, < 10 minutes on 2 cores
    python3 tools/bench.py --quick    # < 2 minutes

Run from /work/main with the built package on PYTHONPATH, e.g.
``PYTHONPATH=$(bash tools/devbuild.sh perf) python3 -P tools/bench.py``.

Environment: OPENBLAS_NUM_THREADS=1 for every implementation (set here, before
numpy loads, and inherited by the subprocesses).  OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE, which this workplace may set for old OpenBLAS builds, slow a
current numpy: the benchmark unsets both (together, for its own processes
only) and reports the OpenBLAS kernel then in use.

Implementations: ``port`` (lbfgsb.minimize), ``scipy``
(scipy.optimize.minimize L-BFGS-B), ``fortran`` (Debian's liblbfgsb through
tools/fortran.py's ctypes driver loop, BLAS bound to SciPy's OpenBLAS),
``pylbfgsb`` (the pure-Python PyPI project ``lbfgsb``, in its own venv
/tmp/venv-pylbfgsb, in a subprocess, timed inside it; it is a different
implementation, so its nit/nfev may differ: compare per iteration only).
All with ftol = gtol = 0 and a fixed maxiter, so port, SciPy and the Fortran
do the same iterations (nit and nfev are checked and printed).

Sections:
- overhead-bound: n = 2, 10, 100 (Rosenbrock; a bound-constrained quadratic):
  total wall time of minimize per iteration; beside the ratio, the
  objective's own time in the port's run over SciPy's whole call (the ratio
  the port would reach if its own work were free) and the ratio of the rest.
- kernel-bound: n = 1e4, 1e5, 1e6, m = 5, 10, 20, without bounds (quad) and
  with about half the variables at a bound (bquad): solver time per iteration
  = (total - time inside the objective) / nit, per-call costs included; and
  split (port, its reference kernels, SciPy) into per-iteration and per-call
  costs by a second run with one iteration (see split).  ``port-reference`` is the
  port with ``kernels="reference"`` (at n = 1e6 only with --quick).
- bandwidth limit: bytes an iteration moves, counted routine by routine from
  the loops the port runs (tools/bench_model.py, with the run's free set) /
  the read bandwidth of one core (a ddot of two 128 MiB vectors) measured in
  the same run; the fraction against a large numpy copy's bandwidth is
  printed beside it (the copy's non-temporal stores outrun any read stream:
  docs/SPEED.md).
- memory: tracemalloc peak and RSS high-water of one run in a fresh
  subprocess per implementation (n = 1e6, m = 10).
- threads: two port optimisations in two threads vs one after the other,
  beside the machine's own two-thread ratio for streams of the same working
  set (tools/bench_threads.py), with each run's user and sys CPU, page faults
  and preemptions, the cores other processes used meanwhile, and a verdict.
- targets: issue 21's targets on one line, each measured against its bound.
Output: a table on stdout, out/bench.json and out/bench.png.
``--only kernel,threads`` runs some sections only.
"""
import os
import sys

os.environ["OPENBLAS_NUM_THREADS"] = "1"
_CORETYPE = {k: os.environ.pop(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
             if k in os.environ}

import argparse  # noqa: E402
import ctypes  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import bench_model  # noqa: E402
import bench_worker  # noqa: E402

VENV_PY = "/tmp/venv-pylbfgsb/bin/python"
IMPLS = ("port", "scipy", "fortran", "pylbfgsb")
KIMPLS = ("port", "port-reference", "scipy", "fortran", "pylbfgsb")   # kernel-bound rows


def openblas_core():
    try:
        sys.path.append(ROOT)
        from tools import fortran
        lib = ctypes.CDLL(fortran.scipy_openblas_path())
        f = lib.scipy_openblas_get_corename
        f.restype = ctypes.c_char_p
        return f().decode()
    except Exception as e:  # pragma: no cover
        return f"unknown ({e})"


def have_pylbfgsb():
    if not os.path.exists(VENV_PY):
        return "no venv at /tmp/venv-pylbfgsb (python3 -m venv /tmp/venv-pylbfgsb; " \
               "/tmp/venv-pylbfgsb/bin/pip install lbfgsb numpy scipy)"
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    r = subprocess.run([VENV_PY, "-P", "-c", "import lbfgsb.main"], capture_output=True,
                       cwd="/tmp", env=env)
    return None if r.returncode == 0 else r.stderr.decode()[-300:]


def run_spec(spec, fresh=False):
    """Time one spec: in this process, or in a fresh one (pylbfgsb, memory)."""
    if spec["impl"] == "pylbfgsb" or fresh:
        py = VENV_PY if spec["impl"] == "pylbfgsb" else sys.executable
        env = dict(os.environ)
        if spec["impl"] == "pylbfgsb":
            env.pop("PYTHONPATH", None)
        cmd = [py, "-P", os.path.join(HERE, "bench_worker.py"), json.dumps(spec)]
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd="/tmp")
        if r.returncode:
            raise RuntimeError(r.stderr[-2000:])
        return json.loads(r.stdout.strip().splitlines()[-1])
    return bench_worker.measure(spec)


def stats(v):
    """Median and spread: (75th - 25th percentile) / median."""
    v = np.asarray(v, float)
    med = float(np.median(v))
    q1, q3 = np.percentile(v, [25, 75])
    return med, (float(q3 - q1) / med if med > 0 else 0.0)


def _median_seconds(f, reps):
    """The median wall time of ``reps`` calls of f()."""
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def bandwidth(nbytes=256 * 2**20, reps=7):
    """GB/s of a large numpy copy, counting read + write (2x the size)."""
    a = np.ones(nbytes // 8)
    b = np.empty_like(a)
    return 2 * a.nbytes / _median_seconds(lambda: np.copyto(b, a), reps) / 1e9


def read_bandwidth(nbytes=256 * 2**20, reps=7):
    """GB/s of a large read-only stream: numpy's dot of two vectors of
    nbytes / 2 each (OpenBLAS's ddot, far from compute-bound), counting the
    bytes read.  The kernel loops mostly read (dot products over columns of
    S and Y); one core streams reads slower than the copy of ``bandwidth``,
    whose non-temporal stores add a write stream the loops do not have."""
    a = np.ones(nbytes // 16)
    b = np.ones(nbytes // 16)
    np.dot(a, b)
    return (a.nbytes + b.nbytes) / _median_seconds(lambda: np.dot(a, b), reps) / 1e9


def bytes_per_iter(n, m, nit, nfree, bounded, nfev_per_it, lines_free=1.0, lines_act=1.0,
                   kernels="scipy"):
    """Bytes one iteration moves, {routine: bytes}, averaged over the run's
    iterations (tools/bench_model.py: the loops as the port's code runs them)."""
    return bench_model.average(n, m, nit, nfree, bounded, nfev_per_it, lines_free,
                               lines_act, kernels)


def split(full, one):
    """Per-iteration and per-call solver time (s) from two runs of one problem,
    with maxiter and with maxiter = 1 (SciPy's minimize does at least one
    iteration): per call = the solver time of the one-iteration run (the call's
    own costs and a first iteration with no stored pair, which skips formk and
    subsm); per iteration = the rest of the longer run over its other
    iterations.  The fastest of the timed runs of each (a shared machine's
    other jobs only add time), in CPU time where the worker gives it: on a
    busy machine the wall time also counts the waits for a core."""
    tk, fk = ("total_cpu", "fun_cpu") if "total_cpu" in full else ("total", "fun")
    t_full = min(t - f for t, f in zip(full[tk], full[fk]))
    t_one = min(t - f for t, f in zip(one[tk], one[fk]))
    dn = full["nit"] - one["nit"]
    per_it = (t_full - t_one) / dn if dn > 0 else t_full / max(full["nit"], 1)
    return per_it, t_one


def overhead_section(reps, quick, log):
    rows = []
    sizes = (2, 10, 100)
    kinds = ("rosen", "bquad")
    maxiter = 100
    inner = 5 if quick else 10          # runs per timed sample
    for kind in kinds:
        for n in sizes:
            row = {"kind": kind, "n": n, "maxiter": maxiter}
            for impl in IMPLS:
                if impl == "pylbfgsb" and not PYL_OK:
                    continue
                spec = dict(impl=impl, kind=kind, n=n, m=10, maxiter=maxiter,
                            reps=reps, warmup=2, inner=inner)
                r = run_spec(spec)
                per = [t / r["nit"] for t in r["total"]]
                med, spread = stats(per)
                row[impl] = dict(us_per_it=med * 1e6, spread=spread, nit=r["nit"],
                                 nfev=r["nfev"],
                                 fun_us_per_it=float(np.median(r["fun"])) / r["nit"] * 1e6)
            row["same_work"] = len({(row[i]["nit"], row[i]["nfev"])
                                    for i in ("port", "scipy", "fortran")}) == 1
            row["ratio_port_scipy"] = row["port"]["us_per_it"] / row["scipy"]["us_per_it"]
            # the objective's own time in the port's run over SciPy's whole
            # call: the ratio the port would reach if its own work were free
            row["objective_alone"] = row["port"]["fun_us_per_it"] / row["scipy"]["us_per_it"]
            # the rest of each call (solver and glue, the objective taken out)
            own = [row[i]["us_per_it"] - row[i]["fun_us_per_it"] for i in ("port", "scipy")]
            row["ratio_without_objective"] = own[0] / own[1] if own[1] > 0 else float("nan")
            rows.append(row)
            log(fmt_row(row, "us_per_it", "us/it")
                + f" | objective alone {row['objective_alone']:.2f}, the rest "
                f"{row['ratio_without_objective']:.2f}")
    return rows


def fmt_row(row, key, unit):
    parts = [f"{row['kind']:6s} n={row['n']:<8d}" + (f" m={row['m']:<3d}" if "m" in row else "")]
    for impl in KIMPLS:
        if impl in row:
            r = row[impl]
            parts.append(f"{impl} {r[key]:8.2f} ±{100 * r['spread']:3.0f}% "
                         f"({r['nit']}/{r['nfev']})")
    parts.append(f"port/scipy {row['ratio_port_scipy']:.2f}")
    parts.append("same nit/nfev" if row["same_work"] else "NIT/NFEV DIFFER")
    return f"  [{unit}] " + " | ".join(parts)


def kernel_section(reps, quick, bw, log):
    """Solver time per iteration (objective subtracted) including the per-call
    costs, as a user sees it; for the port, its reference kernels and SciPy
    also split into per-iteration and per-call costs (a second run with one
    iteration, see split)."""
    rows = []
    rbw = read_bandwidth()
    log(f"  read bandwidth (numpy dot of two 128 MiB vectors, bytes read): {rbw:.2f} GB/s; "
        f"the limit is bytes / this, the copy's {bw:.2f} GB/s shown too")
    sizes = (10**4, 10**5, 10**6)
    ms = (10,) if quick else (5, 10, 20)
    for n in sizes:
        maxiter = {10**4: 60, 10**5: 30, 10**6: 12}[n] // (2 if quick else 1)
        for m in ms:
            for kind in ("quad", "bquad"):
                row = {"kind": kind, "n": n, "m": m, "maxiter": maxiter}
                for impl in KIMPLS:
                    if impl == "pylbfgsb" and (not PYL_OK or (quick and n > 10**5)):
                        continue
                    if impl == "port-reference" and quick and n < 10**6:
                        continue
                    spec = dict(impl=impl, kind=kind, n=n, m=m, maxiter=maxiter,
                                reps=1 if impl == "pylbfgsb" else reps,
                                warmup=0 if n >= 10**6 or impl == "pylbfgsb" else 1)
                    r = run_spec(spec)
                    per = [(t - f) / r["nit"] for t, f in zip(r["total"], r["fun"])]
                    med, spread = stats(per)
                    row[impl] = dict(ms_per_it=med * 1e3, spread=spread, nit=r["nit"],
                                     nfev=r["nfev"], nfree=r["nfree"],
                                     lines_free=r.get("lines_free", 1.0),
                                     lines_act=r.get("lines_act", 0.0),
                                     fun_ms_per_it=1e3 * float(np.median(r["fun"])) / r["nit"])
                    if impl in ("port", "port-reference", "scipy"):
                        h = run_spec(dict(spec, maxiter=1))
                        it, call = split(r, h)
                        row[impl].update(ms_per_it_only=it * 1e3, ms_per_call=call * 1e3)
                row["same_work"] = len({(row[i]["nit"], row[i]["nfev"])
                                        for i in ("port", "scipy", "fortran")}) == 1
                row["ratio_port_scipy"] = row["port"]["ms_per_it"] / row["scipy"]["ms_per_it"]
                p = row["port"]
                model = bytes_per_iter(n, m, p["nit"], p["nfree"], kind == "bquad",
                                       p["nfev"] / p["nit"], p["lines_free"], p["lines_act"])
                nb = sum(model.values())
                row["model_bytes_per_it"] = nb
                row["model_bytes_by_routine"] = model
                row["read_bandwidth_GBps"] = rbw
                row["limit_ms_per_it"] = nb / (rbw * 1e9) * 1e3
                row["copy_limit_ms_per_it"] = nb / (bw * 1e9) * 1e3
                for impl in ("port", "port-reference", "scipy", "fortran"):
                    if impl in row:
                        row[impl]["fraction_of_limit"] = (row["limit_ms_per_it"]
                                                          / row[impl]["ms_per_it"])
                        row[impl]["fraction_of_copy_limit"] = (row["copy_limit_ms_per_it"]
                                                               / row[impl]["ms_per_it"])
                        if "ms_per_it_only" in row[impl]:
                            row[impl]["fraction_of_limit_it_only"] = (
                                row["limit_ms_per_it"] / row[impl]["ms_per_it_only"])
                rows.append(row)
                log(fmt_row(row, "ms_per_it", "ms/it") +
                    f" | limit {row['limit_ms_per_it']:.2f} ms "
                    f"(port at {100 * row['port']['fraction_of_limit']:.0f}%; of the copy's "
                    f"{row['copy_limit_ms_per_it']:.2f} ms at "
                    f"{100 * row['port']['fraction_of_copy_limit']:.0f}%)")
                log("      split (solver only, CPU time): " + "; ".join(
                    f"{i} {row[i]['ms_per_it_only']:.2f} ms/it + {row[i]['ms_per_call']:.1f} "
                    f"ms/call" for i in ("port", "port-reference", "scipy") if i in row) +
                    f" | bytes/it {nb / 1e6:.0f} MB, port's iterations at "
                    f"{100 * row['port']['fraction_of_limit_it_only']:.0f}% of the limit")
    return rows


def memory_section(quick, log):
    out = {}
    n, m = 10**6, 10
    for kind in (("bquad",) if quick else ("quad", "bquad")):
        for impl in IMPLS:
            if impl == "pylbfgsb" and not PYL_OK:
                continue
            spec = dict(impl=impl, kind=kind, n=n, m=m, maxiter=5, reps=0, warmup=0,
                        mem=True)  # one run, traced
            r = run_spec(spec, fresh=True)
            out[f"{kind}/{impl}"] = dict(tracemalloc_peak_MB=r["tracemalloc_peak"] / 2**20,
                                         maxrss_MB=r["maxrss"] / 2**20,
                                         maxrss_before_MB=r["maxrss_before"] / 2**20)
            log(f"  [memory n=1e6 m=10 {kind:5s}] {impl:9s} tracemalloc peak "
                f"{r['tracemalloc_peak'] / 2**20:8.1f} MB   RSS high-water "
                f"{r['maxrss'] / 2**20:8.1f} MB (before the run {r['maxrss_before'] / 2**20:.1f})")
    return out


def threads_section(quick, log):
    """Two independent runs one after the other vs in two threads, beside the
    machine's own two-thread ratio for streams of the same working set, in a
    fresh process (tools/bench_threads.py: what is measured and how)."""
    import bench_threads
    n, m, maxiter = 10**5, 10, (20 if quick else 40)
    env = dict(os.environ)
    here = os.path.dirname(os.path.abspath(__file__))
    env["PYTHONPATH"] = os.pathsep.join([p for p in (env.get("PYTHONPATH"), here) if p])
    proc = subprocess.run([sys.executable, "-P", os.path.join(here, "bench_threads.py"),
                           str(n), str(m), str(maxiter), str(5 if quick else 9)],
                          capture_output=True, text=True, env=env, check=True)
    res = bench_threads.summarise(json.loads(proc.stdout), os.cpu_count() or 1, log)
    for v in res.values():
        v.update(n=n, m=m, maxiter=maxiter)
    return res


def plot(record, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, (kind, key) in zip(axes, (("rosen/quad", None), ("bquad", None))):
        for impl in IMPLS:
            xs, ys = [], []
            for r in record["overhead"]:
                if r["kind"] in kind.split("/") and impl in r:
                    xs.append(r["n"])
                    ys.append(r[impl]["us_per_it"] * 1e-6)
            for r in record["kernel"]:
                if r["kind"] in kind.split("/") and impl in r and r["m"] == 10:
                    xs.append(r["n"])
                    ys.append(r[impl]["ms_per_it"] * 1e-3)
            if xs:
                ax.loglog(xs, ys, "o-", label=impl)
        xs = [r["n"] for r in record["kernel"] if r["kind"] in kind.split("/") and r["m"] == 10]
        ys = [r["limit_ms_per_it"] * 1e-3 for r in record["kernel"]
              if r["kind"] in kind.split("/") and r["m"] == 10]
        ax.loglog(xs, ys, "k--", label="bandwidth limit")
        ax.set_title(f"{kind}, m=10 (n<=100: total/it; n>=1e4: solver/it)")
        ax.set_xlabel("n")
        ax.set_ylabel("seconds per iteration")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def targets(over, kern, thr, mem, log):
    """Issue 21's targets, each measured against its bound, on one line."""
    def row(kind, n, m=10):
        return next((r for r in kern if r["kind"] == kind and r["n"] == n and r["m"] == m),
                    None)
    tg = []
    r = row("bquad", 10**5)
    if r:
        tg.append(("bounded n=1e5 per it incl. per-call, port/scipy", r["ratio_port_scipy"],
                   "<=", 0.45))
    b, u = row("bquad", 10**6), row("quad", 10**6)
    if b and u:
        tg.append(("bounded/unbounded per it n=1e6", b["port"]["ms_per_it_only"]
                   / u["port"]["ms_per_it_only"], "<=", 1.5))
    if kern:
        tg.append(("worst fraction of bandwidth limit", min(r["port"]["fraction_of_limit"]
                                                            for r in kern), ">=", 0.70))
    small = [r for r in over if r["n"] <= 100]
    if small:
        worst = max(small, key=lambda r: r["ratio_port_scipy"])
        tg.append((f"small problems whole call, worst port/scipy ({worst['kind']} "
                   f"n={worst['n']}; its objective alone {worst['objective_alone']:.2f})",
                   worst["ratio_port_scipy"], "<=", 0.30))
    if thr:
        tg.append(("two threads throughput", min(thr[k]["ratio"] for k in ("quad", "bquad")),
                   ">=", 1.7))
    refs = [r["port-reference"]["ms_per_it_only"] / r["port"]["ms_per_it_only"]
            for r in kern if r["n"] == 10**6 and "port-reference" in r]
    if refs:
        tg.append(("reference/scipy kernels per it n=1e6, worst", max(refs), "<=", 1.1))
    out = {}
    parts = []
    for name, v, op, bound in tg:
        ok = v <= bound if op == "<=" else v >= bound
        out[name] = dict(value=v, target=f"{op} {bound}", met=bool(ok))
        parts.append(f"{name} {v:.2f} ({op} {bound}: {'met' if ok else 'NOT met'})")
    mem_ok = {}
    for k, v in mem.items():
        kind, impl = k.split("/")
        if impl == "port":
            s = mem[f"{kind}/scipy"]
            mem_ok[kind] = dict(tracemalloc=v["tracemalloc_peak_MB"] / s["tracemalloc_peak_MB"],
                                rss=v["maxrss_MB"] / s["maxrss_MB"])
    out["memory_port_over_scipy"] = mem_ok
    log("targets: " + " | ".join(parts))
    return out


def main():
    global PYL_OK
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller run, < 2 minutes")
    ap.add_argument("--out", default=os.path.join(ROOT, "out"))
    ap.add_argument("--only", default="overhead,kernel,memory,threads",
                    help="comma-separated sections to run (default: all)")
    ns = ap.parse_args()
    os.makedirs(ns.out, exist_ok=True)
    t0 = time.perf_counter()
    lines = []

    def log(s):
        print(s, flush=True)
        lines.append(s)
    why = have_pylbfgsb()
    PYL_OK = why is None
    import scipy
    env = dict(python=platform.python_version(), numpy=np.__version__,
               scipy=scipy.__version__, cpus=os.cpu_count(),
               OPENBLAS_NUM_THREADS=os.environ["OPENBLAS_NUM_THREADS"],
               unset_for_benchmark=_CORETYPE, openblas_core=openblas_core(),
               loadavg_at_start=os.getloadavg(),
               pylbfgsb=("ok" if PYL_OK else f"skipped: {why}"))
    log(f"environment: {json.dumps(env)}")
    bw = bandwidth()
    log(f"memory bandwidth (numpy copy of 256 MiB, read+write): {bw:.2f} GB/s")
    reps = 5 if ns.quick else 9
    log("overhead-bound (total wall time of minimize per iteration; nit/nfev in brackets):")
    only = ns.only.split(",")
    over = overhead_section(reps, ns.quick, log) if "overhead" in only else []
    log("kernel-bound (solver time per iteration, objective subtracted):")
    kern = kernel_section(3, ns.quick, bw, log) if "kernel" in only else []
    log("peak memory (fresh subprocess per implementation):")
    mem = memory_section(ns.quick, log) if "memory" in only else {}
    log("threads (port, n=1e5, m=10):")
    thr = threads_section(ns.quick, log) if "threads" in only else {}
    bw2 = bandwidth()
    log(f"memory bandwidth at the end: {bw2:.2f} GB/s")
    env["loadavg_at_end"] = os.getloadavg()
    record = dict(environment=env, bandwidth_GBps=[bw, bw2], overhead=over,
                  kernel=kern, memory=mem, threads=thr, quick=ns.quick,
                  seconds=time.perf_counter() - t0)
    record["targets"] = targets(over, kern, thr, mem, log)
    with open(os.path.join(ns.out, "bench.json"), "w") as fh:
        json.dump(record, fh, indent=1)
    if over and kern:
        plot(record, os.path.join(ns.out, "bench.png"))
    log(f"wrote {ns.out}/bench.json, {ns.out}/bench.png in {record['seconds']:.0f} s")


PYL_OK = False

if __name__ == "__main__":
    main()
