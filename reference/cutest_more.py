"""More bound-constrained problems of the CUTEst collection, written in numpy
from the definitions in their SIF files (ALLINIT, LINVERSE, PENTDI, PROBPENL,
QRTQUAD, PALMER1-4, BQPGASIM).  See NOTES.md."""

import math

import numpy as np

from ._core import Fixed, Scalable, register
from .bounded import CUTE, _d

INF = np.inf


# ---------------------------------------------------------------------------
# ALLINIT (N. Gould): a problem with "all in it" -- free, lower-bounded,
# two-sided and fixed variables, trivial and least-squares groups.
# ---------------------------------------------------------------------------
@register("ALLINIT", "OBR2-AY-4-0", 4, Fixed(4),
          "N. Gould, private communication; SIF input N. Gould, June 1990; "
          + CUTE.format("ALLINIT"), family="bounded", active=True, x0_feasible=False,
          notes="x1 free, x2 >= 1, -1e10 <= x3 <= 1, x4 fixed at 2; the SIF file has no "
                "start point, so x0 = 0 (infeasible: x2 < 1, x4 != 2).  No optimal value "
                "is published in the SIF file (L-BFGS-B finds f = 16.7059684 with x2 = 1)")
def _allinit(n):
    def fg(x):
        x1, x2, x3, x4 = x
        s3, c3, s4, c4 = np.sin(x3), np.cos(x3), np.sin(x4), np.cos(x4)
        # trivial groups FT1..FT6
        f = (x3 - 1.0) + x1 * x1 + x2 * x2 + (x3 + x4) ** 2 \
            + (x4 - 3.0 + s3 * s3 + x1 * x1 * x2 * x2) + s3 * s3
        g = np.array([2 * x1 + 2 * x1 * x2 * x2,
                      2 * x2 + 2 * x1 * x1 * x2,
                      1.0 + 2 * (x3 + x4) + 4 * s3 * c3,
                      2 * (x3 + x4) + 1.0])
        # least-squares groups FNT1..FNT6 (FNT1 is identically zero)
        r2 = x4 - 1.0
        r3 = x2 * x2
        r4 = x3 * x3 + (x4 + x1) ** 2
        r5 = x1 - 4.0 + s4 * s4 + x2 * x2 * x3 * x3
        r6 = s4 * s4
        f += r2 * r2 + r3 * r3 + r4 * r4 + r5 * r5 + r6 * r6
        g += 2 * r2 * np.array([0.0, 0.0, 0.0, 1.0])
        g += 2 * r3 * np.array([0.0, 2 * x2, 0.0, 0.0])
        g += 2 * r4 * np.array([2 * (x4 + x1), 0.0, 2 * x3, 2 * (x4 + x1)])
        g += 2 * r5 * np.array([1.0, 2 * x2 * x3 * x3, 2 * x2 * x2 * x3, 2 * s4 * c4])
        g += 2 * r6 * np.array([0.0, 0.0, 0.0, 2 * s4 * c4])
        return f, g

    return _d(np.zeros(4), [-INF, 1.0, -1e10, 2.0], [INF, INF, 1.0, 2.0], fg)


