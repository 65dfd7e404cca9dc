"""tools/explain.py and tools/plot_iterations.py report the solver's own numbers.

Each test drives ``lbfgsb.setulb`` itself (iprint = -1, no trace) and compares
what the explain command says with the state arrays of that independent run.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.append(os.path.join(ROOT, "tools"))

import lbfgsb                   # noqa: E402
import explain as ex            # noqa: E402
import reference                # noqa: E402


def _independent_run(name, kmax, m=5):
    """Drive setulb with iprint=-1; return a list of (task, x, wa, isave, dsave)
    after each return."""
    p = reference.get(name)
    n = p.n
    l, u, nbd = ex._bounds(p)
    lwa, liwa, lis, lds, lls = lbfgsb.workspace_sizes(n, m)
    x = np.array(p.x0, float)
    f, g = np.zeros(1), np.zeros(n)
    wa, iwa = np.zeros(lwa), np.zeros(liwa, np.int32)
    isave, dsave, lsave = np.zeros(lis, np.int32), np.zeros(lds), np.zeros(lls, np.int32)
    task, csave = np.zeros(1, "S60"), np.zeros(1, "S60")
    task[0] = b"START"
    out = []
    while True:
        lbfgsb.setulb(m, x, l, u, nbd, f, g, 1e7, 1e-5, wa, iwa, task, -1,
                      csave, lsave, isave, dsave)
        tk = task[0].decode().strip()
        out.append((tk, x.copy(), wa.copy(), isave.copy(), dsave.copy()))
        if tk.startswith("FG"):
            fx, gx = p.fg(x.copy())
            f[0] = fx
            g[:] = gx
        elif tk.startswith("NEW_X"):
            if isave[21 + 8] > kmax:
                return out
        else:
            return out


def _block(wa, isave, k, length):
    off = int(isave[k]) - 1
    return wa[off:off + length]


def _solver_view(run, k, n):
    """xcp, z and accepted x of iteration k, read from the independent run:
    the first FG_LNSRCH return after the NEW_X of iteration k-1 holds the GCP
    (xp when subsm ran, i.e. iword != -1, else z) and z; the NEW_X return with
    iter == k holds x_{k+1}; the next iteration's t block holds it too."""
    starts = [j for j, c in enumerate(run) if c[0].startswith(("FG_ST", "NEW_X"))]
    begin = [j for j in starts if (run[j][0].startswith("FG_ST") and k == 1)
             or (run[j][0].startswith("NEW_X") and run[j][3][21 + 8] == k - 1)][0]
    tk, x, wa, isave, dsave = run[begin + 1]
    assert tk.startswith("FG_LN")
    iword = isave[21 + 15]
    xcp = _block(wa, isave, 14 if iword != -1 else 10, n).copy()
    z = _block(wa, isave, 10, n).copy()
    end = [j for j, c in enumerate(run) if c[0].startswith("NEW_X") and c[3][21 + 8] == k][0]
    x_new = run[end][1].copy()
    t_next = _block(run[end + 1][2], run[end + 1][3], 13, n).copy()
    return xcp, z, x_new, t_next, iword


CASES = [("HS5", 1), ("HS5", 2), ("HS5", 4), ("LOGROS", 2), ("HS110", 3),
         ("BDEXP", 1), ("HATFLDC", 3), ("ROSENBR", 3), ("BROWNBS", 2)]


@pytest.mark.parametrize("name,k", CASES)
def test_explain_gcp_subspace_point_and_step_are_the_solvers_bitwise(name, k):
    rep = ex.explain(name, k)
    run = _independent_run(name, k)
    xcp, z, x_new, t_next, iword = _solver_view(run, k, rep["n"])
    assert np.array_equal(rep["xcp"], xcp)
    assert np.array_equal(rep["z"], z)
    assert rep["iword"] == iword
    # the accepted step is the solver's next iterate, and the one it starts from
    assert np.array_equal(rep["x_new"], x_new)
    assert np.array_equal(rep["x_new"], t_next)
    assert rep["ok"], [c for c in rep["checks"] if not c[1]]


@pytest.mark.parametrize("name", reference.names())
def test_explain_runs_on_every_reference_problem_and_its_checks_hold(name):
    """Iterations 1..3 of every reference problem: each report's cross-checks hold,
    and iteration 1's GCP, subspace point and step are the solver's, bit for bit."""
    reps, calls = ex.explain_all(name, 3)
    for rep in reps:
        assert rep["ok"], (rep["k"], [c for c in rep["checks"] if not c[1]])
    if len(reps) < 3:
        # fewer reports only because the run stopped (HS25 converges at x0)
        assert not calls[-1].task.startswith(("FG", "NEW_X")), calls[-1].task
    if reps:
        run = _independent_run(name, 1)
        xcp, z, x_new, t_next, iword = _solver_view(run, 1, reps[0]["n"])
        assert np.array_equal(reps[0]["xcp"], xcp)
        assert np.array_equal(reps[0]["z"], z)
        assert np.array_equal(reps[0]["x_new"], x_new)


