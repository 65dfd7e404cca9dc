"""The iprint trace of L-BFGS-B: prn1lb, prn2lb, prn3lb of lbfgsb.f (Debian's
version: no timing lines, no iterate.dat file), the messages the other
routines (cauchy, subsm, lnsrlb, active, freev, mainlb) write, and the
emulation of the Fortran edit descriptors they use (1P Dw.d / Ew.d, Iw, Aw,
record breaks, repeat groups with format reversion, and gfortran's
list-directed output of integers, reals and strings), all byte for byte as
gfortran writes them.

No paper describes these traces; they are the code's output, which [ZBLN97 §2]
mentions through the sample drivers.  The columns of prn3lb's summary (Tit,
Tnf, Tnint, Skip, Nact, Projg, F) are the counters of mainlb.

The formatting is C-level code writing into stack buffers; only `writeln`
takes the GIL, to write a finished line to Python's sys.stdout.
"""

import sys

from libc.stdio cimport snprintf
from libc.stdlib cimport atoi
from libc.string cimport strlen, memcpy
from libc.math cimport isnan, isinf, signbit, fabs

import numpy as np


# ---------------------------------------------------------------------------
# The line writer

cdef int _pywrite(const char* line) except -1:
    """Write line + newline to the current sys.stdout (looked up each time,
    so that redirect_stdout and capsys see it)."""
    out = sys.stdout
    if out is None:
        return 0
    out.write(line.decode('latin-1') + '\n')
    return 0


cdef void writeln(const char* line) noexcept nogil:
    """Write one line to sys.stdout.  An exception raised by the stream is
    reported through sys.unraisablehook (this function is noexcept) and
    otherwise ignored: the kernels never raise."""
    with gil:
        _pywrite(line)


# ---------------------------------------------------------------------------
# Edit descriptors

cdef int _rjust(char* out, const char* s, int slen, int w) noexcept nogil:
    """Right-justify s (slen chars) in a field of w; asterisks if too long."""
    cdef int i
    if slen > w:
        for i in range(w):
            out[i] = b'*'
    else:
        for i in range(w - slen):
            out[i] = b' '
        memcpy(out + (w - slen), s, slen)
    out[w] = 0
    return w


cdef int _special(char* out, double x, int w) noexcept nogil:
    """NaN / Infinity in a field of w, as gfortran writes them (F, E, D, G
    and list-directed alike)."""
    if isnan(x):
        return _rjust(out, b"NaN", 3, w)
    if signbit(x):
        if w >= 9:
            return _rjust(out, b"-Infinity", 9, w)
        return _rjust(out, b"-Inf", 4, w)
    if w >= 8:
        return _rjust(out, b"Infinity", 8, w)
    return _rjust(out, b"Inf", 3, w)


cdef int _edigits(char* tmp, double ax, int d) noexcept nogil:
    """tmp := ax (>= 0) rounded to d + 1 significant digits as 'M.DDD...';
    returns the decimal exponent.  glibc's printf rounds exactly (to nearest,
    ties to even on the exact binary value), as gfortran's writer does."""
    cdef char buf[64]
    snprintf(buf, 64, b"%#.*e", d, ax)
    memcpy(tmp, buf, d + 2)
    tmp[d + 2] = 0
    return atoi(buf + d + 3)


