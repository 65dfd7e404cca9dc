"""BLAS/LAPACK kernels: SciPy's, or the port's own in reference order.

``kernels="reference"`` runs the routines below instead of SciPy's OpenBLAS.
Each one is the netlib reference BLAS / LAPACK 3.11 routine (the source of
Debian's ``libblas3`` / ``liblapack3``, package ``lapack`` 3.11.0) transcribed
with its order of floating-point operations kept: the same loops, the same
left-to-right sums, the same quick returns.  Compiled with
``-ffp-contract=off`` and without fast-math (lbfgsb/meson.build), plain
sequential C gives the same bits with any compiler, optimisation level or
instruction set on IEEE double hardware, and the same bits as the Fortran
L-BFGS-B running on Debian's reference libraries.

Only the paths L-BFGS-B takes are transcribed: ``dpotrf`` with ``uplo='U'``
(``'L'`` returns ``info = -1``), ``dtrtrs`` with ``uplo='U'``.  Within them the
general cases are complete (any n, strides, blocked ``dpotrf`` for n > 64).
Argument errors set ``info < 0`` as LAPACK's checks do, without XERBLA's
message.  Loops are written 1-based as in the Fortran: ``A(i, j)`` is
``a[(i - 1) + (j - 1) * lda]``.
"""

from libc.math cimport fabs, sqrt, ldexp, isnan

from scipy.linalg.cython_blas cimport ddot as s_ddot, daxpy as s_daxpy, \
    dcopy as s_dcopy, dscal as s_dscal, dnrm2 as s_dnrm2
from scipy.linalg.cython_lapack cimport dpotrf as s_dpotrf, dtrtrs as s_dtrtrs

KERNELS = {"scipy": KERNELS_SCIPY, "reference": KERNELS_REFERENCE}


# ---------------------------------------------------------------------------
# Level 1 BLAS (BLAS/SRC/ddot.f, daxpy.f, dcopy.f, dscal.f, dnrm2.f90)

cdef double ref_ddot(int* n_, double* dx, int* incx_, double* dy,
                     int* incy_) noexcept nogil:
    cdef int n = n_[0], incx = incx_[0], incy = incy_[0]
    cdef int i, m, ix, iy
    cdef double dtemp = 0.0
    if n <= 0:
        return 0.0
    if incx == 1 and incy == 1:
        m = n % 5
        for i in range(m):
            dtemp = dtemp + dx[i] * dy[i]
        if n < 5:
            return dtemp
        # DTEMP + DX(I)*DY(I) + ... + DX(I+4)*DY(I+4): Fortran sums left to right
        for i in range(m, n, 5):
            dtemp = (dtemp + dx[i] * dy[i] + dx[i + 1] * dy[i + 1]
                     + dx[i + 2] * dy[i + 2] + dx[i + 3] * dy[i + 3]
                     + dx[i + 4] * dy[i + 4])
        return dtemp
    ix = 0 if incx >= 0 else (-n + 1) * incx
    iy = 0 if incy >= 0 else (-n + 1) * incy
    for i in range(n):
        dtemp = dtemp + dx[ix] * dy[iy]
        ix = ix + incx
        iy = iy + incy
    return dtemp


