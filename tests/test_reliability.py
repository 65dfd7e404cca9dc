"""Reliability: faults from the user's code, interrupts, reentrancy, leaks and
large n.  A run ends cleanly whatever the user's function does, and the next
run in the same process is unaffected.

Differences from SciPy (1.17), checked by the tests below:
- a gradient of the wrong shape raises ValueError; SciPy accepts shapes (),
  (n-1,), (n+1,) silently (broadcast or truncated) and reports convergence.
- ``lbfgsb.minimize`` is the solver itself: a callback raising StopIteration
  ends the run with task 'STOP: CALLBACK REQUESTED HALT' and status 2 (SciPy's
  ``_minimize_lbfgsb`` and ``fmin_l_bfgs_b`` do the same; only the
  ``scipy.optimize.minimize`` wrapper rewrites it to status 99).

Environment switches: ``LBFGSB_LEAK_RUNS`` (default 20000; the full check is
100000), ``LBFGSB_HUGE=1`` runs the n = 10**7 test.
"""

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import re

import numpy as np
import pytest
import scipy.optimize as so

import lbfgsb

ROOT = Path(__file__).resolve().parent.parent


def rosen_fg(x):
    return so.rosen(x), so.rosen_der(x)


def reference_run():
    return lbfgsb.minimize(rosen_fg, np.full(8, -1.2), jac=True)


# ---------------------------------------------------------------------------
# faults from the user's code

class Boom(Exception):
    pass


def failing_after(k, exc=Boom, what="f"):
    calls = [0]

    def fg(x):
        calls[0] += 1
        if calls[0] > k:
            raise exc("injected")
        return rosen_fg(x)
    return fg, calls


@pytest.mark.parametrize("k", [0, 1, 5, 17])
def test_exception_in_objective_propagates_and_next_run_is_unaffected(k):
    before = reference_run()
    fg, calls = failing_after(k)
    with pytest.raises(Boom, match="injected") as ei:
        lbfgsb.minimize(fg, np.full(8, -1.2), jac=True)
    # the traceback reaches the user's function
    assert any(fr.name == "fg" for fr in ei.traceback)
    assert calls[0] == k + 1
    after = reference_run()
    assert np.array_equal(before.x, after.x) and before.nfev == after.nfev


def test_exception_in_separate_jac_propagates():
    def jac(x):
        raise Boom("injected")
    with pytest.raises(Boom):
        lbfgsb.minimize(so.rosen, np.zeros(3), jac=jac)
    with pytest.raises(Boom):
        lbfgsb.fmin_l_bfgs_b(so.rosen, np.zeros(3), fprime=jac)


def test_exception_in_finite_difference_objective_propagates():
    fg, _ = failing_after(3)
    with pytest.raises(Boom):
        lbfgsb.minimize(lambda x: fg(x)[0], np.zeros(3))


@pytest.mark.parametrize("bad", ["f", "g"])
def test_nan_midway_ends_in_documented_termination_like_scipy(bad):
    calls = [0]

    def fg(x):
        calls[0] += 1
        f, g = float(np.sum((x - 1) ** 2)), 2 * (x - 1)
        if calls[0] >= 3:
            if bad == "f":
                f = np.nan
            else:
                g = g * np.nan
        return f, g
    ours = lbfgsb.minimize(fg, np.full(4, 5.0), jac=True)
    calls[0] = 0
    ours_scipy = lbfgsb.minimize(fg, np.full(4, 5.0), jac=True, flavour="scipy")
    calls[0] = 0
    ref = so.minimize(fg, np.full(4, 5.0), jac=True, method="L-BFGS-B")
    assert ours.status == ours_scipy.status == ref.status
    assert ours.message == ours_scipy.message == ref.message
    assert ours.message.startswith(("CONVERGENCE", "ABNORMAL"))
    assert ours_scipy.nit == ref.nit
    # at a repeated x (the line search repeats points once f is NaN) both
    # hand back the last f and g without calling the function again
    assert ours_scipy.nfev == ref.nfev
    assert np.array_equal(ours_scipy.x, ref.x, equal_nan=True)
    # NaN is reported, never hidden (SciPy and the Fortran may still call a
    # NaN f 'CONVERGENCE': documented, shared behaviour)
    assert np.isnan(ours.fun) or np.isnan(ours.jac).any() or not ours.success
    # nothing is left broken
    assert np.array_equal(reference_run().x, reference_run().x)


