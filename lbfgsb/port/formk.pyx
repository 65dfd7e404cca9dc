"""The middle matrices of the subspace minimisation and of the compact form.

Fortran routines translated (lbfgsb.f, L-BFGS-B 3.0, Debian's LAPACK patch):

- ``formk``
- ``formt``
"""


from lbfgsb.port.kernels cimport Kernels, kernels_for
from lbfgsb.port.columns cimport four_columns
from lbfgsb.port.deviations cimport DEV_FORMK_DTRTRS_BLOCKED

import numpy as np


cdef void formk(int n, int nsub, int* ind, int nenter, int ileave, int* indx2,
                int iupdat, bint updatd, double* wn, double* wn1, int m,
                double* ws, double* wy, double* sy, double theta, int col,
                int head, int* info, int flavour, const Kernels* kn) noexcept nogil:
    """Form and factorise the 2col x 2col matrix K of the direct primal method.

    [ZBLN97 §4]: with Z the free variables at the Cauchy point and A the
    active ones,
    K = [[-D - Y'ZZ'Y/theta, L_a' - R_z'], [L_a - R_z, theta*S'AA'S]],
    the inverse of (I - M W'ZZ'W/theta)^{-1} M in [BLNZ95] (5.10), where L_a
    is the strictly lower triangle of S'AA'Y and R_z the upper triangle of
    S'ZZ'Y (the printed ZBLN97 says S'AA'S and Y'ZZ'Y, a misprint; see
    docs/GUIDE.md).  Keeping the inner products between iterations is the
    device at the end of [BLNZ95] §5.1; the A/Z split is the closing remark
    of §5.3.  wn1 (2m x 2m, lower triangle) keeps the inner
    products Y'ZZ'Y, S'AA'S and [L_a | R_z] between calls; it is shifted when
    the oldest pair leaves the circular buffer (iupdat > m), gets a new row
    and column for the newest pair when updatd, and is corrected only for
    the variables that entered (indx2(1:nenter)) or left (indx2(ileave:n))
    the free set.  Then K = [[L_a', 0], [L_b', L_c]] diag(-I, I)
    [[L_a, L_b], [0, L_c']] is computed and the upper-triangular factors are
    stored in the upper triangle of wn (2m x 2m).  info = -1 / -2 when the
    first / second Cholesky factorisation fails.
    """
    cdef int m2, ipntr, jpntr, iy, is_, jy, js, is1, js1, k1, i, k   # indices
    cdef int col2, pbegin, pend, dbegin, dend, upcl   # ranges of ind; rows to update
    cdef int cnt                                       # dcopy lengths
    cdef double temp1, temp2, temp3, temp4             # inner-product accumulators
    cdef double t1[4]                                  # temp1 .. temp3 of four columns
    cdef double t2[4]
    cdef double t3[4]
    cdef double t4[4]                                  # four entries of R_z's new column
    cdef double a                                      # the shared factor of a row
    cdef int q                                         # column within a block of four
    cdef double *yi, *si                               # the fixed column of wy, ws
    cdef double *y0, *y1, *y2, *y3, *s0, *s1, *s2, *s3   # four columns of wy, ws
    cdef double *y4[4]
    cdef double *s4[4]
    cdef double one = 1.0, zero = 0.0
    cdef int ione = 1
    cdef int nrhs = 1
    cdef char* uplo = b'U'
    cdef char* trans_t = b'T'
    cdef char* diag = b'N'

    # Update the lower triangle of wn1 for the newest correction pair.
    if updatd:
        if iupdat > m:
            # Shift the old part of wn1 up and left by one pair.
            for jy in range(1, m):
                js = m + jy
                cnt = m - jy
                # wn1(jy:m-1, jy) := wn1(jy+1:m, jy+1)   ((m-jy) x 1)
                kn.dcopy(&cnt, &wn1[jy + jy * (2 * m)], &ione,
                      &wn1[(jy - 1) + (jy - 1) * (2 * m)], &ione)
                # wn1(js:2m-1, js) := wn1(js+1:2m, js+1)   ((m-jy) x 1)
                kn.dcopy(&cnt, &wn1[js + js * (2 * m)], &ione,
                      &wn1[(js - 1) + (js - 1) * (2 * m)], &ione)
                cnt = m - 1
                # wn1(m+1:2m-1, jy) := wn1(m+2:2m, jy+1)   ((m-1) x 1)
                kn.dcopy(&cnt, &wn1[(m + 1) + jy * (2 * m)], &ione,
                      &wn1[m + (jy - 1) * (2 * m)], &ione)

        # New last row of the Y'ZZ'Y and S'AA'S blocks, and new last row of
        # the L_a (S'AA'Y) part.
        pbegin = 1
        pend = nsub
        dbegin = nsub + 1
        dend = n
        iy = col
        is_ = m + col
        ipntr = head + col - 1
        if ipntr > m:
            ipntr = ipntr - m
        jpntr = head
        # Four columns jy..jy+3 per pass over the free and over the active
        # variables (then one at a time): twelve independent sums, each in
        # the Fortran's order of k.
        yi = &wy[(ipntr - 1) * n]
        si = &ws[(ipntr - 1) * n]
        jy = 1
        while jy + 3 <= col:
            jpntr = four_columns(ws, wy, n, m, jpntr, s4, y4)
            y0, y1, y2, y3 = y4[0], y4[1], y4[2], y4[3]
            s0, s1, s2, s3 = s4[0], s4[1], s4[2], s4[3]
            for q in range(4):
                t1[q] = zero
                t2[q] = zero
                t3[q] = zero
                t4[q] = zero
            # (the same pass makes four entries of the new last column of R_z
            # below, S'ZZ'Y: ws of the same four columns times the newest wy)
            for k in range(pbegin - 1, pend):
                k1 = ind[k] - 1
                a = yi[k1]
                t1[0] = t1[0] + a * y0[k1]
                t4[0] = t4[0] + s0[k1] * a
                t1[1] = t1[1] + a * y1[k1]
                t4[1] = t4[1] + s1[k1] * a
                t1[2] = t1[2] + a * y2[k1]
                t4[2] = t4[2] + s2[k1] * a
                t1[3] = t1[3] + a * y3[k1]
                t4[3] = t4[3] + s3[k1] * a
            for k in range(dbegin - 1, dend):
                k1 = ind[k] - 1
                a = si[k1]
                t2[0] = t2[0] + a * s0[k1]
                t3[0] = t3[0] + a * y0[k1]
                t2[1] = t2[1] + a * s1[k1]
                t3[1] = t3[1] + a * y1[k1]
                t2[2] = t2[2] + a * s2[k1]
                t3[2] = t3[2] + a * y2[k1]
                t2[3] = t2[3] + a * s3[k1]
                t3[3] = t3[3] + a * y3[k1]
            for q in range(4):
                js = m + jy + q
                wn1[(iy - 1) + (jy + q - 1) * (2 * m)] = t1[q]
                wn1[(is_ - 1) + (js - 1) * (2 * m)] = t2[q]
                wn1[(is_ - 1) + (jy + q - 1) * (2 * m)] = t3[q]
            for q in range(4):
                # R_z after the new row: wn1(m+col, col) is R_z's, as in the Fortran
                wn1[(m + jy + q - 1) + (col - 1) * (2 * m)] = t4[q]
            jy = jy + 4
        while jy <= col:
            js = m + jy
            temp1 = zero
            temp2 = zero
            temp3 = zero
            for k in range(pbegin, pend + 1):
                k1 = ind[k - 1]
                temp1 = temp1 + wy[(k1 - 1) + (ipntr - 1) * n] * wy[(k1 - 1) + (jpntr - 1) * n]
            for k in range(dbegin, dend + 1):
                k1 = ind[k - 1]
                temp2 = temp2 + ws[(k1 - 1) + (ipntr - 1) * n] * ws[(k1 - 1) + (jpntr - 1) * n]
                temp3 = temp3 + ws[(k1 - 1) + (ipntr - 1) * n] * wy[(k1 - 1) + (jpntr - 1) * n]
            wn1[(iy - 1) + (jy - 1) * (2 * m)] = temp1
            wn1[(is_ - 1) + (js - 1) * (2 * m)] = temp2
            wn1[(is_ - 1) + (jy - 1) * (2 * m)] = temp3
            jpntr = jpntr % m + 1
            jy = jy + 1

        # New last column of the R_z (S'ZZ'Y) part.
        jy = col
        jpntr = head + col - 1
        if jpntr > m:
            jpntr = jpntr - m
        ipntr = head
        # Rows 1..4*(col/4) were made with the new row above; the rest one at
        # a time.
        i = 1
        while i + 3 <= col:
            ipntr = ipntr % m + 1
            ipntr = ipntr % m + 1
            ipntr = ipntr % m + 1
            ipntr = ipntr % m + 1
            i = i + 4
        while i <= col:
            is_ = m + i
            temp3 = zero
            for k in range(pbegin, pend + 1):
                k1 = ind[k - 1]
                temp3 = temp3 + ws[(k1 - 1) + (ipntr - 1) * n] * wy[(k1 - 1) + (jpntr - 1) * n]
            ipntr = ipntr % m + 1
            wn1[(is_ - 1) + (jy - 1) * (2 * m)] = temp3
            i = i + 1
        upcl = col - 1
    else:
        upcl = col

    # Correct the older rows of Y'ZZ'Y and S'AA'S for the variables that
    # entered or left the free set.
    ipntr = head
    for iy in range(1, upcl + 1):
        is_ = m + iy
        jpntr = head
        for jy in range(1, iy + 1):
            js = m + jy
            temp1 = zero
            temp2 = zero
            temp3 = zero
            temp4 = zero
            for k in range(1, nenter + 1):
                k1 = indx2[k - 1]
                temp1 = temp1 + wy[(k1 - 1) + (ipntr - 1) * n] * wy[(k1 - 1) + (jpntr - 1) * n]
                temp2 = temp2 + ws[(k1 - 1) + (ipntr - 1) * n] * ws[(k1 - 1) + (jpntr - 1) * n]
            for k in range(ileave, n + 1):
                k1 = indx2[k - 1]
                temp3 = temp3 + wy[(k1 - 1) + (ipntr - 1) * n] * wy[(k1 - 1) + (jpntr - 1) * n]
                temp4 = temp4 + ws[(k1 - 1) + (ipntr - 1) * n] * ws[(k1 - 1) + (jpntr - 1) * n]
            wn1[(iy - 1) + (jy - 1) * (2 * m)] = (wn1[(iy - 1) + (jy - 1) * (2 * m)] + temp1) - temp3
            wn1[(is_ - 1) + (js - 1) * (2 * m)] = (wn1[(is_ - 1) + (js - 1) * (2 * m)] - temp2) + temp4
            jpntr = jpntr % m + 1
        ipntr = ipntr % m + 1

    # Correct the older part of [L_a | R_z]: entering variables move from
    # the A part (lower, i > j) to the Z part (upper, i <= j), leaving ones
    # the other way.
    ipntr = head
    for is_ in range(m + 1, m + upcl + 1):
        jpntr = head
        for jy in range(1, upcl + 1):
            temp1 = zero
            temp3 = zero
            for k in range(1, nenter + 1):
                k1 = indx2[k - 1]
                temp1 = temp1 + ws[(k1 - 1) + (ipntr - 1) * n] * wy[(k1 - 1) + (jpntr - 1) * n]
            for k in range(ileave, n + 1):
                k1 = indx2[k - 1]
                temp3 = temp3 + ws[(k1 - 1) + (ipntr - 1) * n] * wy[(k1 - 1) + (jpntr - 1) * n]
            if is_ <= jy + m:
                wn1[(is_ - 1) + (jy - 1) * (2 * m)] = (wn1[(is_ - 1) + (jy - 1) * (2 * m)] + temp1) - temp3
            else:
                wn1[(is_ - 1) + (jy - 1) * (2 * m)] = (wn1[(is_ - 1) + (jy - 1) * (2 * m)] - temp1) + temp3
            jpntr = jpntr % m + 1
        ipntr = ipntr % m + 1

    # Build the upper triangle of
    # [[Y'ZZ'Y/theta + D, R_z' - L_a'], [*, theta*S'AA'S]] in wn.
    m2 = 2 * m
    for iy in range(1, col + 1):
        is_ = col + iy
        is1 = m + iy
        for jy in range(1, iy + 1):
            js = col + jy
            js1 = m + jy
            wn[(jy - 1) + (iy - 1) * m2] = wn1[(iy - 1) + (jy - 1) * m2] / theta
            wn[(js - 1) + (is_ - 1) * m2] = wn1[(is1 - 1) + (js1 - 1) * m2] * theta
        for jy in range(1, iy):
            wn[(jy - 1) + (is_ - 1) * m2] = -wn1[(is1 - 1) + (jy - 1) * m2]
        for jy in range(iy, col + 1):
            wn[(jy - 1) + (is_ - 1) * m2] = wn1[(is1 - 1) + (jy - 1) * m2]
        wn[(iy - 1) + (iy - 1) * m2] = wn[(iy - 1) + (iy - 1) * m2] + sy[(iy - 1) + (iy - 1) * m]

    # Factor the (1,1) block: wn(1:col,1:col) := L_a' with L_a L_a' = D + Y'ZZ'Y/theta
    # (col x col, upper Cholesky, lda 2m)
    kn.dpotrf(uplo, &col, wn, &m2, info)
    if info[0] != 0:
        info[0] = -1
        return
    # Form L_b' = L_a^{-1} (R_z' - L_a') column by column:
    # wn(1:col, js) := (L_a')^{-T} wn(1:col, js)   (col x col triangular, 1 rhs), js = col+1..2col
    col2 = 2 * col
    if flavour & DEV_FORMK_DTRTRS_BLOCKED:
        # deviation formk_dtrtrs_blocked (SciPy's C): it solves for all col right-hand sides in one
        # call (ldb = 2m); the blocked solve rounds differently
        # wn(1:col, col+1:2col) := (L_a')^{-T} wn(1:col, col+1:2col)   (col x col, col rhs)
        kn.dtrtrs(uplo, trans_t, diag, &col, &col, wn, &m2, &wn[col * m2], &m2, info)
    else:
        for js in range(col + 1, col2 + 1):
            kn.dtrtrs(uplo, trans_t, diag, &col, &nrhs, wn, &m2, &wn[(js - 1) * m2], &col, info)

    # (2,2) block := theta*S'AA'S + L_b L_b' (upper triangle)
    for is_ in range(col + 1, col2 + 1):
        for js in range(is_, col2 + 1):
            # wn(is,js) += wn(1:col,is)' wn(1:col,js)   (1 x col)(col x 1)
            wn[(is_ - 1) + (js - 1) * m2] = wn[(is_ - 1) + (js - 1) * m2] + \
                kn.ddot(&col, &wn[(is_ - 1) * m2], &ione, &wn[(js - 1) * m2], &ione)

    # Factor the (2,2) block: wn(col+1:2col, col+1:2col) := L_c'
    # (col x col, upper Cholesky, lda 2m)
    kn.dpotrf(uplo, &col, &wn[col + col * m2], &m2, info)
    if info[0] != 0:
        info[0] = -2
        return


