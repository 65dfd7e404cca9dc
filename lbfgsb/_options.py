"""x0, bounds and options: one conversion for every entry point.

``minimize``, ``fmin_l_bfgs_b`` (and SciPy's own functions under
``patch_scipy``), ``Solver``, ``BatchSolver``, ``minimize_batch`` and
``lbfgsb.dask.minimize_batch`` convert their arguments here, with one policy:
SciPy 1.17.1's (``scipy.optimize.minimize``'s L-BFGS-B path and
``_minimize_lbfgsb``), the same values accepted and the same exceptions
raised.  The conversions are vectorised: where SciPy builds lists of n pairs
(``new_bounds_to_old``, ``old_bound_to_new``) and loops over the variables
(the ``nbd`` table), this module makes a few NumPy passes, with the same
results; SciPy's helpers are called only for inputs NumPy cannot take as
they are (then they raise SciPy's exceptions).

The port's one refusal beyond SciPy: a lower bound of +inf or an upper bound
of -inf (SciPy raises a KeyError, ignores the bound, or reports x = +-inf as
a success), refused here with ``ValueError`` ("leaves no feasible point").
"""

import numbers
import operator

import numpy as np
from scipy.optimize import Bounds
from scipy.optimize._constraints import new_bounds_to_old, old_bound_to_new

from lbfgsb import _convert, _driver

__all__ = []

EPS = np.finfo(float).eps
NEVER = 2**62       # a maxiter / maxfun threshold never reached
DEPRECATED = ("scipy.optimize: The `disp` and `iprint` options of the L-BFGS-B "
              "solver are deprecated and will be removed in SciPy 1.18.0.")
# scipy.optimize.minimize's own arguments: keywords of lbfgsb.minimize, but
# unknown solver options when they come inside ``options={...}``
MINIMIZE_KEYWORDS = ("method", "hess", "hessp", "constraints", "tol")

_LB_GT_UB = "LBFGSB - one of the lower bounds is greater than an upper bound."
_UB_LT_LB = "An upper bound is less than the corresponding lower bound."
_NOT_BROADCAST = "The number of bounds is not compatible with the length of `x0`."
_NO_FEASIBLE = "a lower bound of +inf or an upper bound of -inf leaves no feasible point"
_F64 = np.dtype(np.float64)


# ---------------------------------------------------------------------------
# x0

def minimize_x0(x0):
    """x0 as ``scipy.optimize.minimize`` takes it: at least 1-d, one
    dimension only ("'x0' must only have one dimension."), integer (and
    bool) arrays as float; other dtypes kept (SciPy evaluates a float32 or
    longdouble x0 in its own type)."""
    if type(x0) is not np.ndarray or x0.ndim != 1:
        x0 = np.atleast_1d(np.asarray(x0))
    if x0.ndim != 1:
        raise ValueError("'x0' must only have one dimension.")
    if x0.dtype.kind in np.typecodes["AllInteger"]:
        x0 = np.asarray(x0, dtype=float)
    return x0


def evaluates_in_float64(x0):
    """True when SciPy would evaluate the objective at float64 points for
    this (converted) x0: every dtype but the real floating ones other than
    float64 (float16, float32, longdouble are kept by ``ScalarFunction``)."""
    return x0.dtype == _F64 or x0.dtype.kind != "f"


def float64_x0(x0, who):
    """minimize's x0 for an entry point that evaluates in float64 only
    (``Solver``, the batches): a 1-d vector; a float16/float32/longdouble
    x0, which ``minimize`` would evaluate in its own type, is refused."""
    x0 = minimize_x0(x0)
    if not evaluates_in_float64(x0):
        raise ValueError(
            f"{who} evaluates f and g at float64 points; x0 has dtype {x0.dtype}, "
            f"which minimize would evaluate in: pass x0.astype(np.float64) (or "
            "use lbfgsb.minimize)")
    return x0


# ---------------------------------------------------------------------------
# bounds

def pairs_to_arrays(bounds):
    """SciPy's ``old_bound_to_new``, vectorised: (lb, ub) float64 arrays
    from (min, max) pairs, None as -inf / +inf, NaN kept.

    Lists, tuples and plain arrays of pairs take one ``np.asarray``; any
    other object, or pairs NumPy cannot read as a (k, 2) table of numbers
    and None, go through SciPy's own ``old_bound_to_new`` (its results and
    exceptions)."""
    if type(bounds) in (list, tuple, np.ndarray) and len(bounds) > 0:
        try:
            a = np.asarray(bounds)
            if a.ndim == 2 and a.shape[1] == 2 and a.dtype.kind in "fiubO":
                if a.dtype.kind == "O":
                    none = np.equal(a, None).astype(bool)
                    a = a.astype(np.float64)
                    a[:, 0][none[:, 0]] = -np.inf
                    a[:, 1][none[:, 1]] = np.inf
                else:
                    a = a.astype(np.float64)
                return a[:, 0], a[:, 1]
        except (ValueError, TypeError, OverflowError):
            pass                # SciPy's helper says what is wrong
    lb, ub = old_bound_to_new(bounds)
    return np.asarray(lb, dtype=np.float64), np.asarray(ub, dtype=np.float64)


