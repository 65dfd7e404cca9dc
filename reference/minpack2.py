"""MINPACK-2 minimisation problems (Averick, Carter, More, Xue 1992) and the
grid builders shared with the CUTE problems TORSION*, JNLBRNG*, OBSTCL*.

Two-dimensional problems live on a rectangle discretised by a uniform grid
with ``nx = ny = sqrt(n)`` interior points; the unknowns are the values at
the interior points (row-major, the first coordinate varying fastest), the
boundary values are data.  As in MINPACK-2 the functional is approximated by
piecewise-linear finite elements on the triangulation obtained by cutting
every grid cell along one diagonal: each cell gives a "lower" triangle
(i,j),(i+1,j),(i,j+1) and an "upper" triangle (i,j),(i-1,j),(i,j-1); the
gradient of v is constant on a triangle.  Terms that depend on v itself are
integrated by the vertex rule, which gives every interior node the weight
hx*hy.
"""

import math

import numpy as np

from ._core import Scalable, register

INF = np.inf
MP2 = ("B.M. Averick, R.G. Carter, J.J. More, G.-L. Xue, The MINPACK-2 test problem "
       "collection, Argonne preprint MCS-P153-0692, 1992")
LBFGSB = ("C. Zhu, R.H. Byrd, P. Lu, J. Nocedal, Algorithm 778: L-BFGS-B, ACM TOMS 23(4), 1997 "
          "(test problems)")


def grid_size(n):
    m = math.isqrt(n)
    if m * m != n:
        raise ValueError(f"n={n} is not a perfect square")
    return m


def _grad_terms(P, hx, hy, psi_lower, psi_upper):
    """Sum over triangles of area*psi(grad v) and its gradient w.r.t. P.

    ``P`` is the padded (ny+2, nx+2) array of nodal values (boundary included).
    ``psi_*(dx, dy)`` return (value, d value/d dx, d value/d dy) arrays of the
    triangle shape.  Returns (f, G) with G the gradient on the interior nodes.
    """
    area = 0.5 * hx * hy
    G = np.zeros_like(P)
    a, b, c = P[:-1, :-1], P[:-1, 1:], P[1:, :-1]
    val, px, py = psi_lower((b - a) / hx, (c - a) / hy)
    f = val.sum()
    px, py = px / hx, py / hy
    G[:-1, :-1] -= px + py
    G[:-1, 1:] += px
    G[1:, :-1] += py
    a, b, c = P[1:, 1:], P[1:, :-1], P[:-1, 1:]
    val, px, py = psi_upper((a - b) / hx, (a - c) / hy)
    f += val.sum()
    px, py = px / hx, py / hy
    G[1:, 1:] += px + py
    G[1:, :-1] -= px
    G[:-1, 1:] -= py
    return area * f, area * G[1:-1, 1:-1]


def _dirichlet(x, m, bnd=None):
    P = np.zeros((m + 2, m + 2)) if bnd is None else bnd.copy()
    P[1:-1, 1:-1] = x.reshape(m, m)
    return P


def _sq(dx, dy):
    return 0.5 * (dx * dx + dy * dy), dx, dy


def _dist_to_boundary(m, lx=1.0, ly=1.0):
    hx, hy = lx / (m + 1), ly / (m + 1)
    i = np.arange(1, m + 1)
    dx = np.minimum(i, m + 1 - i) * hx
    dy = np.minimum(i, m + 1 - i) * hy
    return np.minimum(dy[:, None], dx[None, :])


# ---------------------------------------------------------------------------
# elastic-plastic torsion (DEPT, TORSION1-6)
# ---------------------------------------------------------------------------
def torsion_build(n, c, start):
    m = grid_size(n)
    h = 1.0 / (m + 1)
    d = _dist_to_boundary(m).reshape(-1)

    def fg(x):
        f, G = _grad_terms(_dirichlet(x, m), h, h, _sq, _sq)
        w = h * h * c
        return f - w * x.sum(), G.reshape(-1) - w

    x0 = d.copy() if start == "upper" else np.zeros(n)
    return dict(x0=x0, lower=-d, upper=d.copy(), fg=fg)


