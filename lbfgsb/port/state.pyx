"""The state table of setulb, on the Python side: the names of the fields of
``isave``, ``dsave``, ``lsave`` and their positions, the blocks of ``wa``
and ``iwa``, and SciPy's integer task codes beside the Fortran's task text.

The positions are the constants of state.pxd (``ISAVE_ITER``, ...; 0-based,
the Fortran's number minus one), readable here as module attributes; the
tables below name them for tools and reports.  Everything that reads a saved
state (the layers, tools/explain.py, the harness) reads it through this
module.
"""

import numpy as np

#: isave: name -> 0-based position (setulb's sizes and wa offsets, mainlb's
#: integers, dcsrch's two)
ISAVE = {
    "mn": ISAVE_MN, "mm": ISAVE_MM, "4mm": ISAVE_4MM,
    "lws": ISAVE_LWS, "lwy": ISAVE_LWY, "lsy": ISAVE_LSY, "lss": ISAVE_LSS,
    "lwt": ISAVE_LWT, "lwn": ISAVE_LWN, "lsnd": ISAVE_LSND, "lz": ISAVE_LZ,
    "lr": ISAVE_LR, "ld": ISAVE_LD, "lt": ISAVE_LT, "lxp": ISAVE_LXP, "lwa": ISAVE_LWA,
    "nintol": ISAVE_NINTOL, "itfile": ISAVE_ITFILE, "iback": ISAVE_IBACK,
    "nskip": ISAVE_NSKIP, "head": ISAVE_HEAD, "col": ISAVE_COL, "itail": ISAVE_ITAIL,
    "iter": ISAVE_ITER, "iupdat": ISAVE_IUPDAT, "nseg": ISAVE_NSEG, "nfgv": ISAVE_NFGV,
    "info": ISAVE_INFO, "ifun": ISAVE_IFUN, "iword": ISAVE_IWORD, "nfree": ISAVE_NFREE,
    "nact": ISAVE_NACT, "ileave": ISAVE_ILEAVE, "nenter": ISAVE_NENTER,
    "brackt": ISAVE_BRACKT, "stage": ISAVE_STAGE,
}
#: isave positions no routine writes (they stay as the caller set them)
ISAVE_UNUSED = tuple(i for i in range(ISAVE_LEN) if i not in ISAVE.values())
#: dsave: name -> 0-based position (mainlb's reals, dcsrch's 13)
DSAVE = {
    "theta": DSAVE_THETA, "fold": DSAVE_FOLD, "tol": DSAVE_TOL, "dnorm": DSAVE_DNORM,
    "epsmch": DSAVE_EPSMCH, "cpu1": DSAVE_CPU1, "cachyt": DSAVE_CACHYT,
    "sbtime": DSAVE_SBTIME, "lnscht": DSAVE_LNSCHT, "time1": DSAVE_TIME1,
    "gd": DSAVE_GD, "stpmx": DSAVE_STPMX, "sbgnrm": DSAVE_SBGNRM, "stp": DSAVE_STP,
    "gdold": DSAVE_GDOLD, "dtd": DSAVE_DTD,
    "ginit": DSAVE_GINIT, "gtest": DSAVE_GTEST, "gx": DSAVE_GX, "gy": DSAVE_GY,
    "finit": DSAVE_FINIT, "fx": DSAVE_FX, "fy": DSAVE_FY, "stx": DSAVE_STX,
    "sty": DSAVE_STY, "stmin": DSAVE_STMIN, "stmax": DSAVE_STMAX,
    "width": DSAVE_WIDTH, "width1": DSAVE_WIDTH1,
}
#: the timers in dsave (wall clock in the port, CPU time in the Fortran):
#: never part of a bitwise claim
DSAVE_TIMERS = ("cpu1", "cachyt", "sbtime", "lnscht", "time1")
#: lsave: name -> 0-based position
LSAVE = {"prjctd": LSAVE_PRJCTD, "cnstnd": LSAVE_CNSTND, "boxed": LSAVE_BOXED,
         "updatd": LSAVE_UPDATD}

