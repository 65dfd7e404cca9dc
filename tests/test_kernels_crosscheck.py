"""kernels="reference" against Debian's Fortran on Debian's reference BLAS.

On every reference problem, with SciPy's default options and with the
stress set of tests/test_crosscheck.py (3 corrections, factr=10,
pgtol=1e-12: ring-buffer wrap, line-search failures, restarts), the port
with ``kernels="reference"`` (harness implementation ``port-reference``) must
be bitwise identical to ``fortran-system`` (Debian's liblbfgsb0 linked to the
system's libblas3 / liblapack3, no forwarding shim): in a free run (every f/g
point, iterate, final x, f, task and counts) and in lock step (every state
field after every setulb call).  This is the proof that the port's own
kernels reproduce the netlib order of operations inside L-BFGS-B, not only
kernel by kernel (tests/test_kernels.py).

Skipped without liblbfgsb0 or without the reference libblas3 (a failure
under CI=true, where tools/setup.sh installs them).
"""
import os

import pytest

from tools import harness      # (conftest.py puts the repository root on the path)

CI = os.environ.get("CI", "").strip().lower() == "true"

CONFIGS = {
    "default": {},
    "m3-tight": dict(m=3, factr=10.0, pgtol=1e-12, maxiter=3000),
}
CASES = [pytest.param(cfg, name, id="%s-%s" % (cfg, name))
         for cfg in CONFIGS for name in harness.problem_names()]
KEY = "port-reference|fortran-system"


def _system_blas_is_reference():
    real = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    return "/blas/" in real, real


@pytest.fixture(scope="module")
def fortran_system():
    ok, why = harness.impl_available("fortran-system")
    is_ref, real = _system_blas_is_reference()
    if ok and not is_ref:
        ok, why = False, "the system libblas.so.3 is not the reference BLAS (%s)" % real
    if not ok:
        if CI:
            pytest.fail("CI=true and " + why, pytrace=False)
        pytest.skip(why)
    ok, why = harness.impl_available("port-reference")
    if not ok:
        pytest.fail(why, pytrace=False)


_RECORDS = {}


def _record(cfg, name):
    if (cfg, name) not in _RECORDS:
        _RECORDS[cfg, name] = harness.compare_problem(
            name, impls=("port-reference", "fortran-system"), ref="fortran-system",
            mode="both", **CONFIGS[cfg])
    return _RECORDS[cfg, name]


@pytest.mark.parametrize("cfg,name", CASES)
def test_reference_kernels_match_fortran_on_reference_blas_bitwise_in_free_run(
        cfg, name, fortran_system):
    rec = _record(cfg, name)
    c = rec["free"]["compare"][KEY]
    bits, tol = harness.describe_first(c)
    assert c["identical"], "%s: first bitwise difference at %s (beyond rtol at %s)" % (
        name, bits, tol)
    assert c["final_x_identical"] and c["final_f_identical"] and c["task_equal"]


@pytest.mark.parametrize("cfg,name", CASES)
def test_reference_kernels_state_matches_fortran_on_reference_blas_in_lock_step(
        cfg, name, fortran_system):
    rec = _record(cfg, name)
    r = rec["lockstep"][KEY]
    assert r["identical_strict"], "%s: first state difference %s, divergence %s" % (
        name, r["first_state_diff"], r["divergence"])
    assert r["steps"] == r["driver_steps"] > 0
