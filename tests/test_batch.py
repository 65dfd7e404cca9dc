"""Batched solving: every problem makes the iterates it makes alone, bit for
bit; problems finish independently; bad batch functions raise clear errors
and leave the batch able to continue; batch checkpoints resume bit for bit."""

import gc
import io
import os
import pickle
import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy.optimize import Bounds

import lbfgsb
from lbfgsb import _batch
from tools.bench_batch import rosenbrock_family

N = 5


def make_problems(B, n=N, seed=0):
    """Shifted, scaled Rosenbrock functions with per-problem data (the family
    of tools/bench_batch.py), a vectorised fg over any subset of them, and
    per-problem functions with the same arithmetic on one row."""
    X0, fg_batch, _ = rosenbrock_family(B, n, np.random.default_rng(seed))

    def fg_one(i):
        def fg(x):
            F, G = fg_batch(x[None, :], np.array([i]))
            return F[0], G[0]
        return fg
    return X0, fg_batch, fg_one


def recording(fg_batch, B):
    points = [[] for _ in range(B)]

    def rec(X, active):
        assert np.all(np.diff(active) > 0)      # increasing problem order
        for row, i in enumerate(active):
            points[i].append(X[row].copy())
        return fg_batch(X, active)
    return rec, points


def solve_alone(x0, fg, bounds, **opts):
    s = lbfgsb.Solver(x0, bounds, **opts)
    pts = []
    for x in s:
        pts.append(x)
        s.tell(*fg(x))
    return s.result(), pts


def assert_same_result(r, res):
    assert_array_equal(r.x, res.x)
    assert r.fun == res.fun
    assert_array_equal(r.jac, res.jac)
    assert (r.nit, r.nfev, r.status, r.task) == (res.nit, res.nfev, res.status, res.task)
    assert_array_equal(r.hess_inv.sk, res.hess_inv.sk)
    assert_array_equal(r.hess_inv.yk, res.hess_inv.yk)


def per_problem_bounds(B, n=N, seed=1):
    rng = np.random.default_rng(seed)
    lo = rng.uniform(-1.5, 0.0, (B, n))
    hi = lo + rng.uniform(0.5, 3.0, (B, n))
    lo[:, 0] = -np.inf                          # a mix of bound types
    hi[:, 1] = np.inf
    return lo, hi


@pytest.mark.parametrize("kind", ["none", "shared pairs", "per-problem Bounds",
                                  "per-problem array"])
def test_each_problem_of_a_batch_makes_its_iterates_alone_bitwise(kind):
    B = 24
    X0, fg_batch, fg_one = make_problems(B)
    lo, hi = per_problem_bounds(B)
    if kind == "none":
        bounds, alone = None, [None] * B
    elif kind == "shared pairs":
        bounds = [(-1.0, 1.5)] * N
        alone = [bounds] * B
    elif kind == "per-problem Bounds":
        bounds = Bounds(lo, hi)
        alone = [Bounds(lo[i], hi[i]) for i in range(B)]
    else:
        bounds = np.stack([lo, hi], axis=-1)
        alone = [list(zip(lo[i], hi[i])) for i in range(B)]
    rec, points = recording(fg_batch, B)
    results = lbfgsb.minimize_batch(rec, X0, bounds, m=4)
    assert len(results) == B
    for i in range(B):
        res, pts = solve_alone(X0[i], fg_one(i), alone[i], m=4)
        assert_same_result(results[i], res)
        assert len(pts) == len(points[i])
        for p, q in zip(pts, points[i]):
            assert_array_equal(p, q)
        # and minimize itself agrees
        ref = lbfgsb.minimize(fg_one(i), X0[i], jac=True, bounds=alone[i], maxcor=4)
        assert_same_result(results[i], ref)


def test_problems_finish_independently_and_rows_follow_active():
    B = 30
    X0, fg_batch, fg_one = make_problems(B, seed=3)
    batch = lbfgsb.BatchSolver(X0, maxiter=200)
    sizes = []
    while not batch.done:
        X = batch.ask()
        active = batch.active
        assert X.shape == (active.size, N)
        for row, i in enumerate(active):
            assert_array_equal(X[row], batch.solvers[i].ask())
        sizes.append(active.size)
        batch.tell(*fg_batch(X, active))
    assert sizes[0] == B and sizes[-1] < B
    assert all(a >= b for a, b in zip(sizes, sizes[1:]))
    nfevs = [r.nfev for r in batch.results()]
    assert len(set(nfevs)) > 1 and max(nfevs) == len(sizes)
    with pytest.raises(RuntimeError, match="done"):
        batch.ask()


