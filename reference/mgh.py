"""The 35 problems of Moré, Garbow & Hillstrom (1981), as sums of squares.

Each problem is written as residuals r(x) (and their Jacobian) and the
objective is f(x) = sum_i r_i(x)^2, exactly as in the paper; the gradient is
2 J(x)^T r(x).  Problem numbers below are the paper's.  The extended
Powell singular function (MGH 22) is POWELLSG at n > 4, and the extended
Rosenbrock function (MGH 21) is SROSENBR.
"""

import numpy as np

from ._core import Fixed, Scalable, register

MGH = (
    "J.J. More, B.S. Garbow, K.E. Hillstrom, Testing unconstrained optimization "
    "software, ACM TOMS 7(1):17-41, 1981"
)
INF = np.inf


def _free(n):
    return -INF * np.ones(n), INF * np.ones(n)


def dense_lsq(resjac):
    """fg for f = |r|^2 from a function returning (r, J)."""

    def fg(x):
        r, J = resjac(x)
        return float(r @ r), 2.0 * (J.T @ r)

    return fg


def _fixed(x0, fg, fopt=None, lower=None, upper=None, **kw):
    x0 = np.asarray(x0, dtype=float)
    lo, up = _free(x0.size)
    d = dict(x0=x0, lower=lo if lower is None else lower, upper=up if upper is None else upper, fg=fg)
    if fopt is not None:
        d["fopt"] = fopt
    d.update(kw)
    return d


# 1 ------------------------------------------------------------------------
@register("ROSENBR", "SUR2-AN-2-0", 2, Fixed(2), MGH + ", problem 1 (Rosenbrock)",
          family="mgh", fopt=0.0)
def _rosenbr(n):
    def rj(x):
        r = np.array([10.0 * (x[1] - x[0] ** 2), 1.0 - x[0]])
        J = np.array([[-20.0 * x[0], 10.0], [-1.0, 0.0]])
        return r, J

    return _fixed([-1.2, 1.0], dense_lsq(rj), xopt=[1.0, 1.0])


# 2 ------------------------------------------------------------------------
@register("FROTH", "SUR2-AN-2-0", 2, Fixed(2), MGH + ", problem 2 (Freudenstein and Roth)",
          family="mgh", fopt=0.0,
          notes="local minimizer f=48.9842 at (11.41, -0.8968)")
def _froth(n):
    def rj(x):
        a, b = x
        r = np.array([-13.0 + a + ((5.0 - b) * b - 2.0) * b,
                      -29.0 + a + ((b + 1.0) * b - 14.0) * b])
        J = np.array([[1.0, 10.0 * b - 3.0 * b * b - 2.0],
                      [1.0, 3.0 * b * b + 2.0 * b - 14.0]])
        return r, J

    return _fixed([0.5, -2.0], dense_lsq(rj), xopt=[5.0, 4.0])


# 3 ------------------------------------------------------------------------
@register("POWELLBSLS", "SUR2-AN-2-0", 2, Fixed(2), MGH + ", problem 3 (Powell badly scaled)",
          family="mgh", fopt=0.0, ftol=1e-10)
def _powellbs(n):
    def rj(x):
        a, b = x
        r = np.array([1e4 * a * b - 1.0, np.exp(-a) + np.exp(-b) - 1.0001])
        J = np.array([[1e4 * b, 1e4 * a], [-np.exp(-a), -np.exp(-b)]])
        return r, J

    return _fixed([0.0, 1.0], dense_lsq(rj))


# 4 ------------------------------------------------------------------------
@register("BROWNBS", "SUR2-AN-2-0", 2, Fixed(2), MGH + ", problem 4 (Brown badly scaled)",
          family="mgh", fopt=0.0, ftol=1e-6)
def _brownbs(n):
    def rj(x):
        a, b = x
        r = np.array([a - 1e6, b - 2e-6, a * b - 2.0])
        J = np.array([[1.0, 0.0], [0.0, 1.0], [b, a]])
        return r, J

    return _fixed([1.0, 1.0], dense_lsq(rj), xopt=[1e6, 2e-6])


# 5 ------------------------------------------------------------------------
@register("BEALE", "SUR2-AN-2-0", 2, Fixed(2), MGH + ", problem 5 (Beale)",
          family="mgh", fopt=0.0)
