cdef void freev(int n, int* nfree, int* index, int* nenter, int* ileave,
                int* indx2, int* iwhere, bint* wrk, bint updatd, bint cnstnd,
                int iprint, int iter) noexcept nogil