# ---------------------------------------------------------------------------
# LINVERSE (Ph. Toint): lower bidiagonal L with diagonal a >= 1e-8 and
# subdiagonal b such that L T L^T is close to I in the Frobenius norm,
# T pentadiagonal with T(i,j) = sin(i) cos(j) (j <= i <= j+2).  The groups
# O(i,j), j = i-2..i, are those of the SIF file (which keeps only the terms
# listed there); off-diagonal groups carry the SIF scale 0.5, i.e. weight 2.
# Variables are ordered a1, b1, a2, b2, ..., a_{N-1}, b_{N-1}, a_N: n = 2N-1.
# ---------------------------------------------------------------------------
def _linverse_fg(N):
    k = np.arange(1, N + 1, dtype=float)
    s, c = np.sin(k), np.cos(k)
    # T(i,i), T(i,i-1), T(i,i-2) for i = 1..N (0 where undefined)
    t0 = s * c
    t1 = np.zeros(N)
    t1[1:] = s[1:] * c[:-1]
    t2 = np.zeros(N)
    t2[2:] = s[2:] * c[:-2]

    def fg(x):
        a = x[0::2]                      # a_1..a_N
        bb = np.zeros(N)                 # bb[i] = b_{i-1} (1-based i), b_0 = 0
        bb[1:] = x[1::2]
        ga = np.zeros(N)
        gb = np.zeros(N)
        # diagonal groups O(i,i) = a_i^2 T(i,i) + 2 a_i b_{i-1} T(i,i-1)
        #                          + b_{i-1}^2 T(i-1,i-1) - 1
        tpp = np.concatenate(([0.0], t0[:-1]))  # T(i-1,i-1)
        r0 = a * a * t0 + 2 * a * bb * t1 + bb * bb * tpp - 1.0
        f = r0 @ r0
        ga += 2 * r0 * (2 * a * t0 + 2 * bb * t1)
        gb += 2 * r0 * (2 * a * t1 + 2 * bb * tpp)
        # O(i,i-1), i = 2..N: a_i a_{i-1} T(i,i-1) + a_i b_{i-2} T(i,i-2)
        #                    + b_{i-1} a_{i-1} T(i-1,i-1) + b_{i-1} b_{i-2} T(i-1,i-2)
        ai, am, bi, bm = a[1:], a[:-1], bb[1:], bb[:-1]
        T11, T12, Tpp, Tp2 = t1[1:], t2[1:], t0[:-1], t1[:-1]
        r1 = ai * am * T11 + ai * bm * T12 + bi * am * Tpp + bi * bm * Tp2
        f += 2.0 * (r1 @ r1)
        w = 4.0 * r1
        ga[1:] += w * (am * T11 + bm * T12)
        ga[:-1] += w * (ai * T11 + bi * Tpp)
        gb[1:] += w * (am * Tpp + bm * Tp2)
        gb[:-1] += w * (ai * T12 + bi * Tp2)
        # O(i,i-2), i = 3..N: a_i a_{i-2} T(i,i-2) + b_{i-1} a_{i-2} T(i-1,i-2)
        ai, a2, bi = a[2:], a[:-2], bb[2:]
        T22, Tq = t2[2:], t1[1:-1]
        r2 = ai * a2 * T22 + bi * a2 * Tq
        f += 2.0 * (r2 @ r2)
        w = 4.0 * r2
        ga[2:] += w * a2 * T22
        ga[:-2] += w * (ai * T22 + bi * Tq)
        gb[2:] += w * a2 * Tq
        g = np.empty(2 * N - 1)
        g[0::2] = ga
        g[1::2] = gb[1:]
        return f, g

    return fg


@register("LINVERSE", "SBR2-AN-V-0", 19, Scalable(5, extra=lambda n: n % 2 == 1,
                                                  text="n = 2N-1 odd, n >= 5"),
          "Ph.L. Toint, private communication, SIF input March 1991; " + CUTE.format("LINVERSE")
          + "; optimal values from the SIF file for N = 10, 100, 500",
          family="bounded", fopt={19: 6.0, 199: 68.0, 999: 340.0}, active=True,
          x0_feasible=False, test_n=199, ftol=1e-6,
          notes="x0 = -1 violates the bounds a_i >= 1e-8 (as in the SIF file)")
def _linverse(n):
    N = (n + 1) // 2
    lo = np.full(n, -INF)
    lo[0::2] = 1e-8
    return _d(-np.ones(n), lo, np.full(n, INF), _linverse_fg(N))


# ---------------------------------------------------------------------------
# PENTDI (J. Judice / Ph. Toint, from Lin & Pang): convex pentadiagonal QP,
# x >= 0, f = 6 sum x_i^2 - 4 sum x_i x_{i+1} + sum x_i x_{i+2} + c^T x.
# ---------------------------------------------------------------------------
@register("PENTDI", "QBR2-AN-V-0", 1000, Scalable(8, step=2),
          "J. Judice, SIF input January 1995, inspired by Y. Lin, J. Pang, Iterative methods "
          "for large convex quadratic programs: a survey, SIAM J. Control Optim. 25:383-411, "
          "1987; " + CUTE.format("PENTDI") + "; optimal value -0.75 from the SIF file",
          family="bounded", fopt=lambda n: -0.75, active=True, test_n=1000, ftol=1e-8,
          notes="n even; n >= 8 so that the five linear terms touch distinct variables")
