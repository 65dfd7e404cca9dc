"""SciPy-compatible front ends: ``fmin_l_bfgs_b`` and ``minimize``.

Argument handling and results only; the numerics are in the compiled modules.
SciPy's behaviour is the specification: ``fmin_l_bfgs_b``, ``minimize`` and
``_minimize_lbfgsb`` follow SciPy 1.17's ``scipy.optimize._lbfgsb_py`` and the
L-BFGS-B path of ``scipy.optimize._minimize.minimize`` step by step (same
argument conversions, in the same order, so the same values are accepted and
the same exceptions and warnings raised; the same fixed-variable handling, the
same counting, stopping rules, messages and ``OptimizeResult`` fields), and
use SciPy's own helpers where SciPy does (``ScalarFunction`` for finite
differences, ``MemoizeJac``, ``_wrap_callback``); x0, bounds and options are
converted by ``lbfgsb._options`` (SciPy's conversions, vectorised).  The
departures are listed in docs/API.md ("Departures from SciPy's interface").
"""

import warnings

import numpy as np
from scipy._lib._util import _call_callback_maybe_halt, wrapped_inspect_signature
from scipy.optimize import Bounds, LbfgsInvHessProduct, OptimizeResult
from scipy.optimize import _minimize as _sm
from scipy.optimize._differentiable_functions import FD_METHODS
from scipy.optimize._optimize import (MemoizeJac, OptimizeWarning,
                                      _prepare_scalar_function, _wrap_callback)

try:                                    # SciPy's "argument not given" marker
    from scipy._lib.deprecation import _NoValue
except ImportError:                     # pragma: no cover
    _NoValue = object()

from lbfgsb import _driver, _rcomm
from lbfgsb._callsite import check_method, is_other, stacklevel as _stacklevel
from lbfgsb import _options as opt
from lbfgsb.port.kernels import kernels_code
from lbfgsb.port.deviations import flavour_code
from lbfgsb.port import state
from lbfgsb.port.state import scipy_message

__all__ = ["fmin_l_bfgs_b", "minimize"]

try:        # the ufunc np.clip(x0, lb, ub) ends in for an ndarray x0 and array bounds
    from numpy._core.umath import clip as _clip
except ImportError:                     # pragma: no cover - NumPy 1.x
    _clip = np.clip
try:        # what np.einsum(subscripts, a, b) calls when it does not optimize
    from numpy._core.multiarray import c_einsum as _einsum
except ImportError:                     # pragma: no cover - NumPy 1.x
    _einsum = np.einsum

_NO_CONSTRAINTS = ()        # minimize's default (standardised to [] at once)


