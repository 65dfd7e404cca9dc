"""The checkpoint format of ``Solver`` and ``BatchSolver``: the keys of a
state, their checks, and the ``.npz`` files.

A ``Solver`` state (``Solver.state_dict``) is a flat dict of numbers, strings
and numpy arrays: the options, SciPy's counters, the task strings and every
array ``setulb`` works on (docs/API.md lists them).  ``check_solver_state``
turns any mapping into checked private copies, or raises ``ValueError``
naming what is wrong; ``Solver.from_state`` binds a run to them.  A batch
state is ``{"format", "format_version", "lbfgsb_version", "solvers": [...]}``
with one solver state per problem.  In an ``.npz`` file the text fields are
uint8 arrays and a batch's problem ``i`` has its keys prefixed ``p{i}.``, so
the file reads with ``np.load(path, allow_pickle=False)``.

Adding a field: put it in the table of its type below (``_INT_KEYS``,
``_FLOAT_KEYS``, ``_TEXT_KEYS``, ``ARRAY_KEYS``) with its check, write it in
``Solver.state_dict`` and read it in ``Solver.from_state``; bump
``FORMAT_VERSION`` when old files cannot be read any more.
"""

import os
import zipfile
from collections.abc import Mapping

import numpy as np

from lbfgsb import _rcomm
from lbfgsb.port.status import flavour_label, scipy_codes_from_task
from lbfgsb.port.kernels import KERNELS

FORMAT = "lbfgsb.Solver"
BATCH_FORMAT = "lbfgsb.BatchSolver"
FORMAT_VERSION = 2
#: versions this reader accepts: 1 has no "kernels" entry (its runs used
#: SciPy's kernels, the only ones then); 2 adds it
READ_VERSIONS = (1, 2)
TASK_LEN = 60       # the Fortran's task strings (character*60)

ARRAY_KEYS = {
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
               + _INT_KEYS + _FLOAT_KEYS + _TEXT_KEYS + tuple(ARRAY_KEYS))


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
    dtype, length = ARRAY_KEYS[key]
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


def check_solver_state(d):
    """Checked, private copies of everything a Solver needs (a dict), from
    a mapping written by ``Solver.state_dict``; ``ValueError`` otherwise."""
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
    if version not in READ_VERSIONS:
        raise ValueError(
            f"checkpoint format version {version} is not supported: this "
            f"lbfgsb reads versions {READ_VERSIONS}")
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
    # kernels: new in version 2 (version 1 runs used SciPy's kernels)
    if version >= 2 and "kernels" not in d:
        raise ValueError("checkpoint: missing entries ['kernels']")
    kernels = d["kernels"] if version >= 2 else "scipy"
    if isinstance(kernels, np.ndarray):
        kernels = kernels.item()
    if kernels not in KERNELS:
        raise ValueError(f"checkpoint: unknown kernels {kernels!r}")
    s["kernels"] = kernels
    n, m = s["n"], s["m"]
    if n < 1 or m < 1:
        raise ValueError(f"checkpoint: n={n} and m={m} must be positive")
    if s["maxls"] < 1:
        raise ValueError(f"checkpoint: maxls must be positive, got {s['maxls']}")
    for k in ("maxiter", "maxfun"):     # thresholds: 0 for maxiter <= 0 (as SciPy)
        if s[k] < 0:
            raise ValueError(f"checkpoint: {k} must be non-negative, got {s[k]}")
    if s["nit"] < 0 or s["nfev"] < 0:
        raise ValueError("checkpoint: nit and nfev must be non-negative")
    # factr and pgtol: any double, as minimize takes them (a negative factr
    # ends the run at START with setulb's own error)
    s.update({k: _state_array(d, k, n, m) for k in ARRAY_KEYS})
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
                  s["maxls"], flavour=flavour, kernels=kernels)
    return s


