cdef void errclb(int n, int m, double factr, double* l, double* u, int* nbd,
                 char* task, int* info, int* k) noexcept nogil
