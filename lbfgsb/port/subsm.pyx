"""Reduced gradient and subspace minimisation over the free variables.

Fortran routines translated (lbfgsb.f, L-BFGS-B 3.0, Debian's LAPACK patch):

- ``cmprlb``
- ``subsm``
"""


from libc.float cimport DBL_MAX
from libc.math cimport fabs

from lbfgsb.port.kernels cimport Kernels, kernels_for
from lbfgsb.port.columns cimport four_columns
from lbfgsb.port.bmv cimport bmv
from lbfgsb.port.trace cimport write_subsm_entered, write_subsm_positive_dir, write_subsm_exit

import numpy as np


cdef void cmprlb(int n, int m, double* x, double* g, double* ws, double* wy,
                 double* sy, double* wt, double* z, double* r, double* wa,
                 int* index, double theta, int col, int head, int nfree,
                 bint cnstnd, int* info, const Kernels* kn) noexcept nogil:
    """Reduced gradient of the quadratic model at the Cauchy point.

    [BLNZ95] (5.4), step 1 of the Direct Primal Method (§5.1):
    r = -Z'(B(xcp - x) + g) over the nfree free variables index(1:nfree),
    with B = theta*I - W M W' (3.2) and z = xcp; the product M c uses
    c = W'(xcp - x) (4.13) left by cauchy in wa(2m+1:4m), and bmv
    writes M c into wa(1:2m).  For an unconstrained problem with col > 0 it
    is just r = -g.  info = -8 when bmv fails.
    """
    cdef int i, j, k, pointr     # loop counters; variable number; buffer column
    cdef double a1, a2           # (M c)(j) and theta*(M c)(col+j)
    cdef double b0, b1, b2, b3, c0, c1, c2, c3   # a1, a2 of four columns
    cdef double ri               # r(i)'s first term, -theta(z(k) - x(k)) - g(k)
    cdef bint first              # the first four columns' pass makes that term too
    cdef double *y0, *y1, *y2, *y3, *s0, *s1, *s2, *s3   # four columns of wy, ws
    cdef double *y4[4]
    cdef double *s4[4]

    if not cnstnd and col > 0:
        for i in range(n):
            r[i] = -g[i]
    else:
        # wa(1:2col) := M wa(2m+1:2m+2col)
        # (the Fortran computes r's first term before bmv; bmv reads neither
        # r nor z, x, g, so the port calls it first and makes the first term
        # in the pass of the first four columns below: the same operations
        # on each r(i), in the same order, one pass fewer)
        bmv(m, sy, wt, col, &wa[2 * m], wa, info, kn)
        if info[0] != 0 or col < 4:
            for i in range(1, nfree + 1):
                k = index[i - 1]
                r[i - 1] = -theta * (z[k - 1] - x[k - 1]) - g[k - 1]  # -(5.4)
        if info[0] != 0:
            info[0] = -8
            return
        # r := r + Z'W M c   -(5.4), with c = W'(xcp - x) of (4.13)
        # Four columns j..j+3 per pass over the free variables (then one at a
        # time): r(i) still gets its additions in the Fortran's order of j.
        pointr = head
        j = 1
        first = col >= 4
        while j + 3 <= col:
            pointr = four_columns(ws, wy, n, m, pointr, s4, y4)
            y0, y1, y2, y3 = y4[0], y4[1], y4[2], y4[3]
            s0, s1, s2, s3 = s4[0], s4[1], s4[2], s4[3]
            b0 = wa[j - 1]
            c0 = theta * wa[col + j - 1]
            b1 = wa[j]
            c1 = theta * wa[col + j]
            b2 = wa[j + 1]
            c2 = theta * wa[col + j + 1]
            b3 = wa[j + 2]
            c3 = theta * wa[col + j + 2]
            if first:
                for i in range(nfree):
                    k = index[i] - 1
                    ri = -theta * (z[k] - x[k]) - g[k]  # -(5.4)
                    r[i] = ((((((((ri + y0[k] * b0) + s0[k] * c0) + y1[k] * b1) + s1[k] * c1)
                             + y2[k] * b2) + s2[k] * c2) + y3[k] * b3) + s3[k] * c3)
                first = False
            else:
                for i in range(nfree):
                    k = index[i] - 1
                    r[i] = ((((((((r[i] + y0[k] * b0) + s0[k] * c0) + y1[k] * b1) + s1[k] * c1)
                             + y2[k] * b2) + s2[k] * c2) + y3[k] * b3) + s3[k] * c3)
            j = j + 4
        while j <= col:
            a1 = wa[j - 1]
            a2 = theta * wa[col + j - 1]
            for i in range(1, nfree + 1):
                k = index[i - 1]
                r[i - 1] = (r[i - 1] + wy[(k - 1) + (pointr - 1) * n] * a1) + \
                    ws[(k - 1) + (pointr - 1) * n] * a2
            pointr = pointr % m + 1
            j = j + 1


