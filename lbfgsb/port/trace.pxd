# The iprint trace: prn1lb, prn2lb, prn3lb and the messages the other routines
# write.  Output goes to Python's sys.stdout (so that notebooks, pytest's
# capsys and redirect_stdout see it); writing takes the GIL only when iprint
# asks for output.  The Fortran formats are emulated in fortran_format.pxd.

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

# ---------------------------------------------------------------------------
# Messages of the other routines.  A routine writes one with one line,
#     write_cauchy_entered(iprint)
# and the write_* tests the Fortran's condition of that write (given above
# each; a silent run pays a call that returns at once).

# cauchy: write(6,*) 'Subgnorm = 0.  GCP = X.'                 if iprint >= 0
cdef void write_cauchy_subgnorm_zero(int iprint) noexcept nogil

# cauchy: format 3010, '---- CAUCHY entered ----'              if iprint >= 99
cdef void write_cauchy_entered(int iprint) noexcept nogil

# cauchy: write(6,*) 'There are ',nbreak,'  breakpoints '       if iprint >= 99
cdef void write_cauchy_breakpoints(int iprint, int nbreak) noexcept nogil

# cauchy: formats 4011, 5010, 6010 (piece nseg, f1, f2; dt; dtm)
#                                                if dt != 0 and iprint >= 100
cdef void write_cauchy_piece(int iprint, int nseg, double f1, double f2,
                             double dt, double dtm) noexcept nogil

# cauchy: write(6,*) 'Variable  ',ibp,'  is fixed.'             if iprint >= 100
cdef void write_cauchy_fixed(int iprint, int ibp) noexcept nogil

# cauchy label 888: blank line, 'GCP found in this segment', formats 4010,
#         6010                                                  if iprint >= 99
cdef void write_cauchy_gcp(int iprint, int nseg, double f1, double f2,
                           double dtm) noexcept nogil

# cauchy: format 1010, 'Cauchy X =  ' and xcp(1:n), 6 a line     if iprint > 100
cdef void write_cauchy_x(int iprint, int n, double* xcp) noexcept nogil

# cauchy: format 2010, '---- exit CAUCHY ----'                 if iprint >= 99
cdef void write_cauchy_exit(int iprint) noexcept nogil

# subsm: format 1001, '----SUBSM entered----'                  if iprint >= 99
cdef void write_subsm_entered(int iprint) noexcept nogil

# subsm: write(6,*) ' Positive dir derivative in projection ' and
#        write(6,*) ' Using the backtracking step '            if iprint >= 0
cdef void write_subsm_positive_dir(int iprint) noexcept nogil

# subsm: format 1004, '----exit SUBSM ----'                    if iprint >= 99
cdef void write_subsm_exit(int iprint) noexcept nogil

# lnsrlb: write(6,*) ' ascent direction in projection gd = ', gd  if iprint >= 0
#         (deviation lnsrlb_iprint: the caller passes mainlb's iprint)
cdef void write_lnsrlb_ascent(int iprint, double gd) noexcept nogil

# active: write(6,*) 'The initial X is infeasible.  Restart with its projection.'
#                                                   if iprint >= 0 and prjctd
cdef void write_active_infeasible(int iprint, bint prjctd) noexcept nogil

# active: write(6,*) 'This problem is unconstrained.'  if iprint >= 0 and not cnstnd
cdef void write_active_unconstrained(int iprint, bint cnstnd) noexcept nogil

# active: format 1001, 'At X0 ',nbdd,' variables are exactly at the bounds'
#                                                               if iprint > 0
cdef void write_active_nbdd(int iprint, int nbdd) noexcept nogil

# freev: write(6,*) 'Variable ',k,' leaves the set of free variables'
#                                                               if iprint >= 100
cdef void write_freev_leaves(int iprint, int k) noexcept nogil

# freev: write(6,*) 'Variable ',k,' enters the set of free variables'
#                                                               if iprint >= 100
cdef void write_freev_enters(int iprint, int k) noexcept nogil

# freev: write(6,*) n+1-ileave,' variables leave; ',nenter,' variables enter'
#        (the caller passes nleave = n+1-ileave)                if iprint >= 99
cdef void write_freev_counts(int iprint, int nleave, int nenter) noexcept nogil

# freev: write(6,*) nfree,' variables are free at GCP ',iter + 1
#        (the caller passes iter + 1)                           if iprint >= 99
cdef void write_freev_nfree(int iprint, int nfree, int iterp1) noexcept nogil

# mainlb: format 1001, blank lines and 'ITERATION ',i5
#         (the caller passes iter + 1)                          if iprint >= 99
cdef void write_mainlb_iteration(int iprint, int iter) noexcept nogil

# mainlb: format 1002, 'At iterate',iter,'f= ',f,'|proj g|= ',sbgnrm
#                                                               if iprint >= 1
cdef void write_mainlb_iterate(int iprint, int iter, double fval,
                               double sbgnrm) noexcept nogil

# mainlb: format 1004, '  ys=',dr,'  -gs=',ddum,' BFGS update SKIPPED'
#                                                               if iprint >= 1
cdef void write_mainlb_skipped(int iprint, double dr, double ddum) noexcept nogil

# mainlb: format 1005, singular triangular system, refresh      if iprint >= 1
cdef void write_mainlb_singular(int iprint) noexcept nogil

# mainlb: format 1006, nonpositive definite in formk, refresh   if iprint >= 1
cdef void write_mainlb_formk_notpd(int iprint) noexcept nogil

# mainlb: format 1007, nonpositive definite in formt, refresh   if iprint >= 1
cdef void write_mainlb_formt_notpd(int iprint) noexcept nogil

# mainlb: format 1008, bad direction in the line search, refresh  if iprint >= 1
cdef void write_mainlb_bad_direction(int iprint) noexcept nogil
