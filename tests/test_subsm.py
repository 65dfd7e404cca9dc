"""cmprlb and subsm (lbfgsb.port.subsm).

* dense NumPy algebra: cmprlb's r = -Z'(B(xcp - x) + g) with B the [BNS94]
  compact matrix; subsm's unconstrained step solves (Z'BZ) d = r
  ([BLNZ95 §5.1], (5.7)); the [MN11] projection / backtracking gives a feasible x.
* Debian's Fortran on SciPy's OpenBLAS (tools/fortran.py): bit for bit.
"""
import importlib.util

import numpy as np
import pytest

from lbfgsb.port.formk import py_formk, py_formt
from lbfgsb.port.subsm import py_cmprlb, py_subsm

from kernel_states import bits_equal, make_pairs, store

# the `fortran` fixture (Debian's Fortran on SciPy's BLAS) is in conftest.py


# ---------------------------------------------------------------------------
# a consistent state at the Cauchy point
# ---------------------------------------------------------------------------

def make_state(seed, n=14, m=5, col=4, head=3, bounded=True, frac_free=0.6, width=0.3):
    rng = np.random.default_rng(seed)
    S, Y = make_pairs(rng, n, col)
    ws, wy, sy, ss = store(S, Y, m, head)
    theta = float(rng.uniform(0.5, 2.0))
    wt, info = py_formt(m, np.zeros((m, m), order="F"), sy, ss, col, theta)
    assert info == 0

    free = rng.random(n) < frac_free
    free[0] = True
    ind = np.zeros(n, np.int32)
    nfree, iact = 0, n + 1
    for i in range(1, n + 1):            # freev's ordering
        if free[i - 1]:
            nfree += 1
            ind[nfree - 1] = i
        else:
            iact -= 1
            ind[iact - 1] = i
    wn, _, info = py_formk(n, nfree, ind, nfree, n + 1, ind.copy(), 1, False,
                           np.zeros((2 * m, 2 * m), order="F"),
                           np.zeros((2 * m, 2 * m), order="F"), m, ws, wy, sy,
                           theta, col, head)
    # (updatd False, every free variable "entering" from an all-active wn1 = 0
    # is not that state: build wn1 densely instead.)
    Z = free.astype(float)
    Am = 1.0 - Z
    wn1 = np.zeros((2 * m, 2 * m), order="F")
    wn1[:col, :col] = np.tril((Y * Z[:, None]).T @ Y)
    wn1[m:m + col, m:m + col] = np.tril((S * Am[:, None]).T @ S)
    blk = np.where(np.arange(col)[:, None] <= np.arange(col)[None, :],
                   (S * Z[:, None]).T @ Y, (S * Am[:, None]).T @ Y)
    wn1[m:m + col, :col] = blk
    wn, wn1, info = py_formk(n, nfree, ind, 0, n + 1, np.zeros(n, np.int32), 1, False,
                             np.zeros((2 * m, 2 * m), order="F"), wn1, m, ws, wy, sy,
                             theta, col, head)
    assert info == 0

    x = rng.standard_normal(n)
    g = rng.standard_normal(n)
    xcp = x + 0.3 * rng.standard_normal(n)
    if bounded:
        nbd = rng.integers(0, 4, n).astype(np.int32)
        l = xcp - rng.uniform(0.0, width, n)
        u = xcp + rng.uniform(0.0, width, n)
        # active variables sit at a bound, as at a Cauchy point
        for i in np.flatnonzero(~free):
            nbd[i] = 2
            xcp[i] = l[i] if rng.random() < 0.5 else u[i]
    else:
        nbd = np.zeros(n, np.int32)
        l = np.full(n, -1e30)
        u = np.full(n, 1e30)
    # c = W'(xcp - x), W = [Y, theta*S], as cauchy leaves it in wa(2m+1:)
    wa = np.zeros(4 * m)
    wa[2 * m:2 * m + col] = Y.T @ (xcp - x)
    wa[2 * m + col:2 * m + 2 * col] = theta * (S.T @ (xcp - x))
    return dict(n=n, m=m, col=col, head=head, S=S, Y=Y, ws=ws, wy=wy, sy=sy,
                wt=wt, theta=theta, free=free, ind=ind, nfree=nfree, wn=wn,
                x=x, g=g, xcp=xcp, l=l, u=u, nbd=nbd, wa=wa)


