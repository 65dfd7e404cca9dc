"""Many L-BFGS-B problems on a Dask cluster (``dask.distributed``).

    from dask.distributed import Client
    import lbfgsb.dask
    client = Client(...)                      # a LocalCluster, HPC, cloud
    results = lbfgsb.dask.minimize_batch(fg_batch, X0, bounds, client=client,
                                         checkpoint_dir="ckpt")

The problems are split into contiguous partitions; each partition runs on a
worker as one ``BatchSolver`` stepping in compiled code, with the user's
``fg_batch(X, active)`` called as in process (``active`` holds the global
problem indices).  Results come back in problem order, bitwise those of
``lbfgsb.minimize_batch``.  With ``checkpoint_dir`` (a directory every
worker can read and write) each partition saves its state there (the
``BatchSolver.save`` format) as it runs and when it ends: a worker that dies
costs only the rounds since its partition's last checkpoint, and finished
partitions are never computed again.

Dask is an optional dependency (``pip install lbfgsb-cython[dask]``); it is
imported when this module's functions are called, not by ``import lbfgsb``.
"""

import hashlib
import marshal
import os
import time

import numpy as np
from scipy.optimize import Bounds, OptimizeResult

from lbfgsb import _options as opt
from lbfgsb._api import inv_hess_product
from lbfgsb._batch import BatchSolver, run_rounds
from lbfgsb._progress import Progress
from lbfgsb._solver import _solver_options

__all__ = ["minimize_batch"]


def _distributed():
    try:
        import distributed
    except ImportError:
        raise ImportError("lbfgsb.dask needs dask.distributed: pip install "
                          "'lbfgsb-cython[dask]' (or 'dask[distributed]')") from None
    return distributed


def _partition_bounds(bounds, lo, hi, B, n):
    """The bounds of problems lo..hi-1: shared bounds as they are,
    per-problem ones (a ``Bounds`` with (B, n) arrays, a (B, n, 2) array)
    sliced."""
    if isinstance(bounds, Bounds):
        lb, ub = np.asarray(bounds.lb, float), np.asarray(bounds.ub, float)
        if lb.ndim == 2 or ub.ndim == 2:
            lb = np.broadcast_to(lb, (B, n))
            ub = np.broadcast_to(ub, (B, n))
            return Bounds(lb[lo:hi].copy(), ub[lo:hi].copy())
    elif isinstance(bounds, np.ndarray) and bounds.ndim == 3:
        return bounds[lo:hi]
    return bounds


def _digest(h, obj):
    """Feed ``obj``'s bytes to the hash ``h``: an array's dtype, shape and
    data, a tuple's or list's items in turn, anything else pickled."""
    if isinstance(obj, (tuple, list)):
        h.update(f"{type(obj).__name__}{len(obj)}(".encode())
        for item in obj:
            _digest(h, item)
        h.update(b")")
    elif isinstance(obj, np.ndarray) and not obj.dtype.hasobject:
        h.update(f"array{obj.dtype.str}{obj.shape}".encode())
        h.update(np.ascontiguousarray(obj).tobytes())
    else:
        h.update(_pickled(obj))


def _pickled(obj):
    try:
        import cloudpickle as pickler
    except ImportError:
        import pickle as pickler
    return pickler.dumps(obj, protocol=5)


def _problem_digest(fg_batch, args, key, bounds, options):
    """What defines a problem set besides X0: the function (its pickled
    bytes and code, or the caller's ``key``), ``args``, the bounds and the
    solver options (not threads or window, which change no result)."""
    h = hashlib.sha256()
    if key is not None:
        if not isinstance(key, (str, bytes)):
            raise ValueError(f"key must be a str or bytes, got {type(key).__name__}")
        h.update(b"key:" + (key.encode() if isinstance(key, str) else key))
    else:
        try:
            h.update(b"function:" + _pickled(fg_batch))
        except Exception as exc:
            raise ValueError(
                "checkpoint_dir: fg_batch cannot be pickled to fingerprint the "
                f"problem ({type(exc).__name__}: {exc}); pass key= naming the "
                "problem it solves") from None
        code = getattr(fg_batch, "__code__", None)
        if code is not None:            # a function pickled by reference
            h.update(marshal.dumps(code))
    try:
        for part in (args, bounds, sorted(options.items())):
            _digest(h, part)
    except Exception as exc:
        raise ValueError(
            "checkpoint_dir: args, bounds or options cannot be pickled to "
            f"fingerprint the problem ({type(exc).__name__}: {exc})") from None
    return h


