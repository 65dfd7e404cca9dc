"""Many independent L-BFGS-B problems in lock-step: ``BatchSolver`` and
``minimize_batch``.

Each problem is a ``Solver`` (``_solver.pyx``); the batch asks for the
points of its running problems as rows of one array, takes their f and g
from one vectorised call, and steps every problem's ``setulb`` in compiled
code without the GIL (``run_tell``), on one or more threads.  A problem's
iterates are those it makes alone, bit for bit.
"""

import os

import numpy as np

from cython.parallel cimport prange
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy

from lbfgsb import _options as opt
from lbfgsb import _rcomm
from lbfgsb import _checkpoint as ckpt
from lbfgsb._progress import Progress
from lbfgsb._solver import _real_array, _solver_options
from lbfgsb._run cimport Run, run_tell, running
from lbfgsb._solver cimport Solver, new_solver


cdef class BatchSolver:
    """B independent L-BFGS-B problems of the same size n, in lock-step.

    Parameters
    ----------
    X0 : array_like, shape (B, n)
        The initial points (each clipped to its bounds).
    bounds : optional
        Shared by all problems: what ``minimize`` takes (None, a ``Bounds``
        with scalar or (n,) arrays, (min, max) pairs, one pair for all).
        Per problem: a ``Bounds`` with (B, n) arrays, or an array of shape
        (B, n, 2).
    threads : int, default 1
        Threads stepping the problems in ``tell()`` (see ``threads``).
    window : int or None, default None
        At most this many problems are stepped together (see ``window``);
        None: chosen from n, m, the threads and the CPU's cache sizes.
    **options
        As for ``Solver`` (shared by all problems).

    ``ask()`` returns the points of the first ``window`` problems still
    running (in problem order), as rows of a (k, n) array; ``active`` holds
    their problem indices.  ``tell(F, G)`` takes f (k,) and g (k, n) for
    those rows and steps each problem's ``setulb`` in compiled code without
    the GIL.  When a problem ends, the next one waiting takes its place in
    the next round.  Each problem makes exactly the iterates it would make
    alone, whatever the window and the threads.

    Each row of X0, the bounds and the options are converted as
    ``minimize`` converts them (``lbfgsb._options``: the same values
    accepted, the same exceptions), with ``Solver``'s limits: float64
    evaluation only, no problem with every variable fixed, ``maxiter`` and
    ``maxfun`` real numbers.
    """

    cdef list _solvers
    cdef Run** _runs
    cdef int _B, _n
    cdef object _active
    cdef bint _asked
    cdef int _threads       # threads stepping the problems in tell()
    cdef int _window        # most problems stepped per round
    cdef bint _auto_window  # _window chosen by _auto_window_size
    # The window: _win[0:_k] are the problems being stepped (increasing);
    # every running problem below _next is among them, none from _next on.
    cdef int* _win
    cdef int _k, _next

    def __cinit__(self):
        self._runs = NULL
        self._win = NULL
        self._threads = 1
        self._window = 1

    def __dealloc__(self):
        free(self._runs)
        free(self._win)

    def __init__(self, X0, bounds=None, threads=1, window=None, **options):
        self.threads = threads
        X0 = np.asarray(X0)
        if X0.ndim != 2:
            raise ValueError(f"X0 must have shape (B, n), got {X0.shape}")
        B, n = X0.shape
        if n == 0:
            raise ValueError("the problems must have at least one variable")
        # each row as minimize takes x0 (a float64 run)
        X0 = opt.float64_x0(X0.ravel(), "BatchSolver").reshape(B, n)
        opts = _solver_options(n, **options)
        lohi = opt.run_bounds(bounds, n, B, "BatchSolver")
        if lohi is not None:
            X0 = np.clip(X0, lohi[0], lohi[1])
        X0 = np.array(X0, dtype=np.float64)
        solvers = []
        for i in range(B):
            if lohi is None:
                l, u, nbd = opt.lbfgsb_arrays(None, n)
            elif i == 0 or lohi[0].shape[0] > 1:
                j = i if lohi[0].shape[0] > 1 else 0
                l, u, nbd = opt.lbfgsb_arrays((lohi[0][j], lohi[1][j]), n)
            else:               # shared bounds: one set of arrays, copied
                l, u, nbd = l.copy(), u.copy(), nbd.copy()
            solvers.append(new_solver(X0[i].copy(), l, u, nbd, opts))
        self._attach(solvers, n)
        self.window = window

    cdef _attach(self, list solvers, int n):
        self._solvers = solvers
        self._B = len(solvers)
        self._n = n
        self._runs = <Run**>malloc(max(self._B, 1) * sizeof(Run*))
        self._win = <int*>malloc(max(self._B, 1) * sizeof(int))
        if self._runs == NULL or self._win == NULL:
            raise MemoryError()
        self._k = 0
        self._next = 0
        self._window = max(self._B, 1)
        self._auto_window = False
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
        return self._fill() == 0

    cdef int _fill(self) noexcept:
        """Drop the problems that ended from the window; let the next ones
        waiting in (first come, first served by problem index); returns the
        window's size."""
        cdef int j, k = 0
        for j in range(self._k):
            if running(self._runs[self._win[j]]):
                self._win[k] = self._win[j]
                k += 1
        while k < self._window and self._next < self._B:
            if running(self._runs[self._next]):
                self._win[k] = self._next
                k += 1
            self._next += 1
        self._k = k
        return k

    @property
    def threads(self):
        """How many threads step the problems in ``tell()`` (OpenMP; 1 by
        default).  Each problem is stepped by one thread from start to its
        next request, so the iterates do not depend on this number."""
        return self._threads

    @threads.setter
    def threads(self, value):
        self._threads = opt.positive_int(value, "threads")
        if self._auto_window:
            self._window = _auto_window_size(self._n, self._m(), self._threads, self._B)

    @property
    def window(self):
        """The most problems stepped together: ``ask()`` gives the first
        ``window`` problems still running (by problem index).  Problems
        outside the window wait, untouched; a small window keeps the
        workspaces of the problems being stepped in the CPU's caches, a
        large one makes fewer, larger calls of the function.  Set it to an
        int >= 1, or to None for the automatic choice (see docs/API.md).
        The iterates do not depend on it."""
        return self._window

    @window.setter
    def window(self, value):
        if self._asked:
            raise RuntimeError("the window cannot change between ask() and tell()")
        if value is None:
            self._auto_window = True
            self._window = _auto_window_size(self._n, self._m(), self._threads, self._B)
        else:
            self._auto_window = False
            self._window = opt.positive_int(value, "window")
        # the window is "the first `window` running problems": rebuild it
        self._k = 0
        self._next = 0

    cdef int _m(self):
        return self._runs[0].m if self._B else 1

    @property
    def active(self):
        """Problem indices of the rows of the last ``ask()`` (increasing)."""
        return self._active.copy()

    def ask(self):
        """The points (k, n) of the first k <= ``window`` problems still
        running, in increasing problem order (see ``active``).  Raises
        ``RuntimeError`` when all are done."""
        cdef int j, k = self._fill(), n = self._n
        active = np.empty(k, np.intp)
        cdef Py_ssize_t[::1] act = active
        for j in range(k):
            act[j] = self._win[j]
        if k == 0:
            raise RuntimeError("every problem of the batch is done; nothing to ask")
        X = np.empty((k, n), np.float64)
        cdef double[:, ::1] Xv = X
        with nogil:
            for j in range(k):
                memcpy(&Xv[j, 0], self._runs[act[j]].x, n * sizeof(double))
        self._active = active
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
        cdef double[::1] Fv = _rows(F, (k,), "F (the f values)")
        cdef double[:, ::1] Gv = _rows(G, (k, n), "G (the gradients)")
        for j in range(k):
            if not running(self._runs[act[j]]):
                raise RuntimeError(f"problem {act[j]} was driven outside the "
                                   "batch; the batch cannot continue")
        self._asked = False
        cdef Run* r
        cdef int nt = self._threads if self._threads < k else k
        if <double>k * n * self._m() < _PARALLEL_WORK:
            nt = 1          # too little work to pay for waking a second thread
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
        self._asked = False     # (the window drops them at the next ask)

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
        self.window = None
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


