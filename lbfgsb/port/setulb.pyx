"""The driver of L-BFGS-B 3.0: ``setulb``, ``mainlb`` (and ``timer``).

``setulb`` partitions the caller's work arrays ``wa`` and ``iwa`` exactly as the
Fortran does and hands the pieces to ``mainlb``, the reverse-communication state
machine of the algorithm [BLNZ95 §6, ZBLN97 §2-§4]: each call advances the iteration
until it needs the function and gradient at ``x`` (task ``FG_...``), has a new
iterate (``NEW_X``), or stops (``CONVERGENCE``, ``ABNORMAL_...``, ``ERROR``,
``STOP``).  All state between calls lives in the caller's ``isave``, ``dsave``,
``lsave``, ``task``, ``csave`` and ``wa``, at the Fortran's positions.

Departures from Debian's Fortran, each marked where it happens:

* ``maxls``: the Fortran gives up the line search after 20 evaluations
  (``iback .ge. 20``); the port takes the limit as an argument, default 20,
  as SciPy does.
* ``flavour``: a bitmask of deviations (the DEV_ constants of deviations.pxd),
  each a departure of SciPy's C translation from the Fortran, tested at one
  place where its name appears (``lbfgsb.deviations()``, docs/VERIFY.md).
"""

from lbfgsb.port.kernels cimport Kernels
from libc.math cimport fabs
from posix.time cimport clock_gettime, timespec, CLOCK_MONOTONIC

from lbfgsb.port.tasks cimport settask, task_eq, task_starts
from lbfgsb.port.deviations cimport (DEV_CAUCHY_NSEG_POINTER, DEV_MAINLB_RR_DNRM2,
                                     DEV_LINPACK_DPOFA_DTRSL, DEV_MAINLB_NO_ITFILE)
from lbfgsb.port.linpack cimport linpack_kernels
from lbfgsb.port.active cimport active
from lbfgsb.port.errclb cimport errclb
from lbfgsb.port.freev cimport freev
from lbfgsb.port.matupd cimport matupd
from lbfgsb.port.projgr cimport projgr
from lbfgsb.port.cauchy cimport cauchy
from lbfgsb.port.formk cimport formk, formt
from lbfgsb.port.subsm cimport cmprlb, subsm
from lbfgsb.port.lnsrlb cimport lnsrlb
from lbfgsb.port.trace cimport prn1lb, prn2lb, prn3lb
from lbfgsb.port.trace cimport (write_mainlb_iteration, write_mainlb_iterate,
                            write_mainlb_skipped, write_mainlb_singular,
                            write_mainlb_formk_notpd, write_mainlb_formt_notpd,
                            write_mainlb_bad_direction)


cdef inline void timer(double* ttime) noexcept nogil:
    """Time in seconds (the Fortran's ``timer``; not in the papers).

    Departure: the Fortran measures CPU time (``cpu_time``); the port reads a
    monotonic wall clock.  A CPU-time clock is a system call (about 0.2 us,
    eight of them per iteration: some 8% of an iteration at n = 100), while
    CLOCK_MONOTONIC is read in user space.  The times only feed
    ``dsave(6..10)``, which no routine reads and Debian's build never prints;
    they are excluded from every comparison.
    """
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    ttime[0] = <double>ts.tv_sec + 1e-9 * <double>ts.tv_nsec


