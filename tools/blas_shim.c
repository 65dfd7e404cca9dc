/*
 * blas_shim.c -- forward the BLAS/LAPACK symbols imported by Debian's
 * liblbfgsb.so.0 to SciPy's bundled OpenBLAS (symbols prefixed "scipy_").
 *
 * liblbfgsb.so.0 imports exactly: ddot_ daxpy_ dcopy_ dscal_ dpotrf_ dtrtrs_
 * (see `nm -D /usr/lib/x86_64-linux-gnu/liblbfgsb.so.0`).  All are Fortran
 * ABI: every argument by reference; CHARACTER arguments add hidden length
 * arguments (size_t with gfortran >= 8) after the regular ones.  SciPy's
 * libscipy_openblas exports the same routines as scipy_<name>_ with the same
 * (LP64, 32-bit integer) Fortran ABI, and these are the very addresses that
 * scipy.linalg.cython_blas / cython_lapack hand out.
 *
 * Built at run time by tools/fortran.py:
 *   cc -O2 -shared -fPIC -Wl,-soname,<name> blas_shim.c <libscipy_openblas.so>
 *      -Wl,-rpath,<scipy.libs>
 */
#include <stddef.h>

typedef int f_int;           /* LP64 Fortran INTEGER */
typedef size_t f_len;        /* gfortran hidden CHARACTER length */

extern double scipy_ddot_(const f_int *n, const double *x, const f_int *incx,
                          const double *y, const f_int *incy);
extern void scipy_daxpy_(const f_int *n, const double *a, const double *x,
                         const f_int *incx, double *y, const f_int *incy);
extern void scipy_dcopy_(const f_int *n, const double *x, const f_int *incx,
                         double *y, const f_int *incy);
extern void scipy_dscal_(const f_int *n, const double *a, double *x,
                         const f_int *incx);
extern void scipy_dpotrf_(const char *uplo, const f_int *n, double *a,
                          const f_int *lda, f_int *info, f_len luplo);
extern void scipy_dtrtrs_(const char *uplo, const char *trans, const char *diag,
                          const f_int *n, const f_int *nrhs, const double *a,
                          const f_int *lda, double *b, const f_int *ldb,
                          f_int *info, f_len luplo, f_len ltrans, f_len ldiag);

/* marker so tools/fortran.py can recognise this library */
int lbfgsb_blas_shim_marker_(void) { return 0x5c1b1a5; }

double ddot_(const f_int *n, const double *x, const f_int *incx,
             const double *y, const f_int *incy)
{
    return scipy_ddot_(n, x, incx, y, incy);
}

void daxpy_(const f_int *n, const double *a, const double *x,
            const f_int *incx, double *y, const f_int *incy)
{
    scipy_daxpy_(n, a, x, incx, y, incy);
}

void dcopy_(const f_int *n, const double *x, const f_int *incx,
            double *y, const f_int *incy)
{
    scipy_dcopy_(n, x, incx, y, incy);
}

void dscal_(const f_int *n, const double *a, double *x, const f_int *incx)
{
    scipy_dscal_(n, a, x, incx);
}

void dpotrf_(const char *uplo, const f_int *n, double *a, const f_int *lda,
             f_int *info, f_len luplo)
{
    scipy_dpotrf_(uplo, n, a, lda, info, luplo);
}

void dtrtrs_(const char *uplo, const char *trans, const char *diag,
             const f_int *n, const f_int *nrhs, const double *a,
             const f_int *lda, double *b, const f_int *ldb, f_int *info,
             f_len luplo, f_len ltrans, f_len ldiag)
{
    scipy_dtrtrs_(uplo, trans, diag, n, nrhs, a, lda, b, ldb, info,
                  luplo, ltrans, ldiag);
}
