"""bmv, formt and formk (lbfgsb.port.bmv, lbfgsb.port.formk).

Two kinds of evidence:
* dense NumPy algebra: the compact-representation middle matrix M of [BNS94],
  T = theta*S'S + L D^-1 L', and the matrix K of [ZBLN97 §4];
* Debian's Fortran (liblbfgsb.so.0 bound to SciPy's OpenBLAS through
  tools/fortran.py): outputs must be equal bit for bit.
"""
import importlib.util

import numpy as np
import pytest

from lbfgsb.port.bmv import py_bmv
from lbfgsb.port.formk import py_formk, py_formt

from kernel_states import bits_equal, make_pairs, store

# the `fortran` fixture (Debian's Fortran on SciPy's BLAS) is in conftest.py


# ---------------------------------------------------------------------------
# consistent L-BFGS-B states
# ---------------------------------------------------------------------------

def dense_M(S, Y, theta):
    """[BNS94] M = [[-D, L'], [L, theta*S'S]]^-1."""
    SY = S.T @ Y
    D = np.diag(np.diag(SY))
    L = np.tril(SY, -1)
    Minv = np.block([[-D, L.T], [L, theta * (S.T @ S)]])
    return np.linalg.inv(Minv)


def freev(n, prev_free, new_free):
    """Python transcription of freev's outputs: (index, nfree, nenter,
    ileave, indx2), all 1-based variable numbers. prev_free/new_free are
    boolean masks (iwhere <= 0)."""
    def order(mask):
        index = np.zeros(n, np.int32)
        nfree, iact = 0, n + 1
        for i in range(1, n + 1):
            if mask[i - 1]:
                nfree += 1
                index[nfree - 1] = i
            else:
                iact -= 1
                index[iact - 1] = i
        return index, nfree
    old_index, old_nfree = order(prev_free)
    indx2 = np.zeros(n, np.int32)
    nenter, ileave = 0, n + 1
    for i in range(old_nfree):
        k = old_index[i]
        if not new_free[k - 1]:
            ileave -= 1
            indx2[ileave - 1] = k
    for i in range(old_nfree, n):
        k = old_index[i]
        if new_free[k - 1]:
            nenter += 1
            indx2[nenter - 1] = k
    index, nfree = order(new_free)
    return index, nfree, nenter, ileave, indx2


def dense_wn1(S, Y, free, m):
    """The lower triangle of wn1 that formk maintains for free set `free`."""
    col = S.shape[1]
    Z = free.astype(float)
    A = 1.0 - Z
    wn1 = np.zeros((2 * m, 2 * m), order="F")
    wn1[:col, :col] = np.tril((Y * Z[:, None]).T @ Y)
    wn1[m:m + col, m:m + col] = np.tril((S * A[:, None]).T @ S)
    SZY = (S * Z[:, None]).T @ Y
    SAY = (S * A[:, None]).T @ Y
    blk = np.where(np.arange(col)[:, None] <= np.arange(col)[None, :], SZY, SAY)
    wn1[m:m + col, :col] = blk
    return wn1


def dense_K(S, Y, free, theta):
    """[ZBLN97 §4] K = [[-D - Y'ZZ'Y/theta, L_a' - R_z'],
                          [L_a - R_z, theta*S'AA'S]]."""
    Z = free.astype(float)
    A = 1.0 - Z
    D = np.diag(np.diag(S.T @ Y))
    La = np.tril((S * A[:, None]).T @ Y, -1)
    Rz = np.triu((S * Z[:, None]).T @ Y)
    return np.block([[-D - (Y * Z[:, None]).T @ Y / theta, La.T - Rz.T],
                     [La - Rz, theta * (S * A[:, None]).T @ S]])


def lower_blocks(wn1, m, col):
    out = np.zeros_like(wn1)
    out[:col, :col] = np.tril(wn1[:col, :col])
    out[m:m + col, m:m + col] = np.tril(wn1[m:m + col, m:m + col])
    out[m:m + col, :col] = wn1[m:m + col, :col]
    return out


