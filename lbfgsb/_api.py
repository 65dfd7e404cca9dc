"""SciPy-compatible front ends: ``fmin_l_bfgs_b`` and ``minimize``.

Argument handling and results only; the numerics are in the compiled modules.
The behaviour follows SciPy's ``scipy.optimize._lbfgsb_py`` (SciPy >= 1.15):
same arguments and defaults, same bound conversion, the same counting of
iterations and evaluations, the same stopping rules and messages, the same
``OptimizeResult`` fields, so that results can be compared one to one.
"""

import warnings
from collections.abc import Mapping

import numpy as np
from scipy.optimize import Bounds, LbfgsInvHessProduct, OptimizeResult, OptimizeWarning

from lbfgsb import _driver, _rcomm
from lbfgsb._status import flavour_code, scipy_message
from lbfgsb._kernels import kernels_code

__all__ = ["fmin_l_bfgs_b", "minimize"]

_EPS = np.finfo(float).eps


def _old_bounds_to_arrays(bounds, n):
    """(lower, upper) float arrays from None, a ``Bounds`` or (min, max) pairs."""
    if bounds is None:
        return None
    if isinstance(bounds, Bounds):
        lb = np.broadcast_to(np.asarray(bounds.lb, dtype=float), (n,))
        ub = np.broadcast_to(np.asarray(bounds.ub, dtype=float), (n,))
        return np.array(lb, dtype=float), np.array(ub, dtype=float)
    try:
        nb = len(bounds)
    except TypeError:
        raise ValueError("bounds must be None, a scipy.optimize.Bounds or a "
                         "sequence of (min, max) pairs") from None
    if nb != n:
        raise ValueError('length of x0 != length of bounds')
    lb = np.empty(n)
    ub = np.empty(n)
    for i, b in enumerate(bounds):
        try:
            lo, hi = b
        except (TypeError, ValueError):
            raise ValueError(f"bounds[{i}] is not a (min, max) pair: {b!r}") from None
        lb[i] = -np.inf if lo is None else float(lo)
        ub[i] = np.inf if hi is None else float(hi)
    return lb, ub


def _check_bound_arrays(lb, ub):
    """Refuse NaN bounds, l > u, and infinite bounds on the wrong side."""
    if np.isnan(lb).any() or np.isnan(ub).any():
        raise ValueError("bounds must not be NaN")
    if (lb > ub).any():
        raise ValueError(
            "LBFGSB - one of the lower bounds is greater than an upper bound.")
    if (lb == np.inf).any() or (ub == -np.inf).any():
        raise ValueError("a lower bound of +inf or an upper bound of -inf "
                         "leaves no feasible point")


def _bounds_to_lbfgsb(bounds, n):
    """l, u, nbd as the Fortran wants them (SciPy's conversion)."""
    nbd = np.zeros(n, np.int32)
    low_bnd = np.zeros(n, np.float64)
    upper_bnd = np.zeros(n, np.float64)
    if bounds is not None:
        lb, ub = bounds
        finite_l = ~np.isinf(lb)
        finite_u = ~np.isinf(ub)
        low_bnd[finite_l] = lb[finite_l]
        upper_bnd[finite_u] = ub[finite_u]
        nbd[finite_l & ~finite_u] = 1
        nbd[finite_l & finite_u] = 2
        nbd[~finite_l & finite_u] = 3
    return low_bnd, upper_bnd, nbd


def _callback_halt(callback):
    """Wrap a user callback into ``f(x, fun) -> bool`` (True: stop).

    Accepts SciPy's two conventions: ``callback(intermediate_result)`` (the
    parameter must be named so) and ``callback(xk)``; raising
    ``StopIteration`` stops the run, as in SciPy.
    """
    if callback is None:
        return None
    import inspect
    try:
        sig = inspect.signature(callback)
        new_style = set(sig.parameters) == {"intermediate_result"}
    except (TypeError, ValueError):
        new_style = False

    def halt(x, f):
        try:
            if new_style:
                callback(intermediate_result=OptimizeResult(x=x, fun=f))
            else:
                callback(x)
        except StopIteration:
            return True
        return False
    return halt


