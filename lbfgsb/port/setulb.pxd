from lbfgsb.port.kernels cimport Kernels

cdef void setulb(int n, int m, double* x, double* l, double* u, int* nbd,
                 double* f, double* g, double factr, double pgtol, double* wa,
                 int* iwa, char* task, int iprint, char* csave, int* lsave,
                 int* isave, double* dsave, int maxls, int flavour, const Kernels* kn) noexcept nogil

cdef void mainlb(int n, int m, double* x, double* l, double* u, int* nbd,
                 double* f, double* g, double factr, double pgtol, double* ws,
                 double* wy, double* sy, double* ss, double* wt, double* wn,
                 double* snd, double* z, double* r, double* d, double* t,
                 double* xp, double* wa, int* index, int* iwhere, int* indx2,
                 char* task, int iprint, char* csave, int* lsave, int* isave,
                 double* dsave, int maxls, int flavour, const Kernels* kn) noexcept nogil