def _pentdi(n):
    c = np.zeros(n)
    h = n // 2
    c[0], c[1] = -3.0, 1.0
    c[h - 2], c[h - 1], c[h] = 1.0, -3.0, 4.0
    c[h + 2:] = 1.0

    def fg(x):
        p1 = x[:-1] * x[1:]
        p2 = x[:-2] * x[2:]
        f = 6.0 * (x @ x) - 4.0 * p1.sum() + p2.sum() + c @ x
        g = 12.0 * x + c
        g[:-1] -= 4.0 * x[1:]
        g[1:] -= 4.0 * x[:-1]
        g[:-2] += x[2:]
        g[2:] += x[:-2]
        return f, g

    return _d(np.zeros(n), np.zeros(n), np.full(n, INF), fg)


# ---------------------------------------------------------------------------
# PROBPENL (Toint 1983, problem 46): probabilistic penalty
# f = sum_{i<n} 1e-4/n (x_i + x_{i+1}) exp(-x_i x_{i+1}) + 100 (sum x_i - 1)^2
# ---------------------------------------------------------------------------
@register("PROBPENL", "OBR2-AN-V-0", 500, Scalable(2),
          "Ph.L. Toint, Test problems for partially separable optimization and results for "
          "the routine PSPMIN, report 83/4, FUNDP Namur 1983, problem 46; "
          + CUTE.format("PROBPENL") + "; optimal values from the SIF file for n = 10, 50, 100",
          family="bounded", fopt={10: 1.7820896e-5, 50: 3.9184323e-6, 100: 1.9798020e-6},
          test_n=50, ftol=1e-12,
          notes="-5 <= x <= 5, x0 = 0.5; the last group has SIF scale 0.01 (weight 100)")
def _probpenl(n):
    fact = 1e-4 / n

    def fg(x):
        u, v = x[:-1], x[1:]
        s = u + v
        e = fact * np.exp(-u * v)
        r = x.sum() - 1.0
        f = np.sum(s * e) + 100.0 * r * r
        g = np.full(n, 200.0 * r)
        g[:-1] += e * (1.0 - v * s)
        g[1:] += e * (1.0 - u * s)
        return f, g

    return _d(np.full(n, 0.5), np.full(n, -5.0), np.full(n, 5.0), fg)


# ---------------------------------------------------------------------------
# QRTQUAD (Ph. Toint): quartic elements i/M (x_i x_{i+1})^4 for i <= M,
# quadratic 4 x_i^2 + 2 x_n^2 + x_i x_n for M < i < n, linear -10 sum i x_i.
# ---------------------------------------------------------------------------
_QRTSIZES = {12: 6, 120: 10, 1200: 100, 5000: 1100}


@register("QRTQUAD", "OBR2-MN-V-0", 120, Fixed(12, 120, 1200, 5000),
          "Ph.L. Toint, SIF input June 1992 (corrected 1995 and by S. Gratton, Ph.L. Toint, "
          "May 2024); " + CUTE.format("QRTQUAD") + "; M = 6, 10, 100, 1100 for n = 12, 120, "
          "1200, 5000", family="bounded", active=True, test_n=120,
          notes="0 <= x <= 10 for ALL variables as in the current SIF file (its comment says "
                "only the first M are bounded); no optimal value published")
def _qrtquad(n):
    m = _QRTSIZES[n]
    p = np.arange(1, m + 1) / m
    lin = -10.0 * np.arange(1, n + 1, dtype=float)

    def fg(x):
        u, v = x[:m], x[1:m + 1]
        xy = u * v
        f = lin @ x + np.sum(p * xy ** 4)
        g = lin.copy()
        t = 4.0 * p * xy ** 3
        g[:m] += t * v
        g[1:m + 1] += t * u
        xi, xn = x[m:n - 1], x[n - 1]
        f += np.sum(4 * xi * xi + 2 * xn * xn + xi * xn)
        g[m:n - 1] += 8 * xi + xn
        g[n - 1] += np.sum(4 * xn + xi)
        return f, g

    return _d(np.zeros(n), np.zeros(n), np.full(n, 10.0), fg, extra={"m": m})


