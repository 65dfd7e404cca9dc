"""The per-variable pass of ``lbfgsb._options``' bounds conversion, compiled.

SciPy's ``_minimize_lbfgsb`` builds ``l``, ``u`` and ``nbd`` in a Python loop
over the variables (its ``bounds_map``); ``lbfgsb._options.lbfgsb_arrays``
does it here in one C loop over float64 vectors (a NumPy version serves
other inputs), with the same results bit for bit (tests/test_options.py).
"""

import numpy as np

from libc.math cimport INFINITY, isinf


cdef inline void nbd_entry(double a, double b, double* lo, double* hi,
                           int* code) noexcept nogil:
    """One variable of SciPy's bounds_map: a finite bound (NaN included) is
    copied and counted, an infinite one leaves lo/hi at their 0.0."""
    cdef bint fl = not isinf(a)
    cdef bint fu = not isinf(b)
    if fl:
        lo[0] = a
    if fu:
        hi[0] = b
    code[0] = (2 if fu else 1) if fl else (3 if fu else 0)


def lbfgsb_arrays(const double[::1] lb, const double[::1] ub):
    """(l, u, nbd) from float64 lower and upper bounds: a finite bound (NaN
    included, as in SciPy's loop) is copied and counted, an infinite one
    leaves 0.0; nbd is 0 (none), 1 (lower), 2 (both), 3 (upper)."""
    cdef Py_ssize_t i, n = lb.shape[0]
    if ub.shape[0] != n:
        raise ValueError("lb and ub must have the same length")
    low = np.zeros(n, np.float64)
    up = np.zeros(n, np.float64)
    nbd = np.zeros(n, np.int32)
    cdef double[::1] lo = low, hi = up
    cdef int[::1] code = nbd
    for i in range(n):
        nbd_entry(lb[i], ub[i], &lo[i], &hi[i], &code[i])
    return low, up, nbd


def bounds_code(const double[:] lb, const double[:] ub):
    """The checks of ``_options.validated`` on float64 vectors of one length,
    in one pass: 1 when some ub < lb (checked first, over every variable, as
    ``np.count_nonzero(ub < lb)``), else 2 when a lower bound is +inf or an
    upper bound -inf (``refuse_infeasible``), else 0."""
    cdef Py_ssize_t i, n = lb.shape[0]
    cdef bint infeasible = False
    if ub.shape[0] != n:
        raise ValueError("lb and ub must have the same length")
    for i in range(n):
        if ub[i] < lb[i]:
            return 1
        if lb[i] == INFINITY or ub[i] == -INFINITY:
            infeasible = True
    return 2 if infeasible else 0


def minimize_arrays(const double[:] lb, const double[:] ub):
    """``minimize``'s bounds after validation, in one pass over float64
    vectors of one length: (the number of variables with lb == ub, the
    (2, n) array of ``_options.solver_bounds`` -- NaN as no bound --, and
    ``lbfgsb_arrays`` of it: l, u, nbd), the same values bit for bit."""
    cdef Py_ssize_t i, n = lb.shape[0]
    cdef Py_ssize_t fixed = 0
    cdef double a, b
    if ub.shape[0] != n:
        raise ValueError("lb and ub must have the same length")
    lu = np.empty((2, n), np.float64)
    low = np.zeros(n, np.float64)
    up = np.zeros(n, np.float64)
    nbd = np.zeros(n, np.int32)
    cdef double[:, ::1] luv = lu
    cdef double[::1] lo = low, hi = up
    cdef int[::1] code = nbd
    for i in range(n):
        a = lb[i]
        b = ub[i]
        if a == b:
            fixed += 1
        if a != a:
            a = -INFINITY       # solver_bounds: a NaN bound is no bound
        if b != b:
            b = INFINITY
        luv[0, i] = a
        luv[1, i] = b
        nbd_entry(a, b, &lo[i], &hi[i], &code[i])
    return fixed, lu, (low, up, nbd)