cdef void subsm(int n, int m, int nsub, int* ind, double* l, double* u,
                int* nbd, double* x, double* d, double* xp, double* ws,
                double* wy, double theta, double* xx, double* gg, int col,
                int head, int* iword, double* wv, double* wn, int iprint,
                int* info, const Kernels* kn) noexcept nogil:
    """Subspace Newton step from the Cauchy point, projected onto the box.

    [BLNZ95 §5.1] (direct primal method, steps 2-6): on entry d(1:nsub) is
    the reduced gradient r from cmprlb and x the Cauchy point; the step
    d = (1/theta) r + (1/theta^2) Z'W K^{-1} W'Z r, which is (5.7) with
    (5.10)-(5.11), minimises the quadratic model over the free variables
    ind(1:nsub), with K's factors in wn (formk, [ZBLN97 §4]) and
    W = [Y, theta*S].  [MN11]: x + d is projected onto the bounds; if that
    clips something (iword = 1) and the projected point is not a descent
    direction from xx with gradient gg ((x - xx)'gg > 0), x is restored from
    xp and instead moved by the largest feasible step alpha <= 1 along d,
    the truncation (5.8)-(5.9) of steps 7-8.  Writes x, d, xp (copy of the Cauchy point), wv
    (2m work), iword; info non-zero when a triangular solve fails.
    """
    cdef int pointr, m2, col2, ibd, jy, js, i, j, k   # indices; ibd = blocking position
    cdef double alpha, xk, dk, temp1, temp2           # step length; current x(k), d(i); temps
    cdef double one = 1.0, zero = 0.0
    cdef double dd_p                                  # directional derivative of projected step
    cdef double rtheta                                # one/theta for dscal
    cdef bint fold_scale, copy_in_pass                # d's scaling, xp := x made in the projection's pass
    cdef double t                                     # x(k) + d(i) before clipping
    cdef double b0, b1, b2, b3, c0, c1, c2, c3        # sums / wv entries of four columns
    cdef double *y0, *y1, *y2, *y3, *s0, *s1, *s2, *s3   # four columns of wy, ws
    cdef double *y4[4]
    cdef double *s4[4]
    cdef int ione = 1
    cdef int nrhs = 1
    cdef char* uplo = b'U'
    cdef char* trans_t = b'T'
    cdef char* trans_n = b'N'
    cdef char* diag = b'N'

    if nsub <= 0:
        return
    write_subsm_entered(iprint)  # format 1001

    # wv := W'Z d = [Y'Z d; theta*S'Z d]
    # Four columns i..i+3 per pass over the free variables (then one at a
    # time): eight independent sums, each in the Fortran's order of j.
    pointr = head
    i = 1
    while i + 3 <= col:
        pointr = four_columns(ws, wy, n, m, pointr, s4, y4)
        y0, y1, y2, y3 = y4[0], y4[1], y4[2], y4[3]
        s0, s1, s2, s3 = s4[0], s4[1], s4[2], s4[3]
        b0 = zero
        b1 = zero
        b2 = zero
        b3 = zero
        c0 = zero
        c1 = zero
        c2 = zero
        c3 = zero
        for j in range(nsub):
            k = ind[j] - 1
            dk = d[j]
            b0 = b0 + y0[k] * dk
            c0 = c0 + s0[k] * dk
            b1 = b1 + y1[k] * dk
            c1 = c1 + s1[k] * dk
            b2 = b2 + y2[k] * dk
            c2 = c2 + s2[k] * dk
            b3 = b3 + y3[k] * dk
            c3 = c3 + s3[k] * dk
        wv[i - 1] = b0
        wv[i] = b1
        wv[i + 1] = b2
        wv[i + 2] = b3
        wv[col + i - 1] = theta * c0
        wv[col + i] = theta * c1
        wv[col + i + 1] = theta * c2
        wv[col + i + 2] = theta * c3
        i = i + 4
    while i <= col:
        temp1 = zero
        temp2 = zero
        for j in range(1, nsub + 1):
            k = ind[j - 1]
            temp1 = temp1 + wy[(k - 1) + (pointr - 1) * n] * d[j - 1]
            temp2 = temp2 + ws[(k - 1) + (pointr - 1) * n] * d[j - 1]
        wv[i - 1] = temp1
        wv[col + i - 1] = theta * temp2
        pointr = pointr % m + 1
        i = i + 1

    # wv := K^{-1} wv with K = U' diag(-I, I) U, U upper triangular in wn.
    m2 = 2 * m
    col2 = 2 * col
    # wv := U'^{-1} wv   (2col x 2col upper triangle of wn, transposed; 1 rhs)
    kn.dtrtrs(uplo, trans_t, diag, &col2, &nrhs, wn, &m2, wv, &col2, info)
    if info[0] != 0:
        return
    for i in range(col):
        wv[i] = -wv[i]
    # wv := U^{-1} wv   (2col x 2col upper triangle of wn; 1 rhs)
    kn.dtrtrs(uplo, trans_n, diag, &col2, &nrhs, wn, &m2, wv, &col2, info)
    if info[0] != 0:
        return

    # d := d + (1/theta) Z'Y wv1 + Z'S wv2
    # Four columns jy..jy+3 per pass over the free variables (then one at a
    # time): d(i) still gets its additions in the Fortran's order of jy.
    pointr = head
    jy = 1
    while jy + 3 <= col:
        pointr = four_columns(ws, wy, n, m, pointr, s4, y4)
        y0, y1, y2, y3 = y4[0], y4[1], y4[2], y4[3]
        s0, s1, s2, s3 = s4[0], s4[1], s4[2], s4[3]
        b0 = wv[jy - 1]
        b1 = wv[jy]
        b2 = wv[jy + 1]
        b3 = wv[jy + 2]
        c0 = wv[col + jy - 1]
        c1 = wv[col + jy]
        c2 = wv[col + jy + 1]
        c3 = wv[col + jy + 2]
        for i in range(nsub):
            k = ind[i] - 1
            dk = (d[i] + (y0[k] * b0) / theta) + s0[k] * c0
            dk = (dk + (y1[k] * b1) / theta) + s1[k] * c1
            dk = (dk + (y2[k] * b2) / theta) + s2[k] * c2
            d[i] = (dk + (y3[k] * b3) / theta) + s3[k] * c3
        jy = jy + 4
    while jy <= col:
        js = col + jy
        for i in range(1, nsub + 1):
            k = ind[i - 1]
            d[i - 1] = (d[i - 1] + (wy[(k - 1) + (pointr - 1) * n] * wv[jy - 1]) / theta) + \
                ws[(k - 1) + (pointr - 1) * n] * wv[js - 1]
        pointr = pointr % m + 1
        jy = jy + 1

    # d := (1/theta) d   (nsub)  (5.7) by (5.10)-(5.11)
    # For a finite, non-zero 1/theta the scaling is made in the projection's
    # pass below, d(i) := d(i) * (1/theta) just before d(i) is used: the
    # same product for each d(i) (an IEEE product of the same two values,
    # what dscal computes for such a factor; the d(i) are results of the
    # additions above, never signalling NaNs), one pass over d fewer.
    # Otherwise (1/theta zero, one, infinite or NaN) dscal's own rules apply.
    rtheta = one / theta
    fold_scale = (rtheta == rtheta and rtheta != zero and rtheta != one
                  and fabs(rtheta) <= DBL_MAX)
    if not fold_scale:
        kn.dscal(&nsub, &rtheta, d, &ione)

    # Project x + d onto the box [MN11].
    iword[0] = 0

    # xp := x   (n)
    # When every variable is free (nsub = n, ind a permutation of 1..n) the
    # projection's pass writes xp(k) := x(k) itself as it reads x(k): each
    # xp(k) written once with the same value, one pass over x fewer.
    copy_in_pass = nsub == n
    if not copy_in_pass:
        kn.dcopy(&n, x, &ione, xp, &ione)
    for i in range(1, nsub + 1):
        k = ind[i - 1]
        dk = d[i - 1]
        if fold_scale:
            dk = dk * rtheta
            d[i - 1] = dk
        xk = x[k - 1]
        if copy_in_pass:
            xp[k - 1] = xk
        # max(l(k), xk+dk) and min(u(k), ...) as Debian's gfortran computes
        # them (maxsd / minsd with xk+dk first: of two equal values, such
        # as -0.0 and +0.0, and with a NaN xk+dk, the bound), which is also
        # what SciPy's C gets from fmax / fmin
        if nbd[k - 1] != 0:
            if nbd[k - 1] == 1:
                # lower bound only
                t = xk + dk
                x[k - 1] = t if t > l[k - 1] else l[k - 1]
                if x[k - 1] == l[k - 1]:
                    iword[0] = 1
            elif nbd[k - 1] == 2:
                # both bounds
                t = xk + dk
                xk = t if t > l[k - 1] else l[k - 1]
                x[k - 1] = xk if xk < u[k - 1] else u[k - 1]
                if x[k - 1] == l[k - 1] or x[k - 1] == u[k - 1]:
                    iword[0] = 1
            elif nbd[k - 1] == 3:
                # upper bound only
                t = xk + dk
                x[k - 1] = t if t < u[k - 1] else u[k - 1]
                if x[k - 1] == u[k - 1]:
                    iword[0] = 1
        else:
            # free variable
            x[k - 1] = xk + dk

    if iword[0] == 0:
        # goto 911
        write_subsm_exit(iprint)  # format 1004
        return

    # Directional derivative of the projected step, over all n variables.
    dd_p = zero
    for i in range(n):
        dd_p = dd_p + (x[i] - xx[i]) * gg[i]  # [MN11] descent test
    if dd_p > zero:
        # x := xp   (n)
        kn.dcopy(&n, xp, &ione, x, &ione)
        write_subsm_positive_dir(iprint)
    else:
        # goto 911
        write_subsm_exit(iprint)  # format 1004
        return

    # Backtrack: largest alpha <= 1 keeping x + alpha*d feasible.
    alpha = one
    temp1 = alpha
    ibd = 0
    for i in range(1, nsub + 1):
        k = ind[i - 1]
        dk = d[i - 1]
        if nbd[k - 1] != 0:
            if dk < zero and nbd[k - 1] <= 2:
                temp2 = l[k - 1] - x[k - 1]
                if temp2 >= zero:
                    temp1 = zero
                elif dk * alpha < temp2:
                    temp1 = temp2 / dk  # (5.8)
            elif dk > zero and nbd[k - 1] >= 2:
                temp2 = u[k - 1] - x[k - 1]
                if temp2 <= zero:
                    temp1 = zero
                elif dk * alpha > temp2:
                    temp1 = temp2 / dk  # (5.8)
            if temp1 < alpha:
                alpha = temp1
                ibd = i

    if alpha < one:
        dk = d[ibd - 1]
        k = ind[ibd - 1]
        if dk > zero:
            x[k - 1] = u[k - 1]
            d[ibd - 1] = zero
        elif dk < zero:
            x[k - 1] = l[k - 1]
            d[ibd - 1] = zero
    for i in range(1, nsub + 1):
        k = ind[i - 1]
        x[k - 1] = x[k - 1] + alpha * d[i - 1]  # (5.9)
    # label 911
    write_subsm_exit(iprint)  # format 1004


