"""Generalized Cauchy point of L-BFGS-B 3.0: the Fortran routines

    cauchy   -- generalized Cauchy point along the projected steepest descent path
    hpsolb   -- heap sort step that brings the smallest breakpoint to the end

translated from Debian's lbfgsb.f, version 3.0.
Reference: [BLNZ95] R. H. Byrd, P. Lu, J. Nocedal, C. Zhu, A limited memory
algorithm for bound constrained optimization, SIAM J. Sci. Comput. 16 (1995),
§4 (the generalized Cauchy point: (4.1)-(4.13) and Algorithm CP), with B in
the compact form (3.2) of §3 after [BNS94].  Numbers are those of the
technical report NAM-08 (May 1994); see docs/GUIDE.md.
"""


from lbfgsb.port.kernels cimport Kernels, kernels_for
from libc.math cimport fabs

from lbfgsb.port.bmv cimport bmv
from lbfgsb.port.deviations cimport DEV_CAUCHY_DEAD_EXIT, DEV_CAUCHY_NEG_OPERAND
from lbfgsb.port.trace cimport (write_cauchy_subgnorm_zero, write_cauchy_entered,
                            write_cauchy_breakpoints, write_cauchy_piece,
                            write_cauchy_fixed, write_cauchy_gcp, write_cauchy_x,
                            write_cauchy_exit)


cdef inline double _neg_mul(double a, double b, bint neg_operand) noexcept nogil:
    """-a*b: Fortran's -(a*b), or C's (-a)*b (cauchy_neg_operand)."""
    if neg_operand:
        return (-a) * b
    return -(a * b)


cdef inline double _neg_div(double a, double b, bint neg_operand) noexcept nogil:
    """-a/b: Fortran's -(a/b), or C's (-a)/b (cauchy_neg_operand)."""
    if neg_operand:
        return (-a) / b
    return -(a / b)