def formk_case(rng, n, m, col, iupdat, updatd, head):
    """Inputs for formk: previous wn1 (dense, for the previous free set and
    the previous buffer), the current buffer and the freev outputs.  Returns
    a dict of formk's arguments plus the current S, Y and free mask."""
    theta = float(rng.uniform(0.5, 2.0))
    prev_free = rng.random(n) < 0.6
    new_free = prev_free.copy()
    flip = rng.random(n) < 0.3
    new_free[flip] = ~new_free[flip]
    if updatd and iupdat > m:
        # Buffer full: oldest pair dropped, newest written over it.
        assert col == m
        Sall, Yall = make_pairs(rng, n, m + 1)
        S_old, Y_old = Sall[:, :m], Yall[:, :m]
        S, Y = Sall[:, 1:], Yall[:, 1:]
        head_old = (head - 2) % m + 1
        ws, wy, sy, _ = store(S, Y, m, head)
        wn1 = dense_wn1(S_old, Y_old, prev_free, m)
    elif updatd:
        S, Y = make_pairs(rng, n, col)
        ws, wy, sy, _ = store(S, Y, m, head)
        wn1 = dense_wn1(S[:, :col - 1], Y[:, :col - 1], prev_free, m)
    else:
        S, Y = make_pairs(rng, n, col)
        ws, wy, sy, _ = store(S, Y, m, head)
        wn1 = dense_wn1(S, Y, prev_free, m)
    # Garbage in the unused triangles, to show they are neither read nor needed.
    wn1 = wn1 + np.triu(rng.standard_normal((2 * m, 2 * m)), 1) * \
        (np.arange(2 * m)[:, None] < m)  # upper part of the top rows only
    wn1 = np.asfortranarray(wn1)
    ind, nsub, nenter, ileave, indx2 = freev(n, prev_free, new_free)
    wn = np.asfortranarray(rng.standard_normal((2 * m, 2 * m)))
    args = dict(n=n, nsub=nsub, ind=ind, nenter=nenter, ileave=ileave,
                indx2=indx2, iupdat=iupdat, updatd=updatd, wn=wn, wn1=wn1,
                m=m, ws=ws, wy=wy, sy=sy, theta=theta, col=col, head=head)
    return args, S, Y, new_free


FORMK_CASES = [
    # (n, m, col, iupdat, updatd, head)
    (12, 5, 3, 3, True, 1),      # buffer filling, new pair
    (12, 5, 5, 5, True, 1),      # buffer just full
    (12, 5, 5, 6, True, 2),      # iupdat > m: shift branch
    (12, 5, 5, 9, True, 5),      # shift, head wrapped
    (12, 5, 5, 13, True, 1),     # shift, head back at 1
    (15, 4, 4, 7, False, 3),     # no update, only entering/leaving corrections
    (15, 4, 2, 2, False, 1),
    (9, 3, 1, 1, True, 1),       # single pair
    (20, 6, 6, 20, True, 3),
]


# ---------------------------------------------------------------------------
# dense algebra
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("m,col,head", [(5, 1, 1), (5, 3, 2), (5, 5, 4), (7, 7, 1)])
def test_formt_factor_reproduces_theta_SS_plus_L_Dinv_Lt(m, col, head):
    rng = np.random.default_rng(100 + 10 * m + col)
    n = 11
    S, Y = make_pairs(rng, n, col)
    _, _, sy, ss = store(S, Y, m, head)
    theta = 1.7
    wt, info = py_formt(m, np.zeros((m, m), order="F"), sy, ss, col, theta)
    assert info == 0
    J_t = np.triu(wt[:col, :col])
    SY = S.T @ Y
    L = np.tril(SY, -1)
    T = theta * (S.T @ S) + L @ np.diag(1 / np.diag(SY)) @ L.T
    np.testing.assert_allclose(J_t.T @ J_t, T, rtol=1e-12, atol=1e-12 * np.abs(T).max())


def test_formt_reports_minus3_when_T_not_positive_definite():
    m = 3
    sy = np.asfortranarray(np.eye(m))
    ss = np.asfortranarray(-np.eye(m))
    wt, info = py_formt(m, np.zeros((m, m), order="F"), sy, ss, 2, 1.0)
    assert info == -3


@pytest.mark.parametrize("m,col,head", [(5, 1, 3), (5, 3, 1), (5, 5, 3), (8, 6, 7)])
def test_bmv_equals_dense_middle_matrix_times_v(m, col, head):
    rng = np.random.default_rng(200 + 10 * m + col)
    n = 13
    S, Y = make_pairs(rng, n, col)
    _, _, sy, ss = store(S, Y, m, head)
    theta = 0.8
    wt, info = py_formt(m, np.zeros((m, m), order="F"), sy, ss, col, theta)
    assert info == 0
    v = rng.standard_normal(2 * col)
    p, info = py_bmv(m, sy, wt, col, v)
    assert info == 0
    expected = dense_M(S, Y, theta) @ v
    np.testing.assert_allclose(p, expected, rtol=1e-9, atol=1e-11 * np.abs(expected).max())


def test_bmv_col0_is_a_no_op():
    m = 3
    p, info = py_bmv(m, np.eye(m, order="F"), np.eye(m, order="F"), 0, np.zeros(0))
    assert info == 0 and p.size == 0


def test_bmv_reports_singular_factor():
    m = 3
    wt = np.asfortranarray(np.diag([1.0, 0.0, 1.0]))
    p, info = py_bmv(m, np.eye(m, order="F"), wt, 3, np.ones(6))
    assert info == 2