def _check1(a, n, name):
    if a.shape[0] != n:
        raise ValueError(f"{name} must have length {n}, got {a.shape[0]}")


def _check2(a, r, c, name):
    if a.shape[0] != r or a.shape[1] != c:
        raise ValueError(f"{name} must be {r} x {c}, got {a.shape[0]} x {a.shape[1]}")


def py_cmprlb(int n, int m, double[::1] x, double[::1] g, double[::1, :] ws,
              double[::1, :] wy, double[::1, :] sy, double[::1, :] wt,
              double[::1] z, double[::1] wa, int[::1] index, double theta,
              int col, int head, int nfree, bint cnstnd, int info=0, kernels="scipy"):
    """Test shim: returns (r, wa, info); wa (4m) is a modified copy, r has
    length n (only r(1:nfree) is written in the constrained case)."""
    if n < 1 or m < 1 or not (0 <= col <= m) or not (1 <= head <= m) or not (0 <= nfree <= n):
        raise ValueError("bad n, m, col, head or nfree")
    for a, nm in ((x, "x"), (g, "g"), (z, "z"), (index, "index")):
        _check1(a, n, nm)
    _check1(wa, 4 * m, "wa")
    _check2(ws, n, m, "ws")
    _check2(wy, n, m, "wy")
    _check2(sy, m, m, "sy")
    _check2(wt, m, m, "wt")
    r_arr = np.zeros(n, dtype=np.float64)
    wa_arr = np.array(wa, copy=True)
    cdef double[::1] rv = r_arr
    cdef double[::1] wav = wa_arr
    cdef int cinfo = info
    cmprlb(n, m, &x[0], &g[0], &ws[0, 0], &wy[0, 0], &sy[0, 0], &wt[0, 0],
           &z[0], &rv[0], &wav[0], &index[0], theta, col, head, nfree, cnstnd,
           &cinfo, kernels_for(kernels))
    return r_arr, wa_arr, cinfo