cdef void ref_ddot_multi(int* n_, int* k_, double** dx, double** dy,
                         double* out) noexcept nogil:
    """k unit-stride ddots; four at a time in one pass over the vectors.

    Each sum is ddot.f's (the clean-up loop over the first mod(n, 5)
    elements, then five products added left to right per step): four
    independent chains in one loop, so each keeps its order and its bits,
    and the loop reads a vector shared by several products once per step.
    Fewer than four left over: ref_ddot each."""
    cdef int n = n_[0], k = k_[0]
    cdef int i, j, mm, one = 1
    cdef double t0, t1, t2, t3
    cdef double *x0, *x1, *x2, *x3, *y0, *y1, *y2, *y3
    j = 0
    while j + 4 <= k:
        x0 = dx[j]
        x1 = dx[j + 1]
        x2 = dx[j + 2]
        x3 = dx[j + 3]
        y0 = dy[j]
        y1 = dy[j + 1]
        y2 = dy[j + 2]
        y3 = dy[j + 3]
        t0 = 0.0
        t1 = 0.0
        t2 = 0.0
        t3 = 0.0
        if n > 0:
            mm = n % 5
            for i in range(mm):
                t0 = t0 + x0[i] * y0[i]
                t1 = t1 + x1[i] * y1[i]
                t2 = t2 + x2[i] * y2[i]
                t3 = t3 + x3[i] * y3[i]
            if n >= 5:
                for i in range(mm, n, 5):
                    t0 = (t0 + x0[i] * y0[i] + x0[i + 1] * y0[i + 1]
                          + x0[i + 2] * y0[i + 2] + x0[i + 3] * y0[i + 3]
                          + x0[i + 4] * y0[i + 4])
                    t1 = (t1 + x1[i] * y1[i] + x1[i + 1] * y1[i + 1]
                          + x1[i + 2] * y1[i + 2] + x1[i + 3] * y1[i + 3]
                          + x1[i + 4] * y1[i + 4])
                    t2 = (t2 + x2[i] * y2[i] + x2[i + 1] * y2[i + 1]
                          + x2[i + 2] * y2[i + 2] + x2[i + 3] * y2[i + 3]
                          + x2[i + 4] * y2[i + 4])
                    t3 = (t3 + x3[i] * y3[i] + x3[i + 1] * y3[i + 1]
                          + x3[i + 2] * y3[i + 2] + x3[i + 3] * y3[i + 3]
                          + x3[i + 4] * y3[i + 4])
        out[j] = t0
        out[j + 1] = t1
        out[j + 2] = t2
        out[j + 3] = t3
        j = j + 4
    while j < k:
        out[j] = ref_ddot(n_, dx[j], &one, dy[j], &one)
        j = j + 1


cdef void s_ddot_multi(int* n, int* k, double** dx, double** dy,
                       double* out) noexcept nogil:
    """k calls of SciPy's ddot, in the order j = 1..k."""
    cdef int j, one = 1
    for j in range(k[0]):
        out[j] = s_ddot(n, dx[j], &one, dy[j], &one)


cdef void ref_daxpy(int* n_, double* da_, double* dx, int* incx_, double* dy,
                    int* incy_) noexcept nogil:
    cdef int n = n_[0], incx = incx_[0], incy = incy_[0]
    cdef double da = da_[0]
    cdef int i, ix, iy
    if n <= 0:
        return
    if da == 0.0:
        return
    if incx == 1 and incy == 1:
        # (unrolled by 4 in the Fortran: element-wise, the same bits)
        for i in range(n):
            dy[i] = dy[i] + da * dx[i]
        return
    ix = 0 if incx >= 0 else (-n + 1) * incx
    iy = 0 if incy >= 0 else (-n + 1) * incy
    for i in range(n):
        dy[iy] = dy[iy] + da * dx[ix]
        ix = ix + incx
        iy = iy + incy


cdef void ref_dcopy(int* n_, double* dx, int* incx_, double* dy,
                    int* incy_) noexcept nogil:
    cdef int n = n_[0], incx = incx_[0], incy = incy_[0]
    cdef int i, ix, iy
    if n <= 0:
        return
    if incx == 1 and incy == 1:
        # forward, element by element (the port's overlapping shifts in
        # matupd rely on this order, as the Fortran's do)
        for i in range(n):
            dy[i] = dx[i]
        return
    ix = 0 if incx >= 0 else (-n + 1) * incx
    iy = 0 if incy >= 0 else (-n + 1) * incy
    for i in range(n):
        dy[iy] = dx[ix]
        ix = ix + incx
        iy = iy + incy


