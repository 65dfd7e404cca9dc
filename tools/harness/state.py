"""State naming: task strings, the Fortran's names of the saved state,
which subroutine writes which field, SciPy's layout mapped onto the
Fortran's, and the field-by-field comparison of two states.

The lowest layer of the harness: it knows nothing of implementations or runs.

The names and positions of the saved fields and SciPy's task codes below are
the harness's own copy of what the port defines once in
lbfgsb/port/state.pyx, kept on purpose: the harness reads the Fortran's and
SciPy's own arrays, runs where the port is not built (the port is then an
unavailable implementation), and judges the port's scipy_setulb, which
translates task codes with the port's table (decoding them with that same
table would hide an error in it).  tests/test_state.py checks the two agree.
"""
from __future__ import annotations

import math

import numpy as np

STOP_ITER = "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT"
STOP_FUN = "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT"


_STATUS_TEXT = {0: "START", 1: "NEW_X", 2: "RESTART_FROM_LNSRCH", 3: "FG",
                4: "CONVERGENCE", 5: "STOP", 6: "WARNING", 7: "ERROR",
                8: "ABNORMAL_TERMINATION_IN_LNSRCH"}
_DETAIL_TEXT = {
    301: "FG_START", 302: "FG_LNSRCH",
    401: "CONVERGENCE: NORM_OF_PROJECTED_GRADIENT_<=_PGTOL",
    402: "CONVERGENCE: REL_REDUCTION_OF_F_<=_FACTR*EPSMCH",
    501: "STOP: CPU EXCEEDING THE TIME LIMIT", 502: STOP_FUN,
    503: "STOP: PROJECTED GRADIENT IS SUFFICIENTLY SMALL", 504: STOP_ITER,
    505: "STOP: CALLBACK REQUESTED HALT",
    601: "WARNING: ROUNDING ERRORS PREVENT PROGRESS", 602: "WARNING: STP = STPMAX",
    603: "WARNING: STP = STPMIN", 604: "WARNING: XTOL TEST SATISFIED",
    701: "ERROR: NO FEASIBLE SOLUTION", 702: "ERROR: FACTR .LT. 0",
    703: "ERROR: FTOL .LT. ZERO", 704: "ERROR: GTOL .LT. ZERO",
    705: "ERROR: XTOL .LT. ZERO", 706: "ERROR: STP .LT. STPMIN",
    707: "ERROR: STP .GT. STPMAX", 708: "ERROR: STPMIN .LT. ZERO",
    709: "ERROR: STPMAX .LT. STPMIN", 710: "ERROR: INITIAL G .GE. ZERO",
    711: "ERROR: M .LE. 0", 712: "ERROR: N .LE. 0", 713: "ERROR: INVALID NBD",
}


def scipy_task_text(status, detail):
    """The Fortran task string with the meaning of SciPy's integer codes."""
    status, detail = int(status), int(detail)
    if detail in _DETAIL_TEXT:
        return _DETAIL_TEXT[detail]
    return _STATUS_TEXT.get(status, "?%d/%d" % (status, detail))


def fortran_str(buf):
    raw = buf.view(np.uint8).tobytes() if isinstance(buf, np.ndarray) else bytes(buf)
    return raw.decode("ascii", "replace").rstrip(" \0")


def _set_fstr(buf, text):
    raw = text.encode("ascii").ljust(60, b" ")
    buf.view(np.uint8)[:60] = np.frombuffer(raw, np.uint8)


def _new_fstr(text=""):
    a = np.zeros(1, "S60")
    _set_fstr(a, text)
    return a


def canonical_task(text):
    """Task text normalised for comparison across implementations."""
    return " ".join(text.split()).upper()