# ---------------------------------------------------------------------------
# PALMER1-4 (M. Palmer, chemical kinetics): fit y ~ A x^2 + B / (C + x^2/D)
# with B, C, D >= 1e-5 (x in radians, y in kJ/mol; data of the SIF files).
# ---------------------------------------------------------------------------
_PALMER = {
    "PALMER1": ("H-N=N=N TZVP+MP2", 11754.6025,
                [-1.788963, -1.745329, -1.658063, -1.570796, -1.483530, -1.396263, -1.308997,
                 -1.218612, -1.134464, -1.047198, -0.872665, -0.698132, -0.523599, -0.349066,
                 -0.174533, 0.0, 1.788963, 1.745329, 1.658063, 1.570796, 1.483530, 1.396263,
                 1.308997, 1.218612, 1.134464, 1.047198, 0.872665, 0.698132, 0.523599,
                 0.349066, 0.174533],
                [78.596218, 65.77963, 43.96947, 27.038816, 14.6126, 6.2614, 1.538330, 0.0,
                 1.188045, 4.6841, 16.9321, 33.6988, 52.3664, 70.1630, 83.4221, 88.3995,
                 78.596218, 65.77963, 43.96947, 27.038816, 14.6126, 6.2614, 1.538330, 0.0,
                 1.188045, 4.6841, 16.9321, 33.6988, 52.3664, 70.1630, 83.4221]),
    "PALMER2": ("H-N=C=O TZVP+MP2", 3651.097532,
                [-1.745329, -1.570796, -1.396263, -1.221730, -1.047198, -0.937187, -0.872665,
                 -0.698132, -0.523599, -0.349066, -0.174533, 0.0, 0.174533, 0.349066,
                 0.523599, 0.698132, 0.872665, 0.937187, 1.047198, 1.221730, 1.396263,
                 1.570796, 1.745329],
                [72.676767, 40.149455, 18.8548, 6.4762, 0.8596, 0.0, 0.2730, 3.2043, 8.1080,
                 13.4291, 17.7149, 19.4529, 17.7149, 13.4291, 8.1080, 3.2053, 0.2730, 0.0,
                 0.8596, 6.4762, 18.8548, 40.149455, 72.676767]),
    "PALMER3": ("H-N=C=S TZVP+MP2", 2265.95822,
                [-1.658063, -1.570796, -1.396263, -1.221730, -1.047198, -0.872665, -0.766531,
                 -0.698132, -0.523599, -0.349066, -0.174533, 0.0, 0.174533, 0.349066,
                 0.523599, 0.698132, 0.766531, 0.872665, 1.047198, 1.221730, 1.396263,
                 1.570796, 1.658063],
                [64.87939, 50.46046, 28.2034, 13.4575, 4.6547, 0.59447, 0.0, 0.2177, 2.3029,
                 5.5191, 8.5519, 9.8919, 8.5519, 5.5191, 2.3029, 0.2177, 0.0, 0.59447, 4.6547,
                 13.4575, 28.2034, 50.46046, 64.87939]),
    "PALMER4": ("H-N=C=Se TZVP+MP2", 2285.383227,
                [-1.658063, -1.570796, -1.396263, -1.221730, -1.047198, -0.872665, -0.741119,
                 -0.698132, -0.523599, -0.349066, -0.174533, 0.0, 0.174533, 0.349066,
                 0.523599, 0.698132, 0.741119, 0.872665, 1.047198, 1.221730, 1.396263,
                 1.570796, 1.658063],
                [67.27625, 52.8537, 30.2718, 14.9888, 5.5675, 0.92603, 0.0, 0.085108, 1.867422,
                 5.014768, 8.263520, 9.8046208, 8.263520, 5.014768, 1.867422, 0.085108, 0.0,
                 0.92603, 5.5675, 14.9888, 30.2718, 52.8537, 67.27625]),
}


def _palmer_build(name):
    t = np.array(_PALMER[name][2])
    y = np.array(_PALMER[name][3])
    t2 = t * t

    def fg(x):
        a, b, c, d = x
        q = 1.0 / (c + t2 / d)
        r = a * t2 + b * q - y
        # math.fsum, not r @ r and J.T @ r: numpy's dot runs OpenBLAS, whose
        # summation order depends on the CPU, and PALMER3's path is sensitive
        # enough that the last bit of f decides which minimizer is found.  A
        # correctly rounded sum makes the objective the same on every machine.
        f = math.fsum(r * r)
        J = np.column_stack([t2, q, -b * q * q, b * q * q * t2 / (d * d)])
        return f, 2.0 * np.array([math.fsum(J[:, k] * r) for k in range(4)])

    return _d(np.ones(4), [-INF, 1e-5, 1e-5, 1e-5], np.full(4, INF), fg)


for _name, (_model, _fopt, _t, _y) in _PALMER.items():
    register(_name, "SBR2-RN-4-0", 4, Fixed(4),
             f"M. Palmer, Edinburgh, private communication (model {_model}); SIF input "
             f"N. Gould, 1990; " + CUTE.format(_name) + "; optimal value from the SIF file",
             family="bounded", fopt=_fopt, ftol=1e-6,
             notes=f"{len(_t)} data points; fit y ~ A x^2 + B / (C + x^2 / D)")(
        (lambda nm: (lambda n: _palmer_build(nm)))(_name))


