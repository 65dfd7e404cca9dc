"""Tests of the cross-check harness around Debian's Fortran L-BFGS-B 3.0.

These prove that ``tools/fortran.py`` really drives the Fortran code,
with the BLAS binding it claims, and that its driver loop behaves like SciPy's.
When ``liblbfgsb0`` is not installed the tests are skipped with the reason,
except under ``CI=true`` where that is a failure.
"""
import ctypes
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from scipy.optimize import minimize, rosen, rosen_der

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from tools import fortran  # noqa: E402


def _require(blas):
    ok, reason = fortran.available(blas)
    if not ok:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true and " + reason)
        pytest.skip(reason)
    return fortran.load(blas)


@pytest.fixture(scope="module")
def scipy_lib():
    return _require("scipy")


@pytest.fixture(scope="module")
def system_lib():
    return _require("system")


def fg(x):
    return rosen(x), rosen_der(x)


def x0_for(n):
    x0 = np.full(n, -1.2)
    x0[1::2] = 1.0
    return x0


# (name, n, lower, upper, known minimiser or None)
CASES = [
    ("n2-unbounded", 2, None, None, np.ones(2)),
    ("n2-inactive-box", 2, np.full(2, -2.0), np.full(2, 2.0), np.ones(2)),
    ("n2-active-upper", 2, np.full(2, -np.inf), np.array([0.8, np.inf]), np.array([0.8, 0.64])),
    ("n10-unbounded", 10, None, None, np.ones(10)),
    ("n10-inactive-box", 10, np.full(10, -2.0), np.full(10, 2.0), np.ones(10)),
    ("n10-mixed-active", 10, np.r_[-np.inf, np.full(9, -2.0)], np.full(10, 0.8), None),
]


def _scipy_bounds(lo, hi, n):
    if lo is None and hi is None:
        return None
    lo = np.full(n, -np.inf) if lo is None else lo
    hi = np.full(n, np.inf) if hi is None else hi
    return list(zip(lo, hi))


# ---------------------------------------------------------------------------
# BLAS binding
# ---------------------------------------------------------------------------

def test_scipy_mode_binds_every_blas_import_to_the_shim(scipy_lib):
    info = fortran.blas_in_use("scipy")
    assert info["kind"] == "scipy-openblas (via shim)"
    shim = os.path.realpath(scipy_lib.shim_path)
    for sym in fortran.BLAS_SYMBOLS:
        b = info["bindings"][sym]
        assert b["library"] == shim, (sym, b)
        assert b["symbol"] == sym
        assert b["dlsym_library"] == shim


def test_shim_forwards_to_the_same_openblas_routines_as_cython_blas(scipy_lib):
    info = fortran.blas_in_use("scipy")
    openblas = os.path.realpath(scipy_lib.openblas_path)
    assert "scipy_openblas" in os.path.basename(openblas)
    cy = fortran.cython_blas_targets()
    for sym in fortran.BLAS_SYMBOLS:
        tgt = info["shim_targets"]["scipy_" + sym]
        assert tgt["library"] == openblas
        assert tgt["symbol"] == "scipy_" + sym
        # cython_blas' wrapper for this routine calls exactly this address
        _capsule, called, lib = cy[sym[:-1]]
        assert called == tgt["address"]
        assert lib == openblas


def test_system_mode_binds_to_system_blas_not_the_shim(scipy_lib, system_lib):
    info = fortran.blas_in_use("system")
    assert info["kind"] == "system"
    libs = {b["library"] for b in info["bindings"].values()}
    assert os.path.realpath(scipy_lib.shim_path) not in libs
    assert not any("scipy_openblas" in lib for lib in libs)