def dense_B(st):
    S, Y, theta = st["S"], st["Y"], st["theta"]
    SY = S.T @ Y
    D = np.diag(np.diag(SY))
    L = np.tril(SY, -1)
    M = np.linalg.inv(np.block([[-D, L.T], [L, theta * (S.T @ S)]]))
    W = np.hstack([Y, theta * S])
    return theta * np.eye(st["n"]) - W @ M @ W.T


def run_cmprlb(st, cnstnd=True):
    return py_cmprlb(st["n"], st["m"], st["x"], st["g"], st["ws"], st["wy"],
                     st["sy"], st["wt"], st["xcp"], st["wa"], st["ind"],
                     st["theta"], st["col"], st["head"], st["nfree"], cnstnd)


def run_subsm(st, r, gg=None, xx=None):
    d = np.zeros(st["n"])
    d[:st["nfree"]] = r[:st["nfree"]]
    return py_subsm(st["n"], st["m"], st["nfree"], st["ind"], st["l"], st["u"],
                    st["nbd"], st["xcp"], d, st["ws"], st["wy"], st["theta"],
                    st["x"] if xx is None else xx, st["g"] if gg is None else gg,
                    st["col"], st["head"], st["wn"])


# ---------------------------------------------------------------------------
# dense algebra
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(5))
def test_cmprlb_equals_minus_Zt_of_B_step_plus_g(seed):
    st = make_state(seed)
    r, wa, info = run_cmprlb(st)
    assert info == 0
    B = dense_B(st)
    idx = st["ind"][:st["nfree"]] - 1
    expected = -(B @ (st["xcp"] - st["x"]) + st["g"])[idx]
    # rtol 1e-10: a few dozen flops on O(1) data, M's condition number ~1e2.
    np.testing.assert_allclose(r[:st["nfree"]], expected, rtol=1e-10,
                               atol=1e-10 * np.abs(expected).max())


def test_cmprlb_unconstrained_is_minus_g():
    st = make_state(7)
    r, _, info = run_cmprlb(st, cnstnd=False)
    assert info == 0
    assert np.array_equal(r, -st["g"])


def test_cmprlb_reports_minus8_when_bmv_fails():
    st = make_state(8)
    st["wt"] = np.zeros_like(st["wt"])          # singular J'
    _, _, info = run_cmprlb(st)
    assert info == -8


@pytest.mark.parametrize("seed", range(5))
def test_subsm_unbounded_step_solves_reduced_newton_system(seed):
    st = make_state(seed, bounded=False)
    r, _, info = run_cmprlb(st)
    assert info == 0
    x, d, xp, iword, wv, info = run_subsm(st, r)
    assert info == 0 and iword == 0
    nf = st["nfree"]
    idx = st["ind"][:nf] - 1
    Bhat = dense_B(st)[np.ix_(idx, idx)]
    # rtol 1e-9: K's two Cholesky factors, condition number of Z'BZ ~1e3.
    np.testing.assert_allclose(Bhat @ d[:nf], r[:nf], rtol=1e-9,
                               atol=1e-9 * np.abs(r[:nf]).max())
    np.testing.assert_allclose(d[:nf], np.linalg.solve(Bhat, r[:nf]), rtol=1e-9, atol=1e-12)
    assert np.array_equal(xp, st["xcp"])
    expect_x = st["xcp"].copy()
    expect_x[idx] += d[:nf]
    assert np.array_equal(x, expect_x)


