"""Cross-check harness: the library behind ``tools/compare.py``.

Runs several implementations of L-BFGS-B's reverse-communication routine
``setulb`` on the same problem, with the same driver loop, and compares them.

Implementations (``IMPLS``)
---------------------------
``port``            the Cython port, ``lbfgsb.setulb(..., flavour="fortran")``
``port-scipy``      the port with ``flavour="scipy"`` (SciPy's arithmetic)
``port-scipy-api``  the port through ``lbfgsb.scipy_setulb`` (SciPy's signature,
                    integer task codes and state layout)
``scipy``           SciPy's private ``scipy.optimize._lbfgsb.setulb`` (C, >= 1.15)
``fortran``         Debian's Fortran L-BFGS-B 3.0 on SciPy's OpenBLAS (shim)
``fortran-system``  the same Fortran on the system BLAS/LAPACK

Driver loop
-----------
The loop is SciPy's (``scipy.optimize._lbfgsb_py._minimize_lbfgsb``): ``x0`` is
clipped into the bounds, ``nfev`` counts f/g requests, ``nit`` is incremented
on every ``NEW_X``; after that ``nit >= maxiter`` stops with
``STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT`` and otherwise
``nfev > maxfun`` stops with ``STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS
LIMIT``; status (warnflag) 0 converged, 1 limit, 2 other.

Free run (:func:`run_free`, :func:`compare_free`)
    each implementation runs to termination on its own evaluations; the k-th
    f/g request point and the k-th iterate of each are compared with those
    of its reference.
Lock step (:func:`run_lockstep`)
    one implementation (the driver) decides where f and g are evaluated; every
    implementation gets f, g at the driver's point.  After each ``setulb``
    call the saved state of each implementation is compared with the
    driver's, field by field, by the Fortran's names (:data:`FIELDS`); the
    comparison of an implementation stops at the first call after which it
    asks for something else (another task, or another x).

State names are those of the Fortran's ``mainlb``/``lnsrlb``/``dcsrch``
(``isave(22..41)``, ``dsave(1..29)``, ``isave(43..44)``, ``lsave``, the blocks
of ``wa`` and ``iwa``).  SciPy's C state is mapped to the same names
(:func:`scipy_to_fortran_names`): its 0-based indices (``head``, ``itail``,
``ileave``, the variable numbers in ``index`` and ``indx2``, the ``wa``
offsets in ``isave(4..16)``) are shifted by one; ``itfile`` and ``epsmch``
are not kept by SciPy and are not compared.  The CPU-time fields ``cpu1,
cachyt, sbtime, lnscht, time1`` (``dsave(6..10)``) are never compared.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import csv
import hashlib
import importlib.util
import json
import math
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

IMPLS = ("port", "port-scipy", "port-scipy-api", "scipy", "fortran", "fortran-system")
DEFAULT_IMPLS = ("port", "port-scipy", "scipy", "fortran", "fortran-system")
DEFAULT_REF = "fortran"
#: each implementation's natural reference (``None``: use the run's --ref)
PRIMARY_REF = {"port": None, "port-scipy": "scipy", "port-scipy-api": "scipy",
               "scipy": None, "fortran": None, "fortran-system": None}
#: (a, b) pairs whose free runs and lock steps must be bitwise identical
BITWISE_TARGETS = (("port", "fortran"), ("port-scipy", "scipy"),
                   ("port-scipy-api", "scipy"))

STOP_ITER = "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT"
STOP_FUN = "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT"


class Unavailable(Exception):
    """An implementation cannot be used here (library missing, port not built)."""


# ---------------------------------------------------------------------------
# loading the pieces
# ---------------------------------------------------------------------------

def load_fortran_module():
    """tools/fortran.py, loaded by path under the name the tests use, so that
    the repository root stays off ``sys.path`` (``lbfgsb`` must resolve to
    the built / installed package, not to the source tree)."""
    name = "_lbfgsb_tools_fortran"
    mod = sys.modules.get(name)
    if mod is not None:
        return mod
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, "fortran.py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return mod


def load_reference():
    """The ``reference`` problem package of the repository (root appended to
    ``sys.path``, after site-packages)."""
    try:
        import reference  # noqa: F401
    except ImportError:
        if ROOT not in sys.path:
            sys.path.append(ROOT)
        import reference
    return reference


def load_port():
    """The compiled port (``import lbfgsb``) or raise :class:`Unavailable`."""
    try:
        if "lbfgsb" not in sys.modules:
            # never the uncompiled source tree (the repository root may be on
            # sys.path, e.g. as the current directory)
            saved = list(sys.path)
            sys.path[:] = [p for p in sys.path
                           if os.path.realpath(p or os.getcwd()) != os.path.realpath(ROOT)]
            try:
                importlib.import_module("lbfgsb")
            finally:
                sys.path[:] = saved + [p for p in sys.path if p not in saved]
        import lbfgsb
        if not callable(getattr(lbfgsb, "setulb", None)):
            raise ImportError("lbfgsb has no setulb (%s)" % getattr(lbfgsb, "__file__", "?"))
    except Exception as exc:                          # noqa: BLE001
        raise Unavailable("port not importable (build/install it: pip install "
                          "--no-build-isolation .): %s: %s" % (type(exc).__name__, exc))
    return lbfgsb


def _ci():
    return os.environ.get("CI", "").strip().lower() == "true"


def impl_available(name):
    """``(True, "")`` or ``(False, reason)``."""
    try:
        _factory(name)
    except Unavailable as exc:
        return False, str(exc)
    return True, ""


def blas_description(name):
    """Which BLAS/LAPACK the implementation runs on (a short string)."""
    try:
        fortran = load_fortran_module()
    except Exception as exc:                          # noqa: BLE001
        return "unknown (%s)" % exc
    try:
        if name in ("fortran", "fortran-system"):
            info = fortran.blas_in_use("scipy" if name == "fortran" else "system")
            lib = info.get("library")
            if isinstance(lib, (list, tuple)):
                lib = ", ".join(lib)
            return "%s: %s" % (info.get("kind"), lib)
        if name == "scipy":
            import ctypes
            from scipy.optimize import _lbfgsb
            path = _lbfgsb.__file__
            got = fortran._got_bindings(ctypes.CDLL(path), path, "PyInit__lbfgsb",
                                        ["scipy_ddot_", "scipy_dpotrf_", "scipy_dtrtrs_"])
            libs = sorted({str(v["library"]) for v in got.values() if v["library"]})
            return "scipy-openblas (direct): %s" % ", ".join(libs)
        if name.startswith("port"):
            tg = fortran.cython_blas_targets()
            libs = sorted({str(v[2]) for v in tg.values() if v[2]})
            return "scipy.linalg.cython_blas/cython_lapack -> %s" % ", ".join(libs)
    except Exception as exc:                          # noqa: BLE001
        return "unknown (%s: %s)" % (type(exc).__name__, exc)
    return "unknown"


# ---------------------------------------------------------------------------
# task strings
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# state fields: names, layout, attribution
# ---------------------------------------------------------------------------

#: Stages of one cycle of mainlb, in execution order, with the subroutine
#: that does the work.  A call of setulb resumes at one of them (``_RESUME``,
#: from the task before the call) and returns at another (``_RETURN``, from
#: the task after it).  A field's value after the call comes from the last
#: stage in that window that writes it: that stage's subroutine is blamed,
#: and the differing fields are listed in the order their values were
#: computed, so the first one is the likeliest origin.  (Static model: a
#: stage the code skipped in that call, e.g. subsm when col = 0, is still
#: counted.)
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
#: CPU-time fields: never part of a bitwise claim
TIME_FIELDS = ("dsave.cpu1", "dsave.cachyt", "dsave.sbtime", "dsave.lnscht", "dsave.time1")
#: fields SciPy's C does not keep (always 0 there)
SCIPY_NOT_KEPT = ("isave.itfile", "dsave.epsmch")
#: known state-only quirks of SciPy's C (see /work/notes/scipy_c.md, cauchy):
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
] + [("isave(%d)" % i, ("start",), "unused slot") for i in (17, 18, 19, 20, 21, 23, 32, 42)] \
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
    st["isave.mn"] = np.array([int(isave[0])], np.int64)
    st["isave.mm"] = np.array([int(isave[1])], np.int64)
    st["isave.4mm"] = np.array([int(isave[2])], np.int64)
    for k, nm in enumerate(_WA_LAYOUT):
        st["isave." + nm] = np.array([int(isave[3 + k])], np.int64)
    for i in (17, 18, 19, 20, 21, 23, 32, 42):
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
for _i in (17, 18, 19, 20, 21, 23, 32, 42):
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


# ---------------------------------------------------------------------------
# implementations
# ---------------------------------------------------------------------------

class Impl:
    """One implementation of setulb with its own buffers.

    ``start()`` allocates the state; ``call()`` runs setulb once and returns
    the canonical task; ``x`` is the point it asks for / iterate; ``set_fg``
    hands f, g over; ``stop(text)`` sets a STOP task; ``state()`` returns the
    named state (in the implementation's own layout, see ``layout``).
    """

    name = "?"
    layout = "fortran"

    def __init__(self, name):
        self.name = name
        self.perturb = None        # (fg_index, callable(f, g) -> (f, g))
        self._fg_count = 0

    # -- common set-up ----------------------------------------------------
    def start(self, m, x0, l, u, nbd, factr, pgtol, maxls=20):
        n = x0.size
        self.n, self.m = n, m
        self.l, self.u, self.nbd = l.copy(), u.copy(), nbd.copy()
        self.factr, self.pgtol, self.maxls = float(factr), float(pgtol), int(maxls)
        self.x = np.array(x0, dtype=np.float64, copy=True)
        self.g = np.zeros(n, np.float64)
        self.wa = np.zeros(2 * m * n + 5 * n + 11 * m * m + 8 * m, np.float64)
        self.iwa = np.zeros(3 * n, np.int32)
        self.lsave = np.zeros(4, np.int32)
        self.isave = np.zeros(44, np.int32)
        self.dsave = np.zeros(29, np.float64)
        self._fg_count = 0
        self._start_task()

    def set_fg(self, f, g):
        k = self._fg_count
        self._fg_count += 1
        if self.perturb is not None and self.perturb[0] == k:
            f, g = self.perturb[1](f, np.array(g, dtype=np.float64, copy=True))
        self._store_f(f)
        self.g[:] = g

    def state(self):
        return named_state(self.layout, self.n, self.m, self.x, self._f_value(), self.g,
                           self.wa, self.iwa, self.isave, self.dsave, self.lsave,
                           self.task_text(), self.csave_text())

    @property
    def f(self):
        return self._f_value()

    def raw_key(self):
        """All of the state as bytes (CPU-time fields zeroed): equal keys of two
        implementations of the same layout mean no field differs."""
        ds = self.dsave.copy()
        ds[5:10] = 0.0
        return b"".join((self.x.tobytes(), np.float64(self._f_value()).tobytes(),
                         self.g.tobytes(), self.wa.tobytes(), self.iwa.tobytes(),
                         self.isave.tobytes(), ds.tobytes(), self.lsave.tobytes(),
                         self.task_text().encode(), b"|", self.csave_text().encode()))


class FortranLayoutImpl(Impl):
    """Fortran meaning: task/csave CHARACTER*60 buffers."""

    layout = "fortran"

    def __init__(self, name, setulb, f_shape):
        super().__init__(name)
        self._setulb_fn = setulb
        self._f_shape = f_shape

    def _start_task(self):
        self.fbuf = np.zeros(self._f_shape, np.float64)
        self.task = _new_fstr("START")
        self.csave = _new_fstr("")

    def call(self):
        self._setulb_fn(self)
        return self.task_text()

    def task_text(self):
        return fortran_str(self.task)

    def csave_text(self):
        return fortran_str(self.csave)

    def stop(self, text):
        _set_fstr(self.task, text)

    def _store_f(self, f):
        self.fbuf.reshape(-1)[0] = f

    def _f_value(self):
        return float(self.fbuf.reshape(-1)[0])


class ScipyLayoutImpl(Impl):
    """SciPy >= 1.15 meaning: integer task codes (task, ln_task int32[2])."""

    layout = "scipy"
    _STOP_CODES = {STOP_ITER: (5, 504), STOP_FUN: (5, 502)}

    def __init__(self, name, setulb):
        super().__init__(name)
        self._fn = setulb

    def _start_task(self):
        self.fbuf = np.array(0.0)
        self.task = np.zeros(2, np.int32)
        self.ln_task = np.zeros(2, np.int32)

    def call(self):
        self._fn(self.m, self.x, self.l, self.u, self.nbd, self.fbuf, self.g, self.factr,
                 self.pgtol, self.wa, self.iwa, self.task, self.lsave, self.isave,
                 self.dsave, self.maxls, self.ln_task)
        return self.task_text()

    def task_text(self):
        return scipy_task_text(self.task[0], self.task[1])

    def csave_text(self):
        s, d = int(self.ln_task[0]), int(self.ln_task[1])
        if d in _DETAIL_TEXT and s in (6, 7):
            return _DETAIL_TEXT[d]
        return {0: "START", 3: "FG", 4: "CONVERGENCE", 6: "WARNING",
                7: "ERROR"}.get(s, "?%d/%d" % (s, d)) if (s, d) != (0, 0) else ""

    def stop(self, text):
        self.task[:] = self._STOP_CODES[text]

    def _store_f(self, f):
        self.fbuf[()] = f

    def _f_value(self):
        return float(self.fbuf)


def _factory(name):
    """A zero-argument constructor for implementation ``name`` (raises
    :class:`Unavailable` when it cannot run here)."""
    if name in ("fortran", "fortran-system"):
        fortran = load_fortran_module()
        mode = "scipy" if name == "fortran" else "system"
        ok, reason = fortran.available(mode)
        if not ok:
            raise Unavailable(reason)
        h = fortran.load(mode)

        def fortran_call(self, h=h):
            h.setulb(self.n, self.m, self.x, self.l, self.u, self.nbd, self.fbuf, self.g,
                     self.factr, self.pgtol, self.wa, self.iwa, self.task, -1,
                     self.csave, self.lsave, self.isave, self.dsave)
        return lambda: FortranLayoutImpl(name, fortran_call, (1,))
    if name in ("port", "port-scipy"):
        lb = load_port()
        flavour = "fortran" if name == "port" else "scipy"

        def port_call(self, fn=lb.setulb, flavour=flavour):
            fn(self.m, self.x, self.l, self.u, self.nbd, self.fbuf, self.g, self.factr,
               self.pgtol, self.wa, self.iwa, self.task, -1, self.csave, self.lsave,
               self.isave, self.dsave, self.maxls, flavour=flavour)
        return lambda: FortranLayoutImpl(name, port_call, ())
    if name == "port-scipy-api":
        lb = load_port()
        fn = getattr(lb, "scipy_setulb", None)
        if fn is None:
            raise Unavailable("the port has no scipy_setulb")
        return lambda: ScipyLayoutImpl(name, fn)
    if name == "scipy":
        try:
            from scipy.optimize import _lbfgsb
            fn = _lbfgsb.setulb
        except Exception as exc:                      # noqa: BLE001
            raise Unavailable("scipy.optimize._lbfgsb.setulb unavailable: %s" % exc)
        if "ln_task" not in (fn.__doc__ or ""):
            raise Unavailable("SciPy's _lbfgsb.setulb is not the >= 1.15 C interface")
        return lambda: ScipyLayoutImpl(name, fn)
    raise ValueError("unknown implementation %r (choose from %s)" % (name, ", ".join(IMPLS)))


def make_impl(name):
    return _factory(name)()


# ---------------------------------------------------------------------------
# problems
# ---------------------------------------------------------------------------

def get_problem(name, n=None):
    """A problem object from ``reference`` (name, n, x0, lower, upper, fg, fopt)."""
    reference = load_reference()
    return reference.get(name, n)


def problem_names(pattern=None, **filters):
    reference = load_reference()
    names = reference.names(**filters)
    if pattern:
        import fnmatch
        pats = [p.strip().upper() for p in pattern.split(",") if p.strip()]
        names = [nm for nm in names if any(fnmatch.fnmatchcase(nm, p) for p in pats)]
    return names


class Setup:
    """Everything a run needs: bounds in the Fortran's form, x0, f/g, options."""

    def __init__(self, problem, m=10, factr=1e7, pgtol=1e-5, maxiter=15000,
                 maxfun=15000, maxls=20, clip=True):
        self.problem = problem
        self.name = getattr(problem, "name", "?")
        lower = np.asarray(problem.lower, dtype=np.float64)
        upper = np.asarray(problem.upper, dtype=np.float64)
        x0 = np.asarray(problem.x0, dtype=np.float64).ravel()
        self.n = x0.size
        if clip:
            x0 = np.clip(x0, lower, upper)
        self.x0 = x0
        self.lower, self.upper = lower, upper
        self.l, self.u, self.nbd = bounds_to_nbd(lower, upper)
        self.m, self.factr, self.pgtol = int(m), float(factr), float(pgtol)
        self.maxiter, self.maxfun, self.maxls = int(maxiter), int(maxfun), int(maxls)
        self.fopt = getattr(problem, "fopt", None)
        self.nevals = 0

    def fg(self, x):
        f, g = self.problem.fg(np.array(x, dtype=np.float64, copy=True))
        self.nevals += 1
        return float(f), np.asarray(g, dtype=np.float64).reshape(self.n)

    def options(self):
        return {"m": self.m, "factr": self.factr, "pgtol": self.pgtol,
                "maxiter": self.maxiter, "maxfun": self.maxfun, "maxls": self.maxls}


def bounds_to_nbd(lower, upper):
    """SciPy's conversion of (lower, upper) with +-inf into l, u, nbd."""
    lower = np.asarray(lower, dtype=np.float64)
    upper = np.asarray(upper, dtype=np.float64)
    fl, fu = ~np.isinf(lower), ~np.isinf(upper)
    l = np.where(fl, lower, 0.0).astype(np.float64)
    u = np.where(fu, upper, 0.0).astype(np.float64)
    nbd = np.zeros(lower.size, np.int32)
    nbd[fl & ~fu] = 1
    nbd[fl & fu] = 2
    nbd[~fl & fu] = 3
    return l, u, nbd


def projected_gradient_norm(x, g, l, u, nbd):
    """The Fortran's projgr: inf-norm of the projected gradient."""
    gi = np.array(g, dtype=np.float64, copy=True)
    neg = (gi < 0) & (nbd != 0)
    pos = (gi >= 0) & (nbd != 0)
    up = neg & (nbd >= 2)
    lo = pos & (nbd <= 2)
    gi[up] = np.maximum(x[up] - u[up], gi[up])
    gi[lo] = np.minimum(x[lo] - l[lo], gi[lo])
    return float(np.max(np.abs(gi))) if gi.size else 0.0


def _status(task, nit, nfev, setup):
    t = canonical_task(task)
    if t.startswith("CONV"):
        return 0
    if nfev > setup.maxfun or nit >= setup.maxiter:
        return 1
    return 2


def _digest(a):
    return hashlib.blake2b(np.ascontiguousarray(a).tobytes(), digest_size=16).hexdigest()


# ---------------------------------------------------------------------------
# free run
# ---------------------------------------------------------------------------

#: at most this many float64 of points are kept per run (digests always)
STORE_BUDGET = 10_000_000


def run_free(name, setup, perturb=None, store_budget=STORE_BUDGET, max_calls=None):
    """Run implementation ``name`` to termination on its own evaluations.

    Returns a record (dict): fg_x (list of arrays or None beyond the storage
    budget), fg_digest, fg_f, it_x, it_digest, it_f, it_pg, x, f, g, nit,
    nfev, task, status, calls, seconds, error.
    """
    impl = make_impl(name)
    impl.perturb = perturb
    impl.start(setup.m, setup.x0, setup.l, setup.u, setup.nbd, setup.factr, setup.pgtol,
               setup.maxls)
    n = setup.n
    rec = {"impl": name, "layout": impl.layout, "fg_x": [], "fg_digest": [], "fg_f": [], "it_x": [],
           "it_digest": [], "it_f": [], "it_pg": [], "error": None}
    stored = 0
    nit = nfev = calls = 0
    if max_calls is None:
        max_calls = 4 * (setup.maxfun + setup.maxiter) + 100
    t0 = time.perf_counter()
    task = ""
    try:
        while True:
            task = impl.call()
            calls += 1
            if task.startswith("FG"):
                x = impl.x.copy()
                rec["fg_digest"].append(_digest(x))
                if stored + n <= store_budget:
                    rec["fg_x"].append(x)
                    stored += n
                else:
                    rec["fg_x"].append(None)
                f, g = setup.fg(x)
                impl.set_fg(f, g)
                rec["fg_f"].append(impl.f)
                nfev += 1
            elif task.startswith("NEW_X"):
                nit += 1
                x = impl.x.copy()
                rec["it_digest"].append(_digest(x) + _digest(impl.g))
                if stored + n <= store_budget:
                    rec["it_x"].append(x)
                    stored += n
                else:
                    rec["it_x"].append(None)
                rec["it_f"].append(impl.f)
                rec["it_pg"].append(projected_gradient_norm(x, impl.g, setup.l, setup.u,
                                                            setup.nbd))
                if nit >= setup.maxiter:
                    impl.stop(STOP_ITER)
                elif nfev > setup.maxfun:
                    impl.stop(STOP_FUN)
            else:
                break
            if calls >= max_calls:
                rec["error"] = "runaway: %d setulb calls without termination" % calls
                break
    except Exception as exc:                          # noqa: BLE001
        rec["error"] = "%s: %s" % (type(exc).__name__, exc)
    rec["seconds"] = time.perf_counter() - t0
    rec.update(x=impl.x.copy(), f=impl.f, g=impl.g.copy(), nit=nit, nfev=nfev,
               task=impl.task_text(), calls=calls,
               status=_status(impl.task_text(), nit, nfev, setup),
               pg=projected_gradient_norm(impl.x, impl.g, setup.l, setup.u, setup.nbd))
    return rec


def _first_diff(xa, da, xb, db, rtol):
    """First index with differing digest, first with rel > rtol, and max rel."""
    k_bits = k_tol = None
    maxrel = 0.0
    rels = []
    for k in range(min(len(da), len(db))):
        same = da[k] == db[k]
        if not same and k_bits is None:
            k_bits = k
        a, b = xa[k], xb[k]
        if a is not None and b is not None:
            r = 0.0 if same else _rel(a, b)
        else:
            r = 0.0 if same else None
        rels.append(r)
        if r is not None:
            maxrel = max(maxrel, r)
            if r > rtol and k_tol is None:
                k_tol = k
    if len(da) != len(db):
        k = min(len(da), len(db))
        if k_bits is None:
            k_bits = k
        if k_tol is None:
            k_tol = k
    return k_bits, k_tol, maxrel, rels


def compare_free(a, b, rtol=1e-10):
    """Compare free-run records ``a`` (an implementation) and ``b`` (its reference).

    Between a Fortran-layout and a SciPy-layout implementation the final f is
    not part of the claim (``final_f_compared`` False): SciPy's setulb takes
    f by value and never writes it back, the Fortran restores f = fold after
    a line-search failure.
    """
    f_compared = a.get("layout", "fortran") == b.get("layout", "fortran")
    fb, ft, fmax, _ = _first_diff(a["fg_x"], a["fg_digest"], b["fg_x"], b["fg_digest"], rtol)
    # iterates: x and g digests, f values
    ia = [d + repr(float(f)) for d, f in zip(a["it_digest"], a["it_f"])]
    ib = [d + repr(float(f)) for d, f in zip(b["it_digest"], b["it_f"])]
    ib_, it_, imax, rels = _first_diff(a["it_x"], ia, b["it_x"], ib, rtol)
    # f values at the iterates within rtol
    for k in range(min(len(a["it_f"]), len(b["it_f"]))):
        rf = _rel([a["it_f"][k]], [b["it_f"][k]])
        if rf > rtol and (it_ is None or k < it_):
            it_ = k
            break
    same_f = _bits_equal(np.array([a["f"]]), np.array([b["f"]]))
    same_final = (_bits_equal(np.asarray(a["x"]), np.asarray(b["x"]))
                  and (same_f or not f_compared))
    same_task = canonical_task(a["task"]) == canonical_task(b["task"])
    identical = (fb is None and ib_ is None and same_final and same_task
                 and a["nit"] == b["nit"] and a["nfev"] == b["nfev"]
                 and a["error"] is None and b["error"] is None)
    return {
        "impl": a["impl"], "ref": b["impl"], "identical": bool(identical),
        "fg_first_bitwise": fb, "fg_first_rtol": ft, "fg_max_rel": fmax,
        "it_first_bitwise": ib_, "it_first_rtol": it_, "it_max_rel": imax,
        "it_rel": rels,
        "final_x_identical": bool(_bits_equal(np.asarray(a["x"]), np.asarray(b["x"]))),
        "final_f_identical": bool(same_f), "final_f_compared": bool(f_compared),
        "final_x_rel": _rel(a["x"], b["x"]), "final_f_rel": _rel([a["f"]], [b["f"]]),
        "task_equal": bool(same_task), "nit": (a["nit"], b["nit"]),
        "nfev": (a["nfev"], b["nfev"]), "rtol": rtol,
    }


def describe_first(cmp):
    """'fg#k' / 'it#k' text for the first bitwise and first >rtol difference."""
    def one(kfg, kit):
        parts = []
        if kfg is not None:
            parts.append("f/g point #%d" % (kfg + 1))
        if kit is not None:
            parts.append("iterate #%d" % (kit + 1))
        return ", ".join(parts)
    bits = one(cmp["fg_first_bitwise"], cmp["it_first_bitwise"])
    if not bits:
        extra = []
        if not cmp["final_x_identical"]:
            extra.append("final x")
        if not cmp["final_f_identical"] and cmp.get("final_f_compared", True):
            extra.append("final f")
        if not cmp["task_equal"]:
            extra.append("task")
        if cmp["nit"][0] != cmp["nit"][1] or cmp["nfev"][0] != cmp["nfev"][1]:
            extra.append("counts")
        bits = ", ".join(extra)
    tol = one(cmp["fg_first_rtol"], cmp["it_first_rtol"])
    return bits or "-", tol or "-"


# ---------------------------------------------------------------------------
# lock step
# ---------------------------------------------------------------------------

def run_lockstep(driver, others, setup, xtol=0.0, perturb=None, max_calls=None,
                 keep_steps=False, ignore=()):
    """Lock-step comparison of ``others`` against ``driver``.

    At each f/g request of the driver every implementation gets f, g
    evaluated at the driver's point.  After every call each other
    implementation's state is compared with the driver's, field by field.
    An implementation drops out at the first call after which it asks for
    something else (another task, or an x differing from the driver's by
    more than ``xtol`` relatively; ``xtol=0``: any bit).

    ``perturb``: {impl name: (fg_index, fn(f, g) -> (f, g))}.

    ``ignore``: fields never compared.  When the real SciPy takes part,
    differences in :data:`SCIPY_QUIRKS` fields are recorded under
    ``quirk_fields`` and leave ``identical`` true (``identical_strict``
    false).

    Returns {impl: result} with: driver, steps (calls compared), identical,
    identical_strict, first_state_diff ({step, task_before, task_after,
    first_field, subroutine, fields: [...]}) or None, divergence ({step,
    reason, ...}) or None, field_first_step {field: step}, quirk_fields
    {field: step}, state_diff_steps, final_task, driver_final_task,
    x_first_bitwise_step.
    """
    perturb = perturb or {}
    impls = {}
    for nm in [driver] + [o for o in others if o != driver]:
        im = make_impl(nm)
        im.perturb = perturb.get(nm)
        im.start(setup.m, setup.x0, setup.l, setup.u, setup.nbd, setup.factr,
                 setup.pgtol, setup.maxls)
        impls[nm] = im
    drv = impls[driver]
    res = {nm: {"impl": nm, "driver": driver, "steps": 0, "identical": False,
                "first_state_diff": None, "divergence": None, "field_first_step": {},
                "quirk_fields": {},
                "state_diff_steps": 0, "final_task": None, "driver_final_task": None,
                "x_first_bitwise_step": None, "x_max_rel": 0.0, "error": None,
                "layout": impls[nm].layout, "trace": [] if keep_steps else None}
           for nm in impls if nm != driver}
    active = [nm for nm in res]
    nit = nfev = step = 0
    if max_calls is None:
        max_calls = 4 * (setup.maxfun + setup.maxiter) + 100
    task_before = {nm: impls[nm].task_text() for nm in impls}
    driver_error = None
    while True:
        try:
            dtask = drv.call()
        except Exception as exc:                      # noqa: BLE001
            driver_error = "%s: %s" % (type(exc).__name__, exc)
            for nm in active:
                res[nm]["error"] = "driver %s failed: %s" % (driver, driver_error)
            break
        dstate = None
        draw = drv.raw_key()
        for nm in list(active):
            im, r = impls[nm], res[nm]
            try:
                otask = im.call()
            except Exception as exc:                  # noqa: BLE001
                r["error"] = "%s: %s" % (type(exc).__name__, exc)
                r["divergence"] = {"step": step, "reason": "exception: %s" % r["error"]}
                active.remove(nm)
                continue
            r["steps"] = step + 1
            quirks = SCIPY_QUIRKS if "scipy" in (driver, nm) else None
            if im.layout == drv.layout and im.raw_key() == draw:
                diffs = []                       # fast path: every byte equal
            else:
                if dstate is None:
                    dstate = drv.state()
                diffs = compare_states(dstate, im.state(), im.layout, task_before[nm],
                                       drv.layout, quirks=quirks, ignore=ignore)
            if keep_steps:
                r["trace"].append({"step": step, "task": otask, "diffs": [d["field"] for d in diffs]})
            for d in diffs:
                if d["quirk"]:
                    r["quirk_fields"].setdefault(d["field"], step)
            diffs = [d for d in diffs if not d["quirk"]]
            if diffs:
                r["state_diff_steps"] += 1
                for d in diffs:
                    r["field_first_step"].setdefault(d["field"], step)
                if r["first_state_diff"] is None:
                    r["first_state_diff"] = {
                        "step": step, "task_before": task_before[nm], "task_after": otask,
                        "driver_task_after": dtask, "first_field": diffs[0]["field"],
                        "subroutine": diffs[0]["subroutine"], "fields": diffs[:40],
                        "n_fields": len(diffs)}
            same_task = canonical_task(otask) == canonical_task(dtask)
            xrel = _rel(im.x, drv.x)
            xbits = _bits_equal(im.x, drv.x)
            if not xbits and r["x_first_bitwise_step"] is None:
                r["x_first_bitwise_step"] = step
            if same_task:
                r["x_max_rel"] = max(r["x_max_rel"], xrel)
            if not same_task or (xrel > xtol if xtol > 0 else not xbits):
                r["divergence"] = {
                    "step": step, "task_before": task_before[nm],
                    "reason": ("task %r vs %r" % (otask, dtask)) if not same_task
                    else "x requested differs (rel %.3g)" % xrel,
                    "task": otask, "driver_task": dtask, "x_rel": xrel}
                r["final_task"] = otask
                active.remove(nm)
            task_before[nm] = otask
        task_before[driver] = dtask
        step += 1
        if dtask.startswith("FG"):
            f, g = setup.fg(drv.x.copy())
            nfev += 1
            drv.set_fg(f, g)
            for nm in active:
                impls[nm].set_fg(f, g)
        elif dtask.startswith("NEW_X"):
            nit += 1
            stop = STOP_ITER if nit >= setup.maxiter else (STOP_FUN if nfev > setup.maxfun else None)
            if stop:
                for nm in [driver] + active:
                    impls[nm].stop(stop)
        else:
            break
        if step >= max_calls:
            for nm in active:
                res[nm]["error"] = "runaway: %d calls" % step
            break
        if not active and not keep_steps:
            break
    dfinal = drv.task_text()
    for nm, r in res.items():
        r["driver_final_task"] = dfinal
        r["driver_steps"] = step
        r["driver_error"] = driver_error
        if r["final_task"] is None:
            r["final_task"] = impls[nm].task_text()
        r["identical"] = (r["first_state_diff"] is None and r["divergence"] is None
                          and r["error"] is None and driver_error is None
                          and r["steps"] == step)
        r["identical_strict"] = r["identical"] and not r["quirk_fields"]
    return res


# ---------------------------------------------------------------------------
# one problem, all implementations
# ---------------------------------------------------------------------------

def resolve_impls(requested, ref=DEFAULT_REF, strict_fortran=None):
    """Split ``requested`` into usable implementations and skipped ones
    ({name: reason}).  The Fortran's absence is an error under CI=true."""
    if strict_fortran is None:
        strict_fortran = _ci()
    usable, skipped = [], {}
    for nm in requested:
        if nm not in IMPLS:
            raise ValueError("unknown implementation %r (choose from %s)" % (nm, ", ".join(IMPLS)))
        ok, why = impl_available(nm)
        if ok:
            usable.append(nm)
        else:
            if strict_fortran and nm.startswith("fortran"):
                raise RuntimeError("CI=true and the Fortran is required: " + why)
            skipped[nm] = why
    return usable, skipped


def pairs_for(impls, ref):
    """(impl, its reference) pairs: each implementation against ``ref``,
    port-scipy (and port-scipy-api) against scipy when scipy runs."""
    out = []
    for nm in impls:
        if nm == ref:
            continue
        r = PRIMARY_REF.get(nm) or ref
        if r not in impls:
            r = ref
        if r not in impls or r == nm:
            continue
        out.append((nm, r))
    return out


def compare_problem(name, n=None, impls=DEFAULT_IMPLS, ref=DEFAULT_REF, mode="both",
                    rtol=1e-10, xtol=0.0, m=10, factr=1e7, pgtol=1e-5, maxiter=15000,
                    maxfun=15000, maxls=20, clip=True, perturb=None, problem=None,
                    keep_runs=False, ignore=()):
    """Run ``impls`` on one problem and compare; returns a JSON-able record.

    ``perturb``: {impl: (fg_index, fn)} applied in both modes.
    """
    t0 = time.perf_counter()
    prob = problem if problem is not None else get_problem(name, n)
    usable, skipped = resolve_impls(list(impls), ref)
    if ref not in usable:
        alt = [r for r in ("fortran", "scipy") if r in usable]
        if not alt:
            raise RuntimeError("reference implementation %r unavailable: %s"
                               % (ref, skipped.get(ref, "not selected")))
        skipped.setdefault(ref + " (as reference)", "unavailable; using %s" % alt[0])
        ref = alt[0]
    setup = Setup(prob, m=m, factr=factr, pgtol=pgtol, maxiter=maxiter, maxfun=maxfun,
                  maxls=maxls, clip=clip)
    rec = {"problem": prob.name, "n": setup.n, "classification": getattr(prob, "classification", ""),
           "fopt": setup.fopt, "options": dict(setup.options(), rtol=rtol, xtol=xtol, clip=clip,
                                               mode=mode),
           "reference": ref, "impls": usable, "skipped": skipped,
           "blas": {nm: blas_description(nm) for nm in usable},
           "excluded_fields": {"time": list(TIME_FIELDS),
                               "not kept by SciPy": list(SCIPY_NOT_KEPT),
                               "across layouts": list(CROSS_LAYOUT_SKIP),
                               "ignored (--ignore)": list(ignore),
                               "SciPy quirks (reported apart)": dict(SCIPY_QUIRKS)},
           "pairs": pairs_for(usable, ref)}
    if maxls != 20 and any(nm.startswith("fortran") for nm in usable):
        rec["note"] = "the Fortran has no maxls (always 20); maxls=%d only affects the others" % maxls
    perturb = perturb or {}
    if mode in ("free", "both"):
        runs = {}
        for nm in usable:
            runs[nm] = run_free(nm, setup, perturb=perturb.get(nm))
        rec["free"] = {
            "runs": {nm: _run_summary(r) for nm, r in runs.items()},
            "traces": {nm: {"f": list(map(float, r["it_f"])), "pg": list(map(float, r["it_pg"]))}
                       for nm, r in runs.items()},
            "compare": {},
        }
        for a, b in rec["pairs"]:
            c = compare_free(runs[a], runs[b], rtol)
            rec["free"]["compare"]["%s|%s" % (a, b)] = c
        if keep_runs:
            rec["_runs"] = runs
    if mode in ("lockstep", "both"):
        groups = {}
        for a, b in rec["pairs"]:
            groups.setdefault(b, []).append(a)
        rec["lockstep"] = {}
        for drv, others in groups.items():
            out = run_lockstep(drv, others, setup, xtol=xtol, perturb=perturb,
                               ignore=tuple(ignore))
            for nm, r in out.items():
                r.pop("trace", None)
                rec["lockstep"]["%s|%s" % (nm, drv)] = r
    rec["seconds"] = time.perf_counter() - t0
    rec["fg_evaluations"] = setup.nevals
    return rec


def _run_summary(r):
    return {"nit": r["nit"], "nfev": r["nfev"], "f": r["f"], "pg": r["pg"],
            "task": r["task"], "status": r["status"], "calls": r["calls"],
            "seconds": r["seconds"], "error": r["error"], "x": list(map(float, r["x"]))}


# ---------------------------------------------------------------------------
# text output
# ---------------------------------------------------------------------------

def _fmt_table(headers, rows):
    w = [len(h) for h in headers]
    for r in rows:
        for i, c in enumerate(r):
            w[i] = max(w[i], len(str(c)))
    line = "  ".join(h.ljust(w[i]) for i, h in enumerate(headers))
    out = [line, "  ".join("-" * x for x in w)]
    for r in rows:
        out.append("  ".join(str(c).ljust(w[i]) for i, c in enumerate(r)))
    return "\n".join(out)


def _g(v, p=17):
    if v is None:
        return "-"
    if isinstance(v, float):
        return ("%%.%dg" % p) % v
    return str(v)


def format_record(rec, detail=8):
    """The readable report of :func:`compare_problem`'s record."""
    o = rec["options"]
    out = ["%s  n=%d  m=%d  factr=%g  pgtol=%g  maxiter=%d  maxfun=%d  rtol=%g%s"
           % (rec["problem"], rec["n"], o["m"], o["factr"], o["pgtol"], o["maxiter"],
              o["maxfun"], o["rtol"], "" if o.get("clip", True) else "  (x0 not clipped)"),
           "reference: %s   pairs: %s" % (rec["reference"], ", ".join(
               "%s vs %s" % p for p in rec["pairs"]) or "-")]
    out.append("BLAS/LAPACK:")
    for nm, b in rec["blas"].items():
        out.append("  %-15s %s" % (nm, b))
    for nm, why in rec["skipped"].items():
        out.append("  %-15s SKIPPED: %s" % (nm, why))
    if rec.get("note"):
        out.append("note: " + rec["note"])
    if "free" in rec:
        out.append("")
        out.append("Free run (each implementation on its own evaluations):")
        rows = []
        ref_of = dict(rec["pairs"])
        for nm in rec["impls"]:
            r = rec["free"]["runs"][nm]
            c = rec["free"]["compare"].get("%s|%s" % (nm, ref_of.get(nm)))
            if c:
                fb, ft = describe_first(c)
                ident = "yes" if c["identical"] else "NO"
                xr = _g(c["final_x_rel"], 3)
            else:
                fb = ft = ident = xr = ""
            rows.append((nm, ref_of.get(nm, "(ref)"), r["nit"], r["nfev"], _g(r["f"]),
                         _g(r["pg"], 3), r["status"], r["task"][:48] + (
                             "  [%s]" % r["error"] if r["error"] else ""),
                         ident, fb, ft, xr))
        out.append(_fmt_table(("impl", "vs", "nit", "nfev", "f", "|proj g|", "st", "task",
                               "bitwise", "first bitwise diff", "first >rtol diff",
                               "x rel"), rows))
        for key, c in rec["free"]["compare"].items():
            if c["final_x_identical"] and not c["final_f_identical"] \
                    and not c.get("final_f_compared", True):
                out.append("  note: %s vs %s: final f differs, not part of the claim: SciPy's "
                           "setulb never writes f back (the Fortran restores f = fold after a "
                           "line-search failure)" % (c["impl"], c["ref"]))
    if "lockstep" in rec:
        out.append("")
        out.append("Lock step (f, g at the driver's x; state compared field by field after "
                   "every call; CPU-time fields %s never compared):" % ", ".join(
                       t.split(".")[1] for t in TIME_FIELDS))
        rows = []
        for key, r in rec["lockstep"].items():
            fd = r["first_state_diff"]
            dv = r["divergence"]
            rows.append((r["impl"], r["driver"], "%d/%d" % (r["steps"], r.get("driver_steps", 0)),
                         ("yes" if r["identical_strict"] else "yes*") if r["identical"] else "NO",
                         "-" if fd is None else "call %d (after %s)" % (fd["step"] + 1,
                                                                       fd["task_before"] or "START"),
                         "-" if fd is None else fd["first_field"],
                         "-" if fd is None else fd["subroutine"].split(" (")[0],
                         "-" if dv is None else "call %d: %s" % (dv["step"] + 1, dv["reason"])
                         + (" [%s]" % r["error"] if r.get("error") else "")))
        out.append(_fmt_table(("impl", "driver", "calls", "identical", "first state diff",
                               "field", "subroutine", "stopped"), rows))
        for key, r in rec["lockstep"].items():
            if r.get("quirk_fields"):
                out.append("  %s vs %s: known SciPy state quirk(s) differ (not counted%s): %s"
                           % (r["impl"], r["driver"], "; yes* = identical otherwise"
                              if r["identical"] else "", ", ".join(
                                  "%s from call %d" % (f, s + 1)
                                  for f, s in r["quirk_fields"].items())))
        for key, r in rec["lockstep"].items():
            fd = r["first_state_diff"]
            if fd is None or not detail:
                continue
            out.append("  %s vs %s, call %d (task before %r, after %r): %d field(s) differ:"
                       % (r["impl"], r["driver"], fd["step"] + 1, fd["task_before"],
                          fd["task_after"], fd["n_fields"]))
            for d in fd["fields"][:detail]:
                where = d["field"]
                if d.get("size") and d["size"] > 1:
                    where += "[%d] (%d of %d differ)" % (d["index"], d["count"], d["size"])
                out.append("    %-34s %s: %s vs %s (driver)%s"
                           % (where, d["subroutine"], _g(d["other"]), _g(d["ref"]),
                              "" if d["rel"] is None else "  rel %.3g" % d["rel"]))
            if fd["n_fields"] > detail:
                out.append("    ... %d more" % (fd["n_fields"] - detail))
    out.append("")
    out.append("(%.2fs, %d f/g evaluations)" % (rec["seconds"], rec["fg_evaluations"]))
    return "\n".join(out)


# ---------------------------------------------------------------------------
# records: JSON, CSV, plots
# ---------------------------------------------------------------------------

def _jsonable(o):
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items() if not str(k).startswith("_")}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if isinstance(o, np.ndarray):
        return _jsonable(o.tolist())
    if isinstance(o, (np.floating, float)):
        v = float(o)
        return v if math.isfinite(v) else repr(v)
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.bool_,)):
        return bool(o)
    return o


