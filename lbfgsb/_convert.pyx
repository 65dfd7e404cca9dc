"""The per-variable pass of ``lbfgsb._options``' bounds conversion, compiled.

SciPy's ``_minimize_lbfgsb`` builds ``l``, ``u`` and ``nbd`` in a Python loop
over the variables (its ``bounds_map``); ``lbfgsb._options.lbfgsb_arrays``
does it here in one C loop over float64 vectors (a NumPy version serves
other inputs), with the same results bit for bit (tests/test_options.py).
"""

import numpy as np

from libc.math cimport isinf


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
    cdef bint fl, fu
    for i in range(n):
        fl = not isinf(lb[i])
        fu = not isinf(ub[i])
        if fl:
            lo[i] = lb[i]
        if fu:
            hi[i] = ub[i]
        code[i] = (2 if fu else 1) if fl else (3 if fu else 0)
    return low, up, nbd
