"""``projgr``: the infinity norm of the projected gradient, the ``pgtol`` test
[BLNZ95 (6.1), ZBLN97 (2)] (Debian's 3.0 build, with its NaN patch).

A translation of the Fortran subroutine of the same name in ``lbfgsb.f``
(Debian's 3.0 build).  Indices stored in integer work arrays keep the Fortran's
1-based variable numbers, so that ``iwa`` compares with the Fortran field by field.
"""

from libc.math cimport fabs


cdef void projgr(int n, double* l, double* u, int* nbd, double* x, double* g,
                 double* sbgnrm) noexcept nogil:
    """Infinity norm of the projected gradient.

    [BLNZ95] (6.1) with P of (2.2); [ZBLN97] eq. (2):
    ``sbgnrm`` = max_i |P(x - g, l, u)_i - x_i|, the quantity of the ``pgtol``
    test.  Debian's (and SciPy's) patch: a NaN in ``g`` is
    returned as the norm at once, so that it cannot pass for convergence.
    """
    cdef int i
    cdef double gi      # the i-th component of the projected gradient
    cdef double t

    sbgnrm[0] = 0.0
    for i in range(n):
        gi = g[i]
        if gi != gi:
            # NaN in the gradient: propagate it  [Debian patch 0004]
            sbgnrm[0] = gi
            return
        if nbd[i] != 0:
            if gi < 0.0:
                if nbd[i] >= 2:
                    t = x[i] - u[i]
                    gi = t if t > gi else gi            # max(x-u, gi)
            else:
                if nbd[i] <= 2:
                    t = x[i] - l[i]
                    gi = t if t < gi else gi            # min(x-l, gi)
        t = fabs(gi)
        sbgnrm[0] = t if t > sbgnrm[0] else sbgnrm[0]   # max(sbgnrm, |gi|)


# ---------------------------------------------------------------------------
# test shim (with the GIL; for tests only)

def py_projgr(double[::1] l, double[::1] u, int[::1] nbd, double[::1] x,
              double[::1] g):
    """projgr on arrays; returns sbgnrm."""
    cdef int n = x.shape[0]
    cdef double sbgnrm = 0.0
    if l.shape[0] != n or u.shape[0] != n or nbd.shape[0] != n or g.shape[0] != n:
        raise ValueError("l, u, nbd, g must have the length of x")
    if n == 0:
        return 0.0
    projgr(n, &l[0], &u[0], &nbd[0], &x[0], &g[0], &sbgnrm)
    return sbgnrm
