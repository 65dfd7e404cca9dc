"""Product with the middle matrix of the compact L-BFGS representation.

Fortran routines translated (lbfgsb.f, L-BFGS-B 3.0, Debian's LAPACK patch):

- ``bmv``
"""

from lbfgsb.port.kernels cimport Kernels, kernels_for
from libc.math cimport sqrt

import numpy as np


cdef void bmv(int m, double* sy, double* wt, int col, double* v, double* p,
              int* info, const Kernels* kn) noexcept nogil:
    """Multiply the 2col x 2col middle matrix M of the compact representation by v.

    [BLNZ95] (3.2)-(3.6), after [BNS94]: B = theta*I - W M W' with
    M^{-1} = [[-D, L'], [L, theta*S'S]] (3.4).  The Fortran factorises
    M^{-1} as
    [[D^{1/2}, 0], [-L D^{-1/2}, J]] [[-D^{1/2}, D^{-1/2} L'], [0, J']],
    where J J' = T = theta*S'S + L D^{-1} L' and the upper-triangular J' is
    held in wt (from formt).  This routine solves the two block-triangular
    systems to form p = M v.  Reads sy (S'Y, m x m), wt, v (2col); writes
    p (2col) and info (non-zero: a triangular solve found a singular J).
    """
    cdef int i, k, i2            # loop counters; i2 indexes the second half
    cdef double sum              # running sum for the L D^{-1} v1 term
    cdef int nrhs = 1
    cdef char* uplo = b'U'
    cdef char* trans_t = b'T'
    cdef char* trans_n = b'N'
    cdef char* diag = b'N'

    if col == 0:
        return

    # Solve [[D^{1/2}, 0], [-L D^{-1/2}, J]] [p1; p2] = [v1; v2].
    # First p2 := v2 + L D^{-1} v1 (before the triangular solve with J).
    p[col] = v[col]
    for i in range(2, col + 1):
        i2 = col + i
        sum = 0.0
        for k in range(1, i):
            sum = sum + (sy[(i - 1) + (k - 1) * m] * v[k - 1]) / sy[(k - 1) + (k - 1) * m]
        p[i2 - 1] = v[i2 - 1] + sum
    # p2 := J^{-1} p2, i.e. solve (J')' x = p2   (col x col upper triangle of wt, transposed; 1 rhs)
    kn.dtrtrs(uplo, trans_t, diag, &col, &nrhs, wt, &m, &p[col], &col, info)
    if info[0] != 0:
        return

    # p1 := D^{-1/2} v1
    for i in range(1, col + 1):
        p[i - 1] = v[i - 1] / sqrt(sy[(i - 1) + (i - 1) * m])

    # Solve [[-D^{1/2}, D^{-1/2} L'], [0, J']] [p1; p2] = [p1; p2].
    # p2 := J'^{-1} p2   (col x col upper triangle of wt; 1 rhs)
    kn.dtrtrs(uplo, trans_n, diag, &col, &nrhs, wt, &m, &p[col], &col, info)
    if info[0] != 0:
        return

    # p1 := -D^{-1/2} p1 + D^{-1} L' p2
    for i in range(1, col + 1):
        p[i - 1] = -p[i - 1] / sqrt(sy[(i - 1) + (i - 1) * m])
    for i in range(1, col + 1):
        sum = 0.0
        for k in range(i + 1, col + 1):
            sum = sum + (sy[(k - 1) + (i - 1) * m] * p[col + k - 1]) / sy[(i - 1) + (i - 1) * m]
        p[i - 1] = p[i - 1] + sum


def py_bmv(int m, double[::1, :] sy, double[::1, :] wt, int col,
           double[::1] v, kernels="scipy"):
    """Test shim: returns (p, info).  sy, wt are Fortran-ordered m x m."""
    if m < 1 or col < 0 or col > m:
        raise ValueError("need 0 <= col <= m, m >= 1")
    if sy.shape[0] != m or sy.shape[1] != m or wt.shape[0] != m or wt.shape[1] != m:
        raise ValueError("sy and wt must be m x m")
    if v.shape[0] < 2 * col:
        raise ValueError("v must have length >= 2*col")
    p_arr = np.zeros(max(2 * col, 1), dtype=np.float64)
    cdef double[::1] p = p_arr
    cdef int info = 0
    bmv(m, &sy[0, 0], &wt[0, 0], col, &v[0] if v.shape[0] > 0 else NULL, &p[0], &info, kernels_for(kernels))
    return p_arr[:2 * col], info