def _beale(n):
    y = np.array([1.5, 2.25, 2.625])
    i = np.arange(1, 4)

    def rj(x):
        a, b = x
        r = y - a * (1.0 - b ** i)
        J = np.column_stack([-(1.0 - b ** i), a * i * b ** (i - 1)])
        return r, J

    return _fixed([1.0, 1.0], dense_lsq(rj), xopt=[3.0, 0.5])


# 6 ------------------------------------------------------------------------
@register("JENSMP", "SUR2-AN-2-0", 2, Fixed(2), MGH + ", problem 6 (Jennrich and Sampson, m=10)",
          family="mgh", fopt=124.362182, ftol=1e-6)
def _jensmp(n):
    i = np.arange(1, 11, dtype=float)

    def rj(x):
        e1, e2 = np.exp(i * x[0]), np.exp(i * x[1])
        r = 2.0 + 2.0 * i - (e1 + e2)
        J = np.column_stack([-i * e1, -i * e2])
        return r, J

    return _fixed([0.3, 0.4], dense_lsq(rj))


# 7 ------------------------------------------------------------------------
@register("HELIX", "SUR2-AN-3-0", 3, Fixed(3), MGH + ", problem 7 (helical valley)",
          family="mgh", fopt=0.0)
def _helix(n):
    tp = 2.0 * np.pi

    def rj(x):
        a, b, c = x
        theta = np.arctan(b / a) / tp if a != 0.0 else 0.25 * np.sign(b)
        if a < 0:
            theta += 0.5
        r2 = a * a + b * b
        rr = np.sqrt(r2)
        r = np.array([10.0 * (c - 10.0 * theta), 10.0 * (rr - 1.0), c])
        dth = np.array([-b / (tp * r2), a / (tp * r2)])
        J = np.array([[-100.0 * dth[0], -100.0 * dth[1], 10.0],
                      [10.0 * a / rr, 10.0 * b / rr, 0.0],
                      [0.0, 0.0, 1.0]])
        return r, J

    return _fixed([-1.0, 0.0, 0.0], dense_lsq(rj), xopt=[1.0, 0.0, 0.0])


# 8 ------------------------------------------------------------------------
_BARD_Y = np.array([0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58,
                    0.73, 0.96, 1.34, 2.10, 4.39])


@register("BARD", "SUR2-AN-3-0", 3, Fixed(3), MGH + ", problem 8 (Bard)",
          family="mgh", fopt=8.21487e-3, ftol=1e-5)
def _bard(n):
    u = np.arange(1, 16, dtype=float)
    v = 16.0 - u
    w = np.minimum(u, v)

    def rj(x):
        d = v * x[1] + w * x[2]
        r = _BARD_Y - (x[0] + u / d)
        J = np.column_stack([-np.ones(15), u * v / d ** 2, u * w / d ** 2])
        return r, J

    return _fixed([1.0, 1.0, 1.0], dense_lsq(rj))


# 9 ------------------------------------------------------------------------
_GAUSS_Y = np.array([0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989,
                     0.3521, 0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009])


@register("GAUSSIAN", "SUR2-AN-3-0", 3, Fixed(3), MGH + ", problem 9 (Gaussian)",
          family="mgh", fopt=1.12793e-8, ftol=1e-10)
def _gaussian(n):
    t = (8.0 - np.arange(1, 16)) / 2.0

    def rj(x):
        d = t - x[2]
        e = np.exp(-0.5 * x[1] * d * d)
        r = x[0] * e - _GAUSS_Y
        J = np.column_stack([e, -0.5 * x[0] * e * d * d, x[0] * e * x[1] * d])
        return r, J

    return _fixed([0.4, 1.0, 0.0], dense_lsq(rj))


# 10 -----------------------------------------------------------------------
_MEYER_Y = np.array([34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744, 8261, 7030,
                     6005, 5147, 4427, 3820, 3307, 2872], dtype=float)


@register("MEYER3", "SUR2-RN-3-0", 3, Fixed(3), MGH + ", problem 10 (Meyer)",
          family="mgh", fopt=87.9458, ftol=1e-4)
def _meyer(n):
    t = 45.0 + 5.0 * np.arange(1, 17)

    def rj(x):
        d = t + x[2]
        e = np.exp(x[1] / d)
        r = x[0] * e - _MEYER_Y
        J = np.column_stack([e, x[0] * e / d, -x[0] * e * x[1] / d ** 2])
        return r, J

    return _fixed([0.02, 4000.0, 250.0], dense_lsq(rj))


