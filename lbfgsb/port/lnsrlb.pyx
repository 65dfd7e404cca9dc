"""Line search of L-BFGS-B 3.0: the Fortran routines

    lnsrlb   -- drives the line search along d, keeping trial points feasible
    dcsrch   -- MINPACK-2 Moré–Thuente line search (reverse communication)
    dcstep   -- MINPACK-2 safeguarded step and interval update

translated from Debian's lbfgsb.f (3.0 with the bound-clipping patch in lnsrlb).
References: [MT94] J. J. Moré and D. J. Thuente, Line search algorithms with
guaranteed sufficient decrease, ACM TOMS 20 (1994); [BLNZ95] §6 (the line-search
paragraph and step 4 of the L-BFGS-B Algorithm) and the conditions (2.5)-(2.6).
"""


from lbfgsb.port.kernels cimport Kernels, kernels_for
from libc.math cimport fabs, sqrt

from lbfgsb.port.tasks cimport TASK_LEN, settask, task_starts
from lbfgsb.port.deviations cimport DEV_LNSRLB_DNRM2, DEV_LNSRLB_FMIN_SWAPPED
from lbfgsb.port.trace cimport write_lnsrlb_ascent


cdef void lnsrlb(int n, double* l, double* u, int* nbd, double* x, double f,
                 double* fold, double* gd, double* gdold, double* g, double* d,
                 double* r, double* t, double* z, double* stp, double* dnorm,
                 double* dtd, double* xstep, double* stpmx, int iter,
                 int* ifun, int* iback, int* nfgv, int* info, char* task,
                 bint boxed, bint cnstnd, char* csave, int* isave,
                 double* dsave, int iprint, int flavour, const Kernels* kn) noexcept nogil:
    """One pass of the projected line search of [BLNZ95] §6 along d from t = x_k.

    [BLNZ95] §6 caps the step at the closest bound (stpmx here) and starts
    at the unit step; the code departs from the paper at iteration 0 (see
    below) and in its sufficient-decrease constant: ftol = 1e-3 where
    (2.5) takes 1e-4 in §6 step 4.

    On a fresh entry (task not 'FG_LN...') it computes dtd = d'd, dnorm, the
    largest feasible step stpmx (1 on the first iteration of a constrained
    problem, else the largest step keeping x + stp*d in the box, capped by
    big), the initial trial step stp, saves x -> t, g -> r, f -> fold and
    starts dcsrch ([MT94]) with csave = 'START'.  On every entry it computes
    gd = g'd, stops with info = -4 if the first directional derivative is not
    negative, then calls dcsrch.  If dcsrch wants another evaluation it sets
    task = 'FG_LNSRCH' and the new trial point x = t + stp*d (clipped to the
    bounds, Debian's patch; x = z when stp = 1), otherwise task = 'NEW_X'.
    Writes x, fold, gd, gdold, r, t, stp, dnorm, dtd, xstep, stpmx, ifun,
    iback, nfgv, info, task, csave, isave, dsave.

    Departure from the Fortran signature: `f` is passed by value and `iprint`
    is an extra trailing argument.  Debian's silence patch made this routine
    test an `iprint` that is not one of its arguments (an uninitialised
    implicit local in the Fortran); here the caller passes mainlb's iprint.
    """
    cdef int i                       # loop index
    cdef int one_i = 1               # BLAS increment
    cdef double a1, a2               # d(i); distance from x(i) to the bound
    cdef double one = 1.0, zero = 0.0
    cdef double big = 1.0e10         # stpmx for an unconstrained problem
    cdef double ftol = 1.0e-3        # sufficient decrease tolerance
    cdef double gtol = 0.9           # curvature tolerance
    cdef double xtol = 0.1           # relative interval width tolerance
    cdef double xi                   # trial x(i)
    cdef bint swapped                # lnsrlb_fmin_swapped is on
    cdef double s                    # one/dnorm
    cdef bint copied                 # t := x made in the pass for stpmx

    if not task_starts(task, b'FG_LN'):
        if flavour & DEV_LNSRLB_DNRM2:
            # deviation lnsrlb_dnrm2 (SciPy's C): it takes the norm first, with dnrm2, and
            # squares it (different bits from ddot; see docs/VERIFY.md, flavours)
            # dnorm := ||d||_2   (n x 1)
            dnorm[0] = kn.dnrm2(&n, d, &one_i)
            dtd[0] = dnorm[0] * dnorm[0]
        else:
            # dtd := d' d   (1 x 1) = (1 x n)(n x 1)
            dtd[0] = kn.ddot(&n, d, &one_i, d, &one_i)
            dnorm[0] = sqrt(dtd[0])

        # Largest step keeping x + stp*d inside the box.  Its pass over x
        # also makes t := x below (the Fortran's dcopy: the same values, one
        # pass over x fewer); x and t do not change in between.
        stpmx[0] = big
        copied = False
        if cnstnd:
            if iter == 0:
                stpmx[0] = one
            else:
                copied = True
                for i in range(1, n + 1):
                    t[i - 1] = x[i - 1]
                    a1 = d[i - 1]
                    if nbd[i - 1] != 0:
                        if a1 < zero and nbd[i - 1] <= 2:
                            a2 = l[i - 1] - x[i - 1]
                            if a2 >= zero:
                                stpmx[0] = zero
                            elif a1 * stpmx[0] < a2:
                                stpmx[0] = a2 / a1
                        elif a1 > zero and nbd[i - 1] >= 2:
                            a2 = u[i - 1] - x[i - 1]
                            if a2 <= zero:
                                stpmx[0] = zero
                            elif a1 * stpmx[0] > a2:
                                stpmx[0] = a2 / a1

        if iter == 0 and not boxed:
            # stp = min(one/dnorm, stpmx)
            s = one / dnorm[0]
            stp[0] = s if s < stpmx[0] else stpmx[0]
        else:
            stp[0] = one

        # t := x   (n x 1), unless made in the pass above
        if not copied:
            kn.dcopy(&n, x, &one_i, t, &one_i)
        # r := g   (n x 1)
        kn.dcopy(&n, g, &one_i, r, &one_i)
        fold[0] = f
        ifun[0] = 0
        iback[0] = 0
        settask(csave, b'START')

    # label 556
    # gd := g' d   (1 x 1) = (1 x n)(n x 1)
    gd[0] = kn.ddot(&n, g, &one_i, d, &one_i)
    if ifun[0] == 0:
        gdold[0] = gd[0]
        if gd[0] >= zero:
            # Not a descent direction: no line search is possible.
            # departure lnsrlb_iprint: mainlb's iprint (Debian tests an uninitialised local)
            write_lnsrlb_ascent(iprint, gd[0])
            info[0] = -4
            return

    dcsrch(f, gd[0], stp, ftol, gtol, xtol, zero, stpmx[0], csave, isave, dsave)

    xstep[0] = stp[0] * dnorm[0]
    if not task_starts(csave, b'CONV') and not task_starts(csave, b'WARN'):
        settask(task, b'FG_LNSRCH')
        ifun[0] = ifun[0] + 1
        nfgv[0] = nfgv[0] + 1
        iback[0] = ifun[0] - 1
        if stp[0] == one:
            # x := z   (n x 1)
            kn.dcopy(&n, z, &one_i, x, &one_i)
        else:
            # Trial point, clipped to the bounds against rounding (Debian patch).
            # Deviation lnsrlb_fmin_swapped (SciPy's C, as built): GCC
            # compiles fmin(x[i], u[i]) as fmin(u[i], x[i]) and glibc's fmin
            # returns its second argument of two equal ones, so a trial
            # x = +0.0 at u = -0.0 stays +0.0 (the Fortran's min gives u).
            swapped = (flavour & DEV_LNSRLB_FMIN_SWAPPED) != 0
            for i in range(n):
                xi = stp[0] * d[i] + t[i]
                if nbd[i] == 1 or nbd[i] == 2:
                    xi = xi if xi > l[i] else l[i]        # max(x(i), l(i))
                if nbd[i] == 2 or nbd[i] == 3:
                    if swapped:
                        # fmin(u(i), x(i)): a NaN x gives u, as min(x, u)
                        xi = u[i] if u[i] < xi or xi != xi else xi
                    else:
                        xi = xi if xi < u[i] else u[i]    # min(x(i), u(i))
                x[i] = xi
    else:
        settask(task, b'NEW_X')


