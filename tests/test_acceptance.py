"""One table of inputs through every entry point: the same acceptance.

Each row (x0, bounds, options) goes through ``lbfgsb.minimize`` (the
reference: SciPy 1.17.1's policy), ``Solver``, ``BatchSolver``,
``minimize_batch``, ``lbfgsb.dask.minimize_batch`` and SciPy's own
``minimize`` under ``patch_scipy``; each must raise the same exception (type
and text) or return bitwise the same ``x``, ``fun``, ``nit``, ``nfev``,
``status`` -- except where a row names a documented limit of the ask/tell
entry points (an x0 of float32, bounds fixing every variable: their
docstrings say so), which they must raise as stated.  Unpatched SciPy must
agree with ``minimize`` on acceptance (exception type and text, or a result),
except on the port's one refusal (infeasible infinite bounds).  Rows with
old-style pairs also go through ``fmin_l_bfgs_b``: the port's, and SciPy's
own patched and not, which must agree (its policy is SciPy's
``fmin_l_bfgs_b``'s: no broadcast of one pair).
"""

import warnings

import numpy as np
import pytest
import scipy.optimize as so
from scipy.optimize import Bounds

import lbfgsb

C = np.array([0.7, -0.4, 1.3])
W = np.array([1.0, 2.0, 3.0])


def fg(x):
    d = x - C
    return float(W @ (d * d)), 2 * W * d


def fg_batch(X, active):
    D = X - C
    return (D * D) @ W, 2 * W * D


def _x(*v, dtype=float):
    return lambda: np.array(v, dtype=dtype)


X3 = _x(0.0, 0.5, -1.0)
FLOAT64_ONLY = ("ValueError", "evaluates f and g at float64 points")
ALL_FIXED = ("ValueError", "all variables are fixed by the bounds")
# minimize evaluates f at x0 before the run (SciPy's ScalarFunction) and
# counts it when the run cannot reuse it (x0 with a NaN: x != x); an ask/tell
# run asks for x0 itself: one evaluation fewer, the same run otherwise
X0_EVALUATION = "nfev - 1"
PORT_REFUSAL = "a lower bound of +inf or an upper bound of -inf leaves no feasible point"

