"""Why runs differ and what they show: the parting of two runs and what
decides it, the gradient check, and the advice of ``lbfgsb.diagnose``.

The parting of two runs is the first call of the objective at which their
records (:class:`lbfgsb._diagnose_run.Recorder`) differ.  Same x, other f/g
bits: the objective's own arithmetic.  Another x (every earlier call equal):
the optimizer made other bits from the same inputs; when the runs differ in
flavour only, the deviations that decide it are found by experiment: the
first run is replayed with subsets of the deviations between the two
flavours switched (smallest first), each replay stopped as soon as it leaves
the second run's record or follows it past the parting.
"""

import itertools
import math

import numpy as np

from lbfgsb._diagnose_run import run_variant
from lbfgsb.port.deviations import FLAVOURS, deviations, flavour_label

#: at most this many replays per parting
MAX_REPLAYS = 64

#: a gradient error above this is reported as wrong
GRADIENT_TOL = 1e-4

_EPS = np.finfo(float).eps
_AXES = ("flavour", "kernels", "coretype")


def _names(flavour):
    label = flavour_label(flavour)
    return FLAVOURS[label] if label in FLAVOURS else frozenset(label.split("+"))


def _axes(a, b):
    return [ax for ax in _AXES if a[ax] != b[ax]]


def _first_diff(ea, eb):
    """Index of the first differing entry (kind, x hash, output hash); None
    when the records are the same."""
    for k, (p, q) in enumerate(zip(ea, eb)):
        if p[:3] != q[:3]:
            return k
    return None if len(ea) == len(eb) else min(len(ea), len(eb))


def _iteration(rec, k):
    """The iteration during which call ``k`` was made (0: before the first)."""
    return sum(1 for m in rec["marks"] if m <= k)


def _same_outcome(r, b):
    return (r["message"] == b["message"] and r["error"] == b["error"]
            and np.float64(r["fun"]).tobytes() == np.float64(b["fun"]).tobytes())


def _replay(a, b, k, problem):
    """The smallest sets of deviations that, switched in ``a``'s flavour, make
    it follow ``b`` through call ``k`` (the whole run when ``k`` is None);
    returns (sets, replays made)."""
    na, nb = _names(a["flavour"]), _names(b["flavour"])
    delta = [d.name for d in deviations(port=False)
             if d.name in (na ^ nb) and not d.description.endswith("(state only)")]
    rb = b["_rec"]
    need = len(rb["entries"]) + 1 if k is None else k + 1
    tried = 0
    for size in range(1, len(delta) + 1):
        found = []
        for s in itertools.combinations(delta, size):
            if tried >= MAX_REPLAYS:
                return found, tried
            r = run_variant(problem, sorted(na ^ set(s)), a["kernels"],
                            target=(rb["entries"], need))
            tried += 1
            if (r["matched"] >= need if k is not None else
                    not r["replayed"] and r["matched"] == len(rb["entries"])
                    and _same_outcome(r, rb)):
                found.append(list(s))
        if found:
            return found, tried
    return [], tried


def _where(a, b, k):
    ra, rb = a["_rec"], b["_rec"]
    if k is None:
        return "%s and %s make the same calls of the objective" % (a["name"], b["name"])
    text = "%s and %s part at call %d of the objective (iteration %d)" % (
        a["name"], b["name"], k + 1, _iteration(ra, k))
    if k >= len(ra["entries"]) or k >= len(rb["entries"]):
        short = a if k >= len(ra["entries"]) else b
        return text + ": %s had stopped" % short["name"]
    xa, xb = ra["xs"][k], rb["xs"][k]
    if xa is not None and xb is not None and xa.shape == xb.shape:
        d = np.max(np.abs(xa - xb)) / max(np.max(np.abs(xa)), np.max(np.abs(xb)), 1e-300)
        text += ": x differs by %.1e (relative)" % d
    return text


