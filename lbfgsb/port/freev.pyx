"""``freev``: the free and active sets at the generalized Cauchy point [BLNZ95 §5, (5.1)].

A translation of the Fortran subroutine of the same name in ``lbfgsb.f``
(Debian's 3.0 build).  Indices stored in integer work arrays keep the Fortran's
1-based variable numbers, so that ``iwa`` compares with the Fortran field by field.
"""

from lbfgsb.port.trace cimport (write_freev_leaves, write_freev_enters, write_freev_counts,
                                 write_freev_nfree)


cdef void freev(int n, int* nfree, int* index, int* nenter, int* ileave,
                int* indx2, int* iwhere, bint* wrk, bint updatd, bint cnstnd,
                int iprint, int iter) noexcept nogil:
    """Free and active sets at the generalized Cauchy point.

    [BLNZ95 §5, (5.1)] Partitions the variables into the free set Z
    (``index(1:nfree)``) and the active set A (``index(nfree+1:n)``), and,
    for the device at the end of §5.1, records in ``indx2`` the
    variables that entered the free set (``indx2(1:nenter)``) and that left it
    (``indx2(ileave:n)``) since the last iteration, which ``formk`` uses to
    update K incrementally.  ``wrk`` says whether K must be (re)formed.
    """
    cdef int iact     # next slot (from the back) of index for an active variable
    cdef int i        # 1-based position
    cdef int k        # 1-based variable number

    nenter[0] = 0
    ileave[0] = n + 1
    if iter > 0 and cnstnd:
        # count the entering and leaving variables
        for i in range(1, nfree[0] + 1):
            k = index[i - 1]
            if iwhere[k - 1] > 0:
                ileave[0] = ileave[0] - 1
                indx2[ileave[0] - 1] = k
                write_freev_leaves(iprint, k)
        for i in range(1 + nfree[0], n + 1):
            k = index[i - 1]
            if iwhere[k - 1] <= 0:
                nenter[0] = nenter[0] + 1
                indx2[nenter[0] - 1] = k
                write_freev_enters(iprint, k)
        write_freev_counts(iprint, n + 1 - ileave[0], nenter[0])
    wrk[0] = (ileave[0] < n + 1) or (nenter[0] > 0) or updatd

    # find the index set of free and active variables at the GCP
    nfree[0] = 0
    iact = n + 1
    for i in range(1, n + 1):
        if iwhere[i - 1] <= 0:
            nfree[0] = nfree[0] + 1
            index[nfree[0] - 1] = i
        else:
            iact = iact - 1
            index[iact - 1] = i
    write_freev_nfree(iprint, nfree[0], iter + 1)


# ---------------------------------------------------------------------------
# test shim (with the GIL; for tests only)

def py_freev(int nfree, int[::1] index, int[::1] indx2, int[::1] iwhere,
             bint updatd, bint cnstnd, int iter, int iprint=-1):
    """freev on arrays (index, indx2 written); returns nfree, nenter, ileave, wrk."""
    cdef int n = index.shape[0]
    cdef int nenter = 0, ileave = 0
    cdef bint wrk = False
    cdef int i
    if indx2.shape[0] != n or iwhere.shape[0] != n or n == 0:
        raise ValueError("index, indx2, iwhere must have one common positive length")
    if not 0 <= nfree <= n:
        raise ValueError("nfree must lie in [0, n]")
    for i in range(n):
        if not 1 <= index[i] <= n:
            raise ValueError("index must hold variable numbers 1..n")
    freev(n, &nfree, &index[0], &nenter, &ileave, &indx2[0], &iwhere[0],
          &wrk, updatd, cnstnd, iprint, iter)
    return nfree, nenter, ileave, bool(wrk)