cdef void cauchy(int n, double* x, double* l, double* u, int* nbd, double* g,
                 int* iorder, int* iwhere, double* t, double* d, double* xcp,
                 int m, double* wy, double* ws, double* sy, double* wt,
                 double theta, int col, int head, double* p, double* c,
                 double* wbp, double* v, int* nseg, int iprint, double sbgnrm,
                 int* info, double epsmch, int flavour, const Kernels* kn) noexcept nogil:
    """Generalized Cauchy point xcp of [BLNZ95] §4 (Algorithm CP).

    Follows the piecewise linear path x(t) = P(x - t g, l, u) and returns in
    xcp the first local minimizer of the quadratic model (2.1),
    m(x + s) = g's + s'Bs/2, B = theta I - W M W' the compact L-BFGS matrix
    ((3.2); W = [Y, theta S] from wy, ws, M from sy, wt through bmv).
    Breakpoints t_i (4.1) are examined in increasing order (the smallest
    found directly, later ones by the heap of hpsolb); on each segment
    f1 = m' and f2 = m'' ((4.4)-(4.5), updated by (4.11)-(4.12)) give the
    segment minimizer dtm = -f1/f2, compared with the segment length dt.
    On exit c = W'(xcp - x) is (4.13).  Reads x, l, u, nbd, g, wy, ws (n x m, leading dimension
    n, columns head, head+1, ... mod m), sy, wt (m x m), theta, col, head.
    Writes iorder (breakpoint / free variable numbers), iwhere (variable
    status), t (breakpoints), d (Cauchy direction), xcp, p = W'd,
    c = W'(xcp - x), wbp, v (work), nseg, info (nonzero if bmv fails).
    """
    cdef bint xlower, xupper      # x(i) at its lower / upper bound
    cdef bint bnded               # every moving variable hits a bound
    cdef int i, j                 # loop indices
    cdef int col2                 # 2*col
    cdef int k1                   # columns head..head+k1-1 precede the wrap to 1
    cdef int nfree                # iorder(nfree:n) are free variables
    cdef int nbreak               # number of breakpoints
    cdef int pointr               # column of ws / wy in the circular storage
    cdef int ibp                  # variable of the current breakpoint
    cdef int nleft                # breakpoints not yet passed
    cdef int ibkmin               # position of the smallest breakpoint
    cdef int iter                 # segment counter for the heap
    cdef double f1, f2            # first and second derivative on the segment
    cdef double f2_org            # f2 at the start (lower safeguard for f2)
    cdef double dt, dtm           # segment length; distance to minimizer
    cdef double tsum              # sum of passed segment lengths
    cdef double dibp, zibp, dibp2 # d, bound - x, d**2 of the fixed variable
    cdef double bkmin             # smallest breakpoint
    cdef double tu = 0.0, tl = 0.0  # distance to the upper / lower bound
    cdef double wmc, wmp, wmw     # wbp'M c, wbp'M p, wbp'M wbp
    cdef double tj, tj0           # current and previous breakpoint
    cdef double neggi             # -g(i)
    cdef double a                 # scratch
    cdef double one = 1.0, zero = 0.0
    cdef int inc = 1              # BLAS increment
    cdef double alpha             # BLAS scalar argument
    # Deviation cauchy_neg_operand (SciPy's C): C's unary minus binds to the
    # operand, f2 = (-theta)*f1 and dtm = (-f1)/f2, where the Fortran's
    # applies to the product / quotient, -(theta*f1) and -(f1/f2).  The
    # values are equal; a NaN's sign bit is not (x86 keeps a NaN operand's
    # sign, negation flips it).  Used by _neg_mul and _neg_div below.
    cdef bint neg_operand = (flavour & DEV_CAUCHY_NEG_OPERAND) != 0

    if sbgnrm <= zero:
        write_cauchy_subgnorm_zero(iprint)
        # xcp := x   (n x 1)
        kn.dcopy(&n, x, &inc, xcp, &inc)
        return

    bnded = True
    nfree = n + 1
    nbreak = 0
    ibkmin = 0
    bkmin = zero
    col2 = 2 * col
    f1 = zero
    write_cauchy_entered(iprint)  # format 3010

    for i in range(col2):
        p[i] = zero
    k1 = m - head + 1 if col > m - head + 1 else col

    # Bound status and breakpoint of each variable; p built up as d is.
    # xcp := x is made in this pass too (the Fortran's dcopy after the loop:
    # the same values, one pass over x fewer).
    for i in range(1, n + 1):
        xcp[i - 1] = x[i - 1]
        neggi = -g[i - 1]
        if iwhere[i - 1] != 3 and iwhere[i - 1] != -1:
            if nbd[i - 1] <= 2:
                tl = x[i - 1] - l[i - 1]
            if nbd[i - 1] >= 2:
                tu = u[i - 1] - x[i - 1]

            xlower = nbd[i - 1] <= 2 and tl <= zero
            xupper = nbd[i - 1] >= 2 and tu <= zero

            iwhere[i - 1] = 0
            if xlower:
                if neggi <= zero:
                    iwhere[i - 1] = 1
            elif xupper:
                if neggi >= zero:
                    iwhere[i - 1] = 2
            else:
                if fabs(neggi) <= zero:
                    iwhere[i - 1] = -3
        if iwhere[i - 1] != 0 and iwhere[i - 1] != -1:
            d[i - 1] = zero
        else:
            d[i - 1] = neggi  # (4.2)
            f1 = f1 - neggi * neggi  # (4.4)
            # p := p - W' e_i g_i
            # (the Fortran's j = 1..col with pointr = head, head+1, ... mod m,
            # as two runs of columns, head..head+k1-1 then 1..col-k1: the same
            # additions, without an integer division per element)
            for j in range(k1):
                p[j] = p[j] + wy[(i - 1) + (head - 1 + j) * n] * neggi
                p[col + j] = p[col + j] + ws[(i - 1) + (head - 1 + j) * n] * neggi
            for j in range(k1, col):
                p[j] = p[j] + wy[(i - 1) + (j - k1) * n] * neggi
                p[col + j] = p[col + j] + ws[(i - 1) + (j - k1) * n] * neggi
            if nbd[i - 1] <= 2 and nbd[i - 1] != 0 and neggi < zero:
                # x(i) + d(i) meets the lower bound
                nbreak = nbreak + 1
                iorder[nbreak - 1] = i
                t[nbreak - 1] = tl / (-neggi)  # (4.1)
                if nbreak == 1 or t[nbreak - 1] < bkmin:
                    bkmin = t[nbreak - 1]
                    ibkmin = nbreak
            elif nbd[i - 1] >= 2 and neggi > zero:
                # x(i) + d(i) meets the upper bound
                nbreak = nbreak + 1
                iorder[nbreak - 1] = i
                t[nbreak - 1] = tu / neggi  # (4.1)
                if nbreak == 1 or t[nbreak - 1] < bkmin:
                    bkmin = t[nbreak - 1]
                    ibkmin = nbreak
            else:
                # x(i) + d(i) is unbounded
                nfree = nfree - 1
                iorder[nfree - 1] = i
                if fabs(neggi) > zero:
                    bnded = False

    if theta != one:
        # p(col+1:2col) := theta * p(col+1:2col)   (col x 1)
        kn.dscal(&col, &theta, &p[col], &inc)

    # xcp := x   (n x 1): made in the pass above

    if nbreak == 0 and nfree == n + 1:
        # d = 0: the GCP is x.
        write_cauchy_x(iprint, n, xcp)  # format 1010
        return

    # c = W'(xcp - x) = 0
    for j in range(col2):
        c[j] = zero

    # Fortran's unary minus applies to the whole product / quotient:
    # -theta*f1 is -(theta*f1) and -f1/f2 is -(f1/f2) (differs from
    # (-f1)/f2 only in the sign bit of a NaN, e.g. dtm for f1 = f2 = 0;
    # cauchy_neg_operand).
    f2 = _neg_mul(theta, f1, neg_operand)  # (4.5)
    f2_org = f2
    if col > 0:
        # v := M p   (2col x 1) = (2col x 2col)(2col x 1)
        bmv(m, sy, wt, col, p, v, info, kn)
        if info[0] != 0:
            return
        # f2 := f2 - v' p   (1 x 1) = (1 x 2col)(2col x 1)
        f2 = f2 - kn.ddot(&col2, v, &inc, p, &inc)  # (4.5)
    dtm = _neg_div(f1, f2, neg_operand)  # dt_min of Algorithm CP
    tsum = zero
    nseg[0] = 1
    write_cauchy_breakpoints(iprint, nbreak)

    if nbreak != 0:
        nleft = nbreak
        iter = 1
        tj = zero

        while True:
            # label 777: next smallest breakpoint
            tj0 = tj
            if iter == 1:
                # the smallest breakpoint is known: no heap needed yet
                tj = bkmin
                ibp = iorder[ibkmin - 1]
            else:
                if iter == 2:
                    # drop the used smallest breakpoint before building the heap
                    if ibkmin != nbreak:
                        t[ibkmin - 1] = t[nbreak - 1]
                        iorder[ibkmin - 1] = iorder[nbreak - 1]
                hpsolb(nleft, t, iorder, iter - 2)
                tj = t[nleft - 1]
                ibp = iorder[nleft - 1]

            dt = tj - tj0

            write_cauchy_piece(iprint, nseg[0], f1, f2, dt, dtm)  # formats 4011, 5010, 6010

            if dtm < dt:  # Algorithm CP: the minimiser lies in this segment
                break    # goto 888: minimizer inside this segment

            # Fix variable ibp at the bound it meets.
            tsum = tsum + dt
            nleft = nleft - 1
            iter = iter + 1
            dibp = d[ibp - 1]
            d[ibp - 1] = zero
            if dibp > zero:
                zibp = u[ibp - 1] - x[ibp - 1]
                xcp[ibp - 1] = u[ibp - 1]
                iwhere[ibp - 1] = 2
            else:
                zibp = l[ibp - 1] - x[ibp - 1]
                xcp[ibp - 1] = l[ibp - 1]
                iwhere[ibp - 1] = 1
            write_cauchy_fixed(iprint, ibp)
            # deviation cauchy_dead_exit (SciPy's C): this exit can never be
            # taken (its test compares a 0-based count with n); it goes on
            # through the segment
            if nleft == 0 and nbreak == n and not (flavour & DEV_CAUCHY_DEAD_EXIT):
                # every variable is fixed: xcp is the GCP
                dtm = dt
                # goto 999
                if col > 0:
                    # c := c + dtm p   (2col x 1)
                    kn.daxpy(&col2, &dtm, p, &inc, c, &inc)  # (4.13)
                write_cauchy_x(iprint, n, xcp)  # format 1010
                write_cauchy_exit(iprint)  # format 2010
                return

            nseg[0] = nseg[0] + 1
            dibp2 = dibp * dibp

            # f1, f2 for col = 0 first
            f1 = ((f1 + dt * f2) + dibp2) - (theta * dibp) * zibp  # (4.9)-(4.12)
            f2 = f2 - theta * dibp2  # (4.9)-(4.12)

            if col > 0:
                # c := c + dt p   (2col x 1)
                kn.daxpy(&col2, &dt, p, &inc, c, &inc)  # (4.13)

                # wbp := row ibp of W = [Y, theta S]
                pointr = head
                for j in range(1, col + 1):
                    wbp[j - 1] = wy[(ibp - 1) + (pointr - 1) * n]
                    wbp[col + j - 1] = theta * ws[(ibp - 1) + (pointr - 1) * n]
                    pointr = pointr % m + 1

                # v := M wbp   (2col x 1) = (2col x 2col)(2col x 1)
                bmv(m, sy, wt, col, wbp, v, info, kn)
                if info[0] != 0:
                    return
                # wmc := c' v   (1 x 1) = (1 x 2col)(2col x 1)
                wmc = kn.ddot(&col2, c, &inc, v, &inc)
                # wmp := p' v   (1 x 1) = (1 x 2col)(2col x 1)
                wmp = kn.ddot(&col2, p, &inc, v, &inc)
                # wmw := wbp' v   (1 x 1) = (1 x 2col)(2col x 1)
                wmw = kn.ddot(&col2, wbp, &inc, v, &inc)

                # p := p - dibp wbp   (2col x 1)
                alpha = -dibp
                kn.daxpy(&col2, &alpha, wbp, &inc, p, &inc)

                f1 = f1 + dibp * wmc  # (4.9)-(4.12)
                f2 = (f2 + (2.0 * dibp) * wmp) - dibp2 * wmw  # (4.9)-(4.12)

            # f2 = max(epsmch*f2_org, f2)   (a safeguard not in Algorithm CP)
            a = epsmch * f2_org
            f2 = a if a > f2 else f2
            if nleft > 0:
                dtm = _neg_div(f1, f2, neg_operand)  # dt_min of Algorithm CP
                continue     # goto 777
            elif bnded:
                f1 = zero
                f2 = zero
                dtm = zero
            else:
                dtm = _neg_div(f1, f2, neg_operand)  # dt_min of Algorithm CP
            break

    # label 888
    write_cauchy_gcp(iprint, nseg[0], f1, f2, dtm)  # formats 4010, 6010
    if dtm <= zero:
        dtm = zero
    tsum = tsum + dtm

    # xcp := xcp + tsum d   (n x 1): move the free variables and those whose
    # breakpoints were not reached
    kn.daxpy(&n, &tsum, d, &inc, xcp, &inc)

    # label 999
    if col > 0:
        # c := c + dtm p   (2col x 1)
        kn.daxpy(&col2, &dtm, p, &inc, c, &inc)  # (4.13)
    write_cauchy_x(iprint, n, xcp)  # format 1010
    write_cauchy_exit(iprint)  # format 2010


