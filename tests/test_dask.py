"""lbfgsb.dask on a LocalCluster with two worker processes: the results are
bitwise those of lbfgsb.minimize_batch in process (fg_batch sees global
problem indices); a worker killed mid-run costs no finished partition and
its partition resumes from its last checkpoint, still bitwise; the core
package never imports Dask."""

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy.optimize import Bounds

import lbfgsb

distributed = pytest.importorskip("distributed")
import lbfgsb.dask  # noqa: E402

from tests.test_batch import assert_same_result, make_problems, per_problem_bounds  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as c:
        yield c


def test_import_lbfgsb_never_imports_dask():
    code = ("import sys, lbfgsb; "
            "assert not {'dask', 'distributed'} & set(sys.modules), 'dask imported'")
    where = os.path.dirname(os.path.dirname(lbfgsb.__file__))   # the package tested
    subprocess.run([sys.executable, "-P", "-c", code], check=True,
                   env={**os.environ, "PYTHONPATH": where})


@pytest.mark.parametrize("partitions", [1, 3, 7])
def test_dask_gives_bitwise_the_in_process_results_in_problem_order(client, partitions):
    B = 20
    X0, fg_batch, _ = make_problems(B, seed=21)
    lo, hi = per_problem_bounds(B, seed=22)       # per-problem data and bounds
    ref = lbfgsb.minimize_batch(fg_batch, X0, Bounds(lo, hi), m=5)
    res = lbfgsb.dask.minimize_batch(fg_batch, X0, Bounds(lo, hi), client=client,
                                     partitions=partitions, m=5)
    assert len(res) == B
    for r, s in zip(ref, res):
        assert_same_result(r, s)


def test_dask_results_have_the_in_process_fields_types_and_values(client):
    B = 12
    X0, fg_batch, _ = make_problems(B, n=90, seed=24)   # n >= 79: hess_inv pairs are views
    X0s, fg_small, _ = make_problems(B, seed=25)         # n = 5: copies
    for X, fg in ((X0, fg_batch), (X0s, fg_small)):
        ref = lbfgsb.minimize_batch(fg, X, maxiter=7)     # some stop at maxiter
        res = lbfgsb.dask.minimize_batch(fg, X, client=client, partitions=3, maxiter=7)
        assert {r.status for r in ref} >= {1}
        for r, s in zip(ref, res):
            assert list(r.keys()) == list(s.keys())
            for key in r:
                assert type(r[key]) is type(s[key]), key
                if key == "hess_inv":
                    assert_array_equal(r[key].sk, s[key].sk)
                    assert_array_equal(r[key].yk, s[key].yk)
                    assert_array_equal(r[key].todense(), s[key].todense())
                elif isinstance(r[key], np.ndarray):
                    assert_array_equal(r[key], s[key])
                    assert r[key].dtype == s[key].dtype
                else:
                    assert r[key] == s[key], key


def test_dask_checkpoints_of_finished_partitions_are_reused(client, tmp_path):
    B = 10
    X0, fg_batch, _ = make_problems(B, seed=23)
    ref = lbfgsb.minimize_batch(fg_batch, X0)
    first = lbfgsb.dask.minimize_batch(fg_batch, X0, client=client, partitions=2,
                                       checkpoint_dir=tmp_path)
    files = sorted(tmp_path.glob("*.npz"))
    assert len(files) == 2

    again = lbfgsb.dask.minimize_batch(fg_batch, X0, client=client, partitions=2,
                                       checkpoint_dir=tmp_path)
    assert sorted(tmp_path.glob("*.npz")) == files

    def refuse(X, active):
        raise AssertionError("a finished partition was computed again")
    # another function resumes only under the same explicit key
    keyed = lbfgsb.dask.minimize_batch(fg_batch, X0, client=client, partitions=2,
                                       checkpoint_dir=tmp_path / "k", key="rosen-23")
    resumed = lbfgsb.dask.minimize_batch(refuse, X0, client=client, partitions=2,
                                         checkpoint_dir=tmp_path / "k", key="rosen-23")
    for r, *others in zip(ref, first, again, keyed, resumed):
        for s in others:
            assert_same_result(r, s)