def _minimize_lbfgsb(fun, x0, args=(), jac=None, bounds=None,
                     disp=_NoValue, maxcor=10, ftol=2.2204460492503131e-09,
                     gtol=1e-5, eps=1e-8, maxfun=15000, maxiter=15000,
                     iprint=_NoValue, callback=None, maxls=20,
                     finite_diff_rel_step=None, workers=None,
                     flavour="fortran", kernels="scipy", trace=-1, **unknown_options):
    """SciPy's ``_minimize_lbfgsb``, step by step, on the port's compiled loop.

    Same signature as SciPy's (plus ``flavour``, ``kernels`` and ``trace``), so that
    ``scipy.optimize.minimize`` can dispatch to it: ``callback`` is expected
    wrapped by ``_wrap_callback`` as ``minimize`` and ``fmin_l_bfgs_b`` do.
    """
    if unknown_options:
        # SciPy's _check_unknown_options, its warning naming the user's file
        # also under method=lbfgsb.minimize
        msg = ", ".join(map(str, unknown_options.keys()))
        warnings.warn(f"Unknown solver options: {msg}", OptimizeWarning,
                      stacklevel=_stacklevel(3))
    flavour_bits = flavour_code(flavour)
    kernels_code(kernels)
    m = maxcor
    pgtol = gtol
    factr = opt.factr_of(ftol)

    x0 = np.asarray(x0).ravel()
    n, = x0.shape
    for given in (disp, iprint):
        if given is not _NoValue:
            warnings.warn(opt.DEPRECATED, DeprecationWarning, stacklevel=_stacklevel(3))

    # SciPy's (2, n) array of new-style bounds (None: no bounds), checked
    # (with l, u, nbd when minimize made them already)
    arrays = bounds.arrays if isinstance(bounds, opt.Converted) else None
    bounds = opt.lbfgsb_bounds(bounds, n)
    if bounds is not None:
        # the initial point must lie within the bounds (ScalarFunction and
        # the finite differences need it)
        x0 = _clip(x0, bounds[0], bounds[1])

    # How f and g are obtained.  The compiled loop calls the user's functions
    # itself when SciPy's ScalarFunction would hand them float64 points and
    # call them as they are; otherwise (finite differences, an x0 of another
    # floating type, n = 0) the ScalarFunction is SciPy's own.
    if n > 0 and callable(jac) and (x0.dtype == np.float64 or x0.dtype.kind in "biu"):
        if args is None:
            # SciPy's ScalarFunction calls fun and jac without extra
            # arguments, then fails on its (unused) Hessian's hess(x0, *None)
            obj = (_driver.Objective(0, fun.fun, None, (), n)
                   if isinstance(fun, MemoizeJac) and jac == fun.derivative
                   else _driver.Objective(1, fun, jac, (), n))
            obj.initial(np.array(x0, dtype=np.float64))
            raise TypeError("Value after * must be an iterable, not NoneType")
        if not isinstance(args, tuple):
            try:
                args = tuple(args)
            except TypeError:       # what fun(x, *args) raises
                raise TypeError("Value after * must be an iterable, not "
                                f"{type(args).__name__}") from None
        if isinstance(fun, MemoizeJac) and jac == fun.derivative:
            obj = _driver.Objective(0, fun.fun, None, args, n)
        else:
            obj = _driver.Objective(1, fun, jac, args, n)
        x = np.array(x0, dtype=np.float64)
        obj.initial(x)          # ScalarFunction evaluates f and g at x0
    else:
        sf = _prepare_scalar_function(fun, x0, jac=jac, args=args, epsilon=eps,
                                      bounds=bounds,
                                      finite_diff_rel_step=finite_diff_rel_step,
                                      workers=workers)
        obj = _driver.Objective(2, sf.fun_and_grad, sf, (), n)
        x = None

    low_bnd, upper_bnd, nbd = arrays or opt.lbfgsb_arrays(bounds, n)
    opt.check_maxls(maxls)

    if x is None:
        x = np.array(x0, dtype=np.float64)
    # SciPy's allocations (the port's layout is the same); a workspace a
    # 32-bit Fortran integer cannot index is refused
    if isinstance(m, (int, np.integer)) and m > 0:
        _rcomm.workspace_sizes(n, m)
    wa = np.zeros(opt.workspace_length(m, n), np.float64)
    iwa = np.zeros(state.IWA_PER_N*n, dtype=np.int32)
    isave = np.zeros(state.ISAVE_LEN, dtype=np.int32)
    dsave = np.zeros(state.DSAVE_LEN, dtype=np.float64)
    lsave = np.zeros(state.LSAVE_LEN, dtype=np.int32)

    # the conversions of SciPy's setulb wrapper, in its argument order
    m_c = opt.c_int(m)
    factr_c = _driver.as_double(factr)
    pgtol_c = _driver.as_double(pgtol)
    maxls_c = opt.c_int(maxls)

    tmaxiter = opt.threshold(maxiter, strict=False)
    tmaxfun = opt.threshold(maxfun, strict=True)
    limits = None
    if tmaxiter is None or tmaxfun is None:
        def limits(nit, nfev):
            if nit >= maxiter:
                return 1
            elif nfev > maxfun:
                return 2
            return 0

    halt = None
    if callback is not None:
        def halt(x, f):
            return _call_callback_maybe_halt(callback, OptimizeResult(x=x, fun=f))

    f, g, nfev, njev, nit, task = _driver.drive(
        obj, x, low_bnd, upper_bnd, nbd, m_c, factr_c, pgtol_c,
        tmaxiter or 0, tmaxfun or 0, limits, maxls_c, opt.c_int(trace), halt,
        flavour_bits, kernels, wa, iwa, isave, dsave, lsave)

    if task.startswith("CONV"):
        warnflag = 0
    elif nfev > maxfun or nit >= maxiter:
        warnflag = 1
    else:
        warnflag = 2

    # S and Y as SciPy reads them from wa (its first n_corrs rows)
    s, y = state.corrections(wa, n, m)
    n_bfgs_updates = isave[state.ISAVE_IUPDAT]      # updates since the last restart
    n_corrs = min(n_bfgs_updates, maxcor)
    hess_inv = inv_hess_product(s[:n_corrs], y[:n_corrs])

    return OptimizeResult(fun=f, jac=g, nfev=nfev, njev=njev, nit=nit,
                          status=warnflag, message=scipy_message(task),
                          x=x, success=(warnflag == 0), hess_inv=hess_inv,
                          task=task)


