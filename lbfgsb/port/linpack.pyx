"""LINPACK ``dpofa`` and ``dtrsl``, the order of operations of SciPy <= 1.14.

SciPy's Fortran L-BFGS-B (up to 1.14) kept upstream 3.0's calls of LINPACK,
from its own copy of ``linpack.f``; Debian patched them to LAPACK's ``dpotrf``
and ``dtrtrs``.  Both factor the same matrices, in another order: ``dpofa``
divides by the diagonal (``t = t/a(k,k)``) where ``dpotrf`` multiplies by its
reciprocal, and ``dtrsl`` works with ``ddot``/``daxpy`` column by column where
``dtrtrs`` calls a (blocked) ``dtrsm``; the results differ in the last bits
from the first two-column factorisation on.  These routines reproduce
LINPACK's order with the BLAS of the run's kernel table (SciPy 1.14 calls its
OpenBLAS ``ddot``/``daxpy``), behind the table's ``dpotrf``/``dtrtrs``
signatures, for the uses L-BFGS-B makes of them (upper triangle, non-unit
diagonal).  Selected by the deviation ``linpack_dpofa_dtrsl`` (``_setulb``).
"""
from libc.math cimport sqrt

from lbfgsb.port.kernels cimport (Kernels, ddot_t, daxpy_t, kernels_table,
                              KERNELS_SCIPY, KERNELS_REFERENCE)


cdef void dpofa(double* a, int lda, int n, int* info, ddot_t ddot) noexcept nogil:
    """LINPACK dpofa: a = r'r, r upper triangular (in place), a(lda, n)."""
    cdef int j, k, km1, one = 1
    cdef double s, t
    for j in range(1, n + 1):
        info[0] = j
        s = 0.0
        for k in range(1, j):
            km1 = k - 1
            # t = a(k,j) - ddot(k-1, a(1,k), 1, a(1,j), 1)
            t = a[(k - 1) + (j - 1) * lda] - ddot(&km1, &a[(k - 1) * lda], &one,
                                                  &a[(j - 1) * lda], &one)
            t = t / a[(k - 1) + (k - 1) * lda]
            a[(k - 1) + (j - 1) * lda] = t
            s = s + t * t
        s = a[(j - 1) + (j - 1) * lda] - s
        if s <= 0.0:
            return
        a[(j - 1) + (j - 1) * lda] = sqrt(s)
    info[0] = 0


cdef void dtrsl_upper(double* t, int ldt, int n, double* b, bint trans, int* info,
                      ddot_t ddot, daxpy_t daxpy) noexcept nogil:
    """LINPACK dtrsl for an upper triangular t: job 01 (t x = b) or 11 (t' x = b)."""
    cdef int j, jj, jm1, one = 1
    cdef double temp
    for j in range(1, n + 1):               # singular: info = first zero diagonal
        if t[(j - 1) + (j - 1) * ldt] == 0.0:
            info[0] = j
            return
    info[0] = 0
    if n < 1:
        return
    if not trans:
        # case 2: solve t*x = b, t upper triangular
        b[n - 1] = b[n - 1] / t[(n - 1) + (n - 1) * ldt]
        for jj in range(2, n + 1):
            j = n - jj + 1
            temp = -b[j]
            daxpy(&j, &temp, &t[j * ldt], &one, b, &one)
            b[j - 1] = b[j - 1] / t[(j - 1) + (j - 1) * ldt]
    else:
        # case 4: solve trans(t)*x = b, t upper triangular
        b[0] = b[0] / t[0]
        for j in range(2, n + 1):
            jm1 = j - 1
            b[j - 1] = b[j - 1] - ddot(&jm1, &t[(j - 1) * ldt], &one, b, &one)
            b[j - 1] = b[j - 1] / t[(j - 1) + (j - 1) * ldt]


# dpotrf / dtrtrs signatures over each base table's BLAS

cdef void potrf_scipy(char* uplo, int* n, double* a, int* lda, int* info) noexcept nogil:
    dpofa(a, lda[0], n[0], info, kernels_table(KERNELS_SCIPY).ddot)


cdef void potrf_ref(char* uplo, int* n, double* a, int* lda, int* info) noexcept nogil:
    dpofa(a, lda[0], n[0], info, kernels_table(KERNELS_REFERENCE).ddot)


cdef inline void trtrs(char* trans, int* n, int* nrhs, double* a, int* lda, double* b,
                       int* ldb, int* info, const Kernels* kn) noexcept nogil:
    cdef int r
    cdef bint tr = trans[0] == b'T' or trans[0] == b't'
    info[0] = 0
    for r in range(nrhs[0]):                # one dtrsl per right-hand side
        dtrsl_upper(a, lda[0], n[0], &b[r * ldb[0]], tr, info, kn.ddot, kn.daxpy)
        if info[0] != 0:
            return


cdef void trtrs_scipy(char* uplo, char* trans, char* diag, int* n, int* nrhs, double* a,
                      int* lda, double* b, int* ldb, int* info) noexcept nogil:
    trtrs(trans, n, nrhs, a, lda, b, ldb, info, kernels_table(KERNELS_SCIPY))


cdef void trtrs_ref(char* uplo, char* trans, char* diag, int* n, int* nrhs, double* a,
                    int* lda, double* b, int* ldb, int* info) noexcept nogil:
    trtrs(trans, n, nrhs, a, lda, b, ldb, info, kernels_table(KERNELS_REFERENCE))


cdef Kernels _LINPACK[2]
_LINPACK[KERNELS_SCIPY] = kernels_table(KERNELS_SCIPY)[0]
_LINPACK[KERNELS_SCIPY].dpotrf = potrf_scipy
_LINPACK[KERNELS_SCIPY].dtrtrs = trtrs_scipy
_LINPACK[KERNELS_REFERENCE] = kernels_table(KERNELS_REFERENCE)[0]
_LINPACK[KERNELS_REFERENCE].dpotrf = potrf_ref
_LINPACK[KERNELS_REFERENCE].dtrtrs = trtrs_ref


cdef const Kernels* linpack_kernels(const Kernels* kn) noexcept nogil:
    if kn == kernels_table(KERNELS_REFERENCE) or kn == &_LINPACK[KERNELS_REFERENCE]:
        return &_LINPACK[KERNELS_REFERENCE]
    return &_LINPACK[KERNELS_SCIPY]


def dpofa_test(double[::1, :] a):
    """LINPACK dpofa on ``a`` in place (tests); returns info."""
    cdef int info = 0
    dpofa(&a[0, 0], a.shape[0], a.shape[1], &info, kernels_table(KERNELS_SCIPY).ddot)
    return info


def dtrsl_test(double[::1, :] t, double[::1] b, bint trans):
    """LINPACK dtrsl (upper, job 11 if ``trans`` else 01) on ``b`` in place; info."""
    cdef int info = 0
    dtrsl_upper(&t[0, 0], t.shape[0], t.shape[1], &b[0], trans, &info,
                kernels_table(KERNELS_SCIPY).ddot, kernels_table(KERNELS_SCIPY).daxpy)
    return info
