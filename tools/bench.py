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
  total wall time of minimize per iteration.
- kernel-bound: n = 1e4, 1e5, 1e6, m = 5, 10, 20, without bounds (quad) and
  with about half the variables at a bound (bquad): solver time per iteration
  = (total - time inside the objective) / nit.
- bandwidth limit: bytes an iteration must move (model below) / the memory
  bandwidth of a large numpy copy measured in the same run: the fraction of
  that limit reached at n = 1e6.
- memory: tracemalloc peak and RSS high-water of one run in a fresh
  subprocess per implementation (n = 1e6, m = 10).
- threads: two port optimisations in two threads vs one after the other.
Output: a table on stdout, out/bench.json and out/bench.png.
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
import threading  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import bench_worker  # noqa: E402

VENV_PY = "/tmp/venv-pylbfgsb/bin/python"
IMPLS = ("port", "scipy", "fortran", "pylbfgsb")


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


def bandwidth(nbytes=256 * 2**20, reps=7):
    """GB/s of a large numpy copy, counting read + write (2x the size)."""
    a = np.ones(nbytes // 8)
    b = np.empty_like(a)
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        np.copyto(b, a)
        ts.append(time.perf_counter() - t)
    return 2 * a.nbytes / float(np.median(ts)) / 1e9


def bytes_per_iter(n, m, nfree, bounded, nfev_per_it):
    """Bytes one iteration must move, from the algorithm, with m the number of
    stored corrections (callers pass the run's average col, min(k, m)).

    Each pass over the S or Y block (ws, wy: m*n doubles each) counts once;
    n-vectors count once per pass, ints at 4 bytes.  Per iteration:
      cauchy (bounded only)  p = W'd: ws, wy once (2mn); x,g,l,u,d,t,z + nbd,iwhere,iorder
      unbounded instead      z := x (dcopy)
      freev                  iwhere, index (ints)
      formk                  new rows of Y'ZZ'Y, S'AA'S, L_a, R_z: ws, wy once (2mn) + ind
      cmprlb (bounded only)  r = -theta(z-x) - g - W M c over free vars: 2m*nfree + 4n
      unbounded instead      r := -g
      subsm                  W'Z'r and Z W M v: ws, wy twice over the free vars (4m*nfree),
                             + the projected step: x, xp, d, l, u, z
      lnsrlb                 d'd, x,l,u,d (stpmx, bounded), t := x, r := g, then per
                             evaluation x := t + stp d and g'd
      end of iteration       projgr (x,g,l,u,nbd), r := g - r, r'r, d := stp d
      matupd                 ws(:,new) := d, wy(:,new) := r, s'y, s's rows: ws, wy once (2mn)
    """
    d = 8
    blocks = 2 * m * n * d * 2                          # formk + matupd
    blocks += 4 * m * nfree * d                         # subsm
    vec = 0
    if bounded:
        blocks += 2 * m * n * d + 2 * m * nfree * d     # cauchy, cmprlb
        vec += 7 * n * d + 3 * n * 4 + 4 * n * d        # cauchy vectors, cmprlb vectors
        vec += 5 * n * d                                # stpmx loop
    else:
        vec += 2 * n * d + 2 * n * d                    # z := x, r := -g
    vec += 2 * n * 4                                    # freev
    vec += nfree * 4                                    # formk's ind gather
    vec += 6 * n * d                                    # subsm projected step
    vec += n * d + 4 * n * d                            # d'd, t := x, r := g
    vec += nfev_per_it * (3 * n * d + 2 * n * d)        # x := t + stp d; g'd
    vec += 5 * n * d + 3 * n * d + n * d + 2 * n * d    # projgr, r := g - r, r'r, dscal
    vec += 4 * n * d                                    # ws/wy new columns
    return blocks + vec


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
                                 nfev=r["nfev"])
            row["same_work"] = len({(row[i]["nit"], row[i]["nfev"])
                                    for i in ("port", "scipy", "fortran")}) == 1
            row["ratio_port_scipy"] = row["port"]["us_per_it"] / row["scipy"]["us_per_it"]
            rows.append(row)
            log(fmt_row(row, "us_per_it", "us/it"))
    return rows


