"""Attribution by experiment, the verdict, and the user's own problem in the
cross-check harness (tools/harness, tools/compare.py).

The claim on the reference problems (every SciPy-vs-Fortran difference is
explained by named deviations) is in test_crosscheck.py; here: port-vs-port
differences under any subset of the deviations are explained by exactly the
switches that act, an injected difference is UNEXPLAINED with its first
differing field, and the reports say so in their first lines.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, "tools")
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)

import harness  # noqa: E402

SWITCHES = ["lnsrlb_dnrm2", "mainlb_rr_dnrm2", "formk_dtrtrs_blocked", "cauchy_dead_exit",
            "cauchy_nseg_pointer", "cauchy_neg_operand", "lnsrlb_fmin_swapped"]
SWITCHES_114 = ["linpack_dpofa_dtrsl", "mainlb_no_itfile"]


@pytest.fixture(scope="module")
def port():
    ok, why = harness.impl_available("port")
    if not ok:
        pytest.fail(why, pytrace=False)
    return harness.load_port()


def test_the_replayed_switches_are_the_registrys_setulb_switches(port):
    assert harness.setulb_switches() == SWITCHES + SWITCHES_114
    assert harness.universes() == [SWITCHES, SWITCHES_114, SWITCHES + SWITCHES_114]
    assert len(harness.subsets(SWITCHES)) == 2 ** len(SWITCHES)
    assert harness.subsets(SWITCHES)[0] == frozenset()


@pytest.mark.parametrize("name,a,b", [
    ("HS38", {"lnsrlb_dnrm2", "formk_dtrtrs_blocked"}, {"mainlb_rr_dnrm2"}),
    ("HS4", {"cauchy_nseg_pointer", "cauchy_dead_exit"}, set()),
    ("TORSION1", set(SWITCHES), {"lnsrlb_dnrm2"}),
    ("BEALE", {"mainlb_rr_dnrm2"}, {"mainlb_rr_dnrm2", "cauchy_dead_exit"}),
])
def test_port_vs_port_under_any_subsets_is_explained_by_switches_between_them(name, a, b, port):
    ia, ib = harness.port_name(a) if a else "port", harness.port_name(b) if b else "port"
    rec = harness.compare_problem(name, impls=[ia, ib], ref=ib, attribute=True)
    v = rec["verdicts"]["%s|%s" % (ia, ib)]
    if v["agree"]:
        # only switches that do not act on this problem separate them
        assert rec.get("models") is None
        return
    e = v["explanation"]
    assert e["explained"], harness.verdict_line(v)
    assert e["by"] and set(e["by"]) <= a ^ b
    # every switch named is necessary: its model is the smallest replay
    for nm, side in ((ia, a), (ib, b)):
        assert set(rec["models"][nm]["sets"][0]) <= side


def test_an_unnamed_difference_is_unexplained_with_its_first_field(port):
    # one ulp more in f at x0 for the port only: no deviation replays that
    bump = (0, lambda f, g: (float(np.nextafter(f, np.inf)), g))
    rec = harness.compare_problem("ROSENBR", impls=["port", "port:fortran"], ref="port:fortran",
                                  perturb={"port": bump}, attribute=True)
    v = rec["verdicts"]["port|port:fortran"]
    e = v["explanation"]
    assert not v["agree"] and not e["explained"]
    assert e["first"]["field"] == "dsave.fold" and e["first"]["step"] == 1
    line = harness.verdict_line(v)
    assert "UNEXPLAINED" in line and "dsave.fold (lnsrlb) after call 2" in line
    summ = harness._batch_summary(rec)
    text, counts = harness.batch_table([summ], {})
    assert counts["port|port:fortran"]["verdicts"] == {"unexplained": 1}
    assert text.splitlines()[0] == ("port vs port:fortran (1 problems): 0 agree bit for bit, "
                                    "1 UNEXPLAINED")


def test_the_report_starts_with_the_verdict_and_fits_100_columns(port):
    rec = harness.compare_problem("HS38", impls=["port", "port:formk_dtrtrs_blocked+"
                                                 "lnsrlb_dnrm2+mainlb_rr_dnrm2"],
                                  ref="port", attribute=True)
    text = harness.format_record(rec)
    lines = text.splitlines()
    assert lines[1].startswith("port:formk_dtrtrs_blocked+lnsrlb_dnrm2+mainlb_rr_dnrm2 vs "
                               "port: differ from f/g point ")
    assert "explained by" in " ".join(" ".join(lines[1:3]).split())
    assert max(map(len, lines)) <= 100
    assert "port#1 = port:formk_dtrtrs_blocked+lnsrlb_dnrm2+mainlb_rr_dnrm2" in " ".join(lines)
    wide = harness.format_record(rec, wide=True)
    assert "first bitwise diff" in wide and "CONVERGENCE" in wide


def test_identical_series_are_drawn_visibly_and_every_line_labelled(tmp_path, port):
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    rec = harness.compare_problem("HS25", impls=["port", "port-scipy"], ref="port",
                                  mode="free")
    fig = harness.plot_record(rec, str(tmp_path / "p.png"), keep=True)
    try:
        for ax in fig.axes:
            lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
            labels = [ln.get_label() for ln in lines]
            assert all(labels) and len(set(labels)) == len(labels)
            # two series on the same data differ in marker and dash
            styles = {(ln.get_marker(), str(ln.get_linestyle())) for ln in lines
                      if "rtol" not in ln.get_label()}
            assert len(styles) == len(lines) - sum("rtol" in lb for lb in labels)
    finally:
        import matplotlib.pyplot as plt
        plt.close(fig)


def test_compare_runs_the_users_own_problem_from_a_file(tmp_path, port):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    js = tmp_path / "u.json"
    p = subprocess.run([sys.executable, os.path.join(TOOLS, "compare.py"), "--problem",
                        os.path.join(TOOLS, "example_problem.py") + ":problem", "--n", "8",
                        "--m", "4", "--impl", "port,port-scipy", "--against", "port",
                        "--json", str(js)],
                       capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith("example_problem.problem (n=8, m=4,")
    assert lines[1].startswith("port-scipy vs port: ")
    assert js.exists()


def test_compare_runs_the_users_own_problem_from_a_module_on_the_path(tmp_path, port):
    (tmp_path / "myprobs.py").write_text(
        "import numpy as np\n"
        "def quad():\n"
        "    fg = lambda x: (float(x @ x), 2 * x)\n"
        "    return fg, np.array([1.0, -2.0]), [0.5, None], None\n")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=os.pathsep.join(
        [str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    p = subprocess.run([sys.executable, os.path.join(TOOLS, "compare.py"), "--problem",
                        "myprobs:quad", "--impl", "port,port-scipy", "--against", "port"],
                       capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.splitlines()[0].startswith("myprobs.quad (n=2,")
    assert p.stdout.splitlines()[1].startswith("port-scipy vs port: ")


def test_compare_keeps_ref_as_a_hidden_deprecated_spelling_of_against(capsys):
    import compare
    parser = compare.build_parser()
    assert parser.parse_args(["HS38"]).against == "fortran"
    assert parser.parse_args(["HS38", "--against", "scipy"]).against == "scipy"
    assert parser.parse_args(["HS38", "--ref", "port"]).against == "port"
    assert "--ref is deprecated; use --against" in capsys.readouterr().err
    helptext = parser.format_help()
    assert "--against" in helptext and "--ref" not in helptext
    with pytest.raises(SystemExit):
        parser.parse_args(["HS38", "--ref", "no-such-impl"])


@pytest.mark.parametrize("spec,msg", [
    ("nocolon", "MODULE:FUNCTION"), ("/no/such/file.py:f", "no file"),
    ("no_such_module_xyz:f", "cannot import"), ("example_problem:nope", "no function"),
])
def test_a_bad_user_problem_is_a_usage_error(spec, msg):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([TOOLS, os.environ.get("PYTHONPATH", "")]))
    p = subprocess.run([sys.executable, os.path.join(TOOLS, "compare.py"), "--problem", spec,
                        "--impl", "port", "--against", "port"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 2 and msg in p.stderr, p.stderr


def test_report_lines_keep_the_width_whatever_the_numbers_fields_and_names():
    # which state field parts first, and its digits, depend on the CPU's
    # kernels (SkylakeX: dsave.stp in dcsrch/dcstep, 108 columns unwrapped)
    from harness import report
    widest = -1.2345678901234567e-308
    fields = [{"field": f, "size": size, "index": 123456, "count": 99999,
               "subroutine": sub, "other": widest, "ref": 0.00084689334089136455,
               "rel": 1.3e-16}
              for f, size, sub in (("dsave.stp", 1, "dcsrch/dcstep"),
                                   ("wa", 10**7, "formk (dpotrf, dtrtrs)"))]
    fields.append({"field": "dsave.gd", "size": 1, "subroutine": "lnsrlb",
                   "other": 53179.256207771818, "ref": 53179.25620777181, "rel": 1.4e-16})
    rec = {"lockstep": {"scipy|fortran": {
        "impl": "fortran-system", "driver": "fortran", "quirk_fields": None,
        "first_state_diff": {"step": 2, "task_before": "FG_LNSRCH",
                             "task_after": "FG_LNSRCH", "n_fields": 3, "fields": fields}}}}
    lines = report._lock_detail(rec, 8)
    assert max(len(ln) for ln in lines) <= report.WIDTH
    text = "\n".join(lines)
    assert text.count("%.17g" % widest) == 2 and text.count("vs 0.00084689334089136455") == 2
    assert lines[-1] == ("    dsave.gd                     lnsrlb   53179.256207771818 "
                         "vs 53179.25620777181  rel 1.4e-16")       # fits: one line
    long_line = "    " + "word " * 40 + "x" * 150
    wrapped = report._fit(long_line, report.WIDTH)
    assert max(len(ln) for ln in wrapped) <= report.WIDTH
    assert "".join(ln.strip().replace(" ", "") for ln in wrapped) == long_line.replace(" ", "")


def test_switches_that_cannot_act_are_not_searched_and_nan_sign_ones_come_last(port):
    from harness.attribution import _searched

    class S:                                  # a setup: nbd and u are what is read
        def __init__(self, nbd, u):
            self.nbd, self.u = np.array(nbd), np.array(u)
    no_zero = _searched(SWITCHES, S([2, 3, 0], [1.0, 2.0, 0.0]))
    assert no_zero == [[s for s in SWITCHES if s not in ("cauchy_neg_operand",
                                                          "lnsrlb_fmin_swapped")],
                       [s for s in SWITCHES if s != "lnsrlb_fmin_swapped"]]
    zero = _searched(SWITCHES, S([3, 0], [-0.0, 0.0]))
    assert zero == [[s for s in SWITCHES if s != "cauchy_neg_operand"], SWITCHES]
    assert _searched(SWITCHES_114, S([2], [0.0])) == [SWITCHES_114]