# (id, x0, bounds, options, what the ask/tell entry points do instead, if anything)
TABLE = [
    ("plain", X3, None, {}, None),
    ("one pair for all", X3, lambda: [(-1.0, 0.5)], {}, None),
    ("pairs with None", X3, lambda: [(None, 0.5), (-1, None), (None, None)], {}, None),
    ("NaN bound", X3, lambda: [(np.nan, 0.5)] * 3, {}, None),
    ("NaN pair for all", X3, lambda: [(np.nan, np.nan)], {}, None),
    ("signed zeros", X3, lambda: [(-0.0, 0.0), (-1, -0.0), (0.0, 2)], {}, None),
    ("Bounds scalar", X3, lambda: Bounds(-0.5, 0.5), {}, None),
    ("Bounds keep_feasible", X3, lambda: Bounds([0, -np.inf, 0], [0.5, 0.5, np.inf],
                                                keep_feasible=[True, False, True]), {}, None),
    ("Bounds int", X3, lambda: Bounds(np.array([0, -1, -2]), 1), {}, None),
    ("some fixed", X3, lambda: [(0.2, 0.2), (-1, 1), (-1, 1)], {}, None),
    ("all fixed", X3, lambda: [(0.2, 0.2)] * 3, {}, ALL_FIXED),
    ("object array pairs", X3, lambda: np.array([[0, None], [None, 1], [-1, 1]], dtype=object),
     {}, None),
    ("infinite x0", _x(np.inf, 0.0, 0.0), None, {}, None),
    ("infinite x0, bounded", _x(np.inf, 0.0, 0.0), lambda: [(-1, 1)] * 3, {}, None),
    ("NaN x0", _x(np.nan, 0.0, 0.0), None, {}, X0_EVALUATION),
    ("int x0", _x(1, 0, -1, dtype=int), None, {}, None),
    ("bool x0", _x(True, False, True, dtype=bool), None, {}, None),
    ("list x0", lambda: [0.0, 0.5, -1.0], None, {}, None),
    ("float32 x0", _x(0.0, 0.5, -1.0, dtype=np.float32), None, {}, FLOAT64_ONLY),
    ("2-d x0", lambda: np.zeros((3, 1)), None, {},
     {k: ("ValueError", "X0 must have shape (B, n)") for k in ("BatchSolver", "minimize_batch",
                                                                "dask")}),
    ("maxiter 2.5", X3, None, {"maxiter": 2.5}, None),
    ("maxiter 0", X3, None, {"maxiter": 0}, None),
    ("maxiter -1", X3, None, {"maxiter": -1}, None),
    ("maxiter inf", X3, None, {"maxiter": np.inf}, None),
    ("maxiter NaN", X3, None, {"maxiter": np.nan}, None),
    ("maxiter True", X3, None, {"maxiter": True}, None),
    ("maxiter float32", X3, None, {"maxiter": np.float32(1.5)}, None),
    ("maxiter None", X3, None, {"maxiter": None}, None),
    ("maxfun 2.5", X3, None, {"maxfun": 2.5}, None),
    ("maxfun 0", X3, None, {"maxfun": 0}, None),
    ("maxcor 1", X3, None, {"maxcor": 1}, None),
    ("maxcor 2.5", X3, None, {"maxcor": 2.5}, None),
    ("maxcor int64", X3, None, {"maxcor": np.int64(3)}, None),
    ("ftol -1", X3, None, {"ftol": -1.0}, X0_EVALUATION),   # ends at START
    ("ftol str", X3, None, {"ftol": "a"}, None),
    ("ftol NaN", X3, None, {"ftol": np.nan}, None),
    ("gtol None", X3, None, {"gtol": None}, None),
    ("gtol -1", X3, None, {"gtol": -1.0}, None),
    ("gtol inf", X3, None, {"gtol": np.inf}, None),
    ("maxls 0", X3, None, {"maxls": 0}, None),
    ("maxls 2.5", X3, None, {"maxls": 2.5}, None),
    ("maxls 2**40", X3, None, {"maxls": 2**40}, None),
    ("maxls 1", X3, None, {"maxls": 1}, None),
    ("lower > upper", X3, lambda: [(1, 0)] * 3, {}, None),
    ("wrong number of pairs", X3, lambda: [(0, 1)] * 2, {}, None),
    ("Bounds of the wrong length", X3, lambda: Bounds(np.zeros(2), np.ones(2)), {}, None),
    ("triples", X3, lambda: [(0, 1, 2)] * 3, {}, None),
    ("+inf lower bound", X3, lambda: [(np.inf, None), (0, 1), (0, 1)], {}, None),
    ("-inf upper bound", X3, lambda: Bounds(-1, [1, -np.inf, 1]), {}, None),
    ("bad string bound", X3, lambda: [("a", 1)] * 3, {}, None),
    ("string bounds", X3, lambda: [("-1", "0.5")] * 3, {}, None),
]
IDS = [row[0] for row in TABLE]


def _done(res):
    return ("ok", np.asarray(res["x"], dtype=float).tobytes(), repr(float(res["fun"])),
            int(res["nit"]), int(res["nfev"]), int(res["status"]))


