cdef void projgr(int n, double* l, double* u, int* nbd, double* x, double* g,
                 double* sbgnrm) noexcept nogil
