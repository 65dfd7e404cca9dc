"""Hostile-input fuzzing of the public entry points: whatever the input, a
clear exception or a documented termination, never a crash, an out-of-bounds
write or a hang.

The kernels run without bounds checks, so a case that got past validation and
indexed out of range would corrupt memory or kill the interpreter.  The fuzz
cases therefore run in a child process (``LBFGSB_FUZZ_CHILD=1``): the only
test that runs in the parent, ``test_hostile_corpus_in_child_process_exits_
cleanly``, starts that child with a wall-clock bound and asserts its exit
status; a segfault or an abort shows up as a negative status there instead of
killing pytest.

Budget: the Hypothesis profile is chosen with ``LBFGSB_FUZZ_PROFILE``:
``ci`` (default, derandomized, about a minute in all), ``long`` (random, 20x
the examples; run locally), or ``smoke``.  The same tests run against the
bounds-checked build (``tools/fuzz_checked.sh``) and an AddressSanitizer build
(``tools/fuzz_asan.sh``).  ``LBFGSB_FUZZ_LOG=file`` appends every example to
``file`` before it runs (the parent reports the last one when the child
dies); ``LBFGSB_FUZZ_HUGE_LIMITS=1`` lets ``maxiter``/``maxfun`` take huge
values too (runs as long as the problem allows; local only).
"""

import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import lbfgsb
from lbfgsb.port import state

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, settings, strategies as st  # noqa: E402
from hypothesis import given  # noqa: E402

CHILD = os.environ.get("LBFGSB_FUZZ_CHILD") == "1"
child_only = pytest.mark.skipif(
    not CHILD, reason="runs in the child process started by "
    "test_hostile_corpus_in_child_process_exits_cleanly")

_common = dict(deadline=None, database=None, print_blob=True,
               suppress_health_check=list(HealthCheck))
settings.register_profile("smoke", max_examples=20, derandomize=True, **_common)
settings.register_profile("ci", max_examples=400, derandomize=True, **_common)
settings.register_profile("long", max_examples=3000, **_common)
PROFILE = os.environ.get("LBFGSB_FUZZ_PROFILE", "ci")

# LBFGSB_FUZZ_LOG=path: each example is appended to that file before it runs,
# so that the last line names the example that crashed a child
_LOG = os.environ.get("LBFGSB_FUZZ_LOG")


def _log(name, **kw):
    if _LOG:
        with open(_LOG, "a") as fh:
            fh.write(f"{time.time():.3f} {name} {kw!r}\n")


# the exceptions that count as "a clear error" from argument validation
CLEAR = (ValueError, TypeError, OverflowError, MemoryError)

# what setulb may leave in task after a call (the Fortran's task texts)
TASK_PREFIXES = (b"FG_START", b"FG_LNSRCH", b"NEW_X", b"CONVERGENCE: ",
                 b"ABNORMAL_TERMINATION_IN_LNSRCH", b"ERROR: ", b"STOP: ",
                 b"WARNING: ", b"START", b"STOP")    # a task that begins with STOP is
                                                       # returned as it is (the Fortran)


def quad(n):
    """A separable quadratic with its minimiser at 0.5*(1..n) (f, g)."""
    c = 0.5 * np.arange(1, n + 1)
    w = 1.0 + np.arange(n) % 7

    def fg(x):
        r = x - c
        return float(np.sum(w * r * r)), 2.0 * w * r
    return fg


def new_args(n, m, x=None, bounds="mixed", seed=0):
    """A valid argument set for ``setulb`` (a dict, keyword names as in the
    signature)."""
    rng = np.random.default_rng(seed)
    lwa, liwa, lis, lds, lls = lbfgsb.workspace_sizes(n, m)
    if bounds == "mixed":
        nbd = rng.integers(0, 4, n).astype(np.int32)
    else:
        nbd = np.zeros(n, np.int32)
    l = rng.uniform(-2, 0.5, n)
    u = l + rng.uniform(0, 3, n)
    task = np.zeros(1, "S60")
    task[0] = b"START"
    return dict(m=m, x=np.array(x if x is not None else rng.uniform(-3, 3, n)),
                l=l, u=u, nbd=nbd, f=np.zeros(1), g=np.zeros(n), factr=1e7,
                pgtol=1e-5, wa=np.zeros(lwa), iwa=np.zeros(liwa, np.int32),
                task=task, iprint=-1, csave=np.zeros(1, "S60"),
                lsave=np.zeros(lls, np.int32), isave=np.zeros(lis, np.int32),
                dsave=np.zeros(lds), maxls=20)


ORDER = ("m", "x", "l", "u", "nbd", "f", "g", "factr", "pgtol", "wa", "iwa",
         "task", "iprint", "csave", "lsave", "isave", "dsave", "maxls")


