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
import secrets
from collections.abc import Mapping

import numpy as np

from lbfgsb import _rcomm
from lbfgsb.port.deviations import flavour_label
from lbfgsb.port import state
from lbfgsb.port.state import scipy_codes_from_task
from lbfgsb.port.tasks import TASK_LEN, fortran_task
from lbfgsb.port.kernels import KERNELS
from lbfgsb._npzfile import NpzReader

FORMAT = "lbfgsb.Solver"
BATCH_FORMAT = "lbfgsb.BatchSolver"
FORMAT_VERSION = 2
#: versions this reader accepts: 1 has no "kernels" entry (its runs used
#: SciPy's kernels, the only ones then); 2 adds it
READ_VERSIONS = (1, 2)

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
    "iwa": (np.int32, lambda n, m: state.IWA_PER_N * n),
    "isave": (np.int32, lambda n, m: state.ISAVE_LEN),
    "dsave": (np.float64, lambda n, m: state.DSAVE_LEN),
    "lsave": (np.int32, lambda n, m: state.LSAVE_LEN),
}
_INT_KEYS = ("n", "m", "maxls", "maxiter", "maxfun", "iprint", "nit", "nfev", "have_e")
INT_MAX = 2**31 - 1         # a C int (n, m, maxls, iprint)
LONG_MAX = 2**63 - 1        # the counters and limits (nit, nfev, maxiter, maxfun)
_INT_RANGES = {"n": (1, INT_MAX), "m": (1, INT_MAX), "maxls": (1, INT_MAX),
               "maxiter": (0, LONG_MAX), "maxfun": (0, LONG_MAX),
               "iprint": (-INT_MAX - 1, INT_MAX), "nit": (0, LONG_MAX),
               "nfev": (0, LONG_MAX), "have_e": (0, 1)}
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
    lo, hi = _INT_RANGES.get(key, (-LONG_MAX - 1, LONG_MAX))
    if not lo <= v <= hi:
        raise ValueError(f"checkpoint: {key} must be between {lo} and {hi}, got {v}")
    return int(v)


def _state_float(d, key):
    v = d[key]
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v.item()
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise ValueError(f"checkpoint: {key} must be a real number, got {v!r}")
    try:
        return float(v)
    except OverflowError:
        raise ValueError(f"checkpoint: {key} is out of the float range: {v!r}") from None


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
    return fortran_task(v)


def array_lengths(n, m):
    """The length of each array of a state for (n, m) (``ARRAY_KEYS``), or
    ``ValueError`` when n and m are not those of a problem setulb can
    address."""
    for key, v in (("n", n), ("m", m)):
        lo, hi = _INT_RANGES[key]
        if not lo <= v <= hi:
            raise ValueError(f"checkpoint: {key} must be between {lo} and {hi}, got {v}")
    try:
        _rcomm.workspace_sizes(n, m)
    except ValueError as exc:
        raise ValueError(f"checkpoint: n={n}, m={m}: {exc}") from None
    return {k: length(n, m) for k, (dtype, length) in ARRAY_KEYS.items()}


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
    array_lengths(n, m)
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


def _temp_name(path):
    """A fresh, unpredictable name next to ``path`` for the file written
    before it replaces ``path``."""
    return f"{path}.{secrets.token_hex(8)}.tmp"


def _create_exclusive(path):
    """A new file next to ``path``, opened for writing: created by this call
    (``O_EXCL``, never an existing file or a link someone planted at the
    name; a name taken is drawn again).  Returns ``(name, binary file)``."""
    flags = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
             | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    for _ in range(100):
        tmp = _temp_name(path)
        try:
            fd = os.open(tmp, flags, 0o666)     # the umask applies, as for open()
        except FileExistsError:
            continue
        return tmp, os.fdopen(fd, "wb")
    raise FileExistsError(f"no free temporary name next to {path!r}")


def write_npz(path, arrays):
    """Write arrays to ``path`` (a name, used as given, or a binary file
    object) as ``.npz``; a named file is replaced atomically.

    The data go to a new file in the same directory, created exclusively
    under an unpredictable name (never through a link planted there), then
    flushed to disk and renamed over ``path`` (``os.replace``: a link at
    ``path`` itself is replaced, not followed).  A checkpoint is never half
    written, and a crash leaves the previous one."""
    if hasattr(path, "write"):
        np.savez(path, **arrays)
        return
    path = os.fspath(path)
    tmp, fh = _create_exclusive(path)
    try:
        with fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = None
    finally:
        if tmp is not None:
            os.remove(tmp)


