"""Watch one L-BFGS-B iteration happen: ``python tools/explain.py NAME --iter K``.

Runs a problem (a reference problem NAME, or ``--problem MODULE:FUNCTION`` as
in tools/compare.py) with the port through the reverse-communication
``lbfgsb.setulb`` and prints, for iteration K, in the order the algorithm
does them:

1. the projected gradient at x_k;
2. the breakpoints t_i of the projected steepest-descent path x(t);
3. the segments of x(t) the Cauchy search examines (f', f'', dt, dt*);
4. the generalized Cauchy point and the free set there;
5. the subspace step: the reduced gradient, the Newton point before
   projection, the MN11 projection or the backtracking, the result;
6. the line-search trials with the strong Wolfe tests and dcsrch's bracket;
7. the S/Y update with the curvature test s'y > epsmch * (-g0's).

Every number is the solver's own, read from its state after each
``setulb`` return, at the positions of the port's state table
(``lbfgsb.port.state``: ``wa`` blocks at the offsets in ``isave``, ``iwa`` =
index | iwhere | indx2, mainlb's and dcsrch's scalars; docs/GUIDE.md has the map).
What the Fortran keeps only inside one call (the breakpoints, the
per-component projected gradient, the reduced gradient and the Newton step
before projection) is obtained by *re-running the solver's own compiled
kernels* (``cauchy``, ``projgr``, ``cmprlb``, ``subsm``) on the inputs read
from the state; each replay is checked bit for bit against what the solver
stored.  Beside them, dense linear algebra (tools/qmodel.py: B_k = θI − W M W'
built from the stored θ, S, Y) recomputes what the papers define, and every
printed vector is checked against it ("[ok]").  The f′, f″ of each Cauchy
segment are the model's, from that dense B_k: the solver keeps them only
inside ``cauchy``; its decisions (the segment it stops in, ``nseg``, xcp)
are checked against them.

``explain(name, k, ...)`` returns the same content as a dict (used by the
tests and by tools/walkthrough.py).  It runs on the installed package as on
a development build.
"""

import argparse
import importlib
import os
import sys

import numpy as np

# The repository root goes *last* on sys.path: the staged/installed lbfgsb
# (with its compiled modules) must win over the source directory.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_TOOLS = os.path.join(_ROOT, "tools")
for _p in (_ROOT, _TOOLS):
    if _p not in sys.path:
        sys.path.append(_p)

import lbfgsb                                   # noqa: E402
import reference                                # noqa: E402
import qmodel                                   # noqa: E402


def _port(new, old):
    """A port module under its name after the move to lbfgsb/port/ or before."""
    try:
        return importlib.import_module(new)
    except ImportError:
        return importlib.import_module(old)


_cauchy = _port("lbfgsb.port.cauchy", "lbfgsb._cauchy")
_subsm = _port("lbfgsb.port.subsm", "lbfgsb._subsm")
_projgr = _port("lbfgsb.port.projgr", "lbfgsb._util")
_deviations = importlib.import_module("lbfgsb.port.deviations")
_state = importlib.import_module("lbfgsb.port.state")

FTOL, GTOL = 1.0e-3, 0.9        # lnsrlb's constants passed to dcsrch
RTOL = 1e-9                      # solver vs dense algebra (rounding of the two)
_EPS = np.finfo(float).eps



def flavour_code(flavour):
    """The kernels' bitmask of ``flavour`` (the deviation registry's), refusing
    the one deviation whose kernels the replays cannot reproduce."""
    code = _deviations.flavour_code(flavour)
    if "linpack_dpofa_dtrsl" in _deviations._deviation_names(flavour):
        raise ValueError("explain replays the solver's cauchy/subsm with LAPACK "
                         "kernels; the deviation linpack_dpofa_dtrsl replaces them")
    return code


def _bounds(p):
    lo = np.asarray(p.lower, float)
    up = np.asarray(p.upper, float)
    fl, fu = np.isfinite(lo), np.isfinite(up)
    nbd = np.zeros(p.n, np.int32)
    nbd[fl & ~fu] = 1
    nbd[fl & fu] = 2
    nbd[~fl & fu] = 3
    return np.where(fl, lo, 0.0), np.where(fu, up, 0.0), nbd


def load_problem(name=None, spec=None, n=None):
    """A reference problem by name, or a user's ``MODULE:FUNCTION`` (the
    protocol of tools/compare.py: FUNCTION() returns (fg, x0, lower, upper))."""
    if spec is not None:
        from harness.problems import load_user_problem
        p = load_user_problem(spec, n)
        p.name = spec if n is None else f"{spec} (n = {n})"
        return p
    return reference.get(name, n) if n is not None else reference.get(name)


def _block_lengths(n, m, _cache={}):
    """The lengths of the wa blocks for (n, m), in ``WA_NAMES`` order."""
    if (n, m) not in _cache:
        _cache[(n, m)] = [length for _, _, length in _state.wa_blocks(n, m)]
    return _cache[(n, m)]


