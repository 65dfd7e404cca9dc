"""Ask/tell L-BFGS-B with checkpoints, and many problems in lock-step.

``Solver`` runs one problem by reverse communication: ``ask()`` gives the
point where f and g are wanted, ``tell(f, g)`` advances ``setulb`` (compiled,
without the GIL) to the next request.  The loop follows SciPy's
``_minimize_lbfgsb`` exactly as ``_driver.drive`` does (iterations counted on
NEW_X, stop when ``nit >= maxiter``, else when ``nfev > maxfun``), so a run
driven through ``Solver`` makes the same iterates, bit for bit, as
``minimize`` / ``fmin_l_bfgs_b`` on the same problem.

``BatchSolver`` and ``minimize_batch`` step B independent solvers together,
with one call of a vectorised function per round.

The NEW_X handling and the stopping rules live in the nogil helpers
``run_step``, ``run_new_x``, ``run_advance`` and ``run_tell`` (declared in
``_solver.pxd``) so that every driver of the port can share them.
"""

import os
from collections.abc import Mapping

import numpy as np

from cython.parallel cimport prange
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy

from lbfgsb._status cimport DEV_DRIVER_F_BY_VALUE, TASK_LEN, settask, task_starts
from lbfgsb cimport _setulb

from scipy.optimize import Bounds, LbfgsInvHessProduct, OptimizeResult

from lbfgsb import _api, _rcomm
from lbfgsb._status import flavour_code, flavour_label, scipy_codes_from_task, scipy_message

FORMAT = "lbfgsb.Solver"
BATCH_FORMAT = "lbfgsb.BatchSolver"
FORMAT_VERSION = 1



# ---------------------------------------------------------------------------
# the steps of the reverse-communication loop (nogil, shared)

cdef inline void _keep(Run* r) noexcept nogil:
    """Record x, f, g as the last accepted iterate."""
    if r.xk != NULL:
        memcpy(r.xk, r.x, r.n * sizeof(double))
        memcpy(r.gk, r.g, r.n * sizeof(double))
        r.fk = r.f


cdef int run_step(Run* r) noexcept nogil:
    """One call of ``setulb``; returns RUN_FG, RUN_NEW_X or RUN_DONE."""
    cdef double fc = r.f        # the f setulb sees (and may overwrite)
    _setulb.setulb(r.n, r.m, r.x, r.l, r.u, r.nbd, &fc, r.g, r.factr, r.pgtol,
                   r.wa, r.iwa, r.task, r.iprint, r.csave, r.lsave, r.isave,
                   r.dsave, r.maxls, r.flavour)
    if not (r.flavour & DEV_DRIVER_F_BY_VALUE):
        # The Fortran restores f with x and g when a line search fails;
        # SciPy's wrapper takes f by value and loses that write, so its
        # result reports the last trial f (deviation driver_f_by_value keeps that).
        r.f = fc
    if r.task[0] == b'F' and r.task[1] == b'G':
        return RUN_FG
    if task_starts(r.task, b'NEW_X'):
        return RUN_NEW_X
    return RUN_DONE


cdef void run_new_x(Run* r, bint halt) noexcept nogil:
    """SciPy's handling of NEW_X: count the iteration, then stop on a
    callback halt, on ``nit >= maxiter`` or else on ``nfev > maxfun``."""
    r.nit += 1
    _keep(r)
    if halt:
        settask(r.task, b'STOP: CALLBACK REQUESTED HALT')
    if r.nit >= r.maxiter:
        settask(r.task, b'STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT')
    elif r.nfev > r.maxfun:
        settask(r.task, b'STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT')


cdef bint run_reuse(Run* r) noexcept nogil:
    """At a request for the point evaluated last, hand back its f and g.

    SciPy's ScalarFunction evaluates again only at a new x (compared with
    ``np.array_equal``: NaN never equal); the line search can repeat a point
    (e.g. once f is NaN).  Returns True when f and g were supplied.
    """
    cdef int i
    if r.xe == NULL or not r.have_e:
        return False
    for i in range(r.n):
        if r.x[i] != r.xe[i]:
            return False
    r.f = r.fe
    # g := g at the repeated point   (n x 1)
    memcpy(r.g, r.ge, r.n * sizeof(double))
    return True


cdef void run_record(Run* r) noexcept nogil:
    """Remember x, f, g of the evaluation just made (for ``run_reuse``)."""
    if r.xe != NULL:
        memcpy(r.xe, r.x, r.n * sizeof(double))
        memcpy(r.ge, r.g, r.n * sizeof(double))
        r.fe = r.f
        r.have_e = True


cdef int run_advance(Run* r) noexcept nogil:
    """Call ``setulb`` until it asks for f and g at a new point or the run
    ends (NEW_X handled without a callback); returns RUN_FG or RUN_DONE."""
    cdef int code
    while True:
        code = run_step(r)
        if code == RUN_NEW_X:
            run_new_x(r, False)
        elif code != RUN_FG or not run_reuse(r):
            break
    if code == RUN_DONE:
        _keep(r)
    return code


cdef int run_tell(Run* r, double f) noexcept nogil:
    """Take f (and g, already written to ``r.g``) at ``r.x``; advance."""
    r.f = f
    r.nfev += 1
    run_record(r)
    if r.xk != NULL and task_starts(r.task, b'FG_ST'):
        _keep(r)        # x0 with f0, g0 is iterate 0
    return run_advance(r)