# Reading files: only the members a state has, each with the most elements
# it may hold bounded before its data are read (lbfgsb._npzfile).
_ONE = 1                    # a 0-d number or text
_SCALAR_KEYS = tuple(k for k in _STATE_KEYS + ("kernels",)
                     if k not in ARRAY_KEYS and k not in _TEXT_KEYS)
_BATCH_KEYS = ("format", "format_version", "B", "layout")


def _item(v):
    return v.item() if v.ndim == 0 else v


def _read_state(z, prefix=""):
    """The solver state under ``prefix`` in the open file ``z``: its small
    members first, then its arrays, each bounded by the n and m read."""
    d = {}
    for k in _SCALAR_KEYS:
        if prefix + k in z.keys:
            d[k] = _item(z.read(prefix + k, _ONE))
    for k in _TEXT_KEYS:
        if prefix + k in z.keys:
            d[k] = z.read(prefix + k, TASK_LEN)
    missing = [k for k in ("n", "m") if k not in d]
    if missing:
        raise ValueError(f"checkpoint: missing entries {missing}")
    lengths = array_lengths(_state_int(d, "n"), _state_int(d, "m"))
    for k in ARRAY_KEYS:
        if prefix + k in z.keys:
            d[k] = z.read(prefix + k, lengths[k])
    return d


def _unknown_members(z, known):
    unknown = sorted(k for k in z.keys if not known(k))
    if unknown:
        raise ValueError(f"checkpoint: unknown members {unknown[:5]} (refused "
                         "unread)")


def read_npz(path):
    """The state saved by ``Solver.save`` in the ``.npz`` file ``path``
    (a name or a binary file object), read member by member: unknown
    members are refused unread, and each member's size is checked before
    its data are read (``ValueError`` naming what is wrong)."""
    with NpzReader(path) as z:
        _unknown_members(z, set(_STATE_KEYS + ("kernels",)).__contains__)
        return _read_state(z)


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
    (either layout), read as ``read_npz`` reads a solver's."""
    with NpzReader(path) as z:
        top = {}
        for k in _BATCH_KEYS:
            if k in z.keys:
                top[k] = _item(z.read(k, _ONE))
        try:
            B = top["B"]
            fmt = top["format"]
            version = top["format_version"]
        except KeyError:
            raise ValueError("not a BatchSolver checkpoint file") from None
        if isinstance(B, bool) or not isinstance(B, int) or not 0 <= B <= LONG_MAX:
            raise ValueError(f"checkpoint: B must be a non-negative integer, got {B!r}")
        fields = set(_STATE_KEYS + ("kernels",))
        if top.get("layout") == "stacked":
            _unknown_members(z, lambda k: k in _BATCH_KEYS or (
                k[:2] == "s." and k[2:] in fields))
            states = _read_stacked(z, B)
        else:
            def known(k):
                head, dot, field = k.partition(".")
                return k in _BATCH_KEYS or (
                    dot and head[:1] == "p" and head[1:].isdigit()
                    and str(int(head[1:])) == head[1:] and int(head[1:]) < B
                    and field in fields)
            _unknown_members(z, known)
            if B * 2 > len(z.keys):     # each problem has its n and m at least
                raise ValueError(f"checkpoint: B={B} problems, but the file "
                                 f"has {len(z.keys)} members")
            states = [_read_state(z, f"p{i}.") for i in range(B)]
    return {"format": fmt, "format_version": version, "solvers": states}


def _read_stacked(z, B):
    """The B solver states of a file in the stacked layout (``s.<field>``
    with a first axis of length B)."""
    d = {}
    for k in _SCALAR_KEYS:
        if "s." + k in z.keys:
            d[k] = z.read("s." + k, B)
    for k in _TEXT_KEYS:
        if "s." + k in z.keys:
            d[k] = z.read("s." + k, B * TASK_LEN)
    if B and ("n" not in d or "m" not in d):
        raise ValueError("checkpoint: missing entries ['n', 'm']")
    ns, ms = (np.unique(d[k]) if B else np.zeros(1, int) + 1 for k in ("n", "m"))
    if len(ns) != 1 or len(ms) != 1 or ns.dtype.kind not in "iu" or ms.dtype.kind not in "iu":
        raise ValueError("checkpoint: the problems of a stacked file must have "
                         "the same integer n and m")
    lengths = array_lengths(int(ns[0]), int(ms[0]))
    for k in ARRAY_KEYS:
        if "s." + k in z.keys:
            d[k] = z.read("s." + k, B * lengths[k])
    if any(v.shape[:1] != (B,) for v in d.values()):
        raise ValueError(f"checkpoint: stacked fields must have a first axis of "
                         f"length B={B}")
    return [{k: _item(v[i]) for k, v in d.items()} for i in range(B)]
