"""The SciPy-compatible API: same results as SciPy, clear errors on bad input."""

import numpy as np
import pytest
import scipy.optimize as so
from numpy.testing import assert_allclose, assert_array_equal

import lbfgsb


# ---------------------------------------------------------------------------
# problems

def rosen_fg(x):
    return so.rosen(x), so.rosen_der(x)


def quad_fg(x, c):
    # a convex quadratic whose unconstrained minimizer c lies partly outside
    # the box used below, so bounds are active at the solution
    d = x - c
    w = np.arange(1, x.size + 1, dtype=float)
    return 0.5 * np.sum(w * d * d), w * d


X = np.arange(0, 10, 1)
Y = 2 * X + 3


def linreg(parameters, *args):
    x, y = args
    m, b = parameters
    return np.sum(np.power(y - (m * x + b), 2))


CASES = []
for n in (2, 3, 5, 10, 30, 100):
    CASES.append((f"rosen-{n}", rosen_fg, np.full(n, -1.2), None, ()))
for n in (2, 10, 100):
    CASES.append((f"rosen-{n}-bounded", rosen_fg, np.full(n, 0.5),
                  [(-2.0, 0.8)] * n, ()))
CASES.append(("rosen-10-mixed", rosen_fg, np.linspace(-1, 1, 10),
              [(None, 0.5), (-1, None), (None, None), (0.2, 0.9), (-np.inf, np.inf)] * 2, ()))
c = np.linspace(-2, 3, 20)
CASES.append(("quadratic-active", quad_fg, np.zeros(20), [(-1.0, 1.0)] * 20, (c,)))


@pytest.mark.parametrize("name,fg,x0,bounds,args", CASES, ids=[c[0] for c in CASES])
def test_minimize_scipy_flavour_reproduces_scipy_bit_for_bit(name, fg, x0, bounds, args):
    ref = so.minimize(fg, x0, args=args, jac=True, bounds=bounds, method="L-BFGS-B")
    res = lbfgsb.minimize(fg, x0, args=args, jac=True, bounds=bounds, flavour="scipy")
    assert (res.nit, res.nfev, res.njev) == (ref.nit, ref.nfev, ref.njev)
    assert (res.status, res.message, res.success) == (ref.status, ref.message, ref.success)
    assert_array_equal(res.x, ref.x)
    assert res.fun == ref.fun
    assert_array_equal(res.jac, ref.jac)
    v = np.linspace(-1, 1, x0.size)
    assert_array_equal(res.hess_inv @ v, ref.hess_inv @ v)


@pytest.mark.parametrize("name,fg,x0,bounds,args", CASES, ids=[c[0] for c in CASES])
def test_minimize_fortran_flavour_reaches_scipys_solution(name, fg, x0, bounds, args):
    # The default flavour differs from SciPy's C only in the rounding of three
    # named computations (docs/VERIFY.md, "Flavours"); both runs stop with the same
    # outcome at the same optimal value.  (Their x agree only as far as the
    # problem determines x: in Rosenbrock's flat valley, to about 1e-4.)
    ref = so.minimize(fg, x0, args=args, jac=True, bounds=bounds, method="L-BFGS-B")
    res = lbfgsb.minimize(fg, x0, args=args, jac=True, bounds=bounds)
    assert (res.status, res.success) == (ref.status, ref.success)
    f0 = abs(fg(x0, *args)[0])
    assert_allclose(res.fun, ref.fun, rtol=1e-8, atol=1e-10 * f0)
    if bounds is not None:
        lo, hi = np.array([(-np.inf if a is None else a, np.inf if b is None else b)
                           for a, b in bounds]).T
        assert np.all((lo <= res.x) & (res.x <= hi))


