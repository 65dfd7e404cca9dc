"""lbfgsb.patch_scipy: SciPy's own L-BFGS-B entry points run on the port.

Patch, unpatch, the context manager, idempotence and reversibility; SciPy's
private ``_minimize_lbfgsb`` contract (what ``minimize`` and ``fmin_l_bfgs_b``
hand it and expect back); flavour "scipy" gives SciPy's bits; the pytest
plugin that runs foreign suites under the patch.
"""

import contextlib
import inspect
import json
import os
import subprocess
import sys
import textwrap
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.optimize as so
import scipy.optimize._lbfgsb_py as lbfgsb_py
import scipy.optimize._minimize as minimize_mod
from numpy.testing import assert_array_equal
from scipy.optimize import fmin_l_bfgs_b as fmin_bound_before   # as scikit-learn does

import lbfgsb
from lbfgsb import _patch

SCIPY_ORIGINAL = lbfgsb_py._minimize_lbfgsb
FIELDS = ("x", "fun", "jac", "nit", "nfev", "njev", "status", "message", "success")


@pytest.fixture(autouse=True)
def unpatched_around_each_test():
    assert lbfgsb.scipy_is_patched() is None
    yield
    lbfgsb.unpatch_scipy()
    assert minimize_mod._minimize_lbfgsb is SCIPY_ORIGINAL
    assert lbfgsb_py._minimize_lbfgsb is SCIPY_ORIGINAL


def rosen_fg(x):
    return so.rosen(x), so.rosen_der(x)


def assert_same_result(a, b, fields=FIELDS):
    """Equal bit for bit (NaN equal to NaN), with the same set of fields."""
    assert sorted(a) == sorted(b)
    for k in fields:
        if k in ("x", "jac"):
            assert_array_equal(a[k], b[k], err_msg=k)
        else:
            assert a[k] == b[k], k


def scipy_and_patched(call, flavour="scipy"):
    """``call()`` with SciPy's own code, then under patch_scipy(flavour); each
    with the warnings it raised, and how many times the port ran."""
    with warnings.catch_warnings(record=True) as w_ref:
        warnings.simplefilter("always")
        ref = call()
    before = _patch._calls
    with lbfgsb.scipy_patched(flavour), warnings.catch_warnings(record=True) as w_res:
        warnings.simplefilter("always")
        res = call()
    ran = _patch._calls - before
    return ref, res, ran, [(type(w.message), str(w.message)) for w in w_ref], \
        [(type(w.message), str(w.message)) for w in w_res]


# ---------------------------------------------------------------------------
# patch, unpatch, context manager

def test_importing_lbfgsb_patches_nothing():
    code = ("import lbfgsb, scipy.optimize._minimize as m, scipy.optimize._lbfgsb_py as p;"
            "assert m._minimize_lbfgsb is p._minimize_lbfgsb;"
            "assert p._minimize_lbfgsb.__module__ == 'scipy.optimize._lbfgsb_py';"
            "assert lbfgsb.scipy_is_patched() is None")
    subprocess.run([sys.executable, "-P", "-c", code], check=True,
                   env=dict(os.environ, PYTHONPATH=str(Path(lbfgsb.__file__).parents[1])))


def test_patch_replaces_the_name_minimize_and_fmin_l_bfgs_b_look_up_and_unpatch_restores_it():
    lbfgsb.patch_scipy()
    assert lbfgsb.scipy_is_patched() == "scipy"
    repl = minimize_mod._minimize_lbfgsb
    assert repl is not SCIPY_ORIGINAL and lbfgsb_py._minimize_lbfgsb is repl
    # no public name changes
    assert so.minimize is minimize_mod.minimize
    assert so.fmin_l_bfgs_b is lbfgsb_py.fmin_l_bfgs_b is fmin_bound_before
    lbfgsb.unpatch_scipy()
    assert lbfgsb.scipy_is_patched() is None
    assert minimize_mod._minimize_lbfgsb is SCIPY_ORIGINAL


