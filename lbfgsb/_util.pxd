from lbfgsb._kernels cimport Kernels

cdef void active(int n, double* l, double* u, int* nbd, double* x,
                 int* iwhere, int iprint, bint* prjctd, bint* cnstnd,
                 bint* boxed) noexcept nogil

cdef void errclb(int n, int m, double factr, double* l, double* u, int* nbd,
                 char* task, int* info, int* k) noexcept nogil

cdef void freev(int n, int* nfree, int* index, int* nenter, int* ileave,
                int* indx2, int* iwhere, bint* wrk, bint updatd, bint cnstnd,
                int iprint, int iter) noexcept nogil

cdef void matupd(int n, int m, double* ws, double* wy, double* sy, double* ss,
                 double* d, double* r, int* itail, int iupdat, int* col,
                 int* head, double* theta, double rr, double dr, double stp,
                 double dtd, const Kernels* kn) noexcept nogil

cdef void projgr(int n, double* l, double* u, int* nbd, double* x, double* g,
                 double* sbgnrm) noexcept nogil
