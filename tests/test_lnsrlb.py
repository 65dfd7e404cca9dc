"""Bit-for-bit comparison of the Cython line search (lnsrlb, dcsrch, dcstep)
with Debian's Fortran L-BFGS-B 3.0 (liblbfgsb.so.0), run on SciPy's BLAS.

Every output scalar, every in/out array and every saved-state array (task,
csave, isave, dsave) must be identical to the last bit.
"""
import importlib.util
import math
import os
import pathlib
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pytest

from lbfgsb.port import lnsrlb as _lnsrlb


from fortran_ref import F, needs_fortran  # noqa: E402

pytestmark = needs_fortran

BLAS = "scipy"


def bits(v):
    return np.asarray(v, dtype=np.float64).view(np.int64)


def assert_same_float(a, b, what=""):
    assert np.array_equal(bits(a), bits(b)), "%s: %r != %r" % (what, a, b)


def task_bytes(buf):
    return bytes(buf)


# ---------------------------------------------------------------------------
# dcstep
# ---------------------------------------------------------------------------

DCSTEP_NAMES = ("stx", "fx", "dx", "sty", "fy", "dy", "stp")


def dcstep_case(stx, fx, dx, sty, fy, dy, stp, fp, dp, brackt):
    """Which of the four cases of [MT94] dcstep takes (1..4)."""
    sgnd = dp * (dx / abs(dx))
    if fp > fx:
        return 1
    if sgnd < 0:
        return 2
    if abs(dp) < abs(dx):
        return 3
    return 4


def compare_dcstep(args):
    stx, fx, dx, sty, fy, dy, stp, fp, dp, brackt, stpmin, stpmax = args
    ref = F.dcstep(stx, fx, dx, sty, fy, dy, stp, fp, dp, brackt, stpmin,
                   stpmax, blas=BLAS)
    got = _lnsrlb.py_dcstep(*args)
    for k, name in enumerate(DCSTEP_NAMES):
        assert_same_float(got[k], ref[name], name)
    assert got[7] == ref["brackt"]


def gen_dcstep(rng, case, brackt):
    """Random consistent dcstep inputs that fall in `case` of [MT94]."""
    while True:
        direction = rng.choice([-1.0, 1.0])
        stx = rng.uniform(-2, 2) if rng.random() < 0.5 else 0.0
        h = 10.0 ** rng.uniform(-4, 1)
        stp = stx + direction * h
        dx = -direction * 10.0 ** rng.uniform(-3, 2)      # descent towards stp
        fx = rng.normal()
        if case == 1:
            fp = fx + abs(rng.normal()) * 10.0 ** rng.uniform(-3, 1) + 1e-12
            dp = rng.normal() * 10.0 ** rng.uniform(-3, 2)
        else:
            fp = fx - abs(rng.normal()) * 10.0 ** rng.uniform(-3, 1)
            if rng.random() < 0.1:
                fp = fx
            if case == 2:
                dp = direction * 10.0 ** rng.uniform(-3, 2)
            elif case == 3:
                dp = dx * rng.uniform(0.0, 0.999)
            else:
                dp = dx * rng.uniform(1.0, 5.0)
        if brackt:
            sty = stp + direction * 10.0 ** rng.uniform(-4, 1)
            fy = fp + abs(rng.normal())
            dy = rng.normal() * 10.0 ** rng.uniform(-2, 2)
            stpmin, stpmax = min(stx, sty), max(stx, sty)
        else:
            sty, fy, dy = stx, fx, dx
            if rng.random() < 0.5:
                sty = 0.0
            stpmin = stp + 1.1 * (stp - stx)
            stpmax = stp + 4.0 * (stp - stx)
            if stpmin > stpmax:
                stpmin, stpmax = stpmax, stpmin
        args = (stx, fx, dx, sty, fy, dy, stp, fp, dp, brackt, stpmin, stpmax)
        if dcstep_case(*args[:10]) == case:
            return args