def test_patch_and_unpatch_are_idempotent():
    lbfgsb.patch_scipy()
    repl = minimize_mod._minimize_lbfgsb
    lbfgsb.patch_scipy()
    lbfgsb.patch_scipy("scipy")
    assert minimize_mod._minimize_lbfgsb is repl
    lbfgsb.unpatch_scipy()
    lbfgsb.unpatch_scipy()
    assert minimize_mod._minimize_lbfgsb is SCIPY_ORIGINAL
    # and again from the start
    lbfgsb.patch_scipy()
    lbfgsb.unpatch_scipy()
    assert minimize_mod._minimize_lbfgsb is SCIPY_ORIGINAL


def test_patching_again_with_another_flavour_switches_it_and_unpatch_restores_scipys():
    lbfgsb.patch_scipy("fortran")
    lbfgsb.patch_scipy("scipy")
    assert lbfgsb.scipy_is_patched() == "scipy"
    assert minimize_mod._minimize_lbfgsb.lbfgsb_flavour == "scipy"
    lbfgsb.unpatch_scipy()
    assert lbfgsb_py._minimize_lbfgsb is SCIPY_ORIGINAL


def test_unknown_flavour_raises_and_changes_nothing():
    with pytest.raises(ValueError, match="flavour"):
        lbfgsb.patch_scipy("c")
    assert minimize_mod._minimize_lbfgsb is SCIPY_ORIGINAL
    lbfgsb.patch_scipy("scipy")
    with pytest.raises(ValueError, match="flavour"):
        lbfgsb.patch_scipy("FORTRAN")
    assert lbfgsb.scipy_is_patched() == "scipy"


def test_context_manager_restores_the_state_before_it_also_on_error_and_nests():
    with lbfgsb.scipy_patched():
        assert lbfgsb.scipy_is_patched() == "scipy"
        with lbfgsb.scipy_patched("fortran"):
            assert lbfgsb.scipy_is_patched() == "fortran"
        assert lbfgsb.scipy_is_patched() == "scipy"
    assert minimize_mod._minimize_lbfgsb is SCIPY_ORIGINAL
    with pytest.raises(KeyError):
        with lbfgsb.scipy_patched("scipy"):
            raise KeyError
    assert minimize_mod._minimize_lbfgsb is SCIPY_ORIGINAL
    lbfgsb.patch_scipy("scipy")
    with lbfgsb.scipy_patched("fortran"):
        pass
    assert lbfgsb.scipy_is_patched() == "scipy"


class Block(threading.Thread):
    """A thread running ``with scipy_patched(flavour):`` that enters when
    told (``enter``), reports that it is inside (``inside``), runs SciPy's
    L-BFGS-B once there when told (``run``) and leaves when told (``leave``):
    the test orders the threads' steps exactly."""

    def __init__(self, flavour="scipy"):
        super().__init__(daemon=True)
        self.flavour = flavour
        self.enter, self.inside, self.leave = (threading.Event() for _ in range(3))
        self.run_now, self.ran = threading.Event(), threading.Event()
        self.error = self.calls = None
        self.start()

    def run(self):
        self.enter.wait(30)
        try:
            with lbfgsb.scipy_patched(self.flavour):
                self.inside.set()
                while not self.leave.wait(0.001):
                    if self.run_now.is_set():
                        self.run_now.clear()
                        before = _patch._calls
                        so.minimize(so.rosen, np.zeros(3), method="L-BFGS-B")
                        self.calls = _patch._calls - before
                        self.ran.set()
        except BaseException as exc:
            self.error = exc
            self.inside.set()

    def step(self, event, done=None):
        event.set()
        if done is not None:
            assert done.wait(30)

    def finish(self):
        self.step(self.leave)
        self.join(30)
        assert not self.is_alive()


