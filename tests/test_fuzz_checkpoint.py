"""Hostile checkpoint files: whatever the file, ``Solver.load`` and
``BatchSolver.load`` end in a ``ValueError`` (or load a valid file), never a
crash, a ``MemoryError``, an ``OverflowError``, a zip error or a hang.

Files are valid checkpoints (one solver; a batch in the stacked layout; a
batch problem by problem) mutated by Hypothesis: members replaced by
``.npy`` data of other dtypes and shapes or by headers declaring huge
shapes over a few bytes, scalar fields set to extreme values, members
dropped, renamed or added (also a 100 MB zip bomb of ~100 KB), the archive
compressed, truncated or with bytes flipped; and paths that are links to
valid files, devices, FIFOs, directories or nothing.  A file that loads
must be usable: it is stepped a few times.

As in tests/test_fuzz.py the cases run in a child process
(``LBFGSB_FUZZ_CHILD=1``, started by ``test_hostile_checkpoints_in_child_
process_exit_cleanly``) whose address space is limited to 2 GB
(``RLIMIT_AS``): a loader that allocated what a file declares would fail
there with ``MemoryError`` instead of eating the machine.  The same profiles
(``LBFGSB_FUZZ_PROFILE``) and log (``LBFGSB_FUZZ_LOG``) apply.
"""

import functools
import io
import os
import zipfile

import numpy as np
import pytest

import lbfgsb
from lbfgsb import _checkpoint

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402

from tests.test_fuzz import CHILD, PROFILE, _log, run_fuzz_child  # noqa: E402

child_only = pytest.mark.skipif(
    not CHILD, reason="runs in the child process started by "
    "test_hostile_checkpoints_in_child_process_exit_cleanly")

AS_LIMIT = 2 * 2**30
if CHILD:
    import resource
    _soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (
        AS_LIMIT if _hard == resource.RLIM_INFINITY else min(AS_LIMIT, _hard), _hard))


def test_hostile_checkpoints_in_child_process_exit_cleanly():
    if CHILD:
        pytest.skip("already in the child")
    run_fuzz_child(__file__, "fuzz_ or corpus_")


# ---------------------------------------------------------------------------
# valid files to start from

def _step(obj, rounds=3):
    """A few ask/tell rounds of a quartic (a loaded object must be usable)."""
    for _ in range(rounds):
        if obj.done:
            return
        if isinstance(obj, lbfgsb.BatchSolver):
            X = obj.ask()
            obj.tell(np.sum((X - 0.5) ** 4, axis=1), 4 * (X - 0.5) ** 3)
        else:
            x = obj.ask()
            obj.tell(float(np.sum((x - 0.5) ** 4)), 4 * (x - 0.5) ** 3)


def _solver(n, m, steps):
    s = lbfgsb.Solver(np.linspace(-1, 2, n), m=m)
    _step(s, steps)
    return s


@functools.cache
def _valid(kind):
    """The members (name -> .npy bytes) of a valid file of ``kind``."""
    if kind == "solver":
        arrays = _checkpoint.to_arrays(_solver(4, 3, 3).state_dict())
    else:
        ms = (3, 3, 3) if kind == "stacked" else (3, 4, 2)     # other m: per problem
        arrays = _checkpoint.batch_to_arrays(
            [_solver(4, m, k).state_dict() for k, m in enumerate(ms)])
        assert ("layout" in arrays) == (kind == "stacked")
    return {k + ".npy": _npy(v) for k, v in arrays.items()}


def _npy(a):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(a), allow_pickle=False)
    return buf.getvalue()


def _header(shape, descr, data):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue() + data


def _zip(members, compress):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compress) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


@functools.cache
def _bomb(kind, name):
    """A valid file of ``kind`` with member ``name`` a deflated .npy of
    100 MB of zeros (~100 KB in the file)."""
    members = dict(_valid(kind))
    members[name] = _header((12_500_000,), "<f8", bytes(100_000_000))
    return _zip(members, zipfile.ZIP_DEFLATED)


# ---------------------------------------------------------------------------
# mutations

_HUGE = [2**31 - 1, 2**31, 2**32 + 3, 2**40, 2**62, 2**63 - 1]
_INTS = [-2**63, -2**31 - 1, -1, 0, 1, 2, 3, 4, 10**8] + _HUGE
_SCALARS = ["n", "m", "maxls", "maxiter", "maxfun", "iprint", "nit", "nfev", "have_e",
            "B", "format_version", "f", "factr", "pgtol"]
_DTYPES = ["<f8", "<i4", "<i8", "|u1", "<f4", ">f8", "<c16", "|b1", "<U5", "<u8"]


def _shapes(k):
    return st.one_of(st.just(()), st.tuples(st.integers(0, 3 * k + 2)),
                     st.tuples(st.integers(0, 4), st.integers(0, 3 * k + 2)),
                     st.tuples(st.sampled_from(_HUGE)),
                     st.tuples(st.integers(1, 4), st.sampled_from(_HUGE)))