# ---------------------------------------------------------------------------
# BQPGASIM (N. Gould): the first 50-variable subproblem of BQPGAUSS,
# f = c^T x + 1/2 x^T H x with the sparse H, c and bounds of the SIF file.
# ---------------------------------------------------------------------------
_BQPGASIM_C = np.array([
    0.056987, -0.0061847, 0.0052516, 0.011729, 0.0049596, -0.0049271,
    0.012185, 0.013238, -0.015134, -0.012247, 0.023741, -0.097666,
    0.098702, 0.00078901, 0.00051663, -0.00017477, 0.0011795, -0.017351,
    0.0013439, -0.056977, 0.01004, -0.08338, -0.0037526, -0.00094555,
    -0.0049258, -0.0013959, -0.0043749, -0.0043677, -0.027985, 0.0018839,
    -0.001234, -0.00068139, -0.035838, -0.034857, 0.0028724, 0.016625,
    0.013571, -0.0072447, -0.00046034, -0.016225, 2.2034e-05, 0.058844,
    0.0030725, 0.0028227, -0.020681, -0.0054952, 0.00062552, 0.033782,
    -0.0048584, -0.0014371,
])

_BQPGASIM_LO = np.array([
    -5.4966e-05, -0.0039206, -0.1, -0.10001, -0.1, -0.099994,
    -0.0039119, -0.10001, -0.099987, -0.099988, -0.10001, -0.099952,
    -4.5551e-05, -0.099999, -0.1, -0.072801, -0.1, -0.099992,
    -0.1, -0.099956, -0.1, -0.099961, -0.1, -0.1,
    -0.004111, -0.1, -0.1, -0.1, -0.096988, -0.1,
    -0.1, -0.058439, -4.5616e-06, -0.099999, -0.099991, -0.099977,
    -0.099984, -0.1, -3.9611e-06, -8.8262e-06, -0.10001, -0.1,
    -1.9873e-06, -0.1, -0.099993, -0.099999, -3.0424e-06, -0.099985,
    -0.10004, -0.1,
])

_BQPGASIM_UP = np.array([
    0.099945, 0.1, 0.099999, 0.09999, 0.099997, 6.1561e-06,
    0.099986, 0.025683, 0.10001, 0.10001, 0.0028998, 4.7652e-05,
    0.099954, 0.1, 0.1, 0.1, 0.1, 8.3681e-06,
    0.1, 4.3809e-05, 0.1, 3.9248e-05, 0.1, 0.1,
    0.1, 0.1, 0.1, 0.1, 0.10002, 0.1,
    0.1, 0.1, 0.099995, 7.3117e-07, 9.3168e-06, 0.10002,
    1.5812e-05, 0.1, 0.099996, 0.099991, 0.099986, 0.1,
    0.099998, 0.1, 7.422e-06, 8.2308e-07, 0.099997, 1.5119e-05,
    0.024305, 0.1,
])

# diagonal entries (i, H_ii), 1-based as in the SIF file
_BQPGASIM_D = [
    (1, 1062.4), (11, 783.31), (12, 100.0), (20, 783.31), (21, 100.0),
    (29, 783.31), (36, 783.31), (37, 100.0), (41, 783.31), (42, 100.0),
    (49, 783.31), (2, 1062.4), (13, 100.0), (22, 100.0), (30, 100.0),
    (38, 100.0), (3, 1062.4), (23, 100.0), (43, 100.0), (50, 100.0),
    (4, 1062.4), (14, 100.0), (31, 100.0), (44, 100.0), (5, 1062.4),
    (15, 100.0), (24, 100.0), (32, 100.0), (39, 100.0), (45, 100.0),
    (6, 1062.4), (16, 100.0), (25, 100.0), (33, 100.0), (46, 100.0),
    (7, 1062.4), (17, 100.0), (34, 100.0), (8, 1062.4), (40, 100.0),
    (9, 1062.4), (26, 100.0), (35, 100.0), (10, 1062.4), (47, 100.0),
    (18, 100.0), (27, 100.0), (19, 100.0), (28, 100.0), (48, 100.0),
]