@pytest.mark.parametrize("before", [None, "fortran"])
def test_blocks_in_two_threads_left_out_of_order_restore_the_state_before_both(before):
    if before:
        lbfgsb.patch_scipy(before)
    a, b = Block(), Block()
    a.step(a.enter, a.inside)
    b.step(b.enter, b.inside)
    a.finish()                               # the first one in leaves first
    assert lbfgsb.scipy_is_patched() == "scipy"
    b.step(b.run_now, b.ran)                 # b's block still runs on the port
    assert b.calls == 1
    b.finish()
    assert a.error is None and b.error is None
    assert lbfgsb.scipy_is_patched() == before
    if before is None:
        assert minimize_mod._minimize_lbfgsb is SCIPY_ORIGINAL
        assert lbfgsb_py._minimize_lbfgsb is SCIPY_ORIGINAL


def test_blocks_in_threads_nesting_in_turn_leave_scipy_unpatched():
    threads = [Block() for _ in range(4)]
    for t in threads:
        t.step(t.enter, t.inside)
    for t in (threads[2], threads[0], threads[3]):
        t.finish()
        assert lbfgsb.scipy_is_patched() == "scipy"
    threads[1].step(threads[1].run_now, threads[1].ran)
    assert threads[1].calls == 1
    threads[1].finish()
    assert all(t.error is None for t in threads)
    assert minimize_mod._minimize_lbfgsb is SCIPY_ORIGINAL


def test_a_block_in_another_flavour_than_another_threads_block_is_refused():
    a, b = Block("scipy"), Block("fortran")
    a.step(a.enter, a.inside)
    b.step(b.enter, b.inside)
    b.join(30)
    assert isinstance(b.error, RuntimeError)
    assert "another thread runs SciPy patched in flavour 'scipy'" in str(b.error)
    assert lbfgsb.scipy_is_patched() == "scipy"       # a's block untouched
    a.step(a.run_now, a.ran)
    assert a.calls == 1
    a.finish()
    assert a.error is None
    assert minimize_mod._minimize_lbfgsb is SCIPY_ORIGINAL
    # the same flavour in the same thread nests freely, in any flavour
    with lbfgsb.scipy_patched("fortran"):
        with lbfgsb.scipy_patched("scipy"):
            assert lbfgsb.scipy_is_patched() == "scipy"
        assert lbfgsb.scipy_is_patched() == "fortran"
    assert minimize_mod._minimize_lbfgsb is SCIPY_ORIGINAL


def test_unpatch_leaves_a_later_replacement_by_someone_else_with_a_warning():
    lbfgsb.patch_scipy()
    theirs = lambda *a, **k: None  # noqa: E731
    minimize_mod._minimize_lbfgsb = theirs
    try:
        with pytest.warns(RuntimeWarning, match="replaced by something else"):
            lbfgsb.unpatch_scipy()
        assert minimize_mod._minimize_lbfgsb is theirs
        assert lbfgsb_py._minimize_lbfgsb is SCIPY_ORIGINAL
    finally:
        minimize_mod._minimize_lbfgsb = SCIPY_ORIGINAL


def test_a_scipy_whose_private_function_takes_an_unknown_parameter_is_refused(monkeypatch):
    def changed(fun, x0, args=(), jac=None, bounds=None, new_option=None, **unknown_options):
        pass
    monkeypatch.setattr(lbfgsb_py, "_minimize_lbfgsb", changed)
    with pytest.raises(RuntimeError, match="new_option"):
        lbfgsb.patch_scipy()
    assert lbfgsb.scipy_is_patched() is None
    assert lbfgsb_py._minimize_lbfgsb is changed
    assert minimize_mod._minimize_lbfgsb is SCIPY_ORIGINAL


def test_replacement_has_scipys_signature():
    lbfgsb.patch_scipy()
    ours = inspect.signature(minimize_mod._minimize_lbfgsb).parameters
    theirs = inspect.signature(SCIPY_ORIGINAL).parameters
    assert list(ours) == list(theirs)
    for name, p in theirs.items():
        assert (ours[name].kind, ours[name].default) == (p.kind, p.default), name