# 11 -----------------------------------------------------------------------
@register("GULF", "SUR2-MN-3-0", 3, Fixed(3), MGH + ", problem 11 (Gulf research and development, m=99)",
          family="mgh", fopt=0.0)
def _gulf(n):
    i = np.arange(1, 100, dtype=float)
    t = i / 100.0
    y = 25.0 + (-50.0 * np.log(t)) ** (2.0 / 3.0)

    def rj(x):
        d = y - x[1]
        ad = np.abs(d)
        p = ad ** x[2]
        e = np.exp(-p / x[0])
        r = e - t
        with np.errstate(divide="ignore", invalid="ignore"):
            dp_dx1 = np.where(ad > 0, -x[2] * ad ** (x[2] - 1.0) * np.sign(d), 0.0)
            dp_dx2 = np.where(ad > 0, p * np.log(np.where(ad > 0, ad, 1.0)), 0.0)
        J = np.column_stack([e * p / x[0] ** 2, -e / x[0] * dp_dx1, -e / x[0] * dp_dx2])
        return r, J

    return _fixed([5.0, 2.5, 0.15], dense_lsq(rj), xopt=[50.0, 25.0, 1.5])


# 12 -----------------------------------------------------------------------
@register("BOX3", "SUR2-AN-3-0", 3, Fixed(3), MGH + ", problem 12 (Box three-dimensional, m=10)",
          family="mgh", fopt=0.0)
def _box3(n):
    t = 0.1 * np.arange(1, 11)
    c = np.exp(-t) - np.exp(-10.0 * t)

    def rj(x):
        e1, e2 = np.exp(-t * x[0]), np.exp(-t * x[1])
        r = e1 - e2 - x[2] * c
        J = np.column_stack([-t * e1, t * e2, -c])
        return r, J

    return _fixed([0.0, 10.0, 20.0], dense_lsq(rj), xopt=[1.0, 10.0, 1.0])


# 13 / 22 --------------------------------------------------------------------
@register("POWELLSG", "SUR2-AN-V-0", 4, Scalable(4, step=4),
          MGH + ", problems 13 (n=4) and 22 (extended Powell singular)",
          family="mgh", fopt=lambda n: 0.0, test_n=8)
