"""Dense linear algebra of one L-BFGS-B iteration, for checking the solver.

The solver never forms B_k; this module does, from the θ, S and Y that the
solver stores, and computes with it what the papers define: the compact form
B = θI − W M W' [BLNZ95 (3.2)–(3.6)], the quadratic model m_k (2.1), the
breakpoints (4.1) of the projected path x(t) = P(x − t g) (2.2), its segments
with f′, f″ ((4.4)–(4.5)), the first local minimiser along the path (the
generalized Cauchy point, Algorithm CP), and the reduced Newton point
(5.4), (5.7).  tools/explain.py and tools/walkthrough.py set the solver's
numbers beside these ("[ok]"); nothing here feeds the solver.
"""
import numpy as np


class CompactB:
    """B = θI − W M W' with W = [Y, θS], M = [[−D, L'], [L, θS'S]]⁻¹ (3.2)–(3.6),
    applied as an operator (``B @ v``, ``v @ B``: O(n·col)); ``dense()`` forms it."""

    __array_ufunc__ = None                   # ``ndarray @ B`` defers to __rmatmul__

    def __init__(self, theta, S, Y):
        S = np.asarray(S, float)
        Y = np.asarray(Y, float)
        self.theta, self.n, self.col = float(theta), S.shape[0], S.shape[1]
        self.W = np.hstack([Y, theta * S])
        if self.col:
            SY = S.T @ Y
            L = np.tril(SY, -1)
            self.Minv = np.block([[-np.diag(np.diag(SY)), L.T], [L, theta * (S.T @ S)]])

    def _apply(self, v, rows=None):
        W = self.W if rows is None else self.W[rows]
        out = self.theta * v
        if self.col:
            out = out - W @ np.linalg.solve(self.Minv, W.T @ v)
        return out

    def __matmul__(self, v):
        return self._apply(np.asarray(v, float))

    __rmatmul__ = __matmul__                 # B is symmetric

    def sub(self, rows, v):
        """Z'BZ v on the variables ``rows``: θv − W_F M W_F' v."""
        return self._apply(np.asarray(v, float), rows)

    def dense(self, rows=None):
        idx = np.arange(self.n) if rows is None else np.asarray(rows, int)
        return np.column_stack([self.sub(idx, e) for e in np.eye(len(idx))]) \
            if len(idx) else np.zeros((0, 0))


def compact_b(theta, S, Y):
    """B_k of the stored θ and pairs S, Y (n × col, oldest pair first)."""
    return CompactB(theta, S, Y)


def model(f, x, g, B, y):
    """m_k(y) = f + g'(y − x) + ½ (y − x)'B(y − x) (2.1)."""
    s = np.asarray(y, float) - x
    return f + g @ s + 0.5 * s @ B @ s


def breakpoints(x, g, l, u, nbd):
    """t_i of (4.1): where x_i − t g_i meets its bound (inf where it never does)."""
    t = np.full(len(x), np.inf)
    for i in range(len(x)):
        if g[i] < 0 and nbd[i] >= 2:
            t[i] = (x[i] - u[i]) / g[i]
        elif g[i] > 0 and nbd[i] in (1, 2):
            t[i] = (x[i] - l[i]) / g[i]
    return t


def path(x, g, l, u, nbd, t):
    """x(t) = P(x − t g, l, u) (2.2)."""
    y = x - t * g
    lo = np.where(np.isin(nbd, (1, 2)), l, -np.inf)
    hi = np.where(np.isin(nbd, (2, 3)), u, np.inf)
    return np.clip(y, lo, hi)


def cauchy_segments(x, g, l, u, nbd, B):
    """The segments of x(t) up to the generalized Cauchy point.

    Returns (segments, tstar, xcp): each segment a dict with its start ``t0``,
    end ``t1`` (inf for the last), ``fp`` = f′ and ``fpp`` = f″ of m_k(x(t)) at
    its start ((4.4)–(4.5)), ``dtstar`` = −f′/f″ and the variable fixed at
    its end; the search stops in the first segment where the model stops
    decreasing (Algorithm CP), or at the last breakpoint when every variable
    has one (cauchy's exit for nbreak = n, which examines no further segment)."""
    t = breakpoints(x, g, l, u, nbd)
    order = [i for i in np.argsort(t, kind="stable") if np.isfinite(t[i]) and t[i] > 0]
    ends = [(float(t[i]), int(i)) for i in order] + [(np.inf, None)]
    segs = []
    t0 = 0.0
    for t1, var in ends:
        if segs and len(order) == len(x) and var is None:
            tstar = t0                       # every variable is at a bound: the
            break                            # search ends at the last breakpoint
        d = np.where(t > t0, -g, 0.0)       # variables not yet at their bound move
        z = path(x, g, l, u, nbd, t0) - x
        fp = float(g @ d + d @ B @ z)
        fpp = float(d @ B @ d)
        dts = -fp / fpp if fpp > 0 else np.inf
        seg = dict(t0=t0, t1=t1, fp=fp, fpp=fpp, dtstar=dts, fixes=var)
        segs.append(seg)
        if fp >= 0:
            tstar = t0
            break
        if dts < t1 - t0:
            tstar = t0 + dts
            break
        t0 = t1
    else:                                    # pragma: no cover - the loop ends at inf
        tstar = t0
    return segs, tstar, path(x, g, l, u, nbd, tstar)


def reduced_newton(x, g, B, xcp, free):
    """(r̂ᶜ, d̂ᵘ, xcp + Z d̂ᵘ) of (5.4) and (5.7) on the free variables ``free``
    (0-based): r̂ᶜ = Z'(g + B(xcp − x)), d̂ᵘ = −(Z'BZ)⁻¹ r̂ᶜ."""
    free = np.asarray(free, int)
    rc = (g + B @ (xcp - x))[free]
    du = -np.linalg.solve(B.dense(free), rc)
    zn = np.array(xcp, float)
    zn[free] += du
    return rc, du, zn
