"""The evaluate / ``setulb`` loop behind ``fmin_l_bfgs_b`` and ``minimize``.

The loop is compiled: per evaluation the only Python work is the user's
function (and turning its result into a float and a float64 vector); each
``setulb`` call runs without the GIL.  Arguments are validated by the caller
(``lbfgsb._api``), which allocates the workspace once.
"""

import numpy as np

cimport cython

from cpython.buffer cimport (PyBUF_C_CONTIGUOUS, PyBUF_FORMAT, PyBuffer_Release,
                              PyObject_CheckBuffer, PyObject_GetBuffer)
from libc.string cimport memcpy

from lbfgsb.port.kernels cimport kernels_for
from lbfgsb.port.tasks cimport settask
from lbfgsb._run cimport (Run, RUN_FG, f_by_value, RUN_NEW_X, run_new_x, run_record,
                             run_reuse, run_step)


cdef inline bint _is_float64(const char* fmt) noexcept:
    """True for the buffer formats of a native float64 ('d', '=d', '<d', '@d')."""
    if fmt == NULL:
        return True                 # no format: unsigned bytes; caught by itemsize
    if fmt[0] == b'=' or fmt[0] == b'<' or fmt[0] == b'@':
        fmt += 1
    return fmt[0] == b'd' and fmt[1] == 0


_NOT_SCALAR = "The user-provided objective function must return a scalar value."


