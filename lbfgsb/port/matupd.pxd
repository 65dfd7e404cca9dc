from lbfgsb.port.kernels cimport Kernels

cdef void matupd(int n, int m, double* ws, double* wy, double* sy, double* ss,
                 double* d, double* r, int* itail, int iupdat, int* col,
                 int* head, double* theta, double rr, double dr, double stp,
                 double dtd, const Kernels* kn) noexcept nogil
