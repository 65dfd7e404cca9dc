"""Free run: each implementation to termination on its own evaluations,
and the comparison of two free-run records.

Depends on :mod:`impls`, :mod:`problems` and :mod:`state`.
"""
from __future__ import annotations

import hashlib
import time

import numpy as np

from .impls import make_impl
from .problems import projected_gradient_norm
from .state import STOP_FUN, STOP_ITER, _bits_equal, _rel, canonical_task


def _status(task, nit, nfev, setup):
    t = canonical_task(task)
    if t.startswith("CONV"):
        return 0
    if nfev > setup.maxfun or nit >= setup.maxiter:
        return 1
    return 2


def _digest(a):
    return hashlib.blake2b(np.ascontiguousarray(a).tobytes(), digest_size=16).hexdigest()


#: at most this many float64 of points are kept per run (digests always)
STORE_BUDGET = 10_000_000


def run_free(name, setup, perturb=None, store_budget=STORE_BUDGET, max_calls=None):
    """Run implementation ``name`` to termination on its own evaluations.

    Returns a record (dict): fg_x (list of arrays or None beyond the storage
    budget), fg_digest, fg_f, it_x, it_digest, it_f, it_pg, x, f, g, nit,
    nfev, task, status, calls, seconds, error.
    """
    impl = make_impl(name)
    impl.perturb = perturb
    impl.start(setup.m, setup.x0, setup.l, setup.u, setup.nbd, setup.factr, setup.pgtol,
               setup.maxls)
    n = setup.n
    rec = {"impl": name, "layout": impl.layout, "fg_x": [], "fg_digest": [], "fg_f": [], "it_x": [],
           "it_digest": [], "it_f": [], "it_pg": [], "error": None}
    stored = 0
    nit = nfev = calls = 0
    if max_calls is None:
        max_calls = 4 * (setup.maxfun + setup.maxiter) + 100
    t0 = time.perf_counter()
    task = ""
    try:
        while True:
            task = impl.call()
            calls += 1
            if task.startswith("FG"):
                x = impl.x.copy()
                rec["fg_digest"].append(_digest(x))
                if stored + n <= store_budget:
                    rec["fg_x"].append(x)
                    stored += n
                else:
                    rec["fg_x"].append(None)
                f, g = setup.fg(x)
                impl.set_fg(f, g)
                rec["fg_f"].append(impl.f)
                nfev += 1
            elif task.startswith("NEW_X"):
                nit += 1
                x = impl.x.copy()
                rec["it_digest"].append(_digest(x) + _digest(impl.g))
                if stored + n <= store_budget:
                    rec["it_x"].append(x)
                    stored += n
                else:
                    rec["it_x"].append(None)
                rec["it_f"].append(impl.f)
                rec["it_pg"].append(projected_gradient_norm(x, impl.g, setup.l, setup.u,
                                                            setup.nbd))
                if nit >= setup.maxiter:
                    impl.stop(STOP_ITER)
                elif nfev > setup.maxfun:
                    impl.stop(STOP_FUN)
            else:
                break
            if calls >= max_calls:
                rec["error"] = "runaway: %d setulb calls without termination" % calls
                break
    except Exception as exc:                          # noqa: BLE001
        rec["error"] = "%s: %s" % (type(exc).__name__, exc)
    rec["seconds"] = time.perf_counter() - t0
    rec.update(x=impl.x.copy(), f=impl.f, g=impl.g.copy(), nit=nit, nfev=nfev,
               task=impl.task_text(), calls=calls,
               status=_status(impl.task_text(), nit, nfev, setup),
               pg=projected_gradient_norm(impl.x, impl.g, setup.l, setup.u, setup.nbd))
    return rec


