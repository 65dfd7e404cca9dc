from lbfgsb.port.kernels cimport Kernels

cdef void cauchy(int n, double* x, double* l, double* u, int* nbd, double* g,
                 int* iorder, int* iwhere, double* t, double* d, double* xcp,
                 int m, double* wy, double* ws, double* sy, double* wt,
                 double theta, int col, int head, double* p, double* c,
                 double* wbp, double* v, int* nseg, int iprint, double sbgnrm,
                 int* info, double epsmch, int flavour, const Kernels* kn) noexcept nogil

cdef void hpsolb(int n, double* t, int* iorder, int iheap) noexcept nogil