def new_bounds(bounds):
    """minimize's ``standardize_bounds(bounds, x0, 'new')``: the user's
    ``Bounds`` as it is, pairs as ``Bounds(lb, ub)``."""
    if isinstance(bounds, Bounds):
        return bounds
    return Bounds(*pairs_to_arrays(bounds))


def validated(lb, ub, shape, views=True):
    """minimize's ``_validate_bounds`` and the port's refusal: (lb, ub)
    broadcast to ``shape`` (read-only views; with ``views`` False, arrays
    of that shape already are kept as they are)."""
    if _plain(lb, shape) and _plain(ub, shape):
        # float64 vectors of the shape: the checks in one compiled pass, and
        # a read-only view for ``np.broadcast_to`` (nothing to broadcast)
        code = _convert.bounds_code(lb, ub)
        if code == 1:
            raise ValueError(_UB_LT_LB)
        if views:
            lb = lb.view()
            lb.flags.writeable = False
            ub = ub.view()
            ub.flags.writeable = False
        if code == 2:
            raise ValueError(_NO_FEASIBLE)
        return lb, ub
    if np.count_nonzero(ub < lb):
        raise ValueError(_UB_LT_LB)
    if views or lb.shape != shape or ub.shape != shape:
        try:
            lb = np.broadcast_to(lb, shape)
            ub = np.broadcast_to(ub, shape)
        except Exception as e:
            raise ValueError(_NOT_BROADCAST) from e
    refuse_infeasible(lb, ub)
    return lb, ub


def _plain(a, shape):
    """True for a float64 vector (an ndarray, not a subclass) of ``shape``."""
    return type(a) is np.ndarray and a.ndim == 1 and a.dtype == _F64 and a.shape == shape


def minimize_arrays(lb, ub):
    """For validated float64 vectors (``minimize_bounds``'s): (the number of
    variables fixed by lb == ub, ``solver_bounds(lb, ub)``, its
    ``lbfgsb_arrays``) in one compiled pass; None for other arrays."""
    if _plain(lb, lb.shape) and _plain(ub, lb.shape):
        return _convert.minimize_arrays(lb, ub)
    return None


def minimize_bounds(bounds, shape):
    """minimize's bounds, standardised (``standardize_bounds(.., 'new')``)
    and validated (``_validate_bounds``, which sets a user's ``Bounds``'
    ``lb`` and ``ub`` to the broadcast views, as here): (lb, ub)."""
    if isinstance(bounds, Bounds):
        bounds.lb, bounds.ub = validated(bounds.lb, bounds.ub, shape)
        return bounds.lb, bounds.ub
    # (pairs: SciPy's Bounds(lb, ub) of two equal-length vectors changes nothing)
    lb, ub = pairs_to_arrays(bounds)
    return validated(lb, ub, shape, views=False)


def refuse_infeasible(lb, ub):
    """The port's one refusal of bounds SciPy takes: a lower bound of +inf
    or an upper bound of -inf (SciPy then raises a KeyError, ignores the
    bound, or reports x = +-inf as a success)."""
    if np.count_nonzero(lb == np.inf) or np.count_nonzero(ub == -np.inf):
        raise ValueError(_NO_FEASIBLE)


def solver_bounds(lb, ub):
    """What ``_minimize_lbfgsb`` receives from ``minimize`` for validated
    ``Bounds`` arrays: ``new_bounds_to_old`` then ``old_bound_to_new``,
    vectorised: a (2, ...) float64 array, NaN and +-inf as no bound.  Any
    shape of lb, ub (one row per problem for the batches)."""
    lb, ub = np.asarray(lb), np.asarray(ub)
    if lb.dtype.kind in "fiub" and ub.dtype.kind in "fiub":
        # float(x) if x > -inf else None, then None -> -inf: only NaN changes
        lu = np.array([lb, ub], dtype=np.float64)
        nan = np.isnan(lu)
        if np.count_nonzero(nan):
            lu[0][nan[0]] = -np.inf
            lu[1][nan[1]] = np.inf
        return lu
    if lb.ndim != 1:            # per-problem rows of another dtype: row by row
        return np.array([solver_bounds(a, b) for a, b in zip(lb, ub)]).swapaxes(0, 1)
    return np.array(old_bound_to_new(new_bounds_to_old(lb, ub, lb.shape[0])),
                    dtype=np.float64)


