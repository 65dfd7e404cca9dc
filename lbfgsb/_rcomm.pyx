"""Reverse-communication entry points: ``setulb`` (the Fortran's meaning) and
``scipy_setulb`` (SciPy >= 1.15's private interface), with ``workspace_sizes``.

Everything here runs with the GIL and checks its arguments before the
``nogil`` kernels see them: the kernels run with bounds checks off, so a wrong
length, a corrupted partition of ``wa`` or an index out of range in the saved
state must be caught here, as a ``ValueError``, and never reach them.
"""

import numpy as np

from lbfgsb.port.tasks cimport TASK_LEN, settask, task_starts, task_eq
from lbfgsb.port.state cimport (wa_partition, ISAVE_LEN, DSAVE_LEN,
                                LSAVE_LEN, IWA_PER_N, ISAVE_HEAD,
                                ISAVE_COL, ISAVE_ITAIL, ISAVE_ITER, ISAVE_IUPDAT,
                                ISAVE_NFREE, ISAVE_ILEAVE, ISAVE_NENTER, ISAVE_NINTOL,
                                ISAVE_IBACK, ISAVE_NSKIP, ISAVE_NSEG, ISAVE_NFGV,
                                ISAVE_IFUN, ISAVE_LWS, ISAVE_LWA, ISAVE_ITFILE,
                                DSAVE_EPSMCH, DSAVE_TIME1)
from lbfgsb.port cimport setulb as _setulb
from lbfgsb.port.errclb cimport errclb
from lbfgsb.port.kernels cimport Kernels, kernels_for

from lbfgsb.port.deviations import flavour_code
from lbfgsb.port.state import scipy_codes_from_task, task_from_scipy_codes, workspace_sizes


cdef int _flavour_code(flavour) except -1:
    return flavour_code(flavour)


cdef object _bytes_view(obj, str name):
    """A writable uint8 view of at least 60 bytes over a task/csave argument."""
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in 'SU' and obj.dtype != np.uint8:
            raise ValueError(f"{name} must be an 'S60' array or a writable byte buffer")
        if obj.dtype.kind == 'U':
            raise ValueError(f"{name} must be bytes ('S60'), not str")
        if not obj.flags.writeable:
            raise ValueError(f"{name} is read-only")
        if not obj.flags.c_contiguous:
            raise ValueError(f"{name} must be contiguous")
        v = obj.reshape(-1).view(np.uint8)
    else:
        try:
            v = np.frombuffer(obj, dtype=np.uint8)
        except TypeError:
            raise ValueError(f"{name} must be an 'S60' array or a writable "
                             "byte buffer") from None
        if not v.flags.writeable:
            raise ValueError(f"{name} is read-only (use a bytearray or an "
                             "'S60' numpy array)")
    if v.shape[0] < TASK_LEN:
        raise ValueError(f"{name} must hold at least 60 bytes")
    return v


cdef void _load_task(unsigned char[::1] src, char* dst) noexcept:
    """Copy a task buffer to a Fortran CHARACTER*60: NUL padding becomes blanks."""
    cdef int i
    cdef bint ended = False
    for i in range(TASK_LEN):
        if src[i] == 0:
            ended = True
        dst[i] = b' ' if ended else <char>src[i]


cdef void _store_task(char* src, unsigned char[::1] dst) noexcept:
    cdef int i
    for i in range(TASK_LEN):
        dst[i] = <unsigned char>src[i]


cdef object _array(obj, str name, dtype, str kind, Py_ssize_t minlen, bint writable):
    """obj as a flat view, if it is a C-contiguous numpy array of dtype with at
    least minlen elements (and writable when asked); else ValueError."""
    if not isinstance(obj, np.ndarray) or obj.dtype != dtype:
        raise ValueError(f"{name} must be a {kind} numpy array")
    if writable and not obj.flags.writeable:
        raise ValueError(f"{name} is read-only")
    if not obj.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    if obj.size < minlen:
        raise ValueError(f"{name} must have at least {minlen} elements, got {obj.size}")
    return obj.reshape(-1)


cdef inline object _f64(obj, str name, Py_ssize_t minlen, bint writable=True):
    return _array(obj, name, np.float64, "float64", minlen, writable)


cdef inline object _i32(obj, str name, Py_ssize_t minlen, bint writable=True):
    return _array(obj, name, np.int32, "int32", minlen, writable)


cdef struct _span:
    size_t lo, hi            # [lo, hi) byte addresses
    bint out                 # written by setulb