cdef void ref_dscal(int* n_, double* da_, double* dx, int* incx_) noexcept nogil:
    cdef int n = n_[0], incx = incx_[0]
    cdef double da = da_[0]
    cdef int i
    if n <= 0 or incx <= 0 or da == 1.0:
        return
    for i in range(n):
        dx[i * incx] = da * dx[i * incx]


# dnrm2.f90's constants for IEEE double (radix 2, digits 53, exponents
# -1021..1024): tsml = 2**-511, tbig = 2**486, ssml = 2**537, sbig = 2**-538
cdef double TSML = ldexp(1.0, -511)
cdef double TBIG = ldexp(1.0, 486)
cdef double SSML = ldexp(1.0, 537)
cdef double SBIG = ldexp(1.0, -538)
cdef double MAXN = 1.7976931348623157e308


cdef double ref_dnrm2(int* n_, double* x, int* incx_) noexcept nogil:
    """Blue's scaled sum of squares (dnrm2.f90, LAPACK >= 3.10)."""
    cdef int n = n_[0], incx = incx_[0]
    cdef int i, ix
    cdef bint notbig = True
    cdef double asml = 0.0, amed = 0.0, abig = 0.0
    cdef double ax, t, scl, sumsq, ymin, ymax, r
    if n <= 0:
        return 0.0
    ix = 0 if incx >= 0 else -(n - 1) * incx
    for i in range(n):
        ax = fabs(x[ix])
        if ax > TBIG:
            t = ax * SBIG
            abig = abig + t * t
            notbig = False
        elif ax < TSML:
            if notbig:
                t = ax * SSML
                asml = asml + t * t
        else:
            amed = amed + ax * ax
        ix = ix + incx
    if abig > 0.0:
        if amed > 0.0 or amed > MAXN or amed != amed:
            abig = abig + (amed * SBIG) * SBIG
        scl = 1.0 / SBIG
        sumsq = abig
    elif asml > 0.0:
        if amed > 0.0 or amed > MAXN or amed != amed:
            amed = sqrt(amed)
            asml = sqrt(asml) / SSML
            if asml > amed:
                ymin = amed
                ymax = asml
            else:
                ymin = asml
                ymax = amed
            scl = 1.0
            r = ymin / ymax
            sumsq = (ymax * ymax) * (1.0 + r * r)
        else:
            scl = 1.0 / SSML
            sumsq = asml
    else:
        scl = 1.0
        sumsq = amed
    return scl * sqrt(sumsq)


# ---------------------------------------------------------------------------
# Level 3 BLAS, the cases dpotrf / dtrtrs use (dsyrk.f, dgemm.f, dtrsm.f).
# dpotrf calls dsyrk and dgemm with alpha = -1, beta = 1 only: their quick
# returns are kept, their alpha = 0 branch (scale C by beta) is left out.

cdef void gemm_tn(int m, int n, int k, double alpha, double* a, int lda,
                  double* b, int ldb, double beta, double* c,
                  int ldc) noexcept nogil:
    """DGEMM('Transpose', 'No transpose'): C := alpha A**T B + beta C."""
    cdef int i, j, l
    cdef double temp
    if m == 0 or n == 0 or ((alpha == 0.0 or k == 0) and beta == 1.0):
        return
    for j in range(1, n + 1):
        for i in range(1, m + 1):
            temp = 0.0
            for l in range(1, k + 1):
                temp = temp + a[(l - 1) + (i - 1) * lda] * b[(l - 1) + (j - 1) * ldb]
            if beta == 0.0:
                c[(i - 1) + (j - 1) * ldc] = alpha * temp
            else:
                c[(i - 1) + (j - 1) * ldc] = alpha * temp + beta * c[(i - 1) + (j - 1) * ldc]


