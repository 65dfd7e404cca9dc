#!/usr/bin/env python3
"""Cross-check the L-BFGS-B implementations side by side.

    python tools/compare.py ROSENBR                 # port / SciPy / Fortran, one problem
    python tools/compare.py TORSION1 --n 196 --m 5 --mode lockstep
    python tools/compare.py HS25 --json hs25.json --csv hs25.csv --plot hs25.png
    python tools/compare.py --all --jobs 2 --out crosscheck/   # every reference problem
    python tools/compare.py --problem tools/example_problem.py:problem   # your own problem
    python tools/compare.py ROSENBR --impl port:lnsrlb_dnrm2,fortran

The output starts with a verdict, one line per pair: they agree bit for bit,
or differ from f/g point k, explained by named deviations (found by
experiment: the port is replayed in lock step under every subset of the
deviations of lbfgsb.deviations() against each side; the smallest subset that
reproduces a side bit for bit is its model, the deviations in one model and
not the other explain the pair), or differ UNEXPLAINED with the first
differing state field, its subroutine and the call.  --no-attribute skips the
replays.  Tables fit 100 columns (--wide: every column, unabridged).

Implementations (--impl, comma separated): port, port-scipy (the port with
flavour="scipy"), port-reference (kernels="reference"), port:FLAVOUR (the port
with any flavour, e.g. port:lnsrlb_dnrm2+formk_dtrtrs_blocked or port:scipy114;
append @reference for the reference kernels), port-scipy-api
(lbfgsb.scipy_setulb), scipy (scipy.optimize._lbfgsb.setulb), scipy114 (SciPy
1.14.1's Fortran setulb, out of process from tools/_build/scipy114), fortran
(Debian's Fortran L-BFGS-B 3.0 on SciPy's OpenBLAS), fortran-system (the same
on the system BLAS).  Each is compared with the implementation given by
--against (default fortran, the Fortran on SciPy's BLAS), except port-scipy and
port-scipy-api, compared with scipy, and port-reference, compared with
fortran-system.  (--ref is the old name of --against, still accepted.)

Modes: free (each runs to termination on its own evaluations; the k-th f/g
point and k-th iterate are compared), lockstep (f, g evaluated for all at the
point the --against implementation asks for; the saved state compared field
by field after every call, attributed to the subroutine that computes it),
both (default).

Your own problem: --problem MODULE:FUNCTION, MODULE a module on the path or
a .py file, FUNCTION() (FUNCTION(n) with --n) returning (fg, x0, lower,
upper), fg(x) -> (f, g), bounds as arrays with +-inf (or None) for none;
every other option works as for a reference problem.  See
tools/example_problem.py.

Exit status: 0; 1 with --check when a bitwise target (port vs fortran,
port-scipy vs scipy, port-reference vs fortran-system) is not met or a
difference is unexplained; 2 on usage errors.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # before numpy is imported

import argparse
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import harness  # noqa: E402


def _impl_name(text):
    try:
        harness.check_impl_name(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc))
    return text


def _impl_list(text):
    return [_impl_name(t.strip()) for t in text.split(",") if t.strip()]


class _DeprecatedRef(argparse.Action):
    """``--ref IMPL``: the old spelling of ``--against IMPL``."""

    def __call__(self, parser, namespace, values, option_string=None):
        print("compare.py: --ref is deprecated; use --against", file=sys.stderr)
        setattr(namespace, self.dest, values)


def build_parser():
    p = argparse.ArgumentParser(
        prog="python tools/compare.py",
        description=__doc__.split("\n\n")[0] + " (see the module docstring for details)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("problem", nargs="?", help="reference problem name (e.g. ROSENBR)")
    p.add_argument("--problem", dest="user_problem", metavar="MODULE:FUNCTION",
                   help="your own problem: FUNCTION() in MODULE (a module on the path or a "
                        ".py file) returns (fg, x0, lower, upper)")
    p.add_argument("--all", action="store_true", help="run every reference problem")
    p.add_argument("--problems", default=None,
                   help="with --all: comma-separated name patterns (fnmatch), e.g. 'HS*,TORSION1'")
    p.add_argument("--small", action="store_true",
                   help="with --all: use each problem's test size (test_n) instead of its default n")
    p.add_argument("--list", action="store_true", help="list the reference problems and exit")
    p.add_argument("--mode", choices=("free", "lockstep", "both"), default="both")
    p.add_argument("--impl", type=_impl_list, default=list(harness.DEFAULT_IMPLS),
                   help="implementations (default: %s)" % ",".join(harness.DEFAULT_IMPLS))
    p.add_argument("--against", default=harness.DEFAULT_REF, type=_impl_name, metavar="IMPL",
                   help="the implementation the others are checked against (default: "
                        "fortran = the Fortran on SciPy's BLAS)")
    # the old name of --against: still accepted, not shown
    p.add_argument("--ref", dest="against", type=_impl_name, action=_DeprecatedRef,
                   default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, default=None, help="problem size (default: the problem's)")
    p.add_argument("--m", type=int, default=10, help="corrections kept (maxcor), default 10")
    p.add_argument("--maxiter", type=int, default=15000)
    p.add_argument("--maxfun", type=int, default=15000)
    p.add_argument("--maxls", type=int, default=20,
                   help="line-search limit (the Fortran has none: always 20)")
    p.add_argument("--factr", type=float, default=1e7)
    p.add_argument("--pgtol", type=float, default=1e-5)
    p.add_argument("--rtol", type=float, default=1e-10,
                   help="relative tolerance of the 'first difference beyond tolerance' (1e-10)")
    p.add_argument("--xtol", type=float, default=0.0,
                   help="lock step: an implementation drops out when its requested x differs "
                        "from the --against one's by more than this (relative); 0 = any bit (default)")
    p.add_argument("--ignore", default="",
                   help="lock step: comma-separated state fields never compared "
                        "(e.g. isave.nseg,isave.nintol)")
    p.add_argument("--no-clip", action="store_true",
                   help="do not clip x0 into the bounds (SciPy does)")
    p.add_argument("--json", metavar="FILE", help="write the full record as JSON")
    p.add_argument("--csv", metavar="FILE", help="write one CSV row per implementation")
    p.add_argument("--plot", metavar="FILE.png", nargs="?", const="",
                   help="plot f, |proj g| and iterate differences against the iteration "
                        "(default file PROBLEM.png; with --all: one PNG per problem in --out)")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="with --all: directory for per-problem JSON/CSV/PNG records")
    p.add_argument("--jobs", type=int, default=1, help="with --all: worker processes")
    p.add_argument("--detail", type=int, default=8,
                   help="differing fields listed for the first lock-step difference")
    p.add_argument("--wide", action="store_true",
                   help="every table column, unabridged (default: fit 100 columns)")
    p.add_argument("--no-attribute", action="store_true",
                   help="do not explain differences by replaying the port's deviations")
    p.add_argument("--check", action="store_true",
                   help="exit 1 unless port vs fortran, port-scipy vs scipy and "
                        "port-reference vs fortran-system are bitwise identical "
                        "(skipped implementations do not count)")
    return p


def _kw(args):
    return dict(impls=args.impl, ref=args.against, mode=args.mode, rtol=args.rtol, xtol=args.xtol,
                m=args.m, factr=args.factr, pgtol=args.pgtol, maxiter=args.maxiter,
                maxfun=args.maxfun, maxls=args.maxls, clip=not args.no_clip,
                attribute=not args.no_attribute,
                ignore=tuple(f.strip() for f in args.ignore.split(",") if f.strip()))


def _progress(i, total, name, summ, err, elapsed):
    width = 30
    done = int(width * i / total)
    if err:
        state = "ERROR"
    else:
        flags = []
        short = {"agree": "ok", "explained": "expl", "unexplained": "UNEXPLAINED"}
        for key, p in summ["pairs"].items():
            a, b = key.split("|")
            ok = (p["free"] in (True, None)) and (p["lockstep"] in (True, None))
            flags.append("%s=%s" % (a, short.get(p.get("verdict"), "ok" if ok else "DIFF")))
        state = " ".join(flags)
    sys.stderr.write("[%s%s] %3d/%d %6.1fs  %-12s %s\n" % (
        "#" * done, "." * (width - done), i, total, elapsed, name, state))
    sys.stderr.flush()


def main(argv=None):
    args = build_parser().parse_args(argv)
    unknown = [f for f in args.ignore.split(",") if f.strip() and f.strip() not in harness.FIELDS]
    if unknown:
        print("error: unknown field(s) for --ignore: %s (known: %s)"
              % (", ".join(unknown), ", ".join(harness.FIELDS)), file=sys.stderr)
        return 2
    if args.list:
        ref = harness.load_reference()
        print(ref.table())
        return 0
    # the reference (and the Fortran under CI) must be there
    try:
        usable, skipped = harness.resolve_impls(args.impl, args.against)
    except RuntimeError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    for nm, why in skipped.items():
        print("note: %s skipped: %s" % (nm, why), file=sys.stderr)
    if args.all:
        names = harness.problem_names(args.problems)
        if not names:
            print("error: no problem matches %r" % args.problems, file=sys.stderr)
            return 2
        kw = _kw(args)
        if args.small:
            ref = harness.load_reference()
            sizes = {nm: ref.spec(nm).test_n for nm in names}
        else:
            sizes = {nm: args.n for nm in names}
        want_plot = args.plot is not None
        outdir = args.out or ("crosscheck-out" if (args.json or args.csv or want_plot) else None)
        print("running %d problems with %d job(s) (mode %s, impls %s)%s" % (
            len(names), args.jobs, args.mode, ",".join(usable),
            "; records in %s/" % outdir if outdir else ""), file=sys.stderr)
        summaries, errors = harness.run_batch(names, kw, jobs=args.jobs, outdir=outdir,
                                              plot=want_plot, progress=_progress,
                                              sizes=sizes)
        text, counts = harness.batch_table(summaries, errors)
        print(text)
        rows = [r for s in summaries for r in s["rows"]]
        csv_path = args.csv or (os.path.join(outdir, "summary.csv") if outdir else None)
        if csv_path:
            harness.write_csv(rows, csv_path)
            print("CSV: %s" % csv_path)
        json_path = args.json or (os.path.join(outdir, "summary.json") if outdir else None)
        if json_path:
            harness.write_json({"options": kw, "summaries": summaries, "errors": errors,
                                "counts": counts, "skipped": skipped}, json_path)
            print("JSON: %s" % json_path)
        if args.check:
            bad = []
            for key, c in counts.items():
                a, b = key.split("|")
                if (a, b) in harness.BITWISE_TARGETS and (
                        c["free"][0] != c["free"][1] or c["lockstep"][0] != c["lockstep"][1]):
                    bad.append("%s vs %s" % (a, b))
                elif c["verdicts"].get("unexplained"):
                    bad.append("%s vs %s unexplained" % (a, b))
            if bad or errors:
                print("CHECK FAILED: %s" % ", ".join(bad + (["errors"] if errors else [])),
                      file=sys.stderr)
                return 1
        return 0
    if not args.problem and not args.user_problem:
        build_parser().print_usage(sys.stderr)
        print("error: give a problem name, --problem MODULE:FUNCTION, --all or --list",
              file=sys.stderr)
        return 2
    if args.problem and args.user_problem:
        print("error: give a reference problem or --problem, not both", file=sys.stderr)
        return 2
    try:
        user = None
        if args.user_problem:
            user = harness.load_user_problem(args.user_problem, args.n)
        rec = harness.compare_problem(args.problem, n=args.n, problem=user, **_kw(args))
    except harness.UserProblemError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    except Exception as exc:                          # noqa: BLE001
        ref = None
        try:
            ref = harness.load_reference()
        except Exception:                             # noqa: BLE001
            pass
        if ref is not None and isinstance(exc, getattr(ref, "ReferenceProblemError", ())):
            print("error: %s" % exc, file=sys.stderr)
            return 2
        raise
    print(harness.format_record(rec, detail=args.detail, wide=args.wide))
    if args.json:
        harness.write_json(rec, args.json)
        print("JSON: %s" % args.json)
    if args.csv:
        harness.write_csv(harness.csv_rows(rec), args.csv)
        print("CSV: %s" % args.csv)
    if args.plot is not None:
        path = args.plot or "%s.png" % rec["problem"]
        if "free" in rec:
            harness.plot_record(rec, path)
            print("plot: %s" % path)
        else:
            print("note: --plot needs --mode free or both", file=sys.stderr)
    if args.check:
        s = harness._batch_summary(rec)
        bad = []
        for key, p in s["pairs"].items():
            a, b = key.split("|")
            if (a, b) in harness.BITWISE_TARGETS and (p["free"] is False or p["lockstep"] is False):
                bad.append("%s vs %s" % (a, b))
            elif p.get("verdict") == "unexplained":
                bad.append("%s vs %s unexplained" % (a, b))
        if bad:
            print("CHECK FAILED: %s" % ", ".join(bad), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
