# gfortran's formatted and list-directed output, byte for byte: the edit
# descriptors the L-BFGS-B trace uses, records built from them, and unit 6
# (Python's sys.stdout).  The messages themselves are in trace.pxd.

# write one line (a newline is appended) to sys.stdout; takes the GIL
cdef void writeln(const char* line) noexcept nogil

# ---------------------------------------------------------------------------
# Fields.  Each writes exactly its width w plus a terminating NUL into `out`
# (which must hold at least w + 1 bytes; 26 for the list-directed real) and
# returns the number of characters written.

# 1P,Ew.d / 1P,Dw.d field (ech = 'E' or 'D'); '+eee' form for |exp| > 99
cdef int fmt_ed(char* out, double x, int w, int d, char ech) noexcept nogil
# Iw field ('*' * w when the value does not fit)
cdef int fmt_i(char* out, int v, int w) noexcept nogil
# Aw field of a character value: right-justified, or its first w characters
cdef int fmt_a(char* out, const char* s, int w) noexcept nogil
# list-directed INTEGER item: 11 characters, right-justified
cdef int fmt_ld_int(char* out, int v) noexcept nogil
# list-directed DOUBLE PRECISION item: 25 characters (gfortran's 1PG25.17E3 layout)
cdef int fmt_ld_real(char* out, double x) noexcept nogil

# ---------------------------------------------------------------------------
# A record under construction, written item by item, then to unit 6.

cdef enum:
    LINE_MAX = 256

cdef struct Line:
    char buf[256]
    int len
    int last        # list-directed: 0 no item yet, 1 last item character, 2 numeric

# start an empty record (formatted or list-directed)
cdef void rec_begin(Line* r) noexcept nogil
# write the record (an empty record gives an empty line)
cdef void rec_end(Line* r) noexcept nogil

# formatted record: a character constant of the format ('text')
cdef void rec_lit(Line* r, const char* s) noexcept nogil
# formatted record: nX before the next item
cdef void rec_x(Line* r, int n) noexcept nogil
# formatted record: 1P,Dw.d / 1P,Ew.d
cdef void rec_ed(Line* r, double x, int w, int d, char ech) noexcept nogil
# formatted record: Iw
cdef void rec_i(Line* r, int v, int w) noexcept nogil
# formatted record: Aw
cdef void rec_a(Line* r, const char* s, int w) noexcept nogil

# list-directed record (write(6,*)): character item (no separator after a
# character item)
cdef void ld_str(Line* r, const char* s) noexcept nogil
# list-directed integer item
cdef void ld_int(Line* r, int v) noexcept nogil
# list-directed double precision item
cdef void ld_real(Line* r, double x) noexcept nogil