def fmt_row(row, key, unit):
    parts = [f"{row['kind']:6s} n={row['n']:<8d}" + (f" m={row['m']:<3d}" if "m" in row else "")]
    for impl in IMPLS:
        if impl in row:
            r = row[impl]
            parts.append(f"{impl} {r[key]:8.2f} ±{100 * r['spread']:3.0f}% "
                         f"({r['nit']}/{r['nfev']})")
    parts.append(f"port/scipy {row['ratio_port_scipy']:.2f}")
    parts.append("same nit/nfev" if row["same_work"] else "NIT/NFEV DIFFER")
    return f"  [{unit}] " + " | ".join(parts)


def kernel_section(reps, quick, bw, log):
    rows = []
    sizes = (10**4, 10**5, 10**6)
    ms = (10,) if quick else (5, 10, 20)
    for n in sizes:
        maxiter = {10**4: 60, 10**5: 30, 10**6: 12}[n] // (2 if quick else 1)
        for m in ms:
            for kind in ("quad", "bquad"):
                row = {"kind": kind, "n": n, "m": m, "maxiter": maxiter}
                for impl in IMPLS:
                    if impl == "pylbfgsb" and (not PYL_OK or (quick and n > 10**5)):
                        continue
                    spec = dict(impl=impl, kind=kind, n=n, m=m, maxiter=maxiter,
                                reps=1 if impl == "pylbfgsb" else reps,
                                warmup=0 if n >= 10**6 or impl == "pylbfgsb" else 1)
                    r = run_spec(spec)
                    per = [(t - f) / r["nit"] for t, f in zip(r["total"], r["fun"])]
                    med, spread = stats(per)
                    row[impl] = dict(ms_per_it=med * 1e3, spread=spread, nit=r["nit"],
                                     nfev=r["nfev"], nfree=r["nfree"],
                                     fun_ms_per_it=1e3 * float(np.median(r["fun"])) / r["nit"])
                row["same_work"] = len({(row[i]["nit"], row[i]["nfev"])
                                        for i in ("port", "scipy", "fortran")}) == 1
                row["ratio_port_scipy"] = row["port"]["ms_per_it"] / row["scipy"]["ms_per_it"]
                p = row["port"]
                col = float(np.mean([min(k, m) for k in range(p["nit"])]))  # average col
                nb = bytes_per_iter(n, col, p["nfree"], kind == "bquad", p["nfev"] / p["nit"])
                row["model_bytes_per_it"] = nb
                row["limit_ms_per_it"] = nb / (bw * 1e9) * 1e3
                for impl in ("port", "scipy", "fortran"):
                    row[impl]["fraction_of_limit"] = row["limit_ms_per_it"] / row[impl]["ms_per_it"]
                rows.append(row)
                log(fmt_row(row, "ms_per_it", "ms/it") +
                    f" | limit {row['limit_ms_per_it']:.2f} ms "
                    f"(port at {100 * row['port']['fraction_of_limit']:.0f}%)")
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


_THREADS_CODE = r"""
import json, sys, threading, time
import numpy as np
import lbfgsb
import bench_problems
from scipy.optimize import Bounds
n, m, maxiter = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
out = {}
for kind in ("quad", "bquad"):
    fg, x0, lo, up = bench_problems.make(kind, n)
    b = None if lo is None else Bounds(lo, up)

    def one():
        lbfgsb.minimize(fg, x0, jac=True, bounds=b, maxcor=m, maxiter=maxiter,
                        ftol=0.0, gtol=0.0)
    one()
    seq, par = [], []
    for _ in range(3):
        t = time.perf_counter()
        one()
        one()
        seq.append(time.perf_counter() - t)
        th = [threading.Thread(target=one) for _ in range(2)]
        t = time.perf_counter()
        for x in th:
            x.start()
        for x in th:
            x.join()
        par.append(time.perf_counter() - t)
    out[kind] = (float(np.median(seq)), float(np.median(par)))
print(json.dumps(out))
"""


