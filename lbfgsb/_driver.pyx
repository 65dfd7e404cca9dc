"""The evaluate / ``setulb`` loop behind ``fmin_l_bfgs_b`` and ``minimize``.

The loop is compiled: per evaluation the only Python work is the user's
function (and turning its result into a float and a float64 vector); each
``setulb`` call runs without the GIL.  Arguments are validated by the caller
(``lbfgsb._api``), which allocates the workspace once.
"""

import numpy as np

from libc.string cimport memcpy

from lbfgsb._status cimport FLAVOUR_SCIPY, settask, task_starts
from lbfgsb cimport _setulb

# ---------------------------------------------------------------------------
# the evaluate / setulb loop

cdef inline object _scalar(fx):
    """The user's f as a Python float, with SciPy's rule and message."""
    if isinstance(fx, float):
        return fx
    try:
        return float(np.asarray(fx).item())
    except (TypeError, ValueError):
        raise ValueError("The user-provided objective function must return a "
                         "scalar value.") from None


cdef inline void _copy_grad(gx, double[::1] g, int n) except *:
    cdef double[::1] gv
    ga = np.asarray(gx, dtype=np.float64)
    if ga.ndim > 1:
        ga = ga.reshape(-1) if ga.size == n else ga
    if ga.ndim == 0 or ga.shape != (n,):
        raise ValueError(f"the gradient must have shape ({n},), got {np.shape(gx)}")
    gv = np.ascontiguousarray(ga)
    memcpy(&g[0], &gv[0], n * sizeof(double))


def drive(int mode, fun, jac, tuple args, double[::1] x, double[::1] l,
          double[::1] u, int[::1] nbd, int m, double factr, double pgtol,
          long maxiter, long maxfun, int maxls, int iprint, callback,
          nfev_counter, int flavour, double[::1] wa, int[::1] iwa,
          int[::1] isave, double[::1] dsave, int[::1] lsave):
    """Run L-BFGS-B to termination; the loop of SciPy's ``_minimize_lbfgsb``.

    ``mode`` 0: ``fun(x, *args)`` returns ``(f, g)``; 1: ``fun`` returns f and
    ``jac(x, *args)`` returns g; 2: ``fun(x)`` returns ``(f, g)`` and
    ``nfev_counter()`` says how many function evaluations it made (finite
    differences through SciPy's ScalarFunction).  ``callback(x, f)`` (or None)
    returns True to stop.  Arrays are validated by the caller (``_api``).

    Returns ``(f, g, nfev, njev, nit, task)`` with ``task`` the Fortran's
    final task string; ``x`` and the workspace are updated in place.
    """
    cdef int n = x.shape[0]
    cdef char task[60]
    cdef char csave[60]
    cdef double f = 0.0
    cdef double[::1] g = np.zeros(n, dtype=np.float64)
    cdef long nfev = 0, njev = 0, nit = 0
    cdef double* px = &x[0]
    cdef double* pl = &l[0]
    cdef double* pu = &u[0]
    cdef int* pnbd = &nbd[0]
    cdef double* pg = &g[0]
    cdef double* pwa = &wa[0]
    cdef int* piwa = &iwa[0]
    cdef int* pisave = &isave[0]
    cdef double* pdsave = &dsave[0]
    cdef int* plsave = &lsave[0]
    xarr = np.asarray(x)

    settask(task, b'START')
    settask(csave, b' ')
    cdef double fc             # the f setulb sees (and may overwrite)
    while True:
        fc = f
        with nogil:
            _setulb.setulb(n, m, px, pl, pu, pnbd, &fc, pg, factr, pgtol, pwa,
                           piwa, task, iprint, csave, plsave, pisave, pdsave,
                           maxls, flavour)
        if flavour != FLAVOUR_SCIPY:
            # The Fortran restores f with x and g when a line search fails;
            # SciPy's wrapper takes f by value and loses that write, so its
            # result reports the last trial f (flavour "scipy" keeps that).
            f = fc
        if task[0] == b'F' and task[1] == b'G':
            # the minimization routine wants f and g at the current x
            xc = xarr.copy()
            if mode == 0:
                fg = fun(xc, *args)
                try:
                    fx, gx = fg
                except (TypeError, ValueError):
                    raise ValueError("with jac=True the objective must return "
                                     "a pair (f, g)") from None
                f = _scalar(fx)
                _copy_grad(gx, g, n)
                nfev += 1
                njev += 1
            elif mode == 1:
                f = _scalar(fun(xc, *args))
                nfev += 1
                _copy_grad(jac(xarr.copy(), *args), g, n)
                njev += 1
            else:
                fx, gx = fun(xc)
                f = _scalar(fx)
                _copy_grad(gx, g, n)
                njev += 1
                nfev = nfev_counter()
        elif task_starts(task, b'NEW_X'):
            nit += 1
            if callback is not None and callback(xarr.copy(), f):
                settask(task, b'STOP: CALLBACK REQUESTED HALT')
            if nit >= maxiter:
                settask(task, b'STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT')
            elif nfev > maxfun:
                settask(task, b'STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT')
        else:
            break
    return f, np.asarray(g), nfev, njev, nit, (<bytes>task[:60]).decode('ascii').rstrip()