_F64 = np.dtype(np.float64)


def inv_hess_product(sk, yk):
    """``LbfgsInvHessProduct(sk, yk)`` without ``LinearOperator``'s generic
    checks: the same object, the same attributes in the same order, the
    same exception for unequal shapes, the same ``rho`` (and its warnings)."""
    if sk.shape != yk.shape or sk.ndim != 2:
        raise ValueError('sk and yk must have matching shape, (n_corrs, n)')
    n_corrs, n = sk.shape
    h = LbfgsInvHessProduct.__new__(LbfgsInvHessProduct)
    h.dtype = _F64
    h.shape = (n, n)
    h.sk = sk
    h.yk = yk
    h.n_corrs = n_corrs
    h.rho = 1 / _einsum('ij,ij->i', sk, yk)
    return h


def _split(options):
    """``minimize``'s keywords: (SciPy's own arguments given as keywords --
    method, hess, hessp, constraints, tol --, ``options={...}`` as given,
    the solver options given as keywords).  Inside ``options={...}`` the
    names of SciPy's own arguments are unknown solver options (warned and
    ignored, as by SciPy)."""
    grouped = options.pop("options", None)
    top = {k: options.pop(k) for k in opt.MINIMIZE_KEYWORDS if k in options}
    return top, grouped, options


def _merge(keywords, grouped):
    """The solver options: the keywords and ``options={...}`` together (SciPy
    reads ``options.get`` first: its AttributeError for a non-mapping); an
    option given both ways is a TypeError."""
    if grouped is None:
        return keywords
    grouped.get('return_all', False)
    twice = sorted(set(grouped) & set(keywords), key=str)
    if twice:
        raise TypeError("solver option(s) given both as keywords and in options: "
                        + ", ".join(map(str, twice)))
    return {**keywords, **grouped}


def _options(options):
    """``minimize``'s keywords with ``options={...}`` merged in, for callers
    that pass everything as keywords (``lbfgsb.diagnose``): the names of
    SciPy's own arguments found inside ``options={...}`` stay in an
    ``options`` dict, so that ``minimize`` still treats them as unknown
    solver options."""
    top, grouped, keywords = _split(options)
    merged = _merge(keywords, grouped)
    foreign = {k: merged.pop(k) for k in opt.MINIMIZE_KEYWORDS if k in merged}
    merged.update(top)
    if foreign:
        merged["options"] = foreign
    return merged