class Converted:
    """Bounds already converted for ``_minimize_lbfgsb`` (by ``minimize``):
    ``lu`` is the (2, n) float64 array SciPy's ``_minimize_lbfgsb`` builds
    from its old-style pairs (``solver_bounds``)."""

    __slots__ = ("lu", "arrays")

    def __init__(self, lu, arrays=None):
        self.lu = lu
        self.arrays = arrays        # lbfgsb_arrays(lu) when already made


def lbfgsb_bounds(bounds, n):
    """The bounds ``_minimize_lbfgsb`` works with: None, or its (2, n)
    float64 array (SciPy's length check, ``old_bound_to_new`` and the
    l > u check, the port's refusal)."""
    if bounds is None:
        return None
    if isinstance(bounds, Converted):
        return bounds.lu
    if len(bounds) != n:
        raise ValueError('length of x0 != length of bounds')
    lu = np.array(pairs_to_arrays(bounds))
    if (lu[0] > lu[1]).any():
        raise ValueError(_LB_GT_UB)
    refuse_infeasible(lu[0], lu[1])
    return lu


_NBD = np.array([0, 1, 3, 2], dtype=np.int32)   # by (l finite) + 2 (u finite)


def lbfgsb_arrays(lu, n):
    """l, u, nbd as the Fortran wants them, from (lb, ub) (or None): a
    finite bound is copied, an infinite one leaves 0 and is not a bound
    (SciPy's ``bounds_map``; a NaN bound is finite there)."""
    if lu is None:
        return np.zeros(n), np.zeros(n), np.zeros(n, np.int32)
    if all(isinstance(a, np.ndarray) and a.dtype == _F64 and a.flags.c_contiguous
           for a in (lu[0], lu[1])):
        return _convert.lbfgsb_arrays(lu[0], lu[1])    # one compiled pass
    return numpy_lbfgsb_arrays(lu)


def numpy_lbfgsb_arrays(lu):
    """``lbfgsb_arrays`` in NumPy (bounds of other dtypes or layouts)."""
    il = np.isinf(lu[0])
    iu = np.isinf(lu[1])
    low = np.array(lu[0], dtype=np.float64)
    up = np.array(lu[1], dtype=np.float64)
    low[il] = 0.0
    up[iu] = 0.0
    # (l finite) + 2 (u finite) = 3 - (l infinite) - 2 (u infinite)
    code = 3 - il.view(np.int8) - 2 * iu.view(np.int8)
    return low, up, _NBD[code]


# ---------------------------------------------------------------------------
# options

def factr_of(ftol):
    """``factr = ftol / eps`` as SciPy computes it (its TypeError for a str
    or None)."""
    return ftol / EPS


def check_maxls(maxls):
    """SciPy's ``if not maxls > 0: raise ValueError('maxls must be positive.')``."""
    if not maxls > 0:
        raise ValueError('maxls must be positive.')


def c_int(value):
    """``value`` as the C ``int`` SciPy's ``setulb`` wrapper parses (the
    same TypeError / OverflowError)."""
    v = operator.index(value)
    if v > 2**31 - 1:
        raise OverflowError("signed integer is greater than maximum")
    if v < -2**31:
        raise OverflowError("signed integer is less than minimum")
    return v


def threshold(value, strict):
    """A C threshold equivalent to SciPy's test ``count >= value`` (``strict``
    False: maxiter) or ``count > value`` (True: maxfun) on a count >= 1, or
    None when ``value`` is not a plain real number (then the comparison is
    made in Python, as SciPy makes it)."""
    if type(value) is int:
        return max(0, min(value, NEVER))
    if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (numbers.Real, np.integer, np.floating)):
        return None
    v = float(value) if not isinstance(value, (int, np.integer)) else int(value)
    if v != v or v == np.inf:
        return NEVER
    if v == -np.inf:
        return 0
    # count >= v  <=>  count >= ceil(v);  count > v  <=>  count > floor(v)
    t = int(np.floor(v)) if strict else int(np.ceil(v))
    return max(0, min(t, NEVER))


def compiled_threshold(value, strict, name):
    """``threshold`` for an entry point whose loop compares in C only
    (``Solver``, the batches): a value SciPy would compare in Python is
    tried once as SciPy compares it (``1 >= maxiter``, ``1 > maxfun``: its
    TypeError at the first iteration is raised now); True/False count as
    1/0; anything else that compares is refused with ValueError."""
    t = threshold(value, strict)
    if t is not None:
        return t
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    _ = (1 > value) if strict else (1 >= value)    # SciPy's TypeError
    raise ValueError(f"{name} must be a real number for this entry point "
                     f"(it compares in compiled code), got {value!r}")


def positive_int(value, name):
    """An integer from 1 to a C int's largest (the port's own arguments:
    threads, window); ValueError otherwise."""
    try:
        v = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an integer, got {value!r}") from None
    if v != value:
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if v < 1:
        raise ValueError(f"{name} must be positive, got {value!r}")
    if v > 2**31 - 1:
        raise ValueError(f"{name} must be at most {2**31 - 1}, got {value!r}")
    return v