def write_json(rec, path):
    with open(path, "w") as fh:
        json.dump(_jsonable(rec), fh, indent=1)


CSV_FIELDS = ("problem", "n", "impl", "ref", "blas", "nit", "nfev", "f", "pg", "status",
              "task", "error", "seconds", "free_identical", "free_first_bitwise",
              "free_first_rtol", "final_x_rel", "final_f_rel", "lockstep_identical",
              "lockstep_identical_strict", "lockstep_quirk_fields", "lockstep_calls",
              "lockstep_first_diff_call", "lockstep_first_field",
              "lockstep_subroutine", "lockstep_stopped_call", "lockstep_stop_reason")


def csv_rows(rec):
    rows = []
    ref_of = dict(rec["pairs"])
    for nm in rec["impls"]:
        row = {"problem": rec["problem"], "n": rec["n"], "impl": nm, "ref": ref_of.get(nm, ""),
               "blas": rec["blas"].get(nm, "")}
        if "free" in rec:
            r = rec["free"]["runs"][nm]
            row.update(nit=r["nit"], nfev=r["nfev"], f=repr(r["f"]), pg=repr(r["pg"]),
                       status=r["status"], task=r["task"], error=r["error"] or "",
                       seconds="%.4f" % r["seconds"])
            c = rec["free"]["compare"].get("%s|%s" % (nm, ref_of.get(nm)))
            if c:
                fb, ft = describe_first(c)
                row.update(free_identical=int(c["identical"]), free_first_bitwise=fb,
                           free_first_rtol=ft, final_x_rel=repr(c["final_x_rel"]),
                           final_f_rel=repr(c["final_f_rel"]))
        ls = rec.get("lockstep", {}).get("%s|%s" % (nm, ref_of.get(nm)))
        if ls:
            fd, dv = ls["first_state_diff"], ls["divergence"]
            row.update(lockstep_identical=int(ls["identical"]),
                       lockstep_identical_strict=int(ls["identical_strict"]),
                       lockstep_quirk_fields=" ".join(sorted(ls["quirk_fields"])),
                       lockstep_calls=ls["steps"],
                       lockstep_first_diff_call="" if fd is None else fd["step"] + 1,
                       lockstep_first_field="" if fd is None else fd["first_field"],
                       lockstep_subroutine="" if fd is None else fd["subroutine"],
                       lockstep_stopped_call="" if dv is None else dv["step"] + 1,
                       lockstep_stop_reason="" if dv is None else dv["reason"])
        rows.append(row)
    return rows