def call(a):
    lbfgsb.setulb(*[a[k] for k in ORDER])
    return bytes(np.asarray(a["task"]).reshape(-1).view(np.uint8)[:60])


def in_bounds(x, l, u, nbd):
    lo = (nbd == 1) | (nbd == 2)
    hi = (nbd == 2) | (nbd == 3)
    return bool(np.all(x[lo] >= l[lo]) and np.all(x[hi] <= u[hi]))


def drive_rc(a, fg, max_calls=400, corrupt=None):
    """Run the reverse-communication loop (at most ``max_calls`` calls); call
    ``corrupt(a, k)`` before call k.  Returns the last task or the exception."""
    for k in range(max_calls):
        if corrupt is not None:
            corrupt(a, k)
        try:
            task = call(a)
        except CLEAR as e:
            return e
        assert task.startswith(TASK_PREFIXES), task
        if task.startswith(b"FG"):
            f, g = fg(np.asarray(a["x"], dtype=float))
            a["f"][...] = f
            a["g"][...] = g
        elif not task.startswith(b"NEW_X"):
            return task
    return task


# ---------------------------------------------------------------------------
# argument mutations for setulb

def _mutations(a, n, m):
    """Named ways to spoil one argument of a valid call."""
    lwa = a["wa"].size
    return {
        "x_float32": ("x", a["x"].astype(np.float32)),
        "x_int": ("x", a["x"].astype(np.int64)),
        "x_list": ("x", list(a["x"])),
        "x_noncontig": ("x", np.repeat(a["x"], 2)[::2]),
        "x_readonly": ("x", _ro(a["x"])),
        "x_empty": ("x", np.zeros(0)),
        "x_2d": ("x", a["x"].reshape(1, -1).copy()),
        "x_fortran2d": ("x", np.asfortranarray(np.repeat(a["x"], 2).reshape(n, 2))),
        "x_nan": ("x", np.where(np.arange(n) == 0, np.nan, a["x"])),
        "x_inf": ("x", np.where(np.arange(n) == n - 1, -np.inf, a["x"])),
        "l_short": ("l", a["l"][:-1].copy()),
        "u_short": ("u", a["u"][:-1].copy()),
        "l_nan": ("l", np.full(n, np.nan)),
        "u_inf": ("u", np.full(n, np.inf)),
        "l_gt_u": ("l", a["u"] + 1.0),
        "nbd_int64": ("nbd", a["nbd"].astype(np.int64)),
        "nbd_short": ("nbd", a["nbd"][:-1].copy()),
        "nbd_big": ("nbd", np.full(n, 7, np.int32)),
        "nbd_neg": ("nbd", np.full(n, -1, np.int32)),
        "nbd_intmin": ("nbd", np.full(n, -2**31, np.int32)),
        "f_scalar": ("f", 0.0),
        "f_empty": ("f", np.zeros(0)),
        "f_int": ("f", np.zeros(1, np.int64)),
        "g_short": ("g", np.zeros(n - 1)),
        "g_readonly": ("g", _ro(np.zeros(n))),
        "g_noncontig": ("g", np.zeros(2 * n)[::2]),
        "wa_short": ("wa", np.zeros(lwa - 1)),
        "wa_empty": ("wa", np.zeros(0)),
        "wa_float32": ("wa", np.zeros(lwa, np.float32)),
        "wa_readonly": ("wa", _ro(np.zeros(lwa))),
        "wa_noncontig": ("wa", np.zeros(2 * lwa)[::2]),
        "iwa_short": ("iwa", np.zeros(3 * n - 1, np.int32)),
        "iwa_int64": ("iwa", np.zeros(3 * n, np.int64)),
        "task_str": ("task", "START"),
        "task_bytes_ro": ("task", b"START" + b" " * 55),
        "task_short": ("task", bytearray(b"START")),
        "task_unicode": ("task", np.array(["START"], "U60")),
        "task_garbage": ("task", bytearray(os.urandom(60))),
        "task_nul": ("task", bytearray(60)),
        "task_fg_ln": ("task", _task(b"FG_LNSRCH")),
        "task_new_x": ("task", _task(b"NEW_X")),
        "task_stop_cpu": ("task", _task(b"STOP: CPU")),
        "csave_none": ("csave", None),
        "lsave_short": ("lsave", np.zeros(3, np.int32)),
        "isave_short": ("isave", np.zeros(43, np.int32)),
        "isave_float": ("isave", np.zeros(44)),
        "dsave_short": ("dsave", np.zeros(28)),
        "m_zero": ("m", 0),
        "m_neg": ("m", -5),
        "m_huge": ("m", 2**31 - 1),
        "m_toobig": ("m", 2**31),
        "m_float": ("m", 2.5),
        "m_more": ("m", m + 1),
        "factr_nan": ("factr", np.nan),
        "factr_neg": ("factr", -1.0),
        "factr_inf": ("factr", np.inf),
        "pgtol_nan": ("pgtol", np.nan),
        "pgtol_neg": ("pgtol", -1.0),
        "iprint_str": ("iprint", "1"),
        "iprint_1": ("iprint", 1),            # the trace, with hostile values
        "iprint_101": ("iprint", 101),
        "iprint_huge": ("iprint", 2**31 - 1),
        "maxls_zero": ("maxls", 0),
        "maxls_neg": ("maxls", -3),
        "maxls_huge": ("maxls", 2**31 - 1),
        "maxls_one": ("maxls", 1),
        "alias_g_x": ("g", a["x"]),
        "alias_x_wa": ("x", a["wa"][:n]),
        "alias_isave_iwa": ("isave", a["iwa"] if a["iwa"].size >= 44 else a["isave"]),
        "alias_dsave_wa": ("dsave", a["wa"][-29:] if lwa >= 29 else a["dsave"]),
    }