cdef inline object _rows(a, tuple shape, str name):
    """``_real_array`` with a fast path for what a vectorised function
    usually returns (a float64 C-contiguous array of the right shape)."""
    if (type(a) is np.ndarray and (<object>a).dtype is _F64
            and (<object>a).shape == shape and (<object>a).flags.c_contiguous):
        return a
    return _real_array(a, shape, name)


_F64 = np.dtype(np.float64)

# A round is stepped on several threads only when k * n * m reaches this
# (a step costs roughly 5 m n ns, so about 5 ms of work per round), and the
# automatic window grows to reach it when threads > 1: a thread the OS does
# not schedule at once holds the whole round at the OpenMP barrier for up to
# a time slice (measured on a shared two-core machine, n = 10, 100,000
# problems, rounds of 0.2 ms: threads=2 took 138 s against 22 s for one).
cdef double _PARALLEL_WORK = 1e6


def _set_parallel_work(double work):
    """Set the parallel threshold (tests set 0 so that even small rounds
    run on several threads); returns the previous value."""
    global _PARALLEL_WORK
    old = _PARALLEL_WORK
    _PARALLEL_WORK = work
    return old


def _read_cache_sizes():
    """(L2 of a core, L3) in bytes, from Linux's /sys (Python's os.sysconf
    often lacks the cache names); 1 MB and 32 MB where unknown."""
    sizes = {}
    base = "/sys/devices/system/cpu/cpu0/cache"

    def read(entry, name):
        with open(os.path.join(base, entry, name)) as f:
            return f.read().strip()
    try:
        for entry in os.listdir(base):
            if entry.startswith("index") and read(entry, "type") != "Instruction":
                text = read(entry, "size")
                scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
                sizes[int(read(entry, "level"))] = int(text.rstrip("KMG")) * scale
    except (OSError, ValueError):
        pass
    l2 = sizes.get(2, 1 << 20)
    return l2, sizes.get(3, 32 * l2)