class _Snap:
    """The solver's state right after one ``setulb`` return."""

    def __init__(self, task, x, f, g, wa, iwa, isave, dsave, lsave, csave, n, m):
        self.task = task
        self.x, self.f, self.g = x.copy(), float(f[0]), g.copy()
        self.wa, self.iwa = wa.copy(), iwa.copy()
        self.isave, self.dsave, self.lsave = isave.copy(), dsave.copy(), lsave.copy()
        self.csave = csave
        self.n, self.m = n, m

    def i(self, name):
        """An integer of mainlb or dcsrch (isave, by the state table's name)."""
        return int(self.isave[_state.ISAVE[name]])

    def d(self, name):
        """A real of mainlb (dsave, by the state table's name)."""
        return float(self.dsave[_state.DSAVE[name]])

    ls = d      # dcsrch's reals: dsave(17..29)

    def block(self, name):
        """The wa block ``name`` (``lbfgsb.port.state.WA_NAMES``) at the
        offset the solver stored in isave."""
        k = _state.WA_NAMES.index(name)
        off = int(self.isave[_state.ISAVE_LWS + k]) - 1
        return self.wa[off:off + _block_lengths(self.n, self.m)[k]]

    def _mat(self, name, rows, cols):
        return self.block(name).reshape((rows, cols), order="F")

    def ws(self):
        return self._mat("ws", self.n, self.m)

    def wy(self):
        return self._mat("wy", self.n, self.m)

    def sy(self):
        return self._mat("sy", self.m, self.m)

    def ss(self):
        return self._mat("ss", self.m, self.m)

    def wt(self):
        return self._mat("wt", self.m, self.m)

    def wn(self):
        return self._mat("wn", 2 * self.m, 2 * self.m)

    def z(self):
        return self.block("z")

    def r(self):
        return self.block("r")

    def dvec(self):
        return self.block("d")

    def t(self):
        return self.block("t")

    def xp(self):
        return self.block("xp")

    def wa8(self):
        return self.block("wa")

    def index(self):
        return self.iwa[:self.n]

    def iwhere(self):
        return self.iwa[self.n:2 * self.n]

    def pairs(self):
        """(S, Y): the stored corrections, n x col, oldest first (columns
        head, head+1, ... mod m of ws, wy)."""
        col, head = self.i("col"), self.i("head")
        cols = [(head - 1 + j) % self.m for j in range(col)]
        return self.ws()[:, cols].copy(), self.wy()[:, cols].copy()


def run(problem, kmax, n=None, m=5, flavour="fortran", kernels="scipy",
        factr=1e7, pgtol=1e-5):
    """Drive ``lbfgsb.setulb`` (iprint = -1) until iteration ``kmax`` is done
    and its update has run; return (problem, l, u, nbd, calls) with one
    _Snap per call.

    ``problem`` is a reference name or an object with ``name, n, x0, lower,
    upper, fg``.  ``calls[j].task`` is the task *after* call j; for FG tasks
    ``calls[j].fx, .gx`` are the values evaluated at ``calls[j].x``.
    """
    p = load_problem(problem, n=n) if isinstance(problem, str) else problem
    n = p.n
    l, u, nbd = _bounds(p)
    x = np.array(p.x0, float)
    f, g = np.zeros(1), np.zeros(n)
    wa, iwa, task, csave, lsave, isave, dsave = _state.new_arrays(n, m)
    calls = []
    done_after = None
    while True:
        lbfgsb.setulb(m, x, l, u, nbd, f, g, factr, pgtol, wa, iwa, task, -1,
                      csave, lsave, isave, dsave, flavour=flavour, kernels=kernels)
        tk = task[0].decode().strip()
        snap = _Snap(tk, x, f, g, wa, iwa, isave, dsave, lsave,
                     csave[0].decode().strip(), n, m)
        calls.append(snap)
        if tk.startswith("FG"):
            fx, gx = p.fg(x.copy())
            f[0] = fx
            g[:] = gx
            snap.fx, snap.gx = float(fx), np.array(gx, float)
        if done_after is not None:
            break
        if tk.startswith("NEW_X"):
            if snap.i("iter") >= kmax:
                done_after = len(calls)     # one more call: the S/Y update
        elif not tk.startswith("FG"):
            break
        if len(calls) > 100000:
            raise RuntimeError("too many calls")
    return p, l, u, nbd, calls