def _ro(v):
    v = np.array(v)
    v.flags.writeable = False
    return v


def _task(text):
    t = np.zeros(1, "S60")
    t[0] = text
    return t


MUTATION_NAMES = sorted(_mutations(new_args(3, 2), 3, 2))


@child_only
@settings(settings.get_profile(PROFILE))
@given(n=st.integers(1, 40), m=st.integers(1, 12), seed=st.integers(0, 2**32 - 1),
       which=st.lists(st.sampled_from(MUTATION_NAMES), min_size=1, max_size=3),
       at=st.integers(0, 30))
def test_fuzz_setulb_spoilt_argument_is_refused_or_terminates(n, m, seed, which, at):
    """Spoil one to three arguments, at call ``at`` of a running loop."""
    _log("test_fuzz_setulb_spoilt_argument_is_refused_or_terminates", n=n, m=m, seed=seed, which=which, at=at)
    a = new_args(n, m, seed=seed)
    fg = quad(n)
    state = {}

    def corrupt(a, k):
        if k != at:
            return
        muts = _mutations(a, n, m)
        for w in which:
            key, val = muts[w]
            state[key] = a[key]
            a[key] = val

    out = drive_rc(a, fg, corrupt=corrupt)
    assert isinstance(out, (bytes, Exception))
    # a clean restart with the original arguments still works
    b = new_args(n, m, seed=seed)
    assert drive_rc(b, fg).startswith((b"CONVERGENCE", b"ABNORMAL", b"ERROR"))


# corrupting the saved state between calls: any entry, any value
_SPECIAL_INT = [0, 1, -1, 2, 3, -2**31, 2**31 - 1, 10**6, -10**6]
_SPECIAL_DBL = [0.0, -0.0, 1.0, -1.0, np.nan, np.inf, -np.inf, 1e308, 1e-320,
                -1e300]


@st.composite
def corruptions(draw):
    out = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["isave", "dsave", "lsave", "iwa", "task",
                                     "csave", "x", "f", "g", "wa"]))
        if kind in ("isave", "lsave", "iwa"):
            val = draw(st.sampled_from(_SPECIAL_INT) | st.integers(-2**31, 2**31 - 1))
            out.append((kind, draw(st.integers(0, 10**6)), val))
        elif kind in ("task", "csave"):
            val = draw(st.sampled_from([b"START", b"FG_START", b"FG_LNSRCH", b"NEW_X",
                                        b"STOP: CPU", b"STOP", b"CONVERGENCE", b"FG",
                                        b"ERROR", b"WARNING", b"",
                                        b"ABNORMAL_TERMINATION_IN_LNSRCH"])
                       | st.binary(min_size=0, max_size=60))
            out.append((kind, 0, val))
        else:
            val = draw(st.sampled_from(_SPECIAL_DBL) | st.floats())
            out.append((kind, draw(st.integers(0, 10**6)), val))
    return out


@child_only
@settings(settings.get_profile(PROFILE))
@given(n=st.integers(1, 30), m=st.integers(1, 8), seed=st.integers(0, 2**32 - 1),
       bounds=st.sampled_from(["mixed", "none"]), at=st.integers(1, 40),
       bad=corruptions())
