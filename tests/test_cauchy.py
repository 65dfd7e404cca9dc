"""Bit-for-bit comparison of the Cython generalized Cauchy point (cauchy) and
breakpoint heap (hpsolb) with Debian's Fortran L-BFGS-B 3.0, the Fortran
bound to SciPy's OpenBLAS (tools.fortran blas="scipy") so that both sides use
the same ddot/daxpy/dscal/dcopy/dtrtrs kernels.

Every output and work array (iorder, iwhere, t, d, xcp, p, c, wbp, v) and the
scalars nseg, info must be identical to the last bit.
"""
import importlib.util
import os
import pathlib
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pytest

from lbfgsb.port import cauchy as _cauchy


from fortran_ref import F, needs_fortran  # noqa: E402

pytestmark = needs_fortran

BLAS = "scipy"
EPSMCH = float(np.finfo(np.float64).eps)


def bits(v):
    return np.asarray(v, dtype=np.float64).view(np.int64)


def assert_same_float(a, b, what=""):
    assert np.array_equal(bits(a), bits(b)), "%s:\n%r\n!=\n%r" % (what, a, b)


# ---------------------------------------------------------------------------
# hpsolb
# ---------------------------------------------------------------------------

def compare_hpsolb(t0, iorder0, iheap):
    tf, of = t0.copy(), iorder0.copy()
    tc, oc = t0.copy(), iorder0.copy()
    F.hpsolb(n=t0.size, t=tf, iorder=of, iheap=iheap, blas=BLAS)
    _cauchy.py_hpsolb(tc, oc, iheap)
    assert_same_float(tc, tf, "t")
    assert np.array_equal(oc, of)
    return tc, oc


def random_breakpoints(rng, n):
    kind = rng.integers(0, 4)
    if kind == 0:
        t = rng.random(n)
    elif kind == 1:
        t = rng.integers(0, 4, n).astype(float)          # many ties
    elif kind == 2:
        t = np.sort(rng.random(n))[::-1].copy()          # reversed
    else:
        t = np.sort(rng.random(n))                        # sorted
    return t, rng.permutation(np.arange(1, n + 1)).astype(np.int32)


def test_hpsolb_heap_build_and_extraction_match_fortran_bitwise():
    rng = np.random.default_rng(42)
    for _ in range(400):
        n = int(rng.integers(1, 40))
        t, iorder = random_breakpoints(rng, n)
        pairs = dict(zip(iorder.tolist(), t.tolist()))
        # as cauchy uses it: build the heap (iheap = 0), then pop with
        # shrinking n (iheap = 1); the popped values come out in order
        popped = []
        nleft = n
        iheap = 0
        while nleft >= 1:
            tc, oc = compare_hpsolb(t[:nleft], iorder[:nleft], iheap)
            t[:nleft], iorder[:nleft] = tc, oc
            popped.append(t[nleft - 1])
            assert pairs[int(iorder[nleft - 1])] == t[nleft - 1]
            nleft -= 1
            iheap = 1
        assert popped == sorted(popped)


def test_hpsolb_single_calls_with_iheap_zero_and_nonzero_match_fortran():
    rng = np.random.default_rng(5)
    for _ in range(300):
        n = int(rng.integers(1, 25))
        t, iorder = random_breakpoints(rng, n)
        compare_hpsolb(t, iorder, 0)
        compare_hpsolb(t, iorder, int(rng.integers(1, 3)))   # not a heap: as is


# ---------------------------------------------------------------------------
# cauchy
# ---------------------------------------------------------------------------

def lbfgs_memory(rng, n, m, nupd):
    """ws, wy, sy, ss, theta, col, head after `nupd` real Fortran matupd
    updates with pairs s, y = A s (A SPD, so s'y > 0), and wt from the
    Fortran formt (Cholesky factor of theta*S'S + L D^-1 L')."""
    ws = np.zeros((n, m), order="F")
    wy = np.zeros((n, m), order="F")
    sy = np.zeros((m, m), order="F")
    ss = np.zeros((m, m), order="F")
    wt = np.zeros((m, m), order="F")
    itail, col, head, theta = 0, 0, 1, 1.0
    A = rng.normal(size=(n, n))
    A = A @ A.T + rng.uniform(0.01, 1.0) * np.eye(n)
    for iupdat in range(1, nupd + 1):
        s = rng.normal(size=n) * 10.0 ** rng.uniform(-2, 1)
        y = A @ s
        out = F.matupd(n=n, m=m, ws=ws, wy=wy, sy=sy, ss=ss, d=s, r=y,
                       itail=itail, iupdat=iupdat, col=col, head=head,
                       theta=theta, rr=float(y @ y), dr=float(s @ y), stp=1.0,
                       dtd=float(s @ s), blas=BLAS)
        itail, col, head, theta = out["itail"], out["col"], out["head"], out["theta"]
    if col > 0:
        info = F.formt(m=m, wt=wt, sy=sy, ss=ss, col=col, theta=theta, info=0,
                       blas=BLAS)["info"]
        assert info == 0
    return ws, wy, sy, wt, theta, col, head