cdef void formt(int m, double* wt, double* sy, double* ss, int col,
                double theta, int* info, const Kernels* kn) noexcept nogil:
    """Form T = theta*S'S + L D^{-1} L' and its Cholesky factor J' (in wt).

    [BNS94] eq. (2.26) per the Fortran's comment: T is the Schur complement
    of -D in M^{-1} = [[-D, L'], [L, theta*S'S]] ([BLNZ95] (3.4)); L is the
    strictly lower triangle of S'Y (sy), D its diagonal, S'S in ss.  The
    upper triangle of wt (m x m) is overwritten with J' where J J' = T.
    info = -3 when T is not positive definite.
    """
    cdef int i, j, k, k1      # loop counters; k1 = min(i, j) - 1
    cdef double ddum          # accumulator for (L D^{-1} L')(i, j)
    cdef double zero = 0.0
    cdef char* uplo = b'U'

    # Upper triangle of T.
    for j in range(1, col + 1):
        wt[(j - 1) * m] = theta * ss[(j - 1) * m]
    for i in range(2, col + 1):
        for j in range(i, col + 1):
            k1 = (i if i < j else j) - 1
            ddum = zero
            for k in range(1, k1 + 1):
                ddum = ddum + (sy[(i - 1) + (k - 1) * m] * sy[(j - 1) + (k - 1) * m]) / sy[(k - 1) + (k - 1) * m]
            wt[(i - 1) + (j - 1) * m] = ddum + theta * ss[(i - 1) + (j - 1) * m]

    # wt := J' with J J' = T   (col x col, upper Cholesky, lda m)
    kn.dpotrf(uplo, &col, wt, &m, info)
    if info[0] != 0:
        info[0] = -3