def parting(a, b, problem):
    """Where runs ``a`` and ``b`` (variant dicts with ``_rec``) part, and why."""
    ra, rb = a["_rec"], b["_rec"]
    ea, eb = ra["entries"], rb["entries"]
    k = _first_diff(ea, eb)
    axes = _axes(a, b)
    out = {"a": a["name"], "b": b["name"], "evaluation": None if k is None else k + 1,
           "iteration": None if k is None else _iteration(ra, k), "axes": axes,
           "deviations": [], "cause": None}
    where = _where(a, b, k)
    both = k is not None and k < len(ea) and k < len(eb)
    if both and ea[k][0] == eb[k][0] and ea[k][1] == eb[k][1]:
        out["cause"] = "objective"
        out["text"] = (where + ": at the same x the objective returns other bits (f = %r "
                       "vs %r): its own arithmetic differs between the two settings (%s)"
                       % (ea[k][3], eb[k][3], ", ".join(axes)))
    elif axes == ["flavour"] and a["coretype"] is None:
        sets, tried = _replay(a, b, k, problem)
        if sets:
            by = sets[0]
            out.update(cause="deviation", deviations=by, alternatives=sets[1:])
            desc = {d.name: d.description for d in deviations(port=False)}
            out["text"] = (where + "; decided by the deviation%s %s (%s): %s with %s "
                           "switched follows %s %s (%d replays)" % (
                               "s" if len(by) > 1 else "", " + ".join(by),
                               "; ".join(desc[n] for n in by), a["name"],
                               "it" if len(by) == 1 else "them", b["name"],
                               "through that call" if k is not None else "to the end",
                               tried))
        else:
            out["cause"] = "unexplained"
            out["text"] = (where + "; no set of the deviations between %s and %s makes one "
                           "follow the other (%d replays)" % (a["flavour"], b["flavour"], tried))
    elif axes == ["kernels"] or (axes == ["coretype"] and a["kernels"] == "scipy"):
        out["cause"] = "kernels"
        what = ("SciPy's OpenBLAS and the reference-order kernels" if axes == ["kernels"]
                else "OpenBLAS's kernels for %s and for %s" % tuple(
                    "core type " + c if c else "this CPU's own choice"
                    for c in (a["coretype"], b["coretype"])))
        out["text"] = (where + "; decided by the optimizer's BLAS/LAPACK: %s round its dot "
                       "products and factorizations differently" % what)
    elif axes == ["coretype"]:
        out["cause"] = "unexplained"
        out["text"] = (where + ": the optimizer took other steps from the same inputs "
                       "although its kernels are the reference ones")
    else:
        out["cause"] = "settings"
        out["text"] = where + "; the runs differ in %s" % " and ".join(axes)
    return out


def partings(groups, problem):
    """For each outcome other than the first run's, one parting per setting
    (flavour, kernels, core type) that alone separates a run of it from a
    run of another outcome (preferring a run of the first outcome, runs made
    here, the first run); the closest pair when no one setting does."""
    first = groups[0][0]

    def rank(p):
        return (p[0]["outcome"] != 1,
                p[0]["coretype"] is not None or p[1]["coretype"] is not None,
                p[0] is not first)
    out = []
    for i, g in enumerate(groups[1:], 1):
        pairs = [(a, b) for j, h in enumerate(groups) if j != i for a in h for b in g]
        chosen = []
        for ax in _AXES:
            one = [p for p in pairs if _axes(*p) == [ax]]
            if one:
                chosen.append(min(one, key=rank))
        if not chosen:
            chosen.append(min(pairs, key=lambda p: (len(_axes(*p)),) + rank(p)))
        out.extend(parting(a, b, problem) for a, b in chosen)
    return out


# ---------------------------------------------------------------------------
# the gradient check

def _box(problem, n):
    from scipy.optimize._minimize import standardize_bounds
    if problem["bounds"] is None:
        return np.full(n, -np.inf), np.full(n, np.inf)
    b = standardize_bounds(problem["bounds"], np.zeros(n), "new")
    return (np.broadcast_to(np.asarray(b.lb, float), (n,)).copy(),
            np.broadcast_to(np.asarray(b.ub, float), (n,)).copy())


def _differences(f, x, f0, lo, hi, scale=1.0):
    """Central differences of ``f`` at ``x`` with steps ``scale`` times
    eps**(1/3) max(1, |x_i|) (second-order one-sided next to a bound)."""
    n = x.size
    d = np.zeros(n)
    for i in range(n):
        h = scale * _EPS ** (1 / 3) * max(1.0, abs(x[i]))
        room_up, room_dn = hi[i] - x[i], x[i] - lo[i]
        if room_up + room_dn < 4 * h:
            h = (room_up + room_dn) / 4
            if h == 0:
                continue                             # a fixed variable
        e = np.zeros(n)
        e[i] = h
        if room_up >= h and room_dn >= h:
            d[i] = (f(x + e) - f(x - e)) / (2 * h)
        elif room_up >= 2 * h:
            d[i] = (-3 * f0 + 4 * f(x + e) - f(x + 2 * e)) / (2 * h)
        else:
            d[i] = (3 * f0 - 4 * f(x - e) + f(x - 2 * e)) / (2 * h)
    return d