def _iteration_calls(calls, k):
    """(begin, start, end, restarts) of iteration k: ``begin`` handed x_k, g_k
    over (FG_START or the NEW_X of iteration k-1); ``start`` ran cauchy, subsm
    and asked for the first trial (the last FG_LNSRCH return with ifun = 1:
    a restart repeats them); ``end`` returned NEW_X with iter == k."""
    end = next((j for j, c in enumerate(calls)
                if c.task.startswith("NEW_X") and c.i("iter") == k), None)
    if end is None:
        last = calls[-1]
        raise ValueError(f"the run stopped before iteration {k} completed: "
                         f"{last.task} after {last.i('iter')} iterations")
    begin = max(j for j in range(end) if calls[j].task.startswith(("FG_ST", "NEW_X")))
    firsts = [j for j in range(begin + 1, end)
              if calls[j].task.startswith("FG_LN") and calls[j].i("ifun") == 1]
    return begin, firsts[-1], end, len(firsts) - 1


def explain(name, k, n=None, m=5, flavour="fortran", kernels="scipy"):
    """Everything printed for iteration k, as a dict of the solver's values."""
    if k < 1:
        raise ValueError("iterations are numbered from 1")
    code = flavour_code(flavour)
    p, l, u, nbd, calls = run(name, k, n=n, m=m, flavour=flavour, kernels=kernels)
    rep = _report(p, l, u, nbd, calls, k, m, code, kernels)
    rep["flavour_name"] = flavour if isinstance(flavour, str) else "+".join(sorted(flavour))
    return rep


def explain_all(name, kmax, n=None, m=5, flavour="fortran", kernels="scipy"):
    """Reports for iterations 1..kmax (fewer if the run stops earlier), from
    one run of the solver."""
    code = flavour_code(flavour)
    p, l, u, nbd, calls = run(name, kmax, n=n, m=m, flavour=flavour, kernels=kernels)
    reps = []
    for k in range(1, kmax + 1):
        try:
            reps.append(_report(p, l, u, nbd, calls, k, m, code, kernels))
        except ValueError:
            break
    return reps, calls


