"""One problem, all implementations: pairs, free runs and lock steps, one
JSON-able record.

Depends on the runs (:mod:`free`, :mod:`lockstep`, :mod:`attribution`) and
what they depend on.
"""
from __future__ import annotations

import time

from . import attribution
from .free import compare_free, run_free
from .impls import DEFAULT_IMPLS, DEFAULT_REF, PRIMARY_REF, blas_description, resolve_impls
from .problems import Setup, get_problem
from .lockstep import run_lockstep
from .state import CROSS_LAYOUT_SKIP, SCIPY_NOT_KEPT, SCIPY_QUIRKS, TIME_FIELDS


def pairs_for(impls, ref):
    """(impl, its reference) pairs: each implementation against ``ref``,
    port-scipy (and port-scipy-api) against scipy when scipy runs."""
    out = []
    for nm in impls:
        if nm == ref:
            continue
        r = PRIMARY_REF.get(nm) or ref
        if r not in impls:
            r = ref
        if r not in impls or r == nm:
            continue
        out.append((nm, r))
    return out


def compare_problem(name, n=None, impls=DEFAULT_IMPLS, ref=DEFAULT_REF, mode="both",
                    rtol=1e-10, xtol=0.0, m=10, factr=1e7, pgtol=1e-5, maxiter=15000,
                    maxfun=15000, maxls=20, clip=True, perturb=None, problem=None,
                    keep_runs=False, ignore=(), attribute=False):
    """Run ``impls`` on one problem and compare; returns a JSON-able record.

    ``perturb``: {impl: (fg_index, fn)} applied in both modes.
    ``attribute``: explain every differing pair by experiment
    (:mod:`attribution`); the record's ``verdicts`` always say which pairs
    agree.
    """
    t0 = time.perf_counter()
    prob = problem if problem is not None else get_problem(name, n)
    usable, skipped = resolve_impls(list(impls), ref)
    if ref not in usable:
        alt = [r for r in ("fortran", "scipy") if r in usable]
        if not alt:
            raise RuntimeError("reference implementation %r unavailable: %s"
                               % (ref, skipped.get(ref, "not selected")))
        skipped.setdefault(ref + " (as reference)", "unavailable; using %s" % alt[0])
        ref = alt[0]
    setup = Setup(prob, m=m, factr=factr, pgtol=pgtol, maxiter=maxiter, maxfun=maxfun,
                  maxls=maxls, clip=clip)
    rec = {"problem": prob.name, "n": setup.n, "classification": getattr(prob, "classification", ""),
           "fopt": setup.fopt, "options": dict(setup.options(), rtol=rtol, xtol=xtol, clip=clip,
                                               mode=mode),
           "reference": ref, "impls": usable, "skipped": skipped,
           "blas": {nm: blas_description(nm) for nm in usable},
           "excluded_fields": {"time": list(TIME_FIELDS),
                               "not kept by SciPy": list(SCIPY_NOT_KEPT),
                               "across layouts": list(CROSS_LAYOUT_SKIP),
                               "ignored (--ignore)": list(ignore),
                               "SciPy quirks (reported apart)": dict(SCIPY_QUIRKS)},
           "pairs": pairs_for(usable, ref)}
    if maxls != 20 and any(nm.startswith("fortran") for nm in usable):
        rec["note"] = "the Fortran has no maxls (always 20); maxls=%d only affects the others" % maxls
    perturb = perturb or {}
    if mode in ("free", "both"):
        runs = {}
        for nm in usable:
            runs[nm] = run_free(nm, setup, perturb=perturb.get(nm))
        rec["free"] = {
            "runs": {nm: _run_summary(r) for nm, r in runs.items()},
            "traces": {nm: {"f": list(map(float, r["it_f"])), "pg": list(map(float, r["it_pg"]))}
                       for nm, r in runs.items()},
            "compare": {},
        }
        for a, b in rec["pairs"]:
            c = compare_free(runs[a], runs[b], rtol)
            rec["free"]["compare"]["%s|%s" % (a, b)] = c
        if keep_runs:
            rec["_runs"] = runs
    if mode in ("lockstep", "both"):
        groups = {}
        for a, b in rec["pairs"]:
            groups.setdefault(b, []).append(a)
        rec["lockstep"] = {}
        for drv, others in groups.items():
            out = run_lockstep(drv, others, setup, xtol=xtol, perturb=perturb,
                               ignore=tuple(ignore))
            for nm, r in out.items():
                r.pop("trace", None)
                rec["lockstep"]["%s|%s" % (nm, drv)] = r
    rec["verdicts"] = verdicts(rec, setup if attribute else None, ignore=ignore,
                               perturb=perturb)
    rec["seconds"] = time.perf_counter() - t0
    rec["fg_evaluations"] = setup.nevals
    return rec


def _pair_first(ls):
    if ls is None:
        return None
    fd = ls["first_state_diff"]
    if fd is not None:
        return {"step": fd["step"], "field": fd["first_field"], "subroutine": fd["subroutine"],
                "task_before": fd["task_before"]}
    dv = ls["divergence"]
    if dv is not None:
        return {"step": dv["step"], "field": "task/x", "subroutine": dv["reason"],
                "task_before": dv.get("task_before")}
    return None


def verdicts(rec, setup=None, ignore=(), perturb=None):
    """{pair key: verdict} for every pair of ``rec``: ``agree`` (bitwise in
    every mode run: free run, and strict lock step), ``fg_first`` /
    ``it_first`` (1-based first differing f/g point / iterate of the free
    run), ``lock_first`` (the lock step's first difference: step, field,
    subroutine), ``explanation`` (:func:`attribution.explain`, when
    ``setup`` is given: the attribution runs on it, each implementation
    replayed with its ``perturb`` entry; else None)."""
    perturb = perturb or {}
    out, models = {}, {}
    for a, b in rec["pairs"]:
        key = "%s|%s" % (a, b)
        fr = rec.get("free", {}).get("compare", {}).get(key)
        ls = rec.get("lockstep", {}).get(key)
        agree = not ((fr is not None and not fr["identical"])
                     or (ls is not None and not ls["identical_strict"]))
        v = {"impl": a, "ref": b, "agree": agree,
             "fg_first": None if fr is None or fr["fg_first_bitwise"] is None
             else fr["fg_first_bitwise"] + 1,
             "it_first": None if fr is None or fr["it_first_bitwise"] is None
             else fr["it_first_bitwise"] + 1,
             "lock_first": _pair_first(ls), "explanation": None}
        if not agree and setup is not None:
            for nm in (a, b):
                if nm not in models:
                    models[nm] = attribution.model(nm, setup, ignore=ignore,
                                                   perturb=perturb.get(nm))
            v["explanation"] = attribution.explain(a, b, models, v["lock_first"])
        out[key] = v
    if models:
        rec["models"] = models
    return out


def _run_summary(r):
    return {"nit": r["nit"], "nfev": r["nfev"], "f": r["f"], "pg": r["pg"],
            "task": r["task"], "status": r["status"], "calls": r["calls"],
            "seconds": r["seconds"], "error": r["error"], "x": list(map(float, r["x"]))}
