"""``active``: project x0 onto the box and classify the variables [BLNZ95 (2.2)].

A translation of the Fortran subroutine of the same name in ``lbfgsb.f``
(Debian's 3.0 build).  Indices stored in integer work arrays keep the Fortran's
1-based variable numbers, so that ``iwa`` compares with the Fortran field by field.
"""

from lbfgsb.port.trace cimport (write_active_infeasible, write_active_unconstrained,
                                 write_active_nbdd)


cdef void active(int n, double* l, double* u, int* nbd, double* x,
                 int* iwhere, int iprint, bint* prjctd, bint* cnstnd,
                 bint* boxed) noexcept nogil:
    """Project x0 onto the box and classify the variables.

    [BLNZ95] (2.2): the algorithm works on the feasible set only, so a
    starting point outside the box is replaced by its projection P(x0, l, u).  Writes ``x`` (the
    projection), ``iwhere`` (-1 unbounded, 3 fixed because l = u, 0 otherwise)
    and the three flags: ``prjctd`` (x0 was moved), ``cnstnd`` (some bound
    exists), ``boxed`` (every variable has both bounds).
    """
    cdef int nbdd = 0   # number of variables at a bound at x0 (for the trace)
    cdef int i          # 1-based variable number

    prjctd[0] = False
    cnstnd[0] = False
    boxed[0] = True

    # Project the initial x onto the feasible set.
    for i in range(1, n + 1):
        if nbd[i - 1] > 0:
            if nbd[i - 1] <= 2 and x[i - 1] <= l[i - 1]:
                if x[i - 1] < l[i - 1]:
                    prjctd[0] = True
                    x[i - 1] = l[i - 1]
                nbdd = nbdd + 1
            elif nbd[i - 1] >= 2 and x[i - 1] >= u[i - 1]:
                if x[i - 1] > u[i - 1]:
                    prjctd[0] = True
                    x[i - 1] = u[i - 1]
                nbdd = nbdd + 1

    # Initialise iwhere and the flags cnstnd, boxed.
    for i in range(1, n + 1):
        if nbd[i - 1] != 2:
            boxed[0] = False
        if nbd[i - 1] == 0:
            # this variable is always free
            iwhere[i - 1] = -1
        else:
            cnstnd[0] = True
            if nbd[i - 1] == 2 and u[i - 1] - l[i - 1] <= 0.0:
                # this variable is always fixed
                iwhere[i - 1] = 3
            else:
                iwhere[i - 1] = 0

    write_active_infeasible(iprint, prjctd[0])
    write_active_unconstrained(iprint, cnstnd[0])
    write_active_nbdd(iprint, nbdd)  # format 1001


# ---------------------------------------------------------------------------
# test shim (with the GIL; for tests only)

def py_active(double[::1] l, double[::1] u, int[::1] nbd, double[::1] x,
              int[::1] iwhere, int iprint=-1):
    """active on arrays (x and iwhere written in place); returns the flags."""
    cdef int n = x.shape[0]
    cdef bint prjctd, cnstnd, boxed
    if l.shape[0] != n or u.shape[0] != n or nbd.shape[0] != n or iwhere.shape[0] != n:
        raise ValueError("l, u, nbd, iwhere must have the length of x")
    if n == 0:
        raise ValueError("n must be positive")
    active(n, &l[0], &u[0], &nbd[0], &x[0], &iwhere[0], iprint,
           &prjctd, &cnstnd, &boxed)
    return bool(prjctd), bool(cnstnd), bool(boxed)