def random_point(rng, n, kinds):
    nbd = rng.choice(kinds, size=n).astype(np.int32)
    l = rng.uniform(-2.0, 0.0, size=n)
    u = l + rng.uniform(0.0, 3.0, size=n) * 10.0 ** rng.uniform(-3, 0)
    x = rng.uniform(l, u)
    r = rng.random(n)
    x = np.where((r < 0.2) & ((nbd == 1) | (nbd == 2)), l, x)
    x = np.where((r > 0.8) & ((nbd == 2) | (nbd == 3)), u, x)
    fixed = (nbd == 2) & (rng.random(n) < 0.1)            # l = u = x
    u = np.where(fixed, l, u)
    x = np.where(fixed, l, x)
    g = rng.normal(size=n) * 10.0 ** rng.uniform(-2, 2)
    g[rng.random(n) < 0.1] = 0.0
    # iwhere as `active` initialises it (-1 unbounded, 3 fixed, 0 else),
    # with some stale 1 / 2 / -3 left from an earlier iteration
    iwhere = np.zeros(n, np.int32)
    stale = rng.choice([0, 1, 2, -3], size=n).astype(np.int32)
    iwhere = np.where(rng.random(n) < 0.5, stale, iwhere).astype(np.int32)
    iwhere[nbd == 0] = -1
    iwhere[(nbd == 2) & (u - l <= 0)] = 3
    return x, l, u, nbd, g, iwhere


def projected_gradient_norm(x, l, u, nbd, g):
    out = 0.0
    for i in range(x.size):
        gi = g[i]
        if nbd[i] != 0:
            if gi < 0:
                if nbd[i] >= 2:
                    gi = max(x[i] - u[i], gi)
            else:
                if nbd[i] <= 2:
                    gi = min(x[i] - l[i], gi)
        out = max(out, abs(gi))
    return out


def compare_cauchy(rng, x, l, u, nbd, g, iwhere, m, ws, wy, sy, wt, theta,
                   col, head, sbgnrm=None):
    n = x.size
    if sbgnrm is None:
        sbgnrm = projected_gradient_norm(x, l, u, nbd, g)
    # work arrays start with the same garbage on both sides
    init = dict(iorder=rng.integers(-5, 5, n).astype(np.int32),
                iwhere=iwhere.copy(),
                t=rng.normal(size=n), d=rng.normal(size=n),
                xcp=rng.normal(size=n), p=rng.normal(size=2 * m),
                c=rng.normal(size=2 * m), wbp=rng.normal(size=2 * m),
                v=rng.normal(size=2 * m))
    nseg0 = int(rng.integers(-3, 3))
    fa = {k: v.copy() for k, v in init.items()}
    ca = {k: v.copy() for k, v in init.items()}
    ref = F.cauchy(n=n, x=x, l=l, u=u, nbd=nbd, g=g, iorder=fa["iorder"],
                   iwhere=fa["iwhere"], t=fa["t"], d=fa["d"], xcp=fa["xcp"],
                   m=m, wy=wy, ws=ws, sy=sy, wt=wt, theta=theta, col=col,
                   head=head, p=fa["p"], c=fa["c"], wbp=fa["wbp"], v=fa["v"],
                   nseg=nseg0, iprint=-1, sbgnrm=sbgnrm, info=0, epsmch=EPSMCH,
                   blas=BLAS)
    nseg, info = _cauchy.py_cauchy(
        x, l, u, nbd, g, ca["iorder"], ca["iwhere"], ca["t"], ca["d"],
        ca["xcp"], m, wy, ws, sy, wt, theta, col, head, ca["p"], ca["c"],
        ca["wbp"], ca["v"], nseg0, -1, sbgnrm, 0, EPSMCH)
    assert nseg == ref["nseg"]
    assert info == ref["info"]
    for k in ("iorder", "iwhere"):
        assert np.array_equal(ca[k], fa[k]), k
    for k in ("t", "d", "xcp", "p", "c", "wbp", "v"):
        assert_same_float(ca[k], fa[k], k)
    # the GCP is feasible (unless it is NaN: g = 0 with a free variable and
    # sbgnrm > 0 gives dtm = -(0/0) in both codes; mainlb never does that)
    xcp = ca["xcp"]
    if np.isnan(xcp).any():
        return nseg, info
    lo = (nbd == 1) | (nbd == 2)
    hi = (nbd == 2) | (nbd == 3)
    assert np.all(~lo | (xcp >= l)) and np.all(~hi | (xcp <= u))
    return nseg, info


KINDS = {"free": (0,), "lower": (1,), "both": (2,), "upper": (3,),
         "mixed": (0, 1, 2, 3), "bounded": (1, 2, 3)}


