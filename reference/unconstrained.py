"""Scalable unconstrained problems of the CUTE collection (and their sources),
useful as large-scale benchmarks."""

import numpy as np

from ._core import Scalable, register

INF = np.inf
CUTE = ("I. Bongartz, A.R. Conn, N.I.M. Gould, Ph.L. Toint, CUTE: Constrained and "
        "unconstrained testing environment, ACM TOMS 21:123-160, 1995 (SIF problem {})")


def _free(n, x0, fg, **kw):
    d = dict(x0=np.asarray(x0, float), lower=-INF * np.ones(n), upper=INF * np.ones(n), fg=fg)
    d.update(kw)
    return d


@register("ARWHEAD", "OUR2-AN-V-0", 1000, Scalable(2),
          "A.R. Conn, N.I.M. Gould, M. Lescrenier, Ph.L. Toint, Performance of a multifrontal "
          "scheme for partially separable optimization, 1994 (arrowhead); " + CUTE.format("ARWHEAD"),
          family="unconstrained", fopt=lambda n: 0.0, test_n=100, ftol=1e-8)
def _arwhead(n):
    def fg(x):
        q = x[:-1] ** 2 + x[-1] ** 2
        f = np.sum(-4.0 * x[:-1] + 3.0) + np.sum(q * q)
        g = np.empty(n)
        g[:-1] = -4.0 + 4.0 * q * x[:-1]
        g[-1] = np.sum(4.0 * q * x[-1])
        return f, g

    xopt = np.ones(n)
    xopt[-1] = 0.0
    return _free(n, np.ones(n), fg, xopt=xopt)


@register("DQDRTIC", "QUR2-AN-V-0", 1000, Scalable(3),
          "Ph.L. Toint, report 83/4, FUNDP Namur 1983, problem 22 (diagonal quadratic); "
          + CUTE.format("DQDRTIC"), family="unconstrained", fopt=lambda n: 0.0, test_n=100,
          ftol=1e-8)
def _dqdrtic(n):
    def fg(x):
        x2 = x * x
        f = np.sum(x2[:-2] + 100.0 * x2[1:-1] + 100.0 * x2[2:])
        g = np.zeros(n)
        g[:-2] += 2 * x[:-2]
        g[1:-1] += 200 * x[1:-1]
        g[2:] += 200 * x[2:]
        return f, g

    return _free(n, 3.0 * np.ones(n), fg, xopt=np.zeros(n))


@register("TRIDIA", "QUR2-AN-V-0", 1000, Scalable(2),
          "Ph.L. Toint, report 83/4, FUNDP Namur 1983, problem 8 (tridiagonal, alpha=2, beta=1, "
          "gamma=1, delta=1); " + CUTE.format("TRIDIA"), family="unconstrained",
          fopt=lambda n: 0.0, test_n=30, ftol=1e-8)
def _tridia(n):
    i = np.arange(2, n + 1, dtype=float)

    def fg(x):
        a = x[0] - 1.0
        r = 2.0 * x[1:] - x[:-1]
        f = a * a + np.sum(i * r * r)
        g = np.zeros(n)
        g[0] = 2 * a
        g[1:] += 4 * i * r
        g[:-1] -= 2 * i * r
        return f, g

    return _free(n, np.ones(n), fg, xopt=0.5 ** np.arange(n))


@register("GENROSE", "SUR2-AN-V-0", 500, Scalable(2),
          "S. Nash, Newton-type minimization via the Lanczos method, SIAM J. Numer. Anal. 21, "
          "1984 (generalised Rosenbrock); " + CUTE.format("GENROSE"), family="unconstrained",
          fopt=lambda n: 1.0, test_n=10, ftol=1e-7)
def _genrose(n):
    def fg(x):
        r = x[1:] - x[:-1] ** 2
        s = x[1:] - 1.0
        f = 1.0 + 100.0 * (r @ r) + s @ s
        g = np.zeros(n)
        g[1:] += 200.0 * r + 2.0 * s
        g[:-1] -= 400.0 * r * x[:-1]
        return f, g

    return _free(n, np.arange(1, n + 1) / (n + 1.0), fg, xopt=np.ones(n))


@register("LIARWHD", "SUR2-AN-V-0", 1000, Scalable(2),
          "G. Li, The secant/finite difference algorithm for solving sparse nonlinear systems "
          "of equations, SIAM J. Numer. Anal. 25, 1988; " + CUTE.format("LIARWHD"),
          family="unconstrained", fopt=lambda n: 0.0, test_n=100, ftol=1e-8)
def _liarwhd(n):
    def fg(x):
        r = x * x - x[0]
        s = x - 1.0
        f = 4.0 * (r @ r) + s @ s
        g = 16.0 * r * x + 2.0 * s
        g[0] -= 8.0 * r.sum()
        return f, g

    return _free(n, 4.0 * np.ones(n), fg, xopt=np.ones(n))


@register("NONDIA", "SUR2-AN-V-0", 1000, Scalable(2),
          "L. Shanno, On variable metric methods for sparse Hessians, Math. Comp. 34, 1980 "
          "(nondiagonal); " + CUTE.format("NONDIA"), family="unconstrained",
          fopt=lambda n: 0.0, test_n=100, ftol=1e-8)
def _nondia(n):
    def fg(x):
        a = x[0] - 1.0
        r = x[0] - x[:-1] ** 2
        f = a * a + 100.0 * (r @ r)
        g = np.zeros(n)
        g[0] = 2 * a + 200.0 * r.sum()
        g[:-1] -= 400.0 * r * x[:-1]
        return f, g

    return _free(n, -np.ones(n), fg, xopt=np.ones(n))


@register("QUARTC", "OUR2-AN-V-0", 1000, Scalable(1),
          "Ph.L. Toint (quartic); " + CUTE.format("QUARTC"), family="unconstrained",
          fopt=lambda n: 0.0, test_n=25, ftol=1e-5)
def _quartc(n):
    i = np.arange(1, n + 1, dtype=float)

    def fg(x):
        d = x - i
        return np.sum(d ** 4), 4.0 * d ** 3

    return _free(n, 2.0 * np.ones(n), fg, xopt=i)


@register("DIXON3DQ", "QUR2-AN-V-0", 1000, Scalable(3),
          "L.C.W. Dixon (private communication), tridiagonal quadratic; " + CUTE.format("DIXON3DQ"),
          family="unconstrained", fopt=lambda n: 0.0, test_n=50, ftol=1e-7)
def _dixon3dq(n):
    def fg(x):
        a, b = x[0] - 1.0, x[-1] - 1.0
        d = x[1:-1] - x[2:]
        f = a * a + d @ d + b * b
        g = np.zeros(n)
        g[0] += 2 * a
        g[-1] += 2 * b
        g[1:-1] += 2 * d
        g[2:] -= 2 * d
        return f, g

    return _free(n, -np.ones(n), fg, xopt=np.ones(n))


@register("ENGVAL1", "OUR2-AN-V-0", 1000, Scalable(2),
          "R.S. Womersley, Numerical methods for structured problems in nonsmooth optimization, "
          "PhD thesis, Dundee 1981; " + CUTE.format("ENGVAL1"), family="unconstrained",
          test_n=50)
def _engval1(n):
    def fg(x):
        q = x[:-1] ** 2 + x[1:] ** 2
        f = np.sum(q * q) + np.sum(-4.0 * x[:-1] + 3.0)
        g = np.zeros(n)
        g[:-1] += 4.0 * q * x[:-1] - 4.0
        g[1:] += 4.0 * q * x[1:]
        return f, g

    return _free(n, 2.0 * np.ones(n), fg)