# ---------------------------------------------------------------------------
# journal bearing (DPJB, JNLBRNG1-2)
# ---------------------------------------------------------------------------
def pjb_build(n, ecc, b):
    m = grid_size(n)
    hx = 2.0 * np.pi / (m + 1)
    hy = 2.0 * b / (m + 1)
    xi = hx * np.arange(m + 2)
    wq = (1.0 + ecc * np.cos(xi)) ** 3
    wl = ecc * np.sin(xi[1:-1])
    wlow = (2.0 * wq[:-1] + wq[1:]) / 3.0  # columns 0..m
    wup = (2.0 * wq[1:] + wq[:-1]) / 3.0  # columns 1..m+1

    def lower(dx, dy):
        return 0.5 * wlow * (dx * dx + dy * dy), wlow * dx, wlow * dy

    def upper(dx, dy):
        return 0.5 * wup * (dx * dx + dy * dy), wup * dx, wup * dy

    wlin = np.tile(wl, m) * hx * hy

    def fg(x):
        f, G = _grad_terms(_dirichlet(x, m), hx, hy, lower, upper)
        return f - wlin @ x, G.reshape(-1) - wlin

    x0 = np.tile(np.maximum(np.sin(xi[1:-1]), 0.0), m)
    return dict(x0=x0, lower=np.zeros(n), upper=INF * np.ones(n), fg=fg)


# ---------------------------------------------------------------------------
# obstacle problems of Dembo & Tulowitzki as written in the CUTEst SIF files
# OBSTCLAE / OBSTCLBL (not the P1 finite elements used above): every interior
# node (i,j) has the group  1/4 sum_{4 neighbours q} (v_q - v_ij)^2 - h^2 c v_ij,
# so an edge between two interior nodes has weight 1/2 and an edge to the
# (zero) boundary weight 1/4.  Problem A: lower obstacle
# sin(3.2 xi1) sin(3.3 xi2), upper 2000, start 1 (start "E"); problem B:
# l = sin(9.2 xi1) sin(9.3 xi2), l^3 <= v <= l^2 + 0.02, start l^3 ("L").
# ---------------------------------------------------------------------------
def obstacle_build(n, kind, c=1.0):
    m = grid_size(n)
    h = 1.0 / (m + 1)
    xi = h * np.arange(1, m + 1)
    if kind == "A":
        lo = (np.sin(3.2 * xi)[:, None] * np.sin(3.3 * xi)[None, :]).reshape(-1)
        up = 2000.0 * np.ones(n)
        x0 = np.ones(n)
    else:
        l1 = (np.sin(9.2 * xi)[:, None] * np.sin(9.3 * xi)[None, :]).reshape(-1)
        lo = l1 ** 3
        up = l1 ** 2 + 0.02
        x0 = lo.copy()
    w = h * h * c

    def fg(x):
        P = _dirichlet(x, m)
        G = np.zeros_like(P)
        X = P[1:-1, 1:-1]
        f = 0.0
        for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            D = P[1 + di:m + 1 + di, 1 + dj:m + 1 + dj] - X
            f += 0.25 * np.sum(D * D)
            G[1:-1, 1:-1] -= 0.5 * D
            G[1 + di:m + 1 + di, 1 + dj:m + 1 + dj] += 0.5 * D
        return f - w * x.sum(), G[1:-1, 1:-1].reshape(-1) - w

    return dict(x0=x0, lower=lo, upper=up, fg=fg)


# ---------------------------------------------------------------------------
# MINPACK-2 problems
# ---------------------------------------------------------------------------
_SQ = Scalable(1, square=True)

register("DEPT", "QBR2-MY-V-0", 2500, _SQ,
         MP2 + ", elastic-plastic torsion (c=5, x0 = distance to the boundary); " + LBFGSB,
         family="minpack2", active=True, test_n=196)(lambda n: torsion_build(n, 5.0, "upper"))