@pytest.mark.parametrize("name,fg,x0,bounds,args", CASES[:6], ids=[c[0] for c in CASES[:6]])
def test_fmin_l_bfgs_b_matches_scipy(name, fg, x0, bounds, args):
    x1, f1, d1 = so.fmin_l_bfgs_b(fg, x0, args=args, bounds=bounds)
    x2, f2, d2 = lbfgsb.fmin_l_bfgs_b(fg, x0, args=args, bounds=bounds, flavour="scipy")
    assert_array_equal(x2, x1)
    assert f2 == f1
    assert_array_equal(d2["grad"], d1["grad"])
    for key in ("warnflag", "funcalls", "nit", "task"):
        assert d2[key] == d1[key], key


def test_scipy_page_examples_approx_grad_with_and_without_bounds():
    x0 = np.array([0.0, 1.0])
    for bounds in (None, [(0, 5), (5, 10)]):
        x1, f1, d1 = so.fmin_l_bfgs_b(linreg, x0=x0, args=(X, Y), approx_grad=True,
                                      bounds=bounds)
        x2, f2, d2 = lbfgsb.fmin_l_bfgs_b(linreg, x0=x0, args=(X, Y), approx_grad=True,
                                          bounds=bounds, flavour="scipy")
        assert_array_equal(x2, x1)
        assert f2 == f1
        assert (d2["nit"], d2["funcalls"], d2["warnflag"], d2["task"]) == \
               (d1["nit"], d1["funcalls"], d1["warnflag"], d1["task"])


def test_separate_jac_callable_gives_the_same_run_as_jac_true():
    x0 = np.full(6, -1.2)
    a = lbfgsb.minimize(so.rosen, x0, jac=so.rosen_der)
    b = lbfgsb.minimize(rosen_fg, x0, jac=True)
    assert_array_equal(a.x, b.x)
    assert (a.nit, a.nfev, a.njev) == (b.nit, b.nfev, b.njev)


def test_usable_as_custom_method_of_scipy_minimize():
    x0 = np.full(4, -1.2)
    res = so.minimize(rosen_fg, x0, jac=True, method=lbfgsb.minimize,
                      bounds=so.Bounds(-2, 0.7), options={"flavour": "scipy"})
    ref = so.minimize(rosen_fg, x0, jac=True, method="L-BFGS-B", bounds=so.Bounds(-2, 0.7))
    assert_array_equal(res.x, ref.x)
    assert res.nit == ref.nit


def test_bounds_object_and_pairs_are_equivalent():
    x0 = np.full(5, 0.3)
    a = lbfgsb.minimize(rosen_fg, x0, jac=True, bounds=so.Bounds([-1] * 5, [0.6] * 5))
    b = lbfgsb.minimize(rosen_fg, x0, jac=True, bounds=[(-1, 0.6)] * 5)
    assert_array_equal(a.x, b.x)
    assert np.all(a.x <= 0.6)


def test_maxiter_and_maxfun_stop_like_scipy():
    x0 = np.full(10, -1.2)
    for opts in ({"maxiter": 5}, {"maxfun": 7}):
        ref = so.minimize(rosen_fg, x0, jac=True, method="L-BFGS-B", options=opts)
        res = lbfgsb.minimize(rosen_fg, x0, jac=True, flavour="scipy", **opts)
        assert res.status == ref.status == 1
        assert res.message == ref.message
        assert (res.nit, res.nfev) == (ref.nit, ref.nfev)
        assert_array_equal(res.x, ref.x)


def test_callback_gets_intermediate_result_and_can_stop_the_run():
    seen = []

    def cb(intermediate_result):
        seen.append((intermediate_result.x.copy(), intermediate_result.fun))
        if len(seen) == 3:
            raise StopIteration

    res = lbfgsb.minimize(rosen_fg, np.full(4, -1.2), jac=True, callback=cb)
    assert len(seen) == 3 and res.nit == 3
    # SciPy's minimize reports a StopIteration from the callback itself
    assert res.message == "`callback` raised `StopIteration`."
    assert res.status == 99 and not res.success
    assert seen[-1][1] == res.fun
    # fmin_l_bfgs_b, as SciPy's, reports the halt of the Fortran's loop
    seen.clear()
    x, f, d = lbfgsb.fmin_l_bfgs_b(rosen_fg, np.full(4, -1.2), callback=cb)
    assert d["task"] == "STOP: CALLBACK REQUESTED HALT" and d["warnflag"] == 2