cdef int _check_disjoint(_span* s, int k, names) except -1:
    """Refuse arrays that share memory with an array setulb writes: the
    kernels would read their own writes through the alias (memory-safe, but
    a silently wrong answer)."""
    cdef int i, j
    for i in range(k):
        for j in range(i + 1, k):
            if (s[i].out or s[j].out) and s[i].lo < s[j].hi and s[j].lo < s[i].hi:
                raise ValueError(f"{names[i]} and {names[j]} overlap in memory; "
                                 "setulb needs separate arrays")
    return 0


ctypedef fused _elem:
    double
    int


cdef inline _span _span_of(_elem[::1] v, bint out) noexcept:
    """The byte range [lo, hi) of an array (empty for no elements)."""
    cdef _span s
    s.lo = s.hi = 0
    s.out = out
    if v.shape[0] == 0:
        return s
    s.lo = <size_t>&v[0]
    s.hi = s.lo + <size_t>v.shape[0] * sizeof(_elem)
    return s


cdef inline _span _dspan(double[::1] v, bint out) noexcept:
    return _span_of(v, out)


cdef inline _span _ispan(int[::1] v, bint out) noexcept:
    return _span_of(v, out)


cdef inline _span _bspan(unsigned char[::1] v) noexcept:
    cdef _span s
    s.lo = <size_t>&v[0]
    s.hi = s.lo + TASK_LEN
    s.out = True
    return s


# the arrays both entry points take, in the order of _state_spans
_SPAN_NAMES = ("x", "g", "l", "u", "nbd", "wa", "iwa", "lsave", "isave", "dsave")


cdef int _state_spans(_span* s, double[::1] x, double[::1] g, double[::1] l,
                      double[::1] u, int[::1] nbd, double[::1] wa, int[::1] iwa,
                      int[::1] lsave, int[::1] isave, double[::1] dsave) except -1:
    """s[0:10]: the byte ranges of the arrays of ``_SPAN_NAMES`` (l, u and
    nbd read only, the others written by setulb)."""
    s[0] = _dspan(x, True)
    s[1] = _dspan(g, True)
    s[2] = _dspan(l, False)
    s[3] = _dspan(u, False)
    s[4] = _ispan(nbd, False)
    s[5] = _dspan(wa, True)
    s[6] = _ispan(iwa, True)
    s[7] = _ispan(lsave, True)
    s[8] = _ispan(isave, True)
    s[9] = _dspan(dsave, True)
    return 0


cdef int _check_state(int n, int m, int[::1] iwa, int[::1] isave,
                      bint line_search) except -1:
    """Refuse a saved state that would make the kernels index out of range.

    A state written by ``setulb`` itself always passes; one corrupted between
    calls is refused before any kernel runs.
    """
    cdef int i, k
    cdef long long expect[ISAVE_LWA + 1]
    wa_partition(n, m, expect)
    for i in range(ISAVE_LWA + 1):
        if isave[i] != expect[i]:
            raise ValueError(
                "isave does not hold the partition of wa that setulb made for "
                f"n={n}, m={m} (isave[{i}] = {isave[i]}, expected {expect[i]}): "
                "the state was corrupted or belongs to another problem; "
                "restart with task='START'")
    # mainlb's integers: isave(22..41) in Fortran numbering
    cdef int head = isave[ISAVE_HEAD], col = isave[ISAVE_COL], itail = isave[ISAVE_ITAIL]
    cdef int iupdat = isave[ISAVE_IUPDAT], nfree = isave[ISAVE_NFREE]
    cdef int ileave = isave[ISAVE_ILEAVE], nenter = isave[ISAVE_NENTER]
    if not (1 <= head <= m and 0 <= col <= m and 0 <= itail <= m
            and iupdat >= 0 and 0 <= nfree <= n and 0 <= nenter <= n
            and 0 <= ileave <= n + 1):
        raise ValueError("the saved state in isave is corrupted (head, col, "
                         "itail, iupdat, nfree, nenter or ileave out of range); "
                         "restart with task='START'")
    # The counters grow by at most n + 2 in one call (nintol by nseg <= n+1,
    # the others by 1): refuse values that would overflow a C int there.  An
    # iupdat near INT_MAX wrapped to a negative col and itail in matupd, whose
    # dcopy then wrote before the start of wa (found by the ASan fuzz run).
    cdef long long cap = 2147483647LL - n - 2
    for i in (ISAVE_NINTOL, ISAVE_IBACK, ISAVE_NSKIP, ISAVE_ITER, ISAVE_IUPDAT,
              ISAVE_NSEG, ISAVE_NFGV, ISAVE_IFUN):
        if isave[i] < 0 or isave[i] > cap:
            raise ValueError(
                f"the saved state in isave is corrupted (isave[{i}] = "
                f"{isave[i]} is not a valid counter); restart with "
                "task='START'")
    if isave[ISAVE_ITER] <= 0 and col == 0:
        # before the first NEW_X (iter = 0, hence col = 0) the index sets are
        # not read back by any routine (freev writes them in the first
        # iteration).  With col > 0 an unconstrained iteration skips freev and
        # reads the index of an earlier call, so iter = 0 alone must not skip
        # the checks below (a corrupted iter used to let formk index ws out
        # of range).
        return 0
    for i in range(n):
        k = iwa[i]
        if k < 1 or k > n:
            raise ValueError("iwa (index) is corrupted: variable numbers must "
                             "lie in 1..n; restart with task='START'")
        k = iwa[n + i]
        if k < -3 or k > 3:
            raise ValueError("iwa (iwhere) is corrupted; restart with task='START'")
        k = iwa[2 * n + i]
        if (i < nenter or i >= ileave - 1) and (k < 1 or k > n):
            raise ValueError("iwa (indx2) is corrupted: variable numbers must "
                             "lie in 1..n; restart with task='START'")
    return 0


