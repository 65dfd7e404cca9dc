"""Cross-check of the port against the Fortran and against SciPy.

On every reference problem (``reference.names()``, each at its default size)
the harness of ``tools/compare.py`` runs

* a free run: every implementation runs to termination on its own f/g
  evaluations; the port must ask for f, g at the very same points as Debian's
  Fortran L-BFGS-B 3.0 (bound to SciPy's OpenBLAS), produce the same iterates
  and end with the same x, f, task and counts, bit for bit; the port with
  ``flavour="scipy"`` (and ``lbfgsb.scipy_setulb``) the same against SciPy's C;
* a lock step: f, g evaluated at the reference's point for both; after every
  ``setulb`` call the saved state (isave/dsave/lsave by name, the blocks of
  wa and iwa, task, csave, x) must be identical (CPU-time fields excluded).

Two option sets run for every problem (SciPy's defaults, and m=3 with
factr=10, pgtol=1e-12 so that runs end in line-search failures or at maxiter),
plus maxls=2 for the SciPy flavour (the Fortran has no maxls).  For the SciPy
comparisons the lock step is strict: it includes the two state fields SciPy's
C gets wrong (nseg, nintol), which the port reproduces in the SciPy flavour.

It also proves that the harness finds a difference where one is injected,
maps SciPy's state layout correctly and attributes fields to subroutines.

The Fortran tests are skipped when Debian's liblbfgsb0 is missing, except
under ``CI=true`` where that is a failure.  The port tests fail when the port
is not built.
"""
import json
import os
import subprocess
import sys
import warnings

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, "tools")
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)

import harness  # noqa: E402

CI = os.environ.get("CI", "").strip().lower() == "true"


def _problems():
    try:
        return harness.problem_names()
    except Exception as exc:                          # noqa: BLE001
        pytest.fail("reference problems unavailable: %s" % exc, pytrace=False)


PROBLEMS = _problems()

#: option sets: SciPy's defaults, and a stress set (3 corrections, so the
#: ring buffer wraps early; factr=10 and pgtol=1e-12, so runs go on until the
#: line search fails or maxiter stops them: ABNORMAL, RESTART and STOP paths)
CONFIGS = {
    "default": {},
    "m3-tight": dict(m=3, factr=10.0, pgtol=1e-12, maxiter=3000),
}
CASES = [pytest.param(cfg, name, id="%s-%s" % (cfg, name))
         for cfg in CONFIGS for name in PROBLEMS]
#: SciPy flavour only (the Fortran has no maxls): line searches cut at 2
#: evaluations, so RESTART_FROM_LNSRCH and ABNORMAL happen often
SCIPY_CONFIGS = dict(CONFIGS, **{"maxls2": dict(m=3, factr=10.0, pgtol=1e-12, maxiter=2000,
                                                 maxls=2)})
SCIPY_CASES = CASES + [pytest.param("maxls2", name, id="maxls2-%s" % name)
                       for name in PROBLEMS]


def _need(name):
    ok, why = harness.impl_available(name)
    if ok:
        return
    if name.startswith("port"):
        pytest.fail(why, pytrace=False)
    if CI and name.startswith("fortran"):
        pytest.fail("CI=true and " + why, pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="module")
def fortran():
    _need("fortran")


@pytest.fixture(scope="module")
def port():
    _need("port")
    return harness.load_port()


_RECORDS = {}


def _record(cfg, name):
    """One free run + lock step of the port (both flavours and the SciPy
    API), SciPy and the Fortran on ``name``, shared by the tests below."""
    key = (cfg, name)
    if key not in _RECORDS:
        wanted = ("port", "port-scipy", "port-scipy-api", "scipy", "fortran")
        if cfg not in CONFIGS:                          # SciPy flavour only
            wanted = ("port-scipy", "port-scipy-api", "scipy")
        impls = [nm for nm in wanted if harness.impl_available(nm)[0]]
        _RECORDS[key] = harness.compare_problem(name, impls=impls, mode="both",
                                                ref=impls[-1], attribute=True,
                                                **SCIPY_CONFIGS[cfg])
    return _RECORDS[key]


def _free_msg(rec, key):
    c = rec["free"]["compare"][key]
    bits, tol = harness.describe_first(c)
    runs = rec["free"]["runs"]
    return ("%s: %s vs %s differ in the free run: first bitwise difference at %s, first "
            "beyond rtol at %s; nit %s, nfev %s; tasks %r / %r; errors %r / %r" % (
                rec["problem"], c["impl"], c["ref"], bits, tol, c["nit"], c["nfev"],
                runs[c["impl"]]["task"], runs[c["ref"]]["task"],
                runs[c["impl"]]["error"], runs[c["ref"]]["error"]))


