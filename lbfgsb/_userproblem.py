"""A user's problem named ``MODULE:FUNCTION``: the ``--problem`` protocol of
``tools/compare.py``, shared with ``python3 -m lbfgsb.diagnose``.

``FUNCTION()`` (``FUNCTION(n)`` when n is given) returns ``(fg, x0, lower,
upper)``: ``fg(x) -> (f, g)``, the bounds as arrays with +-inf (or None)
where a variable has none, or None for all.
"""

import importlib
import importlib.util
import os
import sys

import numpy as np


class UserProblemError(ValueError):
    """A ``MODULE:FUNCTION`` that cannot be loaded or is malformed."""


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


def problem_from_spec(spec, n, options):
    """``MODULE:FUNCTION`` as the arguments of ``minimize`` (a dict: fun, x0,
    args, jac, bounds, options), ``fg`` returning f and g (``jac=True``)."""
    from scipy.optimize import Bounds
    p = load_user_problem(spec, n)
    return {"fun": p.fg, "x0": p.x0, "args": (), "jac": True,
            "bounds": Bounds(p.lower, p.upper), "options": dict(options), "name": p.name}
