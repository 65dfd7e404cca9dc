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
and replays whose states are byte-equal share one comparison.  The search is
2**k replays: a switch that cannot act on the problem (one acting only on a
zero upper bound, when there is none) is left out, and the switches that
change only a NaN's sign bit are added in a second stage, when the subsets
without them replay nothing.

Depends on :mod:`impls` and :mod:`lockstep`.
"""
from __future__ import annotations

import itertools

from .impls import load_port, port_name
from .lockstep import run_lockstep

#: the kernels tried, in order: a second pass with the port's reference-order
#: BLAS/LAPACK only for an implementation no replay on SciPy's reproduces
KERNELS = ("scipy", "reference")
KERNELS_CAUSE = "the BLAS/LAPACK kernels (SciPy's OpenBLAS vs the reference order)"


def setulb_switches(reference=None):
    """Names of the deviations that act inside ``setulb`` (the driver's
    ``driver_f_by_value`` cannot show in a lock step of setulb calls), all or
    those of one ``reference`` (a prefix of the registry's reference text)."""
    lb = load_port()
    return [d.name for d in lb.deviations(port=False)
            if not d.routine.startswith("driver")
            and (reference is None or d.reference.startswith(reference))]


def universes():
    """The deviation sets searched, in order: SciPy >= 1.15's C, SciPy <= 1.14's
    Fortran, then all of them (a side is modelled in the first that replays
    it; every subset of one universe runs in one lock step)."""
    out = []
    for u in (setulb_switches("SciPy >= 1.15"), setulb_switches("SciPy <= 1.14"),
              setulb_switches()):
        if u and u not in out:
            out.append(u)
    return out


#: switches that act only on a signed zero: searched only when the problem
#: has a bound of zero where they act (else no replay could tell them apart)
ZERO_BOUND_ONLY = {"lnsrlb_fmin_swapped": "upper"}
#: switches that change only the sign bit of a NaN: searched only after the
#: subsets without them replay nothing (a NaN is rare; the search is 2**k)
NAN_SIGN_ONLY = ("cauchy_neg_operand",)


def _searched(universe, setup):
    """The stages of one universe for ``setup``: the switches that cannot
    act on it dropped (a zero-bound switch without such a bound), and the
    NaN-sign switches left to a second stage."""
    import numpy as np
    nbd, u = np.asarray(setup.nbd), np.asarray(setup.u)
    has_zero_upper = bool(np.any((nbd >= 2) & (u == 0)))
    names = [nm for nm in universe if nm not in ZERO_BOUND_ONLY or has_zero_upper]
    first = [nm for nm in names if nm not in NAN_SIGN_ONLY]
    return [first] + ([names] if names != first else [])


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


def model(impl, setup, universe=None, ignore=(), perturb=None, kernels=KERNELS):
    """The smallest deviation sets under which the port replays ``impl``.

    Every subset of each universe (``universe``, default :func:`universes`
    in turn) is replayed, on SciPy's BLAS/LAPACK first, then on the port's
    reference-order kernels (``kernels``); the first stage with a replay
    identical to ``impl`` gives the model.
    Returns a dict: ``impl``; ``universe`` (names tried); ``sets`` (list of
    the smallest sets, as sorted name lists; empty when none replays it);
    ``kernels`` (those of the replays in ``sets``); ``closest`` (the replay
    that stayed identical longest: ``flavour``, ``kernels`` and its first
    difference ``step``, ``field``, ``subroutine``, ``task_before``);
    ``replays`` (how many ran).  ``perturb``: (fg_index, fn) applied to
    ``impl``'s evaluations, as in its own runs.
    """
    us = universes() if universe is None else [list(universe)]
    # each reference's own switches on each kernel table, then their union;
    # within each, the switches that cannot act on this problem left out and
    # those that change only a NaN's sign tried last (_searched)
    stages = [(part, kn) for u in us for kn in kernels for part in _searched(u, setup)]
    replays, closest = 0, None
    for universe, kn in stages:
        names = {port_name(s, kn) + "#replay": s for s in subsets(universe)}
        replays += len(names)
        out = run_lockstep(impl, list(names), setup, strict=True, stop_at_first_diff=True,
                           ignore=tuple(ignore), perturb={impl: perturb} if perturb else None)
        best = max(out, key=lambda nm: (_first(out[nm])["step"], -len(names[nm])))
        if closest is None or _first(out[best])["step"] > closest["step"]:
            closest = dict(_first(out[best]), kernels=kn,
                           flavour=sorted(names[best], key=universe.index))
        ok = [names[nm] for nm, r in out.items() if r["identical"]]
        if ok:
            k = min(len(s) for s in ok)
            sets = [sorted(s, key=universe.index) for s in ok if len(s) == k]
            return {"impl": impl, "universe": universe, "sets": sets, "kernels": kn,
                    "closest": closest, "replays": replays}
    return {"impl": impl, "universe": setulb_switches(), "sets": [], "kernels": None,
            "closest": closest, "replays": replays}


def explain(a, b, models, pair_first=None):
    """Explanation of ``a`` differing from ``b`` from their models.

    Returns {"explained": bool, "by": [names] (deviations in one model and
    not the other), "alternatives": [[names], ...] (other sets of the same
    size), "cause": text, "first": the first difference (of the pair's own
    lock step when given, else of the closest replay), "unreplayed": [impl]}.
    """
    ma, mb = models.get(a), models.get(b)
    unreplayed = [m["impl"] for m in (ma, mb) if m is not None and not m["sets"]]
    order = setulb_switches()
    if ma and mb and ma["sets"] and mb["sets"]:
        options = []
        for sa in ma["sets"]:
            for sb in mb["sets"]:
                d = sorted(set(sa) ^ set(sb), key=order.index)
                if d not in options:
                    options.append(d)
        options.sort(key=len)
        if ma["kernels"] != mb["kernels"]:
            options = [o + ["kernels"] for o in options]
        if options[0]:
            by = [KERNELS_CAUSE if nm == "kernels" else nm for nm in options[0]]
            return {"explained": True, "by": by, "alternatives": options[1:],
                    "cause": " + ".join(by), "first": pair_first, "unreplayed": [],
                    "kernels": [ma["kernels"], mb["kernels"]]}
        return {"explained": False, "by": [], "alternatives": [],
                "cause": "both are replayed by the same port flavour, yet they differ",
                "first": pair_first, "unreplayed": []}
    first = pair_first
    if first is None:
        for m in (ma, mb):
            if m is not None and not m["sets"]:
                first = dict(m["closest"], replay_of=m["impl"])
                break
    return {"explained": False, "by": [], "alternatives": [],
            "cause": "no subset of the deviations replays %s" % " or ".join(unreplayed),
            "first": first, "unreplayed": unreplayed}
