"""``Solver``: ask/tell L-BFGS-B.

``Solver`` runs one problem by reverse communication: ``ask()`` gives the
point where f and g are wanted, ``tell(f, g)`` advances ``setulb`` (compiled,
without the GIL) to the next request.  The loop follows SciPy's
``_minimize_lbfgsb`` exactly as ``_driver.drive`` does (iterations counted on
NEW_X, stop when ``nit >= maxiter``, else when ``nfev > maxfun``), so a run
driven through ``Solver`` makes the same iterates, bit for bit, as
``minimize`` / ``fmin_l_bfgs_b`` on the same problem.

``BatchSolver`` and ``minimize_batch`` (``_batch.pyx``) step many solvers
together; the checkpoint format lives in ``_checkpoint.py``.

The NEW_X handling and the stopping rules live in the run loop
(``_run.pyx``: ``run_step``, ``run_new_x``, ``run_advance``, ``run_tell``),
which every driver of the port shares.
"""

import numpy as np

from libc.string cimport memcpy

from lbfgsb.port.tasks cimport TASK_LEN, settask, task_starts
from lbfgsb.port.state cimport (ISAVE_LEN, DSAVE_LEN, LSAVE_LEN, IWA_PER_N,
                                ISAVE_IUPDAT, DSAVE_SBGNRM)
from lbfgsb.port.kernels cimport kernels_for
from lbfgsb._run cimport (Run, run_step, run_new_x, run_advance, run_tell, sync_kept,
                         running)

from scipy.optimize import OptimizeResult

from lbfgsb import _options as opt
from lbfgsb._api import inv_hess_product
from lbfgsb import _rcomm
from lbfgsb import _checkpoint as ckpt
from lbfgsb.port.deviations import flavour_code, flavour_label
from lbfgsb.port.state import scipy_message, corrections
from lbfgsb.port.kernels import kernels_code


# ---------------------------------------------------------------------------
# argument handling (with the GIL)

def _solver_options(n, maxls=20, maxiter=15000, maxfun=15000,
                    flavour="fortran", kernels="scipy", iprint=-1, **aliases):
    """The options as ``minimize`` converts them (``lbfgsb._options``): m,
    factr, pgtol, maxls, the maxiter / maxfun thresholds, flavour, kernels,
    iprint.  ``ftol`` is ``factr * eps`` (minimize's name), ``gtol`` is
    ``pgtol``, ``maxcor`` is ``m``; the defaults are minimize's."""
    opts = opt.run_options(n, maxls=maxls, maxiter=maxiter, maxfun=maxfun, **aliases)
    if iprint is None:
        iprint = -1
    else:
        try:            # the trace level: the port's own option, a C int
            iprint = opt.c_int(iprint)
        except OverflowError:
            raise ValueError(f"iprint must be between {-2**31} and {2**31 - 1}, "
                             f"got {iprint!r}") from None
    opts.update(flavour=flavour_label(flavour), kernels=kernels, iprint=iprint)
    kernels_code(kernels)
    return opts


def _as_x0(x0, who="Solver"):
    """x0 as ``minimize`` takes it, for a float64 run (n >= 1)."""
    x0 = opt.float64_x0(x0, who)
    if x0.shape[0] == 0:
        raise ValueError("x0 must have at least one element")
    return x0


def _lubnd(x0, bounds):
    """(x0 clipped, l, u, nbd) with minimize's conversion and checks."""
    n = x0.shape[0]
    lohi = opt.run_bounds(bounds, n)
    if lohi is not None:
        lohi = (lohi[0][0], lohi[1][0])
        x0 = np.clip(x0, lohi[0], lohi[1])
    l, u, nbd = opt.lbfgsb_arrays(lohi, n)
    return np.array(x0, dtype=np.float64), l, u, nbd


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


def _restore_solver(d):
    return Solver.from_state(d)


# ---------------------------------------------------------------------------
# Solver

