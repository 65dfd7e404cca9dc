"""The evaluate / ``setulb`` loop behind ``fmin_l_bfgs_b`` and ``minimize``.

The loop is compiled: per evaluation the only Python work is the user's
function (and turning its result into a float and a float64 vector); each
``setulb`` call runs without the GIL.  Arguments are validated by the caller
(``lbfgsb._api``), which allocates the workspace once.
"""

import numpy as np

from cpython.buffer cimport (PyBUF_C_CONTIGUOUS, PyBUF_FORMAT, PyBuffer_Release,
                              PyObject_CheckBuffer, PyObject_GetBuffer)
from cpython.exc cimport PyErr_Clear
from libc.string cimport memcpy

from lbfgsb._status cimport settask
from lbfgsb._kernels cimport kernels_for
from lbfgsb._solver cimport (Run, RUN_FG, RUN_NEW_X, run_new_x, run_record,
                             run_reuse, run_step)


cdef inline object _scalar(fx):
    """The user's f as a Python float, with SciPy's rule and message."""
    if isinstance(fx, float):
        return fx
    try:
        return float(np.asarray(fx).item())
    except (TypeError, ValueError):
        raise ValueError("The user-provided objective function must return a "
                         "scalar value.") from None


cdef inline bint _is_float64(const char* fmt) noexcept:
    """True for the buffer formats of a native float64 ('d', '=d', '<d', '@d')."""
    if fmt == NULL:
        return True                 # no format: unsigned bytes; caught by itemsize
    if fmt[0] == b'=' or fmt[0] == b'<' or fmt[0] == b'@':
        fmt += 1
    return fmt[0] == b'd' and fmt[1] == 0


cdef inline int _copy_grad(gx, double* g, int n) except -1:
    """Copy the user's gradient into g (n doubles).

    Fast path (no numpy call): an object exporting a C-contiguous float64
    buffer of n elements (a 1-D float64 ndarray, or any shape of size n as
    SciPy's ``ravel``), copied with one memcpy.  Anything else goes through
    ``np.asarray(gx, float64)`` as before (same values, same error)."""
    cdef Py_buffer view
    cdef bint done = False
    if PyObject_CheckBuffer(gx):
        if PyObject_GetBuffer(gx, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) == 0:
            if (view.itemsize == 8 and _is_float64(view.format) and view.ndim >= 1
                    and view.len == <Py_ssize_t>n * 8
                    and (view.ndim == 1 or n > 0)):
                memcpy(g, view.buf, n * sizeof(double))
                done = True
            PyBuffer_Release(&view)
        else:
            PyErr_Clear()
    if not done:
        _copy_grad_slow(gx, g, n)
    return 0


cdef int _copy_grad_slow(gx, double* g, int n) except -1:
    cdef double[::1] gv
    ga = np.asarray(gx, dtype=np.float64)
    if ga.ndim > 1:
        ga = ga.reshape(-1) if ga.size == n else ga
    if ga.ndim == 0 or ga.shape != (n,):
        raise ValueError(f"the gradient must have shape ({n},), got {np.shape(gx)}")
    gv = np.ascontiguousarray(ga)
    memcpy(g, &gv[0], n * sizeof(double))
    return 0