#: the stages of one call in the order mainlb computes them: (stage, the
#: subroutines that run in it)
STAGES = (
    ("start", "setulb/mainlb initialisation (errclb, active)"),
    ("projgr0", "projgr (at x0)"),
    ("cauchy", "cauchy (generalized Cauchy point; hpsolb, bmv)"),
    ("freev", "freev"),
    ("formk", "formk"),
    ("cmprlb", "cmprlb (bmv)"),
    ("subsm", "subsm"),
    ("lnsrlb", "lnsrlb (line search set-up; d = z - x in mainlb)"),
    ("lnsrlb-gd", "lnsrlb (gd = g'd)"),
    ("dcsrch", "dcsrch/dcstep"),
    ("lnsrlb-x", "lnsrlb (new trial x) / mainlb (restore on failure)"),
    ("newx", "mainlb (new iterate) / projgr"),
    ("update", "mainlb (s, y, skip test)"),
    ("matupd", "matupd"),
    ("formt", "formt (dpotrf)"),
)
_STAGE_INDEX = {s: i for i, (s, _) in enumerate(STAGES)}
_STAGE_SUB = dict(STAGES)
#: where a call resumes, from the task before the call
_RESUME = (("START", "start"), ("FG_START", "projgr0"), ("FG_LN", "lnsrlb-gd"),
           ("NEW_X", "update"), ("RESTART", "cauchy"))
#: where a call returns, from the task after the call (None: at once)
_RETURN = (("FG_START", "start"), ("FG_LN", "lnsrlb-x"), ("NEW_X", "newx"),
           ("ABNORMAL", "lnsrlb-x"), ("RESTART", "lnsrlb-x"), ("ERROR", "start"),
           ("CONV", None), ("STOP", None), ("WARN", None))
#: the cycle after formt continues at cauchy
_CYCLE_START = _STAGE_INDEX["cauchy"]

ISAVE_NAMES = {22: "nintol", 24: "itfile", 25: "iback", 26: "nskip", 27: "head",
               28: "col", 29: "itail", 30: "iter", 31: "iupdat", 33: "nseg",
               34: "nfgv", 35: "info", 36: "ifun", 37: "iword", 38: "nfree",
               39: "nact", 40: "ileave", 41: "nenter", 43: "brackt", 44: "stage"}
DSAVE_NAMES = {1: "theta", 2: "fold", 3: "tol", 4: "dnorm", 5: "epsmch", 6: "cpu1",
               7: "cachyt", 8: "sbtime", 9: "lnscht", 10: "time1", 11: "gd",
               12: "stpmx", 13: "sbgnrm", 14: "stp", 15: "gdold", 16: "dtd",
               17: "ginit", 18: "gtest", 19: "gx", 20: "gy", 21: "finit", 22: "fx",
               23: "fy", 24: "stx", 25: "sty", 26: "stmin", 27: "stmax",
               28: "width", 29: "width1"}
LSAVE_NAMES = {1: "prjctd", 2: "cnstnd", 3: "boxed", 4: "updatd"}
#: isave slots no routine writes (1-based)
ISAVE_UNUSED = (17, 18, 19, 20, 21, 23, 32, 42)
#: CPU-time fields: never part of a bitwise claim
TIME_FIELDS = ("dsave.cpu1", "dsave.cachyt", "dsave.sbtime", "dsave.lnscht", "dsave.time1")
#: fields SciPy's C does not keep (always 0 there)
SCIPY_NOT_KEPT = ("isave.itfile", "dsave.epsmch")
#: known state-only quirks of SciPy's C (the deviation cauchy_nseg_pointer of
#: ``lbfgsb.deviations()``):
#: ``nseg += 1`` moves the pointer instead of counting, so nseg stays 1 and
#: nintol counts Cauchy searches.  A difference in these fields, when the
#: real SciPy takes part, is listed separately and does not make a lock step
#: non-identical (``identical_strict`` still counts it).
SCIPY_QUIRKS = {
    "isave.nseg": "SciPy C cauchy: 'nseg += 1' moves the pointer, nseg stays 1",
    "isave.nintol": "SciPy C: nintol sums nseg (stuck at 1)",
}
#: compared only between states of the same layout: SciPy's setulb takes f
#: by value and never writes it back (the Fortran restores f = fold on a
#: line-search failure)
CROSS_LAYOUT_SKIP = ("f",)
_WA_LAYOUT = ("lws", "lwy", "lsy", "lss", "lwt", "lwn", "lsnd", "lz", "lr", "ld",
              "lt", "lxp", "lwa")

_DCSRCH = ("ginit", "gtest", "gx", "gy", "finit", "fx", "fy", "stx", "sty", "stmin",
           "stmax", "width", "width1")