def to_arrays(d, prefix=""):
    """A state dict as numpy arrays for ``np.savez`` (no pickled objects)."""
    out = {}
    for k, v in d.items():
        if k in _TEXT_KEYS:
            v = np.frombuffer(v, np.uint8)
        out[prefix + k] = np.asarray(v)
    return out


def from_arrays(z, prefix=""):
    """The state under ``prefix`` of arrays read from an ``.npz`` file."""
    d = {}
    for k in z.files if hasattr(z, "files") else z:
        if k.startswith(prefix) and "." not in k[len(prefix):]:
            v = z[k]
            d[k[len(prefix):]] = v.item() if v.ndim == 0 else v
    return d


def write_npz(path, arrays):
    """Write arrays to ``path`` (a name, used as given, or a binary file
    object) as ``.npz``; a named file is replaced atomically."""
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


def read_npz(path):
    """The arrays of an ``.npz`` file, as a dict."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"not an lbfgsb checkpoint file: {exc}") from None


def check_batch_state(d):
    """The list of solver states of a batch state (its format checked)."""
    try:
        fmt, version, states = d["format"], d["format_version"], d["solvers"]
    except (KeyError, TypeError, IndexError):
        raise ValueError("not a BatchSolver checkpoint (see "
                         "BatchSolver.state_dict)") from None
    if fmt != BATCH_FORMAT:
        raise ValueError(f"checkpoint: format {fmt!r} is not {BATCH_FORMAT!r}")
    if version not in READ_VERSIONS:
        raise ValueError(
            f"checkpoint format version {version} is not supported: this "
            f"lbfgsb reads versions {READ_VERSIONS}")
    return list(states)


def batch_to_arrays(states):
    """A batch's solver states as the arrays of one ``.npz`` file.

    The problems of a batch share n and m, so each field is stored once for
    all of them, stacked along a first axis of length B (``s.<field>``,
    ``layout = "stacked"``): a few dozen arrays whatever B, which numpy
    reads and writes fast.  Problems of different sizes (a batch put
    together with ``from_state``) are stored one by one instead
    (``p<i>.<field>``, the layout of the first files).
    """
    arrays = {"format": np.asarray(BATCH_FORMAT),
              "format_version": np.asarray(FORMAT_VERSION),
              "B": np.asarray(len(states))}
    per_problem = [to_arrays(s) for s in states]
    try:
        stacked = {f"s.{k}": np.stack([a[k] for a in per_problem])
                   for k in (per_problem[0] if per_problem else ())}
    except (KeyError, ValueError):          # fields or shapes differ
        for i, a in enumerate(per_problem):
            arrays.update({f"p{i}.{k}": v for k, v in a.items()})
        return arrays
    arrays["layout"] = np.asarray("stacked")
    arrays.update(stacked)
    return arrays


def read_batch_npz(path):
    """The batch state saved in an ``.npz`` file by ``BatchSolver.save``
    (either layout)."""
    z = read_npz(path)
    try:
        B = int(z["B"])
        if "layout" in z and z["layout"].item() == "stacked":
            fields = {k[2:]: v for k, v in z.items() if k.startswith("s.")}
            if any(v.shape[:1] != (B,) for v in fields.values()):
                raise ValueError("stacked fields of the wrong length")
            states = [{k: v[i].item() if v.ndim == 1 else v[i]
                       for k, v in fields.items()} for i in range(B)]
        else:
            by_problem = {}             # one pass over the keys
            for key, v in z.items():
                head, dot, field = key.partition(".")
                if dot and head[:1] == "p" and head[1:].isdigit() and "." not in field:
                    by_problem.setdefault(int(head[1:]), {})[field] = (
                        v.item() if v.ndim == 0 else v)
            states = [by_problem[i] for i in range(B)]
        return {"format": z["format"].item(),
                "format_version": int(z["format_version"]),
                "solvers": states}
    except (KeyError, ValueError, TypeError, IndexError):
        raise ValueError("not a BatchSolver checkpoint file") from None