def _fd_gradient(f, x, f0, lo, hi):
    """(g_fd, uncertainty): central differences at steps h and h/2 combined
    by Richardson extrapolation; the uncertainty of each component is their
    disagreement plus the rounding error of the smaller step."""
    d1 = _differences(f, x, f0, lo, hi)
    d2 = _differences(f, x, f0, lo, hi, 0.5)
    h2 = 0.5 * _EPS ** (1 / 3) * np.maximum(1.0, np.abs(x))
    return (4 * d2 - d1) / 3, np.abs(d1 - d2) + 4 * _EPS * abs(f0) / h2


def gradient_check(problem, first):
    """The user's gradient against central differences at x0 and at the
    first run's final x: {"error", "component", "detail", "g", "g_fd", "at"}."""
    fun, jac, args = problem["fun"], problem["jac"], problem["args"]
    if not isinstance(args, tuple):
        args = (args,)
    if not (callable(jac) or jac is True):
        return {"error": None, "component": None,
                "detail": "no gradient given (finite differences): not checked"}

    def fg(x):
        if jac is True:
            f, g = fun(x, *args)
        else:
            f, g = fun(x, *args), jac(x, *args)
        return float(np.asarray(f, dtype=float).reshape(())), \
            np.asarray(g, dtype=float).ravel()

    x0 = np.asarray(problem["x0"], dtype=float).ravel()
    lo, hi = _box(problem, x0.size)
    points = [("x0", np.clip(x0, lo, hi))]
    if first["x"] is not None:
        points.append(("the final x of %s" % first["name"], np.asarray(first["x"], float)))
    best = None
    try:
        for at, x in points:
            f0, g = fg(x)
            gfd, unc = _fd_gradient(lambda y: fg(y)[0], x, f0, lo, hi)
            err = np.maximum(np.abs(g - gfd) - unc, 0.0)
            scale = max(np.max(np.abs(g), initial=0.0), np.max(np.abs(gfd), initial=0.0),
                        1e-300)
            i = int(np.argmax(err)) if err.size else 0
            rel = float(err[i] / scale) if err.size else 0.0
            if best is None or rel > 1.01 * best["error"] or math.isnan(rel):
                best = {"error": rel, "component": i, "at": at, "g": float(g[i]),
                        "g_fd": float(gfd[i])}
    except Exception as exc:                            # noqa: BLE001
        return {"error": None, "component": None,
                "detail": "not checked: the objective raised %s: %s"
                % (type(exc).__name__, exc)}
    if best["error"] == 0:
        best["detail"] = ("agrees with central differences to their accuracy at %s"
                          % " and at ".join(at for at, _ in points))
        return best
    best["detail"] = ("largest in component %d at %s: gradient %.6g, central "
                      "differences %.6g" % (best["component"], best["at"], best["g"],
                                            best["g_fd"]))
    return best


# ---------------------------------------------------------------------------
# advice

def _line_search(first, problem, grad_wrong):
    """A sentence on a run that ended in ABNORMAL_TERMINATION_IN_LNSRCH."""
    rec = first["_rec"]
    start = rec["marks"][-1] if rec["marks"] else 0
    tail = rec["entries"][start:]
    given = callable(problem["jac"]) or problem["jac"] is True
    k = sum(1 for e in tail if e[0] in ("g", "fg")) if given else len(tail)
    maxls = problem["options"].get("maxls", 20)
    what = "evaluations" if given else "calls of fun (finite differences)"
    text = ("%s ended with ABNORMAL_TERMINATION_IN_LNSRCH: after iteration %d it made %d "
            "%s without finding an acceptable step (maxls = %s per line search; after a "
            "failed search L-BFGS-B drops its memory and searches once more along the "
            "projected steepest descent before giving up)."
            % (first["name"], first["nit"] or 0, k, what, maxls))
    if not given:
        return text
    if grad_wrong:
        text += " The gradient is wrong (above): a larger maxls would not help."
    elif k < maxls:
        text += (" So no line search hit maxls: they stopped because no step along the "
                 "direction decreased f enough (rounding noise, or a gradient that does "
                 "not match f); a larger maxls would not help.")
    elif k >= 2 * maxls:
        text += " Both searches used all maxls evaluations; a larger maxls may help."
    else:
        text += " At most one of the searches used all maxls evaluations."
    return text


def _flat(first):
    """A sentence when the last calls of the objective, at different points,
    returned f within a few ulps of the last f; else None."""
    calls = [e for e in first["_rec"]["entries"] if not math.isnan(e[3])]
    if not calls or not math.isfinite(calls[-1][3]):
        return None
    last = calls[-1][3]
    tol = 8 * _EPS * abs(last)
    tail = []
    for e in reversed(calls):
        if not abs(e[3] - last) <= tol:
            break
        tail.append(e)
    if len({e[1] for e in tail}) < 2:
        return None
    spread = max(e[3] for e in tail) - min(e[3] for e in tail)
    ulps = spread / (_EPS * abs(last)) if last else 0.0
    return ("f is flat to machine precision where %s stopped: its last %d values, at %d "
            "different points, agree to %.0f ulp%s (f = %.17g), so L-BFGS-B cannot see a "
            "decrease there and where it stops is decided by rounding." % (
                first["name"], len(tail), len({e[1] for e in tail}), ulps,
                "" if round(ulps) == 1 else "s", last))


