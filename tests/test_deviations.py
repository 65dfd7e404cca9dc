"""Named deviations: each documented departure of SciPy's C from the Fortran is
a switch (a bit of the kernels' ``int flavour``) acting at one place, a
flavour is any set of them, and the tables of docs/VERIFY.md are the registry's.

That ``flavour="fortran"`` (the empty set) and ``flavour="scipy"`` (all of
them) keep their bits is proven by the cross-check tests; what a subset does
is proven by the harness's attribution (tests/test_attribution.py).
"""
import pathlib
import warnings
import re

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import lbfgsb
from lbfgsb.port.deviations import DEVIATIONS, FLAVOURS, flavour_code, flavour_label

ROOT = pathlib.Path(__file__).resolve().parent.parent
VERIFY = (ROOT / "docs" / "VERIFY.md").read_text()
SOURCES = {p.name: p.read_text() for p in sorted((ROOT / "lbfgsb").glob("**/*.pyx"))
           if p.name != "deviations.pyx"}


def rosen_fg(x):
    f = float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))
    g = np.zeros_like(x)
    g[:-1] = -400 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
    g[1:] += 200 * (x[1:] - x[:-1] ** 2)
    return f, g


def _verify_doc_table(header):
    """{first column (unquoted): second column} of the docs/VERIFY.md table
    whose header row starts with ``header``."""
    lines = VERIFY.splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.startswith(header))
    rows = {}
    for ln in lines[i + 2:]:
        if not ln.startswith("|"):
            break
        cells = [c.strip() for c in ln.strip("|").split("|")]
        rows[cells[0].strip("`")] = cells[1].replace("`", "")
    return rows


def test_verify_doc_flavour_table_is_the_registry_of_switches():
    table = _verify_doc_table("| switch | routine |")
    assert list(table) == [d.name for d in lbfgsb.deviations(port=False)]
    for d in lbfgsb.deviations(port=False):
        assert table[d.name] == d.routine, d.name
        assert d.switch and d.bit and d.description and d.reference


def test_verify_doc_port_departures_are_the_registry_of_non_switches():
    table = _verify_doc_table("| name | where |")
    assert list(table) == [d.name for d in lbfgsb.deviations(switches=False)]
    for d in lbfgsb.deviations(switches=False):
        assert table[d.name] == d.routine and not d.switch and d.bit == 0


def test_each_switch_is_one_distinct_bit_and_a_flavour_is_its_references_switches():
    bits = [d.bit for d in DEVIATIONS.values()]
    assert all(b and b & (b - 1) == 0 for b in bits) and len(set(bits)) == len(bits)
    assert flavour_code("fortran") == 0
    for label, prefix in (("scipy", "SciPy >= 1.15"), ("scipy114", "SciPy <= 1.14")):
        names = {nm for nm, d in DEVIATIONS.items() if d.reference.startswith(prefix)}
        assert FLAVOURS[label] == names and names
        assert flavour_code(label) == sum(DEVIATIONS[nm].bit for nm in names)
    assert FLAVOURS["scipy"] | FLAVOURS["scipy114"] == frozenset(DEVIATIONS)
    # the SciPy flavour's bits: the six it always had and the two of issue 22 (256, 512)
    assert flavour_code("scipy") == 63 | 256 | 512


@pytest.mark.parametrize("name", list(DEVIATIONS))
def test_each_switch_acts_at_exactly_one_place_with_its_name_there(name):
    const = "DEV_" + name.upper()
    uses = [(fn, m.start()) for fn, text in SOURCES.items()
            for m in re.finditer(r"flavour\s*&\s*" + const + r"\b", text)]
    assert len(uses) == 1, uses
    fn, pos = uses[0]
    text = SOURCES[fn]
    near = text[max(0, text.rfind("\n", 0, pos - 400)):text.find("\n", pos + 400)]
    assert name in near, f"{name} not named next to its test in {fn}"
    routine = DEVIATIONS[name].routine.split()[0]
    assert fn == {"driver": "_run.pyx", "mainlb": "setulb.pyx"}.get(routine, "%s.pyx" % routine)
    # and the old all-or-nothing test is gone
    assert not any("== FLAVOUR_SCIPY" in t or "!= FLAVOUR_SCIPY" in t for t in SOURCES.values())