# field name -> (stages that write it, description)
_FIELD_TABLE = [
    ("task", ("start", "lnsrlb-x", "newx"), "task returned"),
    ("x", ("start", "lnsrlb-x"), "x (point handed back)"),
    ("f", ("lnsrlb-x",), "f as handed in (written only by mainlb's restore after a "
     "line-search failure)"),
    ("g", ("lnsrlb-x",), "g as handed in (written only by mainlb's restore after a "
     "line-search failure)"),
    ("lsave.prjctd", ("start",), "x0 projected (active)"),
    ("lsave.cnstnd", ("start",), "problem constrained (active)"),
    ("lsave.boxed", ("start",), "all variables boxed (active)"),
    ("iwa.iwhere", ("start", "cauchy"), "iwhere: variable status (active, cauchy)"),
    ("dsave.sbgnrm", ("projgr0", "newx"), "inf-norm of projected gradient (projgr)"),
    ("isave.nfgv", ("projgr0", "lnsrlb-x"), "f/g evaluations"),
    ("iwa.indx2", ("cauchy", "freev"), "indx2: iorder in cauchy, entering/leaving in freev"),
    ("wa.t", ("cauchy", "lnsrlb"), "t: breakpoints (cauchy), x copy (lnsrlb)"),
    ("wa.d", ("cauchy", "lnsrlb", "update"), "d: -g (cauchy), z - x (mainlb), s (mainlb)"),
    ("wa.wbp", ("cauchy",), "wbp: row of W at the breakpoint (cauchy)"),
    ("wa.v", ("cauchy",), "v: M c (cauchy, bmv)"),
    ("wa.c", ("cauchy",), "c: W'(xcp - x) (cauchy)"),
    ("wa.p", ("cauchy", "cmprlb", "subsm"), "p: W'd (cauchy), M c (cmprlb), wv (subsm)"),
    ("wa.z", ("cauchy", "subsm"), "z: Cauchy point xcp (cauchy), subspace minimizer (subsm)"),
    ("isave.nseg", ("cauchy",), "segments explored by cauchy"),
    ("isave.nintol", ("cauchy",), "total segments explored"),
    ("isave.iword", ("cauchy", "subsm"), "subspace status (subsm)"),
    ("isave.info", ("cauchy", "formk", "cmprlb", "subsm", "lnsrlb-gd", "formt"), "info"),
    ("iwa.index", ("freev",), "index: free / active variables (freev)"),
    ("isave.nfree", ("freev",), "free variables"),
    ("isave.nact", ("freev",), "active variables"),
    ("isave.nenter", ("freev",), "variables entering the free set"),
    ("isave.ileave", ("freev",), "variables leaving the free set"),
    ("wa.WN", ("formk",), "WN: LEL' factor of K (formk)"),
    ("wa.SND", ("formk",), "SND: lower triangle of N (formk)"),
    ("wa.r", ("cmprlb", "lnsrlb", "update"), "r: reduced gradient (cmprlb), g copy (lnsrlb), y (mainlb)"),
    ("wa.xp", ("subsm",), "xp: safeguard copy (subsm)"),
    ("dsave.dtd", ("lnsrlb",), "d'd (lnsrlb)"),
    ("dsave.dnorm", ("lnsrlb",), "|d| (lnsrlb)"),
    ("dsave.stpmx", ("lnsrlb",), "maximum step (lnsrlb)"),
    ("dsave.fold", ("lnsrlb",), "f at the start of the line search (lnsrlb)"),
    ("isave.ifun", ("lnsrlb", "lnsrlb-x"), "line-search evaluations (lnsrlb)"),
    ("isave.iback", ("lnsrlb", "lnsrlb-x"), "backtracks (lnsrlb)"),
    ("dsave.stp", ("lnsrlb", "dcsrch"), "step (lnsrlb, dcsrch)"),
    ("dsave.gd", ("lnsrlb-gd",), "g'd (lnsrlb)"),
    ("dsave.gdold", ("lnsrlb-gd",), "g'd at the start (lnsrlb)"),
    ("csave", ("lnsrlb", "dcsrch"), "line-search task (dcsrch)"),
] + [("dsave." + k, ("dcsrch",), "dcsrch/dcstep saved " + k) for k in _DCSRCH] + [
    ("isave.brackt", ("dcsrch",), "dcsrch bracket flag"),
    ("isave.stage", ("dcsrch",), "dcsrch stage"),
    ("isave.iter", ("newx",), "iteration count"),
    ("isave.nskip", ("update",), "skipped updates"),
    ("lsave.updatd", ("update",), "matrix updated (reset by mainlb on a restart)"),
    ("wa.S", ("matupd",), "S: s-vectors (matupd)"),
    ("wa.Y", ("matupd",), "Y: y-vectors (matupd)"),
    ("wa.SY", ("matupd",), "S'Y (matupd)"),
    ("wa.SS", ("matupd",), "S'S (matupd)"),
    ("dsave.theta", ("matupd",), "theta = y'y/s'y (matupd; reset by mainlb on a restart)"),
    ("isave.col", ("matupd",), "stored corrections (matupd; reset on a restart)"),
    ("isave.head", ("matupd",), "first correction (matupd; reset on a restart)"),
    ("isave.itail", ("matupd",), "last correction (matupd)"),
    ("isave.iupdat", ("matupd",), "updates made (matupd; reset on a restart)"),
    ("wa.WT", ("formt",), "WT: Cholesky factor of theta S'S + L D^-1 L' (formt)"),
    ("dsave.tol", ("start",), "factr*epsmch"),
    ("dsave.epsmch", ("start",), "machine epsilon"),
    ("isave.itfile", ("start",), "output unit (unused)"),
] + [("isave.%s" % k, ("start",), "wa offset " + k) for k in _WA_LAYOUT] + [
    ("isave.mn", ("start",), "m*n"), ("isave.mm", ("start",), "m*m"),
    ("isave.4mm", ("start",), "4*m*m"),
] + [("isave(%d)" % i, ("start",), "unused slot") for i in ISAVE_UNUSED] \
  + [(t, ("start",), "CPU time (never compared)") for t in TIME_FIELDS]