def _close(a, b, scale=None):
    """Solver value a agrees with dense value b to RTOL (relative to scale)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    s = (np.max(np.abs(b)) if b.size else 0.0) if scale is None else scale
    return bool(a.shape == b.shape and np.all(np.abs(a - b) <= RTOL * max(s, 1.0)))


def _replay_cauchy(S, xk, gk, l, u, nbd, theta, col, head, sbgnrm, code, kernels):
    """The solver's cauchy on the iteration's inputs: (xcp, nseg, c, iwhere,
    iorder, t)."""
    n, m = S.n, S.m
    iorder = np.zeros(n, np.int32)
    iwh = S.iwhere().copy()
    tbp = np.full(n, np.nan)
    dcp, xr = np.zeros(n), np.zeros(n)
    p2, c2, wbp, v = (np.zeros(2 * m) for _ in range(4))
    nseg, info = _cauchy.py_cauchy(
        xk.copy(), l, u, nbd, gk.copy(), iorder, iwh, tbp, dcp, xr, m,
        np.asfortranarray(S.wy()), np.asfortranarray(S.ws()),
        np.asfortranarray(S.sy()), np.asfortranarray(S.wt()), theta, col,
        head, p2, c2, wbp, v, 0, -1, sbgnrm, 0, S.d("epsmch"), code, kernels)
    return xr, nseg, c2, iwh, iorder, tbp


def _breakpoints(S, xk, gk, l, u, nbd, sbgnrm, code, kernels):
    """Every breakpoint as cauchy's first loop computes it: the solver's
    cauchy replayed with col = 0 and a θ so large that the search stops
    inside the first segment, leaving t and iorder as that loop filled them.
    Sorted [(t_i, variable (1-based)), ...]."""
    _, _, _, _, iorder, tbp = _replay_cauchy(S, xk, gk, l, u, nbd, 1e300, 0, 1,
                                             sbgnrm, code, kernels)
    return sorted((float(tbp[j]), int(iorder[j])) for j in range(S.n)
                  if not np.isnan(tbp[j]))


def _report(p, l, u, nbd, calls, k, m, code, kernels):
    n = p.n
    begin, start, end, restarts = _iteration_calls(calls, k)
    S, E, H = calls[start], calls[end], calls[begin]
    rep = dict(name=p.name, n=n, m=m, k=k, flavour=code, kernels=kernels, l=l, u=u,
               nbd=nbd, checks=[], restarts=restarts)
    chk = rep["checks"]

    # --- x_k, g_k, f_k: lnsrlb saved them in the t and r blocks and fold
    xk, gk, fk = S.t().copy(), S.r().copy(), S.d("fold")
    chk.append(("x_k (t block) == x handed over at %s" % H.task.split()[0],
                np.array_equal(xk, H.x)))
    chk.append(("g_k (r block) == g evaluated there",
                np.array_equal(gk, getattr(H, "gx", H.g))))
    chk.append(("f_k (fold, dsave[1]) == f evaluated there", fk == getattr(H, "fx", H.f)))
    theta, col, head = S.d("theta"), S.i("col"), S.i("head")
    Smat, Ymat = S.pairs()
    B = qmodel.compact_b(theta, Smat, Ymat)
    rep.update(x=xk, f=fk, g=gk, theta=theta, col=col, head=head, S=Smat, Y=Ymat, B=B)

    # --- 1. projected gradient: sbgnrm from dsave[12]; components from the
    # solver's projgr kernel, one variable at a time (sign of g_i restored)
    sbgnrm = S.d("sbgnrm")
    comp = np.array([_projgr.py_projgr(l[i:i + 1].copy(), u[i:i + 1].copy(),
                                       nbd[i:i + 1].copy(), xk[i:i + 1].copy(),
                                       gk[i:i + 1].copy()) for i in range(n)])
    pg = np.copysign(comp, gk)
    pg[comp == 0.0] = 0.0
    chk.append(("max |projgr component| == sbgnrm (dsave[12])", float(comp.max()) == sbgnrm))
    x1 = qmodel.path(xk, gk, l, u, nbd, 1.0)
    chk.append(("projected gradient == x_k - P(x_k - g_k) (dense)", _close(pg, xk - x1)))
    rep.update(sbgnrm=sbgnrm, pg=pg)

    # --- 2-4. the Cauchy search (mainlb skips it when unconstrained with col > 0)
    cnstnd = bool(S.lsave[_state.LSAVE["cnstnd"]])
    ran_cauchy = cnstnd or col == 0
    nfree, nseg, iword = S.i("nfree"), S.i("nseg"), S.i("iword")
    free = S.index()[:nfree] - 1
    subsm_ran = iword != -1
    xcp = (S.xp() if subsm_ran else S.z()).copy()
    rep.update(cnstnd=cnstnd, ran_cauchy=ran_cauchy, nseg=nseg, xcp=xcp,
               xcp_block="xp" if subsm_ran else "z", free=free, nfree=nfree,
               subsm_ran=subsm_ran, breakpoints=[], segments=[], tstar=0.0)
    if ran_cauchy:
        xr, nseg_r, c2, iwh, _, _ = _replay_cauchy(S, xk, gk, l, u, nbd, theta, col, head,
                                                   sbgnrm, code, kernels)
        chk.append(("replayed cauchy: xcp == solver's xcp (bitwise)", np.array_equal(xr, xcp)))
        if not code & _deviations.DEVIATIONS["cauchy_nseg_pointer"].bit:
            chk.append(("replayed cauchy: nseg == isave nseg", nseg_r == nseg))
        chk.append(("replayed cauchy: c == wa(2m+1:2m+2col) (bitwise)",
                    np.array_equal(c2[:2 * col], S.wa8()[2 * m:2 * m + 2 * col])))
        chk.append(("replayed cauchy: iwhere == solver's iwhere",
                    np.array_equal(iwh, S.iwhere())))
        bp = _breakpoints(S, xk, gk, l, u, nbd, sbgnrm, code, kernels)
        tb = qmodel.breakpoints(xk, gk, l, u, nbd)
        dense_bp = sorted((float(tb[i]), i + 1) for i in range(n)
                          if np.isfinite(tb[i]) and tb[i] > 0)
        chk.append(("breakpoints == (4.1) (dense)",
                    [v for _, v in bp] == [v for _, v in dense_bp]
                    and _close([t for t, _ in bp], [t for t, _ in dense_bp])))
        segs, tstar_d, xcp_d = qmodel.cauchy_segments(xk, gk, l, u, nbd, B)
        # the solver's t*: x_i - t* g_i on the variable that moves most freely
        mv = [i for i in range(n) if xcp[i] != xk[i] and gk[i] != 0.0
              and iwh[i] <= 0]
        if mv:
            i = max(mv, key=lambda j: abs(gk[j]))
            tstar = float((xk[i] - xcp[i]) / gk[i])
        else:
            tstar = tstar_d
        # t* = t_j + dt* with dt* = -f'/f'': the solver's f' is updated at each
        # breakpoint (4.9)-(4.12) and carries the rounding of the terms summed
        # into it; the comparison allows for it on the last segment's f''
        last = segs[-1]
        terms = max(abs(sg["fp"]) + abs(sg["fpp"]) * tstar_d for sg in segs)
        tol_t = RTOL * abs(tstar_d) + (1e4 * _EPS * terms / last["fpp"]
                                       if last["fpp"] > 0 else 0.0)
        chk.append(("t* of the GCP == dense t* (to the rounding of f')",
                    abs(tstar - tstar_d) <= tol_t))
        chk.append(("xcp == first local minimiser of m_k along x(t) (dense)",
                    bool(np.all(np.abs(xcp - xcp_d) <= RTOL * np.maximum(1, np.abs(xcp_d))
                                + tol_t * np.abs(gk)))))
        # nseg - 1 breakpoints were passed: every t_i before t*, perhaps some at t*
        # (ties, f' = 0); cauchy's exit when every variable is fixed does not count
        # its last one
        ts = np.array([t for t, _ in bp])
        passed = nseg - 1 + (len(bp) == n and n > 0 and tstar >= ts.max() * (1 - RTOL)
                             and not code & _deviations.DEVIATIONS["cauchy_dead_exit"].bit)
        if not code & _deviations.DEVIATIONS["cauchy_nseg_pointer"].bit:
            chk.append(("nseg - 1 == breakpoints passed before t* (dense)",
                        np.sum(ts < tstar * (1 - RTOL)) <= passed
                        <= np.sum(ts <= tstar * (1 + RTOL))))
        rep.update(breakpoints=bp, segments=segs, tstar=tstar)
    # free at xcp: every variable off its bounds, and those at a bound that the
    # path reaches there and no earlier (t_i >= t*) or that it leaves
    inside = [i for i in range(n) if not _at_bound(xcp, l, u, nbd, i)]
    tb = qmodel.breakpoints(xk, gk, l, u, nbd)
    chk.append(("free set == variables off their bounds at xcp, and bounds reached at t*",
                set(inside) <= set(free) and all(
                    tb[i] >= rep["tstar"] * (1 - RTOL) or not _at_bound(xk, l, u, nbd, i)
                    or tb[i] == np.inf for i in set(free) - set(inside))))

    # --- 5. subspace minimization: the solver's z, xp, iword; its cmprlb and
    # subsm replayed for the reduced gradient and the Newton point
    z = S.z().copy()
    rep.update(z=z, iword=iword, backtracked=False, projected=False,
               reduced_grad=None, du=None, newton=None, alpha=None)
    if subsm_ran:
        wn = np.asfortranarray(S.wn())
        ws, wy = np.asfortranarray(S.ws()), np.asfortranarray(S.wy())
        r_st, _, _ = _subsm.py_cmprlb(
            n, m, xk.copy(), gk.copy(), ws, wy, np.asfortranarray(S.sy()),
            np.asfortranarray(S.wt()), xcp.copy(), S.wa8()[:4 * m].copy(),
            S.index().copy(), theta, col, head, nfree, cnstnd, 0, kernels)

        def subsm(bounds):
            return _subsm.py_subsm(n, m, nfree, S.index().copy(), l, u, bounds,
                                   xcp.copy(), r_st.copy(), ws, wy, theta, xk.copy(),
                                   gk.copy(), col, head, wn, -1, kernels)
        zr, _, xpr, iword_r, _, _ = subsm(nbd)
        chk.append(("replayed subsm: z == solver's z (bitwise)", np.array_equal(zr, z)))
        chk.append(("replayed subsm: xp == solver's xp (bitwise)", np.array_equal(xpr, S.xp())))
        chk.append(("replayed subsm: iword == isave iword", int(iword_r) == iword))
        # the same subsm with no bounds: xcp + Z du, unprojected
        newton, du, _, _, _, _ = subsm(np.zeros(n, np.int32))
        rc = -r_st[:nfree]                  # cmprlb stores -r^c (5.4)
        rc_d = qmodel.reduced_newton(xk, gk, B, xcp, free)[0]
        chk.append(("reduced gradient r^c == Z'(g + B(xcp - x)) (dense)", _close(rc, rc_d)))
        # (Z'BZ) du = -r^c, checked as a residual (Z'BZ may be ill-conditioned)
        du_f = newton[free] - xcp[free]
        # the residual relative to the size of its terms: the solver's K (formk)
        # and the dense B round differently; on badly scaled problems (MEYER3,
        # POWELLBSLS: theta ~ 1e12, 1e8) they part by up to 4e-8 of it
        res_scale = 1e2 * (B.theta * np.sum(np.abs(du_f)) + np.sum(np.abs(rc)))
        chk.append(("Newton step solves (Z'BZ) du = -r^c (dense residual)",
                    _close(B.sub(free, du_f), -rc, res_scale)))
        proj = np.where((nbd == 1) | (nbd == 2), np.maximum(newton, l), newton)
        proj = np.where((nbd == 2) | (nbd == 3), np.minimum(proj, u), proj)
        dd_p = 0.0
        for i in range(n):                  # subsm's sum, in its order
            dd_p = dd_p + (proj[i] - xk[i]) * gk[i]
        backtracked = iword == 1 and dd_p > 0.0
        if iword == 0:
            chk.append(("iword = 0: z == xcp + Z du", np.array_equal(z, newton)))
        elif not backtracked:
            chk.append(("projected: z == P(xcp + Z du) (MN11)", np.array_equal(z, proj)))
        else:
            du_f = du[:nfree]
            alpha_d = 1.0
            for j, i in enumerate(free):    # (5.8): the largest feasible step <= 1
                if du_f[j] < 0 and nbd[i] in (1, 2):
                    alpha_d = min(alpha_d, (l[i] - xcp[i]) / du_f[j])
                elif du_f[j] > 0 and nbd[i] in (2, 3):
                    alpha_d = min(alpha_d, (u[i] - xcp[i]) / du_f[j])
            jmax = int(np.argmax(np.abs(du_f)))
            alpha = float((z[free[jmax]] - xcp[free[jmax]]) / du_f[jmax])
            chk.append(("backtracked: z == xcp + alpha* Z du, alpha* of (5.8) (dense)",
                        _close(z, xcp + alpha_d * (newton - xcp))))
            rep["alpha"] = alpha
        rep.update(reduced_grad=rc, du=du[:nfree].copy(), newton=newton, proj=proj,
                   dd_p=float(dd_p), backtracked=backtracked,
                   projected=iword == 1 and not backtracked)
    d = S.dvec().copy()
    chk.append(("d == z - x_k (555)", np.array_equal(d, z - xk)))
    rep["d"] = d

    # --- 6. line search: every FG_LNSRCH return from ``start`` on is a trial
    ginit, gtest, finit = S.ls("ginit"), S.ls("gtest"), S.ls("finit")
    trials = []
    for j in range(start, end):
        c = calls[j]
        if not c.task.startswith("FG_LN"):
            continue
        nxt = calls[j + 1]
        stp = c.d("stp")
        gd = nxt.d("gd")                # lnsrlb's g'd at this trial (next call)
        ftest = finit + stp * gtest     # dcsrch's ftest
        trials.append(dict(
            stp=stp, x=c.x.copy(), f=c.fx, g=c.gx.copy(), gd=gd, ftest=ftest,
            armijo=c.fx <= ftest, curvature=abs(gd) <= GTOL * (-ginit),
            verdict=nxt.csave, brackt=bool(nxt.i("brackt")), stx=nxt.ls("stx"),
            sty=nxt.ls("sty"), stmin=nxt.ls("stmin"), stmax=nxt.ls("stmax")))
        chk.append((f"trial {len(trials)}: g'd == g . d (dense)",
                    _close(gd, c.gx @ d, abs(gd) + np.abs(c.gx) @ np.abs(d))))
    rep.update(ginit=ginit, gtest=gtest, finit=finit, stpmx=S.d("stpmx"),
               dnorm=S.d("dnorm"), trials=trials)
    chk.append(("g0'd (dcsrch's ginit) == g_k . d (dense)",
                _close(ginit, gk @ d, np.abs(gk) @ np.abs(d))))
    x_new = E.x.copy()
    chk.append(("accepted x == last trial x", np.array_equal(x_new, trials[-1]["x"])))
    rep.update(x_new=x_new, f_new=E.f, stp=E.d("stp"), gd=E.d("gd"), gdold=E.d("gdold"))
    rep["update"] = _update(calls, end, E, xk, x_new, chk)
    rep["ok"] = all(v for _, v in chk)
    return rep


def _at_bound(x, l, u, nbd, i):
    return (nbd[i] in (1, 2) and x[i] == l[i]) or (nbd[i] in (2, 3) and x[i] == u[i])


def _update(calls, end, E, xk, x_new, chk):
    """Step 7, run at label 777 of the call after ``end``."""
    if end + 1 >= len(calls):
        return None
    U = calls[end + 1]
    eps = E.d("epsmch")
    stp, gd, gdold = E.d("stp"), E.d("gd"), E.d("gdold")
    # mainlb's two cases, as read: stp == 1 or not
    if stp == 1.0:
        dr, ddum = gd - gdold, -gdold
    else:
        dr, ddum = (gd - gdold) * stp, -gdold * stp
    stopped = not U.task.startswith(("FG", "NEW_X"))
    updated = (not stopped) and U.i("iupdat") == E.i("iupdat") + 1
    skipped = U.i("nskip") > E.i("nskip")
    upd = dict(task=U.task, stopped_before_update=stopped, sy=dr, minus_gs=ddum, eps=eps,
               passes=dr > eps * ddum, skipped=skipped, updated=updated)
    if updated:
        itail, colu = U.i("itail"), U.i("col")
        s = U.ws()[:, itail - 1].copy()
        y = U.wy()[:, itail - 1].copy()
        upd.update(itail=itail, col=colu, head=U.i("head"), s=s, y=y,
                   sy_stored=float(U.sy()[colu - 1, colu - 1]),
                   ss_stored=float(U.ss()[colu - 1, colu - 1]), theta=U.d("theta"))
        chk.append(("s'y from dsave (gd, gdold, stp) == sy(col,col) (bitwise)",
                    upd["sy_stored"] == dr))
        # The solver stores s = stp*d, not x_{k+1} - x_k: they differ by the
        # rounding of x_k + stp*d (and of Debian's clip), then of the
        # subtraction: at most 2 eps (|x_k| + |s|) per component.
        chk.append(("new S column (stp*d) == x_{k+1} - x_k to rounding "
                    "(2 eps (|x_k| + |s|))",
                    bool(np.all(np.abs(s - (x_new - xk)) <= 2 * eps * (np.abs(xk) + np.abs(s))))))
        chk.append(("theta == y'y / s'y (dense)", _close(upd["theta"], (y @ y) / (s @ y),
                                                         abs(upd["theta"]))))
    if skipped or updated:
        chk.append(("curvature test agrees with the solver's decision", upd["passes"] == updated))
    return upd


# ---------------------------------------------------------------------------

def _v(a, small):
    a = np.asarray(a)
    if a.size <= small:
        return "[" + ", ".join("%.17g" % float(t) for t in a) + "]"
    return f"<{a.size} values; first: " + ", ".join("%.6g" % float(t) for t in a[:4]) + " ...>"


def format_report(rep, small=8):
    o = []
    w = o.append
    n = rep["n"]
    w(f"L-BFGS-B (lbfgsb port, flavour {rep.get('flavour_name', rep['flavour'])}, "
      f"kernels={rep['kernels']}) "
      f"on {rep['name']}, n={n}, m={rep['m']}: iteration {rep['k']}")
    w(f"  x_k = {_v(rep['x'], small)}")
    w(f"  f_k = {rep['f']!r}")
    if rep["restarts"]:
        w(f"  (the memory was discarded {rep['restarts']} time(s) in this iteration; "
          "what follows is the attempt that succeeded)")
    w("")
    w("1. Projected gradient at x_k  [BLNZ95 (6.1), ZBLN97 eq. (2); projgr]")
    w(f"   ||P(x - g) - x||_inf = sbgnrm = {rep['sbgnrm']!r}")
    if n <= small:
        w(f"   components           = {_v(rep['pg'], small)}")
    w("")
    w("2. Breakpoints of x(t) = P(x_k - t g_k)  [BLNZ95 (4.1); cauchy, first loop]")
    w(f"   theta = {rep['theta']!r}, col = {rep['col']} correction pairs")
    if not rep["ran_cauchy"]:
        w("   cauchy skipped (no bounds and col > 0): the GCP is x_k (z := x)")
    else:
        bp = rep["breakpoints"]
        w(f"   {len(bp)} breakpoint(s), sorted:")
        for tv, var in bp[:50]:
            w(f"     t = {tv!r:>24}   variable {var}")
        if len(bp) > 50:
            w(f"     ... {len(bp) - 50} more")
    w("")
    w("3. Segments of x(t) examined by the Cauchy search  [BLNZ95 Algorithm CP, (4.4)-(4.12)]")
    if not rep["ran_cauchy"]:
        w("   (none: cauchy was skipped)")
    else:
        w("   f', f'' of m_k(x(t)) at each segment's start, from the dense B_k of the")
        w("   solver's theta, S, Y; dt* = -f'/f'' (the segment's own minimiser)")
        w("   seg        t start      f' (4.4)     f'' (4.5)      dt (to next bp)   dt*        fixes")
        for j, s in enumerate(rep["segments"], 1):
            w("   %3d  %12.5e  %12.5e  %12.5e  %14s  %12s   %s" % (
                j, s["t0"], s["fp"], s["fpp"],
                "-" if not np.isfinite(s["t1"]) else "%.5e" % (s["t1"] - s["t0"]),
                "%.5e" % s["dtstar"] if np.isfinite(s["dtstar"]) else "inf",
                "-" if s["fixes"] is None else "variable %d" % (s["fixes"] + 1)))
        w(f"   the solver: nseg = {rep['nseg']} segment(s) examined; t* = {rep['tstar']!r}")
    w("")
    w("4. Generalized Cauchy point and free set  [BLNZ95 §4, (5.1); cauchy, freev]")
    w(f"   xcp = {_v(rep['xcp'], small)}   (read from the {rep['xcp_block']} block)")
    w(f"   free set at the GCP (index[:nfree], 1-based): {_v(rep['free'] + 1, 40)}"
      f"  (nfree = {rep['nfree']})")
    w("")
    w("5. Subspace minimization  [BLNZ95 §5.1 direct primal method, (5.4), (5.7); MN11]")
    if not rep["subsm_ran"]:
        w("   skipped (no free variables or col = 0): z = xcp")
    else:
        w(f"   reduced gradient r^c = Z'(g + B(xcp - x)) (5.4) = {_v(rep['reduced_grad'], small)}")
        w("     (cmprlb stores -r^c in the r block)")
        w(f"   Newton step du = -(Z'BZ)^-1 r^c (5.7)        = {_v(rep['du'], small)}")
        w(f"   before projection: xcp + Z du                 = {_v(rep['newton'], small)}")
        iw = rep["iword"]
        if iw == 0:
            w("   iword = 0: xcp + Z du lies in the box, no projection needed")
        elif rep["backtracked"]:
            w(f"   iword = 1: P(xcp + Z du) = {_v(rep['proj'], small)} gives "
              f"(P - x_k)'g_k = {rep['dd_p']!r} > 0,")
            w("   not a descent direction: subsm backtracks along du from xcp to the first "
              f"bound, alpha* = {rep['alpha']!r} (BLNZ95 (5.8)-(5.9))")
        else:
            w(f"   iword = 1: projected onto the box (MN11), (P - x_k)'g_k = {rep['dd_p']!r} <= 0:"
              " kept")
    w(f"   after: z (subspace minimizer)                = {_v(rep['z'], small)}")
    w(f"   search direction d = z - x_k                 = {_v(rep['d'], small)}")
    w("")
    w("6. Line search along d  [BLNZ95 §6, (2.5)-(2.6); MT94 dcsrch via lnsrlb; "
      "ftol=1e-3, gtol=0.9]")
    w(f"   f0 = {rep['finit']!r}, g0'd = {rep['ginit']!r}, stpmax = {rep['stpmx']!r}, "
      f"||d|| = {rep['dnorm']!r}")
    for i, t in enumerate(rep["trials"], 1):
        w(f"   trial {i}: stp = {t['stp']!r}")
        w(f"     x = {_v(t['x'], small)}")
        w(f"     f = {t['f']!r}  vs  f0 + ftol*stp*g0'd = {t['ftest']!r}  -> "
          f"{'sufficient decrease' if t['armijo'] else 'NOT sufficient decrease'}")
        w(f"     g'd = {t['gd']!r};  |g'd| <= gtol*|g0'd| = {GTOL * -rep['ginit']!r}  -> "
          f"{'curvature ok' if t['curvature'] else 'curvature NOT ok'}")
        if t["brackt"]:
            lo, hi = sorted((t["stx"], t["sty"]))
            w(f"     dcsrch: {t['verdict']}; bracket [{lo!r}, {hi!r}] (best so far stx = "
              f"{t['stx']!r})")
        elif t["verdict"].startswith("FG"):
            w(f"     dcsrch: {t['verdict']}; no bracket yet, the next step is sought in "
              f"[{t['stmin']!r}, {t['stmax']!r}]")
        else:
            w(f"     dcsrch: {t['verdict']} (no bracket was needed)")
    w(f"   accepted: x_k+1 = {_v(rep['x_new'], small)}, f = {rep['f_new']!r}, "
      f"stp = {rep['stp']!r}")
    w("")
    w("7. Limited-memory update  [BLNZ95 (3.1)-(3.6), §6 steps 6-7; ZBLN97 eq. (3); "
      "matupd, formt]")
    up = rep["update"]
    if up is None:
        w("   (the run ended before the update)")
    elif up["stopped_before_update"]:
        w(f"   the next call stopped before updating: {up['task']}")
    else:
        w(f"   s'y = {up['sy']!r},  -g0's = {up['minus_gs']!r},  epsmch = {up['eps']!r}")
        w(f"   curvature test s'y > epsmch * (-g0's): {up['passes']}")
        if up["updated"]:
            w(f"   updated: new pair in column {up['itail']} (col = {up['col']}, "
              f"head = {up['head']})")
            w(f"     s = {_v(up['s'], small)}")
            w(f"     y = {_v(up['y'], small)}")
            w(f"     sy(col,col) = {up['sy_stored']!r}, ss(col,col) = {up['ss_stored']!r}, "
              f"theta = y'y/s'y = {up['theta']!r}")
        elif up["skipped"]:
            w("   update SKIPPED (nskip incremented)")
    w("")
    w("Checks (the solver's state vs its kernels replayed vs dense algebra):")
    for name, ok in rep["checks"]:
        w(f"   [{'ok' if ok else 'FAIL'}] {name}")
    return "\n".join(o)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("name", nargs="?", help="reference problem (e.g. HS5)")
    ap.add_argument("--problem", dest="spec", metavar="MODULE:FUNCTION",
                    help="your own problem (as tools/compare.py --problem)")
    ap.add_argument("--iter", type=int, default=1, dest="k")
    ap.add_argument("--n", type=int, default=None)
    ap.add_argument("--m", type=int, default=5)
    ap.add_argument("--flavour", default="fortran",
                    help="fortran (default), scipy, or deviations joined by + "
                         "(lbfgsb.deviations())")
    ap.add_argument("--kernels", default="scipy", choices=("scipy", "reference"))
    a = ap.parse_args(argv)
    if (a.name is None) == (a.spec is None):
        ap.error("give a reference problem name or --problem MODULE:FUNCTION")
    try:
        p = load_problem(a.name, a.spec, a.n)
        rep = explain(p, a.k, m=a.m, flavour=a.flavour, kernels=a.kernels)
    except ValueError as e:
        print(f"explain: {e}", file=sys.stderr)
        return 2
    print(format_report(rep))
    return 0 if rep["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
