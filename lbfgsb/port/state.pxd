# The saved state of setulb, defined once: the positions of the fields in
# isave, dsave and lsave (0-based here; the Fortran numbers them from 1, so
# ISAVE_ITER = 29 is isave(30)), the lengths of the arrays and the partition
# of wa.  The Python side (state.pyx: names, the wa blocks, SciPy's task
# codes), the layers (_rcomm, _run, _solver, _api, _checkpoint) and tools/
# read them from here; setulb.pyx writes them as the Fortran does and
# tests/test_state.py checks the two agree.

cpdef enum:
    ISAVE_LEN = 44
    DSAVE_LEN = 29
    LSAVE_LEN = 4
    IWA_PER_N = 3           # iwa: index, iwhere, indx2 (n each)

    # setulb: isave(1..3) block sizes, isave(4..16) 1-based offsets of the
    # blocks of wa (written at START)
    ISAVE_MN = 0            # m*n
    ISAVE_MM = 1            # m**2
    ISAVE_4MM = 2           # 4*m**2
    ISAVE_LWS = 3           # ws    n x m    S (circular buffer)
    ISAVE_LWY = 4           # wy    n x m    Y
    ISAVE_LSY = 5           # sy    m x m    S'Y
    ISAVE_LSS = 6           # ss    m x m    S'S
    ISAVE_LWT = 7           # wt    m x m    Cholesky factor of theta*S'S + L D^-1 L'
    ISAVE_LWN = 8           # wn    2m x 2m  LEL' factor of K
    ISAVE_LSND = 9          # snd   2m x 2m  work copy of K
    ISAVE_LZ = 10           # z     n        Cauchy point, subspace minimizer
    ISAVE_LR = 11           # r     n        reduced gradient; g at the line search start
    ISAVE_LD = 12           # d     n        search direction
    ISAVE_LT = 13           # t     n        breakpoints; x at the line search start
    ISAVE_LXP = 14          # xp    n        safeguard copy (subsm)
    ISAVE_LWA = 15          # wa    8m       p, c, wbp, v of cauchy (2m each)
    WA_BLOCKS = 13          # blocks of the partition (ws .. wa)

    # mainlb: its isave(1..20) are setulb's isave(22..41)
    ISAVE_MAINLB = 21
    ISAVE_NINTOL = 21       # total Cauchy segments explored
    ISAVE_ITFILE = 23       # unit of the summary file
    ISAVE_IBACK = 24        # backtracks in the line search
    ISAVE_NSKIP = 25        # skipped BFGS updates
    ISAVE_HEAD = 26         # first column of ws/wy (1-based)
    ISAVE_COL = 27          # stored corrections
    ISAVE_ITAIL = 28        # last column of ws/wy (1-based)
    ISAVE_ITER = 29         # iterations
    ISAVE_IUPDAT = 30       # updates since the last restart
    ISAVE_NSEG = 32         # segments of the last Cauchy search
    ISAVE_NFGV = 33         # f and g evaluations
    ISAVE_INFO = 34         # error flag of the subroutines
    ISAVE_IFUN = 35         # evaluations in the current line search
    ISAVE_IWORD = 36        # how the subspace step ended
    ISAVE_NFREE = 37        # free variables at the GCP
    ISAVE_NACT = 38         # active variables at the GCP
    ISAVE_ILEAVE = 39       # variables leaving the free set
    ISAVE_NENTER = 40       # variables entering the free set
    # lnsrlb (dcsrch): its isave(1..2) are setulb's isave(43..44)
    ISAVE_LNSRLB = 42
    ISAVE_BRACKT = 42       # dcsrch: the minimizer is bracketed
    ISAVE_STAGE = 43        # dcsrch: stage 1 or 2

    # mainlb: dsave(1..16)
    DSAVE_THETA = 0         # scaling of B
    DSAVE_FOLD = 1          # f at the start of the line search
    DSAVE_TOL = 2           # factr * epsmch
    DSAVE_DNORM = 3         # ||d||
    DSAVE_EPSMCH = 4        # machine epsilon
    DSAVE_CPU1 = 5          # timer (never compared)
    DSAVE_CACHYT = 6        # timer
    DSAVE_SBTIME = 7        # timer
    DSAVE_LNSCHT = 8        # timer
    DSAVE_TIME1 = 9         # timer
    DSAVE_GD = 10           # g'd
    DSAVE_STPMX = 11        # maximum step
    DSAVE_SBGNRM = 12       # infinity norm of the projected gradient
    DSAVE_STP = 13          # step
    DSAVE_GDOLD = 14        # g'd at the start of the line search
    DSAVE_DTD = 15          # d'd
    # lnsrlb (dcsrch): its dsave(1..13) are setulb's dsave(17..29)
    DSAVE_LNSRLB = 16
    DSAVE_GINIT = 16
    DSAVE_GTEST = 17
    DSAVE_GX = 18
    DSAVE_GY = 19
    DSAVE_FINIT = 20
    DSAVE_FX = 21
    DSAVE_FY = 22
    DSAVE_STX = 23
    DSAVE_STY = 24
    DSAVE_STMIN = 25
    DSAVE_STMAX = 26
    DSAVE_WIDTH = 27
    DSAVE_WIDTH1 = 28

    # mainlb: lsave(1..4)
    LSAVE_PRJCTD = 0        # x0 was projected
    LSAVE_CNSTND = 1        # some bound exists
    LSAVE_BOXED = 2         # every variable has both bounds
    LSAVE_UPDATD = 3        # the memory was updated in the last iteration


cdef inline long long wa_length(long long n, long long m) noexcept nogil:
    """The length of wa for (n, m): 2mn + 5n + 11m**2 + 8m (the Fortran's)."""
    return 2 * m * n + 5 * n + 11 * m * m + 8 * m


cdef inline void wa_partition(long long n, long long m, long long* isave) noexcept nogil:
    """isave(1..16) as setulb writes them at START: the three block sizes and
    the 1-based offsets of the 13 blocks of wa (in 64 bits, for checks)."""
    cdef int i
    isave[ISAVE_MN] = m * n
    isave[ISAVE_MM] = m * m
    isave[ISAVE_4MM] = 4 * m * m
    isave[ISAVE_LWS] = 1
    isave[ISAVE_LWY] = isave[ISAVE_LWS] + m * n
    isave[ISAVE_LSY] = isave[ISAVE_LWY] + m * n
    isave[ISAVE_LSS] = isave[ISAVE_LSY] + m * m
    isave[ISAVE_LWT] = isave[ISAVE_LSS] + m * m
    isave[ISAVE_LWN] = isave[ISAVE_LWT] + m * m
    isave[ISAVE_LSND] = isave[ISAVE_LWN] + 4 * m * m
    isave[ISAVE_LZ] = isave[ISAVE_LSND] + 4 * m * m
    for i in range(ISAVE_LR, ISAVE_LWA + 1):    # r, d, t, xp, wa follow n apart
        isave[i] = isave[i - 1] + n
