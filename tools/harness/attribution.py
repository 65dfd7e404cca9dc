"""Attribution by experiment: which named deviations explain a difference.

The port can follow any set of the documented deviations (``flavour``, see
``lbfgsb.deviations()``).  To explain why implementation A differs from B,
the port is replayed in lock step against each of them under every subset of
the deviations that act inside ``setulb``; the *model* of an implementation
is the smallest subset under which the port is bitwise identical to it, state
field by state field after every call (strict: SciPy's nseg/nintol quirk
counts, it is a switch).  When both sides have a model, A and B differ by
exactly the deviations in one model and not the other: that is the
explanation.  Otherwise the difference is UNEXPLAINED (a bug, or a deviation
nobody has named), reported with the closest replay's first differing field,
subroutine and call.

All subsets run in one lock step driven by the implementation (its f, g
evaluated once per point); a replay drops out at its first state difference,
and replays whose states are byte-equal share one comparison.

Depends on :mod:`impls` and :mod:`lockstep`.
"""
from __future__ import annotations

import itertools

from .impls import load_port, port_name
from .lockstep import run_lockstep

#: pairs whose two implementations are the same code on different BLAS/LAPACK
#: libraries: a difference the port cannot replay, explained by construction
SAME_CODE_OTHER_BLAS = {
    frozenset(("fortran", "fortran-system")):
        "the BLAS/LAPACK library (the same Fortran binary on the system's reference "
        "BLAS/LAPACK vs SciPy's OpenBLAS)",
}


def setulb_switches():
    """Names of the deviations that act inside ``setulb`` (the driver's
    ``driver_f_by_value`` cannot show in a lock step of setulb calls)."""
    lb = load_port()
    return [d.name for d in lb.deviations(port=False)
            if not d.routine.startswith("driver")]


def subsets(universe):
    """Every subset of ``universe``, smallest first (registry order within a size)."""
    universe = list(universe)
    return [frozenset(c) for k in range(len(universe) + 1)
            for c in itertools.combinations(universe, k)]


def _first(r):
    fd = r["first_state_diff"]
    if fd is not None:
        return {"step": fd["step"], "field": fd["first_field"],
                "subroutine": fd["subroutine"], "task_before": fd["task_before"]}
    dv = r["divergence"]
    if dv is not None:
        return {"step": dv["step"], "field": "task/x", "subroutine": dv["reason"],
                "task_before": dv.get("task_before")}
    return {"step": r["steps"], "field": None,
            "subroutine": r.get("error") or ("identical" if r["identical"] else "ended early"),
            "task_before": None}


def model(impl, setup, universe=None, ignore=(), perturb=None):
    """The smallest deviation sets under which the port replays ``impl``.

    Returns a dict: ``impl``; ``universe`` (names tried); ``sets`` (list of
    the smallest sets, as sorted name lists; empty when none replays it);
    ``closest`` (the replay that stayed identical longest: ``flavour`` and its
    first difference ``step``, ``field``, ``subroutine``, ``task_before``);
    ``replays`` (how many subsets ran).  ``perturb``: (fg_index, fn) applied
    to ``impl``'s evaluations, as in its own runs.
    """
    universe = setulb_switches() if universe is None else list(universe)
    names = {}
    for s in subsets(universe):
        names[port_name(s) + "#replay"] = s
    out = run_lockstep(impl, list(names), setup, strict=True, stop_at_first_diff=True,
                       ignore=tuple(ignore), perturb={impl: perturb} if perturb else None)
    ok = [names[nm] for nm, r in out.items() if r["identical"]]
    sets = []
    if ok:
        k = min(len(s) for s in ok)
        sets = [sorted(s, key=universe.index) for s in ok if len(s) == k]
    best_nm = max(out, key=lambda nm: (_first(out[nm])["step"], -len(names[nm])))
    closest = dict(_first(out[best_nm]), flavour=sorted(names[best_nm], key=universe.index))
    return {"impl": impl, "universe": universe, "sets": sets, "closest": closest,
            "replays": len(names)}


def explain(a, b, models, pair_first=None):
    """Explanation of ``a`` differing from ``b`` from their models.

    Returns {"explained": bool, "by": [names] (deviations in one model and
    not the other), "alternatives": [[names], ...] (other sets of the same
    size), "cause": text, "first": the first difference (of the pair's own
    lock step when given, else of the closest replay), "unreplayed": [impl]}.
    """
    ma, mb = models.get(a), models.get(b)
    unreplayed = [m["impl"] for m in (ma, mb) if m is not None and not m["sets"]]
    if ma and mb and ma["sets"] and mb["sets"]:
        options = []
        for sa in ma["sets"]:
            for sb in mb["sets"]:
                d = sorted(set(sa) ^ set(sb), key=ma["universe"].index)
                if d not in options:
                    options.append(d)
        options.sort(key=len)
        if options[0]:
            return {"explained": True, "by": options[0], "alternatives": options[1:],
                    "cause": "deviation(s) " + " + ".join(options[0]),
                    "first": pair_first, "unreplayed": []}
        return {"explained": False, "by": [], "alternatives": [],
                "cause": "both are replayed by the same port flavour, yet they differ",
                "first": pair_first, "unreplayed": []}
    blas = SAME_CODE_OTHER_BLAS.get(frozenset((a, b)))
    if blas:
        return {"explained": True, "by": [], "alternatives": [], "cause": blas,
                "first": pair_first, "unreplayed": unreplayed}
    first = pair_first
    if first is None:
        for m in (ma, mb):
            if m is not None and not m["sets"]:
                first = dict(m["closest"], replay_of=m["impl"])
                break
    return {"explained": False, "by": [], "alternatives": [],
            "cause": "no subset of the deviations replays %s" % " or ".join(unreplayed),
            "first": first, "unreplayed": unreplayed}