cdef void hpsolb(int n, double* t, int* iorder, int iheap) noexcept nogil:
    """Heap step for the breakpoints (4.1) of [BLNZ95] §4 (Williams' heapsort).

    If iheap = 0, first arranges t(1:n) (with iorder alongside) into a heap
    with the least element at the root.  Then moves the least element to
    t(n), iorder(n) and restores the heap on t(1:n-1).  Writes t, iorder.
    """
    cdef int i, j, k              # heap positions
    cdef int indxin, indxou       # iorder entries moving in / out
    cdef double ddum, out         # t entries moving in / out

    if iheap == 0:
        # Build the heap by sifting t(2), ..., t(n) up.
        for k in range(2, n + 1):
            ddum = t[k - 1]
            indxin = iorder[k - 1]
            i = k
            # label 10
            while i > 1:
                j = i // 2
                if ddum < t[j - 1]:
                    t[i - 1] = t[j - 1]
                    iorder[i - 1] = iorder[j - 1]
                    i = j
                else:
                    break
            t[i - 1] = ddum
            iorder[i - 1] = indxin

    if n > 1:
        # Take out the root, sift t(n) down from the root over t(1:n-1).
        i = 1
        out = t[0]
        indxou = iorder[0]
        ddum = t[n - 1]
        indxin = iorder[n - 1]
        # label 30
        while True:
            j = i + i
            if j <= n - 1:
                if t[j] < t[j - 1]:
                    j = j + 1
                if t[j - 1] < ddum:
                    t[i - 1] = t[j - 1]
                    iorder[i - 1] = iorder[j - 1]
                    i = j
                    continue
            break
        t[i - 1] = ddum
        iorder[i - 1] = indxin

        # least element last
        t[n - 1] = out
        iorder[n - 1] = indxou