@pytest.mark.parametrize("flavour,label", [
    ("fortran", "fortran"), ("scipy", "scipy"), (set(), "fortran"),
    (FLAVOURS["scipy"], "scipy"), (["scipy"], "scipy"), (FLAVOURS["scipy114"], "scipy114"),
    ({"linpack_dpofa_dtrsl", "mainlb_no_itfile"}, "scipy114"),
    ({"formk_dtrtrs_blocked", "lnsrlb_dnrm2"}, "lnsrlb_dnrm2+formk_dtrtrs_blocked"),
    ("formk_dtrtrs_blocked, lnsrlb_dnrm2", "lnsrlb_dnrm2+formk_dtrtrs_blocked"),
    ("mainlb_rr_dnrm2", "mainlb_rr_dnrm2"),
])
def test_flavour_is_any_set_of_switch_names_with_one_canonical_label(flavour, label):
    assert flavour_label(flavour) == label
    assert flavour_code(label) == flavour_code(flavour)


@pytest.mark.parametrize("bad", [3, None, "Fortran", "scipy114x", {"lnsrlb"}, ["fortran", 1],
                                 b"scipy"])
def test_unknown_flavour_is_a_clear_value_error_naming_the_switches(bad):
    with pytest.raises(ValueError, match="lnsrlb_dnrm2"):
        flavour_code(bad)
    with pytest.raises(ValueError, match="flavour|deviation"):
        lbfgsb.minimize(rosen_fg, np.zeros(2), jac=True, flavour=bad)


SUBSET = {"lnsrlb_dnrm2", "mainlb_rr_dnrm2"}


def test_every_entry_point_accepts_a_subset_and_agrees_with_minimize():
    x0 = np.array([-1.2, 1.0])
    ref = lbfgsb.minimize(rosen_fg, x0, jac=True, flavour=SUBSET)
    x, f, d = lbfgsb.fmin_l_bfgs_b(rosen_fg, x0, flavour=SUBSET)
    assert_array_equal(x, ref.x) and f == ref.fun
    s = lbfgsb.Solver(x0, flavour=SUBSET)
    for x in s:
        s.tell(*rosen_fg(x))
    assert_array_equal(s.result().x, ref.x)
    def fg_batch(X, active):
        fs, gs = zip(*map(rosen_fg, X))
        return np.array(fs), np.array(gs)
    out = lbfgsb.minimize_batch(fg_batch, x0[None, :], flavour=SUBSET)
    assert_array_equal(out[0].x, ref.x)
    import scipy.optimize as so
    with lbfgsb.scipy_patched(flavour=SUBSET):
        sp = so.minimize(rosen_fg, x0, jac=True, method="L-BFGS-B")
    assert_array_equal(sp.x, ref.x) and sp.nfev == ref.nfev
    # the switches act: the subset leaves the Fortran's path
    fortran = lbfgsb.minimize(rosen_fg, x0, jac=True, flavour="fortran")
    assert (fortran.fun, fortran.nfev) != (ref.fun, ref.nfev)


def test_a_checkpoint_keeps_the_subset():
    x0 = np.array([-1.2, 1.0])
    s = lbfgsb.Solver(x0, flavour=SUBSET, maxiter=50)
    x = s.ask()
    s.tell(*rosen_fg(x))
    d = s.state_dict()
    assert str(np.asarray(d["flavour"]).item() if hasattr(d["flavour"], "shape")
               else d["flavour"]) == flavour_label(SUBSET)
    t = lbfgsb.Solver.from_state(d)
    for x in t:
        t.tell(*rosen_fg(x))
    for x in s:
        s.tell(*rosen_fg(x))
    assert_array_equal(t.result().x, s.result().x)


def test_setulb_takes_a_subset_in_its_int_flavour():
    n, m = 3, 5
    wa = np.zeros(2 * m * n + 5 * n + 11 * m * m + 8 * m)
    task = np.array([b"START"], "S60")
    csave = np.zeros(1, "S60")
    x = np.full(n, 2.0)
    f, g = np.zeros(()), np.zeros(n)
    args = (m, x, np.zeros(n), np.zeros(n), np.zeros(n, np.int32), f, g, 1e7, 1e-5, wa,
            np.zeros(3 * n, np.int32), task, -1, csave, np.zeros(4, np.int32),
            np.zeros(44, np.int32), np.zeros(29))
    lbfgsb.setulb(*args, flavour={"cauchy_dead_exit"})
    assert bytes(task[0]).startswith(b"FG")
    with pytest.raises(ValueError, match="deviation"):
        lbfgsb.setulb(*args, flavour={"nope"})