FIELDS = tuple(name for name, _, _ in _FIELD_TABLE)
FIELD_STAGES = {name: st for name, st, _ in _FIELD_TABLE}
FIELD_DOC = {name: doc for name, _, doc in _FIELD_TABLE}
_FIELD_POS = {name: i for i, name in enumerate(FIELDS)}


def _resume_index(task_before):
    if task_before is None:
        return 0
    t = canonical_task(task_before)
    for prefix, st in _RESUME:
        if t.startswith(prefix):
            return _STAGE_INDEX[st]
    return 0


def stage_window(task_before, task_after=None):
    """Stages run by one call, in order (indices into :data:`STAGES`)."""
    i = _resume_index(task_before)
    end = "?"
    if task_after is not None:
        t = canonical_task(task_after)
        for prefix, st in _RETURN:
            if t.startswith(prefix):
                end = st
                break
    seq = [i]
    if end is None:
        return seq
    while STAGES[i][0] != end:
        i = _CYCLE_START if i == len(STAGES) - 1 else i + 1
        if i in seq:                            # one full cycle at most
            break
        seq.append(i)
    return seq


def _field_position(field, window):
    """(order key, stage) of ``field``'s value after a call running ``window``."""
    stages = [_STAGE_INDEX[st] for st in FIELD_STAGES.get(field, ("start",))]
    inside = [k for k, i in enumerate(window) if i in stages]
    if inside:
        k = max(inside)                         # the last writer in the call
        return k, window[k]
    # not written by this call (per the model): after everything, blamed on
    # its first writer from the resume point on
    start = window[0]
    dist = [((i - start) % len(STAGES), i) for i in stages]
    return len(window) + min(dist)[0], min(dist)[1]


def field_subroutine(field, task_before=None, task_after=None):
    """The subroutine to blame for ``field`` differing after a call that went
    from ``task_before`` to ``task_after`` (the last writer in the call)."""
    return STAGES[_field_position(field, stage_window(task_before, task_after))[1]][1]