@pytest.mark.parametrize("name,k", [("HS5", 1), ("HS5", 2), ("LOGROS", 1), ("BDEXP", 1)])
def test_explain_breakpoints_and_segments_agree_with_the_cauchy_trace(name, k):
    rep = ex.explain(name, k)
    tr = rep["trace"]
    assert rep["ran_cauchy"]
    assert len(rep["breakpoints"]) == tr["nbreak"]
    ts = [t for t, _ in rep["breakpoints"]]
    assert ts == sorted(ts) and all(t > 0 for t in ts)
    # every variable the trace says was fixed is a passed breakpoint, in order
    assert tr["fixed"] == [v for _, v in rep["breakpoints"][:len(tr["fixed"])]]
    # the differences of the passed breakpoints are the trace's dt (to 5 digits)
    prev = 0.0
    for seg, (t, _) in zip([s for s in tr["segments"] if s["fixed"]], rep["breakpoints"]):
        assert seg["dt"] == pytest.approx(t - prev, rel=1e-4)
        prev = t


def test_explain_unbounded_problem_skips_cauchy_and_gcp_is_x_k():
    rep = ex.explain("ROSENBR", 3)
    assert not rep["ran_cauchy"] and not rep["cnstnd"]
    assert np.array_equal(rep["xcp"], rep["x"])
    assert rep["subsm_ran"] and rep["iword"] == 0
    assert np.array_equal(rep["newton"], rep["z"])


def test_explain_line_search_trials_carry_the_wolfe_tests_that_dcsrch_applied():
    rep = ex.explain("HS5", 1)          # first trial rejected, second accepted
    trials = rep["trials"]
    assert len(trials) == 2
    assert trials[0]["verdict"] == "FG" and not trials[0]["armijo"]
    last = trials[-1]
    assert last["verdict"].startswith("CONV") and last["armijo"] and last["curvature"]
    assert last["stp"] == rep["stp"]
    assert rep["finit"] == rep["f"] and rep["ginit"] == rep["gdold"]


def test_explain_update_reports_the_pair_the_solver_stored():
    rep = ex.explain("HS5", 2)
    up = rep["update"]
    assert up["updated"] and up["passes"]
    assert up["sy_stored"] == up["sy"]
    assert np.dot(up["s"], up["y"]) == pytest.approx(up["sy"], rel=1e-12)
    assert up["theta"] == pytest.approx(np.dot(up["y"], up["y"]) / up["sy"], rel=1e-12)


def test_explain_trace_does_not_change_the_iterates():
    # iprint=101 (explain) and iprint=-1 (independent run) give the same x_k
    reps, _ = ex.explain_all("MDHOLE", 6)
    run = _independent_run("MDHOLE", 6)
    for rep in reps:
        _, _, x_new, _, _ = _solver_view(run, rep["k"], rep["n"])
        assert np.array_equal(rep["x_new"], x_new)


def _env():
    env = dict(os.environ)
    stage = os.path.dirname(os.path.dirname(lbfgsb.__file__))
    env["PYTHONPATH"] = stage
    return env


@pytest.mark.parametrize("name,k", [("ROSENBR", 3), ("HS5", 2)])
def test_explain_command_prints_every_section(name, k):
    out = subprocess.run([sys.executable, "-P", os.path.join(ROOT, "tools", "explain.py"),
                          name, "--iter", str(k)], capture_output=True, text=True,
                         env=_env(), cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    for head in ("1. Projected gradient", "2. Breakpoints", "3. Segments",
                 "4. Generalized Cauchy point", "5. Subspace minimization",
                 "6. Line search", "7. Limited-memory update"):
        assert head in out.stdout
    assert "FAIL" not in out.stdout


def test_explain_command_refuses_an_iteration_after_convergence():
    out = subprocess.run([sys.executable, "-P", os.path.join(ROOT, "tools", "explain.py"),
                          "HS4", "--iter", "5"], capture_output=True, text=True,
                         env=_env(), cwd=ROOT, timeout=300)
    assert out.returncode == 2 and "stopped before iteration 5" in out.stderr


def test_plot_command_writes_a_png(tmp_path):
    target = tmp_path / "hs5.png"
    out = subprocess.run([sys.executable, "-P", os.path.join(ROOT, "tools", "plot_iterations.py"),
                          "HS5", "--iters", "4", "--out", str(target)],
                         capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10000