def _fingerprint(problem, X0, lo, hi):
    """A short name for one partition of one problem set (``problem``: the
    hash of ``_problem_digest``), so that a checkpoint is resumed only by a
    run of the same problems."""
    h = problem.copy()
    _digest(h, X0[lo:hi])
    h.update(f"{lo}:{hi}".encode())
    return h.hexdigest()[:16]


# The fields of a result (Solver.result), in its order; x and jac travel
# stacked, hess_inv as its stacked pairs, the others as lists.
_ORDER = ("fun", "jac", "nfev", "njev", "nit", "status", "message", "x",
          "success", "hess_inv", "task")
_ARRAYS = ("x", "jac")
_LISTS = tuple(k for k in _ORDER if k not in _ARRAYS + ("hess_inv",))


def _pack(results):
    """A partition's results as a few stacked arrays (on the worker): about
    3 times quicker to pickle and 2 times quicker to unpickle and rebuild
    than the list of results (25,000 results of n = 10: 0.27 s against
    0.86 s, and 0.42 s against 0.95 s on the client, where it is serial)."""
    pairs = [r.hess_inv for r in results]
    return {
        **{k: np.array([r[k] for r in results]) for k in _ARRAYS},
        **{k: [r[k] for r in results] for k in _LISTS},
        "corrections": [h.sk.shape[0] for h in pairs],
        "sk": np.concatenate([h.sk for h in pairs]) if pairs else None,
        "yk": np.concatenate([h.yk for h in pairs]) if pairs else None,
    }


def _unpack(packed):
    """The list of results from ``_pack`` (on the client): the same fields,
    values and types as the results in process."""
    sk, yk = packed["sk"], packed["yk"]
    out = []
    hi = 0
    for i, count in enumerate(packed["corrections"]):
        lo, hi = hi, hi + count
        hess_inv = inv_hess_product(sk[lo:hi], yk[lo:hi])
        out.append(OptimizeResult({k: hess_inv if k == "hess_inv" else packed[k][i]
                                   for k in _ORDER}))
    return out


def _solve_partition(fg_batch, X0, bounds, lo, options, args, path, every):
    """On a worker: solve problems lo.. of X0 as one BatchSolver, from the
    checkpoint at ``path`` if there is one; save there every ``every``
    seconds and at the end.  Returns the results, packed (``_pack``)."""
    if path is not None and os.path.exists(path):
        batch = BatchSolver.load(path)
        batch.threads = options.get("threads", 1)
        if options.get("window") is not None:
            batch.window = options["window"]
    else:
        batch = BatchSolver(X0, bounds, **options)
    if path is None:
        run_rounds(batch, fg_batch, args, offset=lo)
        return _pack(batch.results())
    last = [time.monotonic()]

    def save_now_and_then(finished):
        # a finished batch is saved once, below (a file read as finished is
        # never rewritten)
        if not batch.done and time.monotonic() - last[0] >= every:
            batch.save(path)
            last[0] = time.monotonic()
    run_rounds(batch, fg_batch, args, offset=lo, on_round=save_now_and_then)
    batch.save(path)        # the finished partition: never computed again
    return _pack(batch.results())


