cdef void active(int n, double* l, double* u, int* nbd, double* x,
                 int* iwhere, int iprint, bint* prjctd, bint* cnstnd,
                 bint* boxed) noexcept nogil