register("DPJB", "QBR2-AY-V-0", 2500, _SQ,
         MP2 + ", pressure distribution in a journal bearing (eccentricity 0.1, b=10); " + LBFGSB,
         family="minpack2", active=True, test_n=900,
         fopt={900: -0.1803000, 5329: -0.1805500, 9604: -0.1805700, 15129: -0.1805800},
         ftol=1e-4)(lambda n: pjb_build(n, 0.1, 10.0))


def _enneper_boundary(m):
    """Boundary values of Enneper's minimal surface on (-1/2, 1/2)^2."""
    h = 1.0 / (m + 1)
    s = -0.5 + h * np.arange(m + 2)
    X, Y = np.meshgrid(s, s)  # X varies along columns (first coordinate)
    on_b = np.zeros_like(X, dtype=bool)
    on_b[0, :] = on_b[-1, :] = on_b[:, 0] = on_b[:, -1] = True
    x, y = X[on_b], Y[on_b]
    u, v = x.copy(), -y.copy()
    for _ in range(50):  # Newton on x = u + u v^2 - u^3/3, y = -v - u^2 v + v^3/3
        f1 = u + u * v * v - u ** 3 / 3.0 - x
        f2 = -v - u * u * v + v ** 3 / 3.0 - y
        a11 = 1.0 + v * v - u * u
        a12 = 2.0 * u * v
        a21 = -2.0 * u * v
        a22 = -1.0 - u * u + v * v
        det = a11 * a22 - a12 * a21
        du = (f1 * a22 - f2 * a12) / det
        dv = (a11 * f2 - a21 * f1) / det
        u -= du
        v -= dv
        if max(np.abs(du).max(), np.abs(dv).max()) < 1e-15:
            break
    P = np.zeros_like(X)
    P[on_b] = u * u - v * v
    return P


@register("DMSA", "OUR2-MY-V-0", 2500, _SQ,
          MP2 + ", minimal surface area with Enneper boundary data on (-1/2,1/2)^2",
          family="minpack2", test_n=196)
def _dmsa(n):
    m = grid_size(n)
    h = 1.0 / (m + 1)
    B = _enneper_boundary(m)

    def psi(dx, dy):
        s = np.sqrt(1.0 + dx * dx + dy * dy)
        return s, dx / s, dy / s

    def fg(x):
        f, G = _grad_terms(_dirichlet(x, m, B), h, h, psi, psi)
        return f, G.reshape(-1)

    # start: linear interpolation between the bottom and top boundary rows
    t = (np.arange(1, m + 1) * h)[:, None]
    x0 = ((1.0 - t) * B[0, 1:-1][None, :] + t * B[-1, 1:-1][None, :]).reshape(-1)
    return dict(x0=x0, lower=-INF * np.ones(n), upper=INF * np.ones(n), fg=fg)


@register("DODC", "OUR2-MY-V-0", 2500, _SQ,
          MP2 + ", optimal design with composite materials (lambda=0.008, mu1=1, mu2=2)",
          family="minpack2", test_n=196, smooth=False,
          notes="objective is only C^1 (the integrand has second-derivative jumps)")
def _dodc(n, lam=0.008, mu1=1.0, mu2=2.0):
    m = grid_size(n)
    h = 1.0 / (m + 1)
    t1 = np.sqrt(2.0 * lam * mu1 / mu2)
    t2 = np.sqrt(2.0 * lam * mu2 / mu1)

    def psi(dx, dy):
        t = np.sqrt(dx * dx + dy * dy)
        val = np.where(
            t <= t1, 0.5 * mu2 * t * t,
            np.where(t <= t2, mu2 * t1 * (t - 0.5 * t1),
                     0.5 * mu1 * (t * t - t2 * t2) + mu2 * t1 * (t2 - 0.5 * t1)))
        # psi'(t)/t
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(t <= t1, mu2, np.where(t <= t2, mu2 * t1 / np.where(t > 0, t, 1.0), mu1))
        return val, q * dx, q * dy

    def fg(x):
        f, G = _grad_terms(_dirichlet(x, m), h, h, psi, psi)
        w = h * h
        return f + w * x.sum(), G.reshape(-1) + w

    return dict(x0=np.zeros(n), lower=-INF * np.ones(n), upper=INF * np.ones(n), fg=fg)