def setulb(int m, x, l, u, nbd, f, g, double factr, double pgtol, wa, iwa,
           task, int iprint, csave, lsave, isave, dsave, int maxls=20, *,
           flavour="fortran", kernels="scipy"):
    """L-BFGS-B reverse communication, with the Fortran 3.0 argument meaning.

    Parameters
    ----------
    m : int
        Number of limited-memory corrections.
    x : ndarray of float64, shape (n,)
        The iterate; overwritten with the point where f and g are wanted.
    l, u : ndarray of float64, shape (n,)
        Lower and upper bounds (read only where ``nbd`` says so).
    nbd : ndarray of int32, shape (n,)
        0 unbounded, 1 lower bound only, 2 both, 3 upper bound only.
    f : ndarray of float64, shape () or (1,)
        The function value at ``x`` (written back when a line search fails).
    g : ndarray of float64, shape (n,)
        The gradient at ``x``.
    factr, pgtol : float
        Stopping tolerances (``factr`` multiplies the machine epsilon).
    wa : ndarray of float64, length >= 2*m*n + 5*n + 11*m*m + 8*m
    iwa : ndarray of int32, length >= 3*n
    task, csave : ndarray of dtype 'S60' (or a writable 60-byte buffer)
        The task and the line search's task, as the Fortran's blank-padded
        CHARACTER*60 strings: set ``task`` to ``b'START'`` to begin.
    iprint : int
        Output level of the Fortran trace (< 0: none).
    lsave : ndarray of int32, length >= 4
    isave : ndarray of int32, length >= 44
    dsave : ndarray of float64, length >= 29
    maxls : int, optional
        Maximum number of function evaluations in one line search (the
        Fortran's built-in 20 by default).
    flavour : str or set of str, keyword-only
        Whose arithmetic to follow where SciPy's C translation departs from
        the Fortran: "fortran" (none of the deviations), "scipy" (all), or
        any set of deviation names (``lbfgsb.deviations()``).
    kernels : {"scipy", "reference"}, keyword-only
        Which BLAS/LAPACK computes ``ddot``, ``dpotrf``, ...: SciPy's
        (OpenBLAS: the bits can depend on the CPU) or the port's own, in the
        netlib reference order (the same bits on every machine).  One run
        keeps one choice (it is not stored in the state arrays).

    Returns
    -------
    None
        Every output is written in place, as in the Fortran.

    Raises
    ------
    ValueError
        For arrays of the wrong type, length or writability, arrays that
        overlap in memory with one that ``setulb`` writes, ``maxls < 1``, an
        unknown flavour or kernels, and a saved state that is not one ``setulb`` wrote.
        (One state must not be used by two threads at once: the checks and
        the kernel are not atomic.)
    """
    cdef int fl = _flavour_code(flavour)
    cdef const Kernels* kn = kernels_for(kernels)
    if maxls < 1:
        raise ValueError("maxls must be positive")
    xa = _f64(x, "x", 0)
    cdef int n = xa.shape[0]
    la = _f64(l, "l", n, False)
    ua = _f64(u, "u", n, False)
    nbda = _i32(nbd, "nbd", n, False)
    # read-only bounds are accepted: the kernels take them through non-const
    # pointers (and never write them), so hand them a private copy
    if not la.flags.writeable:
        la = la.copy()
    if not ua.flags.writeable:
        ua = ua.copy()
    if not nbda.flags.writeable:
        nbda = nbda.copy()
    fa = _f64(f, "f", 1)
    ga = _f64(g, "g", n)
    tv = _bytes_view(task, "task")
    cv = _bytes_view(csave, "csave")
    lsa = _i32(lsave, "lsave", LSAVE_LEN)
    isa = _i32(isave, "isave", ISAVE_LEN)
    dsa = _f64(dsave, "dsave", DSAVE_LEN)
    iwaa = _i32(iwa, "iwa", IWA_PER_N * <Py_ssize_t>n)

    cdef char ctask[TASK_LEN]
    cdef char ccsave[TASK_LEN]
    _load_task(tv, ctask)
    _load_task(cv, ccsave)
    cdef int info = 0, k = 0

    cdef double[::1] lv0, uv0
    cdef int[::1] nv0
    if n < 1 or m < 1:
        # Only errclb can run: the partition of wa would be empty or negative.
        if task_eq(ctask, b'START'):
            if n >= 1:
                lv0 = la
                uv0 = ua
                nv0 = nbda
                errclb(n, m, factr, &lv0[0], &uv0[0], &nv0[0], ctask, &info, &k)
            else:
                errclb(n, m, factr, NULL, NULL, NULL, ctask, &info, &k)
            _store_task(ctask, tv)
            return
        raise ValueError("n and m must be positive")

    cdef Py_ssize_t lwa = workspace_sizes(n, m)[0]
    waa = _f64(wa, "wa", lwa)

    cdef double[::1] xv = xa, lv = la, uv = ua, fv = fa, gv = ga, wv = waa, dv = dsa
    cdef int[::1] nv = nbda, iwv = iwaa, lsv = lsa, isv = isa
    cdef _span spans[13]
    _state_spans(spans, xv, gv, lv, uv, nv, wv, iwv, lsv, isv, dv)
    spans[10] = _dspan(fv, True)
    spans[11] = _bspan(tv)
    spans[12] = _bspan(cv)
    _check_disjoint(spans, 13, _SPAN_NAMES + ("f", "task", "csave"))
    if not task_eq(ctask, b'START'):
        _check_state(n, m, iwv, isv, task_starts(ctask, b'FG_LN'))
    with nogil:
        _setulb.setulb(n, m, &xv[0], &lv[0], &uv[0], &nv[0], &fv[0], &gv[0],
                       factr, pgtol, &wv[0], &iwv[0], ctask, iprint, ccsave,
                       &lsv[0], &isv[0], &dv[0], maxls, fl, kn)
    _store_task(ctask, tv)
    _store_task(ccsave, cv)