@pytest.mark.parametrize("brackt", [False, True])
@pytest.mark.parametrize("case", [1, 2, 3, 4])
def test_dcstep_matches_fortran_bitwise_in_each_mt94_case(case, brackt):
    rng = np.random.default_rng(1000 * case + brackt)
    for _ in range(500):
        compare_dcstep(gen_dcstep(rng, case, brackt))


def test_dcstep_matches_fortran_bitwise_on_edge_inputs():
    cases = [
        # cubic through exact values, ties between cubic and quadratic steps
        (0.0, 1.0, -1.0, 0.0, 1.0, -1.0, 1.0, 1.0, 1.0, False, 0.0, 5.0),
        (0.0, 1.0, -1.0, 0.0, 1.0, -1.0, 1.0, 1.0, -1.0, False, 1.1, 4.0),
        (0.0, 1.0, -1.0, 2.0, 3.0, 1.0, 1.0, 0.5, -1.0, True, 0.0, 2.0),
        (0.0, 1.0, -1.0, 2.0, 3.0, 1.0, 1.0, 0.5, -0.5, True, 0.0, 2.0),
        (0.0, 1.0, -1.0, 2.0, 3.0, 1.0, 1.0, 0.5, 0.0, True, 0.0, 2.0),
        (0.0, 1.0, -1.0, 0.0, 1.0, -1.0, 1.0, 0.5, 0.0, False, 1.1, 4.0),
        (0.0, 1.0, -1.0, 0.0, 1.0, -1.0, 1.0, 1.0, 0.0, False, 1.1, 4.0),
        # gamma == 0 in case 3 (cubic does not go to infinity)
        (0.0, 0.0, -3.0, 0.0, 0.0, -3.0, 1.0, -2.0, -1.0, False, 1.1, 4.0),
        (0.0, 0.0, -3.0, 3.0, 1.0, 2.0, 1.0, -2.0, -1.0, True, 0.0, 3.0),
        # steps to the left of stx
        (1.0, 0.0, 2.0, 1.0, 0.0, 2.0, 0.5, -0.5, 1.0, False, -0.05, 0.45),
        (1.0, 0.0, 2.0, 0.0, 1.0, -1.0, 0.5, -0.5, 3.0, True, 0.0, 1.0),
        (1.0, 0.0, 2.0, 1.0, 0.0, 2.0, 0.5, 0.5, 3.0, False, -0.05, 0.45),
        # tiny and huge scales
        (0.0, 1e-300, -1e-160, 0.0, 1e-300, -1e-160, 1e-10, 0.0, -1e-161,
         False, 1.1e-10, 5e-10),
        (0.0, 1e150, -1e150, 0.0, 1e150, -1e150, 1e10, 1e149, -1e149,
         False, 1e10, 1e11),
    ]
    for args in cases:
        compare_dcstep(args)


# ---------------------------------------------------------------------------
# dcsrch
# ---------------------------------------------------------------------------

def phi_mt1(a, beta=2.0):
    return -a / (a * a + beta), (a * a - beta) / (a * a + beta) ** 2


def phi_mt2(a, beta=0.004):
    return ((a + beta) ** 5 - 2.0 * (a + beta) ** 4,
            5.0 * (a + beta) ** 4 - 8.0 * (a + beta) ** 3)


def phi_mt3(a, beta=0.01, ll=39.0):
    if a <= 1.0 - beta:
        p0, dp0 = 1.0 - a, -1.0
    elif a >= 1.0 + beta:
        p0, dp0 = a - 1.0, 1.0
    else:
        p0, dp0 = (a - 1.0) ** 2 / (2 * beta) + beta / 2, (a - 1.0) / beta
    c = 2.0 * (1.0 - beta) / (ll * math.pi)
    return (p0 + c * math.sin(ll * math.pi * a / 2.0),
            dp0 + (1.0 - beta) * math.cos(ll * math.pi * a / 2.0))


def _gamma(b):
    return math.sqrt(1.0 + b * b) - b