cdef void dcsrch(double f, double g, double* stp, double ftol, double gtol,
                 double xtol, double stpmin, double stpmax, char* task,
                 int* isave, double* dsave) noexcept nogil:
    """Moré–Thuente line search [MT94], one reverse-communication step.

    Looks for a step satisfying the sufficient decrease condition
    f(stp) <= f(0) + ftol*stp*f'(0) and the curvature condition
    |f'(stp)| <= gtol*|f'(0)| ([BLNZ95] (2.5)-(2.6)).  Call with task = 'START', f = f(0), g = f'(0)
    and a first stp; while task starts with 'FG', evaluate f and g at stp and
    call again.  Ends with task 'CONVERGENCE', 'WARNING: ...' or 'ERROR: ...'.
    The interval [stx, sty] and the stage live in isave(2) and dsave(13)
    between calls.  Writes stp, task, isave, dsave.
    """
    cdef double zero = 0.0, p5 = 0.5, p66 = 0.66
    cdef double xtrapl = 1.1, xtrapu = 4.0   # extrapolation factors
    cdef bint brackt             # minimizer bracketed in [stx, sty]
    cdef int stage               # 1 until psi(stp) <= 0 and f'(stp) >= 0
    cdef double finit, ginit     # f(0), f'(0)
    cdef double ftest, gtest     # sufficient decrease line, ftol*ginit
    cdef double fm, fxm, fym     # modified function psi at stp, stx, sty
    cdef double gm, gxm, gym     # modified derivative at stp, stx, sty
    cdef double fx, gx           # f, f' at the best step stx
    cdef double fy, gy           # f, f' at the other endpoint sty
    cdef double stx, sty         # interval endpoints
    cdef double stmin, stmax     # current step bounds
    cdef double width, width1    # interval widths of the last two iterations

    if task_starts(task, b'START'):
        # Argument checks; the last one that fails names the error.
        if stp[0] < stpmin:
            settask(task, b'ERROR: STP .LT. STPMIN')
        if stp[0] > stpmax:
            settask(task, b'ERROR: STP .GT. STPMAX')
        if g >= zero:
            settask(task, b'ERROR: INITIAL G .GE. ZERO')
        if ftol < zero:
            settask(task, b'ERROR: FTOL .LT. ZERO')
        if gtol < zero:
            settask(task, b'ERROR: GTOL .LT. ZERO')
        if xtol < zero:
            settask(task, b'ERROR: XTOL .LT. ZERO')
        if stpmin < zero:
            settask(task, b'ERROR: STPMIN .LT. ZERO')
        if stpmax < stpmin:
            settask(task, b'ERROR: STPMAX .LT. STPMIN')

        if task_starts(task, b'ERROR'):
            return

        brackt = False
        stage = 1
        finit = f
        ginit = g
        gtest = ftol * ginit
        width = stpmax - stpmin
        width1 = width / p5

        stx = zero
        fx = finit
        gx = ginit
        sty = zero
        fy = finit
        gy = ginit
        stmin = zero
        stmax = stp[0] + xtrapu * stp[0]
        settask(task, b'FG')
        # goto 1000
    else:
        # Restore the saved state.
        if isave[0] == 1:
            brackt = True
        else:
            brackt = False
        stage = isave[1]
        ginit = dsave[0]
        gtest = dsave[1]
        gx = dsave[2]
        gy = dsave[3]
        finit = dsave[4]
        fx = dsave[5]
        fy = dsave[6]
        stx = dsave[7]
        sty = dsave[8]
        stmin = dsave[9]
        stmax = dsave[10]
        width = dsave[11]
        width1 = dsave[12]

        # Second stage once psi(stp) <= 0 and f'(stp) >= 0.
        ftest = finit + stp[0] * gtest  # (2.5)
        if stage == 1 and f <= ftest and g >= zero:
            stage = 2

        # Warnings (a later test overrides an earlier one).
        if brackt and (stp[0] <= stmin or stp[0] >= stmax):
            settask(task, b'WARNING: ROUNDING ERRORS PREVENT PROGRESS')
        if brackt and stmax - stmin <= xtol * stmax:
            settask(task, b'WARNING: XTOL TEST SATISFIED')
        if stp[0] == stpmax and f <= ftest and g <= gtest:
            settask(task, b'WARNING: STP = STPMAX')
        if stp[0] == stpmin and (f > ftest or g >= gtest):
            settask(task, b'WARNING: STP = STPMIN')

        # Convergence.
        if f <= ftest and fabs(g) <= gtol * (-ginit):  # (2.5), (2.6)
            settask(task, b'CONVERGENCE')

        if not (task_starts(task, b'WARN') or task_starts(task, b'CONV')):
            if stage == 1 and f <= fx and f > ftest:
                # First stage with a lower but insufficient decrease: step on
                # the modified function psi.
                fm = f - stp[0] * gtest
                fxm = fx - stx * gtest
                fym = fy - sty * gtest
                gm = g - gtest
                gxm = gx - gtest
                gym = gy - gtest

                dcstep(&stx, &fxm, &gxm, &sty, &fym, &gym, stp, fm, gm,
                       &brackt, stmin, stmax)

                fx = fxm + stx * gtest
                fy = fym + sty * gtest
                gx = gxm + gtest
                gy = gym + gtest
            else:
                dcstep(&stx, &fx, &gx, &sty, &fy, &gy, stp, f, g,
                       &brackt, stmin, stmax)

            # Bisect if the interval did not shrink enough.
            if brackt:
                if fabs(sty - stx) >= p66 * width1:
                    stp[0] = stx + p5 * (sty - stx)
                width1 = width
                width = fabs(sty - stx)

            # Step bounds for the next trial.
            if brackt:
                stmin = stx if stx < sty else sty     # min(stx, sty)
                stmax = stx if stx > sty else sty     # max(stx, sty)
            else:
                stmin = stp[0] + xtrapl * (stp[0] - stx)
                stmax = stp[0] + xtrapu * (stp[0] - stx)

            # stp = max(stp, stpmin); stp = min(stp, stpmax)
            stp[0] = stp[0] if stp[0] > stpmin else stpmin
            stp[0] = stp[0] if stp[0] < stpmax else stpmax

            # No further progress possible: fall back to the best step.
            if ((brackt and (stp[0] <= stmin or stp[0] >= stmax))
                    or (brackt and stmax - stmin <= xtol * stmax)):
                stp[0] = stx

            settask(task, b'FG')

    # label 1000: save the state.
    if brackt:
        isave[0] = 1
    else:
        isave[0] = 0
    isave[1] = stage
    dsave[0] = ginit
    dsave[1] = gtest
    dsave[2] = gx
    dsave[3] = gy
    dsave[4] = finit
    dsave[5] = fx
    dsave[6] = fy
    dsave[7] = stx
    dsave[8] = sty
    dsave[9] = stmin
    dsave[10] = stmax
    dsave[11] = width
    dsave[12] = width1