def test_a_reused_checkpoint_dir_never_resumes_another_problem(client, tmp_path):
    """The issue's reproduction: the same call with other args (or another
    function, or other options) gives the fresh answer, not the first call's."""
    B, n = 6, 4
    rng = np.random.default_rng(31)
    X0 = rng.standard_normal((B, n))
    C1 = rng.standard_normal((B, n))

    def fg_batch(X, active, C):
        R = X - C[active]
        return np.sum(R ** 4, axis=1) + np.sum(X ** 2, axis=1), 4 * R ** 3 + 2 * X

    def fg_other(X, active, C):
        F, G = fg_batch(X, active, C)
        return 2 * F, 2 * G
    runs = [dict(fg=fg_batch, args=(C1,), opts={}),
            dict(fg=fg_batch, args=(-C1,), opts={}),
            dict(fg=fg_other, args=(C1,), opts={}),
            dict(fg=fg_batch, args=(C1,), opts={"m": 4}),
            dict(fg=fg_batch, args=(-C1,), opts={}, key="same key"),
            dict(fg=fg_batch, args=(C1,), opts={}, key="same key")]
    for run in runs:
        fresh = lbfgsb.minimize_batch(run["fg"], X0, args=run["args"], **run["opts"])
        res = lbfgsb.dask.minimize_batch(run["fg"], X0, args=run["args"], client=client,
                                         partitions=2, checkpoint_dir=tmp_path,
                                         key=run.get("key"), **run["opts"])
        for r, s in zip(fresh, res):
            assert_same_result(r, s)
    assert len(list(tmp_path.glob("*.npz"))) == 2 * len(runs)
    first = lbfgsb.minimize_batch(fg_batch, X0, args=(C1,))
    second = lbfgsb.minimize_batch(fg_batch, X0, args=(-C1,))
    assert not np.array_equal(first[0].x, second[0].x)     # the runs differ


def test_an_unpicklable_function_needs_a_key_to_be_checkpointed(client, tmp_path):
    B = 4
    X0, fg_batch, _ = make_problems(B, seed=26)
    lock = threading.Lock()

    def locked(X, active):
        with lock:
            return fg_batch(X, active)
    with pytest.raises(ValueError, match="cannot be pickled.*pass key="):
        lbfgsb.dask.minimize_batch(locked, X0, client=client, checkpoint_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="key must be a str or bytes"):
        lbfgsb.dask.minimize_batch(fg_batch, X0, client=client, checkpoint_dir=tmp_path,
                                   key=3)


def test_a_killed_worker_loses_no_finished_work_and_resumes_from_its_checkpoint(
        client, tmp_path):
    B, P = 8, 4                          # four partitions of two problems
    X0, fg_batch, _ = make_problems(B, seed=24)
    ref = lbfgsb.minimize_batch(fg_batch, X0, maxiter=40)
    rounds = []                          # uninterrupted rounds of each partition
    for p in range(P):
        b = lbfgsb.BatchSolver(X0[2 * p:2 * p + 2], maxiter=40)
        r = 0
        while not b.done:
            b.tell(*fg_batch(b.ask(), b.active + 2 * p))    # global indices
            r += 1
        rounds.append(r)
    log = tmp_path / "calls.log"
    ckdir = tmp_path / "ckpt"

    def slow_logged(X, active):
        with open(log, "a") as fh:      # one short line: an atomic append
            fh.write(f"{os.getpid()} {active[0] // 2}\n")
        time.sleep(0.03)
        return fg_batch(X, active)

    out = {}

    def run():
        try:
            out["res"] = lbfgsb.dask.minimize_batch(
                slow_logged, X0, client=client, partitions=P, checkpoint_dir=ckdir,
                checkpoint_every=0, maxiter=40)
        except BaseException as exc:     # reported by the test thread
            out["exc"] = exc
    thread = threading.Thread(target=run)
    thread.start()

    def calls():
        if not log.exists():
            return []
        return [tuple(map(int, line.split())) for line in log.read_text().splitlines()
                if line.count(" ") == 1]

    def finished_files():
        done = {}
        for f in ckdir.glob("*.npz"):
            try:
                if lbfgsb.BatchSolver.load(f).done:
                    done[int(f.name[4:9])] = f       # part<p:05d>-...
            except (ValueError, OSError):
                pass                                 # (replaced while read)
        return done

    # wait for a finished partition and another one a few rounds in
    deadline = time.monotonic() + 60
    victim = None
    while victim is None and time.monotonic() < deadline:
        time.sleep(0.02)
        c = calls()
        done = finished_files()
        for p in range(P):
            mine = [pid for pid, q in c if q == p]
            if done and p not in done and 3 <= len(mine) < rounds[p] - 3:
                victim = (p, mine[-1], done)
                break
    assert victim is not None, "no partition was caught mid-run"
    p_kill, pid, done = victim
    stamps = {f: f.stat().st_mtime_ns for f in done.values()}
    os.kill(pid, signal.SIGKILL)
    thread.join(120)
    assert not thread.is_alive()
    if "exc" in out:
        raise out["exc"]
    for r, s in zip(ref, out["res"]):
        assert_same_result(r, s)             # bitwise the uninterrupted run
    for f in stamps:                         # finished partitions never rerun
        assert f.stat().st_mtime_ns == stamps[f]
    c = calls()
    for p in done:
        assert sum(q == p for _, q in c) == rounds[p]
    # resumed from its last checkpoint: at most the round in flight again
    n_kill = sum(q == p_kill for _, q in c)
    assert rounds[p_kill] <= n_kill <= rounds[p_kill] + 1