def phi_yan(a, b1, b2):
    return (_gamma(b1) * math.sqrt((1 - a) ** 2 + b2 * b2)
            + _gamma(b2) * math.sqrt(a * a + b1 * b1),
            -_gamma(b1) * (1 - a) / math.sqrt((1 - a) ** 2 + b2 * b2)
            + _gamma(b2) * a / math.sqrt(a * a + b1 * b1))


def phi_quad(a):
    return 0.5 * (a - 3.0) ** 2, a - 3.0


def phi_exp(a):
    return math.exp(-a) + 0.01 * a * a - 2.0 * a, -math.exp(-a) + 0.02 * a - 2.0


PHIS = {
    "mt1": phi_mt1,
    "mt2": phi_mt2,
    "mt3": phi_mt3,
    "yan1": lambda a: phi_yan(a, 0.001, 0.001),
    "yan2": lambda a: phi_yan(a, 0.01, 0.001),
    "yan3": lambda a: phi_yan(a, 0.001, 0.01),
    "quad": phi_quad,
    "exp": phi_exp,
}


def run_dcsrch_lockstep(phi, stp0, ftol, gtol, xtol, stpmin, stpmax,
                        maxcalls=60):
    """Drive both line searches on phi; compare state after every call.

    Returns (number of calls, final task)."""
    f, g = phi(0.0)
    task_f = bytearray(b"START".ljust(60))
    task_c = b"START"
    isave_f = np.zeros(2, np.int32)
    dsave_f = np.zeros(13)
    isave_c = np.zeros(2, np.int32)
    dsave_c = np.zeros(13)
    stp_f = stp_c = stp0
    for call in range(1, maxcalls + 1):
        ref = F.dcsrch(f, g, stp_f, ftol, gtol, xtol, stpmin, stpmax, task_f,
                       isave_f, dsave_f, blas=BLAS)
        stp_f = ref["stp"]
        stp_c, task_c = _lnsrlb.py_dcsrch(f, g, stp_c, ftol, gtol, xtol,
                                          stpmin, stpmax, task_c, isave_c,
                                          dsave_c)
        assert_same_float(stp_c, stp_f, "stp (call %d)" % call)
        assert task_c == bytes(task_f), (task_c, bytes(task_f))
        assert np.array_equal(isave_c, isave_f)
        assert_same_float(dsave_c, dsave_f, "dsave (call %d)" % call)
        if not task_c.startswith(b"FG"):
            return call, task_c
        f, g = phi(stp_c)
    return maxcalls, task_c


@pytest.mark.parametrize("name", sorted(PHIS))
def test_dcsrch_full_line_search_matches_fortran_bitwise(name):
    phi = PHIS[name]
    ends = set()
    for stp0 in (1e-3, 1e-1, 1.0, 10.0, 1e3):
        for ftol, gtol in ((1e-3, 0.9), (1e-3, 0.1), (0.1, 0.1), (1e-3, 1e-3)):
            for stpmax in (1e10, 4.0):
                if stp0 > stpmax:
                    continue
                calls, task = run_dcsrch_lockstep(phi, stp0, ftol, gtol, 0.1,
                                                  0.0, stpmax)
                ends.add(task.rstrip())
    # every search ended (converged or warned), none errored
    assert ends and not any(t.startswith(b"ERROR") for t in ends)