def test_old_style_callback_receives_each_iterate():
    xs = []
    res = lbfgsb.minimize(rosen_fg, np.full(3, -1.2), jac=True, callback=xs.append)
    assert len(xs) == res.nit
    assert_array_equal(xs[-1], res.x)


# ---------------------------------------------------------------------------
# bad input

def test_infeasible_bounds_raise_with_scipys_texts():
    with pytest.raises(ValueError, match="An upper bound is less than the corresponding"):
        lbfgsb.minimize(rosen_fg, [0.0, 0.0], jac=True, bounds=[(1, 0), (0, 1)])
    with pytest.raises(ValueError, match="lower bounds is greater"):
        lbfgsb.fmin_l_bfgs_b(rosen_fg, [0.0, 0.0], bounds=[(1, 0), (0, 1)])


def test_wrong_number_of_bounds_raises():
    with pytest.raises(ValueError, match="length of x0 != length of bounds"):
        lbfgsb.fmin_l_bfgs_b(rosen_fg, [0.0, 0.0], bounds=[(0, 1)])


@pytest.mark.parametrize("x0", [[np.nan, 0.0], [0.0, np.inf], [-np.inf, 0.5]])
def test_non_finite_x0_runs_and_reports_failure_as_scipy(x0):
    # a library optimising in log coordinates passes -inf for a parameter at
    # 0: SciPy runs, ends ABNORMAL, and the library carries on
    ref = so.minimize(rosen_fg, x0, jac=True, method="L-BFGS-B")
    res = lbfgsb.minimize(rosen_fg, x0, jac=True, flavour="scipy")
    assert ref.status == res.status == 2 and not res.success
    assert res.message == ref.message
    assert_array_equal(res.x, ref.x)


@pytest.mark.parametrize("opts,message", [
    ({"maxcor": 0}, "ERROR: M <= 0"),
    ({"ftol": -1.0}, "ERROR: FACTR < 0"),
])
def test_option_values_the_fortran_refuses_end_in_its_error_exit(opts, message):
    # SciPy lets them reach setulb, which ends at START with its ERROR task
    # (after ScalarFunction's one evaluation at x0)
    for flavour in ("fortran", "scipy"):
        res = lbfgsb.minimize(rosen_fg, [0.0, 0.0], jac=True, flavour=flavour, **opts)
        assert (res.status, res.message, res.nfev, res.nit) == (2, message, 1, 0)
    x, f, d = lbfgsb.fmin_l_bfgs_b(rosen_fg, [0.0, 0.0], m=opts.get("maxcor", 10),
                                   factr=opts.get("ftol", 1.0) / np.finfo(float).eps)
    assert d["task"] == message


@pytest.mark.parametrize("opts,err,match", [
    ({"maxls": 0}, ValueError, "maxls must be positive."),
    ({"maxls": 2.5}, TypeError, "cannot be interpreted as an integer"),
    ({"flavour": "fortran77"}, ValueError, "flavour"),
])
def test_invalid_options_raise_as_scipy(opts, err, match):
    with pytest.raises(err, match=match):
        lbfgsb.minimize(rosen_fg, [0.0, 0.0], jac=True, **opts)


@pytest.mark.parametrize("value", [0, -1, 100.1, np.inf, np.nan, 2.5])
def test_limits_of_any_real_value_are_accepted_as_scipy(value):
    for name in ("maxiter", "maxfun"):
        ref = so.minimize(rosen_fg, np.zeros(3), jac=True, method="L-BFGS-B",
                          options={name: value})
        res = lbfgsb.minimize(rosen_fg, np.zeros(3), jac=True, flavour="scipy",
                              **{name: value})
        assert (res.nit, res.nfev, res.status, res.message) == \
            (ref.nit, ref.nfev, ref.status, ref.message)