_CACHES = None


def _cache_sizes():
    global _CACHES
    if _CACHES is None:
        _CACHES = _read_cache_sizes()
    return _CACHES


def _problem_bytes(n, m):
    """The memory one problem's round touches: its workspace and vectors,
    and its rows of X and G with a few temporaries of the user's function."""
    lwa, liwa, lisave, ldsave, llsave = _rcomm.workspace_sizes(n, m)
    return 8 * (lwa + ldsave + 12 * n) + 4 * (liwa + lisave + llsave + n)


# The automatic window holds about this many L2 caches' worth of problems
# per thread (see _auto_window_size).
cdef double _WINDOW_L2S = 6.0


def _auto_window_size(n, m, threads, B):
    """The window ``BatchSolver(window=None)`` uses, at most B: the number
    of problems nearest to filling 6 times the L2 cache of a core (at least
    one).  With threads > 1: that many per thread, grown to enough problems
    for a round to be stepped in parallel (k n m >= _PARALLEL_WORK), where
    they fit in the L3 cache or are one problem per thread; else the
    one-thread window, whose rounds are too small for threads.  Smaller
    windows pay the function's per-call cost more often; larger ones leave
    the caches.
    """
    if B < 1 or n < 1:
        return 1
    l2, l3 = _cache_sizes()
    size = _problem_bytes(n, m)
    per_thread = max(1, int(round(_WINDOW_L2S * l2 / size)))
    window = per_thread
    if threads > 1:
        # a cache window per thread, grown to enough work per round to be
        # worth the threads, where that many problems fit in the L3 cache
        # (else one cache window, its rounds on one thread)
        base = per_thread * threads
        need = max(base, -(-int(_PARALLEL_WORK) // (n * m)))
        if need == base or need * size <= l3:
            window = need
    return max(1, min(B, window))


def _restore_batch(d):
    return BatchSolver.from_state(d)


def minimize_batch(fg_batch, X0, bounds=None, args=(), *, progress=None,
                   **options):
    """Minimize B independent problems by L-BFGS-B, with one vectorised
    evaluation per round.

    Parameters
    ----------
    fg_batch : callable
        ``fg_batch(X, active, *args) -> (F, G)``: X (k, n) holds the points
        of k problems still running (at most ``window`` of them), in
        increasing problem order; ``active`` (k,) their problem indices (to
        pick per-problem data); F (k,) the f values, G (k, n) the
        gradients.  Called once per round.  ``active`` is a contiguous
        range in most rounds: per-problem data sliced then
        (``C[active[0]:active[-1] + 1]``) is a view where ``C[active]``
        copies.
    X0 : array_like, shape (B, n)
    bounds : optional
        Shared or per problem, see ``BatchSolver``.
    args : tuple
        Extra arguments of ``fg_batch``.
    progress : bool or None, default None
        Show a progress bar (problems finished) on stderr; None: only when
        stderr is a terminal.
    **options
        As for ``Solver``, converted as ``minimize`` converts them, with
        ``Solver``'s limits (``BatchSolver``) (``m``/``maxcor``, ``factr``/``ftol``,
        ``pgtol``/``gtol``, ``maxls``, ``maxiter``, ``maxfun``,
        ``flavour``, ``kernels``, ``iprint``), and ``threads`` (1) and ``window``
        (None: automatic), see ``BatchSolver``.

    Returns
    -------
    list of OptimizeResult
        One per problem, as ``minimize`` returns it; each bitwise identical
        to solving that problem alone.
    """
    batch = BatchSolver(X0, bounds, **options)
    with Progress(len(batch), progress) as bar:
        run_rounds(batch, fg_batch, args, on_round=bar.update if bar.show else None)
    return batch.results()


def run_rounds(BatchSolver batch, fg_batch, args=(), offset=0, on_round=None):
    """Ask, evaluate, tell until every problem of ``batch`` is done.

    ``fg_batch(X, active + offset, *args)``; after each round
    ``on_round(finished)`` with the number of problems finished (at least).
    """
    if not isinstance(args, tuple):
        args = (args,)
    while batch._fill():
        X = batch.ask()
        out = fg_batch(X, batch._active + offset, *args)
        try:
            F, G = out
        except (TypeError, ValueError):
            raise ValueError("fg_batch must return a pair (F, G)") from None
        batch.tell(F, G)
        if on_round is not None:
            batch._fill()       # (the problems that just ended leave the window)
            on_round(batch._next - batch._k)
