"""Tests of the reference problem set (reference/)."""

import functools
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import reference
from reference._core import classification_ok

ROOT = Path(__file__).resolve().parents[1]
ALL = reference.names()

# Problems on which SciPy's L-BFGS-B (default memory 10, tight tolerances,
# started from the published x0) does NOT reach the published optimal value,
# with the reason.  test_lbfgsb_known_failure_list_is_accurate checks that
# each of them still fails, so the list cannot go stale silently.
KNOWN_FAILURES = {
    "ARGTRIGLS": "converges to the local minimizer f=2.79506e-5 reported by More, Garbow "
                 "and Hillstrom for n=10",
    "BIGGS6": "converges to the local minimizer f=5.65565e-3 reported by MGH",
    "FROTH": "converges to the local minimizer f=48.9842 at (11.41, -0.8968) reported by MGH",
    "HS2": "x0 is projected to (-2, 1.5) and the method converges to the other local "
           "minimizer on x2=1.5 (x1 about -1.22, f about 4.94)",
    "HS25": "x0 = (100, 12.5, 3) lies on the bound x1 <= 100 where f is flat (|g| ~ 1e-8 "
            "for f ~ 33); the method stops at once on the relative-reduction test",
    "JENSMP": "the first line-search trial overflows exp(10 x); the method stalls at f~214",
    "PALMER4": "converges from x0 = (1,1,1,1) to the local minimizer f~2424.02 (A~13.1); the "
               "published 2285.383227 is reached from other starts (A~18.27, B~3.53, "
               "C~0.332, D~0.0419)",
    "PROBPENL": "the published values (SIF file) are those of the stationary point x_i ~ 1/n; "
                "in the box [-5,5]^n the function goes far lower (pairs x_i ~ -5, "
                "x_{i+1} ~ 4.8) and the method finds f~-5.7e-5 < 3.918e-6 at n=50",
    "MEYER3": "extremely badly scaled (x2 ~ 6000, x1 ~ 5e-3); stops at f~92 > 87.9458",
    "NCVXBQP3": "nonconvex: the method finds f ~ -6.708e5, LOWER than the value -6.60133e5 "
                "recorded in the SIF file (which is therefore only a local solution)",
    "POWELLBSLS": "badly scaled (solution x1 ~ 1e-5, x2 ~ 9.1); stops at f~1e-7",
    "SINEALI": "nonconvex (sines): converges to a local minimizer f~-873 > -901",
}

# The port (lbfgsb.minimize, default flavour "fortran": the iteration of the
# Fortran L-BFGS-B 3.0) fails on the same problems, except as noted here; its
# own list is checked the same way.  The port runs with kernels="reference"
# (its netlib-order BLAS/LAPACK), so that its path, and this list, are the same
# on every CPU; SciPy's path runs on OpenBLAS, whose kernels depend on the CPU
# (on this set only PALMER3 has been seen to care, and only through the
# objective's own dot products, which the PALMER objectives no longer use).
PORT_KNOWN_FAILURES = dict(KNOWN_FAILURES)
PORT_KNOWN_FAILURES.update({
    "MEYER3": "extremely badly scaled; stops at f~114 > 87.9458 (SciPy: f~92)",
    "PALMER3": "the Fortran's arithmetic (flavour 'fortran') takes the path into the "
               "badly scaled region B~9e-4, D~5e-3 and stops on the relative-reduction test at f~2339.66, not a stationary point; SciPy's "
               "path, and the port with flavour='scipy' (either kernel set), reach "
               "2265.958.  With kernels='scipy' the outcome depends on the OpenBLAS core "
               "type (measured: it reaches 2265.958 under Haswell, Prescott and SkylakeX, "
               "and stops at 2327.94 under Sandybridge)",
    "PROBPENL": "as for SciPy the published value is only a stationary point; the port goes "
                "on to a far lower point (f~-8.5e4 at n=50) with pairs of variables at the "
                "bounds -5 and ~4.8",
})


def _fd_grad(p, x):
    """Five-point central differences, steps kept inside any finite box."""
    lo, up = p.lower, p.upper
    g = np.empty(p.n)
    hs = np.empty(p.n)
    for i in range(p.n):
        h = 1e-4 * max(1.0, abs(x[i]))
        room = min(x[i] - lo[i], up[i] - x[i])
        if 0 < room < np.inf:
            h = min(h, 0.3 * room)
        hs[i] = h
        e = np.zeros(p.n)
        e[i] = h
        fm2, fm1, fp1, fp2 = (p.fg(x + k * e)[0] for k in (-2, -1, 1, 2))
        g[i] = (fm2 - 8.0 * fm1 + 8.0 * fp1 - fp2) / (12.0 * h)
    return g, hs