def test_both_modes_coexist_in_one_process(scipy_lib, system_lib):
    assert scipy_lib.lib._handle != system_lib.lib._handle
    assert os.path.realpath(scipy_lib.path) != os.path.realpath(system_lib.path)
    a = fortran.run(fg, x0_for(10), blas="scipy", record=False)
    b = fortran.run(fg, x0_for(10), blas="system", record=False)
    for r in (a, b):
        assert r["task"].startswith("CONVERGENCE")
        np.testing.assert_allclose(r["x"], np.ones(10), atol=1e-4)
    # and the bindings did not change by using the other mode
    assert fortran.blas_in_use("scipy")["kind"] == "scipy-openblas (via shim)"
    assert fortran.blas_in_use("system")["kind"] == "system"


def test_binding_independent_of_load_order_in_fresh_process(scipy_lib, system_lib):
    code = textwrap.dedent("""
        import sys, numpy as np
        sys.path.append(%r)
        from tools import fortran
        fortran.load("system")           # system first this time
        print("SYSTEM", fortran.blas_in_use("system")["kind"])
        print("SCIPY", fortran.blas_in_use("scipy")["kind"])
    """ % ROOT)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    assert "SYSTEM system" in p.stdout
    assert "SCIPY scipy-openblas (via shim)" in p.stdout


def test_shim_dpotrf_dtrtrs_pass_hidden_character_lengths(scipy_lib):
    # call the shim's Fortran-ABI entry points directly
    shim = scipy_lib.shim
    P, SZ = ctypes.c_void_p, ctypes.c_size_t
    shim.dpotrf_.argtypes = [P] * 5 + [SZ]
    shim.dtrtrs_.argtypes = [P] * 10 + [SZ] * 3
    rng = np.random.default_rng(0)
    B = rng.standard_normal((5, 5))
    A = np.asfortranarray(B @ B.T + 5 * np.eye(5))
    n, lda, info = ctypes.c_int(5), ctypes.c_int(5), ctypes.c_int(-99)
    U = A.copy(order="F")
    shim.dpotrf_(b"U", ctypes.byref(n), U.ctypes.data, ctypes.byref(lda), ctypes.byref(info), 1)
    assert info.value == 0
    R = np.triu(U)
    np.testing.assert_allclose(R.T @ R, A, rtol=1e-12)
    rhs = np.asfortranarray(rng.standard_normal((5, 1)))
    sol = rhs.copy(order="F")
    nrhs, ldb = ctypes.c_int(1), ctypes.c_int(5)
    shim.dtrtrs_(b"U", b"T", b"N", ctypes.byref(n), ctypes.byref(nrhs), U.ctypes.data,
                 ctypes.byref(lda), sol.ctypes.data, ctypes.byref(ldb), ctypes.byref(info),
                 1, 1, 1)
    assert info.value == 0
    np.testing.assert_allclose(R.T @ sol, rhs, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------
# driver loop
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("blas", ["scipy", "system"])
@pytest.mark.parametrize("name,n,lo,hi,xstar", CASES, ids=[c[0] for c in CASES])
def test_rosenbrock_converges_to_known_minimum(blas, name, n, lo, hi, xstar):
    _require(blas)
    r = fortran.run(fg, x0_for(n), lo, hi, blas=blas)
    assert r["task"].startswith("CONVERGENCE"), r["task"]
    assert r["warnflag"] == 0
    lo_ = -np.inf if lo is None else lo
    hi_ = np.inf if hi is None else hi
    assert np.all(r["x"] >= lo_) and np.all(r["x"] <= hi_)
    if xstar is not None:
        np.testing.assert_allclose(r["x"], xstar, atol=1e-4)
        assert r["f"] == pytest.approx(rosen(xstar), abs=1e-8)


@pytest.mark.parametrize("name,n,lo,hi,xstar", CASES, ids=[c[0] for c in CASES])
def test_fortran_agrees_with_scipy_minimize(scipy_lib, name, n, lo, hi, xstar):
    x0 = x0_for(n)
    r = fortran.run(fg, x0, lo, hi, blas="scipy")
    s = minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B",
                 bounds=_scipy_bounds(lo, hi, n))
    np.testing.assert_allclose(r["x"], s.x, rtol=1e-6, atol=1e-8)
    assert r["f"] == pytest.approx(s.fun, rel=1e-6, abs=1e-12)
    # same algorithm, same line search (maxls=20), same counting
    assert r["nit"] == s.nit
    assert r["nfev"] == s.nfev
    assert s.success


