"""The iprint trace of L-BFGS-B: prn1lb, prn2lb, prn3lb of lbfgsb.f (Debian's
version: no timing lines, no iterate.dat file) and the messages the other
routines (cauchy, subsm, lnsrlb, active, freev, mainlb) write, byte for byte
as gfortran writes them; the edit descriptors and records are emulated in
fortran_format.pyx.

No paper describes these traces; they are the code's output, which [ZBLN97 §2]
mentions through the sample drivers.  The columns of prn3lb's summary (Tit,
Tnf, Tnint, Skip, Nact, Projg, F) are the counters of mainlb.

The messages are built in stack buffers without the GIL; only writing a
finished line takes it.
"""

from libc.string cimport memcpy

import numpy as np

from lbfgsb.port.fortran_format cimport (Line, writeln, rec_begin, rec_end, rec_lit,
                                         rec_x, rec_ed, rec_i, rec_a, ld_str, ld_int,
                                         ld_real)


# ---------------------------------------------------------------------------
# Formats 1004 and 1010: vectors, six values a record

cdef int _six(Line* r, int n, double* v) noexcept nogil:
    """The repeat group 6(1x,d11.4) (under 1p) on min(n, 6) values of v;
    returns how many it wrote."""
    cdef int i = 0
    while i < 6 and i < n:
        rec_x(r, 1)
        rec_ed(r, v[i], 11, 4, b'D')
        i += 1
    return i


cdef void _rows(int n, double* v) noexcept nogil:
    """(4x,1p,6(1x,d11.4)) with format reversion, entered after a '/':
    ceil(n/6) lines of up to six values; no values leaves the record that
    the '/' opened empty, i.e. one empty line."""
    cdef Line r
    cdef int i = 0
    if n <= 0:
        writeln(b"")
        return
    while i < n:
        rec_begin(&r)
        rec_x(&r, 4)
        i += _six(&r, n - i, v + i)
        rec_end(&r)


cdef void _vec1004(const char* label, int n, double* v) noexcept nogil:
    """format 1004: (/,a4, 1p, 6(1x,d11.4),/,(4x,1p,6(1x,d11.4)))."""
    cdef Line r
    writeln(b"")
    rec_begin(&r)
    rec_a(&r, label, 4)
    _six(&r, n, v)
    rec_end(&r)
    if n >= 6:
        _rows(n - 6, v + 6)


# ---------------------------------------------------------------------------
# prn1lb, prn2lb, prn3lb

cdef void prn1lb(int n, int m, double* l, double* u, double* x, int iprint,
                 int itfile, double epsmch) noexcept nogil:
    """Print the header (machine precision, n, m; no paper: see the module
    docstring) and, for iprint > 100,
    the bounds and the starting point.  itfile is unused (Debian: no
    iterate.dat)."""
    cdef Line r
    if iprint >= 0:
        # format 7001
        writeln(b"RUNNING THE L-BFGS-B CODE")
        writeln(b"")
        writeln(b"           * * *")
        writeln(b"")
        rec_begin(&r)
        rec_lit(&r, b"Machine precision =")
        rec_ed(&r, epsmch, 10, 3, b'D')
        rec_end(&r)
        rec_begin(&r)
        ld_str(&r, b"N = ")
        ld_int(&r, n)
        ld_str(&r, b"    M = ")
        ld_int(&r, m)
        rec_end(&r)
        if iprint >= 1:
            if iprint > 100:
                _vec1004(b"L =", n, l)
                _vec1004(b"X0 =", n, x)
                _vec1004(b"U =", n, u)


cdef void _fmt2001(int iter, double f, double sbgnrm) noexcept nogil:
    """format 2001 (prn2lb) = 1002 (mainlb):
    (/,'At iterate',i5,4x,'f= ',1p,d12.5,4x,'|proj g|= ',1p,d12.5)."""
    cdef Line r
    writeln(b"")
    rec_begin(&r)
    rec_lit(&r, b"At iterate")
    rec_i(&r, iter, 5)
    rec_lit(&r, b"    f= ")
    rec_ed(&r, f, 12, 5, b'D')
    rec_lit(&r, b"    |proj g|= ")
    rec_ed(&r, sbgnrm, 12, 5, b'D')
    rec_end(&r)


