"""Bound-constrained classics: Hock-Schittkowski problems with bounds only and
bound-constrained problems of the CUTE(st) collection."""

import numpy as np

from ._core import Fixed, Scalable, register
from .mgh import wood_fg

INF = np.inf
HS = ("W. Hock, K. Schittkowski, Test Examples for Nonlinear Programming Codes, "
      "Lecture Notes in Econ. and Math. Systems 187, Springer, 1981")
CUTE = ("I. Bongartz, A.R. Conn, N.I.M. Gould, Ph.L. Toint, CUTE: Constrained and "
        "unconstrained testing environment, ACM TOMS 21:123-160, 1995 (SIF problem {})")
MT91 = ("J.J. More, G. Toraldo, On the solution of large quadratic programming problems "
        "with bound constraints, SIAM J. Optim. 1(1):93-113, 1991")


def _d(x0, lower, upper, fg, **kw):
    d = dict(x0=np.asarray(x0, float), lower=np.asarray(lower, float),
             upper=np.asarray(upper, float), fg=fg)
    d.update(kw)
    return d


# ---------------------------------------------------------------------------
# Hock & Schittkowski
# ---------------------------------------------------------------------------
def _rosen_fg(x):
    t = x[1] - x[0] ** 2
    return 100 * t * t + (1 - x[0]) ** 2, np.array([-400 * t * x[0] - 2 * (1 - x[0]), 200 * t])


@register("HS1", "SBR2-AN-2-0", 2, Fixed(2), HS + ", problem 1", family="bounded", fopt=0.0)
def _hs1(n):
    return _d([-2.0, 1.0], [-INF, -1.5], [INF, INF], _rosen_fg, xopt=[1.0, 1.0])


@register("HS2", "SBR2-AN-2-0", 2, Fixed(2), HS + ", problem 2", family="bounded",
          fopt=0.0504261879, active=True, x0_feasible=False, ftol=1e-7,
          notes="x0=(-2,1) violates x2>=1.5 in the source")
def _hs2(n):
    return _d([-2.0, 1.0], [-INF, 1.5], [INF, INF], _rosen_fg, xopt=[1.2243707487, 1.5])


@register("HS3", "QBR2-AN-2-0", 2, Fixed(2), HS + ", problem 3", family="bounded",
          fopt=0.0, active=True, ftol=1e-8)
def _hs3(n):
    def fg(x):
        d = x[1] - x[0]
        return x[1] + 1e-5 * d * d, np.array([-2e-5 * d, 1.0 + 2e-5 * d])

    return _d([10.0, 1.0], [-INF, 0.0], [INF, INF], fg, xopt=[0.0, 0.0])


@register("HS3MOD", "QBR2-AN-2-0", 2, Fixed(2), HS + ", problem 3 with weight 1 (CUTEst HS3MOD)",
          family="bounded", fopt=0.0, active=True, ftol=1e-8)
def _hs3mod(n):
    def fg(x):
        d = x[1] - x[0]
        return x[1] + d * d, np.array([-2 * d, 1.0 + 2 * d])

    return _d([10.0, 1.0], [-INF, 0.0], [INF, INF], fg, xopt=[0.0, 0.0])


@register("HS4", "OBR2-AN-2-0", 2, Fixed(2), HS + ", problem 4", family="bounded",
          fopt=8.0 / 3.0, active=True)
def _hs4(n):
    def fg(x):
        return (x[0] + 1) ** 3 / 3.0 + x[1], np.array([(x[0] + 1) ** 2, 1.0])

    return _d([1.125, 0.125], [1.0, 0.0], [INF, INF], fg, xopt=[1.0, 0.0])


@register("HS5", "OBR2-AN-2-0", 2, Fixed(2), HS + ", problem 5", family="bounded",
          fopt=-np.sqrt(3.0) / 2.0 - np.pi / 3.0)
def _hs5(n):
    def fg(x):
        s, c = np.sin(x[0] + x[1]), np.cos(x[0] + x[1])
        d = x[0] - x[1]
        f = s + d * d - 1.5 * x[0] + 2.5 * x[1] + 1.0
        return f, np.array([c + 2 * d - 1.5, c - 2 * d + 2.5])

    return _d([0.0, 0.0], [-1.5, -3.0], [4.0, 3.0], fg,
              xopt=[0.5 - np.pi / 3.0, -0.5 - np.pi / 3.0])


