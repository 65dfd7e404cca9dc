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

    def refuse(X, active):
        raise AssertionError("a finished partition was computed again")
    again = lbfgsb.dask.minimize_batch(refuse, X0, client=client, partitions=2,
                                       checkpoint_dir=tmp_path)
    for r, s, t in zip(ref, first, again):
        assert_same_result(r, s)
        assert_same_result(r, t)


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