def test_fuzz_setulb_corrupted_state_is_refused_or_terminates(n, m, seed, bounds, at, bad):
    """Overwrite entries of isave/dsave/lsave/iwa/wa/task/csave/x/f/g between
    two calls; the next calls raise ValueError or return a task text, and a
    run that goes on still keeps x within valid bounds."""
    _log("test_fuzz_setulb_corrupted_state_is_refused_or_terminates", n=n, m=m, seed=seed, bounds=bounds, at=at, bad=bad)
    a = new_args(n, m, seed=seed, bounds=bounds)
    fg = quad(n)

    def corrupt(a, k):
        if k != at:
            return
        for kind, i, val in bad:
            if kind in ("task", "csave"):
                a[kind][0] = val
            elif kind == "f":
                a["f"][0] = val
            else:
                arr = a[kind]
                arr[i % arr.size] = val

    out = drive_rc(a, fg, corrupt=corrupt)
    # (x written by the caller mid-run is taken as the iterate, as in the
    # Fortran: the bounds are then no longer guaranteed)
    if (isinstance(out, bytes) and out.startswith(b"CONV")
            and not any(kind == "x" for kind, _, _ in bad)):
        assert in_bounds(a["x"], a["l"], a["u"], a["nbd"])


# ---------------------------------------------------------------------------
# scipy_setulb

def scipy_args(n, m, seed=0):
    a = new_args(n, m, seed=seed)
    return dict(m=m, x=a["x"], l=a["l"], u=a["u"], nbd=a["nbd"], f=0.0,
                g=a["g"], factr=1e7, pgtol=1e-5, wa=a["wa"], iwa=a["iwa"],
                task=np.zeros(2, np.int32), lsave=a["lsave"], isave=a["isave"],
                dsave=a["dsave"], maxls=20, ln_task=np.zeros(2, np.int32))


SORDER = ("m", "x", "l", "u", "nbd", "f", "g", "factr", "pgtol", "wa", "iwa",
          "task", "lsave", "isave", "dsave", "maxls", "ln_task")


@child_only
@settings(settings.get_profile(PROFILE))
@given(n=st.integers(1, 30), m=st.integers(1, 8), seed=st.integers(0, 2**32 - 1),
       at=st.integers(0, 40),
       bad=st.lists(st.tuples(st.sampled_from(["task", "ln_task", "isave", "iwa",
                                                 "lsave", "dsave"]),
                              st.integers(0, 10**6),
                              st.sampled_from(_SPECIAL_INT) | st.integers(-2**31, 2**31 - 1)),
                    min_size=1, max_size=4))
def test_fuzz_scipy_setulb_corrupted_codes_and_state_are_refused(n, m, seed, at, bad):
    _log("test_fuzz_scipy_setulb_corrupted_codes_and_state_are_refused", n=n, m=m, seed=seed, at=at, bad=bad)
    a = scipy_args(n, m, seed)
    fg = quad(n)
    for k in range(400):
        if k == at:
            for kind, i, val in bad:
                arr = a[kind]
                arr[i % arr.size] = val if arr.dtype.kind == "i" else float(val)
        try:
            lbfgsb.scipy_setulb(*[a[k2] for k2 in SORDER])
        except CLEAR:
            return
        status = a["task"][0]
        assert 0 <= status <= 8, status
        if status == 3:            # FG
            f, g = fg(a["x"])
            a["f"] = f
            a["g"][:] = g
        elif status != 1:          # not NEW_X
            break


# ---------------------------------------------------------------------------
# minimize / fmin_l_bfgs_b

x0s = st.one_of(
    st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=8).map(np.array),
    st.lists(st.floats(), min_size=0, max_size=5),              # NaN, inf
    st.lists(st.integers(-5, 5), min_size=1, max_size=5).map(np.array),
    st.lists(st.booleans(), min_size=1, max_size=4).map(np.array),
    st.sampled_from([np.zeros((2, 3)), np.zeros((3, 1), order="F"),
                     np.arange(10.0)[::3], np.float32([1, 2, 3]),
                     np.array([1 + 2j, 3]), np.array(["a", "b"]), np.array([None, 1]),
                     5.0, [], [[1.0], [2.0, 3.0]], "abc", None, object()]),
)
bound_pair = st.tuples(st.none() | st.floats(), st.none() | st.floats())
int_opts = st.sampled_from([0, -1, 1, 2, 3, 2.5, np.nan, "3", None, 10**3,
                            2**31 - 1, 2**31, 10**30])
# limits on the run: huge values are valid and make a run as long as the
# problem allows (gtol = ftol = 0 with finite differences can go on for
# millions of evaluations), so only values that are refused or small
limit_opts = st.sampled_from([0, -1, 1, 2, 3, 2.5, np.nan, "3", None, 200,
                              10**30, 2**63])
if os.environ.get("LBFGSB_FUZZ_HUGE_LIMITS") == "1":     # local, unbounded runs
    limit_opts = int_opts