def test_gradient_of_wrong_shape_raises():
    # SciPy's wrapper would read n doubles from it whatever its size (a
    # departure: docs/API.md, "Departures from SciPy's interface")
    with pytest.raises(ValueError, match="gradient must have 2 elements"):
        lbfgsb.minimize(lambda x: (x @ x, np.zeros(3)), [1.0, 2.0], jac=True)


def test_non_scalar_objective_raises():
    with pytest.raises(ValueError, match="scalar"):
        lbfgsb.minimize(lambda x: (x, 2 * x), [1.0, 2.0], jac=True)


def test_user_exception_propagates_with_traceback_and_next_run_is_unaffected():
    class Boom(RuntimeError):
        pass

    calls = []

    def bad(x):
        calls.append(1)
        if len(calls) == 4:
            raise Boom("from the objective")
        return rosen_fg(x)

    with pytest.raises(Boom, match="from the objective") as info:
        lbfgsb.minimize(bad, np.full(3, -1.2), jac=True)
    assert any(e.name == "bad" for e in info.traceback)
    a = lbfgsb.minimize(rosen_fg, np.full(3, -1.2), jac=True)
    b = so.minimize(rosen_fg, np.full(3, -1.2), jac=True, method="L-BFGS-B")
    assert a.nit == b.nit


def test_callback_exception_propagates():
    def cb(xk):
        raise KeyError("from the callback")

    with pytest.raises(KeyError, match="from the callback"):
        lbfgsb.minimize(rosen_fg, np.full(3, -1.2), jac=True, callback=cb)


def test_nan_from_the_objective_ends_in_abnormal_termination_not_convergence():
    def nan_after(x):
        f, g = rosen_fg(x)
        if x[0] > -1.0:
            return np.nan, g * np.nan
        return f, g

    res = lbfgsb.minimize(nan_after, np.full(2, -1.2), jac=True)
    ref = so.minimize(nan_after, np.full(2, -1.2), jac=True, method="L-BFGS-B")
    assert not res.success
    assert res.message == ref.message
    assert res.message.startswith("ABNORMAL")
    # the Fortran restores x, f and g of the last good iterate together
    assert np.isfinite(res.fun)
    assert res.fun == rosen_fg(res.x)[0]
    # SciPy's wrapper loses the restored f and reports the last trial value;
    # the scipy flavour reproduces that too
    sci = lbfgsb.minimize(nan_after, np.full(2, -1.2), jac=True, flavour="scipy")
    assert_array_equal(sci.x, ref.x)
    assert np.isnan(sci.fun) and np.isnan(ref.fun)


def test_inf_from_the_objective_ends_at_maxfun_like_scipy():
    # f = +inf everywhere with a constant gradient: every line search accepts
    # its first step (inf <= inf), so the run walks on until maxfun, exactly
    # as SciPy's does; it ends, with the evaluation-limit status
    fun = lambda x: (np.inf, np.ones_like(x))  # noqa: E731
    res = lbfgsb.minimize(fun, [1.0, 2.0], jac=True, maxfun=500)
    ref = so.minimize(fun, [1.0, 2.0], jac=True, method="L-BFGS-B", options={"maxfun": 500})
    assert res.status == ref.status == 1
    assert (res.nit, res.nfev) == (ref.nit, ref.nfev)


def test_a_repeated_point_is_not_evaluated_again_as_in_scipy():
    # once f is NaN the line search asks for the same x again; SciPy's
    # ScalarFunction (and the port) hand back the f, g they have
    calls = []

    def fg(x):
        calls.append(x.copy())
        f, g = float(np.sum((x - 1) ** 2)), 2 * (x - 1)
        return (np.nan, g) if len(calls) >= 3 else (f, g)

    res = lbfgsb.minimize(fg, np.full(4, 5.0), jac=True, flavour="scipy")
    n_port = len(calls)
    calls.clear()
    ref = so.minimize(fg, np.full(4, 5.0), jac=True, method="L-BFGS-B")
    assert res.nfev == ref.nfev == n_port == len(calls)
    # no two consecutive evaluations at the same point
    assert all(not np.array_equal(a, b) for a, b in zip(calls, calls[1:]))