def test_constant_inf_objective_ends_at_the_evaluation_limit_like_scipy():
    def fg(x):
        return np.inf, np.ones_like(x)
    res = lbfgsb.minimize(fg, np.zeros(3), jac=True, maxfun=500, flavour="scipy")
    ref = so.minimize(fg, np.zeros(3), jac=True, method="L-BFGS-B",
                      options=dict(maxfun=500))
    assert res.status == ref.status == 1
    assert res.message == ref.message and res.nfev == ref.nfev


@pytest.mark.parametrize("shape", [(), (3,), (5,), (4, 2), (1, 5)])
def test_gradient_of_wrong_shape_is_a_clear_error(shape):
    # SciPy accepts (), (3,) and (5,) here and reports a wrong convergence
    # (its wrapper reads n doubles whatever the size: a listed departure)
    with pytest.raises(ValueError, match="gradient must have 4 elements"):
        lbfgsb.minimize(lambda x: (float(x @ x), np.zeros(shape)), np.ones(4), jac=True)


def test_gradient_of_n_by_1_shape_is_accepted_like_scipy():
    res = lbfgsb.minimize(lambda x: (float(x @ x), (2 * x).reshape(-1, 1)),
                          np.ones(4), jac=True)
    assert res.success


@pytest.mark.parametrize("ret", [np.zeros(2), "a", None, [1.0, 2.0], object()])
def test_objective_returning_non_scalar_is_a_clear_error(ret):
    with pytest.raises((ValueError, TypeError)):
        lbfgsb.minimize(lambda x: (ret, 2 * x), np.ones(3), jac=True)


@pytest.mark.parametrize("ret", [1.0, np.float64(1.0), (1.0,)])
def test_objective_returning_non_pair_with_jac_true_raises_as_scipy(ret):
    # SciPy's MemoizeJac reads fg[1]: a TypeError or an IndexError
    with pytest.raises(Exception) as ref:
        so.minimize(lambda x: ret, np.ones(3), jac=True, method="L-BFGS-B")
    with pytest.raises(ref.type, match=re.escape(str(ref.value))):
        lbfgsb.minimize(lambda x: ret, np.ones(3), jac=True)


def test_callback_stopiteration_stops_with_best_iterate_like_scipy():
    def stop(xk):
        raise StopIteration
    ours = lbfgsb.minimize(rosen_fg, np.full(4, -1.2), jac=True, callback=stop)
    x, f, d = lbfgsb.fmin_l_bfgs_b(rosen_fg, np.full(4, -1.2), callback=stop)
    rx, rf, rd = so.fmin_l_bfgs_b(rosen_fg, np.full(4, -1.2), callback=stop)
    assert ours.task == "STOP: CALLBACK REQUESTED HALT"
    assert ours.nit == 1 and not ours.success
    # the iterate reported is the one the callback saw (the first NEW_X)
    assert ours.fun == so.rosen(ours.x)
    assert d["task"] == rd["task"] and d["nit"] == rd["nit"] and d["warnflag"] == rd["warnflag"]
    assert np.array_equal(x, rx) and f == rf


def test_callback_new_style_stopiteration_stops():
    def stop(intermediate_result):
        if intermediate_result.fun < 1.0:
            raise StopIteration
    res = lbfgsb.minimize(rosen_fg, np.full(4, -1.2), jac=True, callback=stop)
    assert res.task == "STOP: CALLBACK REQUESTED HALT" and res.fun < 1.0


def test_callback_returning_true_is_ignored_like_scipy():
    res = lbfgsb.minimize(rosen_fg, np.full(4, -1.2), jac=True, callback=lambda xk: True)
    ref = so.minimize(rosen_fg, np.full(4, -1.2), jac=True, method="L-BFGS-B",
                      callback=lambda xk: True)
    assert res.success and res.nit == ref.nit