@child_only
@settings(settings.get_profile(PROFILE))
@given(x0=x0s, bnds=st.one_of(st.none(), st.lists(bound_pair, min_size=0, max_size=8),
                              st.just("Bounds")),
       maxcor=int_opts, maxls=int_opts, maxiter=limit_opts, maxfun=limit_opts,
       ftol=st.sampled_from([0.0, -1.0, np.nan, np.inf, 1e-300, 2.2e-9, "x"]),
       gtol=st.sampled_from([0.0, -1.0, np.nan, np.inf, 1e-5]),
       jac=st.sampled_from([True, None, "2-point", "3-point", "cs", "bogus", False]),
       flavour=st.sampled_from(["fortran", "scipy", "Fortran", None, 3]),
       use_fmin=st.booleans())
def test_fuzz_minimize_hostile_arguments_give_clear_error_or_consistent_result(
        x0, bnds, maxcor, maxls, maxiter, maxfun, ftol, gtol, jac, flavour, use_fmin):
    _log("test_fuzz_minimize", x0=x0, bnds=bnds, maxcor=maxcor, maxls=maxls,
         maxiter=maxiter, maxfun=maxfun, ftol=ftol, gtol=gtol, jac=jac,
         flavour=flavour, use_fmin=use_fmin)
    try:
        n = np.size(x0) if isinstance(x0, (list, np.ndarray)) else 1
    except ValueError:        # ragged
        n = 1
    if bnds == "Bounds":
        from scipy.optimize import Bounds
        bnds = Bounds(np.full(max(n, 1), -1.0), np.full(max(n, 1), 2.0))

    def fun(x):
        f = float(np.sum((x - 0.25) ** 2))
        return (f, 2 * (x - 0.25)) if jac is True else f
    try:
        if use_fmin:
            x, f, d = lbfgsb.fmin_l_bfgs_b(
                fun, x0, approx_grad=jac is not True, bounds=bnds, m=maxcor,
                factr=ftol if isinstance(ftol, str) else ftol / 2.220446049250313e-16,
                pgtol=gtol, maxfun=maxfun, maxiter=maxiter, maxls=maxls,
                flavour=flavour)
            status, task = d["warnflag"], d["task"]
        else:
            res = lbfgsb.minimize(fun, x0, jac=jac, bounds=bnds, maxcor=maxcor,
                                  ftol=ftol, gtol=gtol, maxfun=maxfun,
                                  maxiter=maxiter, maxls=maxls, flavour=flavour)
            if "status" not in res:
                # SciPy's result when no variable is free (x0 empty, or every
                # variable fixed by its bounds): one evaluation, no status
                assert res.message == "All independent variables were fixed by bounds."
                assert res.nfev == 1 and res.success
                fx = fun(res.x)
                assert res.fun == (fx[0] if isinstance(fx, tuple) else fx)
                return
            x, f, status, task = res.x, res.fun, res.status, res.task
    except CLEAR:
        return
    assert status in (0, 1, 2)
    assert isinstance(task, str) and task
    assert x.dtype == np.float64 and x.ndim == 1
    if bnds is not None and not isinstance(bnds, list):
        assert np.all(x >= -1.0) and np.all(x <= 2.0)
    elif isinstance(bnds, list):
        for xi, (lo, hi) in zip(x, bnds):
            assert lo is None or np.isnan(lo) or xi >= lo
            assert hi is None or np.isnan(hi) or xi <= hi
    # the reported f is f(x), never a stale or trial value (flavour "scipy"
    # reproduces SciPy, which reports the last trial f after a failed line
    # search: see lbfgsb/_driver.pyx)
    if flavour == "scipy":
        return
    if task.startswith("ERROR"):
        return      # SciPy reports its initial f = array(0.0): no f was taken
    fx = fun(x)
    fx = fx[0] if isinstance(fx, tuple) else fx
    assert f == fx or (np.isnan(f) and np.isnan(fx))


@child_only
@settings(settings.get_profile(PROFILE))
@given(n=st.sampled_from([1, 2, 5, 12]), seed=st.integers(0, 2**16),
       shape=st.sampled_from(["pairs", "one pair", "Bounds", "Bounds scalar"]),
       fixed=st.sampled_from(["none", "some", "all", "equal-to-x0"]),
       infinite=st.booleans(),
       jac=st.sampled_from(["callable", True, None, "2-point", "3-point", "cs"]),
       use_fmin=st.booleans(), flavour=st.sampled_from(["fortran", "scipy"]))
