"""Where SciPy's ``minimize`` is the caller: warning attribution and the
method check of ``lbfgsb.minimize`` (SciPy 1.17's texts).

``scipy.optimize.minimize(..., method=lbfgsb.minimize)`` adds one frame
between the user and the port: a warning the port raises with SciPy's
``stacklevel`` would name SciPy's ``_minimize.py``; :func:`stacklevel` adds
that frame back, so the warning names the user's file as SciPy's own
``minimize(method='L-BFGS-B')`` does.
"""

import sys

from scipy.optimize import _minimize as _sm

__all__ = ["stacklevel", "is_other", "check_method"]

# scipy.optimize.minimize's solver names
SCIPY_METHODS = frozenset((
    "nelder-mead", "powell", "cg", "bfgs", "newton-cg", "l-bfgs-b", "tnc", "cobyla",
    "cobyqa", "slsqp", "trust-constr", "dogleg", "trust-ncg", "trust-exact",
    "trust-krylov"))


def stacklevel(level):
    """``stacklevel`` for a warning ``level`` frames above the user as its
    caller counts them, one more when that frame is
    ``scipy.optimize.minimize`` running the port as a custom method."""
    frame = sys._getframe(level)
    if (frame is not None and frame.f_code.co_name == "minimize"
            and frame.f_globals.get("__name__") == "scipy.optimize._minimize"):
        return level + 1
    return level


def is_other(method, port):
    """True when ``method`` asks for something else than L-BFGS-B (``port``
    is ``lbfgsb.minimize`` itself); SciPy's AttributeError for a method that
    is neither a str nor callable."""
    other = not (method is None or method is port
                 or (isinstance(method, str) and method.lower() == "l-bfgs-b"))
    if other and not callable(method):
        method.lower()
    return other


def check_method(method, x0, bounds):
    """Raise for another method where SciPy's ``minimize`` does: after its
    bounds checks, SciPy's ``ValueError('Unknown solver ...')`` for a name
    it does not know; the port's ValueError for another of SciPy's solvers
    (docs/API.md, "Departures")."""
    if not callable(method):
        if bounds is not None:
            _sm._validate_bounds(_sm.standardize_bounds(bounds, x0, 'new'), x0,
                                 method.lower())
        if method.lower() not in SCIPY_METHODS:
            raise ValueError(f'Unknown solver {method}')
    raise ValueError(f"lbfgsb.minimize runs L-BFGS-B only, got method={method!r} "
                     "(scipy.optimize.minimize runs the others)")