def _call(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return _done(fn())
        except Exception as e:  # noqa: BLE001 - the exception is the outcome
            return ("raise", type(e).__name__, str(e))


def _solver(x0, bounds, opts):
    s = lbfgsb.Solver(x0, bounds, **opts)
    for x in s:
        s.tell(*fg(x))
    return s.result()


def _batch_solver(x0, bounds, opts):
    b = lbfgsb.BatchSolver(np.asarray(x0)[None], bounds, **opts)
    while not b.done:
        X = b.ask()
        b.tell(*fg_batch(X, b.active))
    return b.results()[0]


ENTRIES = {
    "Solver": _solver,
    "BatchSolver": _batch_solver,
    "minimize_batch": lambda x0, b, o: lbfgsb.minimize_batch(
        fg_batch, np.asarray(x0)[None], b, progress=False, **o)[0],
}


def _patched(x0, bounds, opts):
    with lbfgsb.scipy_patched(flavour="fortran"):
        return so.minimize(fg, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                           options=opts)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as c:
        yield c


def _reference(x0, bounds, opts):
    return _call(lambda: lbfgsb.minimize(fg, x0(), jac=True, bounds=bounds and bounds(),
                                         options=opts))


@pytest.mark.parametrize("row", TABLE, ids=IDS)
def test_every_entry_point_accepts_and_refuses_as_minimize(row, dask_client):
    _, x0, bounds, opts, limit = row
    ref = _reference(x0, bounds, opts)
    import lbfgsb.dask
    entries = dict(ENTRIES, dask=lambda x, b, o: lbfgsb.dask.minimize_batch(
        fg_batch, np.asarray(x)[None], b, client=dask_client, progress=False, **o)[0])
    for name, run in entries.items():
        got = _call(lambda: run(x0(), bounds and bounds(), dict(opts)))
        if isinstance(limit, dict):
            assert got == ref if name not in limit else (
                got[:2] == ("raise", limit[name][0]) and limit[name][1] in got[2]), (name, got)
        elif limit == X0_EVALUATION:
            assert got[:4] + (got[4] + 1,) + got[5:] == ref, f"{name}: {got}\nminimize: {ref}"
        elif limit is not None:
            assert got[:2] == ("raise", limit[0]) and limit[1] in got[2], (name, got)
        else:
            assert got == ref, f"{name}: {got}\nminimize: {ref}"
    assert _call(lambda: _patched(x0(), bounds and bounds(), opts)) == ref


@pytest.mark.parametrize("row", TABLE, ids=IDS)
def test_minimize_accepts_and_refuses_as_scipy(row):
    _, x0, bounds, opts, _limit = row
    ref = _call(lambda: so.minimize(fg, x0(), jac=True, method="L-BFGS-B",
                                    bounds=bounds and bounds(), options=opts))
    got = _reference(x0, bounds, opts)
    if got == ("raise", "ValueError", PORT_REFUSAL):
        return                  # the port's one refusal (docs/API.md, departures)
    assert got[0] == ref[0] and (got[0] == "ok" or got == ref), (got, ref)


@pytest.mark.parametrize("row", [r for r in TABLE if not isinstance(
    r[2] and r[2](), Bounds)], ids=[r[0] for r in TABLE if not isinstance(r[2] and r[2](), Bounds)])
def test_fmin_l_bfgs_b_accepts_and_refuses_as_scipys(row):
    _, x0, bounds, opts, _limit = row
    kw = {{"maxcor": "m", "gtol": "pgtol"}.get(k, k): v for k, v in opts.items()}
    if "ftol" in kw:
        kw["factr"] = kw.pop("ftol") / np.finfo(float).eps if isinstance(
            kw["ftol"], float) else kw.pop("ftol")

    def fmin(fm):
        x, f, d = fm(fg, x0(), bounds=bounds and bounds(), **kw)
        return dict(x=x, fun=f, nit=d["nit"], nfev=d["funcalls"], status=d["warnflag"])

    ours = _call(lambda: fmin(lbfgsb.fmin_l_bfgs_b))
    ref = _call(lambda: fmin(so.fmin_l_bfgs_b))
    with lbfgsb.scipy_patched(flavour="fortran"):
        patched = _call(lambda: fmin(so.fmin_l_bfgs_b))
    assert patched == ours
    if ours != ("raise", "ValueError", PORT_REFUSAL):
        assert ours[0] == ref[0] and (ours[0] == "ok" or ours == ref), (ours, ref)