cdef void prn2lb(int n, double* x, double f, double* g, int iprint,
                 int itfile, int iter, int nfgv, int nact, double sbgnrm,
                 int nseg, char* word, int iword, int iback, double stp,
                 double xstep) noexcept nogil:
    """Set word (3 chars: 'con', 'bnd', 'TNT' or '---') from iword (no paper:
    see the module docstring) and print
    the summary of an iteration after a successful line search: every
    iprint-th iteration for 0 < iprint < 99, with the line-search count and
    step norm for iprint >= 99, plus x and g for iprint > 100."""
    cdef Line r
    cdef int imod
    if iword == 0:
        memcpy(word, b"con", 3)
    elif iword == 1:
        memcpy(word, b"bnd", 3)
    elif iword == 5:
        memcpy(word, b"TNT", 3)
    else:
        memcpy(word, b"---", 3)
    if iprint >= 99:
        rec_begin(&r)
        ld_str(&r, b"LINE SEARCH")
        ld_int(&r, iback)
        ld_str(&r, b" times; norm of step = ")
        ld_real(&r, xstep)
        rec_end(&r)
        _fmt2001(iter, f, sbgnrm)
        if iprint > 100:
            _vec1004(b"X =", n, x)
            _vec1004(b"G =", n, g)
    elif iprint > 0:
        imod = iter % iprint
        if imod == 0:
            _fmt2001(iter, f, sbgnrm)


cdef void _xi(Line* r, int nx, int v, int w) noexcept nogil:
    """nx X followed by Iw."""
    rec_x(r, nx)
    rec_i(r, v, w)


cdef void prn3lb(int n, double* x, double f, char* task, int iprint, int info,
                 int itfile, int iter, int nfgv, int nintol, int nskip,
                 int nact, double sbgnrm, double time, int nseg, char* word,
                 int iback, double stp, double xstep, int k, double cachyt,
                 double sbtime, double lnscht) noexcept nogil:
    """Print the final summary (no paper: see the module docstring; not
    after a task starting with 'ERROR'), then the
    60-character task and the message for a nonzero info.  time, cachyt,
    sbtime, lnscht are unused (Debian prints no timings)."""
    cdef Line r
    cdef char t[61]
    cdef bint error = (task[0] == b'E' and task[1] == b'R' and task[2] == b'R'
                       and task[3] == b'O' and task[4] == b'R')
    if not error and iprint >= 0:
        # format 3003
        writeln(b"")
        writeln(b"           * * *")
        writeln(b"")
        writeln(b"Tit   = total number of iterations")
        writeln(b"Tnf   = total number of function evaluations")
        writeln(b"Tnint = total number of segments explored during Cauchy searches")
        writeln(b"Skip  = number of BFGS updates skipped")
        writeln(b"Nact  = number of active bounds at final generalized Cauchy point")
        writeln(b"Projg = norm of the final projected gradient")
        writeln(b"F     = final function value")
        writeln(b"")
        writeln(b"           * * *")
        # format 3004
        writeln(b"")
        writeln(b"   N    Tit     Tnf  Tnint  Skip  Nact     Projg        F")
        # format 3005: (i5,2(1x,i6),(1x,i6),(2x,i4),(1x,i5),1p,2(2x,d10.3))
        rec_begin(&r)
        rec_i(&r, n, 5)
        _xi(&r, 1, iter, 6)
        _xi(&r, 1, nfgv, 6)
        _xi(&r, 1, nintol, 6)
        _xi(&r, 2, nskip, 4)
        _xi(&r, 1, nact, 5)
        rec_x(&r, 2)
        rec_ed(&r, sbgnrm, 10, 3, b'D')
        rec_x(&r, 2)
        rec_ed(&r, f, 10, 3, b'D')
        rec_end(&r)
        if iprint >= 100:
            _vec1004(b"X =", n, x)
        if iprint >= 1:
            rec_begin(&r)
            ld_str(&r, b" F =")
            ld_real(&r, f)
            rec_end(&r)
    # label 999
    if iprint >= 0:
        # format 3009: (/,a60)
        writeln(b"")
        memcpy(t, task, 60)
        t[60] = 0
        writeln(t)
        if info != 0:
            if info == -1:
                writeln(b"")
                writeln(b" Matrix in 1st Cholesky factorization in formk is not Pos. Def.")
            if info == -2:
                writeln(b"")
                writeln(b" Matrix in 2st Cholesky factorization in formk is not Pos. Def.")
            if info == -3:
                writeln(b"")
                writeln(b" Matrix in the Cholesky factorization in formt is not Pos. Def.")
            if info == -4:
                writeln(b"")
                writeln(b" Derivative >= 0, backtracking line search impossible.")
                writeln(b"   Previous x, f and g restored.")
                writeln(b" Possible causes: 1 error in function or gradient evaluation;")
                writeln(b"                  2 rounding errors dominate computation.")
            if info == -5:
                writeln(b"")
                writeln(b" Warning:  more than 10 function and gradient")
                writeln(b"   evaluations in the last line search.  Termination")
                writeln(b"   may possibly be caused by a bad search direction.")
            if info == -6:
                rec_begin(&r)
                ld_str(&r, b" Input nbd(")
                ld_int(&r, k)
                ld_str(&r, b") is invalid.")
                rec_end(&r)
            if info == -7:
                rec_begin(&r)
                ld_str(&r, b" l(")
                ld_int(&r, k)
                ld_str(&r, b") > u(")
                ld_int(&r, k)
                ld_str(&r, b").  No feasible solution.")
                rec_end(&r)
            if info == -8:
                writeln(b"")
                writeln(b" The triangular system is singular.")
            if info == -9:
                writeln(b"")
                writeln(b" Line search cannot locate an adequate point after 20 function")
                writeln(b"  and gradient evaluations.  Previous x, f and g restored.")
                writeln(b" Possible causes: 1 error in function or gradient evaluation;")
                writeln(b"                  2 rounding error dominate computation.")