@pytest.mark.parametrize("maxiter,maxfun,msg", [
    (5, 15000, "STOP: TOTAL NO. of ITERATIONS REACHED LIMIT"),
    (15000, 10, "STOP: TOTAL NO. of f AND g EVALUATIONS EXCEEDS LIMIT"),
])
def test_maxiter_maxfun_stop_like_scipy(scipy_lib, maxiter, maxfun, msg):
    x0 = x0_for(10)
    r = fortran.run(fg, x0, maxiter=maxiter, maxfun=maxfun, blas="scipy")
    s = minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B",
                 options=dict(maxiter=maxiter, maxfun=maxfun))
    assert r["task"] == msg
    assert r["warnflag"] == 1 and s.status == 1
    assert r["nit"] == s.nit
    assert r["nfev"] == s.nfev
    np.testing.assert_allclose(r["x"], s.x, rtol=1e-6, atol=1e-8)


def test_records_trace_every_request_iterate_and_state(scipy_lib):
    x0 = x0_for(2)
    r = fortran.run(fg, x0, np.array([-2.0, -2.0]), np.array([0.8, np.inf]))
    assert len(r["fg_points"]) == r["nfev"]
    assert len(r["iterates"]) == r["nit"]
    assert len(r["states"]) == r["nfev"] + r["nit"] + 1   # +1: final CONVERGENCE call
    np.testing.assert_array_equal(r["fg_points"][0], x0)
    tasks = [st["task"] for st in r["states"]]
    assert tasks[0].startswith("FG_START")
    assert tasks[-1] == r["task"]
    for it in r["iterates"]:
        f, g = fg(it["x"])
        assert it["f"] == f
        np.testing.assert_array_equal(it["g"], g)
    for st in r["states"]:
        assert st["isave"].dtype == np.int32 and st["isave"].shape == (44,)
        assert st["dsave"].shape == (29,) and st["lsave"].shape == (4,)
    # isave(30) = iter, isave(34) = total f and g evaluations (Fortran 1-based)
    assert r["states"][-1]["isave"][29] == r["nit"]
    assert r["states"][-1]["isave"][33] == r["nfev"]


# ---------------------------------------------------------------------------
# argument validation and thin wrappers
# ---------------------------------------------------------------------------

def _setulb_args(n=3, m=5):
    return dict(n=n, m=m, x=np.zeros(n), l=np.zeros(n), u=np.zeros(n),
                nbd=np.zeros(n, np.int32), f=np.zeros(1), g=np.zeros(n),
                factr=1e7, pgtol=1e-5, wa=np.zeros(2 * m * n + 5 * n + 11 * m * m + 8 * m),
                iwa=np.zeros(3 * n, np.int32), task=fortran.make_task("START"),
                iprint=-1, csave=fortran.make_task(""), lsave=np.zeros(4, np.int32),
                isave=np.zeros(44, np.int32), dsave=np.zeros(29))


@pytest.mark.parametrize("key,bad", [
    ("x", np.zeros(3, np.float32)),
    ("x", np.zeros(4)),
    ("x", np.zeros(6)[::2]),
    ("x", [0.0, 0.0, 0.0]),
    ("nbd", np.zeros(3, np.int64)),
    ("g", np.zeros(3)[None, :].repeat(2, 0)[:, 0]),
    ("f", np.zeros(2)),
    ("wa", np.zeros(10)),
    ("iwa", np.zeros(8, np.int32)),
    ("isave", np.zeros(43, np.int32)),
    ("dsave", np.zeros(28)),
    ("lsave", np.zeros(4, bool)),
    ("task", np.zeros(1, "S59")),
    ("task", bytearray(59)),
    ("task", "START"),
    ("csave", np.zeros(59, np.uint8)),
    ("n", 0),
    ("m", -1),
    ("n", 2.5),
])
def test_bad_setulb_buffers_raise_valueerror(scipy_lib, key, bad):
    args = _setulb_args()
    args[key] = bad
    with pytest.raises(ValueError):
        fortran.setulb(**args)


