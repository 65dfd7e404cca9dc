# The columns of S and Y in their circular buffer: ws and wy hold m columns of
# n numbers; the k-th stored pair (k = 1 .. col) is column pointr = head + k - 1
# (mod m), 1-based, as the Fortran's `pointr = mod(pointr, m) + 1` walks them.


cdef inline int four_columns(double* ws, double* wy, int n, int m, int pointr,
                             double** s, double** y) noexcept nogil:
    """Columns pointr, pointr+1, pointr+2, pointr+3 (mod m) of ws and wy into
    s[0..3] and y[0..3]; returns the pointer to the column after them."""
    cdef int q
    for q in range(4):
        y[q] = &wy[(pointr - 1) * n]
        s[q] = &ws[(pointr - 1) * n]
        pointr = pointr % m + 1
    return pointr
