"""SciPy 1.14.1's Fortran L-BFGS-B in the harness (``scipy114``) and the
flavour that reproduces it.

SciPy 1.14 runs out of process from its own venv (tools/_build/scipy114, made
by tools/setup.sh), on the current SciPy's OpenBLAS (LD_PRELOAD).  What
separates it from Debian's build is in its source: LINPACK dpofa/dtrsl
(bundled linpack.f) where Debian calls LAPACK dpotrf/dtrtrs, and no output
unit in isave(24).  The port compiled from Debian's order plus those two
switches (flavour="scipy114") is bitwise SciPy 1.14, on every reference
problem: the difference is not the compiler's.

Skipped, with the reason, where SciPy 1.14.1 cannot be installed.
"""
import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, "tools")
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)

import harness  # noqa: E402

CI = os.environ.get("CI", "").strip().lower() == "true"


@pytest.fixture(scope="module")
def scipy114():
    ok, why = harness.impl_available("scipy114")
    if not ok:
        pytest.skip("SciPy 1.14.1 unavailable: " + why)
    ok, why = harness.impl_available("port")
    if not ok:
        pytest.fail(why, pytrace=False)


def _problems():
    try:
        return harness.problem_names()
    except Exception:                       # noqa: BLE001
        return []


@pytest.mark.parametrize("cfg", [{}, dict(m=3, factr=10.0, pgtol=1e-12, maxiter=3000)],
                         ids=["default", "m3-tight"])
@pytest.mark.parametrize("name", _problems())
def test_port_scipy114_flavour_is_scipy_114_bit_for_bit(name, cfg, scipy114):
    # a lock step identical through every call is also an identical free run
    rec = harness.compare_problem(name, impls=["port:scipy114", "scipy114"], ref="scipy114",
                                  mode="lockstep", **cfg)
    v = rec["verdicts"]["port:scipy114|scipy114"]
    assert v["agree"], harness.verdict_line(v)
    ls = rec["lockstep"]["port:scipy114|scipy114"]
    assert ls["identical_strict"] and ls["steps"] == ls["driver_steps"] > 0


def test_scipy114_runs_on_the_same_openblas_as_the_fortran_column(scipy114):
    from harness import scipy114 as s114
    bound = set(s114.worker().info["bound"].values())
    assert bound == {s114.openblas_of_current_scipy()}


@pytest.mark.parametrize("name", ["HS38", "BEALE", "HS4"])
def test_scipy114_vs_fortran_is_explained_by_linpack_and_the_output_unit(name, scipy114):
    rec = harness.compare_problem(name, impls=["scipy114", "fortran"], ref="fortran",
                                  mode="lockstep", attribute=True)
    v = rec["verdicts"]["scipy114|fortran"]
    e = v["explanation"]
    assert not v["agree"] and e["explained"], harness.verdict_line(v)
    assert "mainlb_no_itfile" in e["by"]
    if v["fg_first"] is not None:           # the path differs: LINPACK's rounding
        assert "linpack_dpofa_dtrsl" in e["by"]


def test_linpack_dpofa_divides_where_openblas_dpotrf_multiplies_by_the_reciprocal():
    lb = harness.load_port()
    from lbfgsb.port import linpack as _linpack
    from lbfgsb.port.kernels import call_dpotrf
    rng = np.random.default_rng(3)
    seen = 0
    for _ in range(200):
        b = rng.standard_normal((2, 2))
        a = np.asfortranarray(b @ b.T + 2 * np.eye(2))
        lin = a.copy(order="F")
        lap = a.ravel(order="F").copy()
        assert _linpack.dpofa_test(lin) == 0
        assert call_dpotrf("scipy", b"U", 2, lap, 2) == 0
        lap = lap.reshape(2, 2, order="F")
        r11 = np.sqrt(a[0, 0])
        assert lin[0, 1] == a[0, 1] / r11          # dpofa: t = t/a(k,k)
        seen += lin[0, 1] != lap[0, 1]
        np.testing.assert_allclose(np.triu(lin), np.triu(lap), rtol=1e-14)
    del lb
    assert seen > 0                                # the bits part at two columns