cdef void syrk_ut(int n, int k, double alpha, double* a, int lda, double beta,
                  double* c, int ldc) noexcept nogil:
    """DSYRK('Upper', 'Transpose'): C := alpha A**T A + beta C (upper part).

    DSYRK's loop for column j (I = 1..J: TEMP = sum over L of A(L,I)*A(L,J),
    C(I,J) = ALPHA*TEMP + BETA*C(I,J)) is DGEMM('T', 'N')'s loop with
    M = J, N = 1, B = A(:,J), with the same quick return: one code for both."""
    cdef int j
    if n == 0 or ((alpha == 0.0 or k == 0) and beta == 1.0):
        return
    for j in range(1, n + 1):
        gemm_tn(j, 1, k, alpha, a, lda, &a[(j - 1) * lda], lda, beta,
                &c[(j - 1) * ldc], ldc)


cdef void trsm_lu(bint trans, bint nounit, int m, int n, double alpha,
                  double* a, int lda, double* b, int ldb) noexcept nogil:
    """DTRSM('Left', 'Upper', trans ? 'T' : 'N', nounit ? 'N' : 'U'):
    solve op(A) X = alpha B, X overwriting B."""
    cdef int i, j, k
    cdef double temp
    if m == 0 or n == 0:
        return
    if alpha == 0.0:
        for j in range(1, n + 1):
            for i in range(1, m + 1):
                b[(i - 1) + (j - 1) * ldb] = 0.0
        return
    if not trans:
        # B := alpha inv(A) B
        for j in range(1, n + 1):
            if alpha != 1.0:
                for i in range(1, m + 1):
                    b[(i - 1) + (j - 1) * ldb] = alpha * b[(i - 1) + (j - 1) * ldb]
            for k in range(m, 0, -1):
                if b[(k - 1) + (j - 1) * ldb] != 0.0:
                    if nounit:
                        b[(k - 1) + (j - 1) * ldb] = (b[(k - 1) + (j - 1) * ldb]
                                                      / a[(k - 1) + (k - 1) * lda])
                    for i in range(1, k):
                        b[(i - 1) + (j - 1) * ldb] = (b[(i - 1) + (j - 1) * ldb]
                            - b[(k - 1) + (j - 1) * ldb] * a[(i - 1) + (k - 1) * lda])
    else:
        # B := alpha inv(A**T) B
        for j in range(1, n + 1):
            for i in range(1, m + 1):
                temp = alpha * b[(i - 1) + (j - 1) * ldb]
                for k in range(1, i):
                    temp = temp - a[(k - 1) + (i - 1) * lda] * b[(k - 1) + (j - 1) * ldb]
                if nounit:
                    temp = temp / a[(i - 1) + (i - 1) * lda]
                b[(i - 1) + (j - 1) * ldb] = temp


# ---------------------------------------------------------------------------
# LAPACK (SRC/dpotrf.f, dpotrf2.f, dtrtrs.f; ilaenv.f gives NB = 64 for DPOTRF)

cdef inline bint is_char(char c, char upper_case) noexcept nogil:
    """LSAME: case-insensitive comparison of one character."""
    return c == upper_case or c == upper_case + 32


cdef void potrf2_u(int n, double* a, int lda, int* info) noexcept nogil:
    """DPOTRF2('U'): recursive Cholesky A = U**T U of the leading n x n block."""
    cdef int n1, n2, iinfo = 0
    info[0] = 0
    if n == 0:
        return
    if n == 1:
        if a[0] <= 0.0 or isnan(a[0]):
            info[0] = 1
            return
        a[0] = sqrt(a[0])
        return
    n1 = n // 2
    n2 = n - n1
    potrf2_u(n1, a, lda, &iinfo)
    if iinfo != 0:
        info[0] = iinfo
        return
    trsm_lu(True, True, n1, n2, 1.0, a, lda, &a[n1 * lda], lda)
    syrk_ut(n2, n1, -1.0, &a[n1 * lda], lda, 1.0, &a[n1 + n1 * lda], lda)
    potrf2_u(n2, &a[n1 + n1 * lda], lda, &iinfo)
    if iinfo != 0:
        info[0] = iinfo + n1


