"""The ask/tell Solver: the iterates of minimize bit for bit, checkpoints that
resume bit for bit (dict, pickle, npz, another process), clear errors that
leave the state intact."""

import io
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.optimize as so
from numpy.testing import assert_array_equal

import lbfgsb
import reference

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------------------
# helpers

def problem(name):
    p = reference.get(name)
    bounds = None if p.lower is None else so.Bounds(p.lower, p.upper)
    return p, bounds


def reference_run(fg, x0, bounds, **kw):
    """minimize's run, with the points where it evaluated f and g."""
    points = []

    def rec(x):
        points.append(x.copy())
        return fg(x)
    res = lbfgsb.minimize(rec, x0, jac=True, bounds=bounds, **kw)
    return res, points


def solve(solver, fg):
    """Drive a solver to the end; the points it asked for."""
    points = []
    for x in solver:
        points.append(x)
        solver.tell(*fg(x))
    return points


def assert_same_result(r, res):
    """Bitwise equality of two OptimizeResults of the port."""
    assert_array_equal(r.x, res.x)
    assert r.fun == res.fun or (np.isnan(r.fun) and np.isnan(res.fun))
    assert_array_equal(r.jac, res.jac)
    assert (r.nit, r.nfev, r.njev, r.status, r.success, r.task, r.message) == \
        (res.nit, res.nfev, res.njev, res.status, res.success, res.task, res.message)
    assert_array_equal(r.hess_inv.sk, res.hess_inv.sk)
    assert_array_equal(r.hess_inv.yk, res.hess_inv.yk)


def assert_same_points(a, b):
    assert len(a) == len(b)
    for p, q in zip(a, b):
        assert_array_equal(p, q)


PROBLEMS = ["BEALE", "BIGGS6", "ARGTRIGLS", "HATFLDB", "HS110", "PALMER1",
            "EXPLIN", "HS45", "MDHOLE", "QRTQUAD"]


# ---------------------------------------------------------------------------
# the same iterates as minimize / fmin_l_bfgs_b

@pytest.mark.parametrize("name", PROBLEMS)
def test_ask_tell_makes_the_iterates_of_minimize_bitwise(name):
    p, bounds = problem(name)
    res, points = reference_run(p.fg, p.x0, bounds)
    s = lbfgsb.Solver(p.x0, bounds)
    asked = solve(s, p.fg)
    assert_same_points(asked, points)
    assert_same_result(s.result(), res)
    assert s.done and s.success == res.success
    assert_array_equal(s.x, res.x)
    assert s.f == res.fun
    assert_array_equal(s.g, res.jac)


@pytest.mark.parametrize("name", ["BIGGS6", "PALMER1"])
def test_ask_tell_matches_fmin_l_bfgs_b_with_its_option_names(name):
    p, bounds = problem(name)
    pairs = None if bounds is None else list(zip(p.lower, p.upper))
    x, f, d = lbfgsb.fmin_l_bfgs_b(p.fg, p.x0, bounds=pairs, m=4, factr=1e10,
                                   pgtol=1e-7, maxls=7)
    s = lbfgsb.Solver(p.x0, pairs, m=4, factr=1e10, pgtol=1e-7, maxls=7)
    solve(s, p.fg)
    assert_array_equal(s.x, x)
    assert s.f == f
    assert_array_equal(s.g, d["grad"])
    assert (s.nfev, s.nit, s.status, s.message) == \
        (d["funcalls"], d["nit"], d["warnflag"], d["task"])


@pytest.mark.parametrize("opts", [dict(maxiter=5), dict(maxfun=9),
                                  dict(flavour="scipy"), dict(maxcor=3, ftol=1e-12, gtol=1e-9)])
def test_stopping_rules_and_flavours_match_minimize(opts):
    p, bounds = problem("LOGROS")
    res, points = reference_run(p.fg, p.x0, bounds, **opts)
    s = lbfgsb.Solver(p.x0, bounds, **opts)
    assert_same_points(solve(s, p.fg), points)
    assert_same_result(s.result(), res)
    if "maxiter" in opts or "maxfun" in opts:
        assert s.status == 1 and s.task.startswith("STOP")