def test_dcsrch_warnings_and_errors_match_fortran_bitwise():
    # STP = STPMAX: the step hits the upper bound on a decreasing function.
    lin = lambda a: (-a, -1.0)                                   # noqa: E731
    _, task = run_dcsrch_lockstep(lin, 1.0, 1e-3, 0.9, 0.1, 0.0, 2.0)
    assert task.startswith(b"WARNING: STP = STPMAX")
    # STP = STPMIN: every trial increases f, stpmin > 0.
    up = lambda a: (1e3 * a * a - 1e-3 * a, 2e3 * a - 1e-3)    # noqa: E731
    _, task = run_dcsrch_lockstep(up, 1.0, 1e-3, 0.9, 0.1, 0.5, 10.0)
    assert task.startswith(b"WARN")
    # XTOL / rounding: a very tight curvature test on a rough function.
    _, task = run_dcsrch_lockstep(PHIS["mt3"], 1.0, 1e-3, 1e-12, 0.1, 0.0, 1e10)
    assert task.startswith(b"WARN") or task.startswith(b"CONV")
    _, task = run_dcsrch_lockstep(PHIS["mt3"], 1.0, 1e-3, 1e-12, 1e-12, 0.0, 1e10,
                                  maxcalls=200)
    # Each input error, and several at once (the last test wins).
    bad = [
        (0.5, -1.0, 0.1, 1e-3, 0.9, 0.1, 0.2, 1.0),     # stp < stpmin
        (0.5, -1.0, 2.0, 1e-3, 0.9, 0.1, 0.0, 1.0),     # stp > stpmax
        (0.5, 1.0, 0.5, 1e-3, 0.9, 0.1, 0.0, 1.0),      # g >= 0
        (0.5, -1.0, 0.5, -1.0, 0.9, 0.1, 0.0, 1.0),     # ftol < 0
        (0.5, -1.0, 0.5, 1e-3, -0.9, 0.1, 0.0, 1.0),    # gtol < 0
        (0.5, -1.0, 0.5, 1e-3, 0.9, -0.1, 0.0, 1.0),    # xtol < 0
        (0.5, -1.0, 0.5, 1e-3, 0.9, 0.1, -1.0, 1.0),    # stpmin < 0
        (0.5, -1.0, 0.5, 1e-3, 0.9, 0.1, 2.0, 1.0),     # stpmax < stpmin
        (0.5, 0.0, -1.0, -1.0, -1.0, -1.0, -1.0, -2.0),  # everything wrong
    ]
    for f, g, stp, ftol, gtol, xtol, stpmin, stpmax in bad:
        task_f = bytearray(b"START".ljust(60))
        isave_f = np.full(2, 7, np.int32)
        dsave_f = np.full(13, 7.0)
        isave_c = isave_f.copy()
        dsave_c = dsave_f.copy()
        ref = F.dcsrch(f, g, stp, ftol, gtol, xtol, stpmin, stpmax, task_f,
                       isave_f, dsave_f, blas=BLAS)
        stp_c, task_c = _lnsrlb.py_dcsrch(f, g, stp, ftol, gtol, xtol, stpmin,
                                          stpmax, b"START", isave_c, dsave_c)
        assert task_c == bytes(task_f)
        assert task_c.startswith(b"ERROR")
        assert_same_float(stp_c, ref["stp"])
        assert np.array_equal(isave_c, isave_f)
        assert_same_float(dsave_c, dsave_f)


def test_dcsrch_random_functions_match_fortran_bitwise():
    rng = np.random.default_rng(7)
    for _ in range(200):
        # random smooth 1-D function: a quartic plus a sine
        c = rng.normal(size=5)
        c[1] = -abs(c[1]) - 0.1              # descent at 0
        w = rng.uniform(0.5, 20.0)
        amp = rng.uniform(0.0, 0.3)

        def phi(a, c=c, w=w, amp=amp):
            f = (c[0] + c[1] * a + c[2] * a * a + c[3] * a ** 3
                 + abs(c[4]) * a ** 4 + amp * math.sin(w * a) / w)
            g = (c[1] + 2 * c[2] * a + 3 * c[3] * a * a + 4 * abs(c[4]) * a ** 3
                 + amp * math.cos(w * a))
            return f, g
        if phi(0.0)[1] >= 0:
            continue
        stp0 = 10.0 ** rng.uniform(-3, 1)
        ftol = 10.0 ** rng.uniform(-4, -1)
        gtol = rng.uniform(ftol, 0.99)
        run_dcsrch_lockstep(phi, stp0, ftol, gtol, 0.1, 0.0,
                            rng.choice([1e10, stp0 * rng.uniform(1, 10)]))


# ---------------------------------------------------------------------------
# lnsrlb
# ---------------------------------------------------------------------------