@register("HS25", "SBR2-AN-3-0", 3, Fixed(3), HS + ", problem 25", family="bounded", fopt=0.0,
          ftol=1e-8)
def _hs25(n):
    i = np.arange(1, 100, dtype=float)
    u = 25.0 + (-50.0 * np.log(0.01 * i)) ** (2.0 / 3.0)

    def fg(x):
        d = u - x[1]  # > 0 on the feasible box
        ad = np.abs(d)
        p = ad ** x[2]
        e = np.exp(-p / x[0])
        r = -0.01 * i + e
        dp2 = -x[2] * ad ** (x[2] - 1.0) * np.sign(d)
        dp3 = p * np.log(ad)
        J = np.column_stack([e * p / x[0] ** 2, -e / x[0] * dp2, -e / x[0] * dp3])
        return r @ r, 2.0 * (J.T @ r)

    return _d([100.0, 12.5, 3.0], [0.1, 0.0, 0.0], [100.0, 25.6, 5.0], fg, xopt=[50.0, 25.0, 1.5])


@register("HS38", "OBR2-AN-4-0", 4, Fixed(4), HS + ", problem 38 (Wood function with bounds)",
          family="bounded", fopt=0.0)
def _hs38(n):
    return _d([-3.0, -1.0, -3.0, -1.0], -10 * np.ones(4), 10 * np.ones(4), wood_fg, xopt=np.ones(4))


@register("HS45", "OBR2-AN-5-0", 5, Fixed(5), HS + ", problem 45", family="bounded", fopt=1.0,
          active=True, x0_feasible=False, notes="x0=2 violates x1<=1 in the source")
def _hs45(n):
    def fg(x):
        p = np.prod(x)
        pre = np.concatenate(([1.0], np.cumprod(x[:-1])))
        suf = np.concatenate((np.cumprod(x[::-1][:-1])[::-1], [1.0]))
        return 2.0 - p / 120.0, -(pre * suf) / 120.0

    return _d(2.0 * np.ones(5), np.zeros(5), np.arange(1.0, 6.0), fg, xopt=np.arange(1.0, 6.0))


@register("HS110", "OBR2-AN-10-0", 10, Fixed(10), HS + ", problem 110", family="bounded",
          fopt=-45.77846971, ftol=1e-7)
def _hs110(n):
    def fg(x):
        a, b = np.log(x - 2.0), np.log(10.0 - x)
        p = np.prod(x)
        q = p ** 0.2
        f = np.sum(a * a + b * b) - q
        g = 2 * a / (x - 2.0) - 2 * b / (10.0 - x) - 0.2 * q / x
        return f, g

    return _d(9.0 * np.ones(10), 2.001 * np.ones(10), 9.999 * np.ones(10), fg,
              xopt=9.35025655 * np.ones(10))


# ---------------------------------------------------------------------------
# Bound constrained quadratic programs of Gould (CVXBQP1, NCVXBQP1-3)
# ---------------------------------------------------------------------------
def _bqp(n, nplus):
    i = np.arange(1, n + 1)
    j2 = (2 * i - 1) % n  # 0-based index of x_{mod(2i-1,n)+1}
    j3 = (3 * i - 1) % n
    w = 0.5 * i.astype(float)
    w[nplus:] *= -1.0

    def fg(x):
        s = x + x[j2] + x[j3]
        f = np.sum(w * s * s)
        t = 2.0 * w * s
        g = t.copy()
        np.add.at(g, j2, t)
        np.add.at(g, j3, t)
        return f, g

    return _d(0.5 * np.ones(n), 0.1 * np.ones(n), 10.0 * np.ones(n), fg)


_BQPSRC = "N.I.M. Gould, SIF input July 1995; " + CUTE.format("{}")


@register("CVXBQP1", "QBR2-AN-V-0", 100, Scalable(10), _BQPSRC.format("CVXBQP1"),
          family="bounded", fopt=lambda n: 0.0225 * n * (n + 1), active=True, test_n=100)
def _cvxbqp1(n):
    # convex: every term increases with every variable, so x = 0.1 is optimal
    d = _bqp(n, n)
    d["xopt"] = 0.1 * np.ones(n)
    return d


@register("NCVXBQP1", "QBR2-AN-V-0", 100, Scalable(10), _BQPSRC.format("NCVXBQP1"),
          family="bounded", fopt={100: -1.99558e6}, active=True, test_n=100, ftol=1e-5)
