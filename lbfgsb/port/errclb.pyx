"""``errclb``: check the input arguments (the code's own checks; [ZBLN97 §3]).

A translation of the Fortran subroutine of the same name in ``lbfgsb.f``
(Debian's 3.0 build).  Indices stored in integer work arrays keep the Fortran's
1-based variable numbers, so that ``iwa`` compares with the Fortran field by field.
"""

from lbfgsb.port.tasks cimport settask


cdef void errclb(int n, int m, double factr, double* l, double* u, int* nbd,
                 char* task, int* info, int* k) noexcept nogil:
    """Check the input arguments for errors.

    [ZBLN97 §3] mentions this termination on an input error; the checks
    themselves are the code's, not the papers'.  Sets ``task`` to an
    ``ERROR: ...`` string (and ``info``, ``k`` for the per-variable errors)
    exactly as the Fortran does; later checks overwrite
    earlier ones, so the last error found is the one reported.
    """
    cdef int i

    if n <= 0:
        settask(task, b'ERROR: N .LE. 0')
    if m <= 0:
        settask(task, b'ERROR: M .LE. 0')
    if factr < 0.0:
        settask(task, b'ERROR: FACTR .LT. 0')
    for i in range(1, n + 1):
        if nbd[i - 1] < 0 or nbd[i - 1] > 3:
            # return
            settask(task, b'ERROR: INVALID NBD')
            info[0] = -6
            k[0] = i
        if nbd[i - 1] == 2:
            if l[i - 1] > u[i - 1]:
                # return
                settask(task, b'ERROR: NO FEASIBLE SOLUTION')
                info[0] = -7
                k[0] = i


# ---------------------------------------------------------------------------
# test shim (with the GIL; for tests only)

def py_errclb(int n, int m, double factr, double[::1] l, double[::1] u,
              int[::1] nbd):
    """errclb; returns (task, info, k)."""
    cdef char task[60]
    cdef int info = 0, k = 0
    if l.shape[0] < n or u.shape[0] < n or nbd.shape[0] < n:
        raise ValueError("l, u, nbd shorter than n")
    settask(task, b'START')
    errclb(n, m, factr, &l[0] if l.shape[0] else NULL,
           &u[0] if u.shape[0] else NULL, &nbd[0] if nbd.shape[0] else NULL,
           task, &info, &k)
    return (<bytes>task[:60]).decode('ascii').rstrip(), info, k