def workspace_length(m, n):
    """The length of ``wa`` as SciPy writes it (``2*m*n + 5*n + 11*m*m +
    8*m``: its TypeError for a float m)."""
    return 2*m*n + 5*n + 11*m*m + 8*m


def solver_options(n, maxcor=10, ftol=2.2204460492503131e-09, gtol=1e-5,
                   maxls=20, maxiter=15000, maxfun=15000):
    """The options of a run as ``_minimize_lbfgsb`` converts them, in its
    order, for the entry points that make no call of the objective before
    the run (``Solver``, the batches): returns m, factr, pgtol, maxls and
    the maxiter / maxfun thresholds as C values."""
    factr = factr_of(ftol)
    check_maxls(maxls)
    length = workspace_length(maxcor, n)
    if not isinstance(length, (int, np.integer)):
        np.zeros(length)                # SciPy's TypeError (allocates nothing)
    if length < 0:
        raise ValueError("negative dimensions are not allowed")
    m = c_int(maxcor)
    factr = _driver.as_double(factr)
    pgtol = _driver.as_double(gtol)
    maxls = c_int(maxls)
    return dict(m=m, factr=factr, pgtol=pgtol, maxls=maxls,
                maxiter=compiled_threshold(maxiter, False, "maxiter"),
                maxfun=compiled_threshold(maxfun, True, "maxfun"))


# ---------------------------------------------------------------------------
# the ask/tell entry points (Solver, BatchSolver, minimize_batch, Dask)

_GIVEN_NOT = object()     # an ask/tell option not given (None is a value)


def run_options(n, m=_GIVEN_NOT, maxcor=_GIVEN_NOT, factr=_GIVEN_NOT, ftol=_GIVEN_NOT,
                pgtol=_GIVEN_NOT, gtol=_GIVEN_NOT, maxls=20, maxiter=15000,
                maxfun=15000):
    """``solver_options`` with the ask/tell spellings: ``m`` for ``maxcor``,
    ``factr`` for ``ftol`` (``ftol = factr * eps`` as ``fmin_l_bfgs_b``
    computes it), ``pgtol`` for ``gtol``; a name and its alias together is a
    ValueError.  A value given (None included) is converted as SciPy
    converts it."""
    def pick(a, b, va, vb, default):
        if va is not _GIVEN_NOT and vb is not _GIVEN_NOT:
            raise ValueError(f"give {a} or {b}, not both")
        return va if va is not _GIVEN_NOT else (vb if vb is not _GIVEN_NOT else default)
    maxcor = pick("m", "maxcor", m, maxcor, 10)
    if factr is not _GIVEN_NOT:
        factr = factr * EPS
    ftol = pick("factr", "ftol", factr, ftol, 2.2204460492503131e-09)
    gtol = pick("pgtol", "gtol", pgtol, gtol, 1e-5)
    return solver_options(n, maxcor=maxcor, ftol=ftol, gtol=gtol, maxls=maxls,
                          maxiter=maxiter, maxfun=maxfun)


def run_bounds(bounds, n, B=None, who="Solver"):
    """minimize's bounds policy for an ask/tell entry point: (lo, hi)
    float64 arrays of shape (1, n) (shared) or (B, n) (per problem, the
    batches: a ``Bounds`` with 2-d arrays, or an array of shape (B, n, 2)),
    or None.  Bounds fixing every variable of a problem are refused
    (``minimize`` then returns f at the bounds without running L-BFGS-B)."""
    if bounds is None:
        return None
    if B is not None and isinstance(bounds, Bounds) and (
            np.ndim(bounds.lb) == 2 or np.ndim(bounds.ub) == 2):
        lb, ub, shape = bounds.lb, bounds.ub, (B, n)
    elif B is not None and isinstance(bounds, np.ndarray) and bounds.ndim == 3:
        if bounds.shape != (B, n, 2):
            raise ValueError(f"per-problem bounds must have shape ({B}, {n}, 2), "
                             f"got {bounds.shape}")
        lb, ub = pairs_to_arrays(bounds.reshape(B * n, 2))
        lb, ub, shape = lb.reshape(B, n), ub.reshape(B, n), (B, n)
    else:
        b = new_bounds(bounds)
        lb, ub, shape = b.lb, b.ub, (n,)
    lb, ub = validated(lb, ub, shape)
    if n > 0 and np.all(lb == ub, axis=-1).any():
        raise ValueError(
            f"all variables are fixed by the bounds: {who} has nothing to solve "
            "(lbfgsb.minimize returns f at the bounds without running L-BFGS-B)")
    lo, hi = solver_bounds(lb, ub)
    return lo.reshape(-1, n), hi.reshape(-1, n)
