"""``lbfgsb.diagnose``: a user's problem across flavours, kernels and core
types; is the answer robust, where do the runs part and why, and what do
the runs say about the problem.

The runs are in :mod:`lbfgsb._diagnose_run`; the parting, the gradient
check and the advice in :mod:`lbfgsb._diagnose_why`.
"""

import json
import math
import os
import sys
import time

import numpy as np

from lbfgsb import _diagnose_run as _run
from lbfgsb import _diagnose_why as _why
from lbfgsb._api import _options
from lbfgsb.port.kernels import kernels_code
from lbfgsb._progress import Progress
from lbfgsb.port.deviations import flavour_label

__all__ = ["diagnose", "Diagnosis"]

#: the flavours and kernel sets of the default grid
FLAVOURS = ("fortran", "scipy", "scipy114")
KERNELS = ("scipy", "reference")

#: seconds between looks at the child processes
POLL = 0.02

#: default tolerance on f between variants (relative, as L-BFGS-B's ftol test)
RTOL = 1e-8


def _variant_name(flavour, kernels, coretype=None):
    return "%s/%s%s" % (flavour, kernels, "@" + coretype if coretype else "")


def _parse_variants(variants, own):
    """The (flavour label, kernels) pairs to run, the user's own first."""
    if variants is None:
        pairs = [(f, k) for f in FLAVOURS for k in KERNELS]
    else:
        if isinstance(variants, str):
            variants = [variants]
        pairs = []
        for v in variants:
            if isinstance(v, str):
                f, sep, k = v.partition("/")
                ks = [k] if sep else list(KERNELS)
            else:
                try:
                    f, k = v
                except (TypeError, ValueError):
                    raise ValueError("a variant is 'flavour/kernels', 'flavour' or a "
                                     "(flavour, kernels) pair, got %r" % (v,)) from None
                ks = [k]
            for k in ks:
                kernels_code(k)
                pairs.append((flavour_label(f), k))
    out = [own]
    for p in pairs:
        if p not in out:
            out.append(p)
    return out


def _kind(v):
    """The kind of termination of a run (what must agree for robustness)."""
    if v["error"] is not None:
        return ("error", v["error"].split(":")[0])
    return (v["status"], v["message"])


def _columns(rows, tails):
    """Rows of cells as aligned lines, each followed by its free-width tail."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + t).rstrip()
            for r, t in zip(rows, tails)]


def _agree(fa, fb, rtol):
    return abs(fa - fb) <= rtol * max(abs(fa), abs(fb), 1.0)


def _classes(ran, rtol):
    """Groups of runs with one outcome: same kind, f within ``rtol`` of the
    group's first run."""
    groups = []
    for v in ran:
        for g in groups:
            if _kind(g[0]) == _kind(v) and (v["error"] is not None or
                                            _agree(g[0]["fun"], v["fun"], rtol)):
                g.append(v)
                break
        else:
            groups.append([v])
    return groups