def test_fuzz_bound_shapes_and_finite_differences_give_no_silent_wrong_answer(
        n, seed, shape, fixed, infinite, jac, use_fmin, flavour):
    """Bounds with fixed (lower == upper), infinite and shared entries, and
    every way of getting g: a run that reports success has found the minimiser
    of the separable quadratic (clip(c, l, u)) and reports f(x); any other run
    reports failure (or, fmin_l_bfgs_b with finite differences and a fixed
    variable, SciPy's case, warns: its differences are NaN there)."""
    from scipy.optimize import Bounds
    _log("test_fuzz_bound_shapes", n=n, seed=seed, shape=shape, fixed=fixed,
         infinite=infinite, jac=jac, use_fmin=use_fmin, flavour=flavour)
    rng = np.random.default_rng(seed)
    c = rng.uniform(-3, 3, n)
    w = 1.0 + np.arange(n) % 4
    lo, hi = rng.uniform(-2, 0, n), rng.uniform(0, 2, n)
    if infinite:
        lo[rng.random(n) < 0.4] = -np.inf
        hi[rng.random(n) < 0.4] = np.inf
    if shape in ("one pair", "Bounds scalar"):
        lo[:], hi[:] = lo[0], hi[0]
    x0 = rng.uniform(-1, 1, n)
    if fixed != "none":
        k = n if fixed == "all" else rng.integers(1, n + 1)
        idx = rng.permutation(n)[:k]
        v = x0[idx] if fixed == "equal-to-x0" else rng.uniform(-1, 1, k)
        if shape in ("one pair", "Bounds scalar"):
            idx, v = np.arange(n), np.full(n, v[0])
        lo[idx] = hi[idx] = v
    if shape == "pairs":
        bounds = [(a, b) for a, b in zip(lo, hi)]
    elif shape == "one pair":
        bounds = [(lo[0], hi[0])]
    elif shape == "Bounds":
        bounds = Bounds(lo, hi)
    else:
        bounds = Bounds(lo[0], hi[0])
    if use_fmin and shape != "pairs":
        return      # fmin_l_bfgs_b takes (min, max) pairs only (as SciPy)
    if use_fmin and jac in ("2-point", "3-point", "cs"):
        jac = None

    def f_of(x):
        return np.sum(w * (x - c) ** 2)

    def fun(x):
        return (f_of(x), 2 * w * (x - c)) if jac is True else f_of(x)
    grad = (lambda x: 2 * w * (x - c)) if jac == "callable" else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if use_fmin:
            x, f, d = lbfgsb.fmin_l_bfgs_b(fun, x0, fprime=grad, approx_grad=jac is None,
                                           bounds=bounds, flavour=flavour, factr=10)
            success = d["warnflag"] == 0
        else:
            res = lbfgsb.minimize(fun, x0, jac=grad if grad else jac, bounds=bounds,
                                  flavour=flavour, ftol=1e-15, gtol=1e-9)
            x, f, success = res.x, res.fun, res.success
    want = np.clip(c, lo, hi)
    right = np.allclose(x, want, rtol=0, atol=1e-4 * (1 + np.abs(want)))
    if success and not right:
        # the one wrong answer reported as success is SciPy's: fmin_l_bfgs_b
        # steps a fixed variable for its differences (0/0); it warns
        assert use_fmin and jac is None and (lo == hi).any(), (x, want)
        assert any(issubclass(m.category, RuntimeWarning) for m in caught)
    if not success:
        return
    assert np.all((x >= lo) & (x <= hi))
    assert f == f_of(x) or np.isnan(f)


class _FloatSub(float):
    """A float subclass returned by an objective."""


_F_TYPES = {
    "int": lambda v: int(round(v * 1e6)) if np.isfinite(v) else v,
    "np.float32": np.float32, "np.int64": lambda v: np.int64(round(v)) if np.isfinite(v) else v,
    "Fraction": lambda v: __import__("fractions").Fraction(v) if np.isfinite(v) else v,
    "float subclass": _FloatSub, "0-d": np.asarray, "1 element": lambda v: np.array([v]),
    "float": float,
}
_G_TYPES = {
    "array": lambda g: g, "list": list, "float32": lambda g: g.astype(np.float32),
    "matrix row": lambda g: np.asmatrix(g), "matrix column": lambda g: np.asmatrix(g).T,
    "masked": lambda g: np.ma.masked_array(g, mask=np.arange(g.size) % 2 == 0),
    "column": lambda g: g.reshape(-1, 1), "strided": lambda g: np.repeat(g, 2)[::2],
}


def _outcome(run):
    """Everything observable, bitwise (NaN sign included), or the exception."""
    def v(a):
        if isinstance(a, np.ndarray):
            return (type(a).__name__, a.dtype.str, a.shape, np.asarray(a).tobytes())
        if isinstance(a, (float, np.floating)):
            return (type(a).__name__, np.asarray(a).tobytes())
        return (type(a).__name__, repr(a))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = run()
        except Exception as e:      # noqa: BLE001 - the exception is the outcome
            return ("raise", type(e).__name__, str(e))
    return tuple((k, v(res.get(k))) for k in ("x", "fun", "jac", "nit", "nfev", "njev",
                                         "status", "message"))