def _first_diff(xa, da, xb, db, rtol):
    """First index with differing digest, first with rel > rtol, and max rel."""
    k_bits = k_tol = None
    maxrel = 0.0
    rels = []
    for k in range(min(len(da), len(db))):
        same = da[k] == db[k]
        if not same and k_bits is None:
            k_bits = k
        a, b = xa[k], xb[k]
        if a is not None and b is not None:
            r = 0.0 if same else _rel(a, b)
        else:
            r = 0.0 if same else None
        rels.append(r)
        if r is not None:
            maxrel = max(maxrel, r)
            if r > rtol and k_tol is None:
                k_tol = k
    if len(da) != len(db):
        k = min(len(da), len(db))
        if k_bits is None:
            k_bits = k
        if k_tol is None:
            k_tol = k
    return k_bits, k_tol, maxrel, rels


def compare_free(a, b, rtol=1e-10):
    """Compare free-run records ``a`` (an implementation) and ``b`` (its reference).

    Between a Fortran-layout and a SciPy-layout implementation the final f is
    not part of the claim (``final_f_compared`` False): SciPy's setulb takes
    f by value and never writes it back, the Fortran restores f = fold after
    a line-search failure.
    """
    f_compared = a.get("layout", "fortran") == b.get("layout", "fortran")
    fb, ft, fmax, _ = _first_diff(a["fg_x"], a["fg_digest"], b["fg_x"], b["fg_digest"], rtol)
    # iterates: x and g digests, f values
    ia = [d + repr(float(f)) for d, f in zip(a["it_digest"], a["it_f"])]
    ib = [d + repr(float(f)) for d, f in zip(b["it_digest"], b["it_f"])]
    ib_, it_, imax, rels = _first_diff(a["it_x"], ia, b["it_x"], ib, rtol)
    # f values at the iterates within rtol
    for k in range(min(len(a["it_f"]), len(b["it_f"]))):
        rf = _rel([a["it_f"][k]], [b["it_f"][k]])
        if rf > rtol and (it_ is None or k < it_):
            it_ = k
            break
    same_f = _bits_equal(np.array([a["f"]]), np.array([b["f"]]))
    same_final = (_bits_equal(np.asarray(a["x"]), np.asarray(b["x"]))
                  and (same_f or not f_compared))
    same_task = canonical_task(a["task"]) == canonical_task(b["task"])
    identical = (fb is None and ib_ is None and same_final and same_task
                 and a["nit"] == b["nit"] and a["nfev"] == b["nfev"]
                 and a["error"] is None and b["error"] is None)
    return {
        "impl": a["impl"], "ref": b["impl"], "identical": bool(identical),
        "fg_first_bitwise": fb, "fg_first_rtol": ft, "fg_max_rel": fmax,
        "it_first_bitwise": ib_, "it_first_rtol": it_, "it_max_rel": imax,
        "it_rel": rels,
        "final_x_identical": bool(_bits_equal(np.asarray(a["x"]), np.asarray(b["x"]))),
        "final_f_identical": bool(same_f), "final_f_compared": bool(f_compared),
        "final_x_rel": _rel(a["x"], b["x"]), "final_f_rel": _rel([a["f"]], [b["f"]]),
        "task_equal": bool(same_task), "nit": (a["nit"], b["nit"]),
        "nfev": (a["nfev"], b["nfev"]), "rtol": rtol,
    }


def describe_first(cmp):
    """'fg#k' / 'it#k' text for the first bitwise and first >rtol difference."""
    def one(kfg, kit):
        parts = []
        if kfg is not None:
            parts.append("f/g point #%d" % (kfg + 1))
        if kit is not None:
            parts.append("iterate #%d" % (kit + 1))
        return ", ".join(parts)
    bits = one(cmp["fg_first_bitwise"], cmp["it_first_bitwise"])
    if not bits:
        extra = []
        if not cmp["final_x_identical"]:
            extra.append("final x")
        if not cmp["final_f_identical"] and cmp.get("final_f_compared", True):
            extra.append("final f")
        if not cmp["task_equal"]:
            extra.append("task")
        if cmp["nit"][0] != cmp["nit"][1] or cmp["nfev"][0] != cmp["nfev"][1]:
            extra.append("counts")
        bits = ", ".join(extra)
    tol = one(cmp["fg_first_rtol"], cmp["it_first_rtol"])
    return bits or "-", tol or "-"
