from lbfgsb.port.kernels cimport Kernels

# The state of one L-BFGS-B run and the steps of its reverse-communication
# loop, shared by the ask/tell Solver, the batch solver and the compiled
# loop of minimize (_driver.drive): one place for the handling of
# NEW_X (iteration count, maxiter / maxfun stops, callback halt).

cdef enum:
    RUN_DONE = 0        # task is neither FG nor NEW_X: the run has ended
    RUN_FG = 1          # task FG_START / FG_LNSRCH: f and g wanted at x
    RUN_NEW_X = 2       # task NEW_X: x is a new iterate


cdef struct Run:
    # setulb's arguments (arrays are owned by the caller)
    int n, m
    double* x               # the point setulb works on (n)
    double* l               # lower bounds (n)
    double* u               # upper bounds (n)
    int* nbd                # bound types (n)
    double f                # f at x as the caller last set it
    double* g               # g at x (n)
    double factr, pgtol
    double* wa
    int* iwa
    char task[60]
    char csave[60]
    int iprint
    int* lsave
    int* isave
    double* dsave
    int maxls, flavour
    const Kernels* kn       # the BLAS/LAPACK table (kernels="scipy" / "reference")
    # SciPy's counting and stopping rules
    long nit                # iterations: NEW_X seen
    long nfev               # f, g evaluations
    long maxiter, maxfun
    # the last accepted iterate (xk == NULL: not kept)
    double* xk
    double* gk
    double fk
    # the last evaluated point, for SciPy's rule "evaluate again only at a
    # new x" (xe == NULL: no such memory)
    double* xe
    double* ge
    double fe
    bint have_e


cdef int run_step(Run* r) noexcept nogil
cdef bint f_by_value(const Run* r) noexcept nogil
cdef void run_new_x(Run* r, bint halt) noexcept nogil
cdef int run_advance(Run* r) noexcept nogil
cdef int run_tell(Run* r, double f) noexcept nogil
cdef bint run_reuse(Run* r) noexcept nogil
cdef void run_record(Run* r) noexcept nogil


cdef void sync_kept(Run* r) noexcept nogil
cdef bint running(Run* r) noexcept nogil