def write_csv(rows, path):
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(r)


def plot_record(rec, path):
    """Convergence of f and |proj g| per implementation, and relative
    difference of the iterates against each implementation's reference."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    if "free" not in rec:
        raise ValueError("plots need a free run (--mode free or both)")
    tr = rec["free"]["traces"]
    fopt = rec.get("fopt")
    allf = [v for t in tr.values() for v in t["f"] if math.isfinite(v)]
    base = fopt if fopt is not None else (min(allf) if allf else 0.0)
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    styles = ["-", "--", ":", "-.", (0, (3, 1, 1, 1)), (0, (5, 2))]
    for i, (nm, t) in enumerate(tr.items()):
        k = np.arange(1, len(t["f"]) + 1)
        fv = np.array(t["f"]) - base
        fv = np.where(fv > 0, fv, np.nan)
        axes[0].semilogy(k, fv, linestyle=styles[i % len(styles)], label=nm)
        pg = np.array(t["pg"])
        axes[1].semilogy(k, np.where(pg > 0, pg, np.nan), linestyle=styles[i % len(styles)],
                         label=nm)
    axes[0].set_title("f - %s" % ("fopt" if fopt is not None else "min f"))
    axes[1].set_title("|proj g|_inf")
    floor = 1e-18
    for i, (key, c) in enumerate(rec["free"]["compare"].items()):
        rel = [floor if r == 0.0 else (np.nan if r is None else r) for r in c["it_rel"]]
        k = np.arange(1, len(rel) + 1)
        axes[2].semilogy(k, rel, linestyle=styles[i % len(styles)], marker=".",
                         label="%s vs %s%s" % (c["impl"], c["ref"],
                                               " (identical)" if c["identical"] else ""))
    axes[2].axhline(rec["options"]["rtol"], color="grey", lw=0.8)
    axes[2].set_title("rel. diff of iterate k (identical plotted at %g)" % floor)
    for ax in axes:
        ax.set_xlabel("iteration")
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.suptitle("%s (n=%d, m=%d)" % (rec["problem"], rec["n"], rec["options"]["m"]))
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


# ---------------------------------------------------------------------------
# batch
# ---------------------------------------------------------------------------

def batch_worker(job):
    """Run one problem (in a worker process); returns (name, summary, error)."""
    name, kw, outdir, plot = job
    try:
        rec = compare_problem(name, **kw)
    except Exception as exc:                          # noqa: BLE001
        import traceback
        return name, None, "%s: %s\n%s" % (type(exc).__name__, exc, traceback.format_exc())
    if outdir:
        write_json(rec, os.path.join(outdir, "%s.json" % name))
        write_csv(csv_rows(rec), os.path.join(outdir, "%s.csv" % name))
        if plot and "free" in rec:
            try:
                plot_record(rec, os.path.join(outdir, "%s.png" % name))
            except Exception as exc:                  # noqa: BLE001
                rec["plot_error"] = str(exc)
    return name, _batch_summary(rec), None


def _batch_summary(rec):
    s = {"problem": rec["problem"], "n": rec["n"], "seconds": rec["seconds"],
         "pairs": {}, "rows": csv_rows(rec), "skipped": rec["skipped"]}
    for a, b in rec["pairs"]:
        key = "%s|%s" % (a, b)
        fr = rec.get("free", {}).get("compare", {}).get(key)
        ls = rec.get("lockstep", {}).get(key)
        s["pairs"][key] = {
            "free": None if fr is None else bool(fr["identical"]),
            "free_first": None if fr is None else describe_first(fr)[0],
            "lockstep": None if ls is None else bool(ls["identical"]),
            "lockstep_strict": None if ls is None else bool(ls["identical_strict"]),
            "quirk_fields": None if ls is None else sorted(ls["quirk_fields"]),
            "lockstep_field": None if not ls or not ls["first_state_diff"]
            else ls["first_state_diff"]["first_field"],
            "lockstep_subroutine": None if not ls or not ls["first_state_diff"]
            else ls["first_state_diff"]["subroutine"],
        }
    return s


def run_batch(names, kw, jobs=1, outdir=None, plot=False, progress=None, sizes=None):
    """Run every problem in ``names`` (parallel with ``jobs`` spawn
    processes; ``sizes``: {name: n}); returns (summaries, errors)."""
    if outdir:
        os.makedirs(outdir, exist_ok=True)
    sizes = sizes or {}
    todo = [(nm, dict(kw, n=sizes.get(nm, kw.get("n"))), outdir, plot) for nm in names]
    summaries, errors = [], {}
    t0 = time.perf_counter()

    def note(i, name, summ, err):
        if progress is not None:
            progress(i, len(todo), name, summ, err, time.perf_counter() - t0)

    if jobs <= 1:
        for i, job in enumerate(todo, 1):
            name, summ, err = batch_worker(job)
            (errors.__setitem__(name, err) if err else summaries.append(summ))
            note(i, name, summ, err)
    else:
        import multiprocessing as mp
        ctx = mp.get_context("spawn")
        with ctx.Pool(jobs) as pool:
            for i, (name, summ, err) in enumerate(pool.imap_unordered(batch_worker, todo), 1):
                (errors.__setitem__(name, err) if err else summaries.append(summ))
                note(i, name, summ, err)
    summaries.sort(key=lambda s: s["problem"])
    return summaries, errors


def batch_table(summaries, errors, max_listed=60):
    """Summary: bitwise-identical counts per pair, and the non-identical ones."""
    counts = {}
    for s in summaries:
        for key, p in s["pairs"].items():
            c = counts.setdefault(key, {"free": [0, 0], "lockstep": [0, 0],
                                        "lockstep_strict": [0, 0], "bad": [], "quirks": {}})
            for mode in ("free", "lockstep", "lockstep_strict"):
                if p.get(mode) is not None:
                    c[mode][1] += 1
                    c[mode][0] += int(p[mode])
            for f in p.get("quirk_fields") or ():
                c["quirks"][f] = c["quirks"].get(f, 0) + 1
            if p["free"] is False or p["lockstep"] is False:
                c["bad"].append((s["problem"], p))
    rows = []
    for key, c in sorted(counts.items()):
        a, b = key.split("|")
        rows.append(("%s vs %s" % (a, b),
                     "%d/%d" % tuple(c["free"]) if c["free"][1] else "-",
                     "%d/%d" % tuple(c["lockstep"]) if c["lockstep"][1] else "-",
                     "%d/%d" % tuple(c["lockstep_strict"]) if c["lockstep_strict"][1] else "-",
                     ", ".join("%s (%d)" % kv for kv in sorted(c["quirks"].items())) or "-"))
    out = ["Bitwise-identical problems per pair (lock step: every state field after every call; "
           "strict: also the known SciPy state quirks %s):" % ", ".join(SCIPY_QUIRKS),
           _fmt_table(("pair", "free run", "lock step", "lock step strict",
                       "quirk fields differing (problems)"), rows)]
    for key, c in sorted(counts.items()):
        if not c["bad"]:
            continue
        a, b = key.split("|")
        out.append("")
        out.append("%s vs %s: not identical on %d problem(s):" % (a, b, len(c["bad"])))
        firsts = {}
        for _, p in c["bad"]:
            if p["lockstep"] is False and p["lockstep_field"]:
                k = "%s (%s)" % (p["lockstep_field"], p["lockstep_subroutine"].split(" (")[0])
                firsts[k] = firsts.get(k, 0) + 1
        if firsts:
            out.append("  first differing lock-step field: " + ", ".join(
                "%s x%d" % kv for kv in sorted(firsts.items(), key=lambda kv: -kv[1])))
        for prob, p in c["bad"][:max_listed]:
            out.append("  %-12s free: %-28s lock step: %s" % (
                prob, "identical" if p["free"] else (p["free_first"] or "-"),
                "identical" if p["lockstep"] else "%s (%s)" % (p["lockstep_field"],
                                                              p["lockstep_subroutine"])))
        if len(c["bad"]) > max_listed:
            out.append("  ... %d more" % (len(c["bad"]) - max_listed))
    if errors:
        out.append("")
        out.append("Errors (%d):" % len(errors))
        for nm, e in sorted(errors.items()):
            out.append("  %s: %s" % (nm, e.splitlines()[0]))
    return "\n".join(out), counts