def test_shims_validate_lengths():
    with pytest.raises(ValueError):
        py_bmv(3, np.eye(3, order="F"), np.eye(3, order="F"), 2, np.ones(3))
    with pytest.raises(ValueError):
        py_formt(3, np.zeros((2, 2), order="F"), np.eye(3, order="F"), np.eye(3, order="F"), 2, 1.0)


@pytest.mark.parametrize("case", FORMK_CASES)
def test_formk_wn1_and_factor_reproduce_dense_K_for_free_set(case):
    n, m, col, iupdat, updatd, head = case
    rng = np.random.default_rng(abs(hash(case)) % 2**32)
    args, S, Y, free = formk_case(rng, *case)
    wn, wn1, info = py_formk(**args)
    assert info == 0
    # wn1 holds the inner products for the new free set and buffer.
    np.testing.assert_allclose(lower_blocks(wn1, m, col), dense_wn1(S, Y, free, m),
                               rtol=1e-12, atol=1e-12)
    # wn's upper triangle U satisfies U' diag(-I, I) U = K.
    U = np.triu(wn[:2 * col, :2 * col])
    E = np.diag(np.r_[-np.ones(col), np.ones(col)])
    K = dense_K(S, Y, free, args["theta"])
    np.testing.assert_allclose(U.T @ E @ U, K, rtol=1e-10, atol=1e-10 * np.abs(K).max())


def test_formk_reports_minus1_and_minus2():
    m, n, col = 2, 4, 2
    ind = np.arange(1, n + 1, dtype=np.int32)
    indx2 = np.zeros(n, np.int32)
    z = lambda: np.zeros((2 * m, 2 * m), order="F")  # noqa: E731
    ws = np.zeros((n, m), order="F")
    # (1,1) block = D (sy diagonal) negative -> first factorisation fails
    sy = np.asfortranarray(-np.eye(m))
    _, _, info = py_formk(n, n, ind, 0, n + 1, indx2, 1, False, z(), z(), m, ws, ws, sy, 1.0, col, 1)
    assert info == -1
    # (2,2) block theta*S'AA'S = 0 (all variables free) -> second fails
    sy = np.asfortranarray(np.eye(m))
    _, _, info = py_formk(n, n, ind, 0, n + 1, indx2, 1, False, z(), z(), m, ws, ws, sy, 1.0, col, 1)
    assert info == -2


# ---------------------------------------------------------------------------
# bit for bit against Debian's Fortran on SciPy's OpenBLAS
# ---------------------------------------------------------------------------



@pytest.mark.parametrize("seed", range(12))
def test_formt_and_bmv_bitwise_equal_to_fortran(fortran, seed):
    rng = np.random.default_rng(300 + seed)
    m = int(rng.integers(1, 9))
    col = int(rng.integers(1, m + 1))
    head = int(rng.integers(1, m + 1))
    n = int(rng.integers(col, 30)) + 1
    S, Y = make_pairs(rng, n, col)
    _, _, sy, ss = store(S, Y, m, head)
    theta = float(rng.uniform(0.1, 10.0))
    wt0 = np.asfortranarray(rng.standard_normal((m, m)))
    wt_c, info_c = py_formt(m, wt0, sy, ss, col, theta)
    wt_f = wt0.copy(order="F")
    out = fortran.formt(m, wt_f, sy.copy(order="F"), ss.copy(order="F"), col, theta, 0)
    assert info_c == out["info"] == 0
    assert bits_equal(wt_c, wt_f)

    v = rng.standard_normal(2 * col)
    p_c, info_c = py_bmv(m, sy, wt_c, col, v)
    p_f = np.zeros(2 * col)
    out = fortran.bmv(m, sy.copy(order="F"), wt_f, col, v.copy(), p_f, 0)
    assert info_c == out["info"] == 0
    assert bits_equal(p_c, p_f)


@pytest.mark.parametrize("case", FORMK_CASES)
@pytest.mark.parametrize("rep", range(3))
def test_formk_bitwise_equal_to_fortran(fortran, case, rep):
    rng = np.random.default_rng((abs(hash(case)) + 7919 * rep) % 2**32)
    args, _, _, _ = formk_case(rng, *case)
    wn_c, wn1_c, info_c = py_formk(**args)
    fargs = dict(args)
    fargs["wn"] = args["wn"].copy(order="F")
    fargs["wn1"] = args["wn1"].copy(order="F")
    for k in ("ind", "indx2"):
        fargs[k] = args[k].copy()
    for k in ("ws", "wy", "sy"):
        fargs[k] = args[k].copy(order="F")
    out = fortran.formk(info=0, **fargs)
    assert info_c == out["info"] == 0
    assert bits_equal(wn1_c, fargs["wn1"])
    assert bits_equal(wn_c, fargs["wn"])