cdef inline bint _running(Run* r) noexcept nogil:
    return r.task[0] == b'F' and r.task[1] == b'G'


# ---------------------------------------------------------------------------
# argument handling (with the GIL)

def _solver_options(m=None, maxcor=None, factr=None, ftol=None, pgtol=None,
                    gtol=None, maxls=20, maxiter=15000, maxfun=15000,
                    flavour="fortran", iprint=-1):
    """Validated options: m, factr, pgtol, maxls, maxiter, maxfun, flavour,
    iprint.  ``ftol`` is ``factr * eps`` (minimize's name), ``gtol`` is
    ``pgtol``, ``maxcor`` is ``m``; the defaults are minimize's."""
    if m is not None and maxcor is not None:
        raise ValueError("give m or maxcor, not both")
    if factr is not None and ftol is not None:
        raise ValueError("give factr or ftol, not both")
    if pgtol is not None and gtol is not None:
        raise ValueError("give pgtol or gtol, not both")
    m = _api._check_positive_int(10 if m is None and maxcor is None else
                                 (m if m is not None else maxcor), "m (maxcor)")
    if factr is not None:
        factr = float(factr)
        if not factr >= 0:
            raise ValueError(f"factr must be non-negative, got {factr!r}")
    else:
        # minimize's conversion (ftol / eps is exact: eps is a power of two)
        ftol = 2.2204460492503131e-09 if ftol is None else float(ftol)
        if not ftol >= 0:
            raise ValueError(f"ftol (factr) must be non-negative, got {ftol!r}")
        factr = ftol / _api._EPS
    pgtol = 1e-5 if pgtol is None and gtol is None else \
        float(pgtol if pgtol is not None else gtol)
    if not pgtol >= 0:
        raise ValueError(f"gtol (pgtol) must be non-negative, got {pgtol!r}")
    flavour = flavour_label(flavour)
    return dict(m=m, factr=factr, pgtol=pgtol,
                maxls=_api._check_positive_int(maxls, "maxls"),
                maxiter=_api._check_positive_int(maxiter, "maxiter"),
                maxfun=_api._check_positive_int(maxfun, "maxfun"),
                flavour=flavour, iprint=-1 if iprint is None else int(iprint))


def _as_x0(x0):
    """x0 as a float64 vector, with minimize's checks."""
    x0 = np.asarray(x0)
    if x0.dtype.kind == 'c':
        raise ValueError("x0 must be real")
    if x0.dtype.kind not in 'biuf':
        raise ValueError(f"x0 must be a real numeric array, got dtype {x0.dtype}")
    x0 = x0.astype(np.float64).ravel()
    if x0.shape[0] == 0:
        raise ValueError("x0 must have at least one element")
    if not np.all(np.isfinite(x0)):
        raise ValueError("x0 must be finite (it has NaN or inf entries)")
    return x0


def _lubnd(x0, bounds):
    """(x0 clipped, l, u, nbd) with minimize's conversion and checks."""
    bnds = _api._old_bounds_to_arrays(bounds, x0.shape[0])
    if bnds is not None:
        _api._check_bound_arrays(*bnds)
        x0 = np.clip(x0, bnds[0], bnds[1])
    l, u, nbd = _api._bounds_to_lbfgsb(bnds, x0.shape[0])
    return x0, l, u, nbd


cdef double _scalar(fx) except? -1.0:
    """f as a C double; a real number or a one-element real array."""
    if isinstance(fx, float):
        return fx
    a = np.asarray(fx)
    if a.dtype.kind not in 'biuf' or a.size != 1:
        raise ValueError("f must be a real scalar, got "
                         f"{type(fx).__name__} {np.shape(fx)}")
    return float(a.reshape(()))


def _real_array(obj, shape, name):
    """obj as a C-contiguous float64 array of exactly ``shape``."""
    a = np.asarray(obj)
    if a.dtype.kind not in 'biuf':
        raise ValueError(f"{name} must be a real numeric array, got dtype {a.dtype}")
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}")
    return np.ascontiguousarray(a, dtype=np.float64)


# ---------------------------------------------------------------------------
# checkpoints: the keys of a state and their checks

_ARRAY_KEYS = {
    # key: (dtype, length as a function of (n, m))
    "l": (np.float64, lambda n, m: n),
    "u": (np.float64, lambda n, m: n),
    "nbd": (np.int32, lambda n, m: n),
    "x": (np.float64, lambda n, m: n),
    "g": (np.float64, lambda n, m: n),
    "xk": (np.float64, lambda n, m: n),
    "gk": (np.float64, lambda n, m: n),
    "xe": (np.float64, lambda n, m: n),
    "ge": (np.float64, lambda n, m: n),
    "wa": (np.float64, lambda n, m: _rcomm.workspace_sizes(n, m)[0]),
    "iwa": (np.int32, lambda n, m: 3 * n),
    "isave": (np.int32, lambda n, m: 44),
    "dsave": (np.float64, lambda n, m: 29),
    "lsave": (np.int32, lambda n, m: 4),
}
_INT_KEYS = ("n", "m", "maxls", "maxiter", "maxfun", "iprint", "nit", "nfev", "have_e")
_FLOAT_KEYS = ("factr", "pgtol", "f", "fk", "fe")
_TEXT_KEYS = ("task", "csave")
_STATE_KEYS = (("format", "format_version", "lbfgsb_version", "flavour")
               + _INT_KEYS + _FLOAT_KEYS + _TEXT_KEYS + tuple(_ARRAY_KEYS))