def test_subsm_projected_or_backtracked_point_is_feasible():
    seen = set()
    for seed in range(60):
        st = make_state(seed, width=0.3 if seed % 2 else 50.0)
        r, _, _ = run_cmprlb(st)
        x, d, xp, iword, wv, info = run_subsm(st, r)
        assert info == 0
        lo = np.where((st["nbd"] == 1) | (st["nbd"] == 2), st["l"], -np.inf)
        hi = np.where((st["nbd"] == 2) | (st["nbd"] == 3), st["u"], np.inf)
        assert np.all(x >= lo) and np.all(x <= hi)
        if iword == 1:
            dd_p = np.dot(x - st["x"], st["g"])
            x0, *_ = run_subsm(st, r, gg=np.zeros(st["n"]))   # never backtracks
            backtracked = not np.array_equal(x, x0)
            seen.add("backtrack" if backtracked else "projected")
            if not backtracked:
                assert dd_p <= 0
        else:
            seen.add("interior")
    assert seen == {"interior", "projected", "backtrack"}


def test_subsm_nsub0_leaves_everything():
    st = make_state(3)
    st["nfree"] = 0
    x, d, xp, iword, wv, info = run_subsm(st, np.zeros(st["n"]))
    assert np.array_equal(x, st["xcp"]) and info == 0 and iword == 0


# ---------------------------------------------------------------------------
# bit for bit against Debian's Fortran on SciPy's OpenBLAS
# ---------------------------------------------------------------------------

def _fortran_cmprlb(fortran, st, cnstnd=True):
    r = np.zeros(st["n"])
    wa = st["wa"].copy()
    out = fortran.cmprlb(st["n"], st["m"], st["x"].copy(), st["g"].copy(),
                         st["ws"].copy(order="F"), st["wy"].copy(order="F"),
                         st["sy"].copy(order="F"), st["wt"].copy(order="F"),
                         st["xcp"].copy(), r, wa, st["ind"].copy(), st["theta"],
                         st["col"], st["head"], st["nfree"], cnstnd, 0)
    return r, wa, out["info"]


def _fortran_subsm(fortran, st, r, gg=None):
    n, m = st["n"], st["m"]
    x = st["xcp"].copy()
    d = np.zeros(n)
    d[:st["nfree"]] = r[:st["nfree"]]
    xp = np.zeros(n)
    wv = np.zeros(2 * m)
    out = fortran.subsm(n, m, st["nfree"], st["ind"].copy(), st["l"].copy(),
                        st["u"].copy(), st["nbd"].copy(), x, d, xp,
                        st["ws"].copy(order="F"), st["wy"].copy(order="F"),
                        st["theta"], st["x"].copy(),
                        (st["g"] if gg is None else gg).copy(), st["col"],
                        st["head"], 0, wv, st["wn"].copy(order="F"), -1, 0)
    return x, d, xp, out["iword"], wv, out["info"]


def _assert_bitwise_same(res_c, res_f):
    """subsm's outputs (x, d, xp, iword, wv, info): arrays bit for bit."""
    for a, b in zip(res_c, res_f):
        if isinstance(a, np.ndarray):
            assert bits_equal(a, b)
        else:
            assert a == b


CASES = [dict(seed=s, bounded=b, n=n, m=m, col=c, head=h, width=w)
         for s, (b, n, m, c, h, w) in enumerate(
             [(True, 14, 5, 4, 3, 0.3), (True, 20, 6, 6, 2, 50.0), (False, 10, 3, 3, 1, 0),
              (True, 30, 8, 5, 8, 0.3), (True, 8, 2, 1, 2, 5.0), (False, 25, 7, 7, 5, 0)] * 8)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "s%(seed)d-n%(n)d-m%(m)d-c%(col)d" % c)
