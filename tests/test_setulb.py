"""The reverse-communication `setulb`: the Fortran's task sequence, workspace
layout and saved state, bounds held, and corrupted state refused."""

import numpy as np
import pytest
import scipy.optimize as so
from numpy.testing import assert_array_equal

import lbfgsb


def rosen_fg(x):
    return so.rosen(x), so.rosen_der(x)


def new_state(n, m):
    lwa, liwa, lisave, ldsave, llsave = lbfgsb.workspace_sizes(n, m)
    st = dict(
        f=np.array(0.0), g=np.zeros(n), wa=np.zeros(lwa), iwa=np.zeros(liwa, np.int32),
        task=np.zeros(1, "S60"), csave=np.zeros(1, "S60"),
        lsave=np.zeros(llsave, np.int32), isave=np.zeros(lisave, np.int32),
        dsave=np.zeros(ldsave))
    st["task"][:] = b"START"
    return st


def call(st, m, x, l, u, nbd, factr=1e7, pgtol=1e-5, iprint=-1, **kw):
    lbfgsb.setulb(m, x, l, u, nbd, st["f"], st["g"], factr, pgtol, st["wa"],
                  st["iwa"], st["task"], iprint, st["csave"], st["lsave"],
                  st["isave"], st["dsave"], **kw)
    return st["task"][0].decode().rstrip()


def run(fg, x0, l, u, nbd, m=5, maxiter=200):
    n = x0.size
    st = new_state(n, m)
    x = x0.copy()
    tasks, points = [], []
    while True:
        task = call(st, m, x, l, u, nbd)
        tasks.append(task)
        if task.startswith("FG"):
            points.append(x.copy())
            f, g = fg(x)
            st["f"][...] = f
            st["g"][:] = g
        elif task.startswith("NEW_X"):
            if len(tasks) > 10 * maxiter:
                break
        else:
            break
    return x, st, tasks, points


def test_task_sequence_follows_the_fortran_protocol():
    n = 6
    x, st, tasks, _ = run(rosen_fg, np.full(n, -1.2), np.zeros(n), np.zeros(n),
                          np.zeros(n, np.int32))
    assert tasks[0] == "FG_START"
    assert tasks[-1].startswith("CONVERGENCE")
    assert set(t.split(":")[0] for t in tasks[1:-1]) <= {"FG_LNSRCH", "NEW_X"}
    # every NEW_X is preceded by at least one FG_LNSRCH
    for i, t in enumerate(tasks):
        if t == "NEW_X":
            assert tasks[i - 1] == "FG_LNSRCH"
    # the partition of wa stored at START (1-based offsets, Fortran isave(4..16))
    m = 5
    expect = [1, 1 + m * n, 1 + 2 * m * n]
    assert_array_equal(st["isave"][3:6], expect)
    assert st["isave"][15] + 8 * m - 1 == st["wa"].size


def test_workspace_partition_matches_the_fortran_formula():
    for n, m in [(1, 1), (7, 3), (50, 10)]:
        st = new_state(n, m)
        x = np.zeros(n)
        call(st, m, x, np.zeros(n), np.zeros(n), np.zeros(n, np.int32))
        isave = st["isave"]
        assert isave[0] == m * n and isave[1] == m * m and isave[2] == 4 * m * m
        sizes = [m * n, m * n, m * m, m * m, m * m, 4 * m * m, 4 * m * m, n, n, n, n, n]
        assert_array_equal(np.diff(isave[3:16]), sizes)
        assert isave[15] - 1 + 8 * m == st["wa"].size


def test_iterates_stay_inside_the_box():
    n = 20
    l = np.full(n, -0.5)
    u = np.full(n, 0.8)
    nbd = np.full(n, 2, np.int32)
    nbd[::3] = 1
    nbd[1::3] = 3
    _, _, _, points = run(rosen_fg, np.linspace(-2, 2, n), l, u, nbd)
    P = np.array(points)
    has_l = (nbd == 1) | (nbd == 2)
    has_u = (nbd == 2) | (nbd == 3)
    assert np.all(P[:, has_l] >= l[has_l])
    assert np.all(P[:, has_u] <= u[has_u])


def test_infeasible_x0_is_projected_before_the_first_evaluation():
    n = 3
    x = np.array([5.0, -5.0, 0.1])
    st = new_state(n, 4)
    task = call(st, 4, x, np.full(n, -1.0), np.full(n, 1.0), np.full(n, 2, np.int32))
    assert task == "FG_START"
    assert_array_equal(x, [1.0, -1.0, 0.1])
    assert st["lsave"][0] == 1      # prjctd


@pytest.mark.parametrize("nbd,l,u,expect", [
    ([2, 2], [0, 1], [1, 0], "ERROR: NO FEASIBLE SOLUTION"),
    ([0, 4], [0, 0], [0, 0], "ERROR: INVALID NBD"),
])
def test_errclb_errors_are_the_fortran_task_strings(nbd, l, u, expect):
    st = new_state(2, 3)
    task = call(st, 3, np.zeros(2), np.array(l, float), np.array(u, float),
                np.array(nbd, np.int32))
    assert task == expect


def test_negative_factr_is_a_fortran_error():
    st = new_state(2, 3)
    task = call(st, 3, np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2, np.int32),
                factr=-1.0)
    assert task == "ERROR: FACTR .LT. 0"


def test_m_zero_is_a_fortran_error_not_a_crash():
    st = new_state(2, 1)
    task = call(st, 0, np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2, np.int32))
    assert task == "ERROR: M .LE. 0"


@pytest.mark.parametrize("field,index,value", [
    ("isave", 4, 12345),            # partition offset of wy
    ("isave", 21 + 5, 0),           # head
    ("isave", 21 + 6, 99),          # col > m
    ("iwa", 0, 0),                  # index(1) out of 1..n
    ("iwa", 0, 10**6),
])
def test_corrupted_state_between_calls_is_refused(field, index, value):
    n, m = 4, 3
    st = new_state(n, m)
    x = np.full(n, -1.2)
    l = np.zeros(n)
    nbd = np.zeros(n, np.int32)
    for _ in range(8):          # a few iterations, so the memory is in use
        task = call(st, m, x, l, l, nbd)
        if task.startswith("FG"):
            f, g = rosen_fg(x)
            st["f"][...] = f
            st["g"][:] = g
    st[field][index] = value
    with pytest.raises(ValueError, match="corrupted|partition"):
        call(st, m, x, l, l, nbd)


@pytest.mark.parametrize("name,bad,match", [
    ("g", np.zeros(3), "at least"),
    ("wa", np.zeros(5), "at least"),
    ("iwa", np.zeros(12, np.int64), "int32"),
    ("f", np.array(0.0, np.float32), "float64"),
    ("isave", np.zeros(10, np.int32), "at least"),
])
def test_wrong_buffers_raise_value_error(name, bad, match):
    n, m = 4, 3
    st = new_state(n, m)
    st[name] = bad
    with pytest.raises(ValueError, match=match):
        call(st, m, np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n, np.int32))


def test_read_only_x_is_refused():
    st = new_state(2, 2)
    x = np.zeros(2)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        call(st, 2, x, np.zeros(2), np.zeros(2), np.zeros(2, np.int32))


def test_maxls_below_one_is_refused():
    st = new_state(2, 2)
    with pytest.raises(ValueError, match="maxls"):
        call(st, 2, np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2, np.int32), maxls=0)


def test_workspace_too_large_for_fortran_integers_is_refused():
    with pytest.raises(ValueError, match="32-bit"):
        lbfgsb.workspace_sizes(10**9, 10)