def test_driver_f_by_value_alone_reproduces_scipys_reported_f_after_abnormal():
    import scipy.optimize as so

    # NaN once x leaves x[0] <= -1: the line search fails, ABNORMAL
    nan_after = lambda x: rosen_fg(x) if x[0] <= -1.0 else (np.nan, np.full(2, np.nan))  # noqa: E731
    x0 = np.full(2, -1.2)
    ref = so.minimize(nan_after, x0, jac=True, method="L-BFGS-B")
    alone = lbfgsb.minimize(nan_after, x0, jac=True, flavour={"driver_f_by_value"})
    without = lbfgsb.minimize(nan_after, x0, jac=True,
                              flavour=FLAVOURS["scipy"] - {"driver_f_by_value"})
    assert np.isnan(alone.fun) and np.isnan(ref.fun)
    assert without.fun == rosen_fg(without.x)[0]


def _bits(a):
    return np.asarray(a, dtype=float).tobytes()


def test_cauchy_neg_operand_gives_scipys_nan_sign_on_a_badly_scaled_objective():
    import scipy.optimize as so

    # f and g near the largest double: the Cauchy step's f1 overflows and
    # -f1/f2 is NaN, whose sign bit C's (-f1)/f2 and Fortran's -(f1/f2) differ in
    def fg(x):
        d = x - 0.5
        return 1e308 * float(np.sum(d * d)), 1e308 * 2 * d
    x0 = np.random.default_rng(0).normal(size=2) * 3
    ref = so.minimize(fg, x0, jac=True, method="L-BFGS-B")
    got = lbfgsb.minimize(fg, x0, jac=True, flavour="scipy")
    without = lbfgsb.minimize(fg, x0, jac=True,
                              flavour=FLAVOURS["scipy"] - {"cauchy_neg_operand"})
    assert np.isnan(ref.fun) and np.signbit(ref.fun)
    assert _bits(got.fun) == _bits(ref.fun) and _bits(got.x) == _bits(ref.x)
    assert np.isnan(without.fun) and not np.signbit(without.fun)


def test_lnsrlb_fmin_swapped_keeps_scipys_plus_zero_at_an_upper_bound_of_minus_zero():
    import scipy.optimize as so

    # a random problem (seed 29 of issue 22's search): a line-search trial
    # point is +0.0 at u = -0.0; SciPy's fmin(u, x) keeps +0.0, min(x, u) -0.0
    rng = np.random.default_rng(29)
    n = rng.integers(2, 6)
    A = rng.normal(size=(n, n))
    H, c = A @ A.T + 0.1 * np.eye(n), rng.normal(size=n)
    bounds = [(None, None if rng.random() < 0.4 else -0.0) for _ in range(n)]
    x0 = rng.normal(size=n) - 1.0

    def fg(x):
        d = x - c
        return float(d @ H @ d) + float(np.sum(np.sin(x))), 2 * H @ d + np.cos(x)
    ref = so.minimize(fg, x0, jac=True, method="L-BFGS-B", bounds=bounds)
    got = lbfgsb.minimize(fg, x0, jac=True, bounds=bounds, flavour="scipy")
    without = lbfgsb.minimize(fg, x0, jac=True, bounds=bounds,
                              flavour=FLAVOURS["scipy"] - {"lnsrlb_fmin_swapped"})
    at_bound = [i for i, (_, hi) in enumerate(bounds) if hi is not None and ref.x[i] == 0]
    assert at_bound and not np.signbit(ref.x[at_bound]).any()
    assert _bits(got.x) == _bits(ref.x) and _bits(got.fun) == _bits(ref.fun)
    assert np.signbit(without.x[at_bound]).all()


def test_lnsrlb_fmin_swapped_clips_a_nan_trial_point_to_the_bound_as_scipy():
    import scipy.optimize as so

    # a badly scaled objective whose line search meets x = NaN: glibc's
    # fmin(u, NaN) is u (as the Fortran's min(NaN, u)), the next trial is the
    # bound -0.0 and SciPy reports f there (found by tests/test_fuzz.py)
    c = np.random.default_rng(448).normal(size=2)
    h, c = float(c[0] ** 2 + 0.1), c[1]
    x0 = np.array([-1.513120530115899])

    def fun(x):
        return np.float32(1e308 * (h * float(x[0] - c) ** 2 + float(np.sin(x[0]))) + 10.638)

    def jac(x):
        return 1e308 * (2 * h * (x - c) + np.cos(x))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = so.minimize(fun, x0, jac=jac, bounds=[(None, -0.0)], method="L-BFGS-B",
                          options={"maxls": 3})
        got = lbfgsb.minimize(fun, x0, jac=jac, bounds=[(None, -0.0)], maxls=3,
                              flavour="scipy")
    assert ref.message.startswith("ABNORMAL") and np.isinf(ref.fun)
    assert type(got.fun) is np.float32 and _bits(got.fun) == _bits(ref.fun)
    assert _bits(got.x) == _bits(ref.x) and got.nfev == ref.nfev
