# Deviations: each documented departure of a reference from Debian's Fortran
# is one bit of the kernels' `int flavour` argument and is tested at exactly
# one place (grep the DEV_ name).  A flavour is a set of deviations: the
# Fortran is the empty set.  Names, descriptions and references live in
# deviations.pyx (DEVIATIONS); lbfgsb.deviations() lists them.
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