def test_cmprlb_and_subsm_bitwise_equal_to_fortran(fortran, case):
    st = make_state(1000 + case["seed"], n=case["n"], m=case["m"], col=case["col"],
                    head=case["head"], bounded=case["bounded"], width=case["width"])
    r_c, wa_c, info_c = run_cmprlb(st)
    r_f, wa_f, info_f = _fortran_cmprlb(fortran, st)
    assert info_c == info_f == 0
    assert bits_equal(r_c, r_f)
    assert bits_equal(wa_c, wa_f)
    res_c = run_subsm(st, r_c)
    res_f = _fortran_subsm(fortran, st, r_f)
    _assert_bitwise_same(res_c, res_f)


def test_subsm_backtracking_branch_bitwise_equal_to_fortran(fortran):
    hits = 0
    for seed in range(800):
        st = make_state(5000 + seed)
        r, _, _ = run_cmprlb(st)
        res_c = run_subsm(st, r)
        x0 = run_subsm(st, r, gg=np.zeros(st["n"]))[0]
        if res_c[3] != 1 or np.array_equal(res_c[0], x0):
            continue
        hits += 1
        res_f = _fortran_subsm(fortran, st, r)
        _assert_bitwise_same(res_c, res_f)
    assert hits >= 15


def test_cmprlb_unconstrained_bitwise_equal_to_fortran(fortran):
    st = make_state(77)
    r_c, _, info_c = run_cmprlb(st, cnstnd=False)
    r_f, _, info_f = _fortran_cmprlb(fortran, st, cnstnd=False)
    assert info_c == info_f and bits_equal(r_c, r_f)


@pytest.mark.parametrize("nbd,lo,hi,x_at", [
    (3, 0.0, -0.0, 0.0),        # x + d = +0.0 at an upper bound of -0.0: the bound
    (1, -0.0, 0.0, 0.0),        # x + d = +0.0 at a lower bound of -0.0: the bound
    (2, -0.0, 1.0, 0.0),
    (2, -1.0, -0.0, 0.0),
    (1, 0.0, 0.0, -0.0),        # x + d = -0.0 + +0.0 = +0.0 at +0.0
])
def test_subsm_projection_of_a_signed_zero_is_debians_bitwise(fortran, nbd, lo, hi, x_at):
    # Debian's gfortran clips with maxsd/minsd, xk+dk first: of two equal
    # values (+0.0 and -0.0) it keeps the bound (and SciPy's fmax/fmin do
    # the same); issue 22 found the port keeping xk+dk
    st = make_state(1000)
    k = st["ind"][0] - 1                    # a free variable
    st["ws"][k, :] = st["wy"][k, :] = 0.0   # its subspace step is r(k)/theta
    st["nbd"][k], st["l"][k], st["u"][k], st["xcp"][k] = nbd, lo, hi, x_at
    r, _, info = run_cmprlb(st)
    assert info == 0
    r[0] = 0.0                              # d(k) = +0.0
    gg = np.zeros(st["n"])                  # no backtracking: x is the projection
    res_c = run_subsm(st, r, gg=gg)
    res_f = _fortran_subsm(fortran, st, r, gg=gg)
    assert res_f[3] == 1
    bound = hi if nbd == 3 or (nbd == 2 and hi == 0) else lo
    assert res_f[0][k] == 0 and np.signbit(res_f[0][k]) == np.signbit(bound)
    _assert_bitwise_same(res_c, res_f)


def test_subsm_projection_of_a_nan_step_is_debians_bitwise(fortran):
    # a NaN in r makes the whole step NaN: Debian's maxsd/minsd give the
    # bound of every bounded free variable, NaN for the unbounded ones
    st = make_state(1001)
    r, _, info = run_cmprlb(st)
    r[0] = np.nan
    gg = np.zeros(st["n"])                  # no backtracking: x is the projection
    res_c = run_subsm(st, r, gg=gg)
    res_f = _fortran_subsm(fortran, st, r, gg=gg)
    free = st["ind"][:st["nfree"]] - 1
    bounded = free[st["nbd"][free] != 0]
    assert bounded.size and not np.isnan(res_f[0][bounded]).any()
    _assert_bitwise_same(res_c, res_f)
