# The BLAS/LAPACK routines L-BFGS-B calls, as a table of function pointers.
#
# Two tables: SciPy's (scipy.linalg.cython_blas / cython_lapack, i.e. OpenBLAS:
# bits depend on the CPU) and the port's own reference-order kernels (the
# netlib BLAS / LAPACK 3.11 order of operations, as Debian's libblas3 /
# liblapack3 compute them: the same bits on every IEEE machine).  A run picks
# its table once (kernels_table) and hands the pointer down, so that a call
# site keeps the Fortran's shape:  kn.ddot(&n, d, &one, d, &one).
# Signatures are SciPy's (its BLAS integer is C int).

ctypedef double (*ddot_t)(int* n, double* dx, int* incx, double* dy,
                          int* incy) noexcept nogil
ctypedef void (*daxpy_t)(int* n, double* da, double* dx, int* incx,
                         double* dy, int* incy) noexcept nogil
ctypedef void (*dcopy_t)(int* n, double* dx, int* incx, double* dy,
                         int* incy) noexcept nogil
ctypedef void (*dscal_t)(int* n, double* da, double* dx, int* incx) noexcept nogil
ctypedef double (*dnrm2_t)(int* n, double* x, int* incx) noexcept nogil
# out(j) := ddot(n, dx(j), 1, dy(j), 1) for j = 1..k: k independent sums
# (the port's addition: a reference set computes them in one pass, each in
# ddot's own order; SciPy's set calls its ddot k times)
ctypedef void (*ddot_multi_t)(int* n, int* k, double** dx, double** dy,
                              double* out) noexcept nogil
ctypedef void (*dpotrf_t)(char* uplo, int* n, double* a, int* lda,
                          int* info) noexcept nogil
ctypedef void (*dtrtrs_t)(char* uplo, char* trans, char* diag, int* n,
                          int* nrhs, double* a, int* lda, double* b, int* ldb,
                          int* info) noexcept nogil

cdef struct Kernels:
    ddot_t ddot
    daxpy_t daxpy
    dcopy_t dcopy
    dscal_t dscal
    dnrm2_t dnrm2
    ddot_multi_t ddot_multi
    dpotrf_t dpotrf
    dtrtrs_t dtrtrs

cdef enum:
    KERNELS_SCIPY = 0       # SciPy's cython_blas / cython_lapack (the default)
    KERNELS_REFERENCE = 1   # the port's own, in netlib reference order

# the table for a kernels code (KERNELS_SCIPY or KERNELS_REFERENCE)
cdef const Kernels* kernels_table(int which) noexcept nogil

# the table for a Python-level ``kernels`` option; ValueError for an unknown one
cdef const Kernels* kernels_for(kernels) except NULL