def _random_feasible_points(p, count=2):
    rng = np.random.default_rng(sum(map(ord, p.name)))  # fixed per problem
    lo, up, x0 = p.lower, p.upper, p.x0
    pts = []
    for _ in range(count):
        box = np.isfinite(lo) & np.isfinite(up)
        x = np.clip(x0, lo, up) + 0.1 * (1.0 + np.abs(x0)) * rng.uniform(-1, 1, p.n)
        # inside finite boxes: uniform in the middle 80 %
        x[box] = lo[box] + (0.1 + 0.8 * rng.uniform(size=box.sum())) * (up[box] - lo[box])
        # one-sided bounds: stay a little inside
        only_lo = np.isfinite(lo) & ~np.isfinite(up)
        only_up = ~np.isfinite(lo) & np.isfinite(up)
        x[only_lo] = np.maximum(x[only_lo], lo[only_lo] + 0.05 + 0.05 * np.abs(lo[only_lo]))
        x[only_up] = np.minimum(x[only_up], up[only_up] - 0.05 - 0.05 * np.abs(up[only_up]))
        pts.append(x)
    return pts


def _check_gradient(p, x):
    f, g = p.fg(x)
    assert math.isfinite(f)
    assert isinstance(g, np.ndarray) and g.dtype == np.float64 and g.shape == (p.n,)
    gfd, hs = _fd_grad(p, x)
    err = np.max(np.abs(g - gfd))
    scale = max(np.max(np.abs(g)), np.max(np.abs(gfd)))
    noise = 1e-12 * (1.0 + abs(f)) / np.min(hs)  # rounding level of the differences
    rtol = 1e-6 if p.smooth else 1e-4
    assert err <= rtol * scale + noise, (
        f"{p.name} n={p.n}: |g - g_fd|_inf = {err:.3e}, |g|_inf = {scale:.3e}, noise {noise:.1e}")


def _test_problem(name):
    s = reference.spec(name)
    return reference.get(name, s.test_n)


# ---------------------------------------------------------------------------
# the problem set as a whole
# ---------------------------------------------------------------------------
def test_problem_set_has_required_size_and_coverage():
    assert len(ALL) >= 80
    assert len(reference.names(bounded=True)) >= 30
    assert len(reference.names(active_at_solution=True)) >= 25
    assert len(reference.names(min_n=10_000)) >= 10
    assert len(reference.names(family="mgh")) == 34  # MGH 13 and 22 share POWELLSG
    for req in ("ROSENBR", "FROTH", "BEALE", "JENSMP", "HELIX", "BARD", "GAUSSIAN", "MEYER3",
                "GULF", "BOX3", "POWELLSG", "WOODS", "KOWOSB", "BROWNDEN", "OSBORNEA",
                "OSBORNEB", "BIGGS6", "WATSON", "PENALTY1", "PENALTY2", "VARDIM", "BROWNAL",
                "MOREBV", "CHEBYQAD", "HS1", "HS2", "HS3", "HS4", "HS5", "HS25", "HS38", "HS45",
                "HS110", "CVXBQP1", "NCVXBQP1", "NCVXBQP2", "NCVXBQP3", "EXPLIN", "EXPLIN2",
                "EXPQUAD", "HATFLDA", "HATFLDB", "HATFLDC", "MCCORMCK", "NONSCOMP", "S368",
                "SINEALI", "TORSION1", "TORSION6", "JNLBRNG1", "JNLBRNG2", "OBSTCLAE", "OBSTCLBL",
                "DEPT", "DPJB", "DMSA", "DODC", "DSSC", "DGL1", "ALLINIT", "LINVERSE", "PENTDI",
                "PROBPENL", "QRTQUAD", "PALMER1", "PALMER2", "PALMER3", "PALMER4", "BQPGASIM"):
        assert req in ALL, req


def test_large_problems_can_be_built_at_n_10000_and_evaluated():
    for name in reference.names(min_n=10_000):
        s = reference.spec(name)
        n = next(k for k in range(10_000, 12_000) if s.sizes.allows(k))
        p = reference.get(name, n)
        f, g = p.fg(p.x0)
        assert p.n == n >= 10_000 and math.isfinite(f) and g.shape == (n,)
        assert np.all(np.isfinite(g))