@pytest.mark.parametrize("kinds", sorted(KINDS))
def test_cauchy_without_memory_col0_matches_fortran_bitwise(kinds):
    rng = np.random.default_rng(100 + len(kinds) * 7 + sum(KINDS[kinds]))
    for _ in range(150):
        n = int(rng.integers(1, 15))
        m = int(rng.integers(1, 6))
        x, l, u, nbd, g, iwhere = random_point(rng, n, KINDS[kinds])
        ws = np.zeros((n, m), order="F")
        wy = np.zeros((n, m), order="F")
        sy = np.zeros((m, m), order="F")
        wt = np.zeros((m, m), order="F")
        theta = float(rng.choice([1.0, 10.0 ** rng.uniform(-3, 3)]))
        compare_cauchy(rng, x, l, u, nbd, g, iwhere, m, ws, wy, sy, wt, theta,
                       0, 1)


@pytest.mark.parametrize("kinds", sorted(KINDS))
def test_cauchy_with_lbfgs_memory_matches_fortran_bitwise(kinds):
    rng = np.random.default_rng(200 + len(kinds) * 7 + sum(KINDS[kinds]))
    segs = []
    for _ in range(150):
        n = int(rng.integers(1, 15))
        m = int(rng.integers(1, 6))
        # fewer, as many or more updates than m (the last wraps head around)
        nupd = int(rng.integers(1, 2 * m + 3))
        ws, wy, sy, wt, theta, col, head = lbfgs_memory(rng, n, m, nupd)
        x, l, u, nbd, g, iwhere = random_point(rng, n, KINDS[kinds])
        nseg, _ = compare_cauchy(rng, x, l, u, nbd, g, iwhere, m, ws, wy, sy,
                                 wt, theta, col, head)
        segs.append(nseg)
    if kinds != "free":
        assert max(segs) > 1          # breakpoints were actually passed


def test_cauchy_every_variable_reaches_its_bound_matches_fortran_bitwise():
    # tiny boxes: every breakpoint is passed (nleft = 0, nbreak = n: label 999)
    rng = np.random.default_rng(9)
    for _ in range(200):
        n = int(rng.integers(1, 10))
        m = int(rng.integers(1, 4))
        ws, wy, sy, wt, theta, col, head = lbfgs_memory(
            rng, n, m, int(rng.integers(0, 2 * m + 1)))
        nbd = np.full(n, 2, np.int32)
        l = rng.uniform(-1, 0, n)
        u = l + 1e-6 * rng.random(n) + 1e-9
        x = rng.uniform(l, u)
        g = rng.normal(size=n)
        g[g == 0] = 1.0
        iwhere = np.zeros(n, np.int32)
        compare_cauchy(rng, x, l, u, nbd, g, iwhere, m, ws, wy, sy, wt, theta,
                       col, head)


def test_cauchy_edge_cases_match_fortran_bitwise():
    rng = np.random.default_rng(13)
    for _ in range(60):
        n = int(rng.integers(1, 8))
        m = int(rng.integers(1, 4))
        ws, wy, sy, wt, theta, col, head = lbfgs_memory(rng, n, m, m + 1)
        x, l, u, nbd, g, iwhere = random_point(rng, n, (0, 1, 2, 3))
        # sbgnrm <= 0: GCP = x, nothing else touched
        compare_cauchy(rng, x, l, u, nbd, g, iwhere, m, ws, wy, sy, wt, theta,
                       col, head, sbgnrm=0.0)
        # zero gradient with sbgnrm > 0: d = 0; GCP = x, or NaN when some
        # variable is unbounded (f1 = f2 = 0): the NaN's sign bit must match
        compare_cauchy(rng, x, l, u, nbd, np.zeros(n), iwhere, m, ws, wy, sy,
                       wt, theta, col, head, sbgnrm=1.0)
        # all variables at a bound with the gradient pushing outwards
        nb = np.full(n, 1, np.int32)
        xb = l.copy()
        gb = np.abs(g) + 1.0
        compare_cauchy(rng, xb, l, u, nb, gb, np.zeros(n, np.int32), m, ws,
                       wy, sy, wt, theta, col, head, sbgnrm=1.0)
        # unbounded variables with zero gradient next to bounded ones
        # (bnded stays true: the last segment sets f1 = f2 = dtm = 0)
        nb = np.where(np.arange(n) % 2 == 0, 2, 0).astype(np.int32)
        gz = np.where(nb == 0, 0.0, g + np.sign(g) + (g == 0))
        iw = np.where(nb == 0, -1, 0).astype(np.int32)
        xx = np.where(nb == 2, rng.uniform(l, u), x)
        uu = np.where(nb == 2, np.maximum(u, l + 1e-9), u)
        compare_cauchy(rng, xx, l, uu, nb, gz, iw, m, ws, wy, sy, wt, theta,
                       col, head, sbgnrm=1.0)