@child_only
@settings(settings.get_profile(PROFILE))
@given(n=st.integers(1, 6), seed=st.integers(0, 2**16),
       f_type=st.sampled_from(sorted(_F_TYPES)), g_type=st.sampled_from(sorted(_G_TYPES)),
       kind=st.sampled_from(["quad", "uphill", "huge", "penalty"]),
       upper=st.sampled_from([None, -0.0, 0.0, 1.0]), lower=st.sampled_from([None, -0.0, -2.0]),
       maxls=st.sampled_from([1, 3, 20]), jac_true=st.booleans())
def test_fuzz_return_types_abnormal_ends_and_signed_zero_bounds_agree_with_scipy(
        n, seed, f_type, g_type, kind, upper, lower, maxls, jac_true):
    """Issue 22's classes against SciPy itself: objectives returning ints,
    float32, Fractions, float subclasses, 0-d and 1-element arrays; gradients
    as lists, matrices, masked arrays; line searches that fail (ABNORMAL) on
    such values; badly scaled objectives (NaN); bounds of -0.0 and +0.0.  The
    scipy flavour is SciPy bit for bit (exception text, or x, fun with its
    type, jac with its type, counts, status, message); the default flavour
    reports f(x) itself after ABNORMAL, never a cast or a trial value."""
    import scipy.optimize as so
    _log("test_fuzz_return_types", n=n, seed=seed, f_type=f_type, g_type=g_type,
         kind=kind, upper=upper, lower=lower, maxls=maxls, jac_true=jac_true)
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n))
    H, c = A @ A.T + 0.1 * np.eye(n), rng.normal(size=n)
    x0 = rng.normal(size=n) - 0.5
    scale = 1e308 if kind == "huge" else 1.0
    bounds = [(lower if rng.random() < 0.5 else None, upper if rng.random() < 0.6 else None)
              for _ in range(n)]
    bounds = [(lo, hi) if lo is None or hi is None or lo <= hi else (None, hi)
              for lo, hi in bounds]

    def make():
        calls = [0]

        def f_and_g(x):
            calls[0] += 1
            d = x - c
            f = scale * (float(d @ H @ d) + float(np.sum(np.sin(x)))) + 10.638
            g = scale * (2 * H @ d + np.cos(x))
            if kind == "uphill":
                g = -g
            if kind == "penalty" and calls[0] > 3:
                f = 1e6          # every later trial is rejected
            return _F_TYPES[f_type](f), _G_TYPES[g_type](g)

        if jac_true:
            return f_and_g, True
        return (lambda x: f_and_g(x)[0]), (lambda x: _G_TYPES[g_type](
            scale * (2 * H @ (x - c) + np.cos(x)) * (-1 if kind == "uphill" else 1)))

    def scipy_run():
        fun, jac = make()
        return so.minimize(fun, x0, jac=jac, bounds=bounds, method="L-BFGS-B",
                           options={"maxls": maxls, "maxiter": 200})

    def port_run(flavour):
        fun, jac = make()
        return lbfgsb.minimize(fun, x0, jac=jac, bounds=bounds, maxls=maxls, maxiter=200,
                               flavour=flavour)
    ref = _outcome(scipy_run)
    assert _outcome(lambda: port_run("scipy")) == ref
    if ref[0] == "raise":
        return
    res = port_run("fortran")
    if res.message.startswith("ABNORMAL") and kind != "penalty":
        fun, jac = make()
        at_x = fun(res.x.copy())
        at_x = at_x[0] if jac is True else at_x
        if not np.isscalar(at_x):
            at_x = np.asarray(at_x).item()
        assert type(res.fun) is type(at_x)
        assert np.asarray(res.fun).tobytes() == np.asarray(at_x).tobytes() or res.fun == at_x


# ---------------------------------------------------------------------------
# hand-written hostile corpus (regressions found by the fuzzing above)

@child_only
def test_corpus_iteration_count_reset_does_not_hide_corrupted_index():
    """iter (isave(30)) set to 0 mid-run used to skip the iwa checks while
    col > 0: unconstrained iterations then read index(1..nfree) unchecked."""
    n, m = 50, 5
    a = new_args(n, m, x=np.full(n, 3.0), bounds="none")
    fg = quad(n)
    nit = 0
    while nit < 4:
        task = call(a)
        if task.startswith(b"FG"):
            a["f"][0], a["g"][:] = fg(a["x"])
        elif task.startswith(b"NEW_X"):
            nit += 1
    assert a["isave"][state.ISAVE_COL] > 0
    a["isave"][state.ISAVE_ITER] = 0
    a["iwa"][:n] = 10**8                     # index out of range
    with pytest.raises(ValueError, match="corrupted"):
        call(a)


@child_only
def test_corpus_overlapping_output_arrays_are_refused():
    n, m = 6, 3
    a = new_args(n, m)
    a["g"] = a["x"]
    with pytest.raises(ValueError, match="overlap"):
        call(a)
    a = new_args(n, m)
    a["dsave"] = a["wa"][:state.DSAVE_LEN]
    with pytest.raises(ValueError, match="overlap"):
        call(a)