# ---------------------------------------------------------------------------
# per problem
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_classification_string_is_well_formed_and_consistent(name):
    s = reference.spec(name)
    c = s.classification
    assert classification_ok(c), c
    n_field = c.split("-")[2]
    if s.scalable:
        assert n_field == "V"
    else:
        assert n_field == "V" or int(n_field) == s.default_n
    p = reference.get(name)
    assert (c[1] != "U") == p.bounded, "constraint letter must agree with the bounds"


@pytest.mark.parametrize("name", ALL)
def test_problem_attributes_have_the_documented_types(name):
    p = reference.get(name)
    assert p.name == name and p.n == reference.spec(name).default_n
    for arr in (p.x0, p.lower, p.upper):
        assert arr.dtype == np.float64 and arr.shape == (p.n,)
    # fresh arrays every time
    x0 = p.x0
    x0[:] = 12345.0
    assert not np.any(p.x0 == 12345.0) or np.all(reference.get(name).x0 == p.x0)
    assert p.x0 is not p.x0
    assert np.all(p.lower <= p.upper)
    assert p.fopt is None or math.isfinite(p.fopt)
    assert isinstance(p.source, str) and len(p.source) > 10
    assert isinstance(p.bounded, bool)
    if p.active_at_solution:
        assert p.bounded


@pytest.mark.parametrize("name", ALL)
def test_x0_is_inside_the_bounds_unless_the_source_says_otherwise(name):
    p = _test_problem(name)
    inside = bool(np.all(p.x0 >= p.lower) and np.all(p.x0 <= p.upper))
    assert inside == p.x0_feasible


@pytest.mark.parametrize("name", ALL)
def test_f_is_finite_at_x0_and_fg_returns_a_new_gradient(name):
    p = _test_problem(name)
    x = p.x0
    f, g = p.fg(x)
    assert math.isfinite(f) and np.all(np.isfinite(g))
    f2, g2 = p.fg(x)
    assert f2 == f and g2 is not g and np.array_equal(g, g2)  # deterministic, fresh array
    assert np.array_equal(x, p.x0), "fg must not modify its argument"


@pytest.mark.parametrize("name", ALL)
def test_analytic_gradient_matches_finite_differences_at_x0_and_two_random_points(name):
    p = _test_problem(name)
    for x in [p.x0] + _random_feasible_points(p):
        _check_gradient(p, x)


@pytest.mark.parametrize("name", [n for n in ALL if reference.spec(n).scalable])
def test_scalable_problems_work_at_their_smallest_allowed_size_and_a_second_size(name):
    s = reference.spec(name)
    sizes = [k for k in range(s.sizes.min, s.sizes.min + 400) if s.sizes.allows(k)][:2]
    for n in sizes:
        p = reference.get(name, n)
        f, g = p.fg(p.x0)
        assert p.n == n and math.isfinite(f) and g.shape == (n,)


# ---------------------------------------------------------------------------
# L-BFGS-B (SciPy, and the port) reaches the published optimum
# ---------------------------------------------------------------------------
_OPTS = dict(maxiter=20000, maxfun=40000, ftol=1e-15, gtol=1e-10)


@functools.lru_cache(maxsize=None)
def _final_f(solver, name):
    """Final f of L-BFGS-B from the published x0 (cached: the known-failure
    checks reuse the parametrised runs)."""
    p = _test_problem(name)
    bounds = list(zip(p.lower, p.upper))
    with np.errstate(all="ignore"):
        if solver == "scipy":
            from scipy.optimize import minimize

            r = minimize(p.fg, p.x0, jac=True, method="L-BFGS-B", bounds=bounds, options=_OPTS)
        else:
            lbfgsb = pytest.importorskip("lbfgsb")
            r = lbfgsb.minimize(p.fg, p.x0, jac=True, bounds=bounds,
                                kernels="reference", **_OPTS)
    return float(r.fun)


def _reaches_fopt(solver, name):
    p = _test_problem(name)
    f = _final_f(solver, name)
    tol = p.ftol if p.ftol is not None else 1e-6
    return abs(f - p.fopt) <= tol * max(1.0, abs(p.fopt)), f


WITH_FOPT = [n for n in ALL if _test_problem(n).fopt is not None]
SOLVERS = {"scipy": KNOWN_FAILURES, "port": PORT_KNOWN_FAILURES}


