"""A pytest plugin: run a test suite you don't own with SciPy's L-BFGS-B on the port.

Not registered as an entry point: it acts only when asked for with ``-p``::

    python3 -m pytest -p lbfgsb.pytest_plugin [--lbfgsb-patch=fortran] tests/

``--lbfgsb-patch`` (``scipy``, the default as for ``patch_scipy``: the
installed SciPy's bits; ``fortran``; or ``none`` for an unpatched reference
run) calls ``lbfgsb.patch_scipy`` when pytest configures
(in each process, also pytest-xdist's workers) and ``unpatch_scipy`` when it
ends.  The plugin counts, for each test (setup to teardown), how many times
SciPy's L-BFGS-B entered the port, and prints in the summary how many tests
reached it: a suite that never reaches the port proves nothing.
``--lbfgsb-record=FILE`` writes every test's outcome and count as JSON, for
``tools/foreign_tests.py`` to compare a patched run with an unpatched one.
"""

import json

import pytest

from lbfgsb import _patch

_KEY = "lbfgsb_port_calls"
_RANK = {"passed": 0, "skipped": 1, "xfailed": 1, "failed": 2, "error": 3}


def pytest_addoption(parser):
    group = parser.getgroup("lbfgsb", "SciPy's L-BFGS-B on the lbfgsb port")
    group.addoption("--lbfgsb-patch", default="scipy",
                    choices=("scipy", "fortran", "none"),
                    help="patch_scipy(flavour) for the whole session, or 'none' "
                         "(default: scipy, as patch_scipy)")
    group.addoption("--lbfgsb-record", default=None, metavar="FILE",
                    help="write each test's outcome and port-call count as JSON")


def pytest_configure(config):
    flavour = config.getoption("--lbfgsb-patch")
    if flavour != "none":
        _patch.patch_scipy(flavour)
    config.pluginmanager.register(_Recorder(config, flavour), "lbfgsb-recorder")


def pytest_unconfigure(config):
    if config.getoption("--lbfgsb-patch") != "none":
        _patch.unpatch_scipy()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    item._lbfgsb_calls_before = _patch._calls
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    if call.when == "teardown":
        # carried by the teardown report (also from an xdist worker)
        before = getattr(item, "_lbfgsb_calls_before", _patch._calls)
        item.user_properties.append((_KEY, _patch._calls - before))
    yield


def _outcome(report):
    if report.passed:
        return "passed"
    if report.skipped:
        return "xfailed" if hasattr(report, "wasxfail") else "skipped"
    return "failed" if report.when == "call" else "error"


class _Recorder:
    """Each test's outcome (the worst of its phases) and port calls."""

    def __init__(self, config, flavour):
        self.config = config
        self.flavour = flavour
        self.tests = {}

    def pytest_runtest_logreport(self, report):
        entry = self.tests.setdefault(report.nodeid, {"outcome": "passed", "calls": 0})
        new = _outcome(report)
        if _RANK[new] > _RANK[entry["outcome"]]:
            entry["outcome"] = new
        for key, value in report.user_properties:
            if key == _KEY:
                entry["calls"] = value

    def summary(self):
        passed = [t for t in self.tests.values() if t["outcome"] == "passed"]
        return {"flavour": self.flavour,
                "tests": len(self.tests),
                "passed": len(passed),
                "port_calls": sum(t["calls"] for t in self.tests.values()),
                "passed_reaching_port": sum(1 for t in passed if t["calls"] > 0)}

    def pytest_sessionfinish(self, session):
        path = self.config.getoption("--lbfgsb-record")
        if path and not hasattr(self.config, "workerinput"):
            with open(path, "w") as f:
                json.dump(dict(self.summary(), outcomes=self.tests), f, indent=0,
                          sort_keys=True)

    def pytest_terminal_summary(self, terminalreporter):
        s = self.summary()
        state = ("not patched" if s["flavour"] == "none"
                 else f"patched, flavour={s['flavour']}")
        terminalreporter.write_line(
            f"lbfgsb.pytest_plugin: SciPy's L-BFGS-B {state}: {s['port_calls']} "
            f"port calls; {s['passed_reaching_port']} of {s['passed']} passed tests "
            f"reached the port")