@st.composite
def _mutation(draw, names):
    op = draw(st.sampled_from(["npy", "header", "scalar", "drop", "extra", "raw",
                               "rename"]))
    name = draw(st.sampled_from(names))
    prefix = name.rpartition(".")[0].rpartition(".")[0]
    prefix = prefix + "." if prefix else ""
    if op == "npy":
        shape = draw(_shapes(40))
        dtype = draw(st.sampled_from(_DTYPES))
        if np.prod(shape, dtype=object) > 10**5:
            shape = (7,)
        return op, name, _npy(np.zeros(shape, dtype))
    if op == "header":
        return op, name, _header(draw(_shapes(40)), draw(st.sampled_from(_DTYPES)),
                                 bytes(draw(st.integers(0, 64))))
    if op == "scalar":
        key = prefix + draw(st.sampled_from(_SCALARS)) + ".npy"
        value = draw(st.one_of(st.sampled_from(_INTS),
                               st.sampled_from([np.nan, np.inf, -1.0, 1e308, 0.5])))
        as_array = draw(st.booleans()) and prefix == "s."
        return op, key, _npy(np.full(3, value) if as_array else np.asarray(value))
    if op == "drop":
        return op, name, None
    if op == "extra":
        extra = draw(st.sampled_from(["junk", "s.junk", "p9.x", "p03.n", "x.y.z", "s.",
                                      "kernels", "layout", "p0.wa", "s.x"]))
        return op, extra + draw(st.sampled_from([".npy", "", ".npz"])), _npy(np.zeros(9))
    if op == "raw":
        return op, name, draw(st.binary(max_size=300))
    return op, name, (prefix + draw(st.sampled_from(["x", "wa", "m", "junk"])) + ".npy")


@st.composite
def hostile_file(draw):
    kind = draw(st.sampled_from(["solver", "stacked", "per-problem"]))
    if draw(st.integers(0, 19)) == 0:
        name = draw(st.sampled_from(["junk.npy", "wa.npy" if kind == "solver" else
                                     ("s.wa.npy" if kind == "stacked" else "p1.wa.npy")]))
        return kind, [("bomb", name)], _bomb(kind, name)
    members = dict(_valid(kind))
    ops = draw(st.lists(_mutation(sorted(members)), max_size=4))
    for op, name, data in ops:
        if op == "drop":
            members.pop(name, None)
        elif op == "rename":
            if name in members:
                members[data] = members.pop(name)
        else:
            members[name] = data
    compress = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
    blob = _zip(members, compress)
    post = draw(st.sampled_from(["none", "none", "truncate", "flip"]))
    if post == "truncate":
        blob = blob[:draw(st.integers(0, len(blob) - 1))]
    elif post == "flip":
        blob = bytearray(blob)
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(blob) - 1))
            blob[i] ^= draw(st.integers(1, 255))
        blob = bytes(blob)
    summary = [(op, name, None if data is None else len(data)) for op, name, data in ops]
    return kind, summary + [("compress", compress), ("post", post)], blob


def _load(kind, source):
    """Load ``source``; ``ValueError`` and a usable object are the only
    allowed outcomes."""
    loader = lbfgsb.Solver.load if kind == "solver" else lbfgsb.BatchSolver.load
    try:
        obj = loader(source)
    except ValueError:
        return None
    _step(obj)
    return obj


# ---------------------------------------------------------------------------
# the cases (run in the child)

@child_only
@settings(settings.get_profile(PROFILE))
@given(case=hostile_file(), as_object=st.booleans())
def test_fuzz_hostile_checkpoint_files_load_or_raise_value_error(case, as_object, tmp_path_factory):
    kind, ops, blob = case
    _log("checkpoint", kind=kind, ops=ops, size=len(blob), as_object=as_object)
    if as_object:
        _load(kind, io.BytesIO(blob))
    else:
        path = tmp_path_factory.mktemp("ck") / "c.npz"
        path.write_bytes(blob)
        _load(kind, path)


@child_only
@pytest.mark.parametrize("kind", ["solver", "stacked", "per-problem"])
def test_corpus_valid_files_load_as_saved_under_every_compression(kind, tmp_path):
    for compress in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        path = tmp_path / "c.npz"
        path.write_bytes(_zip(_valid(kind), compress))
        assert _load(kind, path) is not None


@child_only
@pytest.mark.parametrize("kind", ["solver", "stacked", "per-problem"])
def test_corpus_links_to_anything_but_a_checkpoint_are_refused(kind, tmp_path):
    valid = tmp_path / "valid.npz"
    valid.write_bytes(_zip(_valid(kind), zipfile.ZIP_STORED))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    targets = {"valid": valid, "fifo": fifo, "dir": tmp_path, "zero": "/dev/zero",
               "urandom": "/dev/urandom", "null": "/dev/null", "proc": "/proc/self/maps"}
    for what, target in targets.items():
        link = tmp_path / f"link-{what}.npz"
        os.symlink(target, link)
        loaded = _load(kind, link)
        assert (loaded is not None) == (what == "valid"), what
    os.symlink(tmp_path / "absent", tmp_path / "dangling.npz")
    with pytest.raises(FileNotFoundError):
        _load(kind, tmp_path / "dangling.npz")


@child_only
def test_corpus_every_zip_bomb_is_refused_in_bounded_memory(tmp_path):
    for kind, name in (("solver", "junk.npy"), ("solver", "wa.npy"),
                       ("stacked", "s.wa.npy"), ("per-problem", "p1.wa.npy")):
        path = tmp_path / "bomb.npz"
        path.write_bytes(_bomb(kind, name))
        assert path.stat().st_size < 1_000_000
        assert _load(kind, path) is None
