"""Run test suites we don't own with SciPy's L-BFGS-B patched onto the port.

For each suite -- SciPy's own L-BFGS-B tests and scikit-learn's tests of the
estimators that call L-BFGS-B, as installed -- run it twice with the plugin
``lbfgsb.pytest_plugin``: unpatched (``--lbfgsb-patch=none``), then under
``lbfgsb.patch_scipy(flavour)`` for each flavour asked for (both, "scipy" --
``patch_scipy``'s default -- and "fortran", unless ``--flavour`` names one).
Fail unless every test that passes unpatched passes patched in each flavour
(the sets of node ids are compared) and each patched run reached the port.  Prints, per suite, the counts and the time of each
run, and writes them to ``--json``.

    python3 -P tools/foreign_tests.py                 # all suites, both flavours
    python3 -P tools/foreign_tests.py --suites scipy-lbfgsb,sklearn-mlp
    python3 -P tools/foreign_tests.py --flavour scipy --json out/foreign.json

The suites run from the installed packages' directory (so their own
``conftest.py`` apply) with ``OPENBLAS_NUM_THREADS=1``; the port is whatever
``import lbfgsb`` finds (the installed package, or a ``PYTHONPATH`` from
``tools/devbuild.sh``).
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# name -> (package, paths inside it, extra pytest arguments).  Whole modules,
# no -k selection.  Every suite but the smallest runs on pytest-xdist with two
# workers (CI has two cores); scikit-learn's conftest then limits BLAS and
# OpenMP to one thread per worker.  Timings on 2 cores are in docs/VERIFY.md.
XDIST = ["-n", "2"]
SUITES = {
    "scipy-lbfgsb": ("scipy", ["optimize/tests/test_lbfgsb_setulb.py",
                               "optimize/tests/test_lbfgsb_hessinv.py"], []),
    # the whole module: its L-BFGS-B cases, and every other test that reaches
    # minimize(method='L-BFGS-B') without saying so in its name
    "scipy-optimize": ("scipy", ["optimize/tests/test_optimize.py"], XDIST),
    # the global optimizers whose local searches are minimize(method='L-BFGS-B')
    "scipy-global": ("scipy", ["optimize/tests/test__dual_annealing.py",
                               "optimize/tests/test__basinhopping.py",
                               "optimize/tests/test__differential_evolution.py",
                               "optimize/tests/test__shgo.py"], XDIST),
    "sklearn-logistic": ("sklearn", ["linear_model/tests/test_logistic.py"], XDIST),
    "sklearn-glm": ("sklearn", ["linear_model/_glm/tests"], XDIST),
    "sklearn-gaussian-process": ("sklearn", ["gaussian_process/tests"], XDIST),
    "sklearn-mlp": ("sklearn", ["neural_network/tests/test_mlp.py"], XDIST),
}


def run_suite(name, flavour, workdir):
    """One run of a suite; returns (record dict, seconds)."""
    package, paths, extra = SUITES[name]
    pkgdir = Path(importlib.util.find_spec(package).origin).parent
    record = Path(workdir) / f"{name}-{flavour}.json"
    cmd = [sys.executable, "-P", "-m", "pytest", "-q", "-p", "no:cacheprovider",
           "-p", "lbfgsb.pytest_plugin", f"--lbfgsb-patch={flavour}",
           f"--lbfgsb-record={record}", *extra, *[f"{package}/{p}" for p in paths]]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=pkgdir.parent, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    seconds = time.perf_counter() - t0
    # 0: all passed, 1: some failed (compared below); anything else is a
    # broken run (interrupted, internal error, usage error, nothing collected)
    if proc.returncode not in (0, 1) or not record.exists():
        sys.stdout.write(proc.stdout[-5000:])
        raise SystemExit(f"foreign_tests: {name} ({flavour}) did not run "
                         f"(pytest exit code {proc.returncode})")
    with open(record) as f:
        return json.load(f), seconds


def compare(name, flavours, workdir):
    """Unpatched, then patched in each flavour; the rows of the table and the
    list of regressions."""
    base, t_base = run_suite(name, "none", workdir)
    rows, problems = [], []
    for flavour in flavours:
        row, probs = _compare_one(name, flavour, workdir, base, t_base)
        rows.append(row)
        problems += probs
    return rows, problems


def _compare_one(name, flavour, workdir, base, t_base):
    patched, t_patched = run_suite(name, flavour, workdir)
    passing = {k for k, v in base["outcomes"].items() if v["outcome"] == "passed"}
    passing_patched = {k for k, v in patched["outcomes"].items()
                       if v["outcome"] == "passed"}
    lost = sorted(passing - passing_patched)
    row = {"suite": name, "flavour": flavour, "tests": base["tests"],
           "passed_unpatched": len(passing), "passed_patched": len(passing_patched),
           "lost": len(lost), "reaching_port": patched["passed_reaching_port"],
           "port_calls": patched["port_calls"],
           "unpatched_port_calls": base["port_calls"],
           "seconds_unpatched": round(t_base, 1), "seconds_patched": round(t_patched, 1)}
    name = f"{name} ({flavour})"
    problems = [f"{name}: passes unpatched, not patched: {k} "
                f"({patched['outcomes'].get(k, {}).get('outcome', 'not run')})"
                for k in lost]
    if patched["port_calls"] == 0:
        problems.append(f"{name}: the patched run never reached the port")
    if base["port_calls"] != 0:
        problems.append(f"{name}: the unpatched run reached the port")
    return row, problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--suites", default=",".join(SUITES),
                    help=f"comma-separated, from: {', '.join(SUITES)}")
    ap.add_argument("--flavour", default="scipy,fortran",
                    help="comma-separated flavours to patch with, from: scipy, "
                         "fortran (default: both)")
    ap.add_argument("--json", default=None, help="write the table here")
    args = ap.parse_args(argv)
    names = [s for s in args.suites.split(",") if s]
    unknown = [s for s in names if s not in SUITES]
    if unknown:
        ap.error(f"unknown suite(s): {', '.join(unknown)}")
    flavours = [f for f in args.flavour.split(",") if f]
    if not flavours or set(flavours) - {"scipy", "fortran"}:
        ap.error(f"--flavour: a comma-separated list of scipy, fortran, got {args.flavour!r}")

    head = ("suite", "flavour", "tests", "passed_unpatched", "passed_patched", "lost",
            "reaching_port", "port_calls", "seconds_unpatched", "seconds_patched")
    print(f"foreign tests, patch_scipy(flavour) for flavour in {flavours}:")
    print("  ".join(f"{h:>17}" if i else f"{h:<25}" for i, h in enumerate(head)))
    rows, problems = [], []
    with tempfile.TemporaryDirectory() as workdir:
        for name in names:
            suite_rows, probs = compare(name, flavours, workdir)
            rows += suite_rows
            problems += probs
            for row in suite_rows:
                print("  ".join(f"{row[h]:>17}" if i else f"{row[h]:<25}"
                                for i, h in enumerate(head)), flush=True)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"flavours": flavours, "suites": rows}, f, indent=1)
    for p in problems:
        print("FAIL", p)
    first = {r["suite"]: r for r in reversed(rows)}     # one row per suite
    total = (sum(r["seconds_unpatched"] for r in first.values())
             + sum(r["seconds_patched"] for r in rows))
    patched = ", ".join(
        f"{sum(r['passed_patched'] for r in rows if r['flavour'] == f)} patched ({f})"
        for f in flavours)
    print(f"{len(first)} suites, {sum(r['passed_unpatched'] for r in first.values())} "
          f"tests passing unpatched, {patched}, {sum(r['lost'] for r in rows)} lost; "
          f"{total:.0f} s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