# ---------------------------------------------------------------------------
# Messages of the other routines

cdef void _ld1(const char* s) noexcept nogil:
    """write(6,*) 's'"""
    cdef Line r
    rec_begin(&r)
    ld_str(&r, s)
    rec_end(&r)


cdef void _ld_sis(const char* a, int k, const char* b) noexcept nogil:
    """write(6,*) 'a', k, 'b'"""
    cdef Line r
    rec_begin(&r)
    ld_str(&r, a)
    ld_int(&r, k)
    ld_str(&r, b)
    rec_end(&r)


cdef void _piece(int nseg, double f1, double f2) noexcept nogil:
    """'Piece    ',i3,' --f1, f2 at start point ',1p,2(1x,d11.4)"""
    cdef Line r
    rec_begin(&r)
    rec_lit(&r, b"Piece    ")
    rec_i(&r, nseg, 3)
    rec_lit(&r, b" --f1, f2 at start point ")
    rec_x(&r, 1)
    rec_ed(&r, f1, 11, 4, b'D')
    rec_x(&r, 1)
    rec_ed(&r, f2, 11, 4, b'D')
    rec_end(&r)


cdef void _dist(const char* label, double v) noexcept nogil:
    """formats 5010 / 6010: label,1p,d11.4"""
    cdef Line r
    rec_begin(&r)
    rec_lit(&r, label)
    rec_ed(&r, v, 11, 4, b'D')
    rec_end(&r)


# Each write_* is one Fortran write statement (or the group under one IF) of
# the routine it is named after, under the Fortran's condition on iprint.

cdef void write_cauchy_subgnorm_zero(int iprint) noexcept nogil:
    if iprint >= 0:
        _ld1(b"Subgnorm = 0.  GCP = X.")


cdef void write_cauchy_entered(int iprint) noexcept nogil:
    if iprint >= 99:
        # format 3010
        writeln(b"")
        writeln(b"---------------- CAUCHY entered-------------------")


cdef void write_cauchy_breakpoints(int iprint, int nbreak) noexcept nogil:
    if iprint >= 99:
        _ld_sis(b"There are ", nbreak, b"  breakpoints ")


cdef void write_cauchy_piece(int iprint, int nseg, double f1, double f2, double dt,
                             double dtm) noexcept nogil:
    if dt != 0.0 and iprint >= 100:
        writeln(b"")                   # format 4011 begins with '/'
        _piece(nseg, f1, f2)
        _dist(b"Distance to the next break point =  ", dt)
        _dist(b"Distance to the stationary point =  ", dtm)


cdef void write_cauchy_fixed(int iprint, int ibp) noexcept nogil:
    if iprint >= 100:
        _ld_sis(b"Variable  ", ibp, b"  is fixed.")


cdef void write_cauchy_gcp(int iprint, int nseg, double f1, double f2,
                           double dtm) noexcept nogil:
    if iprint >= 99:
        writeln(b"")                   # write(6,*) with no items
        _ld1(b"GCP found in this segment")
        _piece(nseg, f1, f2)
        _dist(b"Distance to the stationary point =  ", dtm)


cdef void write_cauchy_x(int iprint, int n, double* xcp) noexcept nogil:
    if iprint > 100:
        # format 1010
        writeln(b"Cauchy X =  ")
        _rows(n, xcp)


cdef void _banner(int iprint, const char* text) noexcept nogil:
    """A format (/,'text',/) written if iprint >= 99: a routine's entry or
    exit banner between empty lines."""
    if iprint >= 99:
        writeln(b"")
        writeln(text)
        writeln(b"")