# off-diagonal entries (i, j, H_ij), 1-based
_BQPGASIM_O = [
    (1, 11, -99.819), (1, 12, -99.709), (11, 12, 100.0), (1, 20, -100.0),
    (1, 21, -100.0), (20, 21, 100.0), (1, 29, 90.362), (1, 36, 65.103),
    (1, 37, 65.14), (36, 37, 100.0), (1, 41, 75.507), (1, 42, 75.507),
    (41, 42, 100.0), (1, 49, -97.537), (2, 11, -99.213), (2, 13, -99.709),
    (11, 13, 99.608), (2, 20, -99.698), (2, 22, -100.0), (20, 22, 99.608),
    (2, 29, 89.945), (2, 30, 90.3), (29, 30, 99.608), (2, 36, 64.885),
    (2, 38, 65.14), (36, 38, 99.608), (2, 41, 75.197), (2, 49, -97.167),
    (3, 11, 81.209), (3, 20, 81.463), (3, 23, -100.0), (20, 23, -81.463),
    (3, 29, -73.536), (3, 36, -53.119), (3, 41, -61.506), (3, 43, 75.507),
    (41, 43, -81.463), (3, 49, 79.48), (3, 50, -97.566), (49, 50, -81.463),
    (4, 11, 28.141), (4, 14, -99.709), (11, 14, -28.225), (4, 20, 28.228),
    (4, 29, -25.487), (4, 31, 90.3), (29, 31, -28.225), (4, 36, -18.37),
    (4, 41, -21.312), (4, 44, 75.507), (41, 44, -28.225), (4, 49, 27.539),
    (5, 11, 26.35), (5, 15, -99.709), (11, 15, -26.427), (5, 20, 26.427),
    (5, 24, -100.0), (20, 24, -26.427), (5, 29, -23.863), (5, 32, 90.3),
    (29, 32, -26.427), (5, 36, -17.205), (5, 39, 65.14), (36, 39, -26.427),
    (5, 41, -19.971), (5, 45, 75.507), (41, 45, -26.427), (5, 49, 25.757),
    (6, 11, 99.709), (6, 16, -99.709), (11, 16, -100.0), (6, 20, 100.0),
    (6, 25, -100.0), (20, 25, -100.0), (6, 29, -90.289), (6, 33, 90.3),
    (29, 33, -100.0), (6, 36, -65.144), (6, 41, -75.509), (6, 46, 75.507),
    (41, 46, -100.0), (6, 49, 97.565), (7, 11, -99.32), (7, 17, -99.709),
    (11, 17, 99.61), (7, 20, -99.631), (7, 29, 89.946), (7, 34, 90.3),
    (29, 34, 99.61), (7, 36, 64.89), (7, 41, 75.199), (7, 49, -97.188),
    (8, 11, 97.157), (8, 20, 97.417), (8, 29, -87.973), (8, 36, -63.446),
    (8, 40, 65.14), (36, 40, -97.431), (8, 41, -73.586), (8, 49, 95.052),
    (9, 11, -2.9055), (9, 20, -2.9605), (9, 26, -100.0), (20, 26, 2.9604),
    (9, 29, 2.6517), (9, 35, 90.3), (29, 35, 2.9604), (9, 36, 1.9168),
    (9, 41, 2.2464), (9, 49, -2.9243), (10, 11, 29.135), (10, 20, 29.241),
    (10, 29, -26.379), (10, 36, -19.046), (10, 41, -22.065), (10, 47, 75.507),
    (41, 47, -29.232), (11, 18, -100.0), (20, 27, -100.0), (11, 19, -100.0),
    (20, 28, -100.0), (41, 48, -100.0),
]


@register("BQPGASIM", "QBR2-AN-50-0", 50, Fixed(50),
          "N. Gould, SIF input July 1990 (first 50-variable subproblem of BQPGAUSS); "
          + CUTE.format("BQPGASIM") + "; optimal value -5.519814e-5 from the SIF file's "
          "(commented) object bound", family="bounded", fopt=-5.519814e-5, active=True,
          ftol=1e-6)
def _bqpgasim(n):
    H = np.zeros((50, 50))
    for i, w in _BQPGASIM_D:
        H[i - 1, i - 1] += w
    for i, j, w in _BQPGASIM_O:
        H[i - 1, j - 1] += w
        H[j - 1, i - 1] += w
    c = _BQPGASIM_C.copy()

    def fg(x):
        hx = H @ x
        return c @ x + 0.5 * (x @ hx), c + hx

    return _d(np.zeros(50), _BQPGASIM_LO.copy(), _BQPGASIM_UP.copy(), fg)
