"""gfortran's output of the edit descriptors and records the L-BFGS-B trace
uses, byte for byte: 1P Dw.d / Ew.d, Iw, Aw, nX and character constants in
formatted records, and list-directed (``write(6,*)``) records of integers,
reals and strings with gfortran's item widths and separators; NaN and
Infinity as gfortran writes them.  Unit 6 is Python's sys.stdout.

No Fortran routine of L-BFGS-B is translated here: this is the Fortran
run-time library's part of the trace (the messages are in trace.pyx).

The formatting is C-level code writing into stack buffers; only `writeln`
takes the GIL, to write a finished line to sys.stdout.
"""

import sys

from libc.stdio cimport snprintf
from libc.stdlib cimport atoi
from libc.string cimport strlen, memcpy
from libc.math cimport isnan, isinf, signbit, fabs


# ---------------------------------------------------------------------------
# Unit 6

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
# Fields

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


cdef int fmt_a(char* out, const char* s, int w) noexcept nogil:
    """Aw of a character value: right-justified in w, or its first w
    characters when it is longer."""
    cdef int slen = <int>strlen(s)
    if slen > w:
        memcpy(out, s, w)
        out[w] = 0
        return w
    return _rjust(out, s, slen, w)


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


cdef void rec_begin(Line* r) noexcept nogil:
    """Start an empty record (formatted or list-directed)."""
    r.len = 0
    r.last = 0
    r.buf[0] = 0


cdef void rec_end(Line* r) noexcept nogil:
    """Write the record."""
    writeln(r.buf)


cdef void rec_lit(Line* r, const char* s) noexcept nogil:
    """A character constant of the format."""
    _app(r, s, <int>strlen(s))


cdef void rec_x(Line* r, int n) noexcept nogil:
    """nX followed by an item: n blanks."""
    cdef int i
    for i in range(n):
        _app(r, b" ", 1)


cdef void rec_ed(Line* r, double x, int w, int d, char ech) noexcept nogil:
    cdef char f[64]
    _app(r, f, fmt_ed(f, x, w, d, ech))


cdef void rec_i(Line* r, int v, int w) noexcept nogil:
    cdef char f[64]
    _app(r, f, fmt_i(f, v, w))


cdef void rec_a(Line* r, const char* s, int w) noexcept nogil:
    cdef char f[64]
    _app(r, f, fmt_a(f, s, w))


cdef void ld_str(Line* r, const char* s) noexcept nogil:
    """List-directed character item: the record starts with a blank; a
    blank separates it from a preceding numeric item, none from a preceding
    character item."""
    if r.last != 1:
        _app(r, b" ", 1)
    rec_lit(r, s)
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


# ---------------------------------------------------------------------------
# Test shims

def py_fmt(str edit, value, int w, int d=0):
    """Test shim: one field of width w: edit "D" or "E" (1P,Dw.d / 1P,Ew.d of a
    float), "I" (Iw of an int) or "A" (Aw of bytes)."""
    cdef char out[128]
    if w < 1 or w > 100 or d < 0 or d > 40:
        raise ValueError("unsupported width")
    if edit in ("D", "E"):
        fmt_ed(out, value, w, d, ord(edit))
    elif edit == "I":
        fmt_i(out, value, w)
    elif edit == "A":
        fmt_a(out, value, w)
    else:
        raise ValueError(f"unsupported edit descriptor {edit!r}")
    return out.decode('latin-1')


def py_ld_line(items):
    """Test shim: the list-directed record write(6,*) items (str, int, float)."""
    cdef Line r
    rec_begin(&r)
    for it in items:
        if isinstance(it, str):
            b = it.encode('latin-1')
            ld_str(&r, b)
        elif isinstance(it, int):
            ld_int(&r, it)
        else:
            ld_real(&r, float(it))
    return r.buf[:r.len].decode('latin-1')