def _state_int(d, key):
    v = d[key]
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v.item()
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise ValueError(f"checkpoint: {key} must be an integer, got {v!r}")
    return int(v)


def _state_float(d, key):
    v = d[key]
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v.item()
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise ValueError(f"checkpoint: {key} must be a real number, got {v!r}")
    return float(v)


def _state_text(d, key):
    v = d[key]
    if isinstance(v, np.ndarray):
        if v.dtype == np.uint8:
            v = v.tobytes()
        elif v.ndim == 0:
            v = v.item()
    if isinstance(v, str):
        try:
            v = v.encode("ascii")
        except UnicodeEncodeError:
            raise ValueError(f"checkpoint: {key} is not ASCII") from None
    if not isinstance(v, (bytes, bytearray)):
        raise ValueError(f"checkpoint: {key} must be a 60-byte string, got {v!r}")
    v = bytes(v)
    if len(v) > TASK_LEN or any(c < 32 or c > 126 for c in v):
        raise ValueError(f"checkpoint: {key} is not a task string of at most "
                         f"60 printable ASCII characters: {v!r}")
    return v.ljust(TASK_LEN, b" ")


def _state_array(d, key, n, m):
    dtype, length = _ARRAY_KEYS[key]
    want = length(n, m)
    a = np.asarray(d[key])
    if a.ndim != 1 or a.shape[0] != want:
        raise ValueError(f"checkpoint: {key} must have shape ({want},) for "
                         f"n={n}, m={m}, got {a.shape}")
    if dtype is np.int32:
        if a.dtype.kind not in 'iu':
            raise ValueError(f"checkpoint: {key} must hold integers, got {a.dtype}")
        if a.size and (a.min() < -2**31 or a.max() >= 2**31):
            raise ValueError(f"checkpoint: {key} holds values out of int32 range")
    elif a.dtype.kind not in 'iuf':
        raise ValueError(f"checkpoint: {key} must hold real numbers, got {a.dtype}")
    return np.array(a, dtype=dtype)     # a private copy


def _check_task(task, csave):
    text = task.decode("ascii").rstrip()
    try:
        status, _ = scipy_codes_from_task(text)
    except ValueError:
        status = -1
    if not (text in ("FG_START", "FG_LNSRCH") or 4 <= status <= 8):
        raise ValueError(f"checkpoint: task {text!r} is neither a request "
                         "(FG_START, FG_LNSRCH) nor a final state")
    ctext = csave.decode("ascii").rstrip()
    if not (ctext == "" or ctext.startswith(("START", "FG", "CONVERGENCE",
                                              "WARNING", "ERROR"))):
        raise ValueError(f"checkpoint: csave {ctext!r} is not a state of the "
                         "line search")


def _state_from_mapping(d):
    """Checked, private copies of everything a Solver needs."""
    if not isinstance(d, Mapping):
        raise ValueError("a checkpoint must be a mapping (see Solver.state_dict)")
    keys = set(d)
    missing = [k for k in _STATE_KEYS if k not in keys]
    if missing:
        raise ValueError(f"checkpoint: missing entries {missing}")
    fmt = d["format"]
    if isinstance(fmt, np.ndarray):
        fmt = fmt.item()
    if fmt != FORMAT:
        raise ValueError(f"checkpoint: format {fmt!r} is not {FORMAT!r}")
    version = _state_int(d, "format_version")
    if version != FORMAT_VERSION:
        raise ValueError(
            f"checkpoint format version {version} is not supported: this "
            f"lbfgsb reads version {FORMAT_VERSION}")
    s = {k: _state_int(d, k) for k in _INT_KEYS}
    s.update({k: _state_float(d, k) for k in _FLOAT_KEYS})
    s.update({k: _state_text(d, k) for k in _TEXT_KEYS})
    flavour = d["flavour"]
    if isinstance(flavour, np.ndarray):
        flavour = flavour.item()
    try:
        s["flavour"] = flavour_label(flavour)
    except ValueError as exc:
        raise ValueError(f"checkpoint: {exc}") from None
    n, m = s["n"], s["m"]
    if n < 1 or m < 1:
        raise ValueError(f"checkpoint: n={n} and m={m} must be positive")
    for k in ("maxls", "maxiter", "maxfun"):
        if s[k] < 1:
            raise ValueError(f"checkpoint: {k} must be positive, got {s[k]}")
    if s["nit"] < 0 or s["nfev"] < 0:
        raise ValueError("checkpoint: nit and nfev must be non-negative")
    if not (s["factr"] >= 0 and s["pgtol"] >= 0):
        raise ValueError("checkpoint: factr and pgtol must be non-negative numbers")
    s.update({k: _state_array(d, k, n, m) for k in _ARRAY_KEYS})
    if not np.isfinite(s["x"]).all():
        raise ValueError("checkpoint: x has NaN or inf entries")
    if np.isnan(s["l"]).any() or np.isnan(s["u"]).any():
        raise ValueError("checkpoint: the bounds have NaN entries")
    if ((s["nbd"] < 0) | (s["nbd"] > 3)).any():
        raise ValueError("checkpoint: nbd must hold 0, 1, 2 or 3")
    if ((s["lsave"] != 0) & (s["lsave"] != 1)).any():
        raise ValueError("checkpoint: lsave must hold 0 or 1")
    _check_task(s["task"], s["csave"])
    # The partition of wa in isave and the index sets in iwa: setulb's own
    # state check (_rcomm._check_state), run on copies with a STOP task,
    # which makes mainlb restore its state and return without a step.
    task = np.zeros(1, "S60")
    task[0] = b"STOP: CHECKPOINT"
    csave = np.zeros(1, "S60")
    csave[0] = s["csave"]
    _rcomm.setulb(m, s["x"].copy(), s["l"], s["u"], s["nbd"],
                  np.array([s["f"]]), s["g"].copy(), s["factr"], s["pgtol"],
                  s["wa"].copy(), s["iwa"].copy(), task, -1, csave,
                  s["lsave"].copy(), s["isave"].copy(), s["dsave"].copy(),
                  s["maxls"], flavour=flavour)
    return s