cdef void dcstep(double* stx, double* fx, double* dx, double* sty, double* fy,
                 double* dy, double* stp, double fp, double dp, bint* brackt,
                 double stpmin, double stpmax) noexcept nogil:
    """Safeguarded trial step and interval update of [MT94].

    From the best step stx (fx, dx), the other endpoint sty (fy, dy) and the
    current step stp (fp, dp) it picks a cubic, quadratic or secant step
    according to the four cases of [MT94] (higher function value; opposite
    derivative signs; same sign with decreasing |derivative|; same sign with
    non-decreasing |derivative|), safeguarded by stpmin/stpmax, and updates
    the interval.  Writes stx, fx, dx, sty, fy, dy, stp, brackt.
    """
    cdef double zero = 0.0, p66 = 0.66, two = 2.0, three = 3.0
    cdef double gamma, p, q, r, s    # cubic interpolation terms
    cdef double sgnd                 # dp * sign(dx)
    cdef double stpc, stpq, stpf     # cubic, quadratic/secant, chosen step
    cdef double theta
    cdef double a, b                 # scratch for max/min and quotients

    sgnd = dp * (dx[0] / fabs(dx[0]))

    if fp > fx[0]:
        # Case 1: higher function value; the minimum is bracketed.
        theta = ((three * (fx[0] - fp)) / (stp[0] - stx[0]) + dx[0]) + dp
        a = fabs(theta)
        b = fabs(dx[0])
        s = a if a > b else b
        b = fabs(dp)
        s = s if s > b else b
        a = theta / s
        gamma = s * sqrt(a * a - (dx[0] / s) * (dp / s))
        if stp[0] < stx[0]:
            gamma = -gamma
        p = (gamma - dx[0]) + theta
        q = ((gamma - dx[0]) + gamma) + dp
        r = p / q
        stpc = stx[0] + r * (stp[0] - stx[0])
        stpq = stx[0] + ((dx[0] / ((fx[0] - fp) / (stp[0] - stx[0]) + dx[0])) / two) \
            * (stp[0] - stx[0])
        if fabs(stpc - stx[0]) < fabs(stpq - stx[0]):
            stpf = stpc
        else:
            stpf = stpc + (stpq - stpc) / two
        brackt[0] = True

    elif sgnd < zero:
        # Case 2: lower value, derivatives of opposite sign; bracketed.
        theta = ((three * (fx[0] - fp)) / (stp[0] - stx[0]) + dx[0]) + dp
        a = fabs(theta)
        b = fabs(dx[0])
        s = a if a > b else b
        b = fabs(dp)
        s = s if s > b else b
        a = theta / s
        gamma = s * sqrt(a * a - (dx[0] / s) * (dp / s))
        if stp[0] > stx[0]:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = ((gamma - dp) + gamma) + dx[0]
        r = p / q
        stpc = stp[0] + r * (stx[0] - stp[0])
        stpq = stp[0] + (dp / (dp - dx[0])) * (stx[0] - stp[0])
        if fabs(stpc - stp[0]) > fabs(stpq - stp[0]):
            stpf = stpc
        else:
            stpf = stpq
        brackt[0] = True

    elif fabs(dp) < fabs(dx[0]):
        # Case 3: lower value, same sign, |derivative| decreases.
        theta = ((three * (fx[0] - fp)) / (stp[0] - stx[0]) + dx[0]) + dp
        a = fabs(theta)
        b = fabs(dx[0])
        s = a if a > b else b
        b = fabs(dp)
        s = s if s > b else b
        # gamma = 0 only when the cubic does not go to infinity along the step.
        a = theta / s
        a = a * a - (dx[0] / s) * (dp / s)
        gamma = s * sqrt(zero if zero > a else a)      # max(zero, ...)
        if stp[0] > stx[0]:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = (gamma + (dx[0] - dp)) + gamma
        r = p / q
        if r < zero and gamma != zero:
            stpc = stp[0] + r * (stx[0] - stp[0])
        elif stp[0] > stx[0]:
            stpc = stpmax
        else:
            stpc = stpmin
        stpq = stp[0] + (dp / (dp - dx[0])) * (stx[0] - stp[0])

        if brackt[0]:
            # Bracketed: the step closer to stp, kept inside the interval.
            if fabs(stpc - stp[0]) < fabs(stpq - stp[0]):
                stpf = stpc
            else:
                stpf = stpq
            a = stp[0] + p66 * (sty[0] - stp[0])
            if stp[0] > stx[0]:
                stpf = a if a < stpf else stpf         # min(a, stpf)
            else:
                stpf = a if a > stpf else stpf         # max(a, stpf)
        else:
            # Not bracketed: the step farther from stp, within the bounds.
            if fabs(stpc - stp[0]) > fabs(stpq - stp[0]):
                stpf = stpc
            else:
                stpf = stpq
            stpf = stpmax if stpmax < stpf else stpf   # min(stpmax, stpf)
            stpf = stpmin if stpmin > stpf else stpf   # max(stpmin, stpf)

    else:
        # Case 4: lower value, same sign, |derivative| does not decrease.
        if brackt[0]:
            theta = ((three * (fp - fy[0])) / (sty[0] - stp[0]) + dy[0]) + dp
            a = fabs(theta)
            b = fabs(dy[0])
            s = a if a > b else b
            b = fabs(dp)
            s = s if s > b else b
            a = theta / s
            gamma = s * sqrt(a * a - (dy[0] / s) * (dp / s))
            if stp[0] > sty[0]:
                gamma = -gamma
            p = (gamma - dp) + theta
            q = ((gamma - dp) + gamma) + dy[0]
            r = p / q
            stpc = stp[0] + r * (sty[0] - stp[0])
            stpf = stpc
        elif stp[0] > stx[0]:
            stpf = stpmax
        else:
            stpf = stpmin

    # Update the interval that contains a minimizer.
    if fp > fx[0]:
        sty[0] = stp[0]
        fy[0] = fp
        dy[0] = dp
    else:
        if sgnd < zero:
            sty[0] = stx[0]
            fy[0] = fx[0]
            dy[0] = dx[0]
        stx[0] = stp[0]
        fx[0] = fp
        dx[0] = dp

    stp[0] = stpf