def _check2(a, r, c, name):
    if a.shape[0] != r or a.shape[1] != c:
        raise ValueError(f"{name} must be {r} x {c}, got {a.shape[0]} x {a.shape[1]}")


def py_formk(int n, int nsub, int[::1] ind, int nenter, int ileave,
             int[::1] indx2, int iupdat, bint updatd, double[::1, :] wn,
             double[::1, :] wn1, int m, double[::1, :] ws, double[::1, :] wy,
             double[::1, :] sy, double theta, int col, int head, int flavour=0, kernels="scipy"):
    """Test shim: wn, wn1 (2m x 2m, Fortran order) are updated in place on
    copies; returns (wn, wn1, info)."""
    if n < 1 or m < 1 or not (0 <= col <= m) or not (1 <= head <= m):
        raise ValueError("bad n, m, col or head")
    if ind.shape[0] != n or indx2.shape[0] != n:
        raise ValueError("ind and indx2 must have length n")
    if not (0 <= nsub <= n) or not (0 <= nenter <= n) or not (1 <= ileave <= n + 1):
        raise ValueError("bad nsub, nenter or ileave")
    _check2(wn, 2 * m, 2 * m, "wn")
    _check2(wn1, 2 * m, 2 * m, "wn1")
    _check2(ws, n, m, "ws")
    _check2(wy, n, m, "wy")
    _check2(sy, m, m, "sy")
    wn_out = np.array(wn, order='F', copy=True)
    wn1_out = np.array(wn1, order='F', copy=True)
    cdef double[::1, :] wnv = wn_out
    cdef double[::1, :] wn1v = wn1_out
    cdef int info = 0
    formk(n, nsub, &ind[0], nenter, ileave, &indx2[0], iupdat, updatd,
          &wnv[0, 0], &wn1v[0, 0], m, &ws[0, 0], &wy[0, 0], &sy[0, 0], theta,
          col, head, &info, flavour, kernels_for(kernels))
    return wn_out, wn1_out, info


def py_formt(int m, double[::1, :] wt, double[::1, :] sy, double[::1, :] ss,
             int col, double theta, kernels="scipy"):
    """Test shim: returns (wt, info) with wt a modified copy."""
    if m < 1 or not (0 <= col <= m):
        raise ValueError("bad m or col")
    _check2(wt, m, m, "wt")
    _check2(sy, m, m, "sy")
    _check2(ss, m, m, "ss")
    wt_out = np.array(wt, order='F', copy=True)
    cdef double[::1, :] wtv = wt_out
    cdef int info = 0
    formt(m, &wtv[0, 0], &sy[0, 0], &ss[0, 0], col, theta, &info, kernels_for(kernels))
    return wt_out, info