#: the blocks of wa in order, by mainlb's argument names; block k starts at
#: isave[ISAVE_LWS + k] (1-based)
WA_NAMES = ("ws", "wy", "sy", "ss", "wt", "wn", "snd", "z", "r", "d", "t", "xp", "wa")
#: the last block (8m) as cauchy uses it: p, c, wbp, v (2m each)
WA_SMALL = ("p", "c", "wbp", "v")
#: the blocks of iwa in order (n each)
IWA_NAMES = ("index", "iwhere", "indx2")


def workspace_sizes(int n, int m):
    """Lengths of ``wa``, ``iwa``, ``isave``, ``dsave``, ``lsave`` for (n, m).

    Raises ``ValueError`` when ``wa`` would not be addressable with the
    Fortran's default integer (the offsets in ``isave`` are 32-bit).
    """
    cdef long long lwa = wa_length(n, m)
    if n < 0 or m < 0:
        raise ValueError("n and m must be non-negative")
    if lwa >= 2**31 - 1 or IWA_PER_N * <long long>n >= 2**31 - 1:
        raise ValueError(
            f"the workspace for n={n}, m={m} needs {lwa} doubles, more than a "
            "32-bit Fortran integer can index; reduce m or n")
    return int(lwa), IWA_PER_N * n, ISAVE_LEN, DSAVE_LEN, LSAVE_LEN


def wa_offsets(n, m):
    """isave[0:16] as setulb writes them at START for (n, m): the block sizes
    m*n, m*m, 4*m*m and the 1-based offsets of the blocks of wa."""
    cdef long long out[ISAVE_LWA + 1]
    wa_partition(n, m, out)
    return [int(out[i]) for i in range(ISAVE_LWA + 1)]


def wa_blocks(n, m):
    """[(name, offset, length)] of the blocks of wa for (n, m), 0-based
    offsets, in order (``WA_NAMES``); they tile all of wa
    (``workspace_sizes(n, m)[0]`` doubles)."""
    off = wa_offsets(n, m)
    starts = [off[ISAVE_LWS + k] - 1 for k in range(WA_BLOCKS)] + [wa_length(n, m)]
    return [(name, starts[k], starts[k + 1] - starts[k]) for k, name in enumerate(WA_NAMES)]


def new_arrays(n, m):
    """Fresh arrays for a run of setulb on (n, m), in its argument order:
    ``wa, iwa, task, csave, lsave, isave, dsave`` (zeros; ``task`` and ``csave``
    ``'S60'`` arrays, ``task`` holding START).  Raises
    ``ValueError`` where ``lbfgsb.workspace_sizes`` does."""
    lwa, liwa, lis, lds, lls = workspace_sizes(n, m)
    task, csave = np.zeros(1, "S60"), np.zeros(1, "S60")
    task[0] = b"START"
    return (np.zeros(lwa), np.zeros(liwa, np.int32), task, csave,
            np.zeros(lls, np.int32), np.zeros(lis, np.int32), np.zeros(lds))


def corrections(wa, n, m):
    """(S, Y): the blocks ws and wy of wa (its first two, n x m each in the
    Fortran's column order) as (m, n) views whose row j is the j-th stored
    column, as SciPy's result reads them."""
    mn = m * n
    return wa[0:mn].reshape(m, n), wa[mn:2 * mn].reshape(m, n)


# ---------------------------------------------------------------------------
# Task codes: SciPy >= 1.15 replaced the Fortran's task strings by two
# integers, a status and a detail code, and builds its messages from the
# tables below (the texts of SciPy's ``_lbfgsb_py.status_messages`` /
# ``task_messages``); the Fortran's task text stands beside each code.

# status codes (task[0] in SciPy)
STATUS_TEXT = {
    0: "START",
    1: "NEW_X",
    2: "RESTART",
    3: "FG",
    4: "CONVERGENCE",
    5: "STOP",
    6: "WARNING",
    7: "ERROR",
    8: "ABNORMAL",
}