cdef int fmt_ed(char* out, double x, int w, int d, char ech) noexcept nogil:
    """1P,Ew.d or 1P,Dw.d: one digit before the point, d after; exponent
    'D+dd' (letter ech), or '+ddd' when |exponent| > 99; a minus sign for
    negative numbers and negative zero."""
    cdef char s[64]
    cdef int e, k = 0, ae
    if isnan(x) or isinf(x):
        return _special(out, x, w)
    if d > 40:
        d = 40
    if signbit(x):
        s[0] = b'-'
        k = 1
    e = _edigits(s + k, fabs(x), d)
    k += d + 2
    ae = -e if e < 0 else e
    if ae <= 99:
        s[k] = ech
        k += 1
    s[k] = b'-' if e < 0 else b'+'
    k += 1
    if ae > 99:
        s[k] = <char>(48 + ae // 100)
        k += 1
    s[k] = <char>(48 + (ae // 10) % 10)
    s[k + 1] = <char>(48 + ae % 10)
    k += 2
    return _rjust(out, s, k, w)


cdef int fmt_i(char* out, int v, int w) noexcept nogil:
    """Iw: right-justified, asterisks when it does not fit."""
    cdef char s[32]
    cdef int k = snprintf(s, 32, b"%d", v)
    return _rjust(out, s, k, w)


cdef int fmt_ld_int(char* out, int v) noexcept nogil:
    """List-directed default INTEGER: a field of 11."""
    return fmt_i(out, v, 11)


cdef int fmt_ld_real(char* out, double x) noexcept nogil:
    """List-directed DOUBLE PRECISION, gfortran's layout (1PG25.17E3): 17
    significant digits; for 0.1 <= |x| < 1e17 (after rounding) fixed point
    right-justified in 20 columns followed by 5 blanks (where the exponent
    would be), otherwise 'd.dddddddddddddddd' 'E' sign 3-digit exponent
    right-justified in 25 columns.  Zero is written in fixed point."""
    cdef char dig[32]
    cdef char s[40]
    cdef int e, k = 0, i, j, ae
    if isnan(x) or isinf(x):
        return _special(out, x, 25)
    if signbit(x):
        s[0] = b'-'
        k = 1
    e = _edigits(dig, fabs(x), 16)   # 'M.DDDDDDDDDDDDDDDD'
    if x == 0.0:
        e = 0
    if -1 <= e <= 16:
        if e == -1:
            s[k] = b'0'
            s[k + 1] = b'.'
            k += 2
            s[k] = dig[0]
            k += 1
            for i in range(2, 18):
                s[k] = dig[i]
                k += 1
        else:
            # digits: dig[0], dig[2..17]; point after e + 1 digits
            s[k] = dig[0]
            k += 1
            j = 2
            for i in range(e):
                s[k] = dig[j]
                k += 1
                j += 1
            s[k] = b'.'
            k += 1
            while j < 18:
                s[k] = dig[j]
                k += 1
                j += 1
        _rjust(out, s, k, 20)
        for i in range(20, 25):
            out[i] = b' '
        out[25] = 0
        return 25
    memcpy(s + k, dig, 18)
    k += 18
    s[k] = b'E'
    s[k + 1] = b'-' if e < 0 else b'+'
    ae = -e if e < 0 else e
    s[k + 2] = <char>(48 + ae // 100)
    s[k + 3] = <char>(48 + (ae // 10) % 10)
    s[k + 4] = <char>(48 + ae % 10)
    k += 5
    return _rjust(out, s, k, 25)


# ---------------------------------------------------------------------------
# Records

cdef inline void _app(Line* r, const char* s, int n) noexcept nogil:
    """Append n chars of s (truncated at LINE_MAX - 1)."""
    if n > LINE_MAX - 1 - r.len:
        n = LINE_MAX - 1 - r.len
    if n > 0:
        memcpy(r.buf + r.len, s, n)
        r.len += n
    r.buf[r.len] = 0


cdef inline void _apps(Line* r, const char* s) noexcept nogil:
    _app(r, s, <int>strlen(s))


cdef inline void _app_ed(Line* r, double x, int w, int d, char ech) noexcept nogil:
    cdef char f[64]
    _app(r, f, fmt_ed(f, x, w, d, ech))


cdef inline void _app_i(Line* r, int v, int w) noexcept nogil:
    cdef char f[64]
    _app(r, f, fmt_i(f, v, w))


cdef void ld_begin(Line* r) noexcept nogil:
    """Start an empty record (formatted or list-directed)."""
    r.len = 0
    r.last = 0
    r.buf[0] = 0


cdef void ld_str(Line* r, const char* s) noexcept nogil:
    """List-directed character item: the record starts with a blank; a
    blank separates it from a preceding numeric item, none from a preceding
    character item."""
    if r.last != 1:
        _app(r, b" ", 1)
    _apps(r, s)
    r.last = 1


cdef void ld_int(Line* r, int v) noexcept nogil:
    """List-directed integer item, preceded by a blank (record start or
    separator)."""
    cdef char f[32]
    _app(r, b" ", 1)
    _app(r, f, fmt_ld_int(f, v))
    r.last = 2


cdef void ld_real(Line* r, double x) noexcept nogil:
    """List-directed double precision item, preceded by a blank."""
    cdef char f[32]
    _app(r, b" ", 1)
    _app(r, f, fmt_ld_real(f, x))
    r.last = 2


cdef void ld_end(Line* r) noexcept nogil:
    """Write the record."""
    writeln(r.buf)


cdef void _rows(int n, double* v) noexcept nogil:
    """(4x,1p,6(1x,d11.4)) with format reversion, entered after a '/':
    ceil(n/6) lines of up to six values; no values leaves the record that
    the '/' opened empty, i.e. one empty line."""
    cdef Line r
    cdef int i = 0, j
    if n <= 0:
        writeln(b"")
        return
    while i < n:
        ld_begin(&r)
        _app(&r, b"    ", 4)
        j = 0
        while j < 6 and i < n:
            _app(&r, b" ", 1)
            _app_ed(&r, v[i], 11, 4, b'D')
            i += 1
            j += 1
        writeln(r.buf)


cdef void _vec1004(const char* label, int n, double* v) noexcept nogil:
    """format 1004: (/,a4, 1p, 6(1x,d11.4),/,(4x,1p,6(1x,d11.4)))."""
    cdef Line r
    cdef char f[8]
    cdef int i = 0
    writeln(b"")
    ld_begin(&r)
    _app(&r, f, _rjust(f, label, <int>strlen(label), 4))
    while i < 6 and i < n:
        _app(&r, b" ", 1)
        _app_ed(&r, v[i], 11, 4, b'D')
        i += 1
    writeln(r.buf)
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
        ld_begin(&r)
        _apps(&r, b"Machine precision =")
        _app_ed(&r, epsmch, 10, 3, b'D')
        writeln(r.buf)
        ld_begin(&r)
        ld_str(&r, b"N = ")
        ld_int(&r, n)
        ld_str(&r, b"    M = ")
        ld_int(&r, m)
        ld_end(&r)
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
    ld_begin(&r)
    _apps(&r, b"At iterate")
    _app_i(&r, iter, 5)
    _apps(&r, b"    f= ")
    _app_ed(&r, f, 12, 5, b'D')
    _apps(&r, b"    |proj g|= ")
    _app_ed(&r, sbgnrm, 12, 5, b'D')
    writeln(r.buf)


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
        ld_begin(&r)
        ld_str(&r, b"LINE SEARCH")
        ld_int(&r, iback)
        ld_str(&r, b" times; norm of step = ")
        ld_real(&r, xstep)
        ld_end(&r)
        _fmt2001(iter, f, sbgnrm)
        if iprint > 100:
            _vec1004(b"X =", n, x)
            _vec1004(b"G =", n, g)
    elif iprint > 0:
        imod = iter % iprint
        if imod == 0:
            _fmt2001(iter, f, sbgnrm)


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
        ld_begin(&r)
        _app_i(&r, n, 5)
        _app(&r, b" ", 1)
        _app_i(&r, iter, 6)
        _app(&r, b" ", 1)
        _app_i(&r, nfgv, 6)
        _app(&r, b" ", 1)
        _app_i(&r, nintol, 6)
        _app(&r, b"  ", 2)
        _app_i(&r, nskip, 4)
        _app(&r, b" ", 1)
        _app_i(&r, nact, 5)
        _app(&r, b"  ", 2)
        _app_ed(&r, sbgnrm, 10, 3, b'D')
        _app(&r, b"  ", 2)
        _app_ed(&r, f, 10, 3, b'D')
        writeln(r.buf)
        if iprint >= 100:
            _vec1004(b"X =", n, x)
        if iprint >= 1:
            ld_begin(&r)
            ld_str(&r, b" F =")
            ld_real(&r, f)
            ld_end(&r)
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
                ld_begin(&r)
                ld_str(&r, b" Input nbd(")
                ld_int(&r, k)
                ld_str(&r, b") is invalid.")
                ld_end(&r)
            if info == -7:
                ld_begin(&r)
                ld_str(&r, b" l(")
                ld_int(&r, k)
                ld_str(&r, b") > u(")
                ld_int(&r, k)
                ld_str(&r, b").  No feasible solution.")
                ld_end(&r)
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
    ld_begin(&r)
    ld_str(&r, s)
    ld_end(&r)


cdef void _ld_sis(const char* a, int k, const char* b) noexcept nogil:
    """write(6,*) 'a', k, 'b'"""
    cdef Line r
    ld_begin(&r)
    ld_str(&r, a)
    ld_int(&r, k)
    ld_str(&r, b)
    ld_end(&r)


cdef void _piece(int nseg, double f1, double f2) noexcept nogil:
    """'Piece    ',i3,' --f1, f2 at start point ',1p,2(1x,d11.4)"""
    cdef Line r
    ld_begin(&r)
    _apps(&r, b"Piece    ")
    _app_i(&r, nseg, 3)
    _apps(&r, b" --f1, f2 at start point ")
    _app(&r, b" ", 1)
    _app_ed(&r, f1, 11, 4, b'D')
    _app(&r, b" ", 1)
    _app_ed(&r, f2, 11, 4, b'D')
    writeln(r.buf)


cdef void _dist(const char* label, double v) noexcept nogil:
    """formats 5010 / 6010: label,1p,d11.4"""
    cdef Line r
    ld_begin(&r)
    _apps(&r, label)
    _app_ed(&r, v, 11, 4, b'D')
    writeln(r.buf)


cdef void write_cauchy_subgnorm_zero() noexcept nogil:
    _ld1(b"Subgnorm = 0.  GCP = X.")


cdef void write_cauchy_entered() noexcept nogil:
    writeln(b"")
    writeln(b"---------------- CAUCHY entered-------------------")


cdef void write_cauchy_breakpoints(int nbreak) noexcept nogil:
    _ld_sis(b"There are ", nbreak, b"  breakpoints ")


cdef void write_cauchy_piece(int nseg, double f1, double f2, double dt,
                             double dtm) noexcept nogil:
    writeln(b"")                   # format 4011 begins with '/'
    _piece(nseg, f1, f2)
    _dist(b"Distance to the next break point =  ", dt)
    _dist(b"Distance to the stationary point =  ", dtm)


cdef void write_cauchy_fixed(int ibp) noexcept nogil:
    _ld_sis(b"Variable  ", ibp, b"  is fixed.")


cdef void write_cauchy_gcp(int nseg, double f1, double f2,
                           double dtm) noexcept nogil:
    writeln(b"")                   # write(6,*) with no items
    _ld1(b"GCP found in this segment")
    _piece(nseg, f1, f2)
    _dist(b"Distance to the stationary point =  ", dtm)


cdef void write_cauchy_x(int n, double* xcp) noexcept nogil:
    writeln(b"Cauchy X =  ")
    _rows(n, xcp)


cdef void write_cauchy_exit() noexcept nogil:
    writeln(b"")
    writeln(b"---------------- exit CAUCHY----------------------")
    writeln(b"")


cdef void write_subsm_entered() noexcept nogil:
    writeln(b"")
    writeln(b"----------------SUBSM entered-----------------")
    writeln(b"")


cdef void write_subsm_positive_dir() noexcept nogil:
    _ld1(b" Positive dir derivative in projection ")
    _ld1(b" Using the backtracking step ")


cdef void write_subsm_exit() noexcept nogil:
    writeln(b"")
    writeln(b"----------------exit SUBSM --------------------")
    writeln(b"")


cdef void write_lnsrlb_ascent(double gd) noexcept nogil:
    cdef Line r
    ld_begin(&r)
    ld_str(&r, b" ascent direction in projection gd = ")
    ld_real(&r, gd)
    ld_end(&r)


cdef void write_active_infeasible() noexcept nogil:
    _ld1(b"The initial X is infeasible.  Restart with its projection.")


cdef void write_active_unconstrained() noexcept nogil:
    _ld1(b"This problem is unconstrained.")


cdef void write_active_nbdd(int nbdd) noexcept nogil:
    cdef Line r
    writeln(b"")
    ld_begin(&r)
    _apps(&r, b"At X0 ")
    _app_i(&r, nbdd, 9)
    _apps(&r, b" variables are exactly at the bounds")
    writeln(r.buf)


cdef void write_freev_leaves(int k) noexcept nogil:
    _ld_sis(b"Variable ", k, b" leaves the set of free variables")


cdef void write_freev_enters(int k) noexcept nogil:
    _ld_sis(b"Variable ", k, b" enters the set of free variables")


cdef void write_freev_counts(int nleave, int nenter) noexcept nogil:
    cdef Line r
    ld_begin(&r)
    ld_int(&r, nleave)
    ld_str(&r, b" variables leave; ")
    ld_int(&r, nenter)
    ld_str(&r, b" variables enter")
    ld_end(&r)


cdef void write_freev_nfree(int nfree, int iterp1) noexcept nogil:
    cdef Line r
    ld_begin(&r)
    ld_int(&r, nfree)
    ld_str(&r, b" variables are free at GCP ")
    ld_int(&r, iterp1)
    ld_end(&r)


cdef void write_mainlb_iteration(int iter) noexcept nogil:
    cdef Line r
    writeln(b"")
    writeln(b"")
    ld_begin(&r)
    _apps(&r, b"ITERATION ")
    _app_i(&r, iter, 5)
    writeln(r.buf)


cdef void write_mainlb_iterate(int iter, double f, double sbgnrm) noexcept nogil:
    _fmt2001(iter, f, sbgnrm)


cdef void write_mainlb_skipped(double dr, double ddum) noexcept nogil:
    cdef Line r
    ld_begin(&r)
    _apps(&r, b"  ys=")
    _app_ed(&r, dr, 10, 3, b'E')
    _apps(&r, b"  -gs=")
    _app_ed(&r, ddum, 10, 3, b'E')
    _apps(&r, b" BFGS update SKIPPED")
    writeln(r.buf)


cdef void _refresh(const char* what) noexcept nogil:
    writeln(b"")
    writeln(what)
    writeln(b"   refresh the lbfgs memory and restart the iteration.")


cdef void write_mainlb_singular() noexcept nogil:
    _refresh(b" Singular triangular system detected;")


cdef void write_mainlb_formk_notpd() noexcept nogil:
    _refresh(b" Nonpositive definiteness in Cholesky factorization in formk;")


cdef void write_mainlb_formt_notpd() noexcept nogil:
    _refresh(b" Nonpositive definiteness in Cholesky factorization in formt;")


cdef void write_mainlb_bad_direction() noexcept nogil:
    _refresh(b" Bad direction in the line search;")


# ---------------------------------------------------------------------------
# Test shims

def _vec(a, n, name):
    arr = np.ascontiguousarray(a, dtype=np.float64)
    if arr.ndim != 1 or arr.shape[0] < n:
        raise ValueError(f"{name} must be a 1-d array of length >= n")
    if arr.shape[0] == 0:
        arr = np.zeros(1)
    return arr


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
    wb = (word + b"   ")[:3]
    memcpy(w, <char*>wb, 3)
    w[3] = 0
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
    tb = (task + b" " * 60)[:60]
    memcpy(t, <char*>tb, 60)
    t[60] = 0
    wb = (word + b"   ")[:3]
    memcpy(w, <char*>wb, 3)
    w[3] = 0
    prn3lb(n, &xv[0], f, t, iprint, info, itfile, iter, nfgv, nintol, nskip,
           nact, sbgnrm, time, nseg, w, iback, stp, xstep, k, cachyt, sbtime, lnscht)


def py_fmt_ed(double x, int w, int d, str ech="D"):
    """Test shim: 1P,Dw.d / 1P,Ew.d field."""
    cdef char out[128]
    if w < 1 or w > 100 or d < 0 or d > 40:
        raise ValueError("unsupported width")
    fmt_ed(out, x, w, d, ord(ech))
    return out.decode('latin-1')


def py_fmt_i(int v, int w):
    """Test shim: Iw field."""
    cdef char out[128]
    if w < 1 or w > 100:
        raise ValueError("unsupported width")
    fmt_i(out, v, w)
    return out.decode('latin-1')


def py_ld_line(items):
    """Test shim: the list-directed record write(6,*) items (str, int, float)."""
    cdef Line r
    ld_begin(&r)
    for it in items:
        if isinstance(it, str):
            b = it.encode('latin-1')
            ld_str(&r, b)
        elif isinstance(it, int):
            ld_int(&r, it)
        else:
            ld_real(&r, float(it))
    return r.buf[:r.len].decode('latin-1')


def py_message(str name, *args):
    """Test shim: print one of the write_* messages (name without 'write_')."""
    cdef double[::1] v
    if name == "cauchy_subgnorm_zero":
        write_cauchy_subgnorm_zero()
    elif name == "cauchy_entered":
        write_cauchy_entered()
    elif name == "cauchy_breakpoints":
        write_cauchy_breakpoints(args[0])
    elif name == "cauchy_piece":
        write_cauchy_piece(args[0], args[1], args[2], args[3], args[4])
    elif name == "cauchy_fixed":
        write_cauchy_fixed(args[0])
    elif name == "cauchy_gcp":
        write_cauchy_gcp(args[0], args[1], args[2], args[3])
    elif name == "cauchy_x":
        v = _vec(args[0], len(args[0]), "xcp")
        write_cauchy_x(len(args[0]), &v[0])
    elif name == "cauchy_exit":
        write_cauchy_exit()
    elif name == "subsm_entered":
        write_subsm_entered()
    elif name == "subsm_positive_dir":
        write_subsm_positive_dir()
    elif name == "subsm_exit":
        write_subsm_exit()
    elif name == "lnsrlb_ascent":
        write_lnsrlb_ascent(args[0])
    elif name == "active_infeasible":
        write_active_infeasible()
    elif name == "active_unconstrained":
        write_active_unconstrained()
    elif name == "active_nbdd":
        write_active_nbdd(args[0])
    elif name == "freev_leaves":
        write_freev_leaves(args[0])
    elif name == "freev_enters":
        write_freev_enters(args[0])
    elif name == "freev_counts":
        write_freev_counts(args[0], args[1])
    elif name == "freev_nfree":
        write_freev_nfree(args[0], args[1])
    elif name == "mainlb_iteration":
        write_mainlb_iteration(args[0])
    elif name == "mainlb_iterate":
        write_mainlb_iterate(args[0], args[1], args[2])
    elif name == "mainlb_skipped":
        write_mainlb_skipped(args[0], args[1])
    elif name == "mainlb_singular":
        write_mainlb_singular()
    elif name == "mainlb_formk_notpd":
        write_mainlb_formk_notpd()
    elif name == "mainlb_formt_notpd":
        write_mainlb_formt_notpd()
    elif name == "mainlb_bad_direction":
        write_mainlb_bad_direction()
    else:
        raise ValueError(name)