def test_non_finite_values_are_passed_through_as_in_minimize():
    # f is NaN outside a disc: the port does with it what minimize does
    def fg(x):
        f, g = so.rosen(x), so.rosen_der(x)
        if x @ x > 4.0:
            return np.nan, g * np.nan
        return f, g
    x0 = np.array([-1.2, 1.0, 0.3])
    res, points = reference_run(fg, x0, None)
    s = lbfgsb.Solver(x0)
    assert_same_points(solve(s, fg), points)
    assert_same_result(s.result(), res)


def test_the_first_request_is_x0_clipped_to_the_bounds():
    s = lbfgsb.Solver([3.0, -3.0, 0.5], [(0, 1), (-1, None), (None, None)])
    assert_array_equal(s.ask(), [1.0, -1.0, 0.5])
    assert s.task == "FG_START" and not s.done and s.nit == 0 and s.nfev == 0
    assert np.isnan(s.f) and np.isnan(s.projected_gradient_norm)
    assert s.status is None and not s.success


def test_x_f_g_are_the_last_accepted_iterate_during_the_run():
    p, bounds = problem("PALMER1")
    res, points = reference_run(p.fg, p.x0, bounds)
    s = lbfgsb.Solver(p.x0, bounds)
    last_nit, accepted = -1, []
    for x in s:
        f, g = p.fg(x)
        s.tell(f, g)
        if s.nit != last_nit:
            # an iterate was accepted: it is one of the evaluated points
            last_nit = s.nit
            accepted.append((s.x, s.f, s.g))
            assert any(np.array_equal(s.x, q) for q in points)
            assert (s.f, *s.g) == (*[p.fg(s.x)[0]], *p.fg(s.x)[1])
            pgn = s.projected_gradient_norm
            assert pgn > 0 and np.isfinite(pgn)
    assert len(accepted) == res.nit + 1         # x0 and every iterate
    assert_array_equal(accepted[-1][0], res.x)


def test_projected_gradient_norm_is_below_pgtol_at_convergence():
    p, bounds = problem("HS110")
    s = lbfgsb.Solver(p.x0, bounds, pgtol=1e-5)
    solve(s, p.fg)
    assert s.task.startswith("CONVERGENCE: NORM")
    assert s.projected_gradient_norm <= 1e-5


def test_stop_ends_at_the_last_accepted_iterate_like_a_callback_halt():
    p, bounds = problem("BIGGS6")
    k = 6

    def cb(xk):
        cb.calls += 1
        if cb.calls == k:
            raise StopIteration
    cb.calls = 0
    res = lbfgsb.minimize(p.fg, p.x0, jac=True, bounds=bounds, callback=cb)
    s = lbfgsb.Solver(p.x0, bounds)
    for x in s:
        s.tell(*p.fg(x))
        if s.nit == k:
            s.stop()
    r = s.result()
    assert r.task == res.task == "STOP: CALLBACK REQUESTED HALT"
    assert (r.nit, r.nfev) == (res.nit, res.nfev)
    # minimize, as SciPy's, reports the callback's StopIteration as status 99
    assert (r.status, res.status) == (2, 99)
    assert_array_equal(r.x, res.x)
    assert r.fun == res.fun
    assert_array_equal(r.jac, res.jac)
    s.stop()                                    # a no-op when done
    assert s.task == "STOP: CALLBACK REQUESTED HALT"


def test_stop_before_the_first_tell_keeps_x0():
    s = lbfgsb.Solver([1.0, 2.0])
    s.stop()
    r = s.result()
    assert s.done and r.nfev == 0 and r.nit == 0 and np.isnan(r.fun)
    assert_array_equal(r.x, [1.0, 2.0])


# ---------------------------------------------------------------------------
# checkpoints

def finish(solver, fg):
    points = solve(solver, fg)
    return points, solver.result()