cdef class Objective:
    """The user's f and g, evaluated and converted as SciPy's loop does.

    ``mode`` 0: ``fun(x, *args)`` returns ``(f, g)`` (SciPy's ``MemoizeJac``:
    ``g = fg[1]`` is read before ``f = fg[0]``, extra items ignored); 1: ``fun``
    returns f and ``jac(x, *args)`` returns g; 2: ``fun(x)`` is a SciPy
    ``ScalarFunction``'s ``fun_and_grad`` (finite differences, or an x0 of a
    floating type other than float64) and ``jac`` is that ``ScalarFunction``,
    which counts the evaluations and remembers the last point itself.

    The conversions are ScalarFunction's and SciPy's ``setulb`` wrapper's: f
    that is not a NumPy/Python scalar becomes ``np.asarray(f).item()`` (else
    SciPy's ValueError), is compared with the lowest f so far (so a None, str
    or complex f raises SciPy's TypeError), and is converted to a double at
    each ``setulb`` call; g becomes ``np.atleast_1d(g).astype(float64)`` (an
    ``np.matrix`` or a masked array keeps its type; its n doubles are read in
    memory order, as SciPy's C reads them).  The objects are kept: the
    result's ``fun`` is the objective's own f (after the Fortran restored f
    with x, the f the objective returned at that x), and its ``jac`` is the
    last gradient array holding the final g, as SciPy's result.

    One departure: a gradient whose size is not n raises ValueError (SciPy's
    C wrapper reads n doubles from it whatever its size).
    """
    cdef int mode, n
    cdef object fun, jac, args, lowest
    cdef bint noargs
    cdef public object gshape       # shape of the last gradient when not (n,)
    cdef object gkept               # the last gradient array when not a plain (n,) ndarray
    cdef long nfev, njev
    cdef double[::1] xe, ge         # the last evaluated point and its g
    cdef double fe
    cdef object fobj_e              # and its f as the objective returned it
    cdef bint have_e

    def __init__(self, int mode, fun, jac, tuple args, int n):
        self.mode = mode
        self.fun = fun
        self.jac = jac
        self.args = args
        self.noargs = len(args) == 0
        self.n = n
        self.lowest = np.inf
        self.gshape = None
        self.gkept = None
        self.nfev = jac.nfev if mode == 2 else 0
        self.njev = jac.ngev if mode == 2 else 0
        self.xe = np.empty(n, dtype=np.float64)
        self.ge = np.empty(n, dtype=np.float64)
        self.have_e = False

    cdef object _value(self, fx):
        """f as ScalarFunction keeps it (and its check against the lowest f)."""
        if not isinstance(fx, float) and not np.isscalar(fx):
            try:
                fx = np.asarray(fx).item()
            except (TypeError, ValueError) as e:
                raise ValueError(_NOT_SCALAR) from e
        if fx < self.lowest:
            self.lowest = fx
        return fx

    cdef int _gradient(self, gx, double* g) except -1:
        """Copy the user's gradient into g (n doubles).

        Fast path (no numpy call): an object exporting a C-contiguous float64
        buffer of n elements, copied with one memcpy.  Anything else goes
        through SciPy's ``np.atleast_1d(g).astype(np.float64)``."""
        cdef Py_buffer view
        cdef bint done = False, got
        cdef int n = self.n
        # an ndarray subclass (np.matrix, a masked array) takes the slow
        # path: SciPy's result keeps its type
        if PyObject_CheckBuffer(gx) and (type(gx) is np.ndarray
                                         or not isinstance(gx, np.ndarray)):
            try:
                PyObject_GetBuffer(gx, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT)
                got = True
            except (BufferError, ValueError, TypeError):
                got = False     # not C-contiguous: the slow path copies it
            if got:
                if (view.itemsize == 8 and _is_float64(view.format) and view.ndim == 1
                        and view.len == <Py_ssize_t>n * 8):
                    memcpy(g, view.buf, n * sizeof(double))
                    done = True
                PyBuffer_Release(&view)
        if done:
            self.gshape = None
            self.gkept = None
        else:
            self._gradient_slow(gx, g)
        return 0

    cdef int _gradient_slow(self, gx, double* g) except -1:
        cdef double[::1] gv
        cdef int n = self.n
        ga = np.atleast_1d(gx).astype(np.float64)
        if ga.size != n:
            raise ValueError(f"the gradient must have {n} elements (shape ({n},)), "
                             f"got shape {ga.shape}")
        self.gshape = None if ga.shape == (n,) else ga.shape
        # SciPy's result jac is this array itself, of the gradient's type
        # (np.matrix, a masked array), its n doubles in memory order
        self.gkept = None if type(ga) is np.ndarray and self.gshape is None else ga
        if n > 0:
            # the n doubles in memory order, as SciPy's C reads them (the
            # base ndarray: a matrix's ravel stays 2-D; a mask is ignored)
            gv = np.ascontiguousarray(np.asarray(ga).ravel(order='K'))
            memcpy(g, &gv[0], n * sizeof(double))
        return 0

    def result_jac(self, ga):
        """The result's ``jac``: the final g (``ga``, n doubles) in the last
        gradient's array (its type, shape and memory order), as SciPy's C
        leaves it in the array it was handed."""
        out = self.gkept
        if out is None:
            return ga
        mem = np.asarray(out)
        if mem.ndim:
            # the axes in memory order, largest stride first: a C-contiguous view
            mem = mem.transpose(np.argsort(mem.strides, kind="stable")[::-1])
        if mem.flags.c_contiguous:
            mem.reshape(-1)[...] = ga
        else:                       # pragma: no cover - astype gives a dense array
            mem[...] = ga.reshape(mem.shape)
        return out

    @cython.boundscheck(True)       # fg[1] of any object, checked as Python does
    @cython.wraparound(True)
    cdef object evaluate(self, xcopy, double* g, bint xnan):
        """f (the objective's object) and g (into ``g``) at a copy of x."""
        if self.mode == 0:
            fg = self.fun(xcopy()) if self.noargs else self.fun(xcopy(), *self.args)
            if type(fg) is tuple and len(<tuple>fg) == 2:
                gx = (<tuple>fg)[1]
                fx = (<tuple>fg)[0]
            else:
                gx = fg[1]
                fx = fg[0]
            fx = self._value(fx)
            self.nfev += 1
            if gx is None or xnan:
                # MemoizeJac compares x == its last x (never true with a NaN)
                # and holds no g when g was None: it calls fun again for g
                fg = self.fun(xcopy()) if self.noargs else self.fun(xcopy(), *self.args)
                gx = fg[1]
            self._gradient(gx, g)
            self.njev += 1
        elif self.mode == 1:
            fx = self._value(self.fun(xcopy()) if self.noargs
                             else self.fun(xcopy(), *self.args))
            self.nfev += 1
            self._gradient(self.jac(xcopy()) if self.noargs
                           else self.jac(xcopy(), *self.args), g)
            self.njev += 1
        else:
            fx, gx = self.fun(xcopy())
            self._gradient(gx, g)
            self.nfev = self.jac.nfev
            self.njev = self.jac.ngev
        return fx

    def initial(self, double[::1] x):
        """Evaluate at x0 as SciPy's ScalarFunction does when it is built
        (modes 0 and 1; ``drive`` reuses the point at setulb's first request)."""
        xarr = np.asarray(x)
        self.fobj_e = self.evaluate(xarr.copy, &self.ge[0] if self.n else NULL,
                                   _has_nan(&x[0], self.n) if self.n else False)
        if self.n:
            self.xe[:] = x
        self.have_e = True
        return self.fobj_e

    @property
    def counts(self):
        """(nfev, njev) so far."""
        return int(self.nfev), int(self.njev)