def _check_positive_int(value, name):
    try:
        v = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an integer, got {value!r}") from None
    if v != value:
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if v < 1:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return v


def _minimize_lbfgsb(fun, x0, args=(), jac=None, bounds=None, maxcor=10,
                     ftol=2.2204460492503131e-09, gtol=1e-5, eps=1e-8,
                     maxfun=15000, maxiter=15000, iprint=-1, callback=None,
                     maxls=20, finite_diff_rel_step=None, flavour="fortran",
                     kernels="scipy", disp=None, workers=None, **unknown_options):
    if unknown_options:
        # SciPy's _check_unknown_options: the same text and warning class
        warnings.warn("Unknown solver options: " + ", ".join(str(k) for k in unknown_options),
                      OptimizeWarning, stacklevel=4)
    flavour_bits = flavour_code(flavour)
    kernels_code(kernels)
    m = _check_positive_int(maxcor, "maxcor (m)")
    maxls = _check_positive_int(maxls, "maxls")
    maxiter = _check_positive_int(maxiter, "maxiter")
    maxfun = _check_positive_int(maxfun, "maxfun")
    ftol = float(ftol)
    gtol = float(gtol)
    if not ftol >= 0:
        raise ValueError(f"ftol (factr) must be non-negative, got {ftol!r}")
    if not gtol >= 0:
        raise ValueError(f"gtol (pgtol) must be non-negative, got {gtol!r}")
    if iprint is None:
        iprint = -1
    iprint = int(iprint)
    if not isinstance(args, tuple):
        args = (args,)
    factr = ftol / _EPS
    pgtol = gtol

    x0 = np.asarray(x0)
    if x0.dtype.kind == 'c':
        raise ValueError("x0 must be real")
    x0 = x0.astype(np.float64).ravel()
    n, = x0.shape
    if n == 0:
        raise ValueError("x0 must have at least one element")
    if not np.all(np.isfinite(x0)):
        raise ValueError("x0 must be finite (it has NaN or inf entries)")

    bnds = _old_bounds_to_arrays(bounds, n)
    if bnds is not None:
        lb, ub = bnds
        _check_bound_arrays(lb, ub)
        # the initial point must lie within the bounds (SciPy does the same)
        x0 = np.clip(x0, lb, ub)

    l, u, nbd = _bounds_to_lbfgsb(bnds, n)

    # how f and g are obtained
    nfev_counter = None
    if callable(jac):
        mode = 1
    elif jac is True or (not callable(jac) and bool(jac) and jac not in
                         ('2-point', '3-point', 'cs')):
        mode = 0
    else:
        # finite differences: SciPy's own ScalarFunction, for the same steps
        # and the same evaluation count
        from scipy.optimize._optimize import _prepare_scalar_function
        fd_bounds = None if bnds is None else (bnds[0], bnds[1])
        kw = dict(jac=jac, args=args, epsilon=eps, bounds=fd_bounds,
                  finite_diff_rel_step=finite_diff_rel_step)
        if workers is not None:
            kw["workers"] = workers
        sf = _prepare_scalar_function(fun, x0, **kw)
        fun = sf.fun_and_grad
        nfev_counter = lambda: sf.nfev  # noqa: E731
        mode = 2
        args = ()

    lwa, liwa, lisave, ldsave, llsave = _rcomm.workspace_sizes(n, m)
    x = np.array(x0, dtype=np.float64)
    wa = np.zeros(lwa, np.float64)
    iwa = np.zeros(liwa, np.int32)
    isave = np.zeros(lisave, np.int32)
    dsave = np.zeros(ldsave, np.float64)
    lsave = np.zeros(llsave, np.int32)

    f, g, nfev, njev, nit, task = _driver.drive(
        mode, fun, jac, tuple(args), x, l, u, nbd, m, factr, pgtol,
        maxiter, maxfun, maxls, iprint, _callback_halt(callback),
        nfev_counter, flavour_bits, kernels, wa, iwa, isave, dsave, lsave)

    if task.startswith("CONV"):
        warnflag = 0
    elif nfev > maxfun or nit >= maxiter:
        warnflag = 1
    else:
        warnflag = 2

    # S and Y as SciPy reads them from wa (its first n_corrs rows)
    s = wa[0: m * n].reshape(m, n)
    y = wa[m * n: 2 * m * n].reshape(m, n)
    n_bfgs_updates = isave[30]          # isave(31): updates since the last restart
    n_corrs = min(n_bfgs_updates, m)
    hess_inv = LbfgsInvHessProduct(s[:n_corrs], y[:n_corrs])

    return OptimizeResult(fun=f, jac=g, nfev=nfev, njev=njev, nit=nit,
                          status=warnflag, message=scipy_message(task),
                          x=x, success=(warnflag == 0), hess_inv=hess_inv,
                          task=task)