@pytest.mark.parametrize("name", ["PALMER1", "BIGGS6"])
def test_resuming_at_every_request_is_bitwise_identical(name):
    p, bounds = problem(name)
    ref = lbfgsb.Solver(p.x0, bounds)
    all_points, res = finish(ref, p.fg)
    for k in range(len(all_points) + 1):
        s = lbfgsb.Solver(p.x0, bounds)
        for _ in range(k):
            if s.done:
                break
            s.tell(*p.fg(s.ask()))
        if k % 3 == 0 and not s.done:
            s.ask()                  # a checkpoint after ask is the same
        # three ways of saving, in turn
        if k % 3 == 0:
            t = lbfgsb.Solver.from_state(s.state_dict())
        elif k % 3 == 1:
            t = pickle.loads(pickle.dumps(s))
        else:
            buf = io.BytesIO()
            s.save(buf)
            buf.seek(0)
            t = lbfgsb.Solver.load(buf)
        del s
        rest, r = finish(t, p.fg)
        assert_same_points(rest, all_points[k:])
        assert_same_result(r, res)


def test_state_dict_round_trip_keeps_every_entry():
    p, bounds = problem("HATFLDB")
    s = lbfgsb.Solver(p.x0, bounds, m=3, maxls=9, flavour="scipy", maxiter=40)
    for _ in range(7):
        s.tell(*p.fg(s.ask()))
    d = s.state_dict()
    assert d["format"] == "lbfgsb.Solver" and d["format_version"] == 2
    assert d["lbfgsb_version"] == lbfgsb.__version__
    for t in (lbfgsb.Solver.from_state(d), pickle.loads(pickle.dumps(s))):
        e = t.state_dict()
        assert set(e) == set(d)
        for key in d:
            assert_array_equal(np.asarray(e[key]), np.asarray(d[key]), err_msg=key)
        assert t.options == s.options == dict(
            m=3, factr=s.options["factr"], pgtol=1e-5, maxls=9, maxiter=40,
            maxfun=15000, flavour="scipy", kernels="scipy", iprint=-1)


def test_npz_file_round_trip_and_a_done_solver(tmp_path):
    p, bounds = problem("HS45")
    s = lbfgsb.Solver(p.x0, bounds)
    solve(s, p.fg)
    path = tmp_path / "done.ckpt"
    s.save(path)
    assert path.exists() and not list(tmp_path.glob("*.tmp*"))
    t = lbfgsb.Solver.load(path)
    assert t.done
    assert_same_result(t.result(), s.result())
    with np.load(path, allow_pickle=False) as z:   # plain arrays, no pickle
        assert "wa" in z.files and z["task"].dtype == np.uint8


def test_resuming_in_another_process_is_bitwise_identical(tmp_path):
    p, bounds = problem("PALMER1")
    ref = lbfgsb.Solver(p.x0, bounds)
    all_points, res = finish(ref, p.fg)
    s = lbfgsb.Solver(p.x0, bounds)
    k = 11
    for _ in range(k):
        s.tell(*p.fg(s.ask()))
    s.save(tmp_path / "ckpt.npz")
    script = f"""
import numpy as np, lbfgsb, reference
p = reference.get("PALMER1")
s = lbfgsb.Solver.load({str(tmp_path / 'ckpt.npz')!r})
pts = []
for x in s:
    pts.append(x)
    s.tell(*p.fg(x))
r = s.result()
np.savez({str(tmp_path / 'out.npz')!r}, x=r.x, fun=r.fun, jac=r.jac, nit=r.nit,
         nfev=r.nfev, sk=r.hess_inv.sk, pts=np.array(pts))
"""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.dirname(os.path.dirname(lbfgsb.__file__)), str(ROOT)])
    subprocess.run([sys.executable, "-P", "-c", script], check=True, env=env,
                   cwd=tmp_path)
    with np.load(tmp_path / "out.npz") as z:
        assert_array_equal(z["x"], res.x)
        assert z["fun"] == res.fun
        assert_array_equal(z["jac"], res.jac)
        assert (z["nit"], z["nfev"]) == (res.nit, res.nfev)
        assert_array_equal(z["sk"], res.hess_inv.sk)
        assert_array_equal(z["pts"], np.array(all_points[k:]))