def _lock_msg(rec, key):
    r = rec["lockstep"][key]
    fd, dv = r["first_state_diff"], r["divergence"]
    parts = ["%s: %s vs %s differ in lock step" % (rec["problem"], r["impl"], r["driver"])]
    if fd:
        parts.append("first state difference after call %d (task before %r): %s" % (
            fd["step"] + 1, fd["task_before"], "; ".join(
                "%s [%s] %r vs %r" % (d["field"], d["subroutine"], d["other"], d["ref"])
                for d in fd["fields"][:6])))
    if dv:
        parts.append("stopped at call %d: %s" % (dv["step"] + 1, dv["reason"]))
    if r["quirk_fields"]:
        parts.append("SciPy quirk fields differ: %s" % sorted(r["quirk_fields"]))
    if r.get("error"):
        parts.append("error: %s" % r["error"])
    return "; ".join(parts)


# ---------------------------------------------------------------------------
# the bitwise targets
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("cfg,name", CASES)
def test_port_matches_fortran_bitwise_in_free_run(cfg, name, fortran, port):
    rec = _record(cfg, name)
    c = rec["free"]["compare"]["port|fortran"]
    assert c["identical"], _free_msg(rec, "port|fortran")
    # identical means: every f/g point and iterate, final x, f, task and counts
    assert c["fg_first_bitwise"] is None and c["it_first_bitwise"] is None
    assert c["final_x_identical"] and c["final_f_identical"] and c["task_equal"]


@pytest.mark.parametrize("cfg,name", CASES)
def test_port_state_matches_fortran_field_by_field_in_lock_step(cfg, name, fortran, port):
    rec = _record(cfg, name)
    r = rec["lockstep"]["port|fortran"]
    assert r["identical_strict"], _lock_msg(rec, "port|fortran")
    assert r["steps"] == r["driver_steps"] > 0


@pytest.mark.parametrize("cfg,name", SCIPY_CASES)
def test_port_scipy_flavour_matches_scipy_bitwise_in_free_run(cfg, name, port):
    rec = _record(cfg, name)
    assert "port-scipy|scipy" in rec["free"]["compare"]
    for key in ("port-scipy|scipy", "port-scipy-api|scipy"):
        if key in rec["free"]["compare"]:
            assert rec["free"]["compare"][key]["identical"], _free_msg(rec, key)


@pytest.mark.parametrize("cfg,name", SCIPY_CASES)
def test_port_scipy_flavour_state_matches_scipy_field_by_field_in_lock_step(cfg, name, port):
    rec = _record(cfg, name)
    assert "port-scipy|scipy" in rec["lockstep"]
    for key in ("port-scipy|scipy", "port-scipy-api|scipy"):
        if key in rec["lockstep"]:
            r = rec["lockstep"][key]
            assert r["identical_strict"], _lock_msg(rec, key)
            assert r["steps"] == r["driver_steps"] > 0


@pytest.mark.parametrize("cfg,name", CASES)
def test_every_scipy_vs_fortran_difference_is_explained_by_named_deviations(cfg, name,
                                                                           fortran, port):
    rec = _record(cfg, name)
    v = rec["verdicts"]["scipy|fortran"]
    if v["agree"]:
        return
    e = v["explanation"]
    assert e["explained"], harness.verdict_line(v)
    assert set(e["by"]) <= set(lbfgsb_deviation_names())
    # the port with exactly those deviations is SciPy on this problem
    assert rec["models"]["scipy"]["sets"][0] == e["by"]


def lbfgsb_deviation_names():
    return [d.name for d in harness.load_port().deviations(port=False)]


# ---------------------------------------------------------------------------
# the harness finds injected differences
# ---------------------------------------------------------------------------

def _one_ulp_f(k):
    return (k, lambda f, g: (float(np.nextafter(f, np.inf)), g))


def _one_ulp_g0(k):
    def bump(f, g):
        g = g.copy()
        g[0] = np.nextafter(g[0], np.inf)
        return f, g
    return (k, bump)