def _to_arrays(d, prefix=""):
    """A state dict as numpy arrays for ``np.savez`` (no pickled objects)."""
    out = {}
    for k, v in d.items():
        if k in _TEXT_KEYS:
            v = np.frombuffer(v, np.uint8)
        out[prefix + k] = np.asarray(v)
    return out


def _from_arrays(z, prefix=""):
    d = {}
    for k in z.files if hasattr(z, "files") else z:
        if k.startswith(prefix) and "." not in k[len(prefix):]:
            v = z[k]
            d[k[len(prefix):]] = v.item() if v.ndim == 0 else v
    return d


def _write_npz(path, arrays):
    if hasattr(path, "write"):
        np.savez(path, **arrays)
        return
    path = os.fspath(path)
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)       # a checkpoint is never half written
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _read_npz(path):
    import zipfile
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"not an lbfgsb checkpoint file: {exc}") from None


def _restore_solver(d):
    return Solver.from_state(d)


def _restore_batch(d):
    return BatchSolver.from_state(d)


# ---------------------------------------------------------------------------
# Solver

cdef class Solver:
    """L-BFGS-B as an ask/tell object (one problem).

    Parameters
    ----------
    x0 : array_like, shape (n,)
        Initial guess (clipped to the bounds).
    bounds : None, scipy.optimize.Bounds or sequence of (min, max) pairs
        As in ``minimize`` (None or +-inf for no bound).
    m (or maxcor) : int, default 10
        Number of limited-memory corrections.
    factr : float, default 1e7 (or ftol = factr * eps, default 2.22e-9)
    pgtol (or gtol) : float, default 1e-5
    maxls : int, default 20
    maxiter, maxfun : int, default 15000
        SciPy's limits: stop when ``nit >= maxiter``, else when
        ``nfev > maxfun``, checked at each new iterate.
    flavour : str or set of str, default "fortran"
    iprint : int, default -1
        The Fortran's trace level.

    The protocol::

        solver = Solver(x0, bounds)
        for x in solver:                # x = solver.ask() until done
            solver.tell(*fg(x))
        res = solver.result()

    f and g are passed to the algorithm as given, NaN and inf included
    (what ``minimize`` does too); values of the wrong type or shape raise
    ``ValueError`` and leave the solver as it was.  Misuse of the protocol
    (``tell`` without ``ask``, ``tell`` on a finished solver) raises
    ``RuntimeError``, also without changing the state.
    """

    cdef Run r
    cdef object _x, _l, _u, _nbd, _g, _wa, _iwa, _isave, _dsave, _lsave
    cdef object _xk, _gk, _xe, _ge
    cdef object _flavour
    cdef bint _asked

    def __cinit__(self):
        # a Solver that was never set up is "done" (nothing to ask)
        settask(self.r.task, b'ERROR: SOLVER NOT SET UP')
        settask(self.r.csave, b' ')

    def __init__(self, x0, bounds=None, **options):
        opts = _solver_options(**options)
        x0 = _as_x0(x0)
        x0, l, u, nbd = _lubnd(x0, bounds)
        self._setup(x0, l, u, nbd, opts)

    cdef _setup(self, x0, l, u, nbd, dict opts):
        """A fresh run at x0 (all arguments checked): START, to the first
        request."""
        n = x0.shape[0]
        m = opts["m"]
        lwa, liwa, lisave, ldsave, llsave = _rcomm.workspace_sizes(n, m)
        self._x = np.array(x0, dtype=np.float64)
        self._l = l
        self._u = u
        self._nbd = nbd
        self._g = np.zeros(n, np.float64)
        self._wa = np.zeros(lwa, np.float64)
        self._iwa = np.zeros(liwa, np.int32)
        self._isave = np.zeros(lisave, np.int32)
        self._dsave = np.zeros(ldsave, np.float64)
        self._lsave = np.zeros(llsave, np.int32)
        self._xk = self._x.copy()
        self._gk = np.full(n, np.nan)
        self._xe = np.zeros(n, np.float64)
        self._ge = np.zeros(n, np.float64)
        self._flavour = opts["flavour"]
        self._bind(n, opts)
        self.r.f = 0.0
        self.r.fk = np.nan
        self.r.fe = 0.0
        self.r.have_e = False
        self.r.nit = 0
        self.r.nfev = 0
        settask(self.r.task, b'START')
        settask(self.r.csave, b' ')
        with nogil:
            run_advance(&self.r)

    cdef _bind(self, int n, dict opts):
        """Point the run at the arrays; copy the options into it."""
        cdef double[::1] x = self._x, l = self._l, u = self._u, g = self._g
        cdef double[::1] wa = self._wa, dsave = self._dsave
        cdef double[::1] xk = self._xk, gk = self._gk
        cdef double[::1] xe = self._xe, ge = self._ge
        cdef int[::1] nbd = self._nbd, iwa = self._iwa, isave = self._isave
        cdef int[::1] lsave = self._lsave
        self.r.n = n
        self.r.m = opts["m"]
        self.r.x = &x[0]
        self.r.l = &l[0]
        self.r.u = &u[0]
        self.r.nbd = &nbd[0]
        self.r.g = &g[0]
        self.r.factr = opts["factr"]
        self.r.pgtol = opts["pgtol"]
        self.r.wa = &wa[0]
        self.r.iwa = &iwa[0]
        self.r.iprint = opts["iprint"]
        self.r.lsave = &lsave[0]
        self.r.isave = &isave[0]
        self.r.dsave = &dsave[0]
        self.r.maxls = opts["maxls"]
        self.r.flavour = flavour_code(opts["flavour"])
        self.r.maxiter = opts["maxiter"]
        self.r.maxfun = opts["maxfun"]
        self.r.xk = &xk[0]
        self.r.gk = &gk[0]
        self.r.xe = &xe[0]
        self.r.ge = &ge[0]

    # -- the protocol -------------------------------------------------------

    def ask(self):
        """The point (a copy) where f and g are wanted.

        Raises ``RuntimeError`` when the solver is done.
        """
        if not _running(&self.r):
            raise RuntimeError(f"the solver is done ({self.task}); nothing to ask")
        self._asked = True
        return self._x.copy()

    def tell(self, f, g):
        """f and g at the point of the last ``ask()``; advance to the next
        request (or to the end).

        Raises
        ------
        RuntimeError
            The solver is done, or ``ask()`` was not called since the last
            ``tell``.
        ValueError
            f is not a real scalar or g not a real array of shape (n,).
        """
        if not _running(&self.r):
            raise RuntimeError(f"the solver is done ({self.task}); tell() "
                               "has nothing to answer")
        if not self._asked:
            raise RuntimeError("tell() without ask(): call ask() for the point "
                               "first (each ask() is answered by one tell())")
        cdef double fv = _scalar(f)
        cdef double[::1] gv = _real_array(g, (self.r.n,), "g")
        memcpy(self.r.g, &gv[0], self.r.n * sizeof(double))
        self._asked = False
        with nogil:
            run_tell(&self.r, fv)

    def stop(self):
        """End the run now (task 'STOP: CALLBACK REQUESTED HALT', as a
        callback halt in ``minimize``); x, f, g stay at the last accepted
        iterate.  Does nothing on a solver that is done."""
        cdef int n = self.r.n
        if not _running(&self.r):
            return
        settask(self.r.task, b'STOP: CALLBACK REQUESTED HALT')
        with nogil:
            run_step(&self.r)
            memcpy(self.r.x, self.r.xk, n * sizeof(double))
            memcpy(self.r.g, self.r.gk, n * sizeof(double))
        self.r.f = self.r.fk
        self._asked = False

    def __iter__(self):
        return self

    def __next__(self):
        if not _running(&self.r):
            raise StopIteration
        return self.ask()

    # -- state ----------------------------------------------------------------

    @property
    def done(self):
        """True when the run has ended (converged, stopped or failed)."""
        return not _running(&self.r)

    @property
    def task(self):
        """The Fortran's task string (blanks stripped)."""
        return (<bytes>self.r.task[:TASK_LEN]).decode("ascii").rstrip()

    @property
    def n(self):
        return self.r.n

    @property
    def m(self):
        return self.r.m

    @property
    def nit(self):
        """Iterations so far (SciPy's count: NEW_X seen)."""
        return self.r.nit

    @property
    def nfev(self):
        """Function (and gradient) evaluations told so far."""
        return self.r.nfev

    @property
    def x(self):
        """The last accepted iterate (x0 before the first one); a copy."""
        return self._xk.copy()

    @property
    def f(self):
        """f at ``x`` (NaN before the first ``tell``)."""
        return self.r.fk

    @property
    def g(self):
        """g at ``x`` (NaN before the first ``tell``); a copy."""
        return self._gk.copy()

    @property
    def projected_gradient_norm(self):
        """The infinity norm of the projected gradient at ``x`` (the
        Fortran's sbgnrm, dsave(13)); NaN before the first ``tell``."""
        if self.r.nfev == 0 and not self.done:
            return np.nan
        return self.r.dsave[12]

    @property
    def status(self):
        """SciPy's status: 0 converged, 1 maxiter/maxfun, 2 other; None
        while running."""
        if _running(&self.r):
            return None
        if task_starts(self.r.task, b'CONV'):
            return 0
        if self.r.nfev > self.r.maxfun or self.r.nit >= self.r.maxiter:
            return 1
        return 2

    @property
    def success(self):
        return self.status == 0

    @property
    def message(self):
        """SciPy's message for the current task."""
        return scipy_message(self.task)

    @property
    def options(self):
        """The options the solver runs with (``factr``, not ``ftol``)."""
        return dict(m=self.r.m, factr=self.r.factr, pgtol=self.r.pgtol,
                    maxls=self.r.maxls, maxiter=self.r.maxiter,
                    maxfun=self.r.maxfun, flavour=self._flavour,
                    iprint=self.r.iprint)

    def result(self):
        """The ``OptimizeResult`` of ``minimize`` for this run (fields
        ``x, fun, jac, nit, nfev, njev, status, message, success, hess_inv,
        task``).  Raises ``RuntimeError`` while the solver is running (call
        ``stop()`` to end it early)."""
        if _running(&self.r):
            raise RuntimeError("the solver is still running: tell() until "
                               "done, or stop() it first")
        cdef int n = self.r.n, m = self.r.m
        wa = self._wa
        s = wa[0: m * n].reshape(m, n)
        y = wa[m * n: 2 * m * n].reshape(m, n)
        n_corrs = min(self.r.isave[30], m)  # isave(31): updates since restart
        hess_inv = LbfgsInvHessProduct(s[:n_corrs].copy(), y[:n_corrs].copy())
        status = self.status
        task = self.task
        return OptimizeResult(fun=self.r.fk, jac=self._gk.copy(),
                              nfev=self.r.nfev, njev=self.r.nfev,
                              nit=self.r.nit, status=status,
                              message=scipy_message(task), x=self._xk.copy(),
                              success=(status == 0), hess_inv=hess_inv,
                              task=task)

    def __repr__(self):
        return (f"<lbfgsb.Solver n={self.r.n} m={self.r.m} nit={self.r.nit} "
                f"nfev={self.r.nfev} task={self.task!r}>")

    # -- checkpoints ----------------------------------------------------------

    def state_dict(self):
        """The full state as a dict of numbers, strings and numpy arrays
        (copies): enough for ``Solver.from_state`` to continue the run bit
        for bit.  See docs/API.md for the format."""
        import lbfgsb
        cdef Run* r = &self.r
        return {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "lbfgsb_version": lbfgsb.__version__,
            "n": r.n, "m": r.m, "factr": r.factr, "pgtol": r.pgtol,
            "maxls": r.maxls, "maxiter": r.maxiter, "maxfun": r.maxfun,
            "iprint": r.iprint, "flavour": self._flavour,
            "nit": r.nit, "nfev": r.nfev,
            "task": <bytes>r.task[:TASK_LEN], "csave": <bytes>r.csave[:TASK_LEN],
            "f": r.f, "fk": r.fk,
            "x": self._x.copy(), "g": self._g.copy(),
            "xk": self._xk.copy(), "gk": self._gk.copy(),
            "xe": self._xe.copy(), "ge": self._ge.copy(),
            "fe": r.fe, "have_e": int(r.have_e),
            "l": self._l.copy(), "u": self._u.copy(), "nbd": self._nbd.copy(),
            "wa": self._wa.copy(), "iwa": self._iwa.copy(),
            "isave": self._isave.copy(), "dsave": self._dsave.copy(),
            "lsave": self._lsave.copy(),
        }

    @staticmethod
    def from_state(d):
        """A solver continuing the run saved by ``state_dict()``.

        Raises ``ValueError`` for another format version, missing entries,
        wrong lengths or types, a partition of ``wa`` in ``isave`` that does
        not match n and m, indices out of range, a task string that is not
        a request or a final state, and NaN where none can occur.
        """
        s = _state_from_mapping(d)
        cdef Solver self = Solver.__new__(Solver)
        for k in _ARRAY_KEYS:
            setattr_private(self, k, s[k])
        self._flavour = s["flavour"]
        opts = {k: s[k] for k in ("m", "factr", "pgtol", "maxls", "maxiter",
                                  "maxfun", "flavour", "iprint")}
        self._bind(s["n"], opts)
        self.r.f = s["f"]
        self.r.fk = s["fk"]
        self.r.fe = s["fe"]
        self.r.have_e = s["have_e"] != 0
        self.r.nit = s["nit"]
        self.r.nfev = s["nfev"]
        cdef bytes task = s["task"], csave = s["csave"]
        memcpy(self.r.task, <char*>task, TASK_LEN)
        memcpy(self.r.csave, <char*>csave, TASK_LEN)
        self._asked = False
        return self

    def __reduce__(self):
        return (_restore_solver, (self.state_dict(),))

    def save(self, path):
        """Write the state to ``path`` as an ``.npz`` file (numpy arrays
        only, no pickle), atomically; the name is used as given."""
        _write_npz(path, _to_arrays(self.state_dict()))

    @staticmethod
    def load(path):
        """A solver continuing the run saved with ``save(path)``."""
        return Solver.from_state(_read_npz(path))


