"""The runs of ``lbfgsb.diagnose``: one variant of a problem, recorded, here
or in a child process with another OpenBLAS core type.

A run is ``lbfgsb.minimize`` itself (so its outcome is what the user would
get) with the user's ``fun``/``jac`` wrapped by a :class:`Recorder`, which
notes every call: its kind, a hash of x, a hash of what the objective
returned, f.  Two runs part at the first entry where the records differ;
the same x with other f, g bits means the objective's own arithmetic
differs between the two settings.

Child processes (``python -P -c ...``) get the problem by pickling (with
cloudpickle when it is installed, so that lambdas and closures travel) or,
from the command line, as ``MODULE:FUNCTION``; ``OPENBLAS_CORETYPE`` is set
in their environment before NumPy loads, so the objective's BLAS takes the
core type too, as on such a machine.  Every child has a timeout.
"""

import hashlib
import math
import os
import pickle
import subprocess
import sys
import tempfile
import time

import numpy as np

#: the OpenBLAS core types tried, with the CPU flags (Linux /proc/cpuinfo)
#: their kernels need
CORETYPES = {"Prescott": ("pni",), "Nehalem": ("ssse3", "sse4_2"),
             "Sandybridge": ("avx",), "Haswell": ("avx2", "fma"),
             "SkylakeX": ("avx512f", "avx512dq", "avx512bw", "avx512vl")}

#: float64 numbers of x and of the objective's outputs kept per run (the
#: hashes are always kept)
STORE_BUDGET = 200_000


class ObjectiveError(Exception):
    """The user's objective raised (carries the original exception), told
    apart from what ``minimize`` itself refuses."""

    def __init__(self, exc):
        super().__init__("%s: %s" % (type(exc).__name__, exc))
        self.original = exc


class Replayed(Exception):
    """A replay has seen what it needed (see :class:`Recorder` ``target``)."""


def _hash(a):
    return hashlib.blake2b(a.tobytes(), digest_size=12).digest()


