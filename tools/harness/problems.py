"""Problems: the reference problems of ``reference/`` and the set-up of a run
(bounds in the Fortran's form, clipped x0, options).
"""
from __future__ import annotations

import numpy as np

from .impls import load_reference


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


class UserProblem:
    """A problem from outside ``reference/``: name, n, x0, lower, upper, fg."""

    classification = "user"
    fopt = None

    def __init__(self, name, fg, x0, lower, upper):
        self.name, self.fg = name, fg
        self.x0 = np.array(x0, dtype=np.float64).ravel()
        self.n = n = self.x0.size
        self.lower = _bound(lower, n, -np.inf, "lower", name)
        self.upper = _bound(upper, n, np.inf, "upper", name)


def _bound(b, n, none, what, name):
    if b is None:
        return np.full(n, none)
    a = np.array([none if v is None else v for v in np.ravel(np.asarray(b, dtype=object))]
                 if np.ndim(b) else [none if b is None else b] * n, dtype=np.float64)
    if a.size != n:
        raise UserProblemError("%s: %s bound has %d entries, x0 has %d" % (name, what, a.size, n))
    return a


def load_user_problem(spec, n=None):
    """The problem ``MODULE:FUNCTION``: MODULE a module on ``sys.path``
    (dotted) or a ``.py`` file; FUNCTION() (or FUNCTION(n) when ``n`` is
    given) returns ``(fg, x0, lower, upper)`` with ``fg(x) -> (f, g)`` and
    the bounds as arrays (+-inf or None for none, or None for all)."""
    import importlib
    import importlib.util
    import os
    import sys
    mod_name, sep, fn_name = spec.rpartition(":")
    if not sep or not mod_name or not fn_name:
        raise UserProblemError("--problem wants MODULE:FUNCTION (e.g. "
                               "tools/example_problem.py:problem), got %r" % spec)
    try:
        if mod_name.endswith(".py") or os.sep in mod_name:
            path = os.path.abspath(mod_name)
            if not os.path.isfile(path):
                raise UserProblemError("--problem: no file %s" % path)
            key = "_lbfgsb_user_problem_" + os.path.splitext(os.path.basename(path))[0]
            ispec = importlib.util.spec_from_file_location(key, path)
            mod = importlib.util.module_from_spec(ispec)
            sys.modules[key] = mod
            ispec.loader.exec_module(mod)
        else:
            mod = importlib.import_module(mod_name)
    except ImportError as exc:
        raise UserProblemError("--problem: cannot import %s: %s" % (mod_name, exc)) from None
    fn = getattr(mod, fn_name, None)
    if not callable(fn):
        raise UserProblemError("--problem: %s has no function %r" % (mod_name, fn_name))
    out = fn() if n is None else fn(n)
    if not (isinstance(out, tuple) and len(out) == 4 and callable(out[0])):
        raise UserProblemError("--problem: %s() must return (fg, x0, lower, upper) with "
                               "fg(x) -> (f, g)" % fn_name)
    base = os.path.splitext(os.path.basename(mod_name))[0]
    return UserProblem("%s.%s" % (base, fn_name), *out)


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
