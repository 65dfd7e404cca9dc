from lbfgsb.port.kernels cimport Kernels

cdef void lnsrlb(int n, double* l, double* u, int* nbd, double* x, double f,
                 double* fold, double* gd, double* gdold, double* g, double* d,
                 double* r, double* t, double* z, double* stp, double* dnorm,
                 double* dtd, double* xstep, double* stpmx, int iter,
                 int* ifun, int* iback, int* nfgv, int* info, char* task,
                 bint boxed, bint cnstnd, char* csave, int* isave,
                 double* dsave, int iprint, int flavour, const Kernels* kn) noexcept nogil

cdef void dcsrch(double f, double g, double* stp, double ftol, double gtol,
                 double xtol, double stpmin, double stpmax, char* task,
                 int* isave, double* dsave) noexcept nogil

cdef void dcstep(double* stx, double* fx, double* dx, double* sty, double* fy,
                 double* dy, double* stp, double fp, double dp, bint* brackt,
                 double stpmin, double stpmax) noexcept nogil