def _as_f64(v):
    """v as a float64 array for hashing (None when it is not numeric)."""
    try:
        return np.array(v, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return None


class Recorder:
    """Wraps ``fun`` and ``jac`` so that every call is recorded.

    ``entries``: one ``(kind, x hash, output hash, f)`` per call, kind
    ``"f"`` (fun), ``"fg"`` (fun with ``jac=True``) or ``"g"`` (jac);
    ``xs``/``outs``: copies of x and of the output while ``STORE_BUDGET``
    lasts (else None); ``marks``: the number of entries at each iteration
    (from the callback).  With ``target`` (the entries of another run, and
    how many must match), the run stops by :class:`Replayed` at its first
    entry that differs from the target or once enough have matched.
    """

    def __init__(self, fun, jac, target=None, budget=STORE_BUDGET, callback=None):
        from scipy.optimize._optimize import _wrap_callback
        self.entries, self.xs, self.outs, self.marks = [], [], [], []
        self.user_callback = None if callback is None else _wrap_callback(callback)
        self.target = target
        self.budget = budget
        self.matched = 0
        self.fun = self._wrap(fun, "fg" if jac is True else "f")
        self.jac = self._wrap(jac, "g") if callable(jac) else jac

    def _wrap(self, fn, kind):
        def wrapped(x, *args):
            try:
                out = fn(x, *args)
            except Replayed:
                raise
            except Exception as exc:            # noqa: BLE001  (the user's)
                raise ObjectiveError(exc) from exc
            self._note(kind, x, out)
            return out
        return wrapped

    def _note(self, kind, x, out):
        xa = np.array(x, dtype=np.float64).ravel()
        if kind == "fg" and isinstance(out, tuple) and len(out) == 2:
            fa, ga = _as_f64(out[0]), _as_f64(out[1])
            oa = None if fa is None or ga is None else np.concatenate([fa, ga])
            f = fa
        else:
            oa = f = _as_f64(out)
        fval = float(f[0]) if f is not None and f.size == 1 and kind != "g" else math.nan
        entry = (kind, _hash(xa), _hash(oa) if oa is not None else repr(out), fval)
        k = len(self.entries)
        self.entries.append(entry)
        if oa is not None and self.budget >= xa.size + oa.size:
            self.budget -= xa.size + oa.size
            self.xs.append(xa)
            self.outs.append(oa)
        else:
            self.xs.append(None)
            self.outs.append(None)
        if self.target is not None:
            entries, need = self.target
            if k >= len(entries) or entries[k][:3] != entry[:3]:
                raise Replayed()
            self.matched = k + 1
            if self.matched >= need:
                raise Replayed()

    def callback(self, intermediate_result):
        self.marks.append(len(self.entries))
        if self.user_callback is not None:
            self.user_callback(intermediate_result)


def run_variant(problem, flavour, kernels, target=None):
    """``lbfgsb.minimize`` on ``problem`` (a dict: fun, x0, args, jac,
    bounds, options) with ``flavour`` and ``kernels``, recorded.

    Returns a dict: x, fun, nit, nfev, status, message, task, error (the
    objective's exception as text, or None), seconds, entries, xs, outs,
    marks, matched (entries that matched ``target``; ``replayed`` True when
    the run was stopped by it).  What ``minimize`` refuses is raised.
    """
    from lbfgsb._api import minimize
    options = dict(problem["options"], flavour=flavour, kernels=kernels)
    rec = Recorder(problem["fun"], problem["jac"], target=target,
                   callback=options.pop("callback", None))
    out = {"error": None, "replayed": False}
    t0 = time.perf_counter()
    try:
        res = minimize(rec.fun, problem["x0"], args=problem["args"], jac=rec.jac,
                       bounds=problem["bounds"], callback=rec.callback,
                       **options)
        out.update(x=np.asarray(res.x, dtype=np.float64), fun=float(res.fun),
                   nit=int(res.nit), nfev=int(res.nfev), status=int(res.status),
                   message=str(res.message), task=str(res.get("task", res.message)))
    except Replayed:
        out.update(replayed=True, x=None, fun=math.nan, nit=None, nfev=None, status=None,
                   message="(replay stopped)", task=None)
    except ObjectiveError as exc:
        out.update(error=str(exc), x=None, fun=math.nan, nit=len(rec.marks),
                   nfev=None, status=None, message="the objective raised " + str(exc),
                   task=None)
    out.update(seconds=time.perf_counter() - t0, entries=rec.entries, xs=rec.xs,
               outs=rec.outs, marks=rec.marks, matched=rec.matched)
    return out


# ---------------------------------------------------------------------------
# core types and child processes

def runnable_coretypes(wanted=None):
    """(runnable, skipped) core types: ``wanted`` (None: all of
    :data:`CORETYPES`) split by what this CPU can run; ``skipped`` is a
    list of (core type, reason)."""
    if isinstance(wanted, str):
        wanted = [wanted]
    names = list(CORETYPES) if wanted is None else list(wanted)
    flags = None
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    ok, skipped = [], []
    for c in names:
        if c not in CORETYPES:
            skipped.append((c, "not a core type diagnose knows (%s)" % ", ".join(CORETYPES)))
        elif flags is None:
            skipped.append((c, "this CPU's features are unknown (no x86 /proc/cpuinfo)"))
        elif not set(CORETYPES[c]) <= flags:
            skipped.append((c, "this CPU cannot run its kernels (needs %s)"
                            % ", ".join(sorted(set(CORETYPES[c]) - flags))))
        else:
            ok.append(c)
    return ok, skipped


def pack_problem(problem):
    """(bytes, None) of ``problem`` pickled, or (None, reason)."""
    try:
        import cloudpickle
        dumps = cloudpickle.dumps
    except ImportError:
        dumps = pickle.dumps
    try:
        return dumps(problem), None
    except Exception as exc:                            # noqa: BLE001
        return None, "the problem cannot be pickled (%s: %s)" % (type(exc).__name__, exc)


def _package_root():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Child:
    """One child process running some variants under ``OPENBLAS_CORETYPE``."""

    def __init__(self, coretype, runs, payload, timeout):
        self.coretype, self.runs, self.timeout = coretype, runs, timeout
        fd, self.path = tempfile.mkstemp(prefix="lbfgsb-diagnose-", suffix=".pkl")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(dict(payload, runs=runs, out=self.path), fh)
        env = dict(os.environ, OPENBLAS_CORETYPE=coretype)
        env["PYTHONPATH"] = os.pathsep.join([_package_root()] + [
            p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
        self.log = tempfile.TemporaryFile()
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-P", "-c",
             "import sys; from lbfgsb._diagnose_run import child_main; "
             "child_main(sys.argv[1])", self.path],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def poll(self):
        """None while running; else {(flavour, kernels): record} or a reason text."""
        rc = self.proc.poll()
        if rc is None:
            if time.monotonic() - self.t0 <= self.timeout:
                return None
            self.proc.kill()
            self.proc.wait()
            return self._done("timed out after %.0f s" % self.timeout)
        if rc != 0:
            self.log.seek(0)
            tail = self.log.read().decode(errors="replace").strip().splitlines()[-3:]
            why = ("killed by signal %d (this CPU cannot run these kernels?)" % -rc
                   if rc < 0 else "the child process failed (exit %d)" % rc)
            return self._done(why + (": " + " | ".join(tail) if tail else ""))
        try:
            with open(self.path, "rb") as fh:
                out = pickle.load(fh)
        except Exception as exc:                        # noqa: BLE001
            return self._done("no result from the child process (%s)" % exc)
        return self._done(out)

    def stop(self):
        """Kill the child (started here) and clean up."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._done(None)

    def _done(self, out):
        self.log.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass
        return out


def child_main(path):
    """The child's side: read the payload at ``path``, run, write the results."""
    with open(path, "rb") as fh:
        payload = pickle.load(fh)
    sys.path[:] = payload["sys_path"]
    try:
        if payload.get("spec"):
            from lbfgsb._userproblem import problem_from_spec
            problem = problem_from_spec(payload["spec"], payload["n"], payload["options"])
        else:
            problem = pickle.loads(payload["problem"])
    except Exception as exc:                            # noqa: BLE001
        out = "the problem could not be loaded here (%s: %s)" % (type(exc).__name__, exc)
    else:
        out = {}
        for flavour, kernels in payload["runs"]:
            try:
                out[flavour, kernels] = run_variant(problem, flavour, kernels)
            except Exception as exc:                    # noqa: BLE001
                out[flavour, kernels] = "minimize raised %s: %s" % (type(exc).__name__, exc)
    with open(path, "wb") as fh:
        pickle.dump(out, fh)
