"""The state table (lbfgsb/port/state.pyx) names the fields where setulb
keeps them: checked against runs of the port and of the Fortran (the saved
iteration count, evaluations, f, the projected-gradient norm, the copies of
x and g at a line search's start), the partition of wa against
``workspace_sizes``, and the harness's own copy of the table against it."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import lbfgsb
from lbfgsb.port import state, tasks
from fortran_ref import F, needs_fortran
from tools.harness import state as hstate   # (conftest.py puts the repository root on the path)

EPS = np.finfo(float).eps


# ---------------------------------------------------------------------------
# the partition of wa and the lengths

@pytest.mark.parametrize("n, m", [(1, 1), (3, 2), (10, 5), (7, 17), (1000, 10)])
def test_wa_blocks_tile_the_workspace_without_overlap(n, m):
    lwa, liwa, lisave, ldsave, llsave = lbfgsb.workspace_sizes(n, m)
    blocks = state.wa_blocks(n, m)
    assert [b[0] for b in blocks] == list(state.WA_NAMES)
    lengths = dict((name, length) for name, _, length in blocks)
    assert lengths == {"ws": n * m, "wy": n * m, "sy": m * m, "ss": m * m, "wt": m * m,
                       "wn": 4 * m * m, "snd": 4 * m * m, "z": n, "r": n, "d": n,
                       "t": n, "xp": n, "wa": 8 * m}
    end = 0
    for name, off, length in blocks:          # each starts where the last ended
        assert off == end, name
        end = off + length
    assert end == lwa == sum(lengths.values())
    assert (liwa, lisave, ldsave, llsave) == (
        state.IWA_PER_N * n, state.ISAVE_LEN, state.DSAVE_LEN, state.LSAVE_LEN) == (
        3 * n, 44, 29, 4)
    assert len(state.WA_SMALL) * 2 * m == lengths["wa"]


def test_positions_are_distinct_and_in_range():
    for table, length in ((state.ISAVE, 44), (state.DSAVE, 29), (state.LSAVE, 4)):
        assert len(set(table.values())) == len(table)
        assert all(0 <= i < length for i in table.values())
    assert set(state.DSAVE.values()) == set(range(29))
    assert set(state.ISAVE.values()) | set(state.ISAVE_UNUSED) == set(range(44))
    assert state.ISAVE_UNUSED == (16, 17, 18, 19, 20, 22, 31, 41)
    assert all(nm in state.DSAVE for nm in state.DSAVE_TIMERS)


def test_corrections_are_the_ws_and_wy_blocks():
    n, m = 4, 3
    wa = np.arange(float(lbfgsb.workspace_sizes(n, m)[0]))
    s, y = state.corrections(wa, n, m)
    blocks = {name: (off, length) for name, off, length in state.wa_blocks(n, m)}
    for name, v in (("ws", s), ("wy", y)):
        off, length = blocks[name]
        # row j of the (m, n) view is column j of the Fortran's n x m block
        assert_array_equal(v, wa[off:off + length].reshape((n, m), order="F").T)
        assert np.shares_memory(v, wa)


def test_new_arrays_are_setulbs_arguments():
    wa, iwa, task, csave, lsave, isave, dsave = state.new_arrays(6, 4)
    assert (wa.size, iwa.size, isave.size, dsave.size, lsave.size) == \
        lbfgsb.workspace_sizes(6, 4)
    assert (wa.dtype, iwa.dtype, isave.dtype, dsave.dtype, lsave.dtype) == \
        (np.float64, np.int32, np.int32, np.float64, np.int32)
    assert tasks.task_text(task) == "START" and tasks.task_text(csave) == ""
    with pytest.raises(ValueError, match="32-bit"):
        state.new_arrays(2**30, 10)


def test_task_strings_padded_and_stripped():
    assert tasks.fortran_task("FG") == b"FG" + b" " * 58
    assert len(tasks.fortran_task(b"X" * 60)) == tasks.TASK_LEN == 60
    with pytest.raises(ValueError):
        tasks.fortran_task("X" * 61)
    buf = np.zeros(1, "S60")
    buf[0] = tasks.fortran_task("NEW_X")
    assert tasks.task_text(buf) == "NEW_X" == tasks.task_text(b"NEW_X\0\0")


# ---------------------------------------------------------------------------
# the table against runs of the port and of the Fortran

def _problem(n=6):
    """A bounded quadratic-plus-quartic with active bounds at the solution."""
    rng = np.random.default_rng(3)
    c = rng.uniform(-2, 2, n)
    lo = np.full(n, -1.0)
    up = np.full(n, 1.0)

    def fg(x):
        d = x - c
        return float(d @ d + 0.1 * np.sum(d ** 4)), 2 * d + 0.4 * d ** 3
    return fg, np.zeros(n), lo, up, np.full(n, 2, np.int32)


def _pgnorm(x, g, lo, up):
    """The infinity norm of the projected gradient, as projgr computes it
    (every variable with both bounds)."""
    return float(np.max(np.abs(np.where(g < 0, np.maximum(x - up, g),
                                        np.minimum(x - lo, g)))))


def _drive(impl, m=3, maxcalls=200):
    """Drive setulb (the port or the Fortran) on _problem(); one record per
    return: (task, x, f, g handed in, copies of isave, dsave, lsave, wa)."""
    fg, x, lo, up, nbd = _problem()
    n = x.size
    wa, iwa, task, csave, lsave, isave, dsave = state.new_arrays(n, m)
    task[0] = tasks.fortran_task("START")
    csave[0] = tasks.fortran_task("")
    f, g = np.zeros(1), np.zeros(n)
    out = []
    for _ in range(maxcalls):
        if impl == "port":
            lbfgsb.setulb(m, x, lo, up, nbd, f, g, 0.0, 0.0, wa, iwa, task, -1, csave,
                          lsave, isave, dsave)
        else:
            F.setulb(n, m, x, lo, up, nbd, f, g, 0.0, 0.0, wa, iwa, task, -1, csave,
                     lsave, isave, dsave)
        text = tasks.task_text(task)
        if text.startswith("FG"):
            fv, gv = fg(x.copy())
            f[0], g[:] = fv, gv
        out.append((text, x.copy(), float(f[0]), g.copy(), isave.copy(), dsave.copy(),
                    lsave.copy(), wa.copy()))
        if not (text.startswith("FG") or text.startswith("NEW_X")):
            break
    return out, (n, m, lo, up)


@pytest.mark.parametrize("impl", ["port", pytest.param("fortran", marks=needs_fortran)])
def test_the_table_names_what_setulb_saves(impl):
    calls, (n, m, lo, up) = _drive(impl)
    I, D, L = state.ISAVE, state.DSAVE, state.LSAVE
    iters = nfev = searches = 0
    prev_newx = None            # x, f, g of the last accepted iterate
    for k, (text, x, f, g, isave, dsave, lsave, wa) in enumerate(calls):
        # the partition of wa, written at START, stays
        assert isave[:state.ISAVE_LWA + 1].tolist() == state.wa_offsets(n, m)
        if text.startswith("FG"):
            nfev += 1
        if text.startswith("NEW_X"):
            iters += 1
        assert isave[I["iter"]] == iters, (k, text)
        # nfgv: the line search counts a request when it makes it, mainlb
        # counts the first evaluation when it receives it
        assert isave[I["nfgv"]] == nfev - (text == "FG_START"), (k, text)
        assert dsave[D["epsmch"]] == EPS and dsave[D["tol"]] == 0.0
        assert (lsave[L["cnstnd"]], lsave[L["boxed"]]) == (1, 1)
        assert 0 <= isave[I["col"]] <= min(m, iters) and 1 <= isave[I["head"]] <= m
        if text.startswith("NEW_X"):
            # f and g at the new iterate are those handed in at the last FG
            assert dsave[D["sbgnrm"]] == _pgnorm(x, g, lo, up)
            prev_newx = (x, f, g)
        if text.startswith("FG_LN") and isave[I["ifun"]] == 1 and prev_newx is not None:
            # the line search starts from the last iterate: x in t, g in r, f in fold
            xk, fk, gk = prev_newx
            blocks = {nm: (off, ln) for nm, off, ln in state.wa_blocks(n, m)}
            (ot, lt), (orr, lr) = blocks["t"], blocks["r"]
            assert_array_equal(wa[ot:ot + lt], xk)
            assert_array_equal(wa[orr:orr + lr], gk)
            assert dsave[D["fold"]] == fk
            searches += 1
    assert iters >= 3 and searches == iters - 1


@needs_fortran
def test_the_port_and_the_fortran_save_the_same_state():
    port, _ = _drive("port")
    fort, _ = _drive("fortran")
    assert [c[0] for c in port] == [c[0] for c in fort]
    timers = [state.DSAVE[nm] for nm in state.DSAVE_TIMERS]
    for p, q in zip(port, fort):
        assert_array_equal(p[4], q[4])
        assert_array_equal(np.delete(p[5], timers), np.delete(q[5], timers))
        assert_array_equal(p[6], q[6])


def test_the_task_string_of_a_run_and_its_scipy_codes():
    calls, _ = _drive("port")
    texts = [c[0] for c in calls]
    assert texts[0] == "FG_START" and texts[-1].startswith("CONVERGENCE")
    for text in set(texts):
        status, detail = state.scipy_codes_from_task(text)
        assert state.STATUS_TEXT[status] in ("FG", "NEW_X", "CONVERGENCE")
        assert state.task_from_scipy_codes(status, detail) == text


def test_every_task_code_round_trips():
    for detail, (message, text) in state.DETAIL.items():
        if text is None:
            continue
        status, d = state.scipy_codes_from_task(text)
        assert d == detail and detail // 100 == status
        assert state.task_from_scipy_codes(status, detail) == text
        if message:
            assert state.scipy_message(text) == state.STATUS_TEXT[status] + ": " + message


# ---------------------------------------------------------------------------
# the harness's own copy (it must run without the port) agrees

def test_the_harness_names_the_same_positions():
    assert hstate.ISAVE_NAMES == {i + 1: nm for nm, i in state.ISAVE.items()
                                  if i >= state.ISAVE_MAINLB}
    assert hstate.DSAVE_NAMES == {i + 1: nm for nm, i in state.DSAVE.items()}
    assert hstate.LSAVE_NAMES == {i + 1: nm for nm, i in state.LSAVE.items()}
    assert hstate.ISAVE_UNUSED == tuple(i + 1 for i in state.ISAVE_UNUSED)
    assert hstate.TIME_FIELDS == tuple("dsave." + nm for nm in state.DSAVE_TIMERS)
    assert hstate._WA_LAYOUT == tuple("l" + nm for nm in state.WA_NAMES)
    assert all(nm in state.ISAVE for nm in hstate._WA_LAYOUT + ("mn", "mm", "4mm"))


@pytest.mark.parametrize("n, m", [(5, 3), (2, 7)])
def test_the_harness_splits_wa_as_the_table(n, m):
    port = state.wa_blocks(n, m)
    harness = hstate._wa_blocks(n, m)
    assert [(off, ln) for _, off, ln in harness[:len(port) - 1]] == \
        [(off, ln) for _, off, ln in port[:-1]]
    _, off, ln = port[-1]
    small = harness[len(port) - 1:]
    assert [nm for nm, _, _ in small] == list(state.WA_SMALL)
    assert [(o, s) for _, o, s in small] == [(off + 2 * m * k, 2 * m) for k in range(4)]
    assert sum(s for _, _, s in harness) == lbfgsb.workspace_sizes(n, m)[0]


def test_the_harness_decodes_task_codes_as_the_port():
    for detail, (_, text) in state.DETAIL.items():
        if text is not None:
            assert hstate._DETAIL_TEXT[detail] == text
            assert hstate.scipy_task_text(detail // 100, detail) == text
    assert set(hstate._DETAIL_TEXT) == {d for d, (_, t) in state.DETAIL.items() if t}
    for status in (0, 1, 2, 8):             # the codes without a detail
        assert hstate.scipy_task_text(status, 0) == state.task_from_scipy_codes(status, 0)