cdef void write_cauchy_exit(int iprint) noexcept nogil:
    _banner(iprint, b"---------------- exit CAUCHY----------------------")   # format 2010


cdef void write_subsm_entered(int iprint) noexcept nogil:
    _banner(iprint, b"----------------SUBSM entered-----------------")   # format 1001


cdef void write_subsm_positive_dir(int iprint) noexcept nogil:
    if iprint >= 0:
        _ld1(b" Positive dir derivative in projection ")
        _ld1(b" Using the backtracking step ")


cdef void write_subsm_exit(int iprint) noexcept nogil:
    _banner(iprint, b"----------------exit SUBSM --------------------")   # format 1004


cdef void write_lnsrlb_ascent(int iprint, double gd) noexcept nogil:
    cdef Line r
    if iprint >= 0:
        rec_begin(&r)
        ld_str(&r, b" ascent direction in projection gd = ")
        ld_real(&r, gd)
        rec_end(&r)


cdef void write_active_infeasible(int iprint, bint prjctd) noexcept nogil:
    if iprint >= 0 and prjctd:
        _ld1(b"The initial X is infeasible.  Restart with its projection.")


cdef void write_active_unconstrained(int iprint, bint cnstnd) noexcept nogil:
    if iprint >= 0 and not cnstnd:
        _ld1(b"This problem is unconstrained.")


cdef void write_active_nbdd(int iprint, int nbdd) noexcept nogil:
    cdef Line r
    if iprint > 0:
        # format 1001
        writeln(b"")
        rec_begin(&r)
        rec_lit(&r, b"At X0 ")
        rec_i(&r, nbdd, 9)
        rec_lit(&r, b" variables are exactly at the bounds")
        rec_end(&r)


cdef void write_freev_leaves(int iprint, int k) noexcept nogil:
    if iprint >= 100:
        _ld_sis(b"Variable ", k, b" leaves the set of free variables")


cdef void write_freev_enters(int iprint, int k) noexcept nogil:
    if iprint >= 100:
        _ld_sis(b"Variable ", k, b" enters the set of free variables")


cdef void write_freev_counts(int iprint, int nleave, int nenter) noexcept nogil:
    cdef Line r
    if iprint >= 99:
        rec_begin(&r)
        ld_int(&r, nleave)
        ld_str(&r, b" variables leave; ")
        ld_int(&r, nenter)
        ld_str(&r, b" variables enter")
        rec_end(&r)


cdef void write_freev_nfree(int iprint, int nfree, int iterp1) noexcept nogil:
    cdef Line r
    if iprint >= 99:
        rec_begin(&r)
        ld_int(&r, nfree)
        ld_str(&r, b" variables are free at GCP ")
        ld_int(&r, iterp1)
        rec_end(&r)


cdef void write_mainlb_iteration(int iprint, int iter) noexcept nogil:
    cdef Line r
    if iprint >= 99:
        # format 1001
        writeln(b"")
        writeln(b"")
        rec_begin(&r)
        rec_lit(&r, b"ITERATION ")
        rec_i(&r, iter, 5)
        rec_end(&r)


cdef void write_mainlb_iterate(int iprint, int iter, double fval,
                               double sbgnrm) noexcept nogil:
    # (fval for the Fortran's f: Cython's conversion of this function to a
    # Python callable, for MESSAGES, cannot take an argument named f)
    if iprint >= 1:
        _fmt2001(iter, fval, sbgnrm)   # format 1002


cdef void write_mainlb_skipped(int iprint, double dr, double ddum) noexcept nogil:
    cdef Line r
    if iprint >= 1:
        # format 1004
        rec_begin(&r)
        rec_lit(&r, b"  ys=")
        rec_ed(&r, dr, 10, 3, b'E')
        rec_lit(&r, b"  -gs=")
        rec_ed(&r, ddum, 10, 3, b'E')
        rec_lit(&r, b" BFGS update SKIPPED")
        rec_end(&r)


cdef void _refresh(int iprint, const char* what) noexcept nogil:
    """formats 1005-1008 of mainlb: (/,what,/,'   refresh ...')."""
    if iprint >= 1:
        writeln(b"")
        writeln(what)
        writeln(b"   refresh the lbfgs memory and restart the iteration.")


cdef void write_mainlb_singular(int iprint) noexcept nogil:
    _refresh(iprint, b" Singular triangular system detected;")


cdef void write_mainlb_formk_notpd(int iprint) noexcept nogil:
    _refresh(iprint, b" Nonpositive definiteness in Cholesky factorization in formk;")


cdef void write_mainlb_formt_notpd(int iprint) noexcept nogil:
    _refresh(iprint, b" Nonpositive definiteness in Cholesky factorization in formt;")


