"""Checkpoint files are untrusted input and are written safely: save() never
writes through a link planted at a temporary name or at the destination;
load() reads only the members a checkpoint has, checks every declared size
before reading data, never follows a FIFO or a device, and answers every
malformed file or value with a ValueError naming what is wrong (no
MemoryError, OverflowError or zipfile error)."""

import io
import os
import tracemalloc
import zipfile

import numpy as np
import pytest
from numpy.lib import format as npy_format

import lbfgsb
from lbfgsb import _checkpoint


def running_solver(n=5, steps=4):
    s = lbfgsb.Solver(np.linspace(-1, 2, n), m=3)
    for _ in range(steps):
        x = s.ask()
        s.tell(float(np.sum((x - 0.5) ** 4)), 4 * (x - 0.5) ** 3)
    return s


def running_batch(B=3, n=4, steps=4):
    b = lbfgsb.BatchSolver(np.linspace(-1, 2, B * n).reshape(B, n), m=3)
    for _ in range(steps):
        X = b.ask()
        b.tell(np.sum((X - 0.5) ** 4, axis=1), 4 * (X - 0.5) ** 3)
    return b


def npy_bytes(a):
    buf = io.BytesIO()
    npy_format.write_array(buf, np.asarray(a), allow_pickle=False)
    return buf.getvalue()


def npy_header_only(shape, descr="<f8", data=b""):
    """An .npy member declaring ``shape`` followed by ``data`` (any size)."""
    buf = io.BytesIO()
    npy_format.write_array_header_1_0(
        buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue() + data


def members_of(obj):
    buf = io.BytesIO()
    obj.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def write_zip(path, members, compress=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compress) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def assert_same_state(a, b):
    da, db = a.state_dict(), b.state_dict()
    pairs = zip(da["solvers"], db["solvers"]) if "solvers" in da else [(da, db)]
    for sa, sb in pairs:
        assert sa.keys() == sb.keys()
        for k, v in sa.items():
            np.testing.assert_array_equal(np.asarray(v), np.asarray(sb[k]))


# --- save() -------------------------------------------------------------------

def test_save_does_not_write_through_a_link_planted_at_the_old_temporary_name(tmp_path):
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    path = tmp_path / "run.npz"
    os.symlink(victim, f"{path}.tmp{os.getpid()}")       # the name save() used
    s = running_solver()
    s.save(path)
    assert victim.read_bytes() == b"precious"
    assert_same_state(s, lbfgsb.Solver.load(path))


def test_save_never_opens_an_existing_name_it_draws_and_leaves_no_temporary(
        tmp_path, monkeypatch):
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    path = tmp_path / "run.npz"
    planted = f"{path}.planted.tmp"
    os.symlink(victim, planted)
    names = iter([planted, planted, f"{path}.fresh.tmp"])
    monkeypatch.setattr(_checkpoint, "_temp_name", lambda p: next(names))
    for obj, load in ((running_solver(), lbfgsb.Solver.load),
                      (running_batch(), lbfgsb.BatchSolver.load)):
        names = iter([planted, planted, f"{path}.fresh.tmp"])
        obj.save(path)
        assert victim.read_bytes() == b"precious"
        assert os.path.islink(planted)
        assert_same_state(obj, load(path))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["victim", "run.npz", os.path.basename(planted)])


def test_save_replaces_a_link_at_the_destination_instead_of_following_it(tmp_path):
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    path = tmp_path / "run.npz"
    os.symlink(victim, path)
    s = running_solver()
    s.save(path)
    assert victim.read_bytes() == b"precious"
    assert not path.is_symlink()
    assert_same_state(s, lbfgsb.Solver.load(path))


def test_a_failed_save_leaves_the_previous_checkpoint_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "run.npz"
    s = running_solver()
    s.save(path)
    before = path.read_bytes()

    def broken(*a, **k):
        raise OSError("disk full")
    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        running_solver(steps=6).save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]


# --- load(): members and sizes --------------------------------------------------