# ---------------------------------------------------------------------------
# the port really runs, and gives the port's result

@pytest.mark.parametrize("jac", [so.rosen_der, True, None, "3-point"])
def test_minimize_under_the_patch_gives_the_ports_result(jac):
    fun = rosen_fg if jac is True else so.rosen
    kw = dict(jac=jac, bounds=[(-2, 0.8)] * 6, options={"maxcor": 5})
    own = lbfgsb.minimize(fun, np.full(6, -1.2), method="L-BFGS-B", **kw)
    before = _patch._calls
    with lbfgsb.scipy_patched("fortran"):
        res = so.minimize(fun, np.full(6, -1.2), method="L-BFGS-B", **kw)
    assert _patch._calls == before + 1
    del own["task"]
    assert_same_result(res, own)


def test_fmin_l_bfgs_b_bound_before_patching_runs_on_the_port():
    own = lbfgsb.fmin_l_bfgs_b(rosen_fg, np.zeros(4), bounds=[(None, 0.9)] * 4)
    before = _patch._calls
    with lbfgsb.scipy_patched("fortran"):
        x, f, d = fmin_bound_before(rosen_fg, np.zeros(4), bounds=[(None, 0.9)] * 4)
    assert _patch._calls == before + 1
    assert_array_equal(x, own[0])
    assert f == own[1]
    assert {k: v for k, v in d.items() if k != "grad"} == \
        {k: v for k, v in own[2].items() if k != "grad"}