cdef void setulb(int n, int m, double* x, double* l, double* u, int* nbd,
                 double* f, double* g, double factr, double pgtol, double* wa,
                 int* iwa, char* task, int iprint, char* csave, int* lsave,
                 int* isave, double* dsave, int maxls, int flavour, const Kernels* kn) noexcept nogil:
    """Partition the work arrays and call ``mainlb``.

    [ZBLN97 §2] On ``task = 'START'`` the 1-based offsets of the blocks of ``wa``
    are stored in ``isave(1..16)``::

        ws, wy   n x m each   the S and Y matrices (circular buffers)
        sy, ss   m x m each   S'Y and S'S
        wt       m x m        Cholesky factor of theta*S'S + L D^-1 L'
        wn, snd  2m x 2m      K of the subspace step and its work copy
        z, r, d, t, xp   n each   GCP, reduced gradient, direction, ...
        wa       8m           small vectors of cauchy/cmprlb/subsm

    ``iwa`` holds ``index``, ``iwhere``, ``indx2`` (n each).  ``mainlb`` keeps
    its scalars in ``isave(22..44)`` and ``dsave(1..29)``.
    """
    cdef int lws, lwy, lsy, lss, lwt, lwn, lsnd, lz, lr, ld, lt, lxp, lwa

    if task_eq(task, b'START'):
        isave[0] = m * n
        isave[1] = m * m
        isave[2] = 4 * m * m
        isave[3] = 1                       # ws      m*n
        isave[4] = isave[3] + isave[0]     # wy      m*n
        isave[5] = isave[4] + isave[0]     # wsy     m**2
        isave[6] = isave[5] + isave[1]     # wss     m**2
        isave[7] = isave[6] + isave[1]     # wt      m**2
        isave[8] = isave[7] + isave[1]     # wn      4*m**2
        isave[9] = isave[8] + isave[2]     # wsnd    4*m**2
        isave[10] = isave[9] + isave[2]    # wz      n
        isave[11] = isave[10] + n          # wr      n
        isave[12] = isave[11] + n          # wd      n
        isave[13] = isave[12] + n          # wt      n
        isave[14] = isave[13] + n          # wxp     n
        isave[15] = isave[14] + n          # wa      8*m
    lws = isave[3]
    lwy = isave[4]
    lsy = isave[5]
    lss = isave[6]
    lwt = isave[7]
    lwn = isave[8]
    lsnd = isave[9]
    lz = isave[10]
    lr = isave[11]
    ld = isave[12]
    lt = isave[13]
    lxp = isave[14]
    lwa = isave[15]

    if flavour & DEV_LINPACK_DPOFA_DTRSL:
        # deviation linpack_dpofa_dtrsl (SciPy <= 1.14): LINPACK's dpofa and
        # dtrsl serve every dpotrf/dtrtrs call of this run (lbfgsb/port/linpack.pyx)
        kn = linpack_kernels(kn)
    mainlb(n, m, x, l, u, nbd, f, g, factr, pgtol,
           &wa[lws - 1], &wa[lwy - 1], &wa[lsy - 1], &wa[lss - 1], &wa[lwt - 1],
           &wa[lwn - 1], &wa[lsnd - 1], &wa[lz - 1], &wa[lr - 1], &wa[ld - 1],
           &wa[lt - 1], &wa[lxp - 1], &wa[lwa - 1],
           &iwa[0], &iwa[n], &iwa[2 * n], task, iprint,
           csave, lsave, &isave[21], dsave, maxls, flavour, kn)


# mainlb's statement labels, for the state machine below
cdef enum:
    L111 = 111      # first f, g at x0 received
    L222 = 222      # start of an iteration: generalized Cauchy point
    L333 = 333      # subspace minimization
    L555 = 555      # search direction d = z - x
    L666 = 666      # line search (re-entered on FG_LNSRCH)
    L777 = 777      # new iterate: convergence tests and the BFGS update
    L999 = 999      # termination
    L1000 = 1000    # save the state and return


cdef inline void reset_memory(int* info, int* col, int* head, double* theta,
                              int* iupdat, bint* updatd) noexcept nogil:
    """Refresh the limited memory (the Fortran repeats these six lines at each
    restart site)."""
    info[0] = 0
    col[0] = 0
    head[0] = 1
    theta[0] = 1.0
    iupdat[0] = 0
    updatd[0] = False