def field_order_key(field, task_before, task_after=None):
    k, _ = _field_position(field, stage_window(task_before, task_after))
    return (k, _FIELD_POS.get(field, 10 ** 6))


def _wa_blocks(n, m):
    """[(name, offset, length)] of the Fortran's wa partition (0-based)."""
    sizes = [("S", m * n), ("Y", m * n), ("SY", m * m), ("SS", m * m), ("WT", m * m),
             ("WN", 4 * m * m), ("SND", 4 * m * m), ("z", n), ("r", n), ("d", n),
             ("t", n), ("xp", n), ("p", 2 * m), ("c", 2 * m), ("wbp", 2 * m),
             ("v", 2 * m)]
    out, off = [], 0
    for name, sz in sizes:
        out.append((name, off, sz))
        off += sz
    return out


def named_state(layout, n, m, x, f, g, wa, iwa, isave, dsave, lsave, task, csave):
    """{field name: numpy array} of a state in its own layout's convention."""
    st = {"task": np.array([task], dtype=object), "csave": np.array([csave], dtype=object),
          "x": np.array(x, dtype=np.float64, copy=True),
          "f": np.array([float(np.asarray(f).reshape(-1)[0])]),
          "g": np.array(g, dtype=np.float64, copy=True)}
    for i, nm in LSAVE_NAMES.items():
        st["lsave." + nm] = np.array([int(lsave[i - 1])], np.int64)
    for i, nm in ISAVE_NAMES.items():
        st["isave." + nm] = np.array([int(isave[i - 1])], np.int64)
    for i, nm in DSAVE_NAMES.items():
        st["dsave." + nm] = np.array([float(dsave[i - 1])])
    for k, nm in enumerate(("mn", "mm", "4mm") + _WA_LAYOUT):     # isave(1..16)
        st["isave." + nm] = np.array([int(isave[k])], np.int64)
    for i in ISAVE_UNUSED:
        st["isave(%d)" % i] = np.array([int(isave[i - 1])], np.int64)
    for name, off, sz in _wa_blocks(n, m):
        st["wa." + name] = np.array(wa[off:off + sz], dtype=np.float64, copy=True)
    st["iwa.index"] = np.array(iwa[:n], np.int64)
    st["iwa.iwhere"] = np.array(iwa[n:2 * n], np.int64)
    st["iwa.indx2"] = np.array(iwa[2 * n:3 * n], np.int64)
    return st


#: SciPy state -> Fortran convention.  'plus1': add one; 'plus1z': add one
#: except where the SciPy value is 0 and the Fortran's is 0 too (slots not
#: written yet: both start at 0); 'skip': not kept by SciPy.
SCIPY_TRANSFORM = {
    "isave.head": "plus1",
    "isave.itail": "plus1z",
    "isave.ileave": "plus1z",
    "iwa.index": "plus1z",
    "iwa.indx2": "plus1z",
    "isave.itfile": "skip",
    "dsave.epsmch": "skip",
}
for _k in _WA_LAYOUT:
    SCIPY_TRANSFORM["isave." + _k] = "plus1"
for _i in ISAVE_UNUSED:
    SCIPY_TRANSFORM["isave(%d)" % _i] = "skip"
del _k, _i


def scipy_to_fortran_names(st, ref=None):
    """Map a SciPy-layout named state to the Fortran's conventions (in place
    on a copy).  ``ref``: the Fortran-convention state compared against
    (needed for 'plus1z')."""
    out = dict(st)
    for field, how in SCIPY_TRANSFORM.items():
        if field not in out:
            continue
        v = out[field]
        if how == "skip":
            out.pop(field)
        elif how == "plus1":
            out[field] = v + 1
        elif how == "plus1z":
            w = v + 1
            if ref is not None and field in ref and ref[field].shape == v.shape:
                w = np.where((v == 0) & (ref[field] == 0), 0, w)
            out[field] = w
    return out


def _bits_equal(a, b):
    if a.dtype == object or b.dtype == object:
        return a.shape == b.shape and all(canonical_task(str(p)) == canonical_task(str(q))
                                           for p, q in zip(a, b))
    if a.shape != b.shape:
        return False
    if a.dtype.kind == "f" and b.dtype.kind == "f":
        return a.tobytes() == b.astype(a.dtype).tobytes()
    return np.array_equal(a, b)