def _ncvxbqp1(n):
    return _bqp(n, n // 4)


@register("NCVXBQP2", "QBR2-AN-V-0", 100, Scalable(10), _BQPSRC.format("NCVXBQP2"),
          family="bounded", fopt={100: -1.33305e6}, active=True, test_n=100, ftol=1e-5)
def _ncvxbqp2(n):
    return _bqp(n, n // 2)


@register("NCVXBQP3", "QBR2-AN-V-0", 100, Scalable(10), _BQPSRC.format("NCVXBQP3"),
          family="bounded", fopt={100: -6.60133e5}, active=True, test_n=100, ftol=1e-5)
def _ncvxbqp3(n):
    return _bqp(n, 3 * (n // 4))


# ---------------------------------------------------------------------------
# Toint's exponential problems
# ---------------------------------------------------------------------------
_EXPSIZES = {12: 6, 120: 10, 1200: 100}


def _explin_common(n, m, scale, quad):
    i = np.arange(1, n + 1, dtype=float)
    c = 0.1 * (np.arange(1, m + 1) / m if scale else np.ones(m))

    def fg(x):
        xy = x[:m] * x[1:m + 1]
        e = np.exp(c * xy)
        f = e.sum() - 10.0 * (i @ x)
        g = -10.0 * i
        g[:m] += c * x[1:m + 1] * e
        g[1:m + 1] += c * x[:m] * e
        if quad:
            xi, xn = x[m:n - 1], x[n - 1]
            f += np.sum(4 * xi * xi + 2 * xn * xn + xi * xn)
            g[m:n - 1] += 8 * xi + xn
            g[n - 1] += np.sum(4 * xn + xi)
        return f, g

    if quad:
        lo = -INF * np.ones(n)
        up = INF * np.ones(n)
        lo[:m], up[:m] = 0.0, 10.0
    else:
        lo, up = np.zeros(n), 10.0 * np.ones(n)
    return _d(np.zeros(n), lo, up, fg, extra={"m": m})


@register("EXPLIN", "OBR2-AN-V-0", 120, Fixed(12, 120, 1200),
          "Ph.L. Toint 1992; " + CUTE.format("EXPLIN") + "; m = 6, 10, 100 for n = 12, 120, 1200",
          family="bounded", active=True, test_n=120)
def _explin(n):
    return _explin_common(n, _EXPSIZES[n], False, False)


@register("EXPLIN2", "OBR2-AN-V-0", 120, Fixed(12, 120, 1200),
          "Ph.L. Toint 1992; " + CUTE.format("EXPLIN2") + "; m = 6, 10, 100 for n = 12, 120, 1200",
          family="bounded", active=True, test_n=120)
def _explin2(n):
    return _explin_common(n, _EXPSIZES[n], True, False)


@register("EXPQUAD", "OBR2-AN-V-0", 120, Fixed(12, 120, 1200),
          "Ph.L. Toint 1992; " + CUTE.format("EXPQUAD") + "; m = 6, 10, 100 for n = 12, 120, 1200",
          family="bounded", active=True, test_n=120)
def _expquad(n):
    return _explin_common(n, _EXPSIZES[n], True, True)


@register("BDEXP", "OBR2-AY-V-0", 100, Scalable(3),
          "A.R. Conn, N.I.M. Gould, M. Lescrenier, Ph.L. Toint, Performance of a multifrontal "
          "scheme for partially separable optimization, report 88/4, FUNDP Namur 1988, "
          "problem 56 (SIF input Ph.L. Toint 1989); " + CUTE.format("BDEXP"),
          family="bounded", fopt=lambda n: 0.0, active=True, test_n=50, ftol=1e-6,
          notes="x >= 0 (SIF default bounds), x0 = 1; the SIF default size is n = 5000")
def _bdexp(n):
    def fg(x):
        s = x[:-2] + x[1:-1]
        z = x[2:]
        e = np.exp(-z * s)
        f = np.sum(s * e)
        ds = e * (1.0 - z * s)
        g = np.zeros(n)
        g[:-2] += ds
        g[1:-1] += ds
        g[2:] += -s * s * e
        return f, g

    return _d(np.ones(n), np.zeros(n), INF * np.ones(n), fg)


# ---------------------------------------------------------------------------
# Hatfield problems (OPTIMA manual)
# ---------------------------------------------------------------------------
_HAT = "Numerical Optimization Centre, Hatfield Polytechnic, OPTIMA user manual, 1989; "


def _hatab_fg(x):
    s = np.sqrt(x)
    r0 = x[0] - 1.0
    r = x[:-1] - s[1:]
    f = r0 * r0 + r @ r
    g = np.zeros(x.size)
    g[0] = 2 * r0
    g[:-1] += 2 * r
    g[1:] -= r / s[1:]
    return f, g


@register("HATFLDA", "SBR2-AN-4-0", 4, Fixed(4), _HAT + CUTE.format("HATFLDA"), family="bounded",
          fopt=0.0, ftol=1e-8)
def _hatflda(n):
    return _d(0.1 * np.ones(4), 1e-7 * np.ones(4), INF * np.ones(4), _hatab_fg, xopt=np.ones(4))


@register("HATFLDB", "SBR2-AN-4-0", 4, Fixed(4), _HAT + CUTE.format("HATFLDB"), family="bounded",
          fopt=5.57281e-3, active=True, ftol=1e-5)
def _hatfldb(n):
    up = INF * np.ones(4)
    up[1] = 0.8
    return _d(0.1 * np.ones(4), 1e-7 * np.ones(4), up, _hatab_fg)


@register("HATFLDC", "SBR2-AN-25-0", 25, Fixed(25), _HAT + CUTE.format("HATFLDC"), family="bounded",
          fopt=0.0, ftol=1e-8)
def _hatfldc(n):
    def fg(x):
        r = x[1:-1] ** 2 - x[2:]  # i = 2..n-1: (x_{i+1} - x_i^2)
        a, b = x[0] - 1.0, x[-1] - 1.0
        f = a * a + r @ r + b * b
        g = np.zeros(n)
        g[0] += 2 * a
        g[-1] += 2 * b
        g[1:-1] += 4 * r * x[1:-1]
        g[2:] -= 2 * r
        return f, g

    lo, up = np.zeros(n), 10.0 * np.ones(n)
    lo[-1], up[-1] = -INF, INF
    return _d(0.9 * np.ones(n), lo, up, fg, xopt=np.ones(n))


# ---------------------------------------------------------------------------
# other CUTE bound constrained problems
# ---------------------------------------------------------------------------
@register("MCCORMCK", "OBR2-AY-V-0", 100, Scalable(2),
          "Ph.L. Toint, report 83/4, FUNDP Namur 1983, problem 29 (extended McCormick); "
          + CUTE.format("MCCORMCK"), family="bounded", test_n=50)
def _mccormck(n):
    def fg(x):
        a, b = x[:-1], x[1:]
        d = a - b
        s = a + b
        f = np.sum(-1.5 * a + 2.5 * b + 1.0 + d * d + np.sin(s))
        c = np.cos(s)
        g = np.zeros(n)
        g[:-1] += -1.5 + 2 * d + c
        g[1:] += 2.5 - 2 * d + c
        return f, g

    return _d(np.zeros(n), -1.5 * np.ones(n), 3.0 * np.ones(n), fg)


@register("NONSCOMP", "SBR2-AN-V-0", 100, Scalable(2),
          "M. Lescrenier, PhD thesis, FUNDP Namur, 1989; " + CUTE.format("NONSCOMP"),
          family="bounded", fopt=lambda n: 0.0, active=True, test_n=50, ftol=1e-8,
          notes="odd-numbered variables have lower bound 1 and end at it (degenerate)")
def _nonscomp(n):
    def fg(x):
        a = x[0] - 1.0
        r = x[1:] - x[:-1] ** 2
        f = a * a + 4.0 * (r @ r)
        g = np.zeros(n)
        g[0] = 2 * a
        g[1:] += 8 * r
        g[:-1] -= 16 * r * x[:-1]
        return f, g

    lo = -100.0 * np.ones(n)
    lo[0::2] = 1.0
    return _d(3.0 * np.ones(n), lo, 100.0 * np.ones(n), fg, xopt=np.ones(n))


@register("S368", "OBR2-MN-V-0", 8, Scalable(1),
          "P. Wolfe, Explicit solution of an optimization problem, Math. Prog. 2:258-260, 1972; "
          "K. Schittkowski, More test examples for nonlinear programming codes, 1987, no. 368",
          family="bounded", active=True, test_n=8)
def _s368(n):
    def fg(x):
        x2, x3 = x * x, x ** 3
        s2, s3, s4 = x2.sum(), x3.sum(), (x2 * x2).sum()
        f = -s2 * s4 + s3 * s3
        g = -2 * x * s4 - 4 * x3 * s2 + 6 * x2 * s3
        return f, g

    return _d(np.arange(1, n + 1) / (n + 1.0), np.zeros(n), np.ones(n), fg)


@register("SINEALI", "OBR2-AN-V-0", 20, Scalable(2),
          "A. Bouriacha (private communication), " + CUTE.format("SINEALI"),
          family="bounded", fopt=lambda n: -100.0 * (n - 1) - 1.0, test_n=10, ftol=1e-6)
def _sineali(n):
    pi = 3.1415926535  # the value used in the SIF file
    lo, up = np.empty(n), np.empty(n)
    ub = 0.5 * pi
    up[0], lo[0] = ub, ub - 2 * pi
    for k in range(1, n):
        ub = np.sqrt(ub + 0.5 * pi)
        up[k], lo[k] = ub, ub - 2 * pi

    def fg(x):
        a = x[0] - 1.0
        r = x[1:] - x[:-1] ** 2
        f = np.sin(a) + 100.0 * np.sum(np.sin(r))
        c = 100.0 * np.cos(r)
        g = np.zeros(n)
        g[0] = np.cos(a)
        g[1:] += c
        g[:-1] -= 2.0 * x[:-1] * c
        return f, g

    return _d(np.zeros(n), lo, up, fg)


@register("BIGGSB1", "QBR2-AN-V-0", 100, Scalable(2),
          "M. Bartholomew-Biggs, F.G. Hernandez, Hatfield 1992; " + CUTE.format("BIGGSB1"),
          family="bounded", fopt=lambda n: 0.015, active=True, test_n=25, ftol=1e-7)
def _biggsb1(n):
    def fg(x):
        d = x[1:] - x[:-1]
        a, b = x[0] - 1.0, 1.0 - x[-1]
        f = a * a + d @ d + b * b
        g = np.zeros(n)
        g[0] += 2 * a
        g[-1] -= 2 * b
        g[1:] += 2 * d
        g[:-1] -= 2 * d
        return f, g

    lo, up = np.zeros(n), 0.9 * np.ones(n)
    lo[-1], up[-1] = -INF, INF
    xopt = 0.9 * np.ones(n)
    xopt[-1] = 0.95
    return _d(np.zeros(n), lo, up, fg, xopt=xopt)


@register("MDHOLE", "OBR2-AN-2-0", 2, Fixed(2),
          "Ph.L. Toint (private communication); " + CUTE.format("MDHOLE"), family="bounded",
          fopt=0.0, active=True, ftol=1e-7)
def _mdhole(n):
    def fg(x):
        r = np.sin(x[0]) - x[1]
        return 100 * r * r + x[0], np.array([200 * r * np.cos(x[0]) + 1.0, -200 * r])

    return _d([10.0, 1.0], [0.0, -INF], [INF, INF], fg, xopt=[0.0, 0.0])


@register("BQP1VAR", "QBR2-AN-1-0", 1, Fixed(1), "N.I.M. Gould; " + CUTE.format("BQP1VAR"),
          family="bounded", fopt=0.0, active=True, ftol=1e-10)
def _bqp1var(n):
    def fg(x):
        return x[0] + x[0] ** 2, np.array([1.0 + 2 * x[0]])

    return _d([0.25], [0.0], [0.5], fg, xopt=[0.0])


@register("LOGROS", "OBR2-AN-2-0", 2, Fixed(2),
          "Ph.L. Toint (private communication), logarithmic Rosenbrock; " + CUTE.format("LOGROS"),
          family="bounded", fopt=0.0, ftol=1e-8,
          notes="f = log(1 + 10000 (y - x^2)^2 + (1 - x)^2), x, y >= 0; x0 infeasible",
          x0_feasible=False)
def _logros(n):
    def fg(x):
        t = x[1] - x[0] ** 2
        u = 1.0 + 1e4 * t * t + (1 - x[0]) ** 2
        g = np.array([-4e4 * t * x[0] - 2 * (1 - x[0]), 2e4 * t]) / u
        return np.log(u), g

    return _d([-1.2, 1.0], [0.0, 0.0], [INF, INF], fg, xopt=[1.0, 1.0])


# ---------------------------------------------------------------------------
# grid problems of More & Toraldo (1991) / Dembo & Tulowitzki (1983)
# ---------------------------------------------------------------------------
from .minpack2 import grid_size, torsion_build, pjb_build, obstacle_build  # noqa: E402

for _k, (_c, _start) in enumerate(((5.0, "upper"), (5.0, "zero"), (10.0, "upper"),
                                   (10.0, "zero"), (20.0, "upper"), (20.0, "zero")), start=1):
    register(f"TORSION{_k}", "QBR2-MY-V-0", 1024, Scalable(1, square=True),
             MT91 + f" (elastic-plastic torsion, c={_c:g}, x0 = "
             + ("upper bound" if _start == "upper" else "origin") + "); " + CUTE.format(f"TORSION{_k}"),
             family="bounded", active=True, test_n=196,
             notes="n counts interior grid points only; CUTEst also lists the fixed boundary")(
        (lambda c, s: (lambda n: torsion_build(n, c, s)))(_c, _start))

_JNL_F1 = {4: -0.2247400, 64: -0.1789600, 441: -0.1800500, 900: -0.1803000,
           5329: -0.1805500, 9604: -0.1805700, 15129: -0.1805800}
_JNL_F2 = {4: -0.4764000, 64: -0.3952800, 441: -0.4102400, 900: -0.4124900,
           5329: -0.4146600, 9604: -0.4148700, 15129: -0.4149600}

register("JNLBRNG1", "QBR2-AY-V-0", 1024, Scalable(1, square=True),
         MT91 + " (journal bearing, eccentricity 0.1, b=10); " + CUTE.format("JNLBRNG1")
         + "; optimal values from the SIF file for P = 4, 10, 23, 32, 75, 100, 125",
         family="bounded", fopt=_JNL_F1, active=True, test_n=900, ftol=1e-4)(
    lambda n: pjb_build(n, 0.1, 10.0))
register("JNLBRNG2", "QBR2-AY-V-0", 1024, Scalable(1, square=True),
         MT91 + " (journal bearing, eccentricity 0.5, b=10); " + CUTE.format("JNLBRNG2"),
         family="bounded", active=True, test_n=900,
         notes="the SIF file is that of JNLBRNG1 with EX = 0.5 (checked line by line); its "
               "listed optimal values are exactly 1/10 of the ones this discretisation reaches "
               "at every size (-4.76402 at n=4, -3.95276 at n=64, -4.10239 at n=441), while "
               "JNLBRNG1 agrees to 5 digits, so no fopt is recorded")(
    lambda n: pjb_build(n, 0.5, 10.0))

# optimal values listed in the SIF files for P = 4, 10, 23, 32 (n = (P-2)^2)
_OBSA_F = {4: 0.753659753, 64: 1.397897560, 441: 1.678027027, 900: 1.748270031}
_OBSB_F = {4: -0.0081108, 64: 2.87503823, 441: 6.51932527, 900: 6.88708670}

register("OBSTCLAE", "QBR2-AY-V-0", 1024, Scalable(1, square=True),
         "R. Dembo, U. Tulowitzki, WP 71, Yale 1983; J.J. More, 1989 (problem A, start E); "
         + CUTE.format("OBSTCLAE") + " (SIF input Ph.L. Toint 1989, corrected May 2024); "
         "optimal values from the SIF file for P = 4, 10, 23, 32",
         family="bounded", fopt=_OBSA_F, active=True, test_n=900, ftol=1e-8,
         notes="node-based groups and obstacle sin(3.2 x) sin(3.3 y) as in the SIF file")(
    lambda n: obstacle_build(n, "A"))
register("OBSTCLBL", "QBR2-AY-V-0", 1024, Scalable(1, square=True),
         "R. Dembo, U. Tulowitzki, WP 71, Yale 1983; J.J. More, 1989 (problem B, start L); "
         + CUTE.format("OBSTCLBL") + "; optimal values from the SIF file for P = 4, 10, 23, 32",
         family="bounded", fopt=_OBSB_F, active=True, test_n=900, ftol=1e-8,
         notes="node-based groups as in the SIF file")(lambda n: obstacle_build(n, "B"))

del grid_size