# ---------------------------------------------------------------------------
# Test shims (Python-callable wrappers, for the unit tests only)
# ---------------------------------------------------------------------------

def py_hpsolb(double[::1] t, int[::1] iorder, int iheap):
    """hpsolb on t (float64, n) and iorder (int32, n), updated in place."""
    cdef int n = t.shape[0]
    if iorder.shape[0] != n:
        raise ValueError("iorder must have the length of t")
    if n < 1:
        raise ValueError("n must be >= 1")
    hpsolb(n, &t[0], &iorder[0], iheap)


def py_cauchy(double[::1] x, double[::1] l, double[::1] u, int[::1] nbd,
              double[::1] g, int[::1] iorder, int[::1] iwhere, double[::1] t,
              double[::1] d, double[::1] xcp, int m, double[::1, :] wy,
              double[::1, :] ws, double[::1, :] sy, double[::1, :] wt,
              double theta, int col, int head, double[::1] p, double[::1] c,
              double[::1] wbp, double[::1] v, int nseg=0, int iprint=-1,
              double sbgnrm=1.0, int info=0,
              double epsmch=2.220446049250313e-16, int flavour=0, kernels="scipy"):
    """cauchy; every array argument is updated in place, as the Fortran does.

    wy, ws: Fortran-ordered (n, m) (the Fortran declares (n, col) but indexes
    columns head.. mod m, so the caller's (n, m) storage is what is read);
    sy, wt: Fortran-ordered (m, m); p, c, wbp, v: length 2m.
    Returns (nseg, info).
    """
    cdef int n = x.shape[0]
    if n < 1 or m < 1:
        raise ValueError("n and m must be >= 1")
    for name, arr in (('l', l), ('u', u), ('nbd', nbd), ('g', g),
                      ('iorder', iorder), ('iwhere', iwhere), ('t', t),
                      ('d', d), ('xcp', xcp)):
        if arr.shape[0] != n:
            raise ValueError("%s must have length n = %d" % (name, n))
    for name, arr in (('p', p), ('c', c), ('wbp', wbp), ('v', v)):
        if arr.shape[0] != 2 * m:
            raise ValueError("%s must have length 2m = %d" % (name, 2 * m))
    for name, arr2 in (('wy', wy), ('ws', ws)):
        if arr2.shape[0] != n or arr2.shape[1] != m:
            raise ValueError("%s must have shape (n, m) = (%d, %d)" % (name, n, m))
    for name, arr2 in (('sy', sy), ('wt', wt)):
        if arr2.shape[0] != m or arr2.shape[1] != m:
            raise ValueError("%s must have shape (m, m) = (%d, %d)" % (name, m, m))
    if col < 0 or col > m or head < 1 or head > m:
        raise ValueError("need 0 <= col <= m and 1 <= head <= m")
    cauchy(n, &x[0], &l[0], &u[0], &nbd[0], &g[0], &iorder[0], &iwhere[0],
           &t[0], &d[0], &xcp[0], m, &wy[0, 0], &ws[0, 0], &sy[0, 0],
           &wt[0, 0], theta, col, head, &p[0], &c[0], &wbp[0], &v[0], &nseg,
           iprint, sbgnrm, &info, epsmch, flavour, kernels_for(kernels))
    return nseg, info