cdef void write_mainlb_bad_direction(int iprint) noexcept nogil:
    _refresh(iprint, b" Bad direction in the line search;")


# ---------------------------------------------------------------------------
# Test shims

def _vec(a, n, name):
    arr = np.ascontiguousarray(a, dtype=np.float64)
    if arr.ndim != 1 or arr.shape[0] < n:
        raise ValueError(f"{name} must be a 1-d array of length >= n")
    if arr.shape[0] == 0:
        arr = np.zeros(1)
    return arr


cdef void _chars(bytes s, char* out, int n):
    """out[0:n] := s blank padded (or cut) to n characters, NUL at out[n]."""
    b = (s + b" " * n)[:n]
    memcpy(out, <char*>b, n)
    out[n] = 0


def py_prn1lb(int n, int m, l, u, x, int iprint, int itfile=0, double epsmch=2.220446049250313e-16):
    """Test shim: prn1lb (prints to sys.stdout)."""
    cdef double[::1] lv = _vec(l, n, "l")
    cdef double[::1] uv = _vec(u, n, "u")
    cdef double[::1] xv = _vec(x, n, "x")
    prn1lb(n, m, &lv[0], &uv[0], &xv[0], iprint, itfile, epsmch)


def py_prn2lb(int n, x, double f, g, int iprint, int itfile, int iter, int nfgv,
              int nact, double sbgnrm, int nseg, bytes word, int iword, int iback,
              double stp, double xstep):
    """Test shim: prn2lb; returns the 3-byte word it sets."""
    cdef double[::1] xv = _vec(x, n, "x")
    cdef double[::1] gv = _vec(g, n, "g")
    cdef char w[4]
    _chars(word, w, 3)
    prn2lb(n, &xv[0], f, &gv[0], iprint, itfile, iter, nfgv, nact, sbgnrm, nseg,
           w, iword, iback, stp, xstep)
    return w[:3]


def py_prn3lb(int n, x, double f, bytes task, int iprint, int info, int itfile,
              int iter, int nfgv, int nintol, int nskip, int nact, double sbgnrm,
              double time, int nseg, bytes word, int iback, double stp, double xstep,
              int k, double cachyt, double sbtime, double lnscht):
    """Test shim: prn3lb (task is blank padded to 60 bytes)."""
    cdef double[::1] xv = _vec(x, n, "x")
    cdef char t[61]
    cdef char w[4]
    _chars(task, t, 60)
    _chars(word, w, 3)
    prn3lb(n, &xv[0], f, t, iprint, info, itfile, iter, nfgv, nintol, nskip,
           nact, sbgnrm, time, nseg, w, iback, stp, xstep, k, cachyt, sbtime, lnscht)


def _cauchy_x(int iprint, xcp):
    """write_cauchy_x with xcp as a sequence."""
    cdef double[::1] v = _vec(xcp, len(xcp), "xcp")
    write_cauchy_x(iprint, len(xcp), &v[0])


# Test entry points: each message under its Fortran iprint condition, by the
# name of its `write_*` without the prefix; called as MESSAGES[name](iprint, ...)
MESSAGES = {
    "cauchy_subgnorm_zero": write_cauchy_subgnorm_zero,
    "cauchy_entered": write_cauchy_entered,
    "cauchy_breakpoints": write_cauchy_breakpoints,
    "cauchy_piece": write_cauchy_piece,
    "cauchy_fixed": write_cauchy_fixed,
    "cauchy_gcp": write_cauchy_gcp,
    "cauchy_x": _cauchy_x,
    "cauchy_exit": write_cauchy_exit,
    "subsm_entered": write_subsm_entered,
    "subsm_positive_dir": write_subsm_positive_dir,
    "subsm_exit": write_subsm_exit,
    "lnsrlb_ascent": write_lnsrlb_ascent,
    "active_infeasible": write_active_infeasible,
    "active_unconstrained": write_active_unconstrained,
    "active_nbdd": write_active_nbdd,
    "freev_leaves": write_freev_leaves,
    "freev_enters": write_freev_enters,
    "freev_counts": write_freev_counts,
    "freev_nfree": write_freev_nfree,
    "mainlb_iteration": write_mainlb_iteration,
    "mainlb_iterate": write_mainlb_iterate,
    "mainlb_skipped": write_mainlb_skipped,
    "mainlb_singular": write_mainlb_singular,
    "mainlb_formk_notpd": write_mainlb_formk_notpd,
    "mainlb_formt_notpd": write_mainlb_formt_notpd,
    "mainlb_bad_direction": write_mainlb_bad_direction,
}