cdef setattr_private(Solver s, str key, value):
    if key == "x":
        s._x = value
    elif key == "l":
        s._l = value
    elif key == "u":
        s._u = value
    elif key == "nbd":
        s._nbd = value
    elif key == "g":
        s._g = value
    elif key == "wa":
        s._wa = value
    elif key == "iwa":
        s._iwa = value
    elif key == "isave":
        s._isave = value
    elif key == "dsave":
        s._dsave = value
    elif key == "lsave":
        s._lsave = value
    elif key == "xk":
        s._xk = value
    elif key == "gk":
        s._gk = value
    elif key == "xe":
        s._xe = value
    elif key == "ge":
        s._ge = value


cdef Solver _new_solver(x0, l, u, nbd, dict opts):
    cdef Solver s = Solver.__new__(Solver)
    s._setup(x0, l, u, nbd, opts)
    return s


# ---------------------------------------------------------------------------
# many problems in lock-step

def _batch_bounds(bounds, int B, int n):
    """Per problem (l, u, nbd) builders: shared bounds (None, Bounds with
    (n,) arrays, n pairs) or per-problem ones (Bounds with (B, n) arrays, or
    an array of shape (B, n, 2))."""
    if isinstance(bounds, Bounds):
        lb = np.asarray(bounds.lb, dtype=float)
        ub = np.asarray(bounds.ub, dtype=float)
        if lb.ndim == 2 or ub.ndim == 2:
            return (np.array(np.broadcast_to(lb, (B, n))),
                    np.array(np.broadcast_to(ub, (B, n))))
    elif isinstance(bounds, np.ndarray) and bounds.ndim == 3:
        if bounds.shape != (B, n, 2):
            raise ValueError(f"per-problem bounds must have shape ({B}, {n}, 2), "
                             f"got {bounds.shape}")
        b = bounds.astype(float)
        return b[:, :, 0].copy(), b[:, :, 1].copy()
    bnds = _api._old_bounds_to_arrays(bounds, n)
    if bnds is None:
        return None
    return bnds[0][None, :], bnds[1][None, :]