def minimize(fun, x0, args=(), jac=None, bounds=None, callback=None, **options):
    """Minimize a function with bounds by L-BFGS-B (the port).

    The interface of ``scipy.optimize.minimize(method='L-BFGS-B')``; also
    usable as a custom method: ``scipy.optimize.minimize(fun, x0,
    method=lbfgsb.minimize, ...)``.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``, or ``-> (float, ndarray)`` with
        ``jac=True``.
    x0 : array_like, shape (n,)
        Initial guess (clipped to the bounds).
    args : tuple, optional
        Extra arguments of ``fun`` and ``jac``.
    jac : callable, bool, {'2-point', '3-point', 'cs'} or None, optional
        The gradient: a callable ``jac(x, *args)``, True when ``fun`` returns
        it, or a finite-difference scheme (None: '2-point' with ``eps``).
    bounds : scipy.optimize.Bounds or sequence of (min, max) pairs, optional
        None or +-inf for no bound.
    callback : callable, optional
        ``callback(intermediate_result)`` (an ``OptimizeResult`` with ``x``,
        ``fun``) or ``callback(xk)``, after each iteration; raise
        ``StopIteration`` to stop.
    **options
        maxcor : int (10), ftol : float (2.22e-9), gtol : float (1e-5),
        eps : float (1e-8), maxfun : int (15000), maxiter : int (15000),
        iprint : int (-1; the Fortran's trace levels 0, 1, 99, 100, 101),
        maxls : int (20), finite_diff_rel_step, flavour : 'fortran' (default),
        'scipy' or a set of deviation names (``lbfgsb.deviations()``).
        kernels : {'scipy', 'reference'} (the BLAS/LAPACK of the algorithm:
        SciPy's, or the port's own for the same bits on every machine).
        They may also be given as one dict, ``options={...}``, as to
        ``scipy.optimize.minimize``; an option given both ways is a TypeError.
        The other keywords of ``scipy.optimize.minimize`` are accepted, so
        that a call to it with ``method='L-BFGS-B'`` runs unchanged:
        ``method`` (None, 'L-BFGS-B' in any case, or this function; anything
        else is a ValueError), ``tol`` (sets ``ftol`` and ``gtol`` as in
        SciPy), ``hess`` and ``hessp`` (ignored with SciPy's RuntimeWarning
        when not None) and ``constraints`` (a ValueError when not empty).

    Returns
    -------
    res : scipy.optimize.OptimizeResult
        ``x, fun, jac, nit, nfev, njev, status, message, success, hess_inv``
        (an ``LbfgsInvHessProduct``), and ``task``, the Fortran's final task
        string.
    """
    # scipy.optimize.minimize's own keywords: a call written for it (with
    # method='L-BFGS-B' and options={...}) runs unchanged, and so does the
    # call it makes to a custom method (hess, hessp, constraints, **options).
    grouped = options.pop("options", None)
    if grouped is not None:
        if not isinstance(grouped, Mapping):
            raise TypeError(f"options must be a dict of solver options, got "
                            f"{type(grouped).__name__}")
        twice = sorted(set(grouped) & set(options))
        if twice:
            raise TypeError("solver option(s) given both as keywords and in options: "
                            + ", ".join(twice))
        options.update(grouped)
    method = options.pop("method", None)
    if not (method is None or method is minimize
            or (isinstance(method, str) and method.lower() == "l-bfgs-b")):
        raise ValueError(f"lbfgsb.minimize runs L-BFGS-B only, got method={method!r}")
    for name, what in (("hess", "Hessian information (hess)"),
                       ("hessp", "Hessian-vector product information (hessp)")):
        if options.pop(name, None) is not None:
            warnings.warn(f"Method L-BFGS-B does not use {what}.", RuntimeWarning,
                          stacklevel=2)
    constraints = options.pop("constraints", ())
    if constraints:
        raise ValueError("L-BFGS-B handles bounds only, not constraints")
    tol = options.pop("tol", None)
    if tol is not None:
        options.setdefault("ftol", tol)
        options.setdefault("gtol", tol)
    return _minimize_lbfgsb(fun, x0, args=args, jac=jac, bounds=bounds,
                            callback=callback, **options)


