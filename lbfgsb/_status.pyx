"""Task strings of the Fortran and the integer task codes of SciPy >= 1.15.

The Fortran reports its state in CHARACTER*60 strings (``task``, ``csave``);
SciPy's C translation replaced them with two integers, a status and a detail
code, and builds its messages from the tables below (the same texts as SciPy's
``_lbfgsb_py.status_messages`` / ``task_messages``).  ``scipy_codes_from_task``
and ``task_from_scipy_codes`` translate between the two, so that a state can
be compared across implementations and a result can carry SciPy's message.
"""

FLAVOURS = {"fortran": 0, "scipy": 1}

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