LNSRLB_SCALARS = ("fold", "gd", "gdold", "stp", "dnorm", "dtd", "xstep", "stpmx")
LNSRLB_INTS = ("ifun", "iback", "nfgv", "info")


def make_problem(rng, n, kinds):
    """Random convex quadratic with bounds of the given nbd kinds."""
    A = rng.normal(size=(n, n))
    A = A @ A.T + 0.1 * np.eye(n)
    b = rng.normal(size=n) * 3

    def fg(x):
        gx = A @ x + b
        return float(0.5 * x @ (A @ x) + b @ x), gx

    nbd = rng.choice(kinds, size=n).astype(np.int32)
    l = rng.uniform(-2.0, 0.0, size=n)
    u = l + rng.uniform(0.0, 3.0, size=n)
    x = rng.uniform(l, u)
    # some variables exactly at a bound
    at = rng.random(n)
    x = np.where((at < 0.15) & ((nbd == 1) | (nbd == 2)), l, x)
    x = np.where((at > 0.85) & ((nbd == 2) | (nbd == 3)), u, x)
    return fg, l, u, nbd, x


def projected_direction(x, g, l, u, nbd):
    """d = P(x - g) - x and z = x + d (a feasible point, as mainlb gives)."""
    z = x - g
    lo = (nbd == 1) | (nbd == 2)
    hi = (nbd == 2) | (nbd == 3)
    z = np.where(lo & (z < l), l, z)
    z = np.where(hi & (z > u), u, z)
    return z - x, z


def run_lnsrlb_lockstep(fg, l, u, nbd, x0, d, z, iter_, boxed, cnstnd,
                        maxcalls=40):
    n = x0.size
    f, g = fg(x0)
    state = {}
    for side in ("f", "c"):
        state[side] = dict(
            x=x0.copy(), g=g.copy(), r=np.zeros(n), t=np.zeros(n),
            isave=np.zeros(2, np.int32), dsave=np.zeros(13),
            task=bytearray(b"NEW_X".ljust(60)), csave=bytearray(b" " * 60),
            f=f, scal=dict(fold=0.0, gd=0.0, gdold=0.0, stp=0.0, dnorm=0.0,
                           dtd=0.0, xstep=0.0, stpmx=0.0, ifun=0, iback=0,
                           nfgv=1, info=0))
    for call in range(1, maxcalls + 1):
        sf = state["f"]
        ref = F.lnsrlb(n=n, l=l, u=u, nbd=nbd, x=sf["x"], f=sf["f"], g=sf["g"],
                       d=d, r=sf["r"], t=sf["t"], z=z, iter=iter_,
                       task=sf["task"], boxed=boxed, cnstnd=cnstnd,
                       csave=sf["csave"], isave=sf["isave"], dsave=sf["dsave"],
                       blas=BLAS, **sf["scal"])
        for k in sf["scal"]:
            sf["scal"][k] = ref[k]
        sc = state["c"]
        out = _lnsrlb.py_lnsrlb(l, u, nbd, sc["x"], sc["f"], sc["scal"]["fold"],
                                sc["scal"]["gd"], sc["scal"]["gdold"], sc["g"],
                                d, sc["r"], sc["t"], z, sc["scal"]["stp"],
                                sc["scal"]["dnorm"], sc["scal"]["dtd"],
                                sc["scal"]["xstep"], sc["scal"]["stpmx"], iter_,
                                sc["scal"]["ifun"], sc["scal"]["iback"],
                                sc["scal"]["nfgv"], sc["scal"]["info"],
                                bytes(sc["task"]), boxed, cnstnd,
                                bytes(sc["csave"]), sc["isave"], sc["dsave"], -1)
        sc["task"] = bytearray(out.pop("task"))
        sc["csave"] = bytearray(out.pop("csave"))
        sc["scal"].update(out)
        # compare everything
        for k in LNSRLB_SCALARS:
            assert_same_float(sc["scal"][k], sf["scal"][k], "%s (call %d)" % (k, call))
        for k in LNSRLB_INTS:
            assert sc["scal"][k] == sf["scal"][k], k
        assert bytes(sc["task"]) == bytes(sf["task"])
        assert bytes(sc["csave"]) == bytes(sf["csave"])
        for k in ("x", "r", "t", "dsave"):
            assert_same_float(sc[k], sf[k], "%s (call %d)" % (k, call))
        assert np.array_equal(sc["isave"], sf["isave"])
        if sc["scal"]["info"] != 0 or not bytes(sc["task"]).startswith(b"FG_LN"):
            return call, bytes(sc["task"]), sc["scal"]["info"]
        fx, gx = fg(sc["x"].copy())
        for side in ("f", "c"):
            state[side]["f"] = fx
            state[side]["g"] = gx.copy()
    return maxcalls, bytes(state["c"]["task"]), state["c"]["scal"]["info"]


