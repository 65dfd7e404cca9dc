from lbfgsb.port.kernels cimport Kernels

cdef void bmv(int m, double* sy, double* wt, int col, double* v, double* p,
              int* info, const Kernels* kn) noexcept nogil