# ---------------------------------------------------------------------------
# Test shims (Python-callable wrappers, for the unit tests only)
# ---------------------------------------------------------------------------

cdef bytes _pad_task(object text):
    """Blank-pad a bytes/str task to TASK_LEN bytes."""
    if isinstance(text, str):
        text = text.encode('ascii')
    text = bytes(text)
    if len(text) > TASK_LEN:
        raise ValueError("task longer than %d characters" % TASK_LEN)
    return text + b' ' * (TASK_LEN - len(text))


def py_dcstep(double stx, double fx, double dx, double sty, double fy,
              double dy, double stp, double fp, double dp, bint brackt,
              double stpmin, double stpmax):
    """dcstep on scalars; returns (stx, fx, dx, sty, fy, dy, stp, brackt)."""
    dcstep(&stx, &fx, &dx, &sty, &fy, &dy, &stp, fp, dp, &brackt,
           stpmin, stpmax)
    return stx, fx, dx, sty, fy, dy, stp, bool(brackt)


def py_dcsrch(double f, double g, double stp, double ftol, double gtol,
              double xtol, double stpmin, double stpmax, task,
              int[::1] isave, double[::1] dsave):
    """dcsrch; isave (int32, 2) and dsave (float64, 13) are updated in place.

    Returns (stp, task) with task the 60-byte blank-padded buffer.
    """
    cdef char buf[TASK_LEN]
    cdef bytes t = _pad_task(task)
    cdef int i
    if isave.shape[0] < 2:
        raise ValueError("isave must have length 2")
    if dsave.shape[0] < 13:
        raise ValueError("dsave must have length 13")
    for i in range(TASK_LEN):
        buf[i] = t[i]
    dcsrch(f, g, &stp, ftol, gtol, xtol, stpmin, stpmax, buf,
           &isave[0], &dsave[0])
    return stp, bytes(buf[:TASK_LEN])


