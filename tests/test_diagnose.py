"""lbfgsb.diagnose: robust or not, where runs part and why, the gradient
check, the advice, child processes per OpenBLAS core type, the command line.

Claims about outcomes use the reference kernels and objectives made of
elementwise IEEE operations (same bits on every CPU); the runs under other
core types are checked against those same bits.
"""
import inspect
import json
import math
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import lbfgsb
from lbfgsb import _diagnose
from lbfgsb._diagnose_run import runnable_coretypes

#: two variants that part on the 2-D problem below (and on the chained Rosenbrock)
PAIR = ["fortran/reference", "scipy/reference"]
BEALE_X0 = np.array([-1.02, 0.64])


def beale(x):
    """Beale's function and gradient in scalar arithmetic (no BLAS)."""
    a, b = float(x[0]), float(x[1])
    b2, b3 = b * b, b * b * b
    t1, t2, t3 = 1.5 - a + a * b, 2.25 - a + a * b2, 2.625 - a + a * b3
    f = t1 * t1 + t2 * t2 + t3 * t3
    return f, np.array([2 * t1 * (b - 1) + 2 * t2 * (b2 - 1) + 2 * t3 * (b3 - 1),
                        2 * t1 * a + 4 * t2 * a * b + 6 * t3 * a * b2])


def chained_rosenbrock(x):
    """docs/VERIFY.md's chained Rosenbrock: elementwise operations and math.fsum."""
    a, b = x[:-1], x[1:]
    r = b - a * a
    f = math.fsum(100.0 * r * r + (1.0 - a) * (1.0 - a))
    g = np.zeros_like(x)
    g[:-1] = -400.0 * a * r - 2.0 * (1.0 - a)
    g[1:] += 200.0 * r
    return f, g


def points(fun, x0, **kw):
    """The x of every call of fun in lbfgsb.minimize (jac=True)."""
    seen = []

    def rec(x):
        seen.append(np.array(x))
        return fun(x)
    lbfgsb.minimize(rec, x0, jac=True, **kw)
    return seen


# ---------------------------------------------------------------------------
# robust or not

def test_two_variable_problem_depending_on_last_bits_is_not_robust_and_names_the_deviation():
    d = lbfgsb.diagnose(beale, BEALE_X0, jac=True, kernels="reference", variants=PAIR,
                        coretypes=())
    assert not d.robust
    assert d.outcomes == 2
    fr, sr = d.variants
    assert (fr["name"], sr["name"]) == tuple(PAIR)
    assert fr["message"] != sr["message"]            # two kinds of termination
    text = str(d)
    assert text.startswith("NOT ROBUST: 2 outcomes over 2 runs")
    for v in (fr, sr):                               # both outcomes shown
        assert "%.12g" % v["fun"] in text and v["message"] in text
    (p,) = d.parting
    assert (p["a"], p["b"], p["cause"]) == ("fortran/reference", "scipy/reference", "deviation")
    (dev,) = p["deviations"]
    assert dev in text
    # the claim checked directly: the Fortran's flavour with that one deviation
    # calls the objective where SciPy's does, up to and including the parting call
    k = p["evaluation"]
    ours = points(beale, BEALE_X0, kernels="reference", flavour="fortran")
    one = points(beale, BEALE_X0, kernels="reference", flavour={dev})
    theirs = points(beale, BEALE_X0, kernels="reference", flavour="scipy")
    assert all(np.array_equal(u, v) for u, v in zip(ours[:k - 1], theirs[:k - 1]))
    assert not np.array_equal(ours[k - 1], theirs[k - 1])
    assert all(np.array_equal(u, v) for u, v in zip(one[:k], theirs[:k]))


