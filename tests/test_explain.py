"""tools/explain.py reports the solver's own numbers, and they agree with dense algebra.

Each test drives ``lbfgsb.setulb`` itself (iprint = -1, no trace) and compares
what the explain command says with the state arrays of that independent run;
the printed vectors are checked against tests/dense_model.py; the Cauchy
segments against what ``cauchy`` itself prints at iprint = 101.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.append(os.path.join(ROOT, "tools"))

import lbfgsb                   # noqa: E402
from lbfgsb.port import state   # noqa: E402
import explain as ex            # noqa: E402
import reference                # noqa: E402
from dense_model import bfgs_matrix, first_minimiser_on_path, reduced_newton  # noqa: E402


def _independent_run(name, kmax, m=5):
    """Drive setulb with iprint=-1; return a list of (task, x, wa, isave, dsave)
    after each return."""
    p = reference.get(name)
    n = p.n
    l, u, nbd = ex._bounds(p)
    x = np.array(p.x0, float)
    f, g = np.zeros(1), np.zeros(n)
    wa, iwa, task, csave, lsave, isave, dsave = state.new_arrays(n, m)
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
            if isave[state.ISAVE_ITER] > kmax:
                return out
        else:
            return out


def _block(wa, isave, name, length):
    off = int(isave[state.ISAVE_LWS + state.WA_NAMES.index(name)]) - 1
    return wa[off:off + length]


def _solver_view(run, k, n):
    """xcp, z and accepted x of iteration k, read from the independent run:
    the first FG_LNSRCH return after the NEW_X of iteration k-1 holds the GCP
    (xp when subsm ran, i.e. iword != -1, else z) and z; the NEW_X return with
    iter == k holds x_{k+1}; the next iteration's t block holds it too."""
    starts = [j for j, c in enumerate(run) if c[0].startswith(("FG_ST", "NEW_X"))]
    begin = [j for j in starts if (run[j][0].startswith("FG_ST") and k == 1)
             or (run[j][0].startswith("NEW_X") and run[j][3][state.ISAVE_ITER] == k - 1)][0]
    tk, x, wa, isave, dsave = run[begin + 1]
    assert tk.startswith("FG_LN")
    iword = isave[state.ISAVE_IWORD]
    xcp = _block(wa, isave, "xp" if iword != -1 else "z", n).copy()
    z = _block(wa, isave, "z", n).copy()
    end = [j for j, c in enumerate(run) if c[0].startswith("NEW_X") and c[3][state.ISAVE_ITER] == k][0]
    x_new = run[end][1].copy()
    t_next = _block(run[end + 1][2], run[end + 1][3], "t", n).copy()
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


def _cauchy_trace(name, k):
    """(f1, f2) of each piece that cauchy prints in iteration k (iprint=101), by piece."""
    import contextlib
    import io
    import re
    p = reference.get(name)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        lbfgsb.fmin_l_bfgs_b(p.fg, p.x0, bounds=list(zip(p.lower, p.upper)), m=5,
                             trace=101, maxiter=k)
    text = buf.getvalue().split("ITERATION")[k]
    num = r"([-+]?[0-9.]+D[-+][0-9]+)"
    pieces = {}                              # the GCP's piece is printed twice
    for j, a, b in re.findall(r"Piece\s+(\d+)\s+--f1, f2 at start point\s+%s\s+%s"
                              % (num, num), text):
        pieces[int(j)] = (float(a.replace("D", "E")), float(b.replace("D", "E")))
    return [pieces[j] for j in sorted(pieces)]


@pytest.mark.parametrize("name,k", [("HS5", 1), ("HS5", 2), ("LOGROS", 1), ("BDEXP", 1),
                                    ("HS110", 3)])
def test_explain_segments_are_what_cauchy_prints(name, k):
    """The f', f'' the report computes from B_k for each segment are the f1, f2 that
    cauchy itself prints (5 digits); the breakpoints are sorted and positive."""
    rep = ex.explain(name, k)
    ts = [t for t, _ in rep["breakpoints"]]
    assert ts == sorted(ts) and all(t > 0 for t in ts)
    printed = _cauchy_trace(name, k)
    segs = [s for s in rep["segments"] if s["t1"] > s["t0"]]   # cauchy prints dt != 0
    assert len(printed) == len(segs) >= 1
    for (f1, f2), s in zip(printed, segs):
        assert s["fp"] == pytest.approx(f1, rel=1e-4, abs=1e-300)
        assert s["fpp"] == pytest.approx(f2, rel=1e-4, abs=1e-300)


def _teaching():
    from reference import teaching
    return ex.load_problem(spec="reference.teaching:problem")


def _vector(text, label):
    import re
    line = next(ln for ln in text.splitlines() if label in ln)
    return np.array([float(v) for v in re.search(r"= \[([^\]]*)\]", line).group(1).split(",")])


@pytest.mark.parametrize("name,k,kind", [("HS5", 2, "inside"), ("HS110", 3, None),
                                         ("teaching", 4, "projected"),
                                         ("teaching", 10, "backtracked")])