def test_options_apply_to_every_problem():
    B = 10
    X0, fg_batch, fg_one = make_problems(B, seed=4)
    results = lbfgsb.minimize_batch(fg_batch, X0, maxiter=3, flavour="scipy", ftol=1e-12)
    for i, r in enumerate(results):
        res, _ = solve_alone(X0[i], fg_one(i), None, maxiter=3, flavour="scipy", ftol=1e-12)
        assert_same_result(r, res)
        assert r.nit <= 3


def test_a_thousand_small_problems():
    B = 1000
    X0, fg_batch, fg_one = make_problems(B, n=3, seed=5)
    results = lbfgsb.minimize_batch(fg_batch, X0)
    assert sum(r.success for r in results) >= 990
    for i in (0, 499, 999):
        res, _ = solve_alone(X0[i], fg_one(i), None)
        assert_same_result(results[i], res)


def test_batch_checkpoints_resume_bitwise(tmp_path):
    B = 12
    X0, fg_batch, fg_one = make_problems(B, seed=6)
    lo, hi = per_problem_bounds(B, seed=7)
    ref = lbfgsb.minimize_batch(fg_batch, X0, Bounds(lo, hi))
    batch = lbfgsb.BatchSolver(X0, Bounds(lo, hi))
    for _ in range(9):
        X = batch.ask()
        batch.tell(*fg_batch(X, batch.active))
    buf = io.BytesIO()
    batch.save(buf)
    buf.seek(0)
    copies = [lbfgsb.BatchSolver.from_state(batch.state_dict()),
              pickle.loads(pickle.dumps(batch)),
              lbfgsb.BatchSolver.load(buf)]
    for b in [batch] + copies:
        while not b.done:
            X = b.ask()
            b.tell(*fg_batch(X, b.active))
        for r, res in zip(b.results(), ref):
            assert_same_result(r, res)


def test_a_bad_batch_function_raises_and_the_batch_continues():
    B = 8
    X0, fg_batch, fg_one = make_problems(B, seed=8)
    ref = lbfgsb.minimize_batch(fg_batch, X0)
    with pytest.raises(ValueError, match="G"):
        lbfgsb.minimize_batch(lambda X, a: (fg_batch(X, a)[0], fg_batch(X, a)[1][:, :-1]), X0)
    with pytest.raises(ValueError, match="pair"):
        lbfgsb.minimize_batch(lambda X, a: fg_batch(X, a)[0], X0)
    batch = lbfgsb.BatchSolver(X0)
    with pytest.raises(RuntimeError, match="without ask"):
        batch.tell(np.zeros(B), np.zeros((B, N)))
    for rnd in range(40):
        if batch.done:
            break
        X = batch.ask()
        F, G = fg_batch(X, batch.active)
        for bad, match in [((F[:-1], G), "F"), ((F, G[:-1]), "G"),
                           ((F, G[:, :, None]), "G"), ((F.astype(complex), G), "F"),
                           ((F[:, None], G), "F")]:
            with pytest.raises(ValueError, match=match):
                batch.tell(*bad)
        if rnd == 5:
            batch = pickle.loads(pickle.dumps(batch))   # still checkpointable
            batch.ask()
        batch.tell(F, G)
    while not batch.done:
        X = batch.ask()
        batch.tell(*fg_batch(X, batch.active))
    for r, res in zip(batch.results(), ref):
        assert_same_result(r, res)


@pytest.mark.parametrize("X0, bounds, match", [
    (np.zeros(5), None, "shape"),
    (np.zeros((3, 0)), None, "at least one"),
    (np.zeros((2, 2), np.float32), None, "float64"),
    (np.zeros((2, 2)), np.zeros((3, 2, 2)), "shape"),
    (np.zeros((2, 2)), Bounds(np.ones((2, 2)), np.zeros((2, 2))), "upper bound is less"),
    (np.zeros((2, 2)), [(0, 1)] * 3, "not compatible"),
    (np.zeros((2, 2)), Bounds([[0, 0], [1, 0]], [[1, 1], [1, 0]]), "all variables are fixed"),
])
def test_bad_batch_arguments_raise_value_error(X0, bounds, match):
    with pytest.raises(ValueError, match=match):
        lbfgsb.BatchSolver(X0, bounds)