@register("DSSC", "OUR2-MY-V-0", 2500, _SQ,
          MP2 + ", steady-state combustion (solid fuel ignition, lambda=5)",
          family="minpack2", test_n=196,
          notes="nonconvex and unbounded below; L-BFGS-B finds the local minimizer near 0")
def _dssc(n, lam=5.0):
    m = grid_size(n)
    h = 1.0 / (m + 1)

    def fg(x):
        f, G = _grad_terms(_dirichlet(x, m), h, h, _sq, _sq)
        e = np.exp(x)
        w = h * h * lam
        return f - w * e.sum(), G.reshape(-1) - w * e

    return dict(x0=np.zeros(n), lower=-INF * np.ones(n), upper=INF * np.ones(n), fg=fg)


@register("DGL1", "OUR2-MY-V-0", 1000, Scalable(4),
          MP2 + ", one-dimensional Ginzburg-Landau (lead/tin layers, t=5 K, periodic)",
          family="minpack2", test_n=100)
def _dgl1(n, t=5.0):
    em, cl, ec = 9.11e-28, 2.99e10, 4.80e-10
    ds, dn = 1.0, 2.2
    tcs, tcn = 7.32, 3.73
    hcs, hcn = 803.0, 309.0
    pens, penn = 3.7e-6, 3.4e-6
    k = (ec / cl) ** 2 / em
    a_s = -2.0 * k * hcs ** 2 * pens ** 2 * ((1 - (t / tcs) ** 2) / (1 + (t / tcs) ** 2))
    a_n = -2.0 * k * hcn ** 2 * penn ** 2 * ((1 - (t / tcn) ** 2) / (1 + (t / tcn) ** 2))
    b_s = 16.0 * np.pi * k * k * hcs ** 2 * pens ** 4 / (1 + (t / tcs) ** 2) ** 2
    b_n = 16.0 * np.pi * k * k * hcn ** 2 * penn ** 4 / (1 + (t / tcn) ** 2) ** 2
    gam = 1.05459e-27 ** 2 / (4.0 * em)
    fac = 1e6
    a_s, a_n = a_s * fac ** 3, a_n * fac ** 3
    b_s, b_n = b_s * fac ** 6, b_n * fac ** 6
    gam = gam * fac ** 5
    n1 = n // 4
    n2 = n - 2 * n1
    h1, h2 = dn / n1, 2.0 * ds / n2
    sup = np.zeros(n, dtype=bool)
    sup[n1:n1 + n2] = True
    al = np.where(sup, a_s, a_n)
    be = np.where(sup, b_s, b_n)
    hh = np.where(sup, h2, h1)

    def fg(x):
        p, q = x, np.roll(x, -1)  # interval k joins x_k and x_{k+1} (periodic)
        d = (q - p) / hh
        f = np.sum(hh * ((al / 3.0) * (q * q + q * p + p * p)
                         + (be / 10.0) * (q ** 4 + q ** 3 * p + q * q * p * p + q * p ** 3 + p ** 4)
                         + gam * d * d))
        gp = hh * ((al / 3.0) * (q + 2 * p)
                   + (be / 10.0) * (q ** 3 + 2 * q * q * p + 3 * q * p * p + 4 * p ** 3)
                   - gam * 2.0 * d / hh)
        gq = hh * ((al / 3.0) * (2 * q + p)
                   + (be / 10.0) * (4 * q ** 3 + 3 * q * q * p + 2 * q * p * p + p ** 3)
                   + gam * 2.0 * d / hh)
        return f, gp + np.roll(gq, 1)

    x0 = np.full(n, np.sqrt((b_s + b_n) / (2.0 * (abs(a_s) + abs(a_n)))))
    return dict(x0=x0, lower=-INF * np.ones(n), upper=INF * np.ones(n), fg=fg)
