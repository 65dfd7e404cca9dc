# The iprint trace: prn1lb, prn2lb, prn3lb and the line writer every routine
# uses for its own messages.  Output goes to Python's sys.stdout (so that
# notebooks, pytest's capsys and redirect_stdout see it); writing takes the GIL
# only when iprint asks for output.

cdef void prn1lb(int n, int m, double* l, double* u, double* x, int iprint,
                 int itfile, double epsmch) noexcept nogil

cdef void prn2lb(int n, double* x, double f, double* g, int iprint,
                 int itfile, int iter, int nfgv, int nact, double sbgnrm,
                 int nseg, char* word, int iword, int iback, double stp,
                 double xstep) noexcept nogil

cdef void prn3lb(int n, double* x, double f, char* task, int iprint, int info,
                 int itfile, int iter, int nfgv, int nintol, int nskip,
                 int nact, double sbgnrm, double time, int nseg, char* word,
                 int iback, double stp, double xstep, int k, double cachyt,
                 double sbtime, double lnscht) noexcept nogil

# write one line (a newline is appended) to sys.stdout
cdef void writeln(const char* line) noexcept nogil


# ---------------------------------------------------------------------------
# Fortran edit-descriptor emulation (gfortran's output, byte for byte).  Each
# writes exactly its field width plus a terminating NUL into `out` (which
# must hold at least w + 1 bytes; 26 for the list-directed real) and returns
# the number of characters written.

# 1P,Ew.d / 1P,Dw.d field (ech = 'E' or 'D'); '+eee' form for |exp| > 99
cdef int fmt_ed(char* out, double x, int w, int d, char ech) noexcept nogil
# Iw field ('*' * w when the value does not fit)
cdef int fmt_i(char* out, int v, int w) noexcept nogil
# list-directed INTEGER item: 11 characters, right-justified
cdef int fmt_ld_int(char* out, int v) noexcept nogil
# list-directed DOUBLE PRECISION item: 25 characters (gfortran's 1PG25.17E3 layout)
cdef int fmt_ld_real(char* out, double x) noexcept nogil

# A record under construction: write(6,*) list-directed lines item by item.
cdef enum:
    LINE_MAX = 256

cdef struct Line:
    char buf[256]
    int len
    int last        # 0: no item yet, 1: last item was character, 2: numeric

# start an empty list-directed record
cdef void ld_begin(Line* r) noexcept nogil
# list-directed character item (no separator after a character item)
cdef void ld_str(Line* r, const char* s) noexcept nogil
# list-directed integer item
cdef void ld_int(Line* r, int v) noexcept nogil
# list-directed double precision item
cdef void ld_real(Line* r, double x) noexcept nogil
# write the record (an empty record gives an empty line)
cdef void ld_end(Line* r) noexcept nogil

# ---------------------------------------------------------------------------
# Messages of the other routines.  Callers guard them with the Fortran's
# iprint condition (given in each comment).

# cauchy: write(6,*) 'Subgnorm = 0.  GCP = X.'            (iprint >= 0)
cdef void write_cauchy_subgnorm_zero() noexcept nogil
# cauchy: format 3010, '---- CAUCHY entered ----'         (iprint >= 99)
cdef void write_cauchy_entered() noexcept nogil
# cauchy: write(6,*) 'There are ',nbreak,'  breakpoints '  (iprint >= 99)
cdef void write_cauchy_breakpoints(int nbreak) noexcept nogil
# cauchy: formats 4011, 5010, 6010 (piece nseg, f1, f2; dt; dtm)
#         (dt != 0 and iprint >= 100)
cdef void write_cauchy_piece(int nseg, double f1, double f2, double dt,
                             double dtm) noexcept nogil
# cauchy: write(6,*) 'Variable  ',ibp,'  is fixed.'        (iprint >= 100)
cdef void write_cauchy_fixed(int ibp) noexcept nogil
# cauchy label 888: blank line, 'GCP found in this segment', formats 4010, 6010
#         (iprint >= 99)
cdef void write_cauchy_gcp(int nseg, double f1, double f2,
                           double dtm) noexcept nogil
# cauchy: format 1010, 'Cauchy X =  ' and xcp(1:n), 6 per line (iprint > 100)
cdef void write_cauchy_x(int n, double* xcp) noexcept nogil
# cauchy: format 2010, '---- exit CAUCHY ----'            (iprint >= 99)
cdef void write_cauchy_exit() noexcept nogil

# subsm: format 1001, '----SUBSM entered----'             (iprint >= 99)
cdef void write_subsm_entered() noexcept nogil
# subsm: write(6,*) ' Positive dir derivative in projection ' and
#        ' Using the backtracking step '                   (iprint >= 0)
cdef void write_subsm_positive_dir() noexcept nogil
# subsm: format 1004, '----exit SUBSM ----'               (iprint >= 99)
cdef void write_subsm_exit() noexcept nogil

# lnsrlb: write(6,*) ' ascent direction in projection gd = ', gd  (iprint >= 0)
cdef void write_lnsrlb_ascent(double gd) noexcept nogil

# active: write(6,*) 'The initial X is infeasible.  Restart with its projection.'
#         (iprint >= 0 and prjctd)
cdef void write_active_infeasible() noexcept nogil
# active: write(6,*) 'This problem is unconstrained.'  (iprint >= 0 and not cnstnd)
cdef void write_active_unconstrained() noexcept nogil
# active: format 1001, 'At X0 ', nbdd, ' variables are exactly at the bounds'
#         (iprint > 0)
cdef void write_active_nbdd(int nbdd) noexcept nogil

# freev: write(6,*) 'Variable ',k,' leaves the set of free variables'  (iprint >= 100)
cdef void write_freev_leaves(int k) noexcept nogil
# freev: write(6,*) 'Variable ',k,' enters the set of free variables'  (iprint >= 100)
cdef void write_freev_enters(int k) noexcept nogil
# freev: write(6,*) nleave,' variables leave; ',nenter,' variables enter'
#        (iprint >= 99; the caller passes nleave = n+1-ileave)
cdef void write_freev_counts(int nleave, int nenter) noexcept nogil
# freev: write(6,*) nfree,' variables are free at GCP ',iter + 1
#        (iprint >= 99; the caller passes iter + 1)
cdef void write_freev_nfree(int nfree, int iterp1) noexcept nogil

# mainlb: format 1001, blank lines and 'ITERATION ',i5 (iprint >= 99; caller
#         passes iter + 1)
cdef void write_mainlb_iteration(int iter) noexcept nogil
# mainlb: format 1002, 'At iterate',iter,'f= ',f,'|proj g|= ',sbgnrm (iprint >= 1)
cdef void write_mainlb_iterate(int iter, double f, double sbgnrm) noexcept nogil
# mainlb: format 1004, '  ys=',dr,'  -gs=',ddum,' BFGS update SKIPPED' (iprint >= 1)
cdef void write_mainlb_skipped(double dr, double ddum) noexcept nogil
# mainlb: format 1005, singular triangular system, refresh    (iprint >= 1)
cdef void write_mainlb_singular() noexcept nogil
# mainlb: format 1006, nonpositive definite in formk, refresh (iprint >= 1)
cdef void write_mainlb_formk_notpd() noexcept nogil
# mainlb: format 1007, nonpositive definite in formt, refresh (iprint >= 1)
cdef void write_mainlb_formt_notpd() noexcept nogil
# mainlb: format 1008, bad direction in the line search, refresh (iprint >= 1)
cdef void write_mainlb_bad_direction() noexcept nogil