def test_readonly_buffer_raises_valueerror(scipy_lib):
    args = _setulb_args()
    args["x"].setflags(write=False)
    with pytest.raises(ValueError):
        fortran.setulb(**args)


def test_setulb_accepts_0d_f_and_bytearray_task(scipy_lib):
    args = _setulb_args()
    args["f"] = np.array(0.0)
    args["task"] = fortran.make_task("START", kind="bytearray")
    args["l"][:] = -1
    args["u"][:] = 1
    args["nbd"][:] = 2
    fortran.setulb(**args)
    assert fortran.task_str(args["task"]) == "FG_START"


def test_subroutine_wrappers_validate_and_return_scalars(scipy_lib):
    n = 3
    l, u = np.zeros(n), np.ones(n)
    nbd = np.array([2, 2, 0], np.int32)
    x, g = np.array([0.5, 1.0, 3.0]), np.array([1.0, -2.0, 0.5])
    assert fortran.projgr(n, l, u, nbd, x, g, 0.0)["sbgnrm"] == 0.5
    with pytest.raises(ValueError):
        fortran.projgr(n, l, u, nbd, x.astype(np.float32), g, 0.0)
    with pytest.raises(ValueError):
        fortran.projgr(5, l, u, nbd, x, g, 0.0)          # arrays too short for n
    with pytest.raises(ValueError):
        fortran.bmv(2, np.zeros((2, 2), order="C"), np.zeros(4), 1, np.zeros(2),
                    np.zeros(2), 0)                         # 2-D must be F-ordered
    out = fortran.errclb(n, 5, 1e7, np.array([0.0, 2.0, 0.0]), u, nbd, "START", 0, 0)
    assert out["task"] == "ERROR: NO FEASIBLE SOLUTION"
    assert out["info"] == -7 and out["k"] == 2
    t = np.array([3.0, 1.0, 2.0, 5.0, 4.0])
    io = np.arange(1, 6, dtype=np.int32)
    fortran.hpsolb(5, t, io, 0)
    assert t[-1] == 1.0 and io[-1] == 2            # least element moved to the end
    isave, dsave = np.zeros(2, np.int32), np.zeros(13)
    r = fortran.dcsrch(1.0, -1.0, 1.0, 1e-3, 0.9, 0.1, 0.0, 10.0, "START", isave, dsave)
    assert r["task"] == "FG" and r["stp"] == 1.0


def test_debian_lnsrlb_prints_ascent_message_regardless_of_iprint(scipy_lib):
    # lnsrlb's `if (iprint .ge. 0)` (Debian silence patch) tests an undeclared,
    # uninitialised local; gfortran folded it to "always print".
    code = textwrap.dedent("""
        import sys, numpy as np
        sys.path.append(%r)
        from tools import fortran
        n = 3
        z = lambda: np.zeros(n)
        out = fortran.lnsrlb(n, z(), np.ones(n), np.zeros(n, np.int32), z(), 1.0, 0.0,
                             0.0, 0.0, np.ones(n), np.ones(n), z(), z(), z(), 0.0, 0.0,
                             0.0, 0.0, 0.0, 0, 0, 0, 0, 0, "START", False, False, "",
                             np.zeros(2, np.int32), np.zeros(13))
        print("INFO", out["info"])
    """ % ROOT)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    assert "INFO -4" in p.stdout
    assert "ascent direction in projection gd" in p.stdout