def fmin_l_bfgs_b(func, x0, fprime=None, args=(), approx_grad=0, bounds=None,
                  m=10, factr=1e7, pgtol=1e-5, epsilon=1e-8, iprint=-1,
                  maxfun=15000, maxiter=15000, disp=None, callback=None,
                  maxls=20, *, flavour="fortran", kernels="scipy"):
    """Minimize a function func using the L-BFGS-B algorithm (the port).

    The interface of ``scipy.optimize.fmin_l_bfgs_b``.

    Parameters
    ----------
    func : callable f(x, *args)
        Function to minimize; returns ``(f, g)`` when ``fprime`` is None and
        ``approx_grad`` is false.
    x0 : ndarray
        Initial guess.
    fprime : callable fprime(x, *args), optional
        The gradient of ``func``.
    args : sequence, optional
        Extra arguments of ``func`` and ``fprime``.
    approx_grad : bool, optional
        Approximate the gradient by forward differences (``func`` returns f).
    bounds : list, optional
        (min, max) pairs for each element of x; None or +-inf for no bound.
    m : int, optional
        Number of limited-memory corrections (10).
    factr : float, optional
        Stop when (f^k - f^{k+1})/max{|f^k|,|f^{k+1}|,1} <= factr * eps (1e7).
    pgtol : float, optional
        Stop when max{|proj g_i|} <= pgtol (1e-5).
    epsilon : float, optional
        Step of the finite differences with ``approx_grad``.
    iprint : int, optional
        The Fortran's trace level (-1: silent).  Unlike SciPy >= 1.15, where it
        is deprecated and has no effect, the port prints the trace.
    maxfun, maxiter : int, optional
        Limits on function evaluations and iterations (15000).
    disp : int, optional
        If given, overrides ``iprint`` (as in SciPy <= 1.14).
    callback : callable, optional
        ``callback(xk)`` after each iteration.
    maxls : int, optional
        Maximum number of line-search steps per iteration (20).
    flavour : str or set of str, keyword-only
        Whose arithmetic to follow where SciPy's C departs from the Fortran:
        'fortran' (default), 'scipy', or any set of deviation names
        (``lbfgsb.deviations()``).
    kernels : {'scipy', 'reference'}, keyword-only
        The BLAS/LAPACK of the algorithm: SciPy's OpenBLAS, or the port's own
        in reference order (the same bits on every machine).

    Returns
    -------
    x : ndarray
        Estimated position of the minimum.
    f : float
        Value of ``func`` at the minimum.
    d : dict
        ``warnflag`` (0 converged, 1 too many evaluations or iterations, 2
        other, see ``task``), ``grad``, ``funcalls``, ``nit``, ``task``.
    """
    if approx_grad:
        fun = func
        jac = None
    elif fprime is None:
        fun = func
        jac = True
    else:
        fun = func
        jac = fprime
    if disp is not None:
        iprint = -1 if disp == 0 else disp

    res = _minimize_lbfgsb(fun, x0, args=args, jac=jac, bounds=bounds,
                           maxcor=m, ftol=factr * _EPS, gtol=pgtol, eps=epsilon,
                           maxfun=maxfun, maxiter=maxiter, iprint=iprint,
                           callback=callback,
                           maxls=maxls, flavour=flavour, kernels=kernels)
    d = {'grad': res['jac'],
         'task': res['message'],
         'funcalls': res['nfev'],
         'nit': res['nit'],
         'warnflag': res['status']}
    return res['x'], res['fun'], d