def minimize_batch(fg_batch, X0, bounds=None, *, client=None, partitions=None,
                   checkpoint_dir=None, checkpoint_every=10.0, progress=None,
                   args=(), key=None, **options):
    """Minimize B independent problems on a Dask cluster.

    Parameters
    ----------
    fg_batch : callable
        As for ``lbfgsb.minimize_batch``: ``fg_batch(X, active, *args) ->
        (F, G)`` with ``active`` the global problem indices of the rows of
        X.  Shipped to the workers unchanged (it must pickle, e.g. with
        cloudpickle, as any Dask task).
    X0 : array_like, shape (B, n)
    bounds : optional
        Shared or per problem, as for ``lbfgsb.minimize_batch``.
    client : distributed.Client, optional
        The cluster; default: the current client (``distributed.get_client``).
    partitions : int, optional
        Into how many contiguous partitions the problems are split (one
        task each); default: twice the cluster's worker threads, at most B.
    checkpoint_dir : str or path, optional
        A directory every worker can reach.  Each partition saves its state
        there (``BatchSolver.save`` format, named by the partition and a
        fingerprint of its problems) every ``checkpoint_every`` seconds and
        when it ends; a partition that is run again (its worker died, or the
        whole call is repeated) resumes from its file.  The fingerprint
        covers the partition's X0, the bounds, the options, ``args`` and the
        function (its pickled bytes and code, or ``key``): a call that
        differs in any of them starts afresh, never resuming another
        problem's run.  The files stay after the run (delete them to solve
        afresh).
    checkpoint_every : float, default 10.0
        Seconds between checkpoints of a running partition (0: each round).
    progress : bool or None, default None
        A progress bar of finished problems (counted as partitions end);
        None: only when stderr is a terminal.
    args : tuple
        Extra arguments of ``fg_batch``.
    key : str or bytes, optional
        With ``checkpoint_dir``: names the function's problem in the
        fingerprint instead of its pickled bytes (needed when ``fg_batch``
        cannot be pickled; lets a rewritten but equivalent function resume).
        The same key must mean the same function: ``args`` and the rest are
        still fingerprinted.
    **options
        As for ``lbfgsb.minimize_batch`` (``threads`` and ``window`` apply
        to each partition's ``BatchSolver`` on its worker).

    Returns
    -------
    list of OptimizeResult
        In problem order; bitwise those of ``lbfgsb.minimize_batch``.

    X0, bounds and options are converted on the client, as
    ``lbfgsb.minimize_batch`` converts them (``minimize``'s policy, with
    ``Solver``'s limits: float64 evaluation only, no problem with every
    variable fixed, real ``maxiter``/``maxfun``), so that bad arguments raise
    here and not on a worker.
    """
    distributed = _distributed()
    X0 = np.asarray(X0)
    if X0.ndim != 2 or X0.shape[1] == 0:
        raise ValueError(f"X0 must have shape (B, n) with n >= 1, got {X0.shape}")
    B, n = X0.shape
    # bad arguments raise here, as lbfgsb.minimize_batch raises them, not on
    # a worker (the same conversions: lbfgsb._options)
    X0 = opt.float64_x0(X0.ravel(), "lbfgsb.dask.minimize_batch").reshape(B, n)
    X0 = np.array(X0, dtype=np.float64)
    if not isinstance(args, tuple):
        args = (args,)
    solver_opts = {k: v for k, v in options.items() if k not in ("threads", "window")}
    checked = _solver_options(n, **solver_opts)    # bad options raise here, not on a worker
    opt.run_bounds(bounds, n, B, "lbfgsb.dask.minimize_batch")
    if client is None:
        try:
            client = distributed.get_client()
        except ValueError:
            raise ValueError("no Dask client: pass client= or create a "
                             "distributed.Client first") from None
    if partitions is None:
        nthreads = sum(client.nthreads().values()) or 1
        partitions = 2 * nthreads
    partitions = int(partitions)
    if partitions < 1:
        raise ValueError(f"partitions must be a positive integer, got {partitions}")
    partitions = max(1, min(partitions, B))
    edges = np.linspace(0, B, partitions + 1).round().astype(int)
    if checkpoint_dir is not None:
        checkpoint_dir = os.fspath(checkpoint_dir)
        problem = _problem_digest(fg_batch, args, key, bounds, checked)
        os.makedirs(checkpoint_dir, exist_ok=True)
    every = float(checkpoint_every)
    futures = {}
    for p in range(partitions):
        lo, hi = int(edges[p]), int(edges[p + 1])
        path = None
        if checkpoint_dir is not None:
            name = f"part{p:05d}-{lo}-{hi}-{_fingerprint(problem, X0, lo, hi)}.npz"
            path = os.path.join(checkpoint_dir, name)
        fut = client.submit(_solve_partition, fg_batch, X0[lo:hi],
                            _partition_bounds(bounds, lo, hi, B, n), lo,
                            options, args, path, every, pure=False)
        futures[fut] = p
    parts = [None] * partitions
    with Progress(B, progress) as bar:
        done = 0
        for fut in distributed.as_completed(list(futures)):
            p = futures.pop(fut)
            parts[p] = _unpack(fut.result())   # on the client: a dead worker cannot lose it
            fut.release()
            done += len(parts[p])
            bar.update(done)
    return [r for part in parts for r in part]