# -- corrupted or incompatible checkpoints

def mid_run_state():
    p, bounds = problem("PALMER1")
    s = lbfgsb.Solver(p.x0, bounds)
    for _ in range(12):
        s.tell(*p.fg(s.ask()))
    assert s.task == "FG_LNSRCH" or s.task == "FG_START" or s.nit > 2
    return s.state_dict()


def corrupt(**changes):
    d = mid_run_state()
    for key, fn in changes.items():
        d[key] = fn(d[key])
    return d


def _set(a, i, v):
    a = a.copy()
    a[i] = v
    return a


@pytest.mark.parametrize("case, d, match", [
    ("newer format", lambda: corrupt(format_version=lambda v: 3), "version 3"),
    ("other format", lambda: corrupt(format=lambda v: "pickle"), "format"),
    ("missing entry", lambda: {k: v for k, v in mid_run_state().items() if k != "wa"},
     "missing"),
    ("short wa", lambda: corrupt(wa=lambda a: a[:-1]), "wa must have shape"),
    ("wrong n", lambda: corrupt(n=lambda v: v + 1), "shape"),
    ("wrong m", lambda: corrupt(m=lambda v: v + 1), "wa must have shape"),
    ("partition", lambda: corrupt(isave=lambda a: _set(a, 4, a[4] + 1)), "partition"),
    ("head", lambda: corrupt(isave=lambda a: _set(a, 26, 99)), "corrupted"),
    ("index", lambda: corrupt(iwa=lambda a: _set(a, 0, 999)), "iwa"),
    ("task", lambda: corrupt(task=lambda t: b"NEW_X"), "task"),
    ("garbage task", lambda: corrupt(task=lambda t: b"HELLO"), "task"),
    ("non-ascii task", lambda: corrupt(task=lambda t: "FG_ST\u00e9"), "ASCII"),
    ("csave", lambda: corrupt(csave=lambda t: b"XYZ"), "csave"),
    ("NaN x", lambda: corrupt(x=lambda a: _set(a, 0, np.nan)), "NaN"),
    ("NaN bound", lambda: corrupt(l=lambda a: _set(a, 0, np.nan)), "NaN"),
    ("nbd", lambda: corrupt(nbd=lambda a: _set(a, 0, 7)), "nbd"),
    ("float isave", lambda: corrupt(isave=lambda a: a.astype(float)), "integers"),
    ("flavour", lambda: corrupt(flavour=lambda v: "fortran77"), "flavour"),
    ("maxiter", lambda: corrupt(maxiter=lambda v: -1), "maxiter"),
    ("maxls", lambda: corrupt(maxls=lambda v: 0), "maxls"),
    ("text nit", lambda: corrupt(nit=lambda v: "3"), "nit"),
    ("not a mapping", lambda: [1, 2, 3], "mapping"),
])
def test_corrupted_checkpoints_are_refused_with_a_clear_error(case, d, match):
    with pytest.raises(ValueError, match=match):
        lbfgsb.Solver.from_state(d())


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 certainly not a zip file")
    with pytest.raises(ValueError, match="checkpoint"):
        lbfgsb.Solver.load(bad)
    np.savez(tmp_path / "other.npz", a=np.arange(3))
    with pytest.raises(ValueError, match=r"unknown members \['a'\]"):
        lbfgsb.Solver.load(tmp_path / "other.npz")
    np.savez(tmp_path / "other.npz", x=np.arange(3))
    with pytest.raises(ValueError, match=r"missing entries \['n', 'm'\]"):
        lbfgsb.Solver.load(tmp_path / "other.npz")
    with pytest.raises(FileNotFoundError):
        lbfgsb.Solver.load(tmp_path / "absent.npz")