def py_lnsrlb(double[::1] l, double[::1] u, int[::1] nbd, double[::1] x,
              double f, double fold, double gd, double gdold, double[::1] g,
              double[::1] d, double[::1] r, double[::1] t, double[::1] z,
              double stp, double dnorm, double dtd, double xstep,
              double stpmx, int iter, int ifun, int iback, int nfgv,
              int info, task, bint boxed, bint cnstnd, csave,
              int[::1] isave, double[::1] dsave, int iprint=-1,
              int flavour=0, kernels="scipy"):
    """lnsrlb; x, r, t, isave, dsave are updated in place (n = len(x)).

    Returns a dict of the scalar outputs and the task / csave buffers.
    """
    cdef int n = x.shape[0]
    cdef char tbuf[TASK_LEN]
    cdef char cbuf[TASK_LEN]
    cdef bytes tt = _pad_task(task)
    cdef bytes cc = _pad_task(csave)
    cdef int i
    for name, arr in (('l', l), ('u', u), ('nbd', nbd), ('g', g), ('d', d),
                      ('r', r), ('t', t), ('z', z)):
        if arr.shape[0] != n:
            raise ValueError("%s must have length n = %d" % (name, n))
    if n < 1:
        raise ValueError("n must be >= 1")
    if isave.shape[0] < 2:
        raise ValueError("isave must have length 2")
    if dsave.shape[0] < 13:
        raise ValueError("dsave must have length 13")
    for i in range(TASK_LEN):
        tbuf[i] = tt[i]
        cbuf[i] = cc[i]
    lnsrlb(n, &l[0], &u[0], &nbd[0], &x[0], f, &fold, &gd, &gdold, &g[0],
           &d[0], &r[0], &t[0], &z[0], &stp, &dnorm, &dtd, &xstep, &stpmx,
           iter, &ifun, &iback, &nfgv, &info, tbuf, boxed, cnstnd, cbuf,
           &isave[0], &dsave[0], iprint, flavour, kernels_for(kernels))
    return dict(fold=fold, gd=gd, gdold=gdold, stp=stp, dnorm=dnorm, dtd=dtd,
                xstep=xstep, stpmx=stpmx, ifun=ifun, iback=iback, nfgv=nfgv,
                info=info, task=bytes(tbuf[:TASK_LEN]),
                csave=bytes(cbuf[:TASK_LEN]))