class Diagnosis:
    """What :func:`diagnose` found; ``str(d)`` is the report, ``d.to_json()``
    the same for tools.

    Attributes
    ----------
    robust : bool
        Every variant that ran ended in the same kind of termination (status
        and message) with ``fun`` within ``rtol`` (relative, as L-BFGS-B's
        ``ftol`` test: ``|f1 - f2| <= rtol * max(|f1|, |f2|, 1)``); an
        objective that raised makes it False.
    variants : list of dict
        One per run: ``name``, ``flavour``, ``kernels``, ``coretype`` (None:
        this CPU's own choice), ``x``, ``fun``, ``nit``, ``nfev``,
        ``status``, ``message``, ``error`` (the objective's exception, or
        None), ``outcome`` (the number of its outcome, 1 = the first run's),
        ``seconds``; variants that could not run have ``skipped`` (the reason).
    parting : list of dict
        For each outcome other than the first run's, the closest pair of runs
        with the two outcomes: ``a``, ``b`` (names), ``evaluation`` (1-based
        number of the first call of the objective that differs, None when
        none does), ``cause`` (``"deviation"``, ``"kernels"``,
        ``"objective"``, ``"settings"`` or ``"unexplained"``),
        ``deviations`` (the named deviations that decide it, when replays
        found them), ``text``.
    gradient_error : float or None
        ``max |g - g_fd| / max(|g|_inf, |g_fd|_inf, noise)`` at x0 and at the
        first run's final x, the larger (None without a user gradient);
        ``g_fd`` is central differences, ``noise`` their rounding error.
    gradient_component : int or None
        Where that error is largest; ``gradient_detail`` gives the point and
        both values.
    advice : list of str
        Plain sentences about what the runs show.
    rtol, seconds, skipped
        The tolerance used, the wall time, and what was not run and why.
    """

    def __init__(self, **kw):
        self.__dict__.update(kw)

    @property
    def outcomes(self):
        """The number of distinct outcomes among the runs."""
        return len({v["outcome"] for v in self.variants if "skipped" not in v})

    def verdict(self):
        """The first line of the report."""
        ran = [v for v in self.variants if "skipped" not in v]
        skipped = len(self.variants) - len(ran)
        tail = " (%d skipped)" % skipped if skipped else ""
        if self.robust:
            fs = [v["fun"] for v in ran]
            spread = (max(fs) - min(fs)) / max(abs(max(fs)), abs(min(fs)), 1.0)
            if len(ran) == 1:
                return "ROBUST: one run only%s, nothing compared (%s)" % (
                    tail, ran[0]["message"])
            return ("ROBUST: %d runs%s end alike (%s; f agrees to %.1e, rtol %.0e)"
                    % (len(ran), tail, ran[0]["message"], spread, self.rtol))
        fs = [v["fun"] for v in ran if v["error"] is None]
        kinds = {_kind(v) for v in ran}
        span = " (f from %.10g to %.10g)" % (min(fs), max(fs)) if fs else ""
        if not fs:
            return "NOT ROBUST: the objective raised in every run (%d runs%s)" % (
                len(ran), tail)
        return ("NOT ROBUST: %d outcomes over %d runs%s, %d kind%s of termination%s"
                % (self.outcomes, len(ran), tail, len(kinds), "" if len(kinds) == 1 else "s",
                   span))

    def _table(self):
        """Lines: one row per run (few runs), else a matrix of outcome numbers
        (flavour/kernels x core type) and one row per outcome."""
        runs = self.variants
        head = ("status", "fun", "nit", "nfev")

        def cells(v):
            return ("error" if v["error"] else str(v["status"]),
                    "" if v["error"] else "%.12g" % v["fun"],
                    "" if v["nit"] is None else str(v["nit"]),
                    "" if v["nfev"] is None else str(v["nfev"]))
        if len(runs) <= 12:
            rows = [("", "variant") + head]
            tails = ["message"]
            for v in runs:
                if "skipped" in v:
                    rows.append(("-", v["name"], "", "", "", ""))
                    tails.append("skipped: " + v["skipped"])
                else:
                    rows.append((str(v["outcome"]), v["name"]) + cells(v))
                    tails.append(v["message"])
            return _columns(rows, tails)
        pairs, cores = [], []
        for v in runs:
            pair = "%s/%s" % (v["flavour"], v["kernels"])
            if pair not in pairs:
                pairs.append(pair)
            if v["coretype"] not in cores:
                cores.append(v["coretype"])
        grid = {("%s/%s" % (v["flavour"], v["kernels"]), v["coretype"]):
                "-" if "skipped" in v else str(v["outcome"]) for v in runs}
        rows = [("outcome of",) + tuple(c or "this CPU" for c in cores)]
        rows += [(p,) + tuple(grid.get((p, c), "") for c in cores) for p in pairs]
        lines = _columns(rows, [""] * len(rows))
        first = {}
        for v in runs:
            if "skipped" not in v:
                first.setdefault(v["outcome"], v)
        rows = [("outcome",) + head]
        tails = ["message (of its first run)"]
        for k in sorted(first):
            rows.append((str(k),) + cells(first[k]))
            tails.append(first[k]["message"])
        lines += [""] + _columns(rows, tails)
        reasons = {}
        for v in runs:
            if "skipped" in v:
                reasons.setdefault(v["skipped"], []).append(v["name"])
        for why, names in reasons.items():
            lines.append("skipped (%d runs): %s" % (len(names), why))
        return lines

    def _skipped(self):
        return ["skipped %s: %s" % s for s in self.skipped]

    def __str__(self):
        lines = [self.verdict(), ""] + self._table() + self._skipped()
        shown, more = set(), 0
        for p in self.parting:
            key = (p["cause"], tuple(p["axes"]), tuple(p["deviations"]))
            if key in shown:
                more += 1
                continue
            if not shown:
                lines.append("")
            shown.add(key)
            lines.append("parting: " + p["text"])
        if more:
            lines.append("(%d more partings of these kinds in .parting)" % more)
        lines.append("")
        if self.gradient_error is None:
            lines.append("gradient: " + self.gradient_detail)
        else:
            lines.append("gradient error: %.2e (%s)" % (self.gradient_error,
                                                        self.gradient_detail))
        if self.advice:
            lines.append("")
            lines.append("advice:")
            lines.extend("- " + a for a in self.advice)
        lines.append("")
        runs = sum("skipped" not in v for v in self.variants)
        lines.append("%d run%s, %.1f s" % (runs, "" if runs == 1 else "s", self.seconds))
        return "\n".join(lines)

    def __repr__(self):
        return "<Diagnosis %s>" % self.verdict()

    def to_dict(self):
        """The diagnosis as plain Python data (arrays as lists)."""
        def clean(v):
            if isinstance(v, np.ndarray):
                return [clean(x) for x in v.tolist()]
            if isinstance(v, dict):
                return {k: clean(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [clean(x) for x in v]
            if isinstance(v, (float, np.floating)):
                v = float(v)
                return v if math.isfinite(v) else repr(v)
            if isinstance(v, np.integer):
                return int(v)
            return v
        return clean({"verdict": self.verdict(), "robust": self.robust, "rtol": self.rtol,
                      "variants": self.variants, "parting": self.parting,
                      "gradient_error": self.gradient_error,
                      "gradient_component": self.gradient_component,
                      "gradient_detail": self.gradient_detail, "advice": self.advice,
                      "skipped": self.skipped, "seconds": self.seconds})

    def to_json(self, **kw):
        """The diagnosis as JSON text (``json.dumps`` keywords pass through)."""
        return json.dumps(self.to_dict(), **kw)


def _public(v, name, flavour, kernels, coretype):
    out = {"name": name, "flavour": flavour, "kernels": kernels, "coretype": coretype}
    for k in ("x", "fun", "nit", "nfev", "status", "message", "error", "seconds"):
        out[k] = v[k]
    return out


def _jobs():
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:                                # pragma: no cover
        return max(1, os.cpu_count() or 1)


def diagnose(fun, x0, args=(), jac=None, bounds=None, *, variants=None, coretypes=None,
             rtol=RTOL, timeout=None, jobs=None, progress=None, check_gradient=True,
             **options):
    """Run a problem across implementations and machines, and say what the
    runs show.

    The problem is ``lbfgsb.minimize``'s: it is solved once per variant
    (a flavour: ``"fortran"``, ``"scipy"``, ``"scipy114"``, whose arithmetic;
    the kernels: ``"scipy"``, SciPy's OpenBLAS, or ``"reference"``, the same
    bits everywhere; a core type: this CPU's own OpenBLAS choice, or each
    ``OPENBLAS_CORETYPE`` this CPU can run, in a child process, as on such a
    machine).  The first run is the user's own (``flavour`` and ``kernels``
    from ``options``, default ``"fortran"``/``"scipy"``), here.

    Parameters
    ----------
    fun, x0, args, jac, bounds
        As for :func:`lbfgsb.minimize`; what it refuses is refused the same way.
    variants : iterable, optional
        Which flavour/kernels pairs to run, each ``"scipy/reference"``,
        ``"scipy"`` (both kernel sets) or a pair ``(flavour, kernels)``, where a
        flavour may be any set of deviation names.  Default: the three flavours x the
        two kernel sets.  The user's own pair always runs, first.
    coretypes : iterable of str, optional
        OpenBLAS core types to run the variants under (child processes; the
        problem is sent by pickling, cloudpickle when installed).  Default:
        each of Prescott, Nehalem, Sandybridge, Haswell, SkylakeX this CPU
        can run; ``()``: none.  Those that cannot run are reported skipped.
    rtol : float, optional
        Tolerance on f for robustness (see :class:`Diagnosis`), 1e-8.
    timeout : float, optional
        Seconds a child process may take (default: 60 s plus 50 times the
        first run's time per variant); it is killed after that and its
        variants are reported skipped.
    jobs : int, optional
        Processes at once (default: the CPUs this process may use).
    progress : bool, optional
        A progress bar on stderr (default: when stderr is a terminal).
    check_gradient : bool, optional
        Compare the gradient with central differences (4n evaluations of
        ``fun`` at each of two points: steps h and h/2, both sides).
    **options
        ``minimize``'s options (``maxcor``, ``ftol``, ``gtol``, ``maxls``,
        ..., ``callback``).

    Returns
    -------
    Diagnosis

    Examples
    --------
    >>> import numpy as np, lbfgsb
    >>> d = lbfgsb.diagnose(lambda x: (x @ x, 2 * x), np.ones(3), jac=True,
    ...                     bounds=[(0.5, 2)] * 3, coretypes=())
    >>> d.robust
    True
    """
    problem = {"fun": fun, "x0": x0, "args": args, "jac": jac, "bounds": bounds,
               "options": options}
    return run_diagnosis(problem, variants=variants, coretypes=coretypes, rtol=rtol,
                         timeout=timeout, jobs=jobs, progress=progress,
                         check_gradient=check_gradient)


def run_diagnosis(problem, variants=None, coretypes=None, rtol=RTOL, timeout=None,
                  jobs=None, progress=None, check_gradient=True, spec=None):
    """:func:`diagnose` on ``problem`` (a dict of ``minimize``'s arguments:
    fun, x0, args, jac, bounds, options); ``spec``: (``MODULE:FUNCTION``,
    n) to send to child processes instead of pickling (the command line)."""
    t0 = time.perf_counter()
    options = _options(dict(problem["options"]))       # options={...} merged, as minimize
    callback = options.pop("callback", None)
    own = (flavour_label(options.pop("flavour", "fortran")),
           options.pop("kernels", "scipy"))
    kernels_code(own[1])
    pairs = _parse_variants(variants, own)
    if not (isinstance(rtol, (int, float)) and rtol >= 0):
        raise ValueError("rtol must be a number >= 0, got %r" % (rtol,))
    problem = dict(problem, options=options if callback is None
                   else dict(options, callback=callback))
    runnable, skipped_ct = _run.runnable_coretypes(coretypes)
    total = len(pairs) * (1 + len(runnable))
    records = {}                     # name -> (record, flavour, kernels, coretype)
    skipped = [("core type " + c, why) for c, why in skipped_ct]
    with Progress(total, show=progress, label="runs") as bar:
        # the user's own run first, here: what minimize refuses raises now
        first = _run.run_variant(problem, *own)
        records[_variant_name(*own)] = (first, own[0], own[1], None)
        bar.update(1)
        children, queue, reason = [], [], None
        if runnable:
            if spec is not None:
                payload = {"spec": spec[0], "n": spec[1], "options": options}
            else:
                blob, reason = _run.pack_problem(problem)
                payload = {"problem": blob}
            payload["sys_path"] = list(sys.path)
            if reason is None:
                per = 60.0 + 50.0 * first["seconds"] * len(pairs)
                queue = [(c, per if timeout is None else float(timeout)) for c in runnable]
            else:
                skipped.append(("core types " + ", ".join(runnable), reason))
        nproc = jobs or _jobs()
        done = 1

        def pump(limit):
            nonlocal done
            for ch in list(children):
                out = ch.poll()
                if out is None:
                    continue
                children.remove(ch)
                for f, k in pairs:
                    name = _variant_name(f, k, ch.coretype)
                    r = out.get((f, k)) if isinstance(out, dict) else out
                    if isinstance(r, dict):
                        records[name] = (r, f, k, ch.coretype)
                    else:
                        records[name] = ({"skipped": r}, f, k, ch.coretype)
                done += len(pairs)
                bar.update(done)
            while queue and len(children) < limit:
                c, tmo = queue.pop(0)
                children.append(_run.Child(c, pairs, payload, tmo))

        try:
            pump(nproc - 1)
            for f, k in pairs[1:]:
                try:
                    r = _run.run_variant(problem, f, k)
                except Exception as exc:                # noqa: BLE001
                    r = {"skipped": "minimize raised %s: %s" % (type(exc).__name__, exc)}
                records[_variant_name(f, k)] = (r, f, k, None)
                done += 1
                bar.update(done)
                pump(nproc - 1)
            while children or queue:
                pump(nproc)
                time.sleep(POLL)
        finally:
            for ch in children:                         # only on an interruption
                ch.stop()

    sent = runnable if reason is None else []
    order = [_variant_name(f, k, c) for c in [None] + sent for f, k in pairs]
    variants_out, ran = [], []
    for name in order:
        r, f, k, c = records[name]
        if "skipped" in r:
            variants_out.append({"name": name, "flavour": f, "kernels": k, "coretype": c,
                                 "skipped": r["skipped"]})
            continue
        v = _public(r, name, f, k, c)
        v["_rec"] = r
        ran.append(v)
        variants_out.append(v)
    groups = _classes(ran, rtol)
    for i, g in enumerate(groups):
        for v in g:
            v["outcome"] = i + 1
    robust = len(groups) == 1 and ran[0]["error"] is None

    parting = _why.partings(groups, problem) if not robust else []
    grad = _why.gradient_check(problem, ran[0]) if check_gradient else \
        {"error": None, "component": None, "detail": "not checked (check_gradient=False)"}
    advice = _why.advice(ran, groups, parting, grad, problem)
    for v in ran:
        del v["_rec"]
    return Diagnosis(robust=robust, rtol=rtol, variants=variants_out, parting=parting,
                     gradient_error=grad["error"], gradient_component=grad["component"],
                     gradient_detail=grad["detail"], advice=advice, skipped=skipped,
                     seconds=time.perf_counter() - t0)