def test_stop_ends_chosen_problems_only():
    B = 6
    X0, fg_batch, fg_one = make_problems(B, seed=9)
    batch = lbfgsb.BatchSolver(X0)
    for _ in range(5):
        X = batch.ask()
        batch.tell(*fg_batch(X, batch.active))
    batch.stop([1, 4])
    assert [s.done for s in batch.solvers] == [False, True, False, False, True, False]
    assert list(batch.active) == list(range(B))      # rows of the last ask
    X = batch.ask()
    assert list(batch.active) == [0, 2, 3, 5]
    batch.tell(*fg_batch(X, batch.active))
    assert batch.solvers[1].result().task == "STOP: CALLBACK REQUESTED HALT"


@pytest.fixture
def every_round_parallel():
    """Step even small rounds on several threads (the batch otherwise keeps
    rounds of little work on one thread)."""
    from lbfgsb import _batch
    old = _batch._set_parallel_work(0.0)
    yield
    _batch._set_parallel_work(old)


def test_threads_step_the_batch_to_the_same_bits_as_one_thread(every_round_parallel):
    rng = np.random.default_rng(7)
    B, n = 40, 30
    C = rng.normal(size=(B, n))
    D = rng.uniform(1.0, 50.0, size=(B, n))

    def fg(X, active):
        R = X - C[active]
        # a quartic term, so that the line searches and updates vary by problem
        return (0.5 * np.sum(D[active] * R * R, axis=1) + 0.25 * np.sum(R ** 4, axis=1),
                D[active] * R + R ** 3)

    X0 = rng.normal(size=(B, n))
    bounds = [(-0.5, 0.5)] * n
    one = lbfgsb.minimize_batch(fg, X0, bounds=bounds, threads=1)
    two = lbfgsb.minimize_batch(fg, X0, bounds=bounds, threads=2)
    for a, b in zip(one, two):
        assert_array_equal(a.x, b.x)
        assert a.fun == b.fun
        assert (a.nit, a.nfev, a.message) == (b.nit, b.nfev, b.message)


def test_threads_must_be_a_positive_integer():
    with pytest.raises(ValueError, match="threads"):
        lbfgsb.BatchSolver(np.zeros((2, 3)), threads=0)


@pytest.mark.parametrize("window", [1, 3, 7])
@pytest.mark.parametrize("threads", [1, 2])
def test_any_window_and_threads_give_each_problem_its_iterates_alone_bitwise(
        window, threads, every_round_parallel):
    B = 16
    X0, fg_batch, fg_one = make_problems(B, seed=11)
    lo, hi = per_problem_bounds(B, seed=12)
    rec, points = recording(fg_batch, B)
    results = lbfgsb.minimize_batch(rec, X0, Bounds(lo, hi), m=4, window=window,
                                    threads=threads)
    for i in range(B):
        res, pts = solve_alone(X0[i], fg_one(i), Bounds(lo[i], hi[i]), m=4)
        assert_same_result(results[i], res)
        assert len(pts) == len(points[i])
        for p, q in zip(pts, points[i]):
            assert_array_equal(p, q)


def test_a_round_asks_the_first_window_problems_still_running():
    B, W = 12, 4
    X0, fg_batch, _ = make_problems(B, seed=13)
    batch = lbfgsb.BatchSolver(X0, window=W, maxiter=30)
    assert batch.window == W
    sizes = []
    while not batch.done:
        X = batch.ask()
        running = [i for i, s in enumerate(batch.solvers) if not s.done]
        assert list(batch.active) == running[:W]
        sizes.append(len(batch.active))
        batch.tell(*fg_batch(X, batch.active))
    assert max(sizes) == W and min(sizes) >= 1
    # fewer calls than a loop: every round but the last few is full
    assert len(sizes) < sum(r.nfev for r in batch.results()) / 2


def test_the_automatic_window_fits_the_cache_and_leaves_small_problems_together():
    small = lbfgsb.BatchSolver(np.zeros((50, 3)))
    assert small.window == 50               # 50 problems of n = 3 fit easily
    big = lbfgsb.BatchSolver(np.zeros((50, 20000)))
    assert 1 <= big.window < 50             # a workspace of n = 20000 is ~3 MB
    big.threads = 2
    assert big.window >= 2                  # at least one problem per thread
    with pytest.raises(ValueError, match="window"):
        lbfgsb.BatchSolver(np.zeros((2, 3)), window=0)