def test_explain_printed_vectors_agree_with_dense_algebra(name, k, kind):
    """What the command prints for x_k's model: the GCP, r^c with its sign (5.4), the
    Newton point (5.7), z after the MN11 projection or the backtracking (5.8)-(5.9)."""
    p = _teaching() if name == "teaching" else reference.get(name)
    rep = ex.explain(p, k)
    assert rep["ok"], [c for c in rep["checks"] if not c[1]]
    text = ex.format_report(rep, small=rep["n"])
    x, g, n = rep["x"], rep["g"], rep["n"]
    lo = np.where(np.isin(rep["nbd"], (1, 2)), rep["l"], -np.inf)
    hi = np.where(np.isin(rep["nbd"], (2, 3)), rep["u"], np.inf)
    B = bfgs_matrix(rep["theta"], rep["S"].T, rep["Y"].T, n)
    tol = dict(rtol=1e-9, atol=1e-12)
    _, xcp = first_minimiser_on_path(x, g, lo, hi, B)
    np.testing.assert_allclose(_vector(text, "xcp = "), xcp, **tol)
    rc, zn = reduced_newton(x, g, B, rep["xcp"], rep["free"])
    np.testing.assert_allclose(_vector(text, "reduced gradient r^c"), rc, **tol)
    np.testing.assert_allclose(_vector(text, "before projection"), zn, **tol)
    z = _vector(text, "after: z")
    proj = np.clip(_vector(text, "before projection"), lo, hi)
    if kind == "inside":
        assert "iword = 0" in text
        np.testing.assert_array_equal(z, proj)
    elif kind == "projected":
        assert "projected onto the box (MN11)" in text and (proj - x) @ g <= 0
        np.testing.assert_array_equal(z, proj)
    elif kind == "backtracked":
        assert "backtracks" in text and (proj - x) @ g > 0
        du = zn - rep["xcp"]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(du > 0, (hi - rep["xcp"]) / du,
                             np.where(du < 0, (lo - rep["xcp"]) / du, np.inf))
        np.testing.assert_allclose(z, rep["xcp"] + min(1.0, ratio.min()) * du, **tol)
    np.testing.assert_array_equal(_vector(text, "search direction d"), z - x)


def test_explain_reduced_gradient_has_the_sign_of_blnz95_5_4():
    """HS5, iteration 2: r^c = Z'(g + B(xcp - x)) is [-0.1397..., 0.6356...]; cmprlb's
    r block holds its negative, which the report no longer prints as r^c."""
    rep = ex.explain("HS5", 2)
    np.testing.assert_allclose(rep["reduced_grad"], [-0.13974511171392928,
                                                     0.63565539741201782], rtol=1e-12)


def test_explain_unbounded_problem_skips_cauchy_and_gcp_is_x_k():
    rep = ex.explain("ROSENBR", 3)
    assert not rep["ran_cauchy"] and not rep["cnstnd"]
    assert np.array_equal(rep["xcp"], rep["x"])
    assert rep["subsm_ran"] and rep["iword"] == 0
    assert np.array_equal(rep["newton"], rep["z"])


def test_explain_line_search_trials_carry_the_wolfe_tests_and_bracket_of_dcsrch():
    rep = ex.explain(_teaching(), 4)          # five trials, bracketed from the third on
    trials = rep["trials"]
    assert len(trials) == 5
    assert trials[0]["verdict"] == "FG" and not trials[0]["armijo"]
    assert any(t["brackt"] for t in trials)
    last = trials[-1]
    assert last["verdict"].startswith("CONV") and last["armijo"] and last["curvature"]
    assert last["stp"] == rep["stp"]
    assert rep["finit"] == rep["f"] and rep["ginit"] == rep["gdold"]
    lo, hi = sorted((last["stx"], last["sty"]))
    assert lo <= last["stp"] <= hi
    assert "bracket [" in ex.format_report(rep)


def test_explain_update_reports_the_pair_the_solver_stored():
    rep = ex.explain("HS5", 2)
    up = rep["update"]
    assert up["updated"] and up["passes"]
    assert up["sy_stored"] == up["sy"]
    assert np.dot(up["s"], up["y"]) == pytest.approx(up["sy"], rel=1e-12)
    assert up["theta"] == pytest.approx(np.dot(up["y"], up["y"]) / up["sy"], rel=1e-12)


def test_explain_all_reports_the_iterates_of_an_independent_run():
    # six iterations from one run of explain_all: each x_k+1 is the independent run's
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


def test_explain_command_takes_a_user_problem_and_a_registry_flavour():
    out = subprocess.run([sys.executable, "-P", os.path.join(ROOT, "tools", "explain.py"),
                          "--problem", "reference.teaching:problem", "--iter", "4",
                          "--flavour", "cauchy_dead_exit+lnsrlb_dnrm2"],
                         capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "projected onto the box (MN11)" in out.stdout and "FAIL" not in out.stdout
    bad = subprocess.run([sys.executable, "-P", os.path.join(ROOT, "tools", "explain.py"),
                          "HS5", "--flavour", "nonsense"], capture_output=True, text=True,
                         env=_env(), cwd=ROOT, timeout=300)
    assert bad.returncode == 2 and "unknown" in bad.stderr


def test_explain_command_refuses_an_iteration_after_convergence():
    out = subprocess.run([sys.executable, "-P", os.path.join(ROOT, "tools", "explain.py"),
                          "HS4", "--iter", "5"], capture_output=True, text=True,
                         env=_env(), cwd=ROOT, timeout=300)
    assert out.returncode == 2 and "stopped before iteration 5" in out.stderr