def minimize(fun, x0, args=(), jac=None, bounds=None, callback=None, **options):
    """Minimize a function with bounds by L-BFGS-B (the port).

    ``scipy.optimize.minimize(method='L-BFGS-B')``, call for call: the same
    arguments are accepted, with the same results, statuses, messages,
    warnings and exceptions (the exceptions to this are listed in docs/API.md,
    "Departures from SciPy's interface").  Also usable as a custom method:
    ``scipy.optimize.minimize(fun, x0, method=lbfgsb.minimize, ...)``.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``, or ``-> (float, ndarray)`` with
        ``jac=True``.
    x0 : array_like, shape (n,)
        Initial guess (clipped to the bounds).
    args : tuple, optional
        Extra arguments of ``fun`` and ``jac`` (anything else is one argument).
    jac : callable, bool, {'2-point', '3-point', 'cs'} or None, optional
        The gradient: a callable ``jac(x, *args)``, True when ``fun`` returns
        it, or a finite-difference scheme (None, False or anything else:
        '2-point' with the absolute step ``eps``).
    bounds : scipy.optimize.Bounds or sequence of (min, max) pairs, optional
        None or +-inf for no bound; one pair applies to every variable.
        Variables with equal bounds are fixed: with finite differences they
        are removed from the problem (their ``jac`` entries are NaN and
        ``hess_inv`` is None); when all are fixed the result is f at the
        bounds, "All independent variables were fixed by bounds.".
    callback : callable, optional
        ``callback(intermediate_result)`` (an ``OptimizeResult`` with ``x``,
        ``fun``) or ``callback(xk)``, after each iteration; raising
        ``StopIteration`` stops the run with status 99.
    **options
        maxcor : int (10), ftol : float (2.22e-9), gtol : float (1e-5),
        eps : float or array (1e-8), maxfun : int (15000), maxiter : int
        (15000), maxls : int (20), finite_diff_rel_step, workers, disp and
        iprint (deprecated in SciPy: a DeprecationWarning, no effect), and the
        port's own: flavour : 'fortran', 'scipy' or a set of deviation names
        (``lbfgsb.deviations()``), kernels : {'scipy',
        'reference'} (the BLAS/LAPACK of the algorithm: SciPy's, or the port's
        own for the same bits on every machine), trace : int (-1; the
        Fortran's ``iprint`` trace levels 0, 1, 99, 100, 101 on stdout).
        They may also be given as one dict, ``options={...}``, as to
        ``scipy.optimize.minimize``; an option given both ways is a TypeError.
        ``scipy.optimize.minimize``'s other keywords are accepted: ``method``
        (None, 'L-BFGS-B' in any case, or this function; anything else is a
        ValueError), ``tol`` (sets ``ftol`` and ``gtol``), ``hess``, ``hessp``
        and ``constraints`` (ignored with SciPy's RuntimeWarning).

    Returns
    -------
    res : scipy.optimize.OptimizeResult
        ``x, fun, jac, nit, nfev, njev, status, message, success, hess_inv``
        (an ``LbfgsInvHessProduct``) and ``task``, the Fortran's final task
        string; ``fun`` is the objective's own value (its type kept).
    """
    top, grouped, options = _split(options)
    method = top.get("method")
    # another method: SciPy's checks and warnings for it, then SciPy's
    # ValueError for a name it does not know (the port's for one it does)
    other = is_other(method, minimize)
    method = method if isinstance(method, str) or other else "L-BFGS-B"
    meth = "l-bfgs-b"
    hess = top.get("hess")
    hessp = top.get("hessp")
    constraints = top.get("constraints", _NO_CONSTRAINTS)
    tol = top.get("tol")

    # scipy.optimize.minimize, its L-BFGS-B path
    x0 = opt.minimize_x0(x0)
    if not isinstance(args, tuple):
        args = (args,)
    if hess is not None:
        warnings.warn(f'Method {method} does not use Hessian information (hess).',
                      RuntimeWarning, stacklevel=_stacklevel(2))
    if hessp is not None:
        warnings.warn(f'Method {method} does not use Hessian-vector product'
                      ' information (hessp).', RuntimeWarning, stacklevel=_stacklevel(2))
    if constraints is not _NO_CONSTRAINTS and np.any(constraints):
        warnings.warn(f'Method {method} cannot handle constraints.',
                      RuntimeWarning, stacklevel=_stacklevel(2))
    if other and bounds is not None:
        warnings.warn(f'Method {method} cannot handle bounds.',
                      RuntimeWarning, stacklevel=_stacklevel(2))
    options = _merge(options, grouped)
    if not other and options.get('return_all', False):
        warnings.warn(f'Method {method} does not support the return_all option.',
                      RuntimeWarning, stacklevel=_stacklevel(2))

    if callable(jac):
        pass
    elif jac is True:
        fun = MemoizeJac(fun)               # fun returns f and g
        jac = fun.derivative
    elif jac in FD_METHODS:
        pass
    else:
        jac = None                          # forward differences, absolute step

    if tol is not None:
        options.setdefault('ftol', tol)
        options.setdefault('gtol', tol)

    constraints = ([] if constraints is _NO_CONSTRAINTS else
                   _sm.standardize_constraints(constraints, x0, meth))

    remove_vars = False
    if other:
        check_method(method, x0, bounds)
    if bounds is not None:
        # standardize_bounds(.., 'new') and _validate_bounds, vectorised
        lb, ub = opt.minimize_bounds(bounds, x0.shape)
        # float64 vectors: the count of fixed variables, what
        # _minimize_lbfgsb receives and its l, u, nbd in one compiled pass
        pre = opt.minimize_arrays(lb, ub)
        # finite differences cannot step a variable fixed by its bounds:
        # SciPy removes fixed variables from the problem
        if pre is None or pre[0]:
            i_fixed = (lb == ub)
            fixed = np.count_nonzero(i_fixed)
        else:
            fixed = 0
        if fixed == lb.size:
            if not isinstance(bounds, Bounds):
                bounds = Bounds(lb, ub)
                bounds.lb, bounds.ub = np.array(lb), np.array(ub)
            return _sm._optimize_result_for_equal_bounds(
                fun, bounds, meth, args=args, constraints=constraints)
        fd_needed = not callable(jac)
        for con in constraints:
            if not callable(con.get('jac', None)):
                fd_needed = True
        remove_vars = fixed > 0 and fd_needed
        if remove_vars:
            x_fixed = lb[i_fixed]
            x0 = x0[~i_fixed]
            lb, ub = lb[~i_fixed], ub[~i_fixed]     # _remove_from_bounds
            fun = _sm._Remove_From_Func(fun, i_fixed, x_fixed)
            if callable(callback):
                sig = wrapped_inspect_signature(callback)
                if set(sig.parameters) == {'intermediate_result'}:
                    callback = _sm._Patch_Callback_Equal_Variables(
                        callback, i_fixed, x_fixed)
                else:
                    callback = _sm._Remove_From_Func(callback, i_fixed, x_fixed)
            if callable(jac):
                jac = _sm._Remove_From_Func(jac, i_fixed, x_fixed, remove=1)
        # what SciPy's old-style pairs become in _minimize_lbfgsb, at once
        bounds = (opt.Converted(pre[1], pre[2]) if pre is not None and not remove_vars
                  else opt.Converted(opt.solver_bounds(lb, ub)))

    callback = _wrap_callback(callback, meth)
    res = _minimize_lbfgsb(fun, x0, args, jac, bounds, callback=callback, **options)

    if remove_vars:
        res.x = _sm._add_to_array(res.x, i_fixed, x_fixed)
        res.jac = _sm._add_to_array(res.jac, i_fixed, np.nan)
        if "hess_inv" in res:
            res.hess_inv = None             # unknown
    if getattr(callback, 'stop_iteration', False):
        res.success = False
        res.status = 99
        res.message = "`callback` raised `StopIteration`."
    return res