cdef class BatchSolver:
    """B independent L-BFGS-B problems of the same size n, in lock-step.

    Parameters
    ----------
    X0 : array_like, shape (B, n)
        The initial points (each clipped to its bounds).
    bounds : optional
        Shared by all problems: None, a ``Bounds`` with scalar or (n,)
        arrays, or n (min, max) pairs.  Per problem: a ``Bounds`` with
        (B, n) arrays, or an array of shape (B, n, 2).
    **options
        As for ``Solver`` (shared by all problems).

    ``ask()`` returns the points of the problems still running, as rows of
    a (k, n) array in increasing problem order; ``active`` holds their
    problem indices.  ``tell(F, G)`` takes f (k,) and g (k, n) for those
    rows and steps each problem's ``setulb`` in compiled code without the
    GIL.  Each problem makes exactly the iterates it would make alone.
    """

    cdef list _solvers
    cdef Run** _runs
    cdef int _B, _n
    cdef object _active
    cdef bint _asked
    cdef int _threads       # threads stepping the problems in tell()

    def __cinit__(self):
        self._runs = NULL
        self._threads = 1

    def __dealloc__(self):
        free(self._runs)

    def __init__(self, X0, bounds=None, threads=1, **options):
        self.threads = threads
        opts = _solver_options(**options)
        X0 = np.asarray(X0)
        if X0.dtype.kind not in 'biuf':
            raise ValueError(f"X0 must be a real numeric array, got dtype {X0.dtype}")
        if X0.ndim != 2:
            raise ValueError(f"X0 must have shape (B, n), got {X0.shape}")
        B, n = X0.shape
        if n == 0:
            raise ValueError("the problems must have at least one variable")
        X0 = X0.astype(np.float64)
        if not np.isfinite(X0).all():
            raise ValueError("X0 must be finite (it has NaN or inf entries)")
        lu = _batch_bounds(bounds, B, n)
        if lu is not None:
            _api._check_bound_arrays(*lu)
        solvers = []
        for i in range(B):
            x0 = X0[i].copy()
            if lu is None:
                x0, l, u, nbd = _lubnd(x0, None)
            else:
                lb = lu[0][i if lu[0].shape[0] > 1 else 0]
                ub = lu[1][i if lu[1].shape[0] > 1 else 0]
                x0 = np.clip(x0, lb, ub)
                l, u, nbd = _api._bounds_to_lbfgsb((lb, ub), n)
            solvers.append(_new_solver(x0, l, u, nbd, opts))
        self._attach(solvers, n)

    cdef _attach(self, list solvers, int n):
        self._solvers = solvers
        self._B = len(solvers)
        self._n = n
        self._runs = <Run**>malloc(max(self._B, 1) * sizeof(Run*))
        if self._runs == NULL:
            raise MemoryError()
        for i in range(self._B):
            self._runs[i] = &(<Solver>solvers[i]).r
        self._asked = False
        self._active = np.zeros(0, np.intp)

    def __len__(self):
        return self._B

    @property
    def n(self):
        return self._n

    @property
    def solvers(self):
        """The B ``Solver`` objects (read their state; do not drive them
        directly while the batch runs)."""
        return list(self._solvers)

    @property
    def done(self):
        """True when every problem has finished."""
        cdef int i
        for i in range(self._B):
            if _running(self._runs[i]):
                return False
        return True

    @property
    def threads(self):
        """How many threads step the problems in ``tell()`` (OpenMP; 1 by
        default).  Each problem is stepped by one thread from start to its
        next request, so the iterates do not depend on this number."""
        return self._threads

    @threads.setter
    def threads(self, value):
        self._threads = _api._check_positive_int(value, "threads")

    @property
    def active(self):
        """Problem indices of the rows of the last ``ask()`` (increasing)."""
        return self._active.copy()

    def ask(self):
        """The points (k, n) of the k problems still running, in increasing
        problem order (see ``active``).  Raises ``RuntimeError`` when all
        are done."""
        cdef int i, j, k = 0, n = self._n
        cdef Py_ssize_t[::1] act = np.empty(self._B, np.intp)
        for i in range(self._B):
            if _running(self._runs[i]):
                act[k] = i
                k += 1
        if k == 0:
            raise RuntimeError("every problem of the batch is done; nothing to ask")
        X = np.empty((k, n), np.float64)
        cdef double[:, ::1] Xv = X
        with nogil:
            for j in range(k):
                memcpy(&Xv[j, 0], self._runs[act[j]].x, n * sizeof(double))
        self._active = np.asarray(act[:k]).copy()
        self._asked = True
        return X

    def tell(self, F, G):
        """f (k,) and g (k, n) at the rows of the last ``ask()``; steps
        every problem to its next request or its end.  ``ValueError`` for
        wrong shapes or types and ``RuntimeError`` without a preceding
        ``ask()``, both before any problem is changed."""
        if not self._asked:
            raise RuntimeError("tell() without ask(): call ask() for the points first")
        cdef Py_ssize_t[::1] act = self._active
        cdef int k = act.shape[0], n = self._n, j
        cdef double[::1] Fv = _real_array(F, (k,), "F (the f values)")
        cdef double[:, ::1] Gv = _real_array(G, (k, n), "G (the gradients)")
        for j in range(k):
            if not _running(self._runs[act[j]]):
                raise RuntimeError(f"problem {act[j]} was driven outside the "
                                   "batch; the batch cannot continue")
        self._asked = False
        cdef Run* r
        cdef int nt = self._threads if self._threads < k else k
        with nogil:
            if nt > 1:
                # the problems are independent: one thread steps each of them
                for j in prange(k, num_threads=nt, schedule='dynamic'):
                    r = self._runs[act[j]]
                    memcpy(r.g, &Gv[j, 0], n * sizeof(double))
                    run_tell(r, Fv[j])
            else:
                for j in range(k):
                    r = self._runs[act[j]]
                    memcpy(r.g, &Gv[j, 0], n * sizeof(double))
                    run_tell(r, Fv[j])

    def stop(self, problems=None):
        """Stop the given problems (indices; all by default), as
        ``Solver.stop``."""
        idx = range(self._B) if problems is None else np.atleast_1d(problems)
        for i in idx:
            (<Solver>self._solvers[int(i)]).stop()
        self._asked = False

    def results(self):
        """A list of B ``OptimizeResult`` (every problem must be done)."""
        return [s.result() for s in self._solvers]

    def state_dict(self):
        """The states of all problems (``Solver.state_dict`` each)."""
        import lbfgsb
        return {"format": BATCH_FORMAT, "format_version": FORMAT_VERSION,
                "lbfgsb_version": lbfgsb.__version__,
                "solvers": [s.state_dict() for s in self._solvers]}

    @staticmethod
    def from_state(d):
        """A batch continuing the one saved by ``state_dict()``."""
        try:
            fmt, version, states = d["format"], d["format_version"], d["solvers"]
        except (KeyError, TypeError, IndexError):
            raise ValueError("not a BatchSolver checkpoint (see "
                             "BatchSolver.state_dict)") from None
        if fmt != BATCH_FORMAT:
            raise ValueError(f"checkpoint: format {fmt!r} is not {BATCH_FORMAT!r}")
        if version != FORMAT_VERSION:
            raise ValueError(
                f"checkpoint format version {version} is not supported: this "
                f"lbfgsb reads version {FORMAT_VERSION}")
        solvers = [Solver.from_state(s) for s in states]
        ns = {s.n for s in solvers}
        if len(ns) > 1:
            raise ValueError("checkpoint: the problems of a batch must have the same n")
        cdef BatchSolver self = BatchSolver.__new__(BatchSolver)
        self._attach(solvers, ns.pop() if ns else 0)
        return self

    def __reduce__(self):
        return (_restore_batch, (self.state_dict(),))

    def save(self, path):
        """Write the batch's state to ``path`` (``.npz``, no pickle)."""
        arrays = {"format": np.asarray(BATCH_FORMAT),
                  "format_version": np.asarray(FORMAT_VERSION),
                  "B": np.asarray(self._B)}
        for i, s in enumerate(self._solvers):
            arrays.update(_to_arrays(s.state_dict(), f"p{i}."))
        _write_npz(path, arrays)

    @staticmethod
    def load(path):
        z = _read_npz(path)
        try:
            B = int(z["B"])
            d = {"format": z["format"].item(),
                 "format_version": int(z["format_version"]),
                 "solvers": [_from_arrays(z, f"p{i}.") for i in range(B)]}
        except (KeyError, ValueError, TypeError):
            raise ValueError("not a BatchSolver checkpoint file") from None
        return BatchSolver.from_state(d)