cdef int POTRF_NB = 64      # ILAENV(1, 'DPOTRF', ...) in LAPACK 3.11


cdef void ref_dpotrf(char* uplo, int* n_, double* a, int* lda_,
                     int* info) noexcept nogil:
    cdef int n = n_[0], lda = lda_[0]
    cdef int j, jb, nb = POTRF_NB
    info[0] = 0
    if not is_char(uplo[0], b'U'):
        info[0] = -1        # 'L' included: not transcribed (L-BFGS-B uses 'U')
        return
    if n < 0:
        info[0] = -2
        return
    if lda < max(1, n):
        info[0] = -4
        return
    if n == 0:
        return
    if nb <= 1 or nb >= n:
        potrf2_u(n, a, lda, info)
        return
    j = 1
    while j <= n:                       # DO 10 J = 1, N, NB
        jb = min(nb, n - j + 1)
        syrk_ut(jb, j - 1, -1.0, &a[(j - 1) * lda], lda, 1.0,
                &a[(j - 1) + (j - 1) * lda], lda)
        potrf2_u(jb, &a[(j - 1) + (j - 1) * lda], lda, info)
        if info[0] != 0:
            info[0] = info[0] + j - 1
            return
        if j + jb <= n:
            gemm_tn(jb, n - j - jb + 1, j - 1, -1.0, &a[(j - 1) * lda], lda,
                    &a[(j + jb - 1) * lda], lda, 1.0,
                    &a[(j - 1) + (j + jb - 1) * lda], lda)
            trsm_lu(True, True, jb, n - j - jb + 1, 1.0,
                    &a[(j - 1) + (j - 1) * lda], lda,
                    &a[(j - 1) + (j + jb - 1) * lda], lda)
        j = j + nb


cdef void ref_dtrtrs(char* uplo, char* trans, char* diag, int* n_, int* nrhs_,
                     double* a, int* lda_, double* b, int* ldb_,
                     int* info) noexcept nogil:
    cdef int n = n_[0], nrhs = nrhs_[0], lda = lda_[0], ldb = ldb_[0]
    cdef int i
    cdef bint nounit = is_char(diag[0], b'N')
    cdef bint tr = is_char(trans[0], b'T') or is_char(trans[0], b'C')
    info[0] = 0
    if not is_char(uplo[0], b'U'):
        info[0] = -1        # 'L' included: not transcribed (L-BFGS-B uses 'U')
    elif not is_char(trans[0], b'N') and not tr:
        info[0] = -2
    elif not nounit and not is_char(diag[0], b'U'):
        info[0] = -3
    elif n < 0:
        info[0] = -4
    elif nrhs < 0:
        info[0] = -5
    elif lda < max(1, n):
        info[0] = -7
    elif ldb < max(1, n):
        info[0] = -9
    if info[0] != 0 or n == 0:
        return
    if nounit:
        for i in range(1, n + 1):
            if a[(i - 1) + (i - 1) * lda] == 0.0:
                info[0] = i
                return
    trsm_lu(tr, nounit, n, nrhs, 1.0, a, lda, b, ldb)


# ---------------------------------------------------------------------------
# the two tables

cdef Kernels _TABLES[2]
_TABLES[KERNELS_SCIPY].ddot = s_ddot
_TABLES[KERNELS_SCIPY].daxpy = s_daxpy
_TABLES[KERNELS_SCIPY].dcopy = s_dcopy
_TABLES[KERNELS_SCIPY].dscal = s_dscal
_TABLES[KERNELS_SCIPY].dnrm2 = s_dnrm2
_TABLES[KERNELS_SCIPY].ddot_multi = s_ddot_multi
_TABLES[KERNELS_SCIPY].dpotrf = s_dpotrf
_TABLES[KERNELS_SCIPY].dtrtrs = s_dtrtrs
_TABLES[KERNELS_REFERENCE].ddot = ref_ddot
_TABLES[KERNELS_REFERENCE].daxpy = ref_daxpy
_TABLES[KERNELS_REFERENCE].dcopy = ref_dcopy
_TABLES[KERNELS_REFERENCE].dscal = ref_dscal
_TABLES[KERNELS_REFERENCE].dnrm2 = ref_dnrm2
_TABLES[KERNELS_REFERENCE].ddot_multi = ref_ddot_multi
_TABLES[KERNELS_REFERENCE].dpotrf = ref_dpotrf
_TABLES[KERNELS_REFERENCE].dtrtrs = ref_dtrtrs