def test_an_unknown_member_is_refused_without_being_decompressed(tmp_path):
    members = members_of(running_solver())
    members["junk.npy"] = npy_bytes(np.zeros(4_000_000))      # 32 MB of zeros
    path = write_zip(tmp_path / "c.npz", members, zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"unknown members \['junk'\]"):
            lbfgsb.Solver.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4_000_000


def test_a_batch_file_with_an_unknown_member_is_refused(tmp_path):
    members = members_of(running_batch())
    for extra in ("junk.npy", "s.junk.npy", "p0.x.npy"):
        path = write_zip(tmp_path / "b.npz", {**members, extra: npy_bytes(np.zeros(3))})
        with pytest.raises(ValueError, match="unknown members"):
            lbfgsb.BatchSolver.load(path)


def test_a_compressed_checkpoint_written_by_numpy_still_loads(tmp_path):
    for obj, load in ((running_solver(), lbfgsb.Solver.load),
                      (running_batch(), lbfgsb.BatchSolver.load)):
        path = write_zip(tmp_path / "c.npz", members_of(obj), zipfile.ZIP_DEFLATED)
        assert_same_state(obj, load(path))


@pytest.mark.parametrize("member, data, match", [
    ("x.npy", npy_header_only((2**40,), data=b"\0" * 40), r"'x.npy'.*\(1099511627776,\)"),
    ("wa.npy", npy_header_only((3, 2**62), data=b"\0" * 8), r"'wa.npy'.*declares shape"),
    ("x.npy", npy_header_only((5,), data=b"\0" * 8), r"'x.npy'.*40 bytes.*holds 8"),
    ("x.npy", npy_header_only((5,), data=b"\0" * 48), r"'x.npy'.*40 bytes.*holds 48"),
    ("x.npy", npy_header_only((5,), descr="|O", data=b"\0" * 40), r"'x.npy'.*dtype object"),
    ("x.npy", npy_header_only((5,), descr=[("a", "<f8")], data=b"\0" * 40), r"'x.npy'.*dtype"),
    ("x.npy", b"\x93NUMPY\x09\x00garbage", r"'x.npy'.*version"),
    ("x.npy", b"not an npy member", r"'x.npy'"),
    ("m.npy", npy_bytes(np.int64(2**31)), r"m must be between 1 and 2147483647, got 2147483648"),
    ("n.npy", npy_bytes(np.int64(-3)), r"n must be between 1 and 2147483647, got -3"),
    ("n.npy", npy_bytes(np.int64(10**8)), r"l must have shape \(100000000,\) for n=100000000, m=3, got \(5,\)"),
    ("maxls.npy", npy_bytes(np.int64(2**40)), r"maxls must be between"),
    ("iprint.npy", npy_bytes(np.int64(-2**40)), r"iprint must be between"),
    ("n.npy", npy_bytes(np.arange(10**6)), r"'n.npy'.*\(1000000,\).*1 expected"),
    ("task.npy", npy_bytes(np.zeros(10**6, np.uint8)), r"'task.npy'.*60 expected"),
    ("f.npy", npy_bytes("a string"), r"f must be a real number"),
])
def test_a_malformed_member_is_refused_naming_it(tmp_path, member, data, match):
    members = members_of(running_solver())
    members[member] = data
    path = write_zip(tmp_path / "c.npz", members)
    with pytest.raises(ValueError, match=match):
        lbfgsb.Solver.load(path)


def test_a_zip_bomb_of_small_size_is_refused_before_decompressing(tmp_path):
    members = members_of(running_solver())
    members["wa.npy"] = npy_header_only((10**7,), data=bytes(8 * 10**7))   # 80 MB
    path = write_zip(tmp_path / "c.npz", members, zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 200_000
    with pytest.raises(ValueError, match=r"'wa.npy' would decompress to 80000128 bytes"):
        lbfgsb.Solver.load(path)


def test_a_stored_member_longer_than_the_file_is_refused(tmp_path):
    path = write_zip(tmp_path / "c.npz", members_of(running_solver()))
    data = bytearray(path.read_bytes())
    cd = data.rfind(b"PK\x01\x02")                 # the last central directory entry
    data[cd + 20:cd + 28] = (2**31).to_bytes(4, "little") * 2   # its sizes
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="more than the file holds"):
        lbfgsb.Solver.load(path)


