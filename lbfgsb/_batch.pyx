"""Many independent L-BFGS-B problems in lock-step: ``BatchSolver`` and
``minimize_batch``.

Each problem is a ``Solver`` (``_solver.pyx``); the batch asks for the
points of its running problems as rows of one array, takes their f and g
from one vectorised call, and steps every problem's ``setulb`` in compiled
code without the GIL (``run_tell``), on one or more threads.  A problem's
iterates are those it makes alone, bit for bit.
"""

import numpy as np

from cython.parallel cimport prange
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy

from scipy.optimize import Bounds

from lbfgsb import _api
from lbfgsb import _checkpoint as ckpt
from lbfgsb._solver import _lubnd, _real_array, _solver_options
from lbfgsb._solver cimport Run, Solver, new_solver, run_tell, running


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
            solvers.append(new_solver(x0, l, u, nbd, opts))
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
            if running(self._runs[i]):
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
            if running(self._runs[i]):
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
            if not running(self._runs[act[j]]):
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
        return {"format": ckpt.BATCH_FORMAT, "format_version": ckpt.FORMAT_VERSION,
                "lbfgsb_version": lbfgsb.__version__,
                "solvers": [s.state_dict() for s in self._solvers]}

    @staticmethod
    def from_state(d):
        """A batch continuing the one saved by ``state_dict()``."""
        states = ckpt.check_batch_state(d)
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
        ckpt.write_npz(path, ckpt.batch_to_arrays(
            [s.state_dict() for s in self._solvers]))

    @staticmethod
    def load(path):
        """A batch continuing the one saved with ``save(path)``."""
        return BatchSolver.from_state(ckpt.read_batch_npz(path))


def _restore_batch(d):
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
