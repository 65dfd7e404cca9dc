"""Dense algebra of one L-BFGS-B iteration, written independently of tools/qmodel.py.

B is built by the BFGS recursion from θI over the stored pairs (the tools use
the compact form θI − W M W'; the two agree in exact arithmetic [BNS94]), and
the generalized Cauchy point is found by walking the projected path with the
model's own value, not its segment derivatives.
"""
import numpy as np


def bfgs_matrix(theta, S, Y, n):
    """B from B0 = θI by the BFGS update over the pairs (rows of S, Y), oldest first."""
    B = theta * np.eye(n)
    for s, y in zip(np.asarray(S, float).reshape(-1, n), np.asarray(Y, float).reshape(-1, n)):
        Bs = B @ s
        B = B - np.outer(Bs, Bs) / (s @ Bs) + np.outer(y, y) / (y @ s)
    return B


def breakpoints(x, g, lo, hi):
    """t_i of BLNZ95 (4.1) (inf where x_i − t g_i never meets a bound)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        tb = np.where(g > 0, (x - lo) / g, np.where(g < 0, (x - hi) / g, np.inf))
    return np.where(np.isnan(tb), np.inf, tb)


def first_minimiser_on_path(x, g, lo, hi, B):
    """(t*, x(t*)): walk x(t) = clip(x − t g) knot by knot; on each piece the model
    q(t) = g'p + ½ p'Bp, p = x(t) − x, is a quadratic fitted through three of its
    values; stop at the first piece whose minimiser lies inside it, or where q
    stops decreasing."""
    tb = breakpoints(x, g, lo, hi)

    def q(t):
        p = np.clip(x - t * g, lo, hi) - x
        return g @ p + 0.5 * p @ B @ p

    knots = sorted(set(t for t in tb if 0 < t < np.inf))
    t0 = 0.0
    for t1 in knots + [None]:
        if not np.any(tb > t0) or not np.any(g[tb > t0]):
            return t0, np.clip(x - t0 * g, lo, hi)      # nothing moves any more
        h = (t1 - t0) if t1 is not None else max(1.0, t0)
        a, b, c = q(t0), q(t0 + 0.5 * h), q(t0 + h)     # q on [t0, t0 + h]
        slope = (4 * b - 3 * a - c) / h                  # q'(t0+)
        curv = 4 * (a - 2 * b + c) / (h * h)             # q''
        if slope >= 0:
            return t0, np.clip(x - t0 * g, lo, hi)
        if curv > 0 and -slope / curv < h:
            t = t0 - slope / curv
            return t, np.clip(x - t * g, lo, hi)
        if t1 is None:
            return np.inf, None
        t0 = t1
    return t0, np.clip(x - t0 * g, lo, hi)


def reduced_newton(x, g, B, xcp, free):
    """(r^c, xcp + Z du) with r^c = Z'(g + B(xcp − x)) (5.4), Z'BZ du = −r^c (5.7)."""
    F = np.asarray(free, int)
    rc = (g + B @ (xcp - x))[F]
    zn = np.array(xcp, float)
    zn[F] += np.linalg.solve(B[np.ix_(F, F)], -rc)
    return rc, zn