def test_callback_raising_propagates():
    def cb(xk):
        raise Boom("cb")
    with pytest.raises(Boom):
        lbfgsb.minimize(rosen_fg, np.full(4, -1.2), jac=True, callback=cb)
    assert reference_run().success


def test_objective_mutating_its_argument_does_not_change_the_iterate():
    def fg(x):
        f, g = rosen_fg(x)
        x[:] = 1e6             # the port hands out copies
        return f, g
    assert np.array_equal(lbfgsb.minimize(fg, np.full(8, -1.2), jac=True).x,
                          reference_run().x)


# ---------------------------------------------------------------------------
# interrupts

def test_keyboard_interrupt_from_objective_propagates_at_once():
    fg, calls = failing_after(10, exc=KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        lbfgsb.minimize(fg, np.full(50, -1.2), jac=True)
    assert calls[0] == 11          # no further evaluation after the interrupt
    assert reference_run().success


def test_sigint_to_a_long_run_exits_with_keyboard_interrupt():
    code = """
        import sys, numpy as np, lbfgsb
        n = 2000
        A = np.random.default_rng(0).standard_normal((n, n)) / n
        H = A @ A.T + 1e-9 * np.eye(n)    # badly conditioned: many iterations
        def fg(x):
            Hx = H @ x
            return 0.5 * float(x @ Hx) - x.sum(), Hx - 1.0
        # Python leaves SIGINT ignored when its parent ignored it (a job run in
        # the background by a non-interactive shell): give the child the
        # handler an interactive user's Python has
        import signal
        signal.signal(signal.SIGINT, signal.default_int_handler)
        print("ready", flush=True)
        try:
            lbfgsb.minimize(fg, np.zeros(n), jac=True,
                            maxiter=10**7, maxfun=10**7, gtol=0, ftol=0)
        except KeyboardInterrupt:
            print("KeyboardInterrupt", flush=True)
            sys.exit(3)
        print("finished", flush=True)
    """
    p = subprocess.Popen([sys.executable, "-P", "-c", textwrap.dedent(code)],
                         cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        import time
        time.sleep(1.0)                   # well into the run
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 3, (p.returncode, out, err)
    assert "KeyboardInterrupt" in out


# ---------------------------------------------------------------------------
# reentrancy

def _problem(seed):
    rng = np.random.default_rng(seed)
    n = 30
    c = rng.uniform(-2, 2, n)
    bounds = [(-1.0, 1.5)] * n

    def fg(x):
        r = x - c
        return float(np.sum(r ** 4 + r * r)), 4 * r ** 3 + 2 * r
    return fg, np.zeros(n), bounds


def _solve(seed, flavour="fortran"):
    fg, x0, bounds = _problem(seed)
    res = lbfgsb.minimize(fg, x0, jac=True, bounds=bounds, flavour=flavour)
    return res.x.tobytes(), res.fun, res.nit, res.nfev, res.task


def test_eight_threads_give_results_bitwise_identical_to_serial():
    serial = [_solve(s % 4, fl) for s in range(16) for fl in ("fortran", "scipy")]
    results = [None] * len(serial)
    barrier = threading.Barrier(8)

    def work(t):
        barrier.wait()
        for rep in range(3):
            for i in range(t, len(serial), 8):
                s, fl = divmod(i, 2)
                r = _solve(s % 4, ("fortran", "scipy")[fl])
                if results[i] is None:
                    results[i] = r
                assert r == results[i]
    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
        assert not th.is_alive()
    assert results == serial


def test_setulb_loops_in_threads_do_not_share_state():
    """Two reverse-communication loops interleaved call by call (through the
    nogil kernel in threads) give the serial iterates."""
    def loop(n, out):
        out.append(lbfgsb.minimize(rosen_fg, np.full(n, -1.2), jac=True).x.tobytes())
    serial = [lbfgsb.minimize(rosen_fg, np.full(n, -1.2), jac=True).x.tobytes()
              for n in (5, 9)]
    outs = [[], []]
    ts = [threading.Thread(target=loop, args=(n, o)) for n, o in zip((5, 9), outs)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert [o[0] for o in outs] == serial


def test_nested_minimize_inside_objective_works():
    """An objective that itself runs lbfgsb.minimize (bilevel problem)."""
    def inner_value(a):
        # min_y (y - a)^2 + y^4, for a given a
        r = lbfgsb.minimize(lambda y: (float((y[0] - a) ** 2 + y[0] ** 4),
                                       np.array([2 * (y[0] - a) + 4 * y[0] ** 3])),
                            np.zeros(1), jac=True, gtol=1e-10)
        return r.fun

    def outer(x):
        return (x[0] - 0.3) ** 2 + inner_value(x[0])
    res = lbfgsb.minimize(outer, np.array([2.0]), bounds=[(-3, 3)])
    assert res.success
    # same answer as the direct check: the inner solves are independent
    direct = [inner_value(a) for a in (0.0, 1.0)]
    assert direct[0] == lbfgsb.minimize(
        lambda y: (float(y[0] ** 2 + y[0] ** 4), np.array([2 * y[0] + 4 * y[0] ** 3])),
        np.zeros(1), jac=True, gtol=1e-10).fun
    # the outer objective f(a) = (a-0.3)^2 + min_y[(y-a)^2+y^4] has its
    # minimum where d/da = 2(a - 0.3) + 2(a - y*(a)) = 0
    assert 0.0 < res.x[0] < 0.3


# ---------------------------------------------------------------------------
# leaks

LEAK_CODE = """
    import os, sys, numpy as np, lbfgsb
    runs, mode = int(sys.argv[1]), sys.argv[2]
    page = os.sysconf("SC_PAGE_SIZE")
    def rss():
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * page
    def fg(x):
        return float(x @ x - x.sum()), 2 * x - 1.0
    calls = [0]
    def bad(x):
        calls[0] += 1
        if calls[0] % 3 == 0:
            raise ValueError("injected")
        return fg(x)
    x0 = np.full(3, 2.0)
    def one():
        if mode == "ok":
            lbfgsb.minimize(fg, x0, jac=True, bounds=[(0, 3)] * 3)
        elif mode == "raise":
            try:
                lbfgsb.minimize(bad, x0, jac=True)
            except ValueError:
                pass
        elif mode == "setulb":
            x = x0.copy(); f = np.zeros(1); g = np.zeros(3)
            lwa, liwa, lis, lds, lls = lbfgsb.workspace_sizes(3, 2)
            wa = np.zeros(lwa); iwa = np.zeros(liwa, np.int32)
            task = np.zeros(1, "S60"); task[0] = b"START"; cs = np.zeros(1, "S60")
            ls = np.zeros(lls, np.int32); isv = np.zeros(lis, np.int32); ds = np.zeros(lds)
            nbd = np.zeros(3, np.int32); l = np.zeros(3)
            for _ in range(50):
                lbfgsb.setulb(2, x, l, l, nbd, f, g, 1e7, 1e-5, wa, iwa, task, -1,
                              cs, ls, isv, ds)
                if task[0].startswith(b"FG"):
                    f[0], g[:] = fg(x)
                elif not task[0].startswith(b"NEW_X"):
                    break
            try:  # and a refused call
                isv[26] = -5
                lbfgsb.setulb(2, x, l, l, nbd, f, g, 1e7, 1e-5, wa, iwa, task, -1,
                              cs, ls, isv, ds)
            except ValueError:
                pass
    for _ in range(2000):
        one()
    r0 = rss()
    for _ in range(runs):
        one()
    print(rss() - r0)
"""


@pytest.mark.parametrize("mode", ["ok", "raise", "setulb"])
def test_many_small_runs_do_not_grow_resident_memory(mode):
    """N small runs grow RSS by less than 1 MB * N / 100000 (at least 256 kB
    for page granularity)."""
    runs = int(os.environ.get("LBFGSB_LEAK_RUNS", "20000"))
    if mode == "setulb":
        runs //= 4
    p = subprocess.run(
        [sys.executable, "-P", "-c", textwrap.dedent(LEAK_CODE), str(runs), mode],
        cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    growth = int(p.stdout.split()[-1])
    bound = max(2**20 * runs / 100000, 256 * 1024)
    assert growth < bound, f"{runs} runs ({mode}) grew RSS by {growth} bytes"


# ---------------------------------------------------------------------------
# large n

HUGE_CODE = """
    import sys, resource, numpy as np, lbfgsb
    n = int(sys.argv[1])
    c = np.linspace(-1.0, 1.0, n)
    def fg(x):
        r = x - c
        return float(r @ r), 2.0 * r
    res = lbfgsb.minimize(fg, np.zeros(n), jac=True, maxcor=3, maxiter=3)
    lwa = lbfgsb.workspace_sizes(n, 3)[0]
    # this process's own peak: VmHWM belongs to the address space exec made;
    # ru_maxrss would also carry the parent's peak across a vfork + exec
    try:
        with open("/proc/self/status") as f:
            peak = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(res.nit, res.status, float(np.max(np.abs(res.x - c))), lwa, peak)
"""


def _large(n):
    p = subprocess.run([sys.executable, "-P", "-c", textwrap.dedent(HUGE_CODE), str(n)],
                       cwd=ROOT, env=dict(os.environ), capture_output=True, text=True,
                       timeout=900)
    assert p.returncode == 0, p.stderr
    nit, status, err, lwa, peak_kb = p.stdout.split()
    assert int(lwa) == 2 * 3 * n + 5 * n + 11 * 9 + 8 * 3
    assert int(nit) >= 1 and int(status) in (0, 1)
    # a quadratic with identity Hessian: the first step lands on the minimum
    assert float(err) < 1e-6
    return int(peak_kb)


def test_large_n_two_million_runs_within_memory():
    n = 2 * 10**6
    peak_kb = _large(n)
    # wa (11 n doubles) + x, g, l, u, nbd, iwa, copies: well under 40 n doubles
    assert peak_kb * 1024 < 40 * 8 * n + 200 * 2**20


@pytest.mark.skipif(os.environ.get("LBFGSB_HUGE") != "1",
                    reason="set LBFGSB_HUGE=1 for the n = 10**7 run (~1.5 GB)")
def test_large_n_ten_million_runs_within_memory():
    n = 10**7
    peak_kb = _large(n)
    print(f"n = 1e7: peak RSS {peak_kb / 1024:.0f} MiB")
    assert peak_kb * 1024 < 40 * 8 * n + 200 * 2**20


def test_workspace_that_would_not_fit_32bit_offsets_is_refused():
    with pytest.raises(ValueError, match="32-bit"):
        lbfgsb.workspace_sizes(10**8, 10)            # 2mn = 2e9 + 5n > 2^31
    with pytest.raises(ValueError, match="32-bit"):
        lbfgsb.minimize(rosen_fg, np.zeros(200_000_000 // 100), jac=True, maxcor=600)
    # the boundary, n = 10**6: m = 1064 fits, m = 1065 does not
    n = 10**6
    assert lbfgsb.workspace_sizes(n, 1064)[0] == 2 * 1064 * n + 5 * n + 11 * 1064**2 + 8 * 1064
    with pytest.raises(ValueError, match="32-bit"):
        lbfgsb.workspace_sizes(n, 1065)


def test_line_search_with_nan_gradient_is_bounded_by_maxls_like_scipy():
    """A NaN gradient keeps the line search going until maxls evaluations;
    maxfun is checked between iterations only (SciPy's loop does the same),
    so a huge maxls, not maxfun, bounds such a run.  Documented, not a hang:
    the count is exact."""
    def fg(x):
        return float(np.sum((x - 0.25) ** 2)), np.full_like(x, np.nan)
    for fl in ("fortran", "scipy"):
        res = lbfgsb.minimize(fg, np.array([3.0, 1.0]), jac=True, maxfun=10,
                              maxls=500, flavour=fl)
        assert res.nfev == 501 and res.nit == 0
        assert res.task == "ABNORMAL_TERMINATION_IN_LNSRCH"
    ref = so.minimize(fg, np.array([3.0, 1.0]), jac=True, method="L-BFGS-B",
                      options=dict(maxfun=10, maxls=500))
    assert ref.nfev == 501 and ref.message == res.message
    assert ref.status == res.status == 1      # nfev > maxfun: SciPy's warnflag