def threads_section(quick, log):
    """Two independent runs one after the other vs in two threads, in a fresh
    process (nothing else of the benchmark running in it)."""
    n, m, maxiter = 10**5, 10, (20 if quick else 40)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [p for p in (env.get("PYTHONPATH"), os.path.dirname(os.path.abspath(__file__))) if p])
    proc = subprocess.run([sys.executable, "-P", "-c", _THREADS_CODE, str(n), str(m),
                           str(maxiter)], capture_output=True, text=True, env=env,
                          check=True)
    res = {}
    for kind, (seq, par) in json.loads(proc.stdout).items():
        ratio = seq / par
        res[kind] = dict(n=n, m=m, maxiter=maxiter, sequential_s=seq,
                         two_threads_s=par, throughput_ratio=ratio)
        log(f"  [threads {kind}] two runs one after the other {seq:.3f} s, "
            f"in two threads {par:.3f} s: throughput x{ratio:.2f}")
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


def main():
    global PYL_OK
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller run, < 2 minutes")
    ap.add_argument("--out", default=os.path.join(ROOT, "out"))
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
    over = overhead_section(reps, ns.quick, log)
    log("kernel-bound (solver time per iteration, objective subtracted):")
    kern = kernel_section(3, ns.quick, bw, log)
    log("peak memory (fresh subprocess per implementation):")
    mem = memory_section(ns.quick, log)
    log("threads (port, n=1e5, m=10):")
    thr = threads_section(ns.quick, log)
    bw2 = bandwidth()
    log(f"memory bandwidth at the end: {bw2:.2f} GB/s")
    env["loadavg_at_end"] = os.getloadavg()
    record = dict(environment=env, bandwidth_GBps=[bw, bw2], overhead=over,
                  kernel=kern, memory=mem, threads=thr, quick=ns.quick,
                  seconds=time.perf_counter() - t0)
    # targets
    tg = {}
    tg["overhead_total_le_0.5x_scipy"] = max(r["ratio_port_scipy"] for r in over)
    tg["kernel_le_1.0x_scipy"] = max(r["ratio_port_scipy"] for r in kern)
    tg["fraction_of_limit_n1e6"] = min(r["port"]["fraction_of_limit"] for r in kern
                                       if r["n"] == 10**6)
    mem_ok = {}
    for k, v in mem.items():
        kind, impl = k.split("/")
        if impl == "port":
            s = mem[f"{kind}/scipy"]
            mem_ok[kind] = dict(tracemalloc=v["tracemalloc_peak_MB"] / s["tracemalloc_peak_MB"],
                                rss=v["maxrss_MB"] / s["maxrss_MB"])
    tg["memory_port_over_scipy"] = mem_ok
    tg["threads_throughput"] = min(v["throughput_ratio"] for v in thr.values())
    record["targets"] = tg
    log("targets: overhead-bound worst port/scipy %.2f (target <= 0.5); kernel-bound worst "
        "port/scipy %.2f (target <= 1.0); n=1e6 fraction of bandwidth limit, worst %.0f%% "
        "(target >= 50%%); memory port/scipy %s (target <= 1); two threads x%.2f "
        "(target >= 1.7)" % (tg["overhead_total_le_0.5x_scipy"], tg["kernel_le_1.0x_scipy"],
                             100 * tg["fraction_of_limit_n1e6"], json.dumps(mem_ok),
                             tg["threads_throughput"]))
    with open(os.path.join(ns.out, "bench.json"), "w") as fh:
        json.dump(record, fh, indent=1)
    plot(record, os.path.join(ns.out, "bench.png"))
    log(f"wrote {ns.out}/bench.json, {ns.out}/bench.png in {record['seconds']:.0f} s")


PYL_OK = False

if __name__ == "__main__":
    main()