# ---------------------------------------------------------------------------
# SciPy >= 1.15's private interface

# isave entries that SciPy's C stores 0-based where the Fortran stores 1-based:
# the offsets of the wa blocks, head, itail and ileave (lbfgsb/port/state.pxd)
_SCIPY_ZERO_BASED = tuple(range(ISAVE_LWS, ISAVE_LWA + 1)) + (ISAVE_HEAD, ISAVE_ITAIL,
                                                                ISAVE_ILEAVE)


def scipy_setulb(int m, x, l, u, nbd, f, g, double factr, double pgtol, wa,
                 iwa, task, lsave, isave, dsave, int maxls, ln_task, *,
                 kernels="scipy"):
    """L-BFGS-B reverse communication with SciPy's private signature.

    A drop-in for ``scipy.optimize._lbfgsb.setulb`` (SciPy >= 1.15): the same
    17 positional arguments, the integer task codes ``task[0:2]`` and
    ``ln_task[0:2]`` (see ``lbfgsb.port.state``), and SciPy's state layout in
    ``isave``, ``dsave``, ``lsave`` and ``iwa`` (0-based offsets and variable
    numbers, epsmch and timers not stored).  It runs the port with
    ``flavour="scipy"``, so a loop copied from SciPy's ``_minimize_lbfgsb``
    produces SciPy's iterates bit for bit.  As in SciPy, ``f`` is taken by
    value and never written back.

    Parameters
    ----------
    m : int
    x, l, u, g, wa, dsave : ndarray of float64
    nbd, iwa, task, lsave, isave, ln_task : ndarray of int32
    f : float
    factr, pgtol : float
    maxls : int
    kernels : {"scipy", "reference"}, keyword-only
        An addition to SciPy's signature (which it leaves intact): the
        port's BLAS/LAPACK choice, as in ``setulb``.

    Raises
    ------
    ValueError
        For arrays of the wrong type or length (SciPy checks less: the port
        refuses what would make the kernels read or write out of range), and
        for a saved state that no run could have written.
    """
    if maxls < 1:
        raise ValueError("maxls must be positive")
    xa = _f64(x, "x", 0)
    cdef int n = xa.shape[0]
    ta = _i32(task, "task", 2)
    lta = _i32(ln_task, "ln_task", 2)
    isa = _i32(isave, "isave", ISAVE_LEN)
    dsa = _f64(dsave, "dsave", DSAVE_LEN)
    iwaa = _i32(iwa, "iwa", IWA_PER_N * <Py_ssize_t>n)
    if n > 0 and m > 0:
        # the state arrays are copied below, so the inner setulb cannot see
        # them alias the others: check here (wa, lsave: setulb checks them)
        xv_, gv_ = _f64(x, "x", 0), _f64(g, "g", n)
        lv_, uv_ = _f64(l, "l", n, False), _f64(u, "u", n, False)
        nv_ = _i32(nbd, "nbd", n, False)
        if not (lv_.flags.writeable and uv_.flags.writeable
                and nv_.flags.writeable):
            lv_ = uv_ = dsa[:1].copy()          # copied by setulb: no alias
            nv_ = isa[:1].copy()
        wv_ = _f64(wa, "wa", workspace_sizes(n, m)[0])
        lsv_ = _i32(lsave, "lsave", LSAVE_LEN)
    else:
        # only errclb runs: the arrays it does not see occupy no memory here
        xv_ = gv_ = lv_ = uv_ = wv_ = np.empty(0)
        nv_ = lsv_ = np.empty(0, np.int32)
    cdef _span sp[12]
    _state_spans(sp, xv_, gv_, lv_, uv_, nv_, wv_, iwaa, lsv_, isa, dsa)
    sp[10] = _ispan(ta, True)
    sp[11] = _ispan(lta, True)
    _check_disjoint(sp, 12, _SPAN_NAMES + ("task", "ln_task"))
    cdef double fval = float(f)
    fa = np.array([fval])
    ctask = np.zeros(1, "S60")
    ccsave = np.zeros(1, "S60")
    ttext = task_from_scipy_codes(ta[0], ta[1])
    ltext = task_from_scipy_codes(lta[0], lta[1], line_search=True)
    if ttext is None or ltext is None:
        # e.g. ln_task = (6, 0): a warning/error status without its detail
        raise ValueError(f"not a task code pair of SciPy's L-BFGS-B: task = "
                         f"({ta[0]}, {ta[1]}), ln_task = ({lta[0]}, {lta[1]})")
    ctask[0] = ttext.encode()
    ccsave[0] = ltext.encode()
    start = int(ta[0]) == 0

    # to the Fortran's layout (copies: a refused state leaves the caller's
    # arrays as they were)
    isf = isa.copy()
    iwf = iwaa.copy()
    dsf = dsa.copy()
    if not start:
        for i in _SCIPY_ZERO_BASED:
            isf[i] += 1
        iwf[0:n] += 1
        iwf[2 * n:3 * n] += 1
        dsf[DSAVE_EPSMCH] = 2.220446049250313e-16   # SciPy keeps it static
    setulb(m, xa, l, u, nbd, fa, g, factr, pgtol, wa, iwf, ctask, -1, ccsave,
           lsave, isf, dsf, maxls, flavour="scipy", kernels=kernels)

    # back to SciPy's layout
    keep_itfile = isa[ISAVE_ITFILE]
    keep_dsave = dsa[DSAVE_EPSMCH:DSAVE_TIME1 + 1].copy()
    if isf[ISAVE_LWS] != 0:
        for i in _SCIPY_ZERO_BASED:
            # itail and ileave start at 0 in both codes ("not set yet")
            if isf[i] > 0:
                isf[i] -= 1
    if not start:
        iwf[0:n] -= 1
        iwf[2 * n:3 * n] -= 1
    isa[:ISAVE_LEN] = isf[:ISAVE_LEN]
    isa[ISAVE_ITFILE] = keep_itfile        # not written by SciPy's C
    dsa[:DSAVE_LEN] = dsf[:DSAVE_LEN]
    dsa[DSAVE_EPSMCH:DSAVE_TIME1 + 1] = keep_dsave     # epsmch, timers: not written
    iwaa[:IWA_PER_N * n] = iwf[:IWA_PER_N * n]
    ta[0], ta[1] = scipy_codes_from_task(ctask[0])
    status, detail = scipy_codes_from_task(ccsave[0])
    if status == 4:
        lta[0] = 4                         # SciPy leaves ln_task[1] as it was
    else:
        lta[0], lta[1] = status, detail