@pytest.mark.parametrize("impl,ref", [("port", "fortran"), ("port-scipy", "scipy")])
def test_lock_step_reports_call_and_field_of_a_one_ulp_change_of_f(impl, ref, fortran, port):
    # f at x0 (the FG_START answer) one ulp too large for `impl` only: the
    # next call is the first whose state differs, and the first field written
    # from f is lnsrlb's fold (then dcsrch's finit, fx, fy)
    rec = harness.compare_problem("ROSENBR", impls=[impl, ref], ref=ref, mode="lockstep",
                                  perturb={impl: _one_ulp_f(0)})
    r = rec["lockstep"]["%s|%s" % (impl, ref)]
    fd = r["first_state_diff"]
    assert not r["identical"]
    assert fd is not None and fd["step"] == 1 and fd["task_before"] == "FG_START"
    assert fd["first_field"] == "dsave.fold"
    assert fd["subroutine"].startswith("lnsrlb")
    fields = [d["field"] for d in fd["fields"]]
    assert {"dsave.finit", "dsave.fx", "dsave.fy"} <= set(fields)


def test_two_runs_of_the_same_code_are_reported_identical(fortran):
    # the harness adds no difference of its own
    setup = harness.Setup(harness.get_problem("HS25"))
    fa = harness.run_free("fortran", setup)
    fb = harness.run_free("fortran", setup)
    c = harness.compare_free(fa, fb)
    assert c["identical"] and harness.describe_first(c) == ("-", "-")


def test_free_run_reports_first_point_after_a_one_ulp_change_of_g(fortran):
    setup = harness.Setup(harness.get_problem("ROSENBR"))
    ref = harness.run_free("fortran", setup)
    bad = harness.run_free("fortran", setup, perturb=_one_ulp_g0(0))
    c = harness.compare_free(bad, ref)
    assert not c["identical"]
    # x0 is the same; the first trial point depends on g(x0)
    assert c["fg_first_bitwise"] == 1
    bits, _ = harness.describe_first(c)
    assert bits.startswith("f/g point #2")


def test_free_run_reports_iterate_whose_f_changed_by_one_ulp(fortran):
    setup = harness.Setup(harness.get_problem("ROSENBR"))
    ref = harness.run_free("fortran", setup)
    # the 4th answer (k=3) is the accepted trial of the 2nd line search:
    # its f is the f of iterate #2
    bad = harness.run_free("fortran", setup, perturb=_one_ulp_f(3))
    c = harness.compare_free(bad, ref)
    assert not c["identical"] and c["fg_first_bitwise"] is None
    assert c["it_first_bitwise"] == 1


# ---------------------------------------------------------------------------
# state names, SciPy mapping, attribution
# ---------------------------------------------------------------------------

def test_scipy_state_maps_to_fortran_names_until_the_documented_dtd_difference(fortran):
    # SciPy's 0-based head/itail/ileave/index/indx2 and wa offsets are mapped;
    # the first real difference is lnsrlb's dtd = dnrm2(d)**2 (Fortran: ddot)
    rec = harness.compare_problem("ROSENBR", impls=["scipy", "fortran"], mode="lockstep")
    r = rec["lockstep"]["scipy|fortran"]
    fd = r["first_state_diff"]
    assert fd["step"] == 1 and fd["first_field"] == "dsave.dtd"
    assert fd["subroutine"].startswith("lnsrlb")


@pytest.mark.parametrize("name,field,subroutine", [
    ("ROSENBR", "dsave.dtd", "lnsrlb"),    # dnorm = dnrm2(d), dtd = dnorm**2
    ("BEALE", "dsave.theta", "matupd"),    # rr = dnrm2(r)**2
])
def test_lock_step_blames_scipys_documented_arithmetic_differences(name, field, subroutine,
                                                                   fortran):
    # where SciPy's C departs from the Fortran's arithmetic first, the first
    # differing field is found in the subroutine that computes it
    rec = harness.compare_problem(name, impls=["scipy", "fortran"], mode="lockstep")
    fd = rec["lockstep"]["scipy|fortran"]["first_state_diff"]
    assert fd["first_field"] == field, _lock_msg(rec, "scipy|fortran")
    assert fd["subroutine"].startswith(subroutine)


@pytest.mark.parametrize("name,deviation", [
    ("ROSENBR", "lnsrlb_dnrm2"), ("BEALE", "mainlb_rr_dnrm2"),
    ("HS38", "formk_dtrtrs_blocked"), ("HS4", "cauchy_nseg_pointer"),
])
def test_attribution_proves_each_documented_deviation_necessary_somewhere(name, deviation,
                                                                           fortran):
    # SciPy's model is the smallest set of deviations under which the port
    # replays it bit for bit: every member is necessary (without it no
    # replay matches), whichever field happens to differ first on this BLAS
    rec = harness.compare_problem(name, impls=["scipy", "fortran"], mode="lockstep",
                                  attribute=True)
    v = rec["verdicts"]["scipy|fortran"]
    assert not v["agree"] and v["explanation"]["explained"], v
    assert deviation in v["explanation"]["by"]
    assert rec["models"]["fortran"]["sets"] == [[]]