def drive(int mode, fun, jac, tuple args, double[::1] x, double[::1] l,
          double[::1] u, int[::1] nbd, int m, double factr, double pgtol,
          long maxiter, long maxfun, int maxls, int iprint, callback,
          nfev_counter, int flavour, kernels, double[::1] wa, int[::1] iwa,
          int[::1] isave, double[::1] dsave, int[::1] lsave):
    """Run L-BFGS-B to termination; the loop of SciPy's ``_minimize_lbfgsb``.

    ``mode`` 0: ``fun(x, *args)`` returns ``(f, g)``; 1: ``fun`` returns f and
    ``jac(x, *args)`` returns g; 2: ``fun(x)`` returns ``(f, g)`` and
    ``nfev_counter()`` says how many function evaluations it made (finite
    differences through SciPy's ScalarFunction).  ``callback(x, f)`` (or None)
    returns True to stop.  Arrays are validated by the caller (``_api``).

    The ``setulb`` call and the handling of NEW_X (iteration count, callback
    halt, maxiter / maxfun stops) are ``lbfgsb._solver``'s ``run_step`` and
    ``run_new_x``, shared with ``Solver`` and ``BatchSolver``.

    Returns ``(f, g, nfev, njev, nit, task)`` with ``task`` the Fortran's
    final task string; ``x`` and the workspace are updated in place.
    """
    cdef int n = x.shape[0]
    cdef double[::1] g = np.zeros(n, dtype=np.float64)
    cdef double* pg = &g[0]
    cdef long njev = 0
    cdef Run r
    cdef double[::1] xe = np.empty(n, dtype=np.float64)   # last evaluated x
    cdef double[::1] ge = np.empty(n, dtype=np.float64)   # and its g
    cdef int code
    cdef bint halt
    r.n = n
    r.m = m
    r.x = &x[0]
    r.l = &l[0]
    r.u = &u[0]
    r.nbd = &nbd[0]
    r.f = 0.0
    r.g = pg
    r.factr = factr
    r.pgtol = pgtol
    r.wa = &wa[0]
    r.iwa = &iwa[0]
    r.iprint = iprint
    r.lsave = &lsave[0]
    r.isave = &isave[0]
    r.dsave = &dsave[0]
    r.maxls = maxls
    r.flavour = flavour
    r.kn = kernels_for(kernels)
    r.nit = 0
    r.nfev = 0
    r.maxiter = maxiter
    r.maxfun = maxfun
    r.xk = NULL             # the last accepted iterate is not kept here
    r.gk = NULL
    if mode != 2:           # (SciPy's ScalarFunction does it for mode 2)
        r.xe = &xe[0]
        r.ge = &ge[0]
    else:
        r.xe = NULL
        r.ge = NULL
    r.have_e = False
    xarr = np.asarray(x)
    xcopy = xarr.copy       # bound method: a fresh copy of x per call (as SciPy)
    cdef bint noargs = len(args) == 0

    settask(r.task, b'START')
    settask(r.csave, b' ')
    while True:
        with nogil:
            code = run_step(&r)
        if code == RUN_FG:
            # the minimization routine wants f and g at the current x
            if run_reuse(&r):
                # a repeated point: SciPy's ScalarFunction hands back the f
                # and g it has without calling the function (run_reuse)
                continue
            xc = xcopy()
            if mode == 0:
                fg = fun(xc) if noargs else fun(xc, *args)
                if type(fg) is tuple and len(<tuple>fg) == 2:
                    fx = (<tuple>fg)[0]
                    gx = (<tuple>fg)[1]
                else:
                    try:
                        fx, gx = fg
                    except (TypeError, ValueError):
                        raise ValueError("with jac=True the objective must return "
                                         "a pair (f, g)") from None
                r.f = _scalar(fx)
                _copy_grad(gx, pg, n)
                r.nfev += 1
                njev += 1
            elif mode == 1:
                r.f = _scalar(fun(xc) if noargs else fun(xc, *args))
                r.nfev += 1
                gx = jac(xcopy()) if noargs else jac(xcopy(), *args)
                _copy_grad(gx, pg, n)
                njev += 1
            else:
                fx, gx = fun(xc)
                r.f = _scalar(fx)
                _copy_grad(gx, pg, n)
                njev += 1
                r.nfev = nfev_counter()
            run_record(&r)
        elif code == RUN_NEW_X:
            halt = callback is not None and callback(xcopy(), r.f)
            run_new_x(&r, halt)
        else:
            break
    return (r.f, np.asarray(g), r.nfev, njev, r.nit,
            (<bytes>r.task[:60]).decode('ascii').rstrip())
