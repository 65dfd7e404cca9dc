from lbfgsb.port.kernels cimport Kernels

cdef void formk(int n, int nsub, int* ind, int nenter, int ileave, int* indx2,
                int iupdat, bint updatd, double* wn, double* wn1, int m,
                double* ws, double* wy, double* sy, double theta, int col,
                int head, int* info, int flavour, const Kernels* kn) noexcept nogil

cdef void formt(int m, double* wt, double* sy, double* ss, int col,
                double theta, int* info, const Kernels* kn) noexcept nogil