cdef class Solver:
    """L-BFGS-B as an ask/tell object (one problem).

    x0, bounds and the options are converted as ``minimize`` converts them
    (``lbfgsb._options``: the same values accepted, the same exceptions),
    except where an ask/tell run cannot do what ``minimize`` does: an x0 of
    float16, float32 or longdouble (``minimize`` evaluates in that type) and
    an empty x0 raise ``ValueError``; bounds fixing every variable raise
    ``ValueError`` (``minimize`` returns f at the bounds without a run);
    ``maxiter`` / ``maxfun`` must be real numbers (``minimize`` compares
    other objects in Python; their ``TypeError`` is raised here at once);
    variables fixed by their bounds stay in the problem (the gradient is
    the caller's, as ``minimize`` with a ``jac``); ``nfev`` does not count
    the evaluation at x0 that ``minimize`` makes before the run when the
    run ends at once (``maxcor=0``).

    Parameters
    ----------
    x0 : array_like, shape (n,)
        Initial guess (clipped to the bounds).
    bounds : None, scipy.optimize.Bounds or sequence of (min, max) pairs
        As in ``minimize``: None, +-inf or NaN for no bound; one pair applies
        to every variable.
    m (or maxcor) : int, default 10
        Number of limited-memory corrections.
    factr : float, default 1e7 (or ftol = factr * eps, default 2.22e-9)
    pgtol (or gtol) : float, default 1e-5
    maxls : int, default 20
    maxiter, maxfun : real, default 15000
        SciPy's limits: stop when ``nit >= maxiter``, else when
        ``nfev > maxfun``, checked at each new iterate.
    flavour : str or set of str, default "fortran"
        "fortran", "scipy" or any set of deviation names (``lbfgsb.deviations()``).
    kernels : {"scipy", "reference"}, default "scipy"
        Which BLAS/LAPACK the algorithm's kernels call: SciPy's OpenBLAS
        (bits may depend on the CPU) or the port's own reference-order set
        (the same bits on every machine; see docs/VERIFY.md).
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

    # (the attributes are declared in _solver.pxd)

    def __cinit__(self):
        # a Solver that was never set up is "done" (nothing to ask)
        settask(self.r.task, b'ERROR: SOLVER NOT SET UP')
        settask(self.r.csave, b' ')

    def __init__(self, x0, bounds=None, **options):
        x0 = _as_x0(x0)
        opts = _solver_options(x0.shape[0], **options)
        x0, l, u, nbd = _lubnd(x0, bounds)
        self._setup(x0, l, u, nbd, opts)

    cdef _setup(self, x0, l, u, nbd, dict opts):
        """A fresh run at x0 (all arguments checked): START, to the first
        request."""
        n = x0.shape[0]
        m = opts["m"]
        if m > 0:
            lwa, liwa, lisave, ldsave, llsave = _rcomm.workspace_sizes(n, m)
        else:       # setulb ends at once with 'ERROR: M .LE. 0' (as minimize)
            lwa, liwa, lisave, ldsave, llsave = (opt.workspace_length(m, n), IWA_PER_N * n,
                                                 ISAVE_LEN, DSAVE_LEN, LSAVE_LEN)
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
        self._kernels = opts["kernels"]
        self.r.kn = kernels_for(self._kernels)
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
        if not running(&self.r):
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
        if not running(&self.r):
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
        if not running(&self.r):
            return
        sync_kept(&self.r)
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
        if not running(&self.r):
            raise StopIteration
        return self.ask()

    # -- state ----------------------------------------------------------------

    @property
    def done(self):
        """True when the run has ended (converged, stopped or failed)."""
        return not running(&self.r)

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
        sync_kept(&self.r)
        return self._xk.copy()

    @property
    def f(self):
        """f at ``x`` (NaN before the first ``tell``)."""
        sync_kept(&self.r)
        return self.r.fk

    @property
    def g(self):
        """g at ``x`` (NaN before the first ``tell``); a copy."""
        sync_kept(&self.r)
        return self._gk.copy()

    @property
    def projected_gradient_norm(self):
        """The infinity norm of the projected gradient at ``x`` (the
        Fortran's sbgnrm, dsave(13)); NaN before the first ``tell``."""
        if self.r.nfev == 0 and not self.done:
            return np.nan
        return self.r.dsave[DSAVE_SBGNRM]

    @property
    def status(self):
        """SciPy's status: 0 converged, 1 maxiter/maxfun, 2 other; None
        while running."""
        if running(&self.r):
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
                    kernels=self._kernels, iprint=self.r.iprint)

    def result(self):
        """The ``OptimizeResult`` of ``minimize`` for this run (fields
        ``x, fun, jac, nit, nfev, njev, status, message, success, hess_inv,
        task``).  Raises ``RuntimeError`` while the solver is running (call
        ``stop()`` to end it early)."""
        if running(&self.r):
            raise RuntimeError("the solver is still running: tell() until "
                               "done, or stop() it first")
        cdef int n = self.r.n, m = self.r.m
        wa = self._wa
        s, y = corrections(wa, n, m)
        n_corrs = min(self.r.isave[ISAVE_IUPDAT], m)    # updates since restart
        sk, yk = s[:n_corrs], y[:n_corrs]
        if 4 * m * n < wa.shape[0]:
            # the pairs are under half the workspace (small n): copies, so
            # that results do not keep whole workspaces alive
            sk, yk = sk.copy(), yk.copy()
        # else views of the workspace, as in SciPy's result (a finished
        # run's workspace no longer changes; copying large pairs costs time)
        hess_inv = inv_hess_product(sk, yk)
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
        sync_kept(r)
        return {
            "format": ckpt.FORMAT, "format_version": ckpt.FORMAT_VERSION,
            "lbfgsb_version": lbfgsb.__version__,
            "n": r.n, "m": r.m, "factr": r.factr, "pgtol": r.pgtol,
            "maxls": r.maxls, "maxiter": r.maxiter, "maxfun": r.maxfun,
            "iprint": r.iprint, "flavour": self._flavour,
            "kernels": self._kernels,
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
        s = ckpt.check_solver_state(d)
        cdef Solver self = Solver.__new__(Solver)
        for k in ckpt.ARRAY_KEYS:
            setattr_private(self, k, s[k])
        self._flavour = s["flavour"]
        opts = {k: s[k] for k in ("m", "factr", "pgtol", "maxls", "maxiter",
                                  "maxfun", "flavour", "kernels", "iprint")}
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
        ckpt.write_npz(path, ckpt.to_arrays(self.state_dict()))

    @staticmethod
    def load(path):
        """A solver continuing the run saved with ``save(path)``."""
        return Solver.from_state(ckpt.read_npz(path))


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


cdef Solver new_solver(x0, l, u, nbd, dict opts):
    cdef Solver s = Solver.__new__(Solver)
    s._setup(x0, l, u, nbd, opts)
    return s