def _powellsg(n):
    def fg(x):
        a, b, c, d = x[0::4], x[1::4], x[2::4], x[3::4]
        r1 = a + 10.0 * b
        r2 = np.sqrt(5.0) * (c - d)
        r3 = (b - 2.0 * c) ** 2
        r4 = np.sqrt(10.0) * (a - d) ** 2
        f = np.sum(r1 * r1 + r2 * r2 + r3 * r3 + r4 * r4)
        g = np.empty(n)
        s5, s10 = np.sqrt(5.0), np.sqrt(10.0)
        g[0::4] = 2 * r1 + 2 * r4 * s10 * 2 * (a - d)
        g[1::4] = 20 * r1 + 2 * r3 * 2 * (b - 2 * c)
        g[2::4] = 2 * r2 * s5 - 2 * r3 * 4 * (b - 2 * c)
        g[3::4] = -2 * r2 * s5 - 2 * r4 * s10 * 2 * (a - d)
        return f, g

    x0 = np.tile([3.0, -1.0, 0.0, 1.0], n // 4)
    return dict(x0=x0, lower=-INF * np.ones(n), upper=INF * np.ones(n), fg=fg, xopt=np.zeros(n))


# 14 -----------------------------------------------------------------------
def wood_fg(x):
    """Wood function summed over consecutive blocks of four variables."""
    a, b, c, d = x[0::4], x[1::4], x[2::4], x[3::4]
    t1 = b - a * a
    t3 = d - c * c
    t5 = b + d - 2.0
    t6 = b - d
    f = np.sum(100 * t1 ** 2 + (1 - a) ** 2 + 90 * t3 ** 2 + (1 - c) ** 2 + 10 * t5 ** 2 + 0.1 * t6 ** 2)
    g = np.empty(x.size)
    g[0::4] = -400 * t1 * a - 2 * (1 - a)
    g[1::4] = 200 * t1 + 20 * t5 + 0.2 * t6
    g[2::4] = -360 * t3 * c - 2 * (1 - c)
    g[3::4] = 180 * t3 + 20 * t5 - 0.2 * t6
    return f, g


@register("WOODS", "SUR2-AN-V-0", 4, Scalable(4, step=4),
          MGH + ", problem 14 (Wood); CUTEst WOODS repeats it over blocks of 4",
          family="mgh", fopt=lambda n: 0.0, test_n=8)
def _woods(n):
    x0 = np.tile([-3.0, -1.0, -3.0, -1.0], n // 4)
    return dict(x0=x0, lower=-INF * np.ones(n), upper=INF * np.ones(n), fg=wood_fg, xopt=np.ones(n))


# 15 -----------------------------------------------------------------------
_KOW_Y = np.array([0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323,
                   0.0235, 0.0246])
_KOW_U = np.array([4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625])


@register("KOWOSB", "SUR2-MN-4-0", 4, Fixed(4), MGH + ", problem 15 (Kowalik and Osborne)",
          family="mgh", fopt=3.07505e-4, ftol=1e-5)
def _kowosb(n):
    u = _KOW_U

    def rj(x):
        num = u * u + u * x[1]
        den = u * u + u * x[2] + x[3]
        r = _KOW_Y - x[0] * num / den
        J = np.column_stack([-num / den, -x[0] * u / den, x[0] * num * u / den ** 2,
                             x[0] * num / den ** 2])
        return r, J

    return _fixed([0.25, 0.39, 0.415, 0.39], dense_lsq(rj))


# 16 -----------------------------------------------------------------------
@register("BROWNDEN", "SUR2-AN-4-0", 4, Fixed(4), MGH + ", problem 16 (Brown and Dennis, m=20)",
          family="mgh", fopt=85822.2016, ftol=1e-6)
def _brownden(n):
    t = np.arange(1, 21) / 5.0
    st, ct, et = np.sin(t), np.cos(t), np.exp(t)

    def rj(x):
        p = x[0] + t * x[1] - et
        q = x[2] + x[3] * st - ct
        r = p * p + q * q
        J = np.column_stack([2 * p, 2 * p * t, 2 * q, 2 * q * st])
        return r, J

    return _fixed([25.0, 5.0, -5.0, -1.0], dense_lsq(rj))


# 17 -----------------------------------------------------------------------
_OSB1_Y = np.array([0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784,
                    0.751, 0.718, 0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522,
                    0.506, 0.490, 0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420,
                    0.414, 0.411, 0.406])


@register("OSBORNEA", "SUR2-MN-5-0", 5, Fixed(5), MGH + ", problem 17 (Osborne 1)",
          family="mgh", fopt=5.46489e-5, ftol=1e-5)
def _osbornea(n):
    t = 10.0 * np.arange(33)

    def rj(x):
        e4, e5 = np.exp(-t * x[3]), np.exp(-t * x[4])
        r = _OSB1_Y - (x[0] + x[1] * e4 + x[2] * e5)
        J = np.column_stack([-np.ones(33), -e4, -e5, x[1] * t * e4, x[2] * t * e5])
        return r, J

    return _fixed([0.5, 1.5, -1.0, 0.01, 0.02], dense_lsq(rj))


# 18 -----------------------------------------------------------------------
@register("BIGGS6", "SUR2-AN-6-0", 6, Fixed(6), MGH + ", problem 18 (Biggs EXP6, m=13)",
          family="mgh", fopt=0.0, notes="also a local minimizer with f=5.65565e-3")
def _biggs6(n):
    t = 0.1 * np.arange(1, 14)
    y = np.exp(-t) - 5.0 * np.exp(-10.0 * t) + 3.0 * np.exp(-4.0 * t)

    def rj(x):
        e1, e2, e5 = np.exp(-t * x[0]), np.exp(-t * x[1]), np.exp(-t * x[4])
        r = x[2] * e1 - x[3] * e2 + x[5] * e5 - y
        J = np.column_stack([-t * x[2] * e1, t * x[3] * e2, e1, -e2, -t * x[5] * e5, e5])
        return r, J

    return _fixed([1.0, 2.0, 1.0, 1.0, 1.0, 1.0], dense_lsq(rj))


# 19 -----------------------------------------------------------------------
_OSB2_Y = np.array([
    1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725,
    0.746, 0.679, 0.608, 0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724,
    0.649, 0.649, 0.694, 0.644, 0.624, 0.661, 0.612, 0.558, 0.533, 0.495,
    0.500, 0.423, 0.395, 0.375, 0.372, 0.391, 0.396, 0.405, 0.428, 0.429,
    0.523, 0.562, 0.607, 0.653, 0.672, 0.708, 0.633, 0.668, 0.645, 0.632,
    0.591, 0.559, 0.597, 0.625, 0.739, 0.710, 0.729, 0.720, 0.636, 0.581,
    0.428, 0.292, 0.162, 0.098, 0.054])


@register("OSBORNEB", "SUR2-MN-11-0", 11, Fixed(11), MGH + ", problem 19 (Osborne 2)",
          family="mgh", fopt=4.01377e-2, ftol=1e-5)
def _osborneb(n):
    t = np.arange(65) / 10.0

    def rj(x):
        e1 = np.exp(-t * x[4])
        model = x[0] * e1
        J = np.zeros((65, 11))
        J[:, 0] = -e1
        J[:, 4] = x[0] * t * e1
        for k, (a, s, c) in enumerate(((1, 5, 8), (2, 6, 9), (3, 7, 10))):
            d = t - x[c]
            e = np.exp(-d * d * x[s])
            model = model + x[a] * e
            J[:, a] = -e
            J[:, s] = x[a] * d * d * e
            J[:, c] = -x[a] * e * 2.0 * x[s] * d
        r = _OSB2_Y - model
        return r, J

    return _fixed([1.3, 0.65, 0.65, 0.7, 0.6, 3.0, 5.0, 7.0, 2.0, 4.5, 5.5], dense_lsq(rj))


# 20 -----------------------------------------------------------------------
@register("WATSON", "SUR2-AN-V-0", 6, Scalable(2, max_n=31), MGH + ", problem 20 (Watson, m=31)",
          family="mgh", fopt={6: 2.28767e-3, 9: 1.39976e-6, 12: 4.72238e-10},
          ftol=1e-5, test_n=9)
def _watson(n):
    t = np.arange(1, 30) / 29.0
    j = np.arange(n)
    P = t[:, None] ** j[None, :]  # t^(j) for j = 0..n-1
    dP = np.zeros_like(P)  # (j) t^(j-1)
    dP[:, 1:] = j[1:] * P[:, :-1]

    def rj(x):
        s1 = dP @ x
        s2 = P @ x
        r = np.empty(31)
        r[:29] = s1 - s2 * s2 - 1.0
        r[29] = x[0]
        r[30] = x[1] - x[0] ** 2 - 1.0
        J = np.zeros((31, n))
        J[:29] = dP - 2.0 * s2[:, None] * P
        J[29, 0] = 1.0
        J[30, 0] = -2.0 * x[0]
        J[30, 1] = 1.0
        return r, J

    return dict(x0=np.zeros(n), lower=-INF * np.ones(n), upper=INF * np.ones(n), fg=dense_lsq(rj))


# 21 -----------------------------------------------------------------------
@register("SROSENBR", "SUR2-AN-V-0", 2, Scalable(2, step=2),
          MGH + ", problem 21 (extended Rosenbrock)", family="mgh",
          fopt=lambda n: 0.0, test_n=10)
def _srosenbr(n):
    def fg(x):
        a, b = x[0::2], x[1::2]
        r1 = 10.0 * (b - a * a)
        r2 = 1.0 - a
        g = np.empty(n)
        g[0::2] = -40.0 * a * r1 - 2.0 * r2
        g[1::2] = 20.0 * r1
        return np.sum(r1 * r1 + r2 * r2), g

    x0 = np.tile([-1.2, 1.0], n // 2)
    return dict(x0=x0, lower=-INF * np.ones(n), upper=INF * np.ones(n), fg=fg, xopt=np.ones(n))


# 23 -----------------------------------------------------------------------
@register("PENALTY1", "SUR2-AN-V-0", 10, Scalable(1), MGH + ", problem 23 (penalty function I)",
          family="mgh", fopt={4: 2.24997e-5, 10: 7.08765e-5}, ftol=1e-5, test_n=10)
def _penalty1(n):
    a = 1e-5
    sa = np.sqrt(a)

    def fg(x):
        r = sa * (x - 1.0)
        s = x @ x - 0.25
        return r @ r + s * s, 2.0 * sa * r + 4.0 * s * x

    return dict(x0=np.arange(1, n + 1, dtype=float), lower=-INF * np.ones(n),
                upper=INF * np.ones(n), fg=fg)


# 24 -----------------------------------------------------------------------
@register("PENALTY2", "SUR2-AN-V-0", 10, Scalable(2, max_n=1000), MGH + ", problem 24 (penalty function II)",
          family="mgh", fopt={4: 9.37629e-6, 10: 2.93660e-4}, ftol=1e-5, test_n=10)
def _penalty2(n):
    a = 1e-5
    sa = np.sqrt(a)
    i = np.arange(2, n + 1)
    y = np.exp(i / 10.0) + np.exp((i - 1) / 10.0)
    w = n - np.arange(n)  # n-j+1
    em = np.exp(-0.1)

    def fg(x):
        e = np.exp(x / 10.0)
        r1 = x[0] - 0.2
        r2 = sa * (e[1:] + e[:-1] - y)
        r3 = sa * (e[1:] - em)
        r4 = w @ (x * x) - 1.0
        f = r1 * r1 + r2 @ r2 + r3 @ r3 + r4 * r4
        g = np.zeros(n)
        g[0] += 2 * r1
        g[1:] += 2 * r2 * sa * e[1:] / 10.0
        g[:-1] += 2 * r2 * sa * e[:-1] / 10.0
        g[1:] += 2 * r3 * sa * e[1:] / 10.0
        g += 2 * r4 * 2 * w * x
        return f, g

    return dict(x0=0.5 * np.ones(n), lower=-INF * np.ones(n), upper=INF * np.ones(n), fg=fg)


# 25 -----------------------------------------------------------------------
@register("VARDIM", "SUR2-AN-V-0", 10, Scalable(1), MGH + ", problem 25 (variably dimensioned)",
          family="mgh", fopt=lambda n: 0.0, test_n=10)
def _vardim(n):
    j = np.arange(1, n + 1, dtype=float)

    def fg(x):
        r = x - 1.0
        s = j @ r
        f = r @ r + s * s + s ** 4
        g = 2 * r + (2 * s + 4 * s ** 3) * j
        return f, g

    return dict(x0=1.0 - j / n, lower=-INF * np.ones(n), upper=INF * np.ones(n), fg=fg,
                xopt=np.ones(n))


# 26 -----------------------------------------------------------------------
@register("ARGTRIGLS", "SUR2-AN-V-0", 10, Scalable(1), MGH + ", problem 26 (trigonometric)",
          family="mgh", fopt=lambda n: 0.0, test_n=10,
          notes="MGH report a local minimizer with f=2.79506e-5 for n=10")
def _trig(n):
    i = np.arange(1, n + 1, dtype=float)

    def fg(x):
        c, s = np.cos(x), np.sin(x)
        r = n - c.sum() + i * (1.0 - c) - s
        # dr_k/dx_j = sin x_j + delta_kj (k sin x_k - cos x_k)
        g = 2.0 * (r.sum() * s + r * (i * s - c))
        return r @ r, g

    return dict(x0=np.full(n, 1.0 / n), lower=-INF * np.ones(n), upper=INF * np.ones(n), fg=fg)


# 27 -----------------------------------------------------------------------
@register("BROWNAL", "SUR2-AN-V-0", 10, Scalable(1), MGH + ", problem 27 (Brown almost-linear)",
          family="mgh", fopt=lambda n: 0.0, test_n=10, ftol=1e-6,
          notes="also a local minimizer with f=1 at (0,...,0,n+1)")
def _brownal(n):
    def fg(x):
        s = x.sum()
        r = x[:-1] + s - (n + 1.0)
        p = np.prod(x)
        rn = p - 1.0
        f = r @ r + rn * rn
        g = 2.0 * r.sum() * np.ones(n)
        g[:-1] += 2.0 * r
        # d prod / dx_j = prod_{k != j} x_k (robust to zeros)
        pre = np.concatenate(([1.0], np.cumprod(x[:-1])))
        suf = np.concatenate((np.cumprod(x[::-1][:-1])[::-1], [1.0]))
        g += 2.0 * rn * pre * suf
        return f, g

    return dict(x0=0.5 * np.ones(n), lower=-INF * np.ones(n), upper=INF * np.ones(n), fg=fg,
                xopt=np.ones(n))


# 28 -----------------------------------------------------------------------
@register("MOREBV", "SUR2-MN-V-0", 10, Scalable(1), MGH + ", problem 28 (discrete boundary value)",
          family="mgh", fopt=lambda n: 0.0, test_n=20, ftol=1e-9)
def _morebv(n):
    h = 1.0 / (n + 1)
    t = h * np.arange(1, n + 1)

    def fg(x):
        xp = np.concatenate(([0.0], x, [0.0]))
        c = x + t + 1.0
        r = 2.0 * x - xp[:-2] - xp[2:] + 0.5 * h * h * c ** 3
        d = 2.0 + 1.5 * h * h * c * c
        g = 2.0 * r * d
        g[1:] -= 2.0 * r[:-1]
        g[:-1] -= 2.0 * r[1:]
        return r @ r, g

    return dict(x0=t * (t - 1.0), lower=-INF * np.ones(n), upper=INF * np.ones(n), fg=fg)


# 29 -----------------------------------------------------------------------
@register("INTEQNELS", "SUR2-AN-V-0", 10, Scalable(1), MGH + ", problem 29 (discrete integral equation)",
          family="mgh", fopt=lambda n: 0.0, test_n=20, ftol=1e-9)
def _inteqne(n):
    h = 1.0 / (n + 1)
    t = h * np.arange(1, n + 1)

    def fg(x):
        u = x + t + 1.0
        c = u ** 3
        dc = 3.0 * u * u
        A = np.cumsum(t * c)  # sum_{j<=i} t_j c_j
        B = np.concatenate((np.cumsum(((1 - t) * c)[::-1])[::-1][1:], [0.0]))  # sum_{j>i}
        r = x + 0.5 * h * ((1.0 - t) * A + t * B)
        # (J^T r)_k = r_k + h/2 dc_k [ t_k sum_{i>=k} (1-t_i) r_i + (1-t_k) sum_{i<k} t_i r_i ]
        S1 = np.cumsum(((1 - t) * r)[::-1])[::-1]
        S2 = np.concatenate(([0.0], np.cumsum(t * r)[:-1]))
        jtr = r + 0.5 * h * dc * (t * S1 + (1 - t) * S2)
        return r @ r, 2.0 * jtr

    return dict(x0=t * (t - 1.0), lower=-INF * np.ones(n), upper=INF * np.ones(n), fg=fg)


# 30 -----------------------------------------------------------------------
@register("BROYDN3DLS", "SUR2-AN-V-0", 10, Scalable(1), MGH + ", problem 30 (Broyden tridiagonal)",
          family="mgh", fopt=lambda n: 0.0, test_n=20, ftol=1e-9)
def _broyden3d(n):
    def fg(x):
        xp = np.concatenate(([0.0], x, [0.0]))
        r = (3.0 - 2.0 * x) * x - xp[:-2] - 2.0 * xp[2:] + 1.0
        g = 2.0 * r * (3.0 - 4.0 * x)
        g[:-1] -= 2.0 * r[1:]  # x_i appears as x_{k-1} in r_k, k = i+1
        g[1:] -= 4.0 * r[:-1]  # x_i appears as x_{k+1} in r_k, k = i-1
        return r @ r, g

    return dict(x0=-np.ones(n), lower=-INF * np.ones(n), upper=INF * np.ones(n), fg=fg)


# 31 -----------------------------------------------------------------------
@register("BROYDNBDLS", "SUR2-AN-V-0", 10, Scalable(2), MGH + ", problem 31 (Broyden banded, ml=5, mu=1)",
          family="mgh", fopt=lambda n: 0.0, test_n=20, ftol=1e-9)
def _broydnbd(n):
    ml, mu = 5, 1

    def fg(x):
        q = x * (1.0 + x)
        dq = 1.0 + 2.0 * x
        r = x * (2.0 + 5.0 * x * x) + 1.0
        for k in range(1, ml + 1):  # j = i - k
            r[k:] -= q[:-k]
        for k in range(1, mu + 1):  # j = i + k
            r[:-k] -= q[k:]
        g = 2.0 * r * (2.0 + 15.0 * x * x)
        for k in range(1, ml + 1):  # x_j enters r_{j+k}
            g[:-k] -= 2.0 * r[k:] * dq[:-k]
        for k in range(1, mu + 1):  # x_j enters r_{j-k}
            g[k:] -= 2.0 * r[:-k] * dq[k:]
        return r @ r, g

    return dict(x0=-np.ones(n), lower=-INF * np.ones(n), upper=INF * np.ones(n), fg=fg)


# 32-34: linear functions (m = 2n) ------------------------------------------
@register("ARGLINA", "SUR2-AN-V-0", 10, Scalable(1), MGH + ", problem 32 (linear, full rank, m=2n)",
          family="mgh", fopt=lambda n: float(n), test_n=10, ftol=1e-8)
def _arglina(n):
    m = 2 * n

    def fg(x):
        s = x.sum()
        r1 = x - 2.0 * s / m - 1.0
        r2 = -2.0 * s / m - 1.0
        f = r1 @ r1 + (m - n) * r2 * r2
        g = 2.0 * r1 - (4.0 / m) * (r1.sum() + (m - n) * r2)
        return f, g

    return dict(x0=np.ones(n), lower=-INF * np.ones(n), upper=INF * np.ones(n), fg=fg,
                xopt=-np.ones(n))


@register("ARGLINB", "SUR2-AN-V-0", 10, Scalable(1), MGH + ", problem 33 (linear, rank 1, m=2n)",
          family="mgh", fopt=lambda n: (2 * n) * (2 * n - 1) / (2.0 * (4 * n + 1)), test_n=10,
          ftol=1e-6)
def _arglinb(n):
    m = 2 * n
    i = np.arange(1, m + 1, dtype=float)
    j = np.arange(1, n + 1, dtype=float)

    def fg(x):
        s = j @ x
        r = i * s - 1.0
        return r @ r, 2.0 * (i @ r) * j

    return dict(x0=np.ones(n), lower=-INF * np.ones(n), upper=INF * np.ones(n), fg=fg)


@register("ARGLINC", "SUR2-AN-V-0", 10, Scalable(3),
          MGH + ", problem 34 (linear, rank 1 with zero columns and rows, m=2n)",
          family="mgh", fopt=lambda n: ((2 * n) ** 2 + 3 * (2 * n) - 6) / (2.0 * (2 * (2 * n) - 3)),
          test_n=10, ftol=1e-6)
def _arglinc(n):
    m = 2 * n
    i = np.arange(2, m, dtype=float)  # rows 2..m-1 use factor (i-1)
    w = np.arange(1, n + 1, dtype=float)
    w[0] = 0.0
    w[-1] = 0.0

    def fg(x):
        s = w @ x
        r = (i - 1.0) * s - 1.0
        return r @ r + 2.0, 2.0 * ((i - 1.0) @ r) * w

    return dict(x0=np.ones(n), lower=-INF * np.ones(n), upper=INF * np.ones(n), fg=fg)


# 35 -----------------------------------------------------------------------
def _cheb_fopt(n):
    if n in (1, 2, 3, 4, 5, 6, 7, 9):
        return 0.0
    return {8: 3.51687e-3, 10: 6.50395e-3}.get(n)


@register("CHEBYQAD", "SBR2-AN-V-0", 10, Scalable(1, max_n=100),
          MGH + ", problem 35 (Chebyquad, m=n); CUTEst adds the bounds 0 <= x <= 1",
          family="mgh", fopt=_cheb_fopt, test_n=8, ftol=1e-5)
def _chebyqad(n):
    m = n
    k = np.arange(1, m + 1)
    integ = np.zeros(m)
    ev = k % 2 == 0
    integ[ev] = -1.0 / (k[ev] * k[ev] - 1.0)

    def fg(x):
        y = 2.0 * x - 1.0
        T = np.empty((m + 1, n))
        dT = np.empty((m + 1, n))
        T[0], dT[0] = 1.0, 0.0
        T[1], dT[1] = y, 1.0
        for q in range(1, m):
            T[q + 1] = 2.0 * y * T[q] - T[q - 1]
            dT[q + 1] = 2.0 * T[q] + 2.0 * y * dT[q] - dT[q - 1]
        r = T[1:].mean(axis=1) - integ
        J = (2.0 / n) * dT[1:]
        return r @ r, 2.0 * (J.T @ r)

    x0 = np.arange(1, n + 1) / (n + 1.0)
    return dict(x0=x0, lower=np.zeros(n), upper=np.ones(n), fg=fg)