# detail codes (task[1] in SciPy): SciPy's message text and the Fortran's
# task string with the same meaning
DETAIL = {
    0: ("", None),
    301: ("", "FG_START"),
    302: ("", "FG_LNSRCH"),
    401: ("NORM OF PROJECTED GRADIENT <= PGTOL",
          "CONVERGENCE: NORM_OF_PROJECTED_GRADIENT_<=_PGTOL"),
    402: ("RELATIVE REDUCTION OF F <= FACTR*EPSMCH",
          "CONVERGENCE: REL_REDUCTION_OF_F_<=_FACTR*EPSMCH"),
    501: ("CPU EXCEEDING THE TIME LIMIT", "STOP: CPU EXCEEDING THE TIME LIMIT"),
    502: ("TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT",
          "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT"),
    503: ("PROJECTED GRADIENT IS SUFFICIENTLY SMALL",
          "STOP: PROJECTED GRADIENT IS SUFFICIENTLY SMALL"),
    504: ("TOTAL NO. OF ITERATIONS REACHED LIMIT",
          "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT"),
    505: ("CALLBACK REQUESTED HALT", "STOP: CALLBACK REQUESTED HALT"),
    601: ("ROUNDING ERRORS PREVENT PROGRESS",
          "WARNING: ROUNDING ERRORS PREVENT PROGRESS"),
    602: ("STP = STPMAX", "WARNING: STP = STPMAX"),
    603: ("STP = STPMIN", "WARNING: STP = STPMIN"),
    604: ("XTOL TEST SATISFIED", "WARNING: XTOL TEST SATISFIED"),
    701: ("NO FEASIBLE SOLUTION", "ERROR: NO FEASIBLE SOLUTION"),
    702: ("FACTR < 0", "ERROR: FACTR .LT. 0"),
    703: ("FTOL < 0", "ERROR: FTOL .LT. ZERO"),
    704: ("GTOL < 0", "ERROR: GTOL .LT. ZERO"),
    705: ("XTOL < 0", "ERROR: XTOL .LT. ZERO"),
    706: ("STP < STPMIN", "ERROR: STP .LT. STPMIN"),
    707: ("STP > STPMAX", "ERROR: STP .GT. STPMAX"),
    708: ("STPMIN < 0", "ERROR: STPMIN .LT. ZERO"),
    709: ("STPMAX < STPMIN", "ERROR: STPMAX .LT. STPMIN"),
    710: ("INITIAL G >= 0", "ERROR: INITIAL G .GE. ZERO"),
    711: ("M <= 0", "ERROR: M .LE. 0"),
    712: ("N <= 0", "ERROR: N .LE. 0"),
    713: ("INVALID NBD", "ERROR: INVALID NBD"),
}

_STATUS_OF_PREFIX = (
    ("START", 0), ("NEW_X", 1), ("RESTART", 2), ("FG", 3), ("CONV", 4),
    ("STOP", 5), ("WARN", 6), ("ERROR", 7), ("ABNO", 8),
)
_DETAIL_OF_TASK = {v[1]: k for k, v in DETAIL.items() if v[1] is not None}


def scipy_codes_from_task(task):
    """(status, detail) of SciPy for a Fortran task string."""
    task = task.decode("ascii") if isinstance(task, bytes) else task
    task = task.rstrip()
    for prefix, status in _STATUS_OF_PREFIX:
        if task.startswith(prefix):
            break
    else:
        raise ValueError(f"not a task string of L-BFGS-B: {task!r}")
    return status, _DETAIL_OF_TASK.get(task, 0)


def task_from_scipy_codes(status, detail, line_search=False):
    """The Fortran task string for SciPy's (status, detail) codes.

    With ``line_search=True`` the codes are those of ``ln_task`` and the
    result is the Fortran's ``csave`` of ``dcsrch`` ('START', 'FG',
    'CONVERGENCE', 'WARNING: ...', 'ERROR: ...').
    """
    status = int(status)
    detail = int(detail)
    if status not in STATUS_TEXT:
        raise ValueError(f"not a task code of SciPy's L-BFGS-B: {status}")
    if line_search:
        if status == 3:
            return "FG"
        if status == 4:
            return "CONVERGENCE"
        if status in (6, 7):
            return DETAIL.get(detail, ("", STATUS_TEXT[status]))[1]
        return "START"
    text = DETAIL.get(detail, ("", None))[1]
    if text is not None and scipy_codes_from_task(text)[0] == status:
        return text
    if status == 8:
        return "ABNORMAL_TERMINATION_IN_LNSRCH"
    if status == 2:
        return "RESTART_FROM_LNSRCH"
    if status == 3:
        return "FG_START"
    return STATUS_TEXT[status]


def scipy_message(task):
    """SciPy's result message for a Fortran task string."""
    status, detail = scipy_codes_from_task(task)
    return STATUS_TEXT[status] + ": " + DETAIL[detail][0]