def test_chained_rosenbrock_of_the_readme_is_not_robust_between_flavours():
    n = 1000
    d = lbfgsb.diagnose(chained_rosenbrock, np.tile([-1.2, 1.0], n // 2), jac=True,
                        bounds=[(-2.0, 0.9)] * n, kernels="reference", variants=PAIR,
                        coretypes=(), check_gradient=False)
    assert not d.robust
    fr, sr = d.variants
    assert fr["fun"] == pytest.approx(970.924, abs=1e-3)     # docs/VERIFY.md's table
    assert abs(fr["fun"] - sr["fun"]) > 1.0
    assert d.parting[0]["cause"] == "deviation" and d.parting[0]["deviations"]
    assert any("last bits" in a for a in d.advice)


def test_convex_bounded_quadratic_is_robust():
    c = np.array([1.0, -2.0, 3.0, 0.5])

    def fg(x):
        r = x - c
        return float(r @ r), 2.0 * r
    d = lbfgsb.diagnose(fg, np.zeros(4), jac=True, bounds=[(-1.0, 2.0)] * 4, coretypes=())
    assert d.robust
    assert len(d.variants) == 6 and d.outcomes == 1
    assert {(v["flavour"], v["kernels"]) for v in d.variants} == {
        (f, k) for f in ("fortran", "scipy", "scipy114") for k in ("scipy", "reference")}
    assert str(d).startswith("ROBUST: 6 runs end alike")
    assert d.parting == []
    np.testing.assert_allclose(d.variants[0]["x"], np.clip(c, -1.0, 2.0), rtol=1e-7)
    assert any("at the lower bound (x[1])" in a and "at the upper bound (x[2])" in a
               for a in d.advice)


# ---------------------------------------------------------------------------
# the gradient check and the advice

def test_gradient_with_one_wrong_component_is_named():
    c = np.array([1.0, 2.0, 3.0, 4.0])

    def f(x):
        return float(np.sum((x - c) ** 2))

    def jac(x):
        g = 2.0 * (x - c)
        g[2] *= 3.0                                  # wrong
        return g
    d = lbfgsb.diagnose(f, np.zeros(4), jac=jac, variants=["fortran/reference"], coretypes=())
    assert d.gradient_error > 0.5
    assert d.gradient_component == 2
    assert any("component 2" in a for a in d.advice)


def test_correct_gradient_near_a_minimum_does_not_look_wrong():
    d = lbfgsb.diagnose(beale, BEALE_X0, jac=True, kernels="reference",
                        variants=["fortran/reference"], coretypes=())
    assert d.gradient_error < 1e-4
    assert not any("gradient disagrees" in a for a in d.advice)


def test_line_search_advice_gives_the_evaluations_it_made():
    c = np.array([1.0, 2.0, 3.0])

    def fg(x):                                       # component 1 of g has the wrong sign
        g = 2.0 * (x - c)
        g[1] = -g[1]
        return float(np.sum((x - c) ** 2)), g
    d = lbfgsb.diagnose(fg, np.zeros(3), jac=True, kernels="reference", maxls=5,
                        variants=["fortran/reference"], coretypes=())
    assert d.variants[0]["status"] == 2
    (ls,) = [a for a in d.advice if "ABNORMAL_TERMINATION_IN_LNSRCH" in a]
    assert "made 10 evaluations" in ls and "maxls = 5" in ls
    assert "larger maxls would not help" in ls
    assert d.gradient_component == 1


def test_objective_raising_in_one_variant_is_that_variants_outcome():
    fortran = {tuple(x) for x in points(beale, BEALE_X0, kernels="reference")}
    bad = next(x for x in points(beale, BEALE_X0, kernels="reference", flavour="scipy")
               if tuple(x) not in fortran)           # reached only by SciPy's flavour

    def fg(x):
        if np.array_equal(x, bad):
            raise ValueError("boom")
        return beale(x)
    d = lbfgsb.diagnose(fg, BEALE_X0, jac=True, kernels="reference", variants=PAIR,
                        coretypes=())
    fr, sr = d.variants
    assert fr["error"] is None and fr["status"] == 0
    assert sr["error"] == "ValueError: boom" and sr["status"] is None
    assert not d.robust
    assert "the objective raised ValueError: boom" in str(d)
    assert any("raised in 1 of 2 runs" in a for a in d.advice)


def test_objective_raising_in_every_run_is_reported_not_raised():
    def fg(x):
        raise RuntimeError("nope")
    d = lbfgsb.diagnose(fg, np.zeros(2), jac=True, variants=["fortran/reference"],
                        coretypes=())
    assert [v["error"] for v in d.variants] == ["RuntimeError: nope"] * 2
    assert d.verdict() == "NOT ROBUST: the objective raised in every run (2 runs)"
    assert d.gradient_error is None and "raised" in d.gradient_detail
    assert any("raised in every run" in a for a in d.advice)


def test_ftol_zero_and_flat_f_advice_when_a_run_stops_by_the_reduction_test():
    def fg(x):                                       # 1 + Rosenbrock: f flat near 1
        a, b = float(x[0]), float(x[1])
        r = b - a * a
        return 1.0 + 100 * r * r + (1 - a) * (1 - a), np.array([-400 * a * r - 2 * (1 - a),
                                                                200 * r])
    d = lbfgsb.diagnose(fg, np.array([-1.2, 1.0]), jac=True, ftol=0, gtol=0,
                        kernels="reference", variants=["fortran/reference"], coretypes=())
    assert "REDUCTION" in d.variants[0]["message"]
    assert d.verdict().startswith("ROBUST: one run only, nothing compared")
    assert any(a.startswith("ftol=0") for a in d.advice)
    (flat,) = [a for a in d.advice if a.startswith("f is flat to machine precision")]
    assert "agree to 0 ulps (f = 1)" in flat


# ---------------------------------------------------------------------------
# input, output, names

@pytest.mark.parametrize("args, kw", [
    ((np.zeros((2, 2)),), {}),
    ((np.zeros(2),), {"bounds": [(1.0, 0.0)] * 2}),
    ((np.zeros(2),), {"maxls": 0}),
    ((np.zeros(2),), {"flavour": "nonsense"}),
    ((np.zeros(2),), {"kernels": "nonsense"}),
    ((np.zeros(2),), {"maxcor": 1.5}),
])
def test_refuses_what_minimize_refuses_the_same_way(args, kw):
    def fg(x):
        return float(x @ x), 2 * x
    with pytest.raises(Exception) as expected:
        lbfgsb.minimize(fg, *args, jac=True, **kw)
    with pytest.raises(type(expected.value)) as got:
        lbfgsb.diagnose(fg, *args, jac=True, coretypes=(), **kw)
    assert str(got.value) == str(expected.value)


def test_diagnosis_to_json_has_the_report():
    d = lbfgsb.diagnose(beale, BEALE_X0, jac=True, kernels="reference", variants=PAIR,
                        coretypes=())
    j = json.loads(d.to_json())
    assert j["robust"] is False and j["verdict"] == d.verdict()
    assert [v["name"] for v in j["variants"]] == PAIR
    assert j["parting"][0]["deviations"] == d.parting[0]["deviations"]
    assert j["variants"][0]["x"] == d.variants[0]["x"].tolist()


def test_importing_the_submodule_keeps_lbfgsb_diagnose_the_function():
    import lbfgsb.diagnose as m
    assert m is _diagnose.diagnose
    assert lbfgsb.diagnose is _diagnose.diagnose
    assert "diagnose" in lbfgsb.__all__
    code = ("import lbfgsb.diagnose, lbfgsb, lbfgsb._diagnose as d; "
            "assert lbfgsb.diagnose is d.diagnose, lbfgsb.diagnose")
    subprocess.run([sys.executable, "-P", "-c", code], check=True)


# ---------------------------------------------------------------------------
# core types (child processes)

def _one_coretype():
    ok, _ = runnable_coretypes()
    if not ok:
        pytest.skip("this CPU runs none of the OpenBLAS core types diagnose knows")
    return ok[0]


def test_core_type_variants_run_in_a_child_and_reference_kernels_keep_their_bits():
    core = _one_coretype()
    d = lbfgsb.diagnose(lambda x: beale(x), BEALE_X0, jac=True, kernels="reference",
                        variants=PAIR, coretypes=[core], check_gradient=False)
    names = [v["name"] for v in d.variants]
    assert names == PAIR + [p + "@" + core for p in PAIR]
    here = {v["name"]: v for v in d.variants}
    for p in PAIR:
        there = here[p + "@" + core]
        assert "skipped" not in there and there["coretype"] == core
        assert np.array_equal(there["x"], here[p]["x"])
        assert there["outcome"] == here[p]["outcome"]


def test_problem_that_cannot_be_sent_skips_the_core_types_with_the_reason():
    core = _one_coretype()
    lock = threading.Lock()

    def fg(x):
        with lock:
            return beale(x)
    d = lbfgsb.diagnose(fg, BEALE_X0, jac=True, variants=["fortran/reference"],
                        coretypes=[core], check_gradient=False)
    assert [v["name"] for v in d.variants] == ["fortran/scipy", "fortran/reference"]
    ((what, why),) = d.skipped
    assert core in what and "cannot be pickled" in why
    assert why in str(d)


def test_child_that_does_not_finish_is_stopped_at_the_timeout():
    core = _one_coretype()

    def fg(x):
        if os.environ.get("OPENBLAS_CORETYPE"):
            import time
            time.sleep(60)
        return beale(x)
    d = lbfgsb.diagnose(fg, BEALE_X0, jac=True, kernels="reference",
                        variants=["fortran/reference"], coretypes=[core], timeout=3,
                        check_gradient=False)
    (here, late) = d.variants
    assert here["status"] == 0 and "timed out after 3 s" in late["skipped"]
    assert d.robust                                  # the one run that ran


def test_unknown_core_type_is_reported_skipped():
    d = lbfgsb.diagnose(beale, BEALE_X0, jac=True, variants=["fortran/reference"],
                        coretypes=["Pentium1"], check_gradient=False)
    assert d.skipped == [("core type Pentium1", d.skipped[0][1])]
    assert "not a core type" in d.skipped[0][1]


# ---------------------------------------------------------------------------
# the command line

#: the CLI's problem file: beale above, and the --problem protocol's function
PROBLEM_FILE = ("import numpy as np\n\n" + inspect.getsource(beale) +
                "\n\ndef problem():\n    return beale, np.array(%r), None, None\n"
                % BEALE_X0.tolist())


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-P", "-m", "lbfgsb.diagnose", *args],
                          capture_output=True, text=True, cwd=cwd)


def test_command_line_reports_and_writes_json(tmp_path):
    (tmp_path / "beale2.py").write_text(PROBLEM_FILE)
    out = _cli("beale2.py:problem", "--kernels", "reference", "--variants", ",".join(PAIR),
               "--coretypes", "none", "--json", "d.json", cwd=tmp_path)
    assert out.returncode == 1, out.stderr               # not robust
    assert out.stdout.startswith("NOT ROBUST: 2 outcomes over 2 runs")
    j = json.loads((tmp_path / "d.json").read_text())
    (dev,) = j["parting"][0]["deviations"]
    assert "decided by the deviation " + dev in out.stdout


def test_command_line_sends_the_problem_by_module_path_to_children(tmp_path):
    core = _one_coretype()
    (tmp_path / "beale2.py").write_text(PROBLEM_FILE)
    out = _cli("beale2.py:problem", "--kernels", "reference", "--variants",
               "fortran/reference", "--coretypes", core, "--no-gradient-check", cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr   # robust: reference kernels
    assert "fortran/reference@" + core in out.stdout


def test_command_line_refuses_a_problem_it_cannot_load(tmp_path):
    out = _cli("no_such_file.py:problem", cwd=tmp_path)
    assert out.returncode == 2
    assert "no file" in out.stderr
