"""The command line of ``lbfgsb.diagnose``::

    python3 -m lbfgsb.diagnose MODULE:FUNCTION [minimize options] [--json FILE]

MODULE is a module on the path (``mypackage.problems``) or a ``.py`` file;
``FUNCTION()`` (``FUNCTION(n)`` with ``--n``) returns ``(fg, x0, lower,
upper)`` with ``fg(x) -> (f, g)`` and the bounds as arrays with +-inf (or
None) where a variable has none: the ``--problem`` protocol of
``tools/compare.py``.  Child processes (other core types) load the problem
the same way.  The report goes to stdout; exit status 0 when the answer is
robust, 1 when not, 2 on a usage error or a problem that cannot be loaded.
"""

import argparse
import sys


def _csv(text):
    return [t.strip() for t in text.split(",") if t.strip()]


def build_parser():
    p = argparse.ArgumentParser(
        prog="python3 -m lbfgsb.diagnose",
        description="Run a problem across L-BFGS-B flavours, kernels and OpenBLAS core "
                    "types: is the answer robust, where do the runs part, and why.")
    p.add_argument("problem", metavar="MODULE:FUNCTION",
                   help="FUNCTION() in MODULE (a module on the path or a .py file) returns "
                        "(fg, x0, lower, upper)")
    p.add_argument("--n", type=int, help="call FUNCTION(n)")
    for name, typ in (("maxcor", int), ("ftol", float), ("gtol", float), ("eps", float),
                      ("maxfun", int), ("maxiter", int), ("maxls", int)):
        p.add_argument("--" + name, type=typ, help="minimize's option %s" % name)
    p.add_argument("--flavour", default="fortran", help="your own run's flavour (fortran)")
    p.add_argument("--kernels", default="scipy", help="your own run's kernels (scipy)")
    p.add_argument("--variants", type=_csv,
                   help="flavour/kernels pairs to run, comma separated (e.g. "
                        "fortran/scipy,scipy/reference; a flavour alone: both kernels)")
    p.add_argument("--coretypes", type=_csv,
                   help="OpenBLAS core types, comma separated ('none': none; default: each "
                        "this CPU can run)")
    p.add_argument("--rtol", type=float, default=None, help="tolerance on f (1e-8)")
    p.add_argument("--timeout", type=float, help="seconds per child process")
    p.add_argument("--jobs", type=int, help="processes at once (default: the CPUs)")
    p.add_argument("--no-gradient-check", action="store_true",
                   help="skip the central-difference check of the gradient")
    p.add_argument("--json", metavar="FILE", help="also write the diagnosis as JSON")
    return p


def main(argv=None):
    from lbfgsb._diagnose import RTOL, run_diagnosis
    from lbfgsb._userproblem import UserProblemError, problem_from_spec
    args = build_parser().parse_args(argv)
    options = {k: getattr(args, k) for k in ("maxcor", "ftol", "gtol", "eps", "maxfun",
                                             "maxiter", "maxls")
               if getattr(args, k) is not None}
    options.update(flavour=args.flavour, kernels=args.kernels)
    coretypes = args.coretypes
    if coretypes is not None and [c.lower() for c in coretypes] == ["none"]:
        coretypes = ()
    try:
        problem = problem_from_spec(args.problem, args.n, options)
        problem.pop("name")
        d = run_diagnosis(problem, variants=args.variants, coretypes=coretypes,
                          rtol=RTOL if args.rtol is None else args.rtol,
                          timeout=args.timeout, jobs=args.jobs,
                          check_gradient=not args.no_gradient_check,
                          spec=(args.problem, args.n))
    except (UserProblemError, ValueError, TypeError) as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    print(d)
    if args.json:
        with open(args.json, "w") as fh:
            fh.write(d.to_json(indent=1))
    return 0 if d.robust else 1