def _sz29():
    # issue 22: a random problem (seed 29) with upper bounds of -0.0, whose
    # line search meets a trial point of +0.0 there
    rng = np.random.default_rng(29)
    n = rng.integers(2, 6)
    A = rng.normal(size=(n, n))
    H, c = A @ A.T + 0.1 * np.eye(n), rng.normal(size=n)
    hi = np.array([np.inf if rng.random() < 0.4 else -0.0 for _ in range(n)])
    x0 = rng.normal(size=n) - 1.0

    def fg(x):
        d = x - c
        return float(d @ H @ d) + float(np.sum(np.sin(x))), 2 * H @ d + np.cos(x)
    return "SZ29", fg, x0, np.full(n, -np.inf), hi


def _huge():
    # issue 22: a badly scaled objective (f, g near the largest double): the
    # Cauchy step's -f1/f2 is a NaN whose sign depends on where the minus is
    x0 = np.random.default_rng(0).normal(size=2) * 3

    def fg(x):
        d = x - 0.5
        return 1e308 * float(np.sum(d * d)), 1e308 * 2 * d
    return "HUGE", fg, x0, None, None


@pytest.mark.parametrize("make,deviation", [(_sz29, "lnsrlb_fmin_swapped"),
                                            (_huge, "cauchy_neg_operand")])
def test_attribution_names_the_signed_zero_and_nan_sign_deviations(make, deviation, fortran):
    from lbfgsb._userproblem import UserProblem
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rec = harness.compare_problem(None, problem=UserProblem(*make()),
                                      impls=["scipy", "fortran"], mode="lockstep",
                                      ref="fortran", attribute=True)
    v = rec["verdicts"]["scipy|fortran"]
    assert not v["agree"] and v["explanation"]["explained"], harness.verdict_line(v)
    assert deviation in v["explanation"]["by"]
    assert rec["models"]["fortran"]["sets"] == [[]]


def test_scipy_nseg_quirk_is_reported_apart(fortran):
    # a bounded problem whose Cauchy search crosses breakpoints: SciPy's nseg
    # stays 1 (pointer bug), listed as a quirk, not as the first difference
    rec = harness.compare_problem("HS4", impls=["scipy", "fortran"], mode="lockstep")
    r = rec["lockstep"]["scipy|fortran"]
    assert set(r["quirk_fields"]) == {"isave.nseg", "isave.nintol"}
    assert r["first_state_diff"]["first_field"] not in harness.SCIPY_QUIRKS
    assert not r["identical_strict"]


def test_scipy_layout_is_mapped_to_fortran_conventions():
    n, m = 3, 2
    fort = {"isave.head": np.array([1]), "isave.itail": np.array([0]),
            "iwa.index": np.array([1, 2, 3]), "iwa.indx2": np.array([3, 0, 0]),
            "isave.lws": np.array([1]), "dsave.epsmch": np.array([2.0 ** -52])}
    sci = {"isave.head": np.array([0]), "isave.itail": np.array([0]),
           "iwa.index": np.array([0, 1, 2]), "iwa.indx2": np.array([2, 0, 0]),
           "isave.lws": np.array([0]), "dsave.epsmch": np.array([0.0])}
    assert harness.compare_states(fort, sci, "scipy") == []
    sci["iwa.index"] = np.array([0, 2, 1])
    d = harness.compare_states(fort, sci, "scipy")
    assert [x["field"] for x in d] == ["iwa.index"] and d[0]["index"] == 1
    assert d[0]["subroutine"].startswith("freev")
    del n, m


def test_fields_are_ordered_and_attributed_from_the_resume_point():
    a = {"wa.WT": np.zeros(4), "dsave.theta": np.array([1.0]), "dsave.gd": np.array([1.0]),
         "dsave.stx": np.array([1.0]), "dsave.cpu1": np.array([1.0])}
    b = {"wa.WT": np.ones(4), "dsave.theta": np.array([2.0]), "dsave.gd": np.array([2.0]),
         "dsave.stx": np.array([2.0]), "dsave.cpu1": np.array([2.0])}
    after_newx = harness.compare_states(a, b, task_before="NEW_X")
    assert [d["field"] for d in after_newx] == ["dsave.theta", "wa.WT", "dsave.gd", "dsave.stx"]
    assert [d["subroutine"].split()[0] for d in after_newx] == ["matupd", "formt", "lnsrlb",
                                                                 "dcsrch/dcstep"]
    after_ln = harness.compare_states(a, b, task_before="FG_LNSRCH")
    assert [d["field"] for d in after_ln] == ["dsave.gd", "dsave.stx", "dsave.theta", "wa.WT"]
    # CPU time is never part of a bitwise claim
    assert all(d["field"] not in harness.TIME_FIELDS for d in after_ln)


