"""Same bits on every machine: does a run change when the CPU kernels, the
thread count or the compiler change?

Runs every reference problem (``reference/``, default sizes and options) to
termination with

``port-reference``  ``lbfgsb.minimize(..., kernels="reference")``
``port``            ``lbfgsb.minimize(..., kernels="scipy")`` (the default)
``scipy``           ``scipy.optimize.minimize(method="L-BFGS-B")``

in a fresh process per configuration: ``OPENBLAS_CORETYPE`` set to each core
type in ``--coretypes`` that this CPU can run (OpenBLAS then uses that
processor's ``ddot``/``dgemm``/... kernels, as it would on such a machine; a
core type the CPU cannot run is reported as skipped), ``OPENBLAS_NUM_THREADS``
1 and 2, and the port built as ``--variants`` (``release``: the build
importable here; ``O0``: ``-O0``; ``O3-native``: ``-O3 -march=native``;
``clang``: clang ``-O3 -march=native``; each built with ``tools/devbuild.sh``
into /tmp, the project's ``-ffp-contract=off`` kept).  The importable build
runs every core type with 1 and 2 threads and all three implementations; the
other builds run the port's two kernel sets at each core type, 1 thread.  A trajectory is the sequence of (x, (f, g)) of every evaluation, each
hashed; two runs are the same when every hash and the end are equal.

The objective is held fixed: the problems' ``fg`` use NumPy, whose own
OpenBLAS also obeys ``OPENBLAS_CORETYPE``; the worker imports NumPy before it
sets the variables, so only SciPy's OpenBLAS (loaded next, the BLAS of SciPy's
L-BFGS-B and of the port's ``kernels="scipy"``) takes the forced core and
thread count (``--objective-blas-too``: NumPy's as well, as on another
machine).  Attribution of a difference (exact): at the first evaluation where
two runs differ, either x differs (every earlier x and f, g were equal: the
optimizer made other bits from the same inputs — its own CPU dependence), or
x is equal and f, g differ (the objective's own arithmetic changed, which is
the user's, not the optimizer's).

    python tools/invariance.py                 # the full matrix (~15 minutes)
    python tools/invariance.py --quick         # the CI's version (~3 minutes)

Exit status 1 when ``port-reference`` changes bits by the optimizer's doing in
any configuration; the other implementations are reported, not judged.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

CORETYPES = ("Prescott", "Nehalem", "Sandybridge", "Haswell", "SkylakeX")
THREADS = (1, 2)
IMPLS = ("port-reference", "port", "scipy")
#: build variants: (environment, meson options)
VARIANTS = {
    "release": None,                  # the lbfgsb importable here
    "O0": ({}, ["-Doptimization=0"]),
    "O3-native": ({}, ["-Doptimization=3", "-Dc_args=-march=native"]),
    "clang": ({"CC": "clang"}, ["-Doptimization=3", "-Dc_args=-march=native"]),
}
QUICK = dict(coretypes=("Prescott", "Haswell", "SkylakeX"), threads=(1, 2),
             variants=("release", "O0", "clang"), every=7)


# ---------------------------------------------------------------------------
# the worker: one configuration, every problem

def _hash(*arrays):
    h = hashlib.blake2b(digest_size=8)
    for a in arrays:
        h.update(memoryview(a).cast("B"))
    return h.hexdigest()


def _trajectory(impl, problem):
    """The hashed (x, fg) of every evaluation, and the end of the run."""
    import numpy as np
    from scipy.optimize import Bounds
    steps = []

    def fg(x):
        f, g = problem.fg(np.array(x, dtype=np.float64))
        f = np.float64(f)
        g = np.ascontiguousarray(g, dtype=np.float64)
        steps.append((_hash(np.ascontiguousarray(x, dtype=np.float64)), _hash(f, g)))
        return float(f), g

    x0 = np.asarray(problem.x0, dtype=np.float64)
    bounds = Bounds(np.asarray(problem.lower, float), np.asarray(problem.upper, float))
    if impl == "scipy":
        from scipy.optimize import minimize
        res = minimize(fg, x0, jac=True, bounds=bounds, method="L-BFGS-B")
    else:
        import lbfgsb
        res = lbfgsb.minimize(fg, x0, jac=True, bounds=bounds,
                              kernels="reference" if impl == "port-reference" else "scipy")
    end = _hash(np.ascontiguousarray(res.x, dtype=np.float64), np.float64(res.fun)) \
        + " " + str(res.message)
    return {"steps": steps, "end": end, "nit": int(res.nit)}


def _openblas_arch():
    """{library: (core, threads)} of the loaded OpenBLAS libraries."""
    try:
        import threadpoolctl
        return {os.path.basename(i["filepath"]).split("-")[0]:
                "%s x%d" % (i.get("architecture") or "?", i["num_threads"])
                for i in threadpoolctl.threadpool_info() if i.get("internal_api") == "openblas"}
    except Exception:                                   # noqa: BLE001
        return {"?": "threadpoolctl not installed"}


def _fmt_arch(d):
    return ", ".join("%s %s" % kv for kv in sorted(d.items()))


def worker(names, impls, out, coretype, threads, objective_too):
    blas_env = {"OPENBLAS_NUM_THREADS": str(threads)}
    if coretype:
        blas_env["OPENBLAS_CORETYPE"] = coretype
    if objective_too:
        os.environ.update(blas_env)
    import numpy  # noqa: F401  (its OpenBLAS reads the variables now)
    os.environ.update(blas_env)
    import scipy.linalg  # noqa: F401  (SciPy's OpenBLAS reads them now)
    import lbfgsb
    if ROOT not in sys.path:
        sys.path.append(ROOT)                           # reference/ (after lbfgsb)
    import reference
    rec = {"lbfgsb": os.path.dirname(lbfgsb.__file__), "openblas": _openblas_arch(),
           "runs": {}}
    for impl in impls:
        rec["runs"][impl] = {nm: _trajectory(impl, reference.get(nm)) for nm in names}
    with open(out, "w") as fh:
        json.dump(rec, fh)


# ---------------------------------------------------------------------------
# the driver

def build_variant(name):
    """The staging directory of build variant ``name`` (None: the importable one)."""
    spec = VARIANTS[name]
    if spec is None:
        return None
    env, opts = spec
    env = dict(os.environ, **env)
    out = subprocess.run(["bash", os.path.join(HERE, "devbuild.sh"), "invariance-" + name]
                         + opts, cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("building variant %s failed:\n%s%s" % (name, out.stdout, out.stderr))
    return out.stdout.strip().splitlines()[-1]


def compile_flags(stage):
    """The compiler and flags port/kernels.c was built with (from the build's
    compile_commands.json), to show what a variant really was."""
    if stage is None:
        return "(the importable build)"
    build = stage.replace("lbfgsb-stage-", "lbfgsb-build-")
    try:
        with open(os.path.join(build, "compile_commands.json")) as fh:
            cmds = json.load(fh)
    except OSError:
        return "?"
    for c in cmds:
        if os.path.basename(c["file"]).startswith("kernels") and c["file"].endswith(".c"):
            words = c["command"].split()
            keep = [w for w in words if w.startswith(("-O", "-march", "-ffp", "-fno-fast"))]
            return " ".join([os.path.basename(words[0])] + keep)
    return "?"


def run_config(stage, coretype, threads, names, impls, objective_too=False):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    env.pop("OPENBLAS_CORETYPE", None)      # set by the worker (see above)
    if stage:
        env["PYTHONPATH"] = stage + os.pathsep + env.get("PYTHONPATH", "")
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = fh.name
    try:
        p = subprocess.run([sys.executable, "-P", __file__, "--worker", "--out", out,
                            "--problems", ",".join(names), "--impls", ",".join(impls),
                            "--coretype", coretype or "", "--nthreads", str(threads)]
                           + (["--objective-blas-too"] if objective_too else []),
                           env=env, capture_output=True, text=True)
        if p.returncode != 0:
            return {"error": "exit %d: %s" % (p.returncode, p.stderr.strip()[-400:])}
        with open(out) as fh:
            return json.load(fh)
    finally:
        os.unlink(out)


def first_difference(a, b):
    """None when trajectories a and b are the same; else (index, cause) with
    cause "optimizer" (x differs after equal inputs) or "objective" (equal x,
    other f, g)."""
    sa, sb = a["steps"], b["steps"]
    for i, (pa, pb) in enumerate(zip(sa, sb)):
        if pa[0] != pb[0]:
            return i, "optimizer"
        if pa[1] != pb[1]:
            return i, "objective"
    if len(sa) != len(sb) or a["end"] != b["end"]:
        return min(len(sa), len(sb)), "optimizer"
    return None


def compare(base, other, impls):
    """{impl: {"optimizer": [names], "objective": [names]}} of other vs base."""
    out = {}
    for impl in impls:
        d = {"optimizer": [], "objective": []}
        for nm, ta in base["runs"][impl].items():
            diff = first_difference(ta, other["runs"][impl][nm])
            if diff is not None:
                d[diff[1]].append(nm)
        out[impl] = d
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="the CI's version: every 7th problem, core types %s, variants %s"
                   % (",".join(QUICK["coretypes"]), ",".join(QUICK["variants"])))
    p.add_argument("--coretypes", default=",".join(CORETYPES))
    p.add_argument("--threads", default=",".join(map(str, THREADS)))
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--problems", default="", help="comma-separated names (default: all)")
    p.add_argument("--impls", default=",".join(IMPLS))
    p.add_argument("--json", help="write the summary as JSON")
    p.add_argument("--objective-blas-too", action="store_true",
                   help="let NumPy's OpenBLAS (the objective's) take the core type and "
                        "threads too (default: only SciPy's, the optimizer's)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--coretype", default="", help=argparse.SUPPRESS)
    p.add_argument("--nthreads", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    impls = [s for s in a.impls.split(",") if s]
    if a.worker:
        worker([s for s in a.problems.split(",") if s], impls, a.out, a.coretype,
               a.nthreads, a.objective_blas_too)
        return 0

    if ROOT not in sys.path:
        sys.path.append(ROOT)
    import reference
    names = [s for s in a.problems.split(",") if s] or reference.names()
    coretypes = [s for s in a.coretypes.split(",") if s]
    threads = [int(s) for s in a.threads.split(",") if s]
    variants = [s for s in a.variants.split(",") if s]
    if a.quick:
        names = names[::QUICK["every"]]
        coretypes, threads, variants = QUICK["coretypes"], QUICK["threads"], QUICK["variants"]

    print("%d problems; implementations %s" % (len(names), ", ".join(impls)))
    stages = {}
    for v in variants:
        stages[v] = build_variant(v)
        print("variant %-10s %s" % (v, compile_flags(stages[v])), flush=True)

    # the baseline: the importable build, OpenBLAS's own choice of core, 1 thread
    base = run_config(None, None, 1, names, impls)
    if "error" in base:
        print("baseline failed:", base["error"])
        return 2
    print("baseline: OpenBLAS's own choice of core, 1 thread (%s); lbfgsb from %s"
          % (_fmt_arch(base["openblas"]), base["lbfgsb"]))
    rows, changed, skipped = [], {i: {"optimizer": set(), "objective": set()} for i in impls}, []
    # core types and threads with the importable build (all implementations);
    # the other builds only matter for the port (SciPy is not rebuilt)
    configs = [(v, c, t) for v in variants for c in coretypes for t in threads
               if v == "release" or t == 1]
    for v, c, t in configs:
        which = impls if v == "release" else [i for i in impls if i.startswith("port")]
        rec = run_config(stages[v], c, t, names, which, a.objective_blas_too)
        label = "%-10s %-12s threads=%d" % (v, c, t)
        if "error" in rec:
            # e.g. SIGILL: this CPU cannot run that core type's kernels
            skipped.append((label, rec["error"]))
            print("%s  skipped (%s)" % (label, rec["error"][:120]), flush=True)
            continue
        cmp = compare(base, rec, which)
        cells = []
        for i in which:
            changed[i]["optimizer"].update(cmp[i]["optimizer"])
            changed[i]["objective"].update(cmp[i]["objective"])
            cells.append("%s: %d optimizer / %d objective" % (
                i, len(cmp[i]["optimizer"]), len(cmp[i]["objective"])))
        print("%s  %s\n    %s" % (label, _fmt_arch(rec["openblas"]), "; ".join(cells)),
              flush=True)
        rows.append({"variant": v, "coretype": c, "threads": t, "openblas": rec["openblas"],
                     "changed": cmp})

    print("\nproblems whose trajectory changed in some configuration (of %d):" % len(names))
    for i in impls:
        opt, obj = sorted(changed[i]["optimizer"]), sorted(changed[i]["objective"])
        print("  %-15s by the optimizer: %3d %s" % (i, len(opt), ", ".join(opt[:12])
                                                     + (" ..." if len(opt) > 12 else "")))
        print("  %-15s by the objective: %3d %s" % ("", len(obj), ", ".join(obj[:12])
                                                     + (" ..." if len(obj) > 12 else "")))
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"problems": names, "rows": rows, "skipped": skipped,
                       "changed": {i: {k: sorted(v) for k, v in d.items()}
                                   for i, d in changed.items()}}, fh, indent=1)
    bad = "port-reference" in impls and changed["port-reference"]["optimizer"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