cdef inline int restart_singular(int iprint, int* info, int* col, int* head,
                                 double* theta, int* iupdat, bint* updatd,
                                 double cpu1, double* cpu2, double* elapsed) noexcept nogil:
    """A singular triangular system was detected (in cauchy or in the
    subspace step): refresh the lbfgs memory, charge the time since ``cpu1``
    to ``elapsed`` and restart the iteration (the Fortran repeats these lines
    at both sites).  Returns the label to go to."""
    write_mainlb_singular(iprint)  # format 1005
    reset_memory(info, col, head, theta, iupdat, updatd)
    timer(cpu2)
    elapsed[0] = elapsed[0] + cpu2[0] - cpu1
    return L222


cdef void mainlb(int n, int m, double* x, double* l, double* u, int* nbd,
                 double* f, double* g, double factr, double pgtol, double* ws,
                 double* wy, double* sy, double* ss, double* wt, double* wn,
                 double* snd, double* z, double* r, double* d, double* t,
                 double* xp, double* wa, int* index, int* iwhere, int* indx2,
                 char* task, int iprint, char* csave, int* lsave, int* isave,
                 double* dsave, int maxls, int flavour, const Kernels* kn) noexcept nogil:
    """The L-BFGS-B iteration as a reverse-communication state machine.

    [BLNZ95 §6, L-BFGS-B Algorithm, steps 1-8] One iteration: the
    projected-gradient test (6.1) (``projgr``), the generalized Cauchy point
    along the projected steepest descent path (``cauchy``, §4, Algorithm CP),
    the free variables there (``freev``), the subspace minimization over them
    (``formk``, ``cmprlb``, ``subsm``; §5.1, [ZBLN97 §4] and [MN11]), a
    Moré–Thuente line search along d = z - x (``lnsrlb``), the stopping tests
    of [ZBLN97] eqs. (1)-(2), and the limited-memory update (``matupd``,
    ``formt``; (3.1)-(3.6), §6 steps 6-7) unless the curvature test of
    [ZBLN97] eq. (3), s'y > epsmch*(-g's), fails (the paper's (3.9) is not
    what the code does).  On a failure in cauchy, formk, subsm, formt or the
    line search the memory is discarded and the iteration restarted
    ([ZBLN97 §4]).  The state between calls is stored in ``isave(1..20)`` (integers),
    ``dsave(1..16)`` (reals), ``lsave(1..4)`` (flags) and ``csave``/``isave(22..23)``/
    ``dsave(17..29)`` for the line search.
    """
    # flags: x0 was projected, some bound exists, all variables boxed,
    # the memory was updated in the last iteration, K must be re-formed
    cdef bint prjctd, cnstnd, boxed, updatd, wrk
    cdef char word[3]       # 'con', 'bnd', 'TNT' or '---' (set by prn2lb)
    cdef int i, k = 0       # k: variable reported by errclb
    cdef int nintol         # total number of Cauchy segments explored
    cdef int itfile         # unit of the summary file (kept for layout)
    cdef int iback          # backtracks in the current line search
    cdef int nskip          # skipped BFGS updates
    cdef int head, col      # first column and number of columns of ws/wy
    cdef int iter           # iteration count
    cdef int itail          # last column of ws/wy
    cdef int iupdat         # updates since the last restart
    cdef int nseg           # segments explored in this Cauchy search
    cdef int nfgv           # f and g evaluations
    cdef int info           # error flag of the subroutines
    cdef int ifun           # evaluations in the current line search
    cdef int iword          # how the subspace step ended (0 con, 1 bnd, -1 none)
    cdef int nfree, nact    # free / active variables at the GCP
    cdef int ileave, nenter # leaving / entering variables (see freev)
    cdef double theta       # the scaling of the limited-memory matrix B
    cdef double fold        # f at the start of the line search
    cdef double dr, rr      # s'y and y'y of the new pair
    cdef double tol         # factr * epsmch
    cdef double xstep = 0.0 # norm of the step taken (for the trace)
    cdef double sbgnrm      # infinity norm of the projected gradient
    cdef double ddum        # scratch
    cdef double dnorm, dtd  # ||d|| and d'd
    cdef double epsmch      # machine epsilon
    cdef double cpu1, cpu2, cachyt, sbtime, lnscht, time1, time2, time = 0.0
    cdef double gd, gdold   # g'd now and at the start of the line search
    cdef double stp, stpmx  # step and its maximum
    cdef int one = 1
    cdef int lbl            # the label to go to next

    if task_eq(task, b'START'):
        epsmch = 2.220446049250313e-16     # epsilon(one) in double precision
        timer(&time1)

        # Initialize counters and indicators.
        col = 0
        head = 1
        theta = 1.0
        iupdat = 0
        updatd = False
        iback = 0
        itail = 0
        iword = 0
        nact = 0
        ileave = 0
        nenter = 0
        fold = 0.0
        dnorm = 0.0
        cpu1 = 0.0
        gd = 0.0
        stpmx = 0.0
        sbgnrm = 0.0
        stp = 0.0
        gdold = 0.0
        dtd = 0.0
        # For operation counts.
        iter = 0
        nfgv = 0
        nseg = 0
        nintol = 0
        nskip = 0
        nfree = n
        ifun = 0
        # For stopping tolerance.
        tol = factr * epsmch
        # For measuring running time.
        cachyt = 0.0
        sbtime = 0.0
        lnscht = 0.0
        # 'word' records the status of subspace solutions.
        word[0] = b'-'
        word[1] = b'-'
        word[2] = b'-'
        # 'info' records the termination information.
        info = 0
        itfile = 8
        if flavour & DEV_MAINLB_NO_ITFILE:
            # deviation mainlb_no_itfile (SciPy <= 1.14): no output unit
            itfile = 0

        # Check the input arguments for errors.
        errclb(n, m, factr, l, u, nbd, task, &info, &k)
        if task_starts(task, b'ERROR'):
            prn3lb(n, x, f[0], task, iprint, info, itfile, iter, nfgv, nintol,
                   nskip, nact, sbgnrm, 0.0, nseg, word, iback, stp, xstep, k,
                   cachyt, sbtime, lnscht)
            return

        prn1lb(n, m, l, u, x, iprint, itfile, epsmch)

        # Initialize iwhere and project x onto the feasible set.
        active(n, l, u, nbd, x, iwhere, iprint, &prjctd, &cnstnd, &boxed)
        # The end of the initialization.
        settask(task, b'FG_START')
        lbl = L1000
    else:
        # restore local variables
        prjctd = lsave[0]
        cnstnd = lsave[1]
        boxed = lsave[2]
        updatd = lsave[3]

        nintol = isave[0]
        itfile = isave[2]
        iback = isave[3]
        nskip = isave[4]
        head = isave[5]
        col = isave[6]
        itail = isave[7]
        iter = isave[8]
        iupdat = isave[9]
        nseg = isave[11]
        nfgv = isave[12]
        info = isave[13]
        ifun = isave[14]
        iword = isave[15]
        nfree = isave[16]
        nact = isave[17]
        ileave = isave[18]
        nenter = isave[19]

        theta = dsave[0]
        fold = dsave[1]
        tol = dsave[2]
        dnorm = dsave[3]
        epsmch = dsave[4]
        cpu1 = dsave[5]
        cachyt = dsave[6]
        sbtime = dsave[7]
        lnscht = dsave[8]
        time1 = dsave[9]
        gd = dsave[10]
        stpmx = dsave[11]
        sbgnrm = dsave[12]
        stp = dsave[13]
        gdold = dsave[14]
        dtd = dsave[15]
        word[0] = b'-'
        word[1] = b'-'
        word[2] = b'-'

        # After returning from the driver go to the point where execution
        # is to resume.
        if task_starts(task, b'FG_LN'):
            lbl = L666
        elif task_starts(task, b'NEW_X'):
            lbl = L777
        elif task_starts(task, b'FG_ST'):
            lbl = L111
        elif task_starts(task, b'STOP'):
            if task[6] == b'C' and task[7] == b'P' and task[8] == b'U':
                # restore the previous iterate
                # x := t, g := r   (n x 1 each)
                kn.dcopy(&n, t, &one, x, &one)
                kn.dcopy(&n, r, &one, g, &one)
                f[0] = fold
            lbl = L999
        else:
            settask(task, b'FG_START')
            lbl = L1000

    while True:
        if lbl == L111:
            # Compute f0 and g0.
            nfgv = 1

            # Compute the infinity norm of the (-) projected gradient.
            projgr(n, l, u, nbd, x, g, &sbgnrm)

            write_mainlb_iterate(iprint, iter, f[0], sbgnrm)  # format 1002
            if sbgnrm <= pgtol:
                # terminate the algorithm
                settask(task, b'CONVERGENCE: NORM_OF_PROJECTED_GRADIENT_<=_PGTOL')
                lbl = L999
            else:
                lbl = L222

        elif lbl == L222:
            # ----------------- the beginning of the loop --------------------
            write_mainlb_iteration(iprint, iter + 1)  # format 1001
            iword = -1

            if not cnstnd and col > 0:
                # skip the search for the GCP
                # z := x   (n x 1)
                kn.dcopy(&n, x, &one, z, &one)
                wrk = updatd
                nseg = 0
                lbl = L333
                continue

            # Compute the Generalized Cauchy Point (GCP).  [BLNZ95 §4, Algorithm CP]
            timer(&cpu1)
            cauchy(n, x, l, u, nbd, g, indx2, iwhere, t, d, z,
                   m, wy, ws, sy, wt, theta, col, head,
                   &wa[0], &wa[2 * m], &wa[4 * m], &wa[6 * m], &nseg,
                   iprint, sbgnrm, &info, epsmch, flavour, kn)
            if info != 0:
                # singular triangular system detected; refresh the lbfgs
                # memory and restart the iteration.
                lbl = restart_singular(iprint, &info, &col, &head, &theta, &iupdat,
                                       &updatd, cpu1, &cpu2, &cachyt)
                continue
            timer(&cpu2)
            cachyt = cachyt + cpu2 - cpu1
            if flavour & DEV_CAUCHY_NSEG_POINTER and nseg > 1:
                # deviation cauchy_nseg_pointer, state only: SciPy's C increments the
                # pointer to nseg instead of the count, so its nseg stays 1
                # and nintol counts Cauchy searches (no effect on iterates)
                nseg = 1
            nintol = nintol + nseg

            # Count the entering and leaving variables for iter > 0; find the
            # index set of free and active variables at the GCP.
            freev(n, &nfree, index, &nenter, &ileave, indx2, iwhere, &wrk,
                  updatd, cnstnd, iprint, iter)
            nact = n - nfree
            lbl = L333

        elif lbl == L333:
            # If there are no free variables or B = theta*I, skip the subspace
            # minimization.
            if nfree == 0 or col == 0:
                lbl = L555
                continue

            # Subspace minimization.  [BLNZ95 §5.1, ZBLN97 §4, MN11]
            timer(&cpu1)

            # Form the LEL^T factorization of the indefinite matrix K.
            if wrk:
                formk(n, nfree, index, nenter, ileave, indx2, iupdat, updatd,
                      wn, snd, m, ws, wy, sy, theta, col, head, &info, flavour, kn)
            if info != 0:
                # nonpositive definiteness in Cholesky factorization; refresh
                # the lbfgs memory and restart the iteration.
                write_mainlb_formk_notpd(iprint)  # format 1006
                reset_memory(&info, &col, &head, &theta, &iupdat, &updatd)
                timer(&cpu2)
                sbtime = sbtime + cpu2 - cpu1
                lbl = L222
                continue

            # Compute r = -Z'B(xcp - xk) - Z'g (using wa(2m+1) = W'(xcp - x)
            # from cauchy).
            cmprlb(n, m, x, g, ws, wy, sy, wt, z, r, wa, index, theta, col,
                   head, nfree, cnstnd, &info, kn)
            if info == 0:
                # call the direct method
                subsm(n, m, nfree, index, l, u, nbd, z, r, xp, ws, wy, theta,
                      x, g, col, head, &iword, wa, wn, iprint, &info, kn)
            # label 444
            if info != 0:
                # singular triangular system detected; refresh the lbfgs
                # memory and restart the iteration.
                lbl = restart_singular(iprint, &info, &col, &head, &theta, &iupdat,
                                       &updatd, cpu1, &cpu2, &sbtime)
                continue
            timer(&cpu2)
            sbtime = sbtime + cpu2 - cpu1
            lbl = L555

        elif lbl == L555:
            # Generate the search direction d := z - x.
            for i in range(n):
                d[i] = z[i] - x[i]
            timer(&cpu1)
            lbl = L666

        elif lbl == L666:
            # Line search.  [BLNZ95 §6, MT94]
            lnsrlb(n, l, u, nbd, x, f[0], &fold, &gd, &gdold, g, d, r, t, z,
                   &stp, &dnorm, &dtd, &xstep, &stpmx, iter, &ifun, &iback,
                   &nfgv, &info, task, boxed, cnstnd, csave, &isave[21],
                   &dsave[16], iprint, flavour, kn)
            # departure: the Fortran's limit `iback .ge. 20` is `maxls`
            if info != 0 or iback >= maxls:
                # restore the previous iterate
                # x := t, g := r   (n x 1 each)
                kn.dcopy(&n, t, &one, x, &one)
                kn.dcopy(&n, r, &one, g, &one)
                f[0] = fold
                if col == 0:
                    # abnormal termination
                    if info == 0:
                        info = -9
                        # restore the actual number of f and g evaluations etc.
                        nfgv = nfgv - 1
                        ifun = ifun - 1
                        iback = iback - 1
                    settask(task, b'ABNORMAL_TERMINATION_IN_LNSRCH')
                    iter = iter + 1
                    lbl = L999
                else:
                    # refresh the lbfgs memory and restart the iteration.
                    write_mainlb_bad_direction(iprint)  # format 1008
                    if info == 0:
                        nfgv = nfgv - 1
                    reset_memory(&info, &col, &head, &theta, &iupdat, &updatd)
                    settask(task, b'RESTART_FROM_LNSRCH')
                    timer(&cpu2)
                    lnscht = lnscht + cpu2 - cpu1
                    lbl = L222
            elif task_starts(task, b'FG_LN'):
                # return to the driver for calculating f and g; reenter at 666
                lbl = L1000
            else:
                # calculate and print out the quantities related to the new X
                timer(&cpu2)
                lnscht = lnscht + cpu2 - cpu1
                iter = iter + 1

                # Compute the infinity norm of the projected (-)gradient.
                projgr(n, l, u, nbd, x, g, &sbgnrm)

                # Print iteration information.
                prn2lb(n, x, f[0], g, iprint, itfile, iter, nfgv, nact,
                       sbgnrm, nseg, word, iword, iback, stp, xstep)
                lbl = L1000

        elif lbl == L777:
            # Test for termination.  [ZBLN97 eqs. (2) and (1)]
            if sbgnrm <= pgtol:
                # terminate the algorithm
                settask(task, b'CONVERGENCE: NORM_OF_PROJECTED_GRADIENT_<=_PGTOL')
                lbl = L999
                continue

            ddum = fabs(fold)
            if fabs(f[0]) > ddum:
                ddum = fabs(f[0])
            if 1.0 > ddum:
                ddum = 1.0                      # max(|fold|, |f|, 1)
            if (fold - f[0]) <= tol * ddum:
                # terminate the algorithm
                settask(task, b'CONVERGENCE: REL_REDUCTION_OF_F_<=_FACTR*EPSMCH')
                if iback >= 10:
                    info = -5
                # i.e., to issue a warning if iback > 10 in the line search
                lbl = L999
                continue

            # Compute d = newx - oldx, r = newg - oldg, rr = y'y and dr = y's.
            for i in range(n):
                r[i] = g[i] - r[i]
            if flavour & DEV_MAINLB_RR_DNRM2:
                # deviation mainlb_rr_dnrm2: SciPy's C squares dnrm2(r) (other bits
                # than ddot; see docs/VERIFY.md, flavours)
                # rr := ||r||_2^2   (n x 1)
                ddum = kn.dnrm2(&n, r, &one)
                rr = ddum * ddum
            else:
                # rr := r' r   (1 x n)(n x 1)
                rr = kn.ddot(&n, r, &one, r, &one)
            if stp == 1.0:
                dr = gd - gdold
                ddum = -gdold
            else:
                dr = (gd - gdold) * stp
                # d := stp * d   (n x 1)
                kn.dscal(&n, &stp, d, &one)
                ddum = -gdold * stp

            if dr <= epsmch * ddum:
                # skip the L-BFGS update  [ZBLN97 eq. (3)]
                nskip = nskip + 1
                updatd = False
                write_mainlb_skipped(iprint, dr, ddum)  # format 1004
                lbl = L222      # label 888
                continue

            # Update the L-BFGS matrix.  [BLNZ95 §6 steps 6-7, (3.1)-(3.6)]
            updatd = True
            iupdat = iupdat + 1

            # Update matrices WS and WY and form the middle matrix in B.
            matupd(n, m, ws, wy, sy, ss, d, r, &itail, iupdat, &col, &head,
                   &theta, rr, dr, stp, dtd, kn)

            # Form the upper half of the pds T = theta*SS + L*D^(-1)*L';
            # store T in the upper triangular of the array wt; Cholesky
            # factorize T to J*J' with J' stored in the upper triangular of wt.
            formt(m, wt, sy, ss, col, theta, &info, kn)
            if info != 0:
                # nonpositive definiteness in Cholesky factorization; refresh
                # the lbfgs memory and restart the iteration.
                write_mainlb_formt_notpd(iprint)  # format 1007
                info = 0
                col = 0
                head = 1
                theta = 1.0
                iupdat = 0
                updatd = False
            # label 888: go to the beginning of the loop
            lbl = L222

        elif lbl == L999:
            timer(&time2)
            time = time2 - time1
            prn3lb(n, x, f[0], task, iprint, info, itfile, iter, nfgv, nintol,
                   nskip, nact, sbgnrm, time, nseg, word, iback, stp, xstep,
                   k, cachyt, sbtime, lnscht)
            lbl = L1000

        else:   # L1000: save local variables
            lsave[0] = prjctd
            lsave[1] = cnstnd
            lsave[2] = boxed
            lsave[3] = updatd

            isave[0] = nintol
            isave[2] = itfile
            isave[3] = iback
            isave[4] = nskip
            isave[5] = head
            isave[6] = col
            isave[7] = itail
            isave[8] = iter
            isave[9] = iupdat
            isave[11] = nseg
            isave[12] = nfgv
            isave[13] = info
            isave[14] = ifun
            isave[15] = iword
            isave[16] = nfree
            isave[17] = nact
            isave[18] = ileave
            isave[19] = nenter

            dsave[0] = theta
            dsave[1] = fold
            dsave[2] = tol
            dsave[3] = dnorm
            dsave[4] = epsmch
            dsave[5] = cpu1
            dsave[6] = cachyt
            dsave[7] = sbtime
            dsave[8] = lnscht
            dsave[9] = time1
            dsave[10] = gd
            dsave[11] = stpmx
            dsave[12] = sbgnrm
            dsave[13] = stp
            dsave[14] = gdold
            dsave[15] = dtd
            return