def _rel(a, b):
    """Norm-wise relative difference ``max|a-b| / max|b|`` (inf-norm)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return math.inf
    if a.size == 0:
        return 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        d = np.abs(a - b)
        both_nan = np.isnan(a) & np.isnan(b)
        same_inf = np.isinf(a) & (a == b)
        d = np.where(both_nan | same_inf, 0.0, d)
        if np.any(np.isnan(d)):
            return math.inf
        num = float(np.max(d))
        den = float(np.max(np.where(np.isfinite(b), np.abs(b), 0.0)))
    if num == 0.0:
        return 0.0
    return num / den if den > 0 else math.inf


def compare_states(ref_state, other_state, other_layout="fortran", task_before=None,
                   ref_layout="fortran", quirks=None, ignore=(), task_after=None):
    """Differing fields of ``other_state`` against ``ref_state``, ordered by
    computation order in the call that went from ``task_before`` to
    ``task_after`` (the reference's; default: its ``task`` field).

    A SciPy-layout state compared with a Fortran-layout one is first mapped
    to the Fortran's conventions (:func:`scipy_to_fortran_names`); two
    states of the same layout are compared as they are.
    Returns a list of dicts: field, subroutine, index (first differing
    element, 0-based), ref, other (values there), max_abs, rel, count,
    quirk (the reason when ``field`` is in ``quirks``, else None).
    Time fields and ``ignore`` are never compared; nor are, across layouts,
    the fields SciPy does not keep and ``f`` (:data:`CROSS_LAYOUT_SKIP`).
    """
    quirks = quirks or {}
    cross = other_layout != ref_layout
    if other_layout == "scipy" and ref_layout != "scipy":
        other_state = scipy_to_fortran_names(other_state, ref_state)
    elif ref_layout == "scipy" and other_layout != "scipy":
        ref_state = scipy_to_fortran_names(ref_state, other_state)
    if task_after is None and "task" in ref_state:
        task_after = str(ref_state["task"][0])
    window = stage_window(task_before, task_after)
    diffs = []
    for field in FIELDS:
        if field in TIME_FIELDS or field in ignore or field not in ref_state \
                or field not in other_state or (cross and field in CROSS_LAYOUT_SKIP):
            continue
        a, b = ref_state[field], other_state[field]
        if _bits_equal(a, b):
            continue
        d = {"field": field, "subroutine": STAGES[_field_position(field, window)[1]][1],
             "description": FIELD_DOC.get(field, ""), "quirk": quirks.get(field)}
        if a.dtype == object or b.dtype == object:
            d.update(index=0, ref=str(a[0]), other=str(b[0]), max_abs=None, rel=None, count=1,
                     size=1)
        elif a.shape != b.shape:
            d.update(index=None, ref="shape %s" % (a.shape,), other="shape %s" % (b.shape,),
                     max_abs=None, rel=math.inf, count=None, size=None)
        else:
            bb = b.astype(a.dtype) if a.dtype.kind == "f" else b
            neq = np.flatnonzero(_neq_mask(a, bb))
            i = int(neq[0]) if neq.size else 0
            af, bf = a.astype(np.float64), b.astype(np.float64)
            with np.errstate(invalid="ignore", over="ignore"):
                mabs = float(np.nanmax(np.abs(af - bf))) if a.size else 0.0
            d.update(index=i, ref=_py(a[i]), other=_py(b[i]), max_abs=mabs,
                     rel=_rel(bf, af), count=int(neq.size), size=int(a.size))
        diffs.append(d)
    diffs.sort(key=lambda d: (_field_position(d["field"], window)[0],
                              _FIELD_POS.get(d["field"], 10 ** 6)))
    return diffs


def _neq_mask(a, b):
    if a.dtype.kind == "f":
        av = np.ascontiguousarray(a).view(np.int64)
        bv = np.ascontiguousarray(b).view(np.int64)
        return av != bv
    return a != b


def _py(v):
    if isinstance(v, (np.floating, float)):
        return float(v)
    if isinstance(v, (np.integer, int)):
        return int(v)
    return str(v)
