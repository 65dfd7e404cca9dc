cdef void bmv(int m, double* sy, double* wt, int col, double* v, double* p,
              int* info) noexcept nogil
