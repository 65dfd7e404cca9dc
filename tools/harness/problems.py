"""Problems: the reference problems of ``reference/`` and the set-up of a run
(bounds in the Fortran's form, clipped x0, options).
"""
from __future__ import annotations

import numpy as np

from .impls import load_port, load_reference


def get_problem(name, n=None):
    """A problem object from ``reference`` (name, n, x0, lower, upper, fg, fopt)."""
    reference = load_reference()
    return reference.get(name, n)


def problem_names(pattern=None, **filters):
    reference = load_reference()
    names = reference.names(**filters)
    if pattern:
        import fnmatch
        pats = [p.strip().upper() for p in pattern.split(",") if p.strip()]
        names = [nm for nm in names if any(fnmatch.fnmatchcase(nm, p) for p in pats)]
    return names


class UserProblemError(ValueError):
    """A ``--problem MODULE:FUNCTION`` that cannot be loaded or is malformed."""


def load_user_problem(spec, n=None):
    """The problem ``MODULE:FUNCTION`` (``lbfgsb``'s loader, shared with
    ``python3 -m lbfgsb.diagnose``): MODULE a module on ``sys.path``
    (dotted) or a ``.py`` file; FUNCTION() (or FUNCTION(n) when ``n`` is
    given) returns ``(fg, x0, lower, upper)`` with ``fg(x) -> (f, g)`` and
    the bounds as arrays (+-inf or None for none, or None for all)."""
    load_port()
    from lbfgsb import _userproblem
    try:
        return _userproblem.load_user_problem(spec, n)
    except _userproblem.UserProblemError as exc:
        raise UserProblemError(str(exc)) from None


class Setup:
    """Everything a run needs: bounds in the Fortran's form, x0, f/g, options."""

    def __init__(self, problem, m=10, factr=1e7, pgtol=1e-5, maxiter=15000,
                 maxfun=15000, maxls=20, clip=True):
        self.problem = problem
        self.name = getattr(problem, "name", "?")
        lower = np.asarray(problem.lower, dtype=np.float64)
        upper = np.asarray(problem.upper, dtype=np.float64)
        x0 = np.asarray(problem.x0, dtype=np.float64).ravel()
        self.n = x0.size
        if clip:
            x0 = np.clip(x0, lower, upper)
        self.x0 = x0
        self.lower, self.upper = lower, upper
        self.l, self.u, self.nbd = bounds_to_nbd(lower, upper)
        self.m, self.factr, self.pgtol = int(m), float(factr), float(pgtol)
        self.maxiter, self.maxfun, self.maxls = int(maxiter), int(maxfun), int(maxls)
        self.fopt = getattr(problem, "fopt", None)
        self.nevals = 0

    def fg(self, x):
        f, g = self.problem.fg(np.array(x, dtype=np.float64, copy=True))
        self.nevals += 1
        return float(f), np.asarray(g, dtype=np.float64).reshape(self.n)

    def options(self):
        return {"m": self.m, "factr": self.factr, "pgtol": self.pgtol,
                "maxiter": self.maxiter, "maxfun": self.maxfun, "maxls": self.maxls}


def bounds_to_nbd(lower, upper):
    """SciPy's conversion of (lower, upper) with +-inf into l, u, nbd."""
    lower = np.asarray(lower, dtype=np.float64)
    upper = np.asarray(upper, dtype=np.float64)
    fl, fu = ~np.isinf(lower), ~np.isinf(upper)
    l = np.where(fl, lower, 0.0).astype(np.float64)
    u = np.where(fu, upper, 0.0).astype(np.float64)
    nbd = np.zeros(lower.size, np.int32)
    nbd[fl & ~fu] = 1
    nbd[fl & fu] = 2
    nbd[~fl & fu] = 3
    return l, u, nbd


def projected_gradient_norm(x, g, l, u, nbd):
    """The Fortran's projgr: inf-norm of the projected gradient."""
    gi = np.array(g, dtype=np.float64, copy=True)
    neg = (gi < 0) & (nbd != 0)
    pos = (gi >= 0) & (nbd != 0)
    up = neg & (nbd >= 2)
    lo = pos & (nbd <= 2)
    gi[up] = np.maximum(x[up] - u[up], gi[up])
    gi[lo] = np.minimum(x[lo] - l[lo], gi[lo])
    return float(np.max(np.abs(gi))) if gi.size else 0.0