cdef const Kernels* kernels_table(int which) noexcept nogil:
    return &_TABLES[which]


def kernels_code(kernels):
    """The code of a ``kernels`` option; ``ValueError`` for an unknown one."""
    try:
        return KERNELS[kernels]
    except (KeyError, TypeError):
        raise ValueError(f"unknown kernels {kernels!r}; expected one of "
                         f"{sorted(KERNELS)}") from None


# ---------------------------------------------------------------------------
# Python access for the unit tests (tests/test_kernels.py compares each kernel
# with the system's libblas / liblapack).  Arrays are flat float64; the caller
# sizes them for n and the strides.

cdef const Kernels* kernels_for(kernels) except NULL:
    """The table for a ``kernels`` option (\"scipy\" or \"reference\")."""
    return kernels_table(kernels_code(kernels))


def call_ddot(kernels, int n, double[::1] x, int incx, double[::1] y, int incy):
    return kernels_for(kernels).ddot(&n, &x[0], &incx, &y[0], &incy)


def call_ddot_multi(kernels, int n, list xs, list ys):
    """ddot(n, xs[j], 1, ys[j], 1) for every j, through ddot_multi: a list."""
    cdef int k = len(xs), j
    cdef double[::1] v
    if len(ys) != k or k > 64:
        raise ValueError("xs and ys: lists of one length <= 64")
    cdef double* px[64]
    cdef double* py[64]
    cdef double out[64]
    for j in range(k):
        v = xs[j]
        if v.shape[0] < n:
            raise ValueError("vector shorter than n")
        px[j] = &v[0]
        v = ys[j]
        if v.shape[0] < n:
            raise ValueError("vector shorter than n")
        py[j] = &v[0]
    kernels_for(kernels).ddot_multi(&n, &k, px, py, out)
    return [out[j] for j in range(k)]


def call_daxpy(kernels, int n, double da, double[::1] x, int incx,
               double[::1] y, int incy):
    kernels_for(kernels).daxpy(&n, &da, &x[0], &incx, &y[0], &incy)


def call_dcopy(kernels, int n, double[::1] x, int incx, double[::1] y, int incy):
    kernels_for(kernels).dcopy(&n, &x[0], &incx, &y[0], &incy)


def call_dscal(kernels, int n, double da, double[::1] x, int incx):
    kernels_for(kernels).dscal(&n, &da, &x[0], &incx)


def call_dnrm2(kernels, int n, double[::1] x, int incx):
    return kernels_for(kernels).dnrm2(&n, &x[0], &incx)


def call_dpotrf(kernels, bytes uplo, int n, double[::1] a, int lda):
    """Factor the column-major n x n block of ``a`` in place; return info."""
    cdef int info = 0
    cdef char* u = uplo
    kernels_for(kernels).dpotrf(u, &n, &a[0], &lda, &info)
    return info


def call_dtrtrs(kernels, bytes uplo, bytes trans, bytes diag, int n, int nrhs,
                double[::1] a, int lda, double[::1] b, int ldb):
    """Solve in place in ``b``; return info."""
    cdef int info = 0
    cdef char* u = uplo
    cdef char* t = trans
    cdef char* d = diag
    kernels_for(kernels).dtrtrs(u, t, d, &n, &nrhs, &a[0], &lda, &b[0], &ldb, &info)
    return info