def test_a_checkpoint_is_independent_of_the_solver():
    p, bounds = problem("HS110")
    s = lbfgsb.Solver(p.x0, bounds)
    s.tell(*p.fg(s.ask()))
    d = s.state_dict()
    before = {k: np.array(v, copy=True) for k, v in d.items()}
    solve(s, p.fg)
    for k in d:
        assert_array_equal(np.asarray(d[k]), before[k], err_msg=k)


# ---------------------------------------------------------------------------
# bad input: clear errors, state intact

def test_protocol_misuse_raises_and_leaves_the_state_intact():
    p, bounds = problem("PALMER1")
    ref = lbfgsb.Solver(p.x0, bounds)
    _, res = finish(ref, p.fg)

    s = lbfgsb.Solver(p.x0, bounds)
    x = s.ask()
    f, g = p.fg(x)
    with pytest.raises(RuntimeError, match="without ask"):
        lbfgsb.Solver(p.x0, bounds).tell(f, g)       # tell before ask
    s.tell(f, g)
    with pytest.raises(RuntimeError, match="without ask"):
        s.tell(f, g)                                 # tell twice
    x = s.ask()
    f, g = p.fg(x)
    bad = [((f, g[:-1]), ValueError, "shape"),
           ((f, g[None, :]), ValueError, "shape"),
           ((f, [str(v) for v in g]), ValueError, "real"),
           ((f, g + 0j), ValueError, "real"),
           ((np.array([f, f]), g), ValueError, "scalar"),
           (("1.0", g), ValueError, "scalar"),
           ((None, g), ValueError, "scalar"),
           ((f + 1j, g), ValueError, "scalar")]
    for args, exc, match in bad:
        with pytest.raises(exc, match=match):
            s.tell(*args)
        # still at the same request, and a checkpoint still resumes
        assert_array_equal(s.ask(), x)
    t = lbfgsb.Solver.from_state(s.state_dict())
    s.tell(f, g)
    t.ask()
    t.tell(f, g)
    for u in (s, t):
        _, r = finish(u, p.fg)
        assert_same_result(r, res)
        with pytest.raises(RuntimeError, match="done"):
            u.tell(f, g)
        with pytest.raises(RuntimeError, match="done"):
            u.ask()
        assert_same_result(u.result(), res)


def test_result_while_running_raises():
    s = lbfgsb.Solver([1.0, 2.0])
    with pytest.raises(RuntimeError, match="running"):
        s.result()


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(x0=[]), ValueError, "at least one"),
    (dict(x0=np.zeros(2, np.float32)), ValueError, "float64"),
    (dict(x0=np.zeros((2, 1))), ValueError, "one dimension"),
    (dict(x0=["a", "b"]), ValueError, "could not convert"),
    (dict(x0=[1.0, 2.0], bounds=[(0, 1)] * 3), ValueError, "not compatible"),
    (dict(x0=[1.0, 2.0], bounds=[(1, 0), (0, 1)]), ValueError, "upper bound is less"),
    (dict(x0=[1.0, 2.0], bounds=[(np.inf, None), (0, 1)]), ValueError, "no feasible"),
    (dict(x0=[1.0, 2.0], bounds=[(0.5, 0.5)]), ValueError, "all variables are fixed"),
    (dict(x0=[1.0], m=2.5), TypeError, "integer"),
    (dict(x0=[1.0], m=3, maxcor=3), ValueError, "not both"),
    (dict(x0=[1.0], factr=1e7, ftol=1e-9), ValueError, "not both"),
    (dict(x0=[1.0], ftol="a"), TypeError, "divide"),
    (dict(x0=[1.0], maxls=0), ValueError, "maxls must be positive"),
    (dict(x0=[1.0], maxiter=None), TypeError, "not supported"),
    (dict(x0=[1.0], flavour="f77"), ValueError, "flavour"),
])
def test_arguments_minimize_refuses_are_refused_alike(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        lbfgsb.Solver(**kwargs)


def test_unknown_option_is_a_type_error():
    with pytest.raises(TypeError):
        lbfgsb.Solver([1.0], maxcorr=3)