def test_every_slot_of_the_saved_state_has_a_name():
    st = harness.named_state("fortran", 5, 3, np.zeros(5), 0.0, np.zeros(5),
                             np.arange(2 * 3 * 5 + 5 * 5 + 11 * 9 + 8 * 3, dtype=float),
                             np.arange(15, dtype=np.int32), np.arange(44, dtype=np.int32),
                             np.arange(29, dtype=float), np.arange(4, dtype=np.int32), "", "")
    isave = sorted(int(v[0]) for k, v in st.items() if k.startswith("isave"))
    assert isave == list(range(44))
    dsave = sorted(float(v[0]) for k, v in st.items() if k.startswith("dsave"))
    assert dsave == list(range(29))
    wa = np.concatenate([st["wa." + nm] for nm, _, _ in harness._wa_blocks(5, 3)])
    assert np.array_equal(wa, np.arange(wa.size))
    assert set(harness.FIELDS) >= set(st)


# ---------------------------------------------------------------------------
# the command line and the batch
# ---------------------------------------------------------------------------

def test_compare_command_prints_side_by_side_table_and_writes_records(tmp_path, fortran, port):
    pytest.importorskip("matplotlib")
    js, cs, png = tmp_path / "r.json", tmp_path / "r.csv", tmp_path / "r.png"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    p = subprocess.run([sys.executable, os.path.join(TOOLS, "compare.py"), "ROSENBR",
                        "--json", str(js), "--csv", str(cs), "--plot", str(png), "--check"],
                       capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    # the verdict first, one line per pair, then the detail in 100 columns
    lines = out.splitlines()
    assert lines[1] == "port vs fortran: agree bit for bit"
    assert any(ln.startswith("scipy vs fortran: differ from f/g point ") and "explained by" in ln
               for ln in lines[1:6])
    assert max(len(ln) for ln in lines) <= 100
    for word in ("Free run", "Lock step", "BLAS/LAPACK", "port", "scipy", "fortran",
                 "first diff", "conv-", "legend:"):
        assert word in out
    rec = json.loads(js.read_text())
    assert rec["free"]["compare"]["port|fortran"]["identical"] is True
    assert rec["lockstep"]["port|fortran"]["identical"] is True
    assert "scipy-openblas" in rec["blas"]["fortran"]
    assert cs.read_text().splitlines()[0].startswith("problem,n,impl")
    assert png.stat().st_size > 1000


def test_compare_command_rejects_unknown_problem():
    p = subprocess.run([sys.executable, os.path.join(TOOLS, "compare.py"), "NOSUCHPROBLEM",
                        "--impl", "scipy"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "NOSUCHPROBLEM" in p.stderr


def test_batch_runs_problems_in_spawned_processes(tmp_path, fortran):
    names = ["ROSENBR", "HS25", "BEALE"]
    kw = dict(impls=["scipy", "fortran"], mode="both")
    seen = []
    summaries, errors = harness.run_batch(
        names, kw, jobs=2, outdir=str(tmp_path),
        progress=lambda i, tot, nm, s, e, t: seen.append((i, tot, nm)))
    assert errors == {}
    assert sorted(s["problem"] for s in summaries) == sorted(names)
    assert sorted(nm for _, _, nm in seen) == sorted(names) and seen[-1][:2] == (3, 3)
    for nm in names:
        assert (tmp_path / ("%s.json" % nm)).exists() and (tmp_path / ("%s.csv" % nm)).exists()
    text, counts = harness.batch_table(summaries, errors)
    assert "scipy vs fortran" in text and counts["scipy|fortran"]["free"][1] == 3


def test_missing_fortran_is_skipped_with_reason_but_an_error_under_ci(monkeypatch):
    monkeypatch.setattr(harness.impls, "impl_available",
                        lambda nm: (False, "no liblbfgsb") if nm.startswith("fortran")
                        else (True, ""))
    usable, skipped = harness.resolve_impls(["scipy", "fortran"], strict_fortran=False)
    assert usable == ["scipy"] and skipped == {"fortran": "no liblbfgsb"}
    with pytest.raises(RuntimeError, match="CI=true"):
        harness.resolve_impls(["scipy", "fortran"], strict_fortran=True)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(RuntimeError):
        harness.resolve_impls(["scipy", "fortran"])