def fmin_l_bfgs_b(func, x0, fprime=None, args=(), approx_grad=0, bounds=None,
                  m=10, factr=1e7, pgtol=1e-5, epsilon=1e-8, iprint=_NoValue,
                  maxfun=15000, maxiter=15000, disp=_NoValue, callback=None,
                  maxls=20, *, flavour="fortran", kernels="scipy", trace=-1):
    """Minimize a function func using the L-BFGS-B algorithm (the port).

    ``scipy.optimize.fmin_l_bfgs_b``, call for call (see ``minimize``).
    Unlike ``minimize`` (as in SciPy), fixed variables are not removed and a
    single (min, max) pair is not broadcast.

    Parameters
    ----------
    func : callable f(x, *args)
        Function to minimize; returns ``(f, g)`` when ``fprime`` is None and
        ``approx_grad`` is false.
    x0 : ndarray
        Initial guess (flattened).
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
    iprint, disp : int, optional
        Deprecated in SciPy: a DeprecationWarning, no effect (the trace is
        ``trace``).
    maxfun, maxiter : int, optional
        Limits on function evaluations and iterations (15000).
    callback : callable, optional
        ``callback(xk)`` (or ``callback(intermediate_result)``) after each
        iteration; ``StopIteration`` stops the run (warnflag 2).
    maxls : int, optional
        Maximum number of line-search steps per iteration (20).
    flavour : str or set of str, keyword-only
        Whose arithmetic to follow where SciPy's C departs from the Fortran:
        'fortran' (default), 'scipy', or any set of deviation names
        (``lbfgsb.deviations()``).
    kernels : {'scipy', 'reference'}, keyword-only
        The BLAS/LAPACK of the algorithm: SciPy's, or the port's own
        (netlib's order, the same bits on every machine).
    trace : int, keyword-only
        The Fortran's ``iprint`` trace level on stdout (-1: none).

    Returns
    -------
    x : ndarray
        Estimated position of the minimum.
    f : float
        Value of ``func`` at the minimum (the type ``func`` returns).
    d : dict
        ``warnflag`` (0 converged, 1 too many evaluations or iterations, 2
        other, see ``task``), ``grad``, ``funcalls``, ``nit``, ``task``.
    """
    if approx_grad:
        fun = func
        jac = None
    elif fprime is None:
        fun = MemoizeJac(func)
        jac = fun.derivative
    else:
        fun = func
        jac = fprime

    callback = _wrap_callback(callback)
    res = _minimize_lbfgsb(fun, x0, args=args, jac=jac, bounds=bounds,
                           disp=disp, iprint=iprint, maxcor=m,
                           ftol=factr * np.finfo(float).eps, gtol=pgtol,
                           eps=epsilon, maxfun=maxfun, maxiter=maxiter,
                           callback=callback, maxls=maxls, flavour=flavour,
                           kernels=kernels, trace=trace)
    d = {'grad': res['jac'],
         'task': res['message'],
         'funcalls': res['nfev'],
         'nit': res['nit'],
         'warnflag': res['status']}
    return res['x'], res['fun'], d