def test_unknown_option_warns_like_scipy():
    with pytest.warns(so.OptimizeWarning, match="Unknown solver options: bogus"):
        lbfgsb.minimize(rosen_fg, [0.0, 0.0], jac=True, bogus=1)
    with pytest.warns(so.OptimizeWarning, match="Unknown solver options: bogus"):
        so.minimize(rosen_fg, [0.0, 0.0], jac=True, method="L-BFGS-B", options={"bogus": 1})


def test_a_call_written_for_scipy_minimize_runs_unchanged():
    """method='L-BFGS-B', tol and options={...}: the same call gives SciPy's
    result bit for bit (flavour 'scipy'), and the options take effect."""
    c = np.array([3.0, -2.0, 0.5, 4.0])
    kw = dict(args=(c,), method="L-BFGS-B", jac=True, bounds=[(-1, 1)] * 4, tol=1e-12)
    ref = so.minimize(quad_fg, np.zeros(4), options={"maxiter": 3, "maxcor": 2}, **kw)
    res = lbfgsb.minimize(quad_fg, np.zeros(4),
                          options={"maxiter": 3, "maxcor": 2, "flavour": "scipy"}, **kw)
    assert res.nit == ref.nit == 3
    assert_array_equal(res.x, ref.x)
    assert res.fun == ref.fun and res.message == ref.message
    # the same options as keywords: the same run
    kws = lbfgsb.minimize(quad_fg, np.zeros(4), args=(c,), jac=True, bounds=[(-1, 1)] * 4,
                          ftol=1e-12, gtol=1e-12, maxiter=3, maxcor=2, flavour="scipy")
    assert_array_equal(kws.x, res.x)


@pytest.mark.parametrize("method", ["l-bfgs-b", "L-BFGS-B", None, lbfgsb.minimize])
def test_method_naming_l_bfgs_b_is_accepted(method):
    res = lbfgsb.minimize(rosen_fg, np.zeros(3), jac=True, method=method)
    assert res.success


@pytest.mark.parametrize("kw, err, match", [
    (dict(method="BFGS"), ValueError, "L-BFGS-B only"),
    (dict(method=so.minimize), ValueError, "L-BFGS-B only"),
    (dict(options={"maxiter": 3}, maxiter=4), TypeError, "both as keywords and in options: maxiter"),
    # what SciPy's minimize raises for options that are not a mapping
    (dict(options=[("maxiter", 3)]), AttributeError, "'list' object has no attribute 'get'"),
])
def test_scipy_minimize_keywords_misused_raise_clearly(kw, err, match):
    with pytest.raises(err, match=match):
        lbfgsb.minimize(rosen_fg, np.zeros(3), jac=True, **kw)


@pytest.mark.parametrize("name", ["hess", "hessp"])
def test_hessian_arguments_are_ignored_with_scipys_warning(name):
    def h(x, *a):
        return np.eye(x.size)
    with pytest.warns(RuntimeWarning) as ours:
        res = lbfgsb.minimize(rosen_fg, np.zeros(3), jac=True, **{name: h})
    with pytest.warns(RuntimeWarning) as theirs:
        ref = so.minimize(rosen_fg, np.zeros(3), jac=True, method="L-BFGS-B", **{name: h})
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert res.nit == ref.nit


def test_readme_usage_example_runs():
    """The README's "Using it" code block runs as written."""
    import pathlib
    import re
    text = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = text[text.index("## Using it"):]
    block = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    scope = {}
    exec(compile(block, "README.md", "exec"), scope)
    assert scope["res"].success and scope["d"]["warnflag"] == 0