@child_only
@pytest.mark.parametrize("name", ["nintol", "iback", "nskip", "iter", "iupdat", "nseg",
                                  "nfgv", "ifun"])
def test_corpus_counter_near_int_max_in_isave_is_refused(name):
    """iupdat = INT_MAX in isave wrapped to a negative col/itail in matupd,
    and dcopy wrote before the start of wa (ASan: heap corruption)."""
    n, m = 23, 3
    a = new_args(n, m, seed=512)
    fg = quad(n)
    for _ in range(13):
        task = call(a)
        if task.startswith(b"FG"):
            a["f"][0], a["g"][:] = fg(a["x"])
    a["isave"][state.ISAVE[name]] = 2**31 - 1
    with pytest.raises(ValueError, match="counter"):
        call(a)


@child_only
def test_corpus_scipy_ln_task_status_without_detail_is_refused():
    """ln_task = (6, 0) (a warning status with no detail code) used to raise
    AttributeError ('NoneType' object has no attribute 'encode')."""
    a = scipy_args(3, 2)
    lbfgsb.scipy_setulb(*[a[k] for k in SORDER])       # START -> FG
    a["ln_task"][:] = (6, 0)
    with pytest.raises(ValueError, match="task code"):
        lbfgsb.scipy_setulb(*[a[k] for k in SORDER])


@child_only
def test_corpus_invalid_nbd_and_infeasible_bounds_end_in_fortran_error_task():
    n, m = 4, 2
    a = new_args(n, m)
    a["nbd"][:] = 9
    assert call(a).startswith(b"ERROR: INVALID NBD")
    a = new_args(n, m)
    a["nbd"][:] = 2
    a["l"][:] = a["u"] + 1
    assert call(a).startswith(b"ERROR: NO FEASIBLE SOLUTION")
    a = new_args(n, 0)
    assert call(a).startswith(b"ERROR: M .LE. 0")


@child_only
def test_corpus_workspace_sizes_refuses_32bit_overflow():
    with pytest.raises(ValueError):
        lbfgsb.workspace_sizes(2**30, 1)               # 2mn+5n > 2^31
    with pytest.raises(ValueError):
        lbfgsb.workspace_sizes(1, 14000)               # 11 m^2 > 2^31
    with pytest.raises((ValueError, OverflowError)):
        lbfgsb.workspace_sizes(2**31, 1)
    # the largest accepted sizes stay below 2^31 - 1
    lwa = lbfgsb.workspace_sizes(2**31 // 7 - 100, 1)[0]
    assert lwa < 2**31 - 1


# ---------------------------------------------------------------------------
# the parent: run everything above in a child, bounded in time

def test_hostile_corpus_in_child_process_exits_cleanly():
    if CHILD:
        pytest.skip("already in the child")
    run_fuzz_child(__file__, "fuzz_ or corpus_")


def run_fuzz_child(test_file, select):
    """Run the tests of ``test_file`` matching ``-k select`` in a child
    process (``LBFGSB_FUZZ_CHILD=1``) and assert that it exits cleanly with
    tests passed; a crash shows up as its exit status, with the last example
    logged."""
    env = dict(os.environ, LBFGSB_FUZZ_CHILD="1")
    env.setdefault("HYPOTHESIS_STORAGE_DIRECTORY",
                   os.path.join(os.environ.get("TMPDIR", "/tmp"), "lbfgsb-hypothesis"))
    env.setdefault("LBFGSB_FUZZ_PROFILE", PROFILE)
    timeout = float(os.environ.get("LBFGSB_FUZZ_TIMEOUT", "900"))
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "examples.log")
        env.setdefault("LBFGSB_FUZZ_LOG", log)
        # --capture=sys: a crash report written to fd 2 (faulthandler, ASan)
        # reaches this process instead of dying with the child's capture file
        proc = subprocess.run(
            [sys.executable, "-P", "-m", "pytest", "-q", "-x", "--capture=sys",
             "-p", "no:cacheprovider", "-k", select, str(Path(test_file))],
            cwd=Path(__file__).resolve().parent.parent, env=env,
            capture_output=True, text=True, timeout=timeout)
        last = ""
        if os.path.exists(env["LBFGSB_FUZZ_LOG"]):
            with open(env["LBFGSB_FUZZ_LOG"]) as fh:
                lines = fh.read().splitlines()
            last = lines[-1] if lines else ""
    tail = (proc.stdout[-6000:] + proc.stderr[-3000:])
    assert proc.returncode == 0, (f"child exit status {proc.returncode}; last "
                                  f"example: {last}\n{tail}")
    assert " passed" in proc.stdout, tail
