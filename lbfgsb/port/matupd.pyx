"""``matupd``: update the limited-memory matrices S, Y, S'Y, S'S and theta
[BLNZ95 (3.1)-(3.6), §6 steps 6-7].

A translation of the Fortran subroutine of the same name in ``lbfgsb.f``
(Debian's 3.0 build).  Indices stored in integer work arrays keep the Fortran's
1-based variable numbers, so that ``iwa`` compares with the Fortran field by field.
"""

from lbfgsb.port.kernels cimport Kernels, kernels_for


cdef void matupd(int n, int m, double* ws, double* wy, double* sy, double* ss,
                 double* d, double* r, int* itail, int iupdat, int* col,
                 int* head, double* theta, double rr, double dr, double stp,
                 double dtd, const Kernels* kn) noexcept nogil:
    """Update the limited-memory matrices with the new pair (s, y).

    [BLNZ95] (3.1), (3.5)-(3.6) and §6 steps 6-7, after [BNS94]: stores
    s = ``d`` and y = ``r`` in the circular buffers ``ws``, ``wy`` (columns
    ``head`` .. ``itail``, the oldest dropped when full), sets
    theta = y'y / s'y, and
    appends the new row of S'Y (``sy``, lower triangle) and column of S'S
    (``ss``, upper triangle), shifting both when the buffer is full.
    """
    cdef int j          # 1-based column
    cdef int pointr     # 1-based column of ws/wy in the circular buffer
    cdef int one = 1
    cdef int len_
    cdef int i, k, jj   # products in a ddot_multi call; their column
    cdef double* dx[4]  # the products' vectors (d, wy(:, pointr), ws(:, pointr), d)
    cdef double* dy[4]
    cdef double out[4]

    # Set pointers for matrices WS and WY.
    if iupdat <= m:
        col[0] = iupdat
        itail[0] = (head[0] + iupdat - 2) % m + 1
    else:
        itail[0] = itail[0] % m + 1
        head[0] = head[0] % m + 1

    # Update matrices WS and WY.
    # ws(:, itail) := d,  wy(:, itail) := r    (n x 1 each)
    kn.dcopy(&n, d, &one, &ws[(itail[0] - 1) * n], &one)
    kn.dcopy(&n, r, &one, &wy[(itail[0] - 1) * n], &one)

    # Set theta = yy/ys.
    theta[0] = rr / dr

    # Form the middle matrix in B: update the upper triangle of SS and the
    # lower triangle of SY.
    if iupdat > m:
        # move old information
        for j in range(1, col[0]):
            # ss(1:j, j) := ss(2:j+1, j+1)             (j x 1)
            kn.dcopy(&j, &ss[1 + j * m], &one, &ss[(j - 1) * m], &one)
            # sy(j:col-1, j) := sy(j+1:col, j+1)       ((col-j) x 1)
            len_ = col[0] - j
            kn.dcopy(&len_, &sy[j + j * m], &one, &sy[(j - 1) + (j - 1) * m], &one)

    # add new information: the last row of SY and the last column of SS
    # Two columns j, j+1 per call of ddot_multi (the reference kernels make
    # its four products in one pass over d; SciPy's calls ddot four times).
    pointr = head[0]
    j = 1
    while j < col[0]:
        k = 0
        while k < 4 and j < col[0]:
            # sy(col, j) := d' wy(:, pointr)    (1 x n)(n x 1)
            dx[k] = d
            dy[k] = &wy[(pointr - 1) * n]
            # ss(j, col) := ws(:, pointr)' d    (1 x n)(n x 1)
            dx[k + 1] = &ws[(pointr - 1) * n]
            dy[k + 1] = d
            k = k + 2
            j = j + 1
            pointr = pointr % m + 1
        # out(i) := dx(i)' dy(i)   (1 x n)(n x 1), i = 1..k
        kn.ddot_multi(&n, &k, dx, dy, out)
        for i in range(0, k, 2):
            jj = j - k // 2 + i // 2
            sy[(col[0] - 1) + (jj - 1) * m] = out[i]
            ss[(jj - 1) + (col[0] - 1) * m] = out[i + 1]
    if stp == 1.0:
        ss[(col[0] - 1) + (col[0] - 1) * m] = dtd
    else:
        ss[(col[0] - 1) + (col[0] - 1) * m] = stp * stp * dtd
    sy[(col[0] - 1) + (col[0] - 1) * m] = dr


# ---------------------------------------------------------------------------
# test shim (with the GIL; for tests only)

def py_matupd(int m, double[::1, :] ws, double[::1, :] wy, double[::1, :] sy,
              double[::1, :] ss, double[::1] d, double[::1] r, int itail,
              int iupdat, int col, int head, double rr, double dr, double stp,
              double dtd, kernels="scipy"):
    """matupd on Fortran-ordered arrays (written in place);
    returns itail, col, head, theta."""
    cdef int n = d.shape[0]
    cdef double theta = 0.0
    if (ws.shape[0] != n or ws.shape[1] != m or wy.shape[0] != n or wy.shape[1] != m
            or sy.shape[0] != m or sy.shape[1] != m or ss.shape[0] != m
            or ss.shape[1] != m or r.shape[0] != n):
        raise ValueError("inconsistent shapes")
    if n < 1 or m < 1 or not (1 <= head <= m) or iupdat < 1 or not (0 <= itail <= m) \
            or not (0 <= col <= m):
        raise ValueError("inconsistent circular-buffer state")
    matupd(n, m, &ws[0, 0], &wy[0, 0], &sy[0, 0], &ss[0, 0], &d[0], &r[0],
           &itail, iupdat, &col, &head, &theta, rr, dr, stp, dtd, kernels_for(kernels))
    return itail, col, head, theta