def _at_bounds(first, problem):
    x = first["x"]
    if x is None:
        return None
    lo, hi = _box(problem, x.size)
    at_l = np.flatnonzero(x == lo)
    at_u = np.flatnonzero(x == hi)
    if not at_l.size and not at_u.size:
        return None

    def few(ix):
        s = ", ".join(str(i) for i in ix[:6])
        return s + (", ..." if ix.size > 6 else "")
    parts = []
    if at_l.size:
        parts.append("%d at the lower bound (x[%s])" % (at_l.size, few(at_l)))
    if at_u.size:
        parts.append("%d at the upper bound (x[%s])" % (at_u.size, few(at_u)))
    return ("Of %d variables, %s where %s stopped: there the projected gradient, not the "
            "gradient, decides convergence; a bound that should not be active is a "
            "modelling question." % (x.size, " and ".join(parts), first["name"]))


def _last_bits(parting_list):
    causes = {p["cause"] for p in parting_list}
    out = []
    devs = sorted({d for p in parting_list for d in p["deviations"]})
    if causes & {"deviation", "kernels", "settings"}:
        what = []
        if devs:
            what.append("the deviation%s %s" % ("s" if len(devs) > 1 else "", ", ".join(devs)))
        if "kernels" in causes:
            what.append("the BLAS kernels")
        if "settings" in causes and not what:
            what.append("the settings")
        out.append("The answer depends on the last bits of the optimizer's arithmetic (%s "
                   "decide%s where the runs part), and L-BFGS-B feeds those bits into every "
                   "later step: where it stops is set by rounding, not by the problem. A "
                   "tighter gtol (or ftol) makes every run go on further (to the same "
                   "minimum, where there is one nearby); kernels='reference' with a fixed "
                   "flavour gives the same bits on every machine."
                   % (" and ".join(what), "s" if len(devs) == 1 and len(what) == 1 else ""))
    if "objective" in causes:
        out.append("The objective itself returns other bits at the same x in different "
                   "settings (its own arithmetic: NumPy's BLAS through @, np.dot or "
                   "np.linalg picks kernels by CPU); no optimizer option removes that. "
                   "Elementwise operations and math.fsum give the same bits everywhere.")
    return out


def advice(ran, groups, parting_list, grad, problem):
    """Plain sentences about what the runs show (the first run is the user's)."""
    first = ran[0]
    out = []
    errors = [v for v in ran if v["error"] is not None]
    if errors and len(errors) == len(ran):
        out.append("The objective raised in every run: %s. Nothing can be compared until it "
                   "evaluates at the runs' points (x0 first)." % errors[0]["error"])
    elif errors:
        out.append("The objective raised in %d of %d runs (%s): %s. Those runs reached "
                   "points the others did not; make the objective defined on the whole "
                   "box, or bound the variables where it is not." % (
                       len(errors), len(ran), ", ".join(v["name"] for v in errors[:4])
                       + (", ..." if len(errors) > 4 else ""), errors[0]["error"]))
    grad_wrong = grad.get("error") is not None and grad["error"] > GRADIENT_TOL
    if grad_wrong:
        out.append("The gradient disagrees with central differences in component %d at %s: "
                   "the gradient gives %.6g, the differences %.6g (relative error %.1e). A "
                   "wrong gradient is the commonest cause of line-search failures; check "
                   "component %d of jac." % (grad["component"], grad["at"], grad["g"],
                                             grad["g_fd"], grad["error"], grad["component"]))
    ftol = problem["options"].get("ftol", problem["options"].get("tol"))
    if ftol == 0 and any("REDUCTION" in v["message"] for v in ran):
        out.append("ftol=0 makes the relative-reduction test stop the run as soon as one "
                   "iteration fails to decrease f at all (rounding noise can do that), "
                   "not when it is close to a minimum; use gtol to ask for accuracy.")
    if first["error"] is None and first["_rec"]["task"].startswith("ABNORMAL"):
        out.append(_line_search(first, problem, grad_wrong))
    if first["error"] is None:
        for s in (_flat(first), _at_bounds(first, problem)):
            if s:
                out.append(s)
    out.extend(_last_bits(parting_list))
    if len(groups) == 1 and not errors and len(ran) > 1:
        out.append("Every run ends alike: the answer does not depend on the flavour, the "
                   "kernels or the core type.")
    return out