def minimize_batch(fg_batch, X0, bounds=None, args=(), **options):
    """Minimize B independent problems in lock-step by L-BFGS-B.

    Parameters
    ----------
    fg_batch : callable
        ``fg_batch(X, active, *args) -> (F, G)``: X (k, n) holds the points
        of the k problems still running, in increasing problem order;
        ``active`` (k,) their problem indices (to pick per-problem data);
        F (k,) the f values, G (k, n) the gradients.  Called once per
        round.
    X0 : array_like, shape (B, n)
    bounds : optional
        Shared or per problem, see ``BatchSolver``.
    args : tuple
        Extra arguments of ``fg_batch``.
    **options
        As for ``Solver`` (``m``/``maxcor``, ``factr``/``ftol``,
        ``pgtol``/``gtol``, ``maxls``, ``maxiter``, ``maxfun``,
        ``flavour``, ``iprint``), and ``threads`` (1): how many threads step
        the problems after each round (see ``BatchSolver.threads``).

    Returns
    -------
    list of OptimizeResult
        One per problem, as ``minimize`` returns it; each bitwise identical
        to solving that problem alone.
    """
    batch = BatchSolver(X0, bounds, **options)
    if not isinstance(args, tuple):
        args = (args,)
    while not batch.done:
        X = batch.ask()
        out = fg_batch(X, batch.active, *args)
        try:
            F, G = out
        except (TypeError, ValueError):
            raise ValueError("fg_batch must return a pair (F, G)") from None
        batch.tell(F, G)
    return batch.results()
