# Task strings and deviation bits shared by every routine.
#
# The Fortran keeps its reverse-communication state in two CHARACTER*60
# variables, `task` and `csave`, compared with blank padding: `task .eq.
# 'START'` is true when the first five characters are START and the other 55
# are blanks, `task(1:5) .eq. 'FG_LN'` looks at a prefix only.  The port keeps
# those 60-byte, blank-padded buffers so that the state can be compared with
# the Fortran's byte for byte; these inline helpers are the two comparisons
# and the assignment.

cdef enum:
    TASK_LEN = 60

# Deviations: each documented departure of a reference from Debian's Fortran
# is one bit of the kernels' `int flavour` argument and is tested at exactly
# one place (grep the DEV_ name).  A flavour is a set of deviations: the
# Fortran is the empty set.  Names, descriptions and references live in
# status.pyx (DEVIATIONS); lbfgsb.deviations() lists them.
cdef enum:
    FLAVOUR_FORTRAN = 0             # Debian's L-BFGS-B 3.0 build (the default)
    DEV_LNSRLB_DNRM2 = 1            # lnsrlb: dnorm = dnrm2(d), dtd = dnorm**2
    DEV_MAINLB_RR_DNRM2 = 2         # mainlb: rr = dnrm2(r)**2
    DEV_FORMK_DTRTRS_BLOCKED = 4    # formk: one dtrtrs with col right-hand sides
    DEV_CAUCHY_DEAD_EXIT = 8        # cauchy: the "all variables at bounds" exit never taken
    DEV_CAUCHY_NSEG_POINTER = 16    # mainlb: nseg stuck at 1 (SciPy's pointer increment)
    DEV_DRIVER_F_BY_VALUE = 32      # driver: f not restored after a failed line search
    DEV_LINPACK_DPOFA_DTRSL = 64    # setulb: LINPACK dpofa/dtrsl for dpotrf/dtrtrs
    DEV_MAINLB_NO_ITFILE = 128      # mainlb: no output unit, isave(24) stays 0
    FLAVOUR_SCIPY114 = 192          # SciPy <= 1.14's Fortran: the two above
    DEV_CAUCHY_NEG_OPERAND = 256    # cauchy: C's unary minus on the operand (a NaN's sign)
    DEV_LNSRLB_FMIN_SWAPPED = 512   # lnsrlb: trial clip fmin(u, x) (a signed zero's sign)
    FLAVOUR_SCIPY = 831             # SciPy >= 1.15's C translation: 1-32, 256, 512


cdef inline void settask(char* task, const char* text) noexcept nogil:
    """task = 'text'   (Fortran assignment: copy, then pad with blanks)"""
    cdef int i = 0
    while i < TASK_LEN and text[i] != 0:
        task[i] = text[i]
        i += 1
    while i < TASK_LEN:
        task[i] = b' '
        i += 1


cdef inline bint task_starts(const char* task, const char* prefix) noexcept nogil:
    """task(1:k) .eq. 'prefix'   where k = len(prefix)"""
    cdef int i = 0
    while i < TASK_LEN and prefix[i] != 0:
        if task[i] != prefix[i]:
            return False
        i += 1
    return True


cdef inline bint task_eq(const char* task, const char* text) noexcept nogil:
    """task .eq. 'text'   (Fortran comparison: the shorter side blank padded)"""
    cdef int i = 0
    while i < TASK_LEN and text[i] != 0:
        if task[i] != text[i]:
            return False
        i += 1
    while i < TASK_LEN:
        if task[i] != b' ':
            return False
        i += 1
    return True
