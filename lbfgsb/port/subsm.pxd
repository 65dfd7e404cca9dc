from lbfgsb.port.kernels cimport Kernels

cdef void cmprlb(int n, int m, double* x, double* g, double* ws, double* wy,
                 double* sy, double* wt, double* z, double* r, double* wa,
                 int* index, double theta, int col, int head, int nfree,
                 bint cnstnd, int* info, const Kernels* kn) noexcept nogil

cdef void subsm(int n, int m, int nsub, int* ind, double* l, double* u,
                int* nbd, double* x, double* d, double* xp, double* ws,
                double* wy, double theta, double* xx, double* gg, int col,
                int head, int* iword, double* wv, double* wn, int iprint,
                int* info, const Kernels* kn) noexcept nogil