@pytest.mark.parametrize("cut", [0, 10, 100, 1000, -200, -22, -1])
def test_a_truncated_checkpoint_is_refused(tmp_path, cut):
    full = tmp_path / "full.npz"
    running_batch().save(full)
    data = full.read_bytes()
    path = tmp_path / "cut.npz"
    path.write_bytes(data[:cut])
    with pytest.raises(ValueError, match="checkpoint"):
        lbfgsb.BatchSolver.load(path)


def test_a_stacked_batch_file_with_inconsistent_lengths_is_refused(tmp_path):
    members = members_of(running_batch(B=3))
    members["B.npy"] = npy_bytes(np.int64(10**15))
    with pytest.raises(ValueError, match="B=1000000000000000|'s."):
        lbfgsb.BatchSolver.load(write_zip(tmp_path / "b.npz", members))
    members = members_of(running_batch(B=3))
    members["s.m.npy"] = npy_bytes(np.array([3, 4, 3]))
    with pytest.raises(ValueError, match="same integer n and m"):
        lbfgsb.BatchSolver.load(write_zip(tmp_path / "b.npz", members))


def test_a_fifo_or_a_device_at_the_checkpoint_path_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "fifo.npz"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        lbfgsb.Solver.load(fifo)
    link = tmp_path / "zero.npz"
    os.symlink("/dev/zero", link)
    with pytest.raises(ValueError, match="not a regular file"):
        lbfgsb.BatchSolver.load(link)


def test_a_link_to_a_valid_checkpoint_loads(tmp_path):
    s = running_solver()
    s.save(tmp_path / "real.npz")
    os.symlink(tmp_path / "real.npz", tmp_path / "link.npz")
    assert_same_state(s, lbfgsb.Solver.load(tmp_path / "link.npz"))


# --- values out of range (state dicts and options) ------------------------------

@pytest.mark.parametrize("key, value", [
    ("m", 2**31), ("n", 2**31), ("maxls", 2**31), ("iprint", 2**31),
    ("nit", 2**63), ("have_e", 2), ("f", 10**400)])
def test_an_out_of_range_state_value_is_a_value_error_naming_it(key, value):
    d = running_solver().state_dict()
    d[key] = value
    with pytest.raises(ValueError, match=key):
        lbfgsb.Solver.from_state(d)


@pytest.mark.parametrize("option", ["window", "threads", "iprint"])
def test_a_batch_option_beyond_a_c_int_is_a_value_error_naming_it(option):
    X0 = np.ones((3, 2))
    with pytest.raises(ValueError, match=option):
        lbfgsb.minimize_batch(lambda X, a: ((X ** 2).sum(1), 2 * X), X0,
                              **{option: 10**12})


@pytest.mark.parametrize("option, scipy_name", [("m", "maxcor"), ("maxls", "maxls")])
def test_a_shared_option_beyond_a_c_int_is_refused_as_minimize_refuses_it(option, scipy_name):
    # the options minimize shares follow its policy (SciPy's exception types;
    # tests/test_acceptance.py), never an unchecked overflow
    X0 = np.ones((3, 2))
    with pytest.raises((ValueError, OverflowError)) as batch:
        lbfgsb.minimize_batch(lambda X, a: ((X ** 2).sum(1), 2 * X), X0,
                              **{option: 10**12})
    with pytest.raises((ValueError, OverflowError)) as single:
        lbfgsb.minimize(lambda x: (x @ x, 2 * x), X0[0], jac=True, **{scipy_name: 10**12})
    assert type(batch.value) is type(single.value)


def test_a_checkpoint_is_read_from_where_a_file_object_stands():
    s = running_solver()
    buf = io.BytesIO()
    buf.write(b"a header of the caller's own")
    s.save(buf)
    buf.seek(len(b"a header of the caller's own"))
    assert_same_state(s, lbfgsb.Solver.load(buf))
