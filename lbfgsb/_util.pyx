"""Small helpers of L-BFGS-B 3.0: ``active``, ``errclb``, ``freev``, ``matupd``,
``projgr``.

Each is a translation of the Fortran subroutine of the same name in
``lbfgsb.f`` (Debian's 3.0 build, with its NaN patch in ``projgr``).  Indices
stored in integer work arrays (``iwhere``, ``index``, ``indx2``) keep the
Fortran's 1-based variable numbers, so that ``iwa`` compares with the Fortran
field by field.
"""

from lbfgsb._kernels cimport Kernels, kernels_for
from libc.math cimport fabs

from lbfgsb._status cimport settask
from lbfgsb._print cimport (write_active_infeasible, write_active_unconstrained,
                            write_active_nbdd, write_freev_leaves, write_freev_enters,
                            write_freev_counts, write_freev_nfree)


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

    # iprint >= 0: if prjctd, 'The initial X is infeasible.  Restart with its projection.'
    #              if not cnstnd, 'This problem is unconstrained.'
    # iprint > 0:  format 1001 with nbdd
    if iprint >= 0:
        if prjctd[0]:
            write_active_infeasible()
        if not cnstnd[0]:
            write_active_unconstrained()
    if iprint > 0:
        write_active_nbdd(nbdd)


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
                # iprint >= 100: 'Variable ',k,' leaves the set of free variables'
                if iprint >= 100:
                    write_freev_leaves(k)
        for i in range(1 + nfree[0], n + 1):
            k = index[i - 1]
            if iwhere[k - 1] <= 0:
                nenter[0] = nenter[0] + 1
                indx2[nenter[0] - 1] = k
                # iprint >= 100: 'Variable ',k,' enters the set of free variables'
                if iprint >= 100:
                    write_freev_enters(k)
        # iprint >= 99: n+1-ileave,' variables leave; ',nenter,' variables enter'
        if iprint >= 99:
            write_freev_counts(n + 1 - ileave[0], nenter[0])
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
    # iprint >= 99: nfree,' variables are free at GCP ',iter + 1
    if iprint >= 99:
        write_freev_nfree(nfree[0], iter + 1)


cdef void matupd(int n, int m, double* ws, double* wy, double* sy, double* ss,
                 double* d, double* r, int* itail, int iupdat, int* col,
                 int* head, double* theta, double rr, double dr, double stp,
                 double dtd, const Kernels* kn) noexcept nogil:
    """Update the limited-memory matrices with the new pair (s, y).

    [BLNZ95] (3.1), (3.5)-(3.6) and §6 steps 6-7, after [BNS94]: stores
    s = ``d`` and y = ``r`` in the circular buffers ``ws``, ``wy`` (columns
    ``head`` .. ``itail``, the oldest dropped when full), sets
    theta = y'y / s'y, and
    appends the new row of S'Y (``sy``, lower triangle) and column of S'S
    (``ss``, upper triangle), shifting both when the buffer is full.
    """
    cdef int j          # 1-based column
    cdef int pointr     # 1-based column of ws/wy in the circular buffer
    cdef int one = 1
    cdef int len_

    # Set pointers for matrices WS and WY.
    if iupdat <= m:
        col[0] = iupdat
        itail[0] = (head[0] + iupdat - 2) % m + 1
    else:
        itail[0] = itail[0] % m + 1
        head[0] = head[0] % m + 1

    # Update matrices WS and WY.
    # ws(:, itail) := d,  wy(:, itail) := r    (n x 1 each)
    kn.dcopy(&n, d, &one, &ws[(itail[0] - 1) * n], &one)
    kn.dcopy(&n, r, &one, &wy[(itail[0] - 1) * n], &one)

    # Set theta = yy/ys.
    theta[0] = rr / dr

    # Form the middle matrix in B: update the upper triangle of SS and the
    # lower triangle of SY.
    if iupdat > m:
        # move old information
        for j in range(1, col[0]):
            # ss(1:j, j) := ss(2:j+1, j+1)             (j x 1)
            kn.dcopy(&j, &ss[1 + j * m], &one, &ss[(j - 1) * m], &one)
            # sy(j:col-1, j) := sy(j+1:col, j+1)       ((col-j) x 1)
            len_ = col[0] - j
            kn.dcopy(&len_, &sy[j + j * m], &one, &sy[(j - 1) + (j - 1) * m], &one)

    # add new information: the last row of SY and the last column of SS
    pointr = head[0]
    for j in range(1, col[0]):
        # sy(col, j) := d' wy(:, pointr)    (1 x n)(n x 1)
        sy[(col[0] - 1) + (j - 1) * m] = kn.ddot(&n, d, &one, &wy[(pointr - 1) * n], &one)
        # ss(j, col) := ws(:, pointr)' d    (1 x n)(n x 1)
        ss[(j - 1) + (col[0] - 1) * m] = kn.ddot(&n, &ws[(pointr - 1) * n], &one, d, &one)
        pointr = pointr % m + 1
    if stp == 1.0:
        ss[(col[0] - 1) + (col[0] - 1) * m] = dtd
    else:
        ss[(col[0] - 1) + (col[0] - 1) * m] = stp * stp * dtd
    sy[(col[0] - 1) + (col[0] - 1) * m] = dr


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
# test shims (with the GIL; for tests only)

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


def py_matupd(int m, double[::1, :] ws, double[::1, :] wy, double[::1, :] sy,
              double[::1, :] ss, double[::1] d, double[::1] r, int itail,
              int iupdat, int col, int head, double rr, double dr, double stp,
              double dtd, kernels="scipy"):
    """matupd on Fortran-ordered arrays (written in place);
    returns itail, col, head, theta."""
    cdef int n = d.shape[0]
    cdef double theta = 0.0
    if (ws.shape[0] != n or ws.shape[1] != m or wy.shape[0] != n or wy.shape[1] != m
            or sy.shape[0] != m or sy.shape[1] != m or ss.shape[0] != m
            or ss.shape[1] != m or r.shape[0] != n):
        raise ValueError("inconsistent shapes")
    if n < 1 or m < 1 or not (1 <= head <= m) or iupdat < 1 or not (0 <= itail <= m) \
            or not (0 <= col <= m):
        raise ValueError("inconsistent circular-buffer state")
    matupd(n, m, &ws[0, 0], &wy[0, 0], &sy[0, 0], &ss[0, 0], &d[0], &r[0],
           &itail, iupdat, &col, &head, &theta, rr, dr, stp, dtd, kernels_for(kernels))
    return itail, col, head, theta


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