CALLS = {
    "rosen-jac": lambda: so.minimize(so.rosen, np.full(5, -1.2), jac=so.rosen_der,
                                     method="L-BFGS-B"),
    "rosen-jac-true-bounds": lambda: so.minimize(rosen_fg, np.full(8, 0.5), jac=True,
                                                 bounds=so.Bounds(-2, 0.8)),
    "fd-2-point": lambda: so.minimize(so.rosen, np.full(5, 1.5), method="L-BFGS-B"),
    "fd-3-point-rel-step": lambda: so.minimize(
        so.rosen, np.full(4, 1.5), jac="3-point", method="L-BFGS-B",
        options={"finite_diff_rel_step": 1e-5}),
    "fd-workers-map": lambda: so.minimize(so.rosen, np.full(4, 1.5), method="L-BFGS-B",
                                          options={"workers": map}),
    "tol-maxiter": lambda: so.minimize(so.rosen, np.zeros(6), jac=so.rosen_der,
                                       method="L-BFGS-B", tol=1e-3,
                                       options={"maxiter": 7}),
    "maxfun": lambda: so.minimize(so.rosen, np.zeros(6), jac=so.rosen_der,
                                  method="L-BFGS-B", options={"maxfun": 9}),
    # fixed variables with finite differences: minimize removes them first
    "fixed-vars-fd": lambda: so.minimize(so.rosen, np.full(10, 0.3),
                                         bounds=[(0.5, 0.5)] + [(-2, 2)] * 9,
                                         method="L-BFGS-B"),
    # fixed variables with a gradient: they stay (nbd=2, l=u)
    "fixed-vars-jac": lambda: so.minimize(so.rosen, np.full(5, 0.3), jac=so.rosen_der,
                                          bounds=[(0.5, 0.5)] + [(-2, 2)] * 4,
                                          method="L-BFGS-B"),
    "unknown-option": lambda: so.minimize(so.rosen, np.zeros(3), jac=so.rosen_der,
                                          method="L-BFGS-B", options={"bogus": 1}),
    "iprint-disp": lambda: so.minimize(so.rosen, np.zeros(3), jac=so.rosen_der,
                                       method="L-BFGS-B",
                                       options={"iprint": 101, "disp": True}),
    "fmin-approx-grad-args": lambda: dict(zip(("x", "fun", "d"), so.fmin_l_bfgs_b(
        lambda x, a: np.sum((x - a) ** 2), np.zeros(3), args=(np.arange(3.0),),
        approx_grad=True, bounds=[(0, 1.5)] * 3))),
    "fmin-iprint": lambda: dict(zip(("x", "fun", "d"), so.fmin_l_bfgs_b(
        rosen_fg, np.zeros(3), iprint=1))),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_scipy_flavour_patch_reproduces_scipy_bit_for_bit_with_its_warnings(name, capsys):
    ref, res, ran, w_ref, w_res = scipy_and_patched(CALLS[name])
    assert ran == 1
    assert w_res == w_ref
    assert capsys.readouterr().out == ""        # iprint prints nothing, as SciPy >= 1.15
    if name.startswith("fmin"):
        assert_array_equal(res["x"], ref["x"])
        assert res["fun"] == ref["fun"]
        assert_array_equal(res["d"].pop("grad"), ref["d"].pop("grad"))
        assert res["d"] == ref["d"]
        return
    assert_same_result(res, ref)
    if ref.get("hess_inv") is None:
        assert res.get("hess_inv", "absent") is ref.get("hess_inv", "absent")
    else:
        v = np.linspace(-1, 1, ref.x.size - np.isnan(ref.jac).sum())
        assert_array_equal(res.hess_inv @ v, ref.hess_inv @ v)


def test_fixed_variables_removed_by_minimize_report_nan_jac_and_no_hess_inv():
    with lbfgsb.scipy_patched():
        res = so.minimize(so.rosen, np.full(4, 0.3), bounds=[(0.5, 0.5)] + [(-2, 2)] * 3,
                          method="L-BFGS-B")
    assert res.x[0] == 0.5 and np.isnan(res.jac[0]) and res.hess_inv is None
    assert res.success and res.fun < 1e-8 + so.rosen(np.array([0.5, 0.25, 0.0625, 0.004]))


def test_all_variables_fixed_never_reaches_the_port():
    before = _patch._calls
    with lbfgsb.scipy_patched():
        res = so.minimize(so.rosen, np.zeros(3), bounds=[(1, 1)] * 3, method="L-BFGS-B")
    assert _patch._calls == before
    assert res.message == "All independent variables were fixed by bounds."
    assert res.fun == 0.0 and res.nfev == 1


def stop_at_3(intermediate_result):
    if intermediate_result.nit >= 3:
        raise StopIteration


def test_callback_stop_iteration_through_minimize_is_scipys_status_99():
    seen = []

    def cb(intermediate_result):
        seen.append((intermediate_result.x.copy(), intermediate_result.fun))
        if len(seen) == 3:
            raise StopIteration

    def call():
        seen.clear()
        res = so.minimize(so.rosen, np.zeros(5), jac=so.rosen_der, method="L-BFGS-B",
                          callback=cb)
        return res, list(seen)

    (ref, seen_ref), (res, seen_res), ran, _, _ = scipy_and_patched(call)
    assert ran == 1
    assert (res.status, res.success, res.message) == \
        (99, False, "`callback` raised `StopIteration`.")
    assert_same_result(res, ref)
    assert len(seen_res) == 3
    for (xa, fa), (xb, fb) in zip(seen_res, seen_ref):
        assert_array_equal(xa, xb)
        assert fa == fb


def test_old_style_callback_through_minimize_gets_each_iterate_as_a_copy():
    def call():
        xs = []
        res = so.minimize(so.rosen, np.zeros(4), jac=so.rosen_der, method="L-BFGS-B",
                          callback=xs.append)
        return res, xs

    (ref, xs_ref), (res, xs_res), _, _, _ = scipy_and_patched(call)
    assert len(xs_res) == res.nit == ref.nit
    assert len({id(x) for x in xs_res}) == len(xs_res)
    assert_array_equal(np.array(xs_res), np.array(xs_ref))


def test_fmin_l_bfgs_b_callback_stop_iteration_is_scipys_callback_halt():
    def cb(xk):
        raise StopIteration

    ref, res, _, _, _ = scipy_and_patched(
        lambda: so.fmin_l_bfgs_b(rosen_fg, np.zeros(3), callback=cb))
    assert res[2]["warnflag"] == ref[2]["warnflag"] == 2
    assert res[2]["task"] == ref[2]["task"] == "STOP: CALLBACK REQUESTED HALT"
    assert_array_equal(res[0], ref[0])


def test_default_patch_flavour_is_scipys_bits_and_the_fortran_is_one_argument_away():
    # a run where the flavours differ (docs/VERIFY.md, "Flavours": dtd, theta): the
    # patch reproduces the installed SciPy by default (code tested against
    # SciPy's numbers gets them); flavour="fortran" gives lbfgsb.minimize's
    # own default, the Fortran
    x0 = np.full(10, -1.2)
    own = lbfgsb.minimize(so.rosen, x0, jac=so.rosen_der)
    ref = so.minimize(so.rosen, x0, jac=so.rosen_der, method="L-BFGS-B")
    assert not np.array_equal(own.x, ref.x)
    for patched in (lbfgsb.scipy_patched, _patching):
        with patched():
            assert lbfgsb.scipy_is_patched() == "scipy"
            res = so.minimize(so.rosen, x0, jac=so.rosen_der, method="L-BFGS-B")
        assert_same_result(res, ref)
    with lbfgsb.scipy_patched("fortran"):
        res = so.minimize(so.rosen, x0, jac=so.rosen_der, method="L-BFGS-B")
    del own["task"]
    assert_same_result(res, own)


@contextlib.contextmanager
def _patching():
    lbfgsb.patch_scipy()
    try:
        yield
    finally:
        lbfgsb.unpatch_scipy()


# ---------------------------------------------------------------------------
# the pytest plugin

PLUGIN_TESTS = """
    import numpy as np
    from scipy.optimize import minimize, rosen

    def test_reaches_the_port():
        assert minimize(rosen, np.zeros(3), method="L-BFGS-B").success

    def test_does_not():
        assert minimize(rosen, np.zeros(3), method="BFGS").success

    def test_fails():
        assert False
"""


@pytest.mark.parametrize("flavour", ["fortran", "none", None])
def test_pytest_plugin_patches_the_session_and_records_outcomes_and_port_calls(
        flavour, tmp_path):
    (tmp_path / "test_foreign.py").write_text(textwrap.dedent(PLUGIN_TESTS))
    record = tmp_path / "record.json"
    option = [] if flavour is None else [f"--lbfgsb-patch={flavour}"]
    proc = subprocess.run(
        [sys.executable, "-P", "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-p", "lbfgsb.pytest_plugin", *option,
         f"--lbfgsb-record={record}", "test_foreign.py"],
        cwd=tmp_path, capture_output=True, text=True,
        env=dict(os.environ, PYTHONPATH=str(Path(lbfgsb.__file__).parents[1])))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    rec = json.loads(record.read_text())
    assert rec["flavour"] == (flavour or "scipy")     # the default: patch_scipy's
    out = rec["outcomes"]
    assert {k.split("::")[1]: v["outcome"] for k, v in out.items()} == {
        "test_reaches_the_port": "passed", "test_does_not": "passed",
        "test_fails": "failed"}
    calls = {k.split("::")[1]: v["calls"] for k, v in out.items()}
    expected = 0 if flavour == "none" else 1
    assert calls == {"test_reaches_the_port": expected, "test_does_not": 0,
                     "test_fails": 0}
    assert (rec["passed"], rec["port_calls"], rec["passed_reaching_port"]) == \
        (2, expected, expected)
    assert f"{expected} port calls; {expected} of 2 passed tests reached the port" \
        in proc.stdout
