"""tools/walkthrough.py: its numbers against dense algebra, its page in a real browser.

The page is built by the command line for the default problem (reference/teaching.py)
and for a user's ``--problem`` (tools/example_problem.py at n = 2).  The numbers in
walkthrough.json are the solver's; here they are recomputed independently of the tool:

* B_k by the BFGS recursion from θI over the stored pairs, the breakpoints (4.1), the
  generalized Cauchy point as the first local minimiser of m_k(x(t)), the reduced
  Newton point (tests/dense_model.py), the MN11 projection or the backtracking
  (5.8)–(5.9) from it;
* f at every line-search trial by calling the problem's own fg.

The browser test opens index.html in headless Chromium through the DevTools protocol
(--remote-debugging-pipe) and saves a screenshot to out/walkthrough.png.
"""
import base64
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.append(ROOT)
sys.path.append(os.path.join(ROOT, "tools"))

import lbfgsb                           # noqa: E402
import walkthrough                      # noqa: E402
from dense_model import bfgs_matrix, breakpoints, first_minimiser_on_path, reduced_newton  # noqa
from reference import teaching          # noqa: E402

RTOL = 1e-8


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(lbfgsb.__file__))
    return env


def _build(out, *args):
    res = subprocess.run([sys.executable, "-P", os.path.join(ROOT, "tools", "walkthrough.py"),
                          "--out", str(out), *args], capture_output=True, text=True,
                         env=_env(), cwd=ROOT, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    with open(os.path.join(out, "walkthrough.json")) as fh:
        return json.load(fh)


def _example_problem():
    spec = importlib.util.spec_from_file_location(
        "example_problem", os.path.join(ROOT, "tools", "example_problem.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.problem(2)


@pytest.fixture(scope="module")
def default_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("walk_default")
    return out, _build(out), teaching.problem()


@pytest.fixture(scope="module")
def user_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("walk_user")
    data = _build(out, "--problem", "tools/example_problem.py:problem", "--n", "2")
    return out, data, _example_problem()


def _box(lower, upper):
    lo = np.array([-np.inf if v is None else v for v in lower], float)
    hi = np.array([np.inf if v is None else v for v in upper], float)
    return lo, hi


def _assert_close(a, b, scale=None, what=""):
    a, b = np.asarray(a, float), np.asarray(b, float)
    big = float(np.max(np.abs(b))) if b.size else 0.0
    s = max(1.0, big if scale is None else scale)
    assert a.shape == b.shape and np.all(np.abs(a - b) <= RTOL * s), (what, a, b)


def check_against_dense_algebra(data, fg):
    lo, hi = _box(data["problem"]["lower"], data["problem"]["upper"])
    its = data["iterations"]
    assert its, "no iteration"
    for j, it in enumerate(its):
        k = it["k"]
        x, g = np.array(it["x"]), np.array(it["g"])
        assert all(ok for _, ok in it["checks"]), (k, it["checks"])
        # f and g at x_k are the problem's
        f, gx = fg(x.copy())
        assert it["f"] == f and np.array_equal(g, gx), k
        B = bfgs_matrix(it["theta"], it["S"], it["Y"], len(x))
        # (4.1): every finite breakpoint, sorted
        expect = sorted(t for t in breakpoints(x, g, lo, hi) if np.isfinite(t) and t > 0)
        _assert_close(it["breakpoints"], expect, what=f"breakpoints, k={k}")
        # the generalized Cauchy point: the first local minimiser along x(t)
        tstar, xcp = first_minimiser_on_path(x, g, lo, hi, B)
        _assert_close(it["xcp"], xcp, what=f"xcp, k={k}")
        _assert_close(it["tstar"], tstar, scale=abs(tstar), what=f"t*, k={k}")
        xcp_s = np.array(it["xcp"])
        free = [i for i in range(len(x)) if lo[i] < xcp_s[i] < hi[i]]
        assert it["free"] == free, k
        z = np.array(it["z"])
        if it["z_newton"] is None:
            assert it["subspace_step"] == "skipped" and np.array_equal(z, xcp_s)
        else:
            # the reduced Newton point: Z'BZ du = -Z'(g + B(xcp - x))
            rc, zn = reduced_newton(x, g, B, xcp_s, free)
            _assert_close(it["reduced_gradient"], rc, what=f"r^c, k={k}")
            _assert_close(it["z_newton"], zn, what=f"Newton point, k={k}")
            zs = np.array(it["z_newton"])
            proj = np.clip(zs, lo, hi)
            kind = it["subspace_step"]
            if kind == "inside":
                assert np.array_equal(proj, zs) and np.array_equal(z, zs), k
            elif kind == "projected":          # MN11: kept, a descent direction
                assert not np.array_equal(proj, zs) and np.array_equal(z, proj), k
                assert (proj - x) @ g <= 0, k
            else:                               # uphill: backtrack, (5.8)-(5.9)
                assert kind == "backtracked" and (proj - x) @ g > 0, k
                du = zs - xcp_s
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratios = np.where(du > 0, (hi - xcp_s) / du,
                                      np.where(du < 0, (lo - xcp_s) / du, np.inf))
                alpha = min(1.0, float(np.min(ratios)))
                _assert_close(z, xcp_s + alpha * du, what=f"backtracked z, k={k}")
                _assert_close(it["alpha_backtrack"], alpha, what=f"alpha*, k={k}")
        d = np.array(it["d"])
        assert np.array_equal(d, z - x), k
        # the line search: the problem's own f at every trial, g'd, the last is x_{k+1}
        for t in it["trials"]:
            ft, gt = fg(np.array(t["x"]))
            assert t["f"] == ft, (k, t)
            _assert_close(t["gd"], gt @ d, scale=np.abs(gt) @ np.abs(d), what=f"g'd, k={k}")
            # (2.5) as dcsrch evaluates it: f <= finit + stp * (ftol * ginit)
            assert t["sufficient_decrease"] == (t["f"] <= it["f"] + t["alpha"]
                                                * (1e-3 * it["ginit"])), (k, t)
        assert it["trials"][-1]["x"] == it["x_next"], k
        last = it["trials"][-1]
        assert last["dcsrch"].startswith("CONV") or last["dcsrch"].startswith("WARN"), k
        if j + 1 < len(its):
            assert its[j + 1]["x"] == it["x_next"], k


def test_default_problem_numbers_agree_with_dense_algebra(default_page):
    _, data, (fg, x0, lower, upper) = default_page
    assert data["problem"]["x0"] == list(x0)
    check_against_dense_algebra(data, fg)


def test_user_problem_numbers_agree_with_dense_algebra(user_page):
    _, data, (fg, x0, lower, upper) = user_page
    assert data["problem"]["n"] == 2
    check_against_dense_algebra(data, fg)


def test_default_problem_shows_every_part_of_an_iteration(default_page):
    """A breakpoint passed, a projection kept and a line search of several trials
    in one iteration (the guide's worked iteration); a backtracked subspace step;
    the solution on a face of the box, not at a corner."""
    _, data, _ = default_page
    its = data["iterations"]
    worked = [it["k"] for it in its if len(it["segments"]) >= 2
              and it["subspace_step"] == "projected" and len(it["trials"]) >= 3]
    assert teaching.WORKED_ITERATION in worked, worked
    assert any(it["subspace_step"] == "backtracked" for it in its)
    assert data["problem"]["task"].startswith("CONVERGENCE")
    lo, hi = _box(data["problem"]["lower"], data["problem"]["upper"])
    xf = np.array(its[-1]["x_next"])
    assert sum(bool(xf[i] == lo[i] or xf[i] == hi[i]) for i in range(2)) == 1, xf


def test_every_equation_the_page_cites_is_tagged_in_the_function_it_points_to(default_page):
    out, _, _ = default_page
    page = (out / "index.html").read_text()
    cites = walkthrough.citations()
    assert len(cites) >= 10
    for tag, fn in cites:
        assert f"data-eq='{tag}' data-fn='{fn}'" in page, (tag, fn)
        assert walkthrough.tagged_lines(fn, tag), f"{fn} carries no '# {tag}' comment"


def test_page_is_self_contained(default_page):
    page = (default_page[0] / "index.html").read_text()
    for ref in ("http://", "https://", "src='/", 'src="/', "@import", "url("):
        assert ref not in page.replace("http://www.w3.org", ""), ref


def test_walkthrough_refuses_a_problem_that_is_not_2d(tmp_path):
    res = subprocess.run([sys.executable, "-P", os.path.join(ROOT, "tools", "walkthrough.py"),
                          "--problem", "tools/example_problem.py:problem", "--out",
                          str(tmp_path)], capture_output=True, text=True, env=_env(), cwd=ROOT,
                         timeout=300)
    assert res.returncode == 2 and "the pictures are 2-D" in res.stderr


# ---------------------------------------------------------------------------
# the page in headless Chromium, through the DevTools protocol on a pipe

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Chromium:
    """A headless Chromium driven over --remote-debugging-pipe (fds 3 and 4)."""

    def __init__(self, size=(1300, 1900)):
        r_in, w_in = os.pipe()
        r_out, w_out = os.pipe()

        def fds():
            a, b = os.dup(r_in), os.dup(w_out)
            os.dup2(a, 3)
            os.dup2(b, 4)
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
             "--remote-debugging-pipe", f"--window-size={size[0]},{size[1]}", "about:blank"],
            preexec_fn=fds, close_fds=False, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(r_in)
        os.close(w_out)
        self.w, self.r = w_in, r_out
        self.n, self.buf, self.events = 0, b"", []
        page = [t for t in self.call("Target.getTargets")["targetInfos"] if t["type"] == "page"]
        self.sid = self.call("Target.attachToTarget", targetId=page[0]["targetId"],
                             flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(domain + ".enable", True)

    def _message(self):
        while b"\0" not in self.buf:
            chunk = os.read(self.r, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, session=False, **params):
        self.n += 1
        msg = {"id": self.n, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.sid
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self._message()
            if reply.get("id") == self.n:
                if "error" in reply:
                    raise RuntimeError(reply["error"])
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method, timeout=60):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for e in self.events:
                if e.get("method") == method:
                    return e
            self.events.append(self._message())
        raise TimeoutError(method)

    def js(self, expr):
        r = self.call("Runtime.evaluate", True, expression=expr, returnByValue=True)
        return r["result"].get("value")

    def key(self, name, code):
        for kind in ("keyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", True, type=kind, key=name, code=name,
                      windowsVirtualKeyCode=code)

    def errors(self):
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append(p["exceptionDetails"].get("text"))
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(str(p.get("args")))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(p["entry"].get("text"))
        return out

    def close(self):
        try:
            self.call("Browser.close")
        except (RuntimeError, OSError):
            pass
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self.w)
        os.close(self.r)


@pytest.fixture
def browser():
    if CHROMIUM is None:
        why = "chromium is not installed (tools/setup.sh installs Debian's chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but " + why)
        pytest.skip(why)
    b = Chromium()
    yield b
    b.close()


def _shown(b):
    """(current k, x_k as shown) of the visible section."""
    return b.js("[document.body.dataset.current, "
                "document.querySelector('section.iter.cur') && "
                "document.querySelector('section.iter.cur').dataset.k, "
                "document.querySelector('section.iter.cur .xk').textContent]")


@pytest.mark.parametrize("which", ["default_page", "user_page"])
def test_page_in_headless_chromium_loads_renders_and_steps(which, browser, request):
    out, data, _ = request.getfixturevalue(which)
    its = data["iterations"]
    k = min(len(its), max(2, getattr(teaching, "WORKED_ITERATION", 2)))
    browser.call("Page.navigate", True, url=f"file://{out}/index.html#k{k}")
    browser.wait_for("Page.loadEventFired")
    for _ in range(100):                     # the load handler counts the figures
        if browser.js("document.body.dataset.figures"):
            break
        time.sleep(0.05)
    assert browser.errors() == []
    # every figure decoded with a non-zero size; the shown ones laid out non-zero
    assert browser.js("document.body.dataset.figures") == "%d/%d" % (
        4 * len(its) + 1, 4 * len(its) + 1)
    sizes = browser.js("Array.from(document.querySelectorAll('section.iter.cur img.fig'))"
                       ".map(i => [i.getBoundingClientRect().width, "
                       "i.getBoundingClientRect().height])")
    assert len(sizes) == 4 and all(w > 100 and h > 100 for w, h in sizes), sizes
    # the hash selects iteration k and shows k's numbers
    cur, shown_k, xk = _shown(browser)
    assert cur == str(k) and shown_k == str(k)
    assert xk == walkthrough._fmt(its[k - 1]["x"])
    if which == "default_page":
        shot = browser.call("Page.captureScreenshot", True, format="png")
        os.makedirs(os.path.join(ROOT, "out"), exist_ok=True)
        with open(os.path.join(ROOT, "out", "walkthrough.png"), "wb") as fh:
            fh.write(base64.b64decode(shot["data"]))
    # the keyboard steps forward and back
    browser.key("ArrowRight", 39)
    time.sleep(0.2)
    if k < len(its):
        cur, shown_k, xk = _shown(browser)
        assert cur == str(k + 1) and xk == walkthrough._fmt(its[k]["x"])
    browser.key("ArrowLeft", 37)
    time.sleep(0.2)
    cur, shown_k, xk = _shown(browser)
    assert cur == str(k) and xk == walkthrough._fmt(its[k - 1]["x"])
    assert browser.errors() == []