@pytest.mark.parametrize("solver", sorted(SOLVERS))
@pytest.mark.parametrize("name", WITH_FOPT)
def test_lbfgsb_reaches_the_published_optimum_or_is_a_known_failure(name, solver):
    p = _test_problem(name)
    known = SOLVERS[solver]
    ok, f = _reaches_fopt(solver, name)
    if name in known:
        assert not ok, (f"{name} is listed as a known failure of {solver} ({known[name]}) "
                        f"but L-BFGS-B now reaches fopt={p.fopt} (f={f}); update the list")
    else:
        assert ok, f"{name} n={p.n}: {solver} L-BFGS-B ends at f={f!r}, published fopt={p.fopt!r}"


@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_lbfgsb_known_failure_list_is_accurate(solver):
    known = SOLVERS[solver]
    # every entry names a real problem with a published optimum ...
    for name in known:
        assert name in WITH_FOPT, name
    # ... and each entry still fails (the parametrised test checks the rest)
    still = [n for n in known if not _reaches_fopt(solver, n)[0]]
    assert sorted(still) == sorted(known)


# ---------------------------------------------------------------------------
# get() / names() behaviour and errors
# ---------------------------------------------------------------------------
def test_get_is_case_insensitive_and_uses_default_size():
    p = reference.get("rosenbr")
    assert p.name == "ROSENBR" and p.n == 2 and p.fopt == 0.0
    np.testing.assert_array_equal(p.x0, [-1.2, 1.0])
    assert not p.bounded


def test_get_unknown_name_raises_keyerror_listing_the_available_problems():
    with pytest.raises(KeyError) as ei:
        reference.get("NOSUCHPROBLEM")
    msg = str(ei.value)
    assert "NOSUCHPROBLEM" in msg and "ROSENBR" in msg and "HS110" in msg
    with pytest.raises(ValueError):
        reference.get("ROSENBRX")
    with pytest.raises(reference.UnknownProblemError, match="Did you mean"):
        reference.get("ROSENBRX")


@pytest.mark.parametrize("name,n", [("ROSENBR", 3), ("POWELLSG", 6), ("WATSON", 40),
                                    ("DEPT", 10), ("EXPLIN", 100), ("SROSENBR", 0)])
def test_get_unsupported_size_raises_valueerror_describing_the_allowed_sizes(name, n):
    with pytest.raises(ValueError, match="allowed sizes") as ei:
        reference.get(name, n)
    assert isinstance(ei.value, reference.UnsupportedSizeError)


def test_get_rejects_non_integer_sizes():
    with pytest.raises(ValueError):
        reference.get("SROSENBR", 10.5)
    with pytest.raises(ValueError):
        reference.get("SROSENBR", True)


def test_names_filters_by_bounds_activity_objective_and_size():
    b = set(reference.names(bounded=True))
    u = set(reference.names(bounded=False))
    assert b and u and not (b & u) and b | u == set(ALL)
    assert set(reference.names(active_at_solution=True)) <= b
    for n in reference.names(objective="S"):
        assert reference.spec(n).classification[0] == "S"
    assert set(reference.names(objective="QS")) == set(reference.names(objective="Q")) | set(
        reference.names(objective="S"))
    assert set(reference.names(classification="Q*")) == set(reference.names(objective="Q"))
    assert set(reference.names(constraints="B")) == b
    big = reference.names(min_n=10_000)
    assert "DEPT" in big and "ROSENBR" not in big
    assert set(big) <= set(reference.names(scalable=True))
    small = reference.names(max_n=2)
    assert "ROSENBR" in small and "HS45" not in small
    assert "WATSON" not in reference.names(min_n=32)
    assert set(reference.names(has_fopt=True)) >= set(WITH_FOPT)
    assert reference.names(family="minpack2") == ["DEPT", "DGL1", "DMSA", "DODC", "DPJB", "DSSC"]


def test_names_rejects_unknown_filters():
    with pytest.raises(TypeError, match="available filters"):
        reference.names(colour="red")


def test_problems_are_deterministic():
    for name in ("DMSA", "NCVXBQP1", "DGL1", "OSBORNEB"):
        a, b = reference.get(name), reference.get(name)
        np.testing.assert_array_equal(a.x0, b.x0)
        assert a.fg(a.x0)[0] == b.fg(b.x0)[0]


def test_package_imports_only_numpy():
    code = ("import sys, reference; bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('scipy', 'lbfgsb', 'pytest', 'hypothesis')); print(bad); assert not bad")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)


def test_command_line_list_prints_a_table_of_all_problems():
    out = subprocess.run([sys.executable, "-m", "reference", "--list"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    for name in ALL:
        assert name in out
    assert f"{len(ALL)} problems" in out
    assert "classification" in out