def test_with_two_threads_the_window_grows_for_parallel_rounds_only_within_the_l3_cache(
        monkeypatch):
    monkeypatch.setattr(_batch, "_CACHES", (1 << 20, 32 << 20))   # 1 MB L2, 32 MB L3
    one = lbfgsb.BatchSolver(np.zeros((2000, 10)))
    two = lbfgsb.BatchSolver(np.zeros((2000, 10)), threads=2)
    # n = 10: a round worth two threads would need 10,000 problems (130 MB):
    # the window stays the one-thread window, its rounds on one thread
    assert 400 <= one.window <= 600
    assert two.window == one.window
    assert two.window * 10 * 10 < 1e6
    # n = 1,000: 100 problems (32 MB) make a round worth two threads
    big = lbfgsb.BatchSolver(np.zeros((300, 1000)), threads=2)
    assert big.window * 1000 * 10 >= 1e6
    assert big.window > 2 * lbfgsb.BatchSolver(np.zeros((300, 1000))).window


def test_the_cache_sizes_are_read_from_the_os_where_it_tells_them():
    l2, l3 = _batch._read_cache_sizes()
    base = "/sys/devices/system/cpu/cpu0/cache/index2/size"
    if os.path.exists(base):
        with open(base) as f:
            text = f.read().strip()
        assert l2 == int(text.rstrip("KM")) * {"K": 1024, "M": 1 << 20}[text[-1]]
    else:
        assert l2 == 1 << 20
    assert l3 >= l2 > 0


def test_results_of_small_problems_do_not_keep_their_workspaces_alive():
    X0, fg_batch, _ = make_problems(500, n=5)
    gc.collect()
    tracemalloc.start()
    try:
        results = lbfgsb.minimize_batch(fg_batch, X0, m=10)
        gc.collect()
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert all(r.success for r in results)
    workspaces = 500 * 8 * (2 * 10 * 5 + 5 * 5 + 11 * 10 * 10 + 8 * 10)   # 5.2 MB
    assert kept < workspaces / 2


def test_a_batch_file_stores_each_field_once_for_all_problems_and_old_files_load(tmp_path):
    from lbfgsb import _checkpoint
    B = 6
    X0, fg_batch, _ = make_problems(B, seed=14)
    batch = lbfgsb.BatchSolver(X0)
    for _ in range(4):
        batch.tell(*fg_batch(batch.ask(), batch.active))
    batch.save(tmp_path / "b.npz")
    with np.load(tmp_path / "b.npz", allow_pickle=False) as z:
        assert z["layout"] == "stacked" and z["s.x"].shape == (B, N)
        assert not any(k.startswith("p0.") for k in z.files)
    # the first layout (one set of entries per problem, "p<i>.<field>")
    old = {"format": np.asarray("lbfgsb.BatchSolver"),
           "format_version": np.asarray(_checkpoint.FORMAT_VERSION), "B": np.asarray(B)}
    for i, s in enumerate(batch.solvers):
        old.update(_checkpoint.to_arrays(s.state_dict(), f"p{i}."))
    np.savez(tmp_path / "old.npz", **old)
    a = lbfgsb.BatchSolver.load(tmp_path / "b.npz")
    b = lbfgsb.BatchSolver.load(tmp_path / "old.npz")
    while not a.done:
        a.tell(*fg_batch(a.ask(), a.active))
        b.tell(*fg_batch(b.ask(), b.active))
    assert b.done
    for r, s in zip(a.results(), b.results()):
        assert_same_result(r, s)


def test_progress_bar_only_when_asked_or_on_a_terminal(capsys):
    X0, fg_batch, _ = make_problems(30, seed=15)
    quiet = lbfgsb.minimize_batch(fg_batch, X0)      # stderr is not a terminal here
    assert capsys.readouterr().err == ""
    shown = lbfgsb.minimize_batch(fg_batch, X0, progress=True)
    err = capsys.readouterr().err
    assert "30/30 problems" in err and err.endswith("\n")
    for r, s in zip(quiet, shown):
        assert_same_result(r, s)