@pytest.mark.parametrize("kinds", [(0,), (1,), (2,), (3,), (0, 1, 2, 3)],
                         ids=["free", "lower", "both", "upper", "mixed"])
def test_lnsrlb_full_search_matches_fortran_bitwise(kinds):
    rng = np.random.default_rng(sum(kinds) * 31 + len(kinds))
    outcomes = set()
    for trial in range(60):
        n = int(rng.integers(1, 12))
        fg, l, u, nbd, x = make_problem(rng, n, kinds)
        f, g = fg(x)
        if nbd.any() and rng.random() < 0.7:
            d, z = projected_direction(x, g, l, u, nbd)
        else:
            d = -g * 10.0 ** rng.uniform(-2, 1)
            z = x + d
        cnstnd = bool(nbd.any())
        boxed = bool((nbd == 2).all())
        iter_ = int(rng.choice([0, 1, 7]))
        calls, task, info = run_lnsrlb_lockstep(fg, l, u, nbd, x, d, z, iter_,
                                                boxed, cnstnd)
        outcomes.add((task[:5], info))
    assert outcomes


def test_lnsrlb_ascent_direction_gives_info_minus4_like_fortran(capfd):
    rng = np.random.default_rng(3)
    for kinds in ((0,), (0, 1, 2, 3)):
        fg, l, u, nbd, x = make_problem(rng, 5, kinds)
        f, g = fg(x)
        d = g.copy()                    # gd = g'g > 0
        _, task, info = run_lnsrlb_lockstep(fg, l, u, nbd, x, d, x + d, 3,
                                            False, bool(nbd.any()))
        assert info == -4
        d = np.zeros(5)                 # gd = 0
        _, task, info = run_lnsrlb_lockstep(fg, l, u, nbd, x, d, x.copy(), 0,
                                            False, bool(nbd.any()))
        assert info == -4
    capfd.readouterr()                  # the Fortran prints its message


def test_lnsrlb_zero_max_step_and_clipping_match_fortran_bitwise():
    # x at its bounds with d pointing out of the box: stpmx = 0.
    rng = np.random.default_rng(11)
    for _ in range(40):
        n = int(rng.integers(1, 6))
        fg, l, u, nbd, x = make_problem(rng, n, (1, 2, 3))
        x = np.where(nbd == 3, u, l)
        f, g = fg(x)
        d = np.where(nbd == 3, 1.0, -1.0) * rng.uniform(0.1, 2.0, n)
        d[0] = -g[0] if g[0] != 0 else -1.0
        run_lnsrlb_lockstep(fg, l, u, nbd, x, d, x + d, 2, False, True,
                            maxcalls=8)
    # Steps landing within rounding of a bound: clipping keeps x feasible.
    for _ in range(100):
        n = int(rng.integers(1, 8))
        fg, l, u, nbd, x = make_problem(rng, n, (1, 2, 3))
        f, g = fg(x)
        d, z = projected_direction(x, g * 1e3, l, u, nbd)
        run_lnsrlb_lockstep(fg, l, u, nbd, x, d, z, 1, bool((nbd == 2).all()),
                            True)