NEVER = 2**62       # a maxiter / maxfun threshold never reached


def as_double(value):
    """``value`` as SciPy's ``setulb`` wrapper reads a C double
    (``PyFloat_AsDouble``: the same TypeError for a str, a complex, None)."""
    cdef double d = value
    return d


cdef inline double* _dptr(double[::1] a) noexcept:
    """The data of a, or NULL when it is empty (n = 0: setulb only reports
    'ERROR: N .LE. 0' and reads no array)."""
    return &a[0] if a.shape[0] > 0 else NULL


cdef inline bint _has_nan(double* x, int n) noexcept:
    cdef int i
    for i in range(n):
        if x[i] != x[i]:
            return True
    return False


cdef inline int* _iptr(int[::1] a) noexcept:
    return &a[0] if a.shape[0] > 0 else NULL


def drive(Objective obj, double[::1] x, double[::1] l, double[::1] u,
          int[::1] nbd, int m, double factr, double pgtol, long maxiter,
          long maxfun, limits, int maxls, int iprint, callback, int flavour,
          kernels, double[::1] wa, int[::1] iwa, int[::1] isave, double[::1] dsave,
          int[::1] lsave):
    """Run L-BFGS-B to termination; the loop of SciPy's ``_minimize_lbfgsb``.

    ``obj`` evaluates f and g (an ``Objective``; in modes 0 and 1 its
    ``initial`` evaluation at x0 has been made).  ``callback(x, f)`` (or None)
    is called at each new iterate with the live x (as SciPy's
    ``intermediate_result.x``) and f as the objective returned it; it returns
    True to stop.  The run stops when ``nit >= maxiter``, else when ``nfev >
    maxfun``; when those limits are not plain numbers, ``limits(nit, nfev)``
    makes SciPy's comparisons itself and returns 1 (iterations), 2
    (evaluations) or 0.  ``kernels`` names the BLAS/LAPACK set ('scipy' or
    'reference').  Arrays are validated by the caller (``_api``).

    The ``setulb`` call and the handling of NEW_X are ``lbfgsb._solver``'s
    ``run_step`` and ``run_new_x``, shared with ``Solver`` and ``BatchSolver``.

    Returns ``(f, g, nfev, njev, nit, task)``: f as the objective returned it
    at the last evaluation (SciPy's initial 0-d array of zero when setulb
    asked for none), or the Fortran's restored f (after a failed line search, unless the
    flavour has driver_f_by_value); ``task`` is the Fortran's final task string.
    """
    cdef int n = x.shape[0]
    cdef double[::1] g = np.zeros(n, dtype=np.float64)
    cdef double* pg = _dptr(g)
    cdef Run r
    cdef int code, lim
    cdef bint halt, fodd = False, fnew = False
    cdef double fconv, flast = 0.0     # the double setulb was last given as f
    r.n = n
    r.m = m
    r.x = _dptr(x)
    r.l = _dptr(l)
    r.u = _dptr(u)
    r.nbd = _iptr(nbd)
    r.f = 0.0
    r.g = pg
    r.factr = factr
    r.pgtol = pgtol
    r.wa = _dptr(wa)
    r.iwa = _iptr(iwa)
    r.iprint = iprint
    r.lsave = &lsave[0]
    r.isave = &isave[0]
    r.dsave = &dsave[0]
    r.maxls = maxls
    r.flavour = flavour
    r.kn = kernels_for(kernels)
    r.nit = 0
    r.nfev, _ = obj.counts
    r.maxiter = NEVER if limits is not None else maxiter
    r.maxfun = NEVER if limits is not None else maxfun
    r.xk = NULL             # the last accepted iterate is not kept here
    r.gk = NULL
    if obj.mode != 2 and n > 0:       # (SciPy's ScalarFunction does it for mode 2)
        r.xe = &obj.xe[0]
        r.ge = &obj.ge[0]
        r.have_e = obj.have_e
        r.fe = obj.fobj_e if isinstance(obj.fobj_e, float) else 0.0
    else:
        r.xe = NULL
        r.ge = NULL
        r.have_e = False
    xarr = np.asarray(x)
    xcopy = xarr.copy       # bound method: a fresh copy of x per call (as SciPy)
    fres = np.zeros(())     # SciPy's loop starts with f = array(0.)
    faccept = None          # f as returned at the last accepted iterate (x0 first)

    settask(r.task, b'START')
    settask(r.csave, b' ')
    while True:
        if fodd:
            # SciPy's wrapper converts its f object at every setulb call
            # (a NumPy complex f warns each time)
            fconv = fres
            if fnew:
                r.f = flast = fconv
                fnew = False
        with nogil:
            code = run_step(&r)
        if code == RUN_FG:
            # the minimization routine wants f and g at the current x
            if run_reuse(&r):
                # a repeated point: SciPy's ScalarFunction hands back the f
                # and g it has without calling the function (run_reuse)
                fres = obj.fobj_e
                if isinstance(fres, float):
                    flast = r.f
            else:
                fres = obj.evaluate(xcopy, pg, obj.mode == 0 and _has_nan(r.x, n))
                if obj.mode != 2:
                    obj.fobj_e = fres
                r.nfev = obj.nfev
                if isinstance(fres, float):
                    r.f = flast = fres
                run_record(&r)
            if faccept is None:
                faccept = fres      # f(x0): iterate 0
            fodd = not isinstance(fres, float)
            fnew = True
        elif code == RUN_NEW_X:
            faccept = fres          # the new iterate is the point evaluated last
            halt = callback is not None and callback(xarr, fres)
            run_new_x(&r, halt)
            if limits is not None:
                lim = limits(r.nit, r.nfev)
                if lim == 1:
                    settask(r.task, b'STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT')
                elif lim == 2:
                    settask(r.task, b'STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT')
        else:
            break
    if not f_by_value(&r) and not (r.f == flast or (r.f != r.f and flast != flast)):
        # the Fortran restored f with x and g (a failed line search): x is
        # the last accepted iterate, whose f the objective returned as
        # ``faccept`` (kept as returned, never cast: SciPy's rule is that
        # ``fun`` is the objective's own value)
        fres = _restored_f(faccept, r.f)
    ga = np.asarray(g)
    return (fres, obj.result_jac(ga), int(r.nfev),
            obj.counts[1], int(r.nit), (<bytes>r.task[:60]).decode('ascii').rstrip())


cdef object _restored_f(faccept, double frestored):
    """The result's f after the Fortran restored it: the objective's own
    value at the accepted iterate when that is the restored double, else
    the double (a Python float)."""
    cdef double fa
    if faccept is not None:
        try:
            fa = faccept            # as SciPy's wrapper converts f for setulb
        except (TypeError, ValueError, OverflowError):
            return frestored
        if fa == frestored or (fa != fa and frestored != frestored):
            return faccept
    return frestored