def py_subsm(int n, int m, int nsub, int[::1] ind, double[::1] l,
             double[::1] u, int[::1] nbd, double[::1] x, double[::1] d,
             double[::1, :] ws, double[::1, :] wy, double theta,
             double[::1] xx, double[::1] gg, int col, int head,
             double[::1, :] wn, int iprint=-1, kernels="scipy"):
    """Test shim: x (Cauchy point) and d (reduced gradient, length n) are
    copied; returns (x, d, xp, iword, wv, info)."""
    if n < 1 or m < 1 or not (0 <= col <= m) or not (1 <= head <= m) or not (0 <= nsub <= n):
        raise ValueError("bad n, m, col, head or nsub")
    if ind.shape[0] < max(nsub, 1):
        raise ValueError("ind must have length >= nsub")
    for a, nm in ((l, "l"), (u, "u"), (nbd, "nbd"), (x, "x"), (d, "d"),
                  (xx, "xx"), (gg, "gg")):
        _check1(a, n, nm)
    _check2(ws, n, m, "ws")
    _check2(wy, n, m, "wy")
    _check2(wn, 2 * m, 2 * m, "wn")
    x_arr = np.array(x, copy=True)
    d_arr = np.array(d, copy=True)
    xp_arr = np.zeros(n, dtype=np.float64)
    wv_arr = np.zeros(2 * m, dtype=np.float64)
    cdef double[::1] xv = x_arr
    cdef double[::1] dv = d_arr
    cdef double[::1] xpv = xp_arr
    cdef double[::1] wvv = wv_arr
    cdef int iword = 0
    cdef int info = 0
    subsm(n, m, nsub, &ind[0], &l[0], &u[0], &nbd[0], &xv[0], &dv[0],
          &xpv[0], &ws[0, 0], &wy[0, 0], theta, &xx[0], &gg[0], col, head,
          &iword, &wvv[0], &wn[0, 0], iprint, &info, kernels_for(kernels))
    return x_arr, d_arr, xp_arr, iword, wv_arr, info
