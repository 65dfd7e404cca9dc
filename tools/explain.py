"""Watch one L-BFGS-B iteration happen: ``python tools/explain.py NAME --iter K``.

Runs a reference problem with the port through the reverse-communication
``lbfgsb.setulb`` (iprint=101, trace captured per call) and prints, for
iteration K, in the order the algorithm does them:

1. the projected gradient at x_k (its infinity norm, and for small n the vector);
2. the breakpoints t_i of the projected steepest-descent path, sorted;
3. each segment the Cauchy search passes (f', f'' = f1, f2 at its start, dt, dtm);
4. the generalized Cauchy point and the free set there;
5. the subspace step (Newton point before projection, subsm's iword, the result);
6. the line-search trials with the strong Wolfe tests;
7. the S/Y update with the curvature test s'y > epsmch * (-g0's).

Every number is the solver's own; nothing is computed by a second
implementation of the algorithm.  Where each one comes from:

* state arrays after each ``setulb`` return (``wa`` blocks at the offsets in
  ``isave[3..15]``, ``iwa`` = index | iwhere | indx2, mainlb's scalars at
  ``isave[21..40]``/``dsave[0..15]``, dcsrch's at ``isave[42..43]``/``dsave[16..28]``):
  x_k (the ``t`` block), g_k (``r``), sbgnrm, the GCP (``xp`` when subsm ran,
  else ``z``), the subspace minimizer ``z``, d, the free set ``index[:nfree]``,
  iword, nseg, theta, stp, gd, gdold, the line search's finit/ginit/gtest, the
  new S and Y columns, s'y (``sy``), theta after the update;
* the iprint=101 trace of the call that ran cauchy: the segment table
  (``Piece``, ``Distance to ...``, ``Variable k is fixed``, ``GCP found``),
  the free-set messages and subsm's backtracking message;
* three quantities the Fortran keeps only inside one call (the sorted
  breakpoints, the per-component projected gradient and the subspace Newton
  step before projection) are obtained by *re-running the solver's own
  compiled kernels* (``_cauchy.py_cauchy``, ``_projgr.py_projgr``,
  ``_subsm.py_cmprlb``/``py_subsm``) on a copy of the inputs read from the
  state, and each replay is checked bit for bit against what the solver
  stored (xcp, nseg, z, xp, iword, sbgnrm) before it is shown.

``explain(name, k, ...)`` returns the same content as a dict (used by the
tests and by tools/plot_iterations.py).
"""

import argparse
import contextlib
import io
import os
import re
import sys

import numpy as np

# The repository root goes *last* on sys.path: the staged/installed lbfgsb
# (with its compiled modules) must win over the source directory.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.append(_ROOT)

import lbfgsb                                   # noqa: E402
import reference                                # noqa: E402
from lbfgsb.port import cauchy as _cauchy, subsm as _subsm, projgr as _projgr  # noqa: E402

FTOL, GTOL = 1.0e-3, 0.9        # lnsrlb's constants passed to dcsrch
_FLAVOUR_CODE = {"fortran": 0, "scipy": 1}

# mainlb's integers live at isave[21 + k] (Fortran isave(22 + k))
_I = dict(nintol=0, iback=3, nskip=4, head=5, col=6, itail=7, iter=8,
          iupdat=9, nseg=11, nfgv=12, info=13, ifun=14, iword=15, nfree=16,
          nact=17, ileave=18, nenter=19)
# mainlb's reals at dsave[k]
_D = dict(theta=0, fold=1, tol=2, dnorm=3, epsmch=4, gd=10, stpmx=11,
          sbgnrm=12, stp=13, gdold=14, dtd=15)
# dcsrch's reals at dsave[16 + k], integers at isave[42 + k]
_LS = dict(ginit=0, gtest=1, gx=2, gy=3, finit=4, fx=5, fy=6, stx=7, sty=8,
           stmin=9, stmax=10, width=11, width1=12)


def _bounds(p):
    lo = np.asarray(p.lower, float)
    up = np.asarray(p.upper, float)
    fl, fu = np.isfinite(lo), np.isfinite(up)
    nbd = np.zeros(p.n, np.int32)
    nbd[fl & ~fu] = 1
    nbd[fl & fu] = 2
    nbd[~fl & fu] = 3
    return np.where(fl, lo, 0.0), np.where(fu, up, 0.0), nbd


class _Snap:
    """The solver's state right after one ``setulb`` return."""

    def __init__(self, task, trace, x, f, g, wa, iwa, isave, dsave, lsave,
                 csave, n, m):
        self.task = task
        self.trace = trace
        self.x, self.f, self.g = x.copy(), float(f[0]), g.copy()
        self.wa, self.iwa = wa.copy(), iwa.copy()
        self.isave, self.dsave, self.lsave = isave.copy(), dsave.copy(), lsave.copy()
        self.csave = csave
        self.n, self.m = n, m

    def i(self, name):
        return int(self.isave[21 + _I[name]])

    def d(self, name):
        return float(self.dsave[_D[name]])

    def ls(self, name):
        return float(self.dsave[16 + _LS[name]])

    def block(self, k, length):
        """wa block k (isave index 3..15: ws wy sy ss wt wn snd z r d t xp wa)."""
        off = int(self.isave[k]) - 1
        return self.wa[off:off + length]

    # named views (copies, the snapshot is private)
    def ws(self):
        return self.block(3, self.n * self.m).reshape((self.n, self.m), order="F")

    def wy(self):
        return self.block(4, self.n * self.m).reshape((self.n, self.m), order="F")

    def sy(self):
        return self.block(5, self.m * self.m).reshape((self.m, self.m), order="F")

    def ss(self):
        return self.block(6, self.m * self.m).reshape((self.m, self.m), order="F")

    def wt(self):
        return self.block(7, self.m * self.m).reshape((self.m, self.m), order="F")

    def wn(self):
        return self.block(8, 4 * self.m * self.m).reshape((2 * self.m, 2 * self.m), order="F")

    def z(self):
        return self.block(10, self.n)

    def r(self):
        return self.block(11, self.n)

    def dvec(self):
        return self.block(12, self.n)

    def t(self):
        return self.block(13, self.n)

    def xp(self):
        return self.block(14, self.n)

    def wa8(self):
        return self.block(15, 8 * self.m)

    def index(self):
        return self.iwa[:self.n]

    def iwhere(self):
        return self.iwa[self.n:2 * self.n]


def run(name, kmax, n=None, m=5, flavour="fortran", factr=1e7, pgtol=1e-5):
    """Drive ``lbfgsb.setulb`` until iteration ``kmax`` is done and its
    update has run; return (problem, l, u, nbd, calls) with one _Snap per call.

    ``calls[j].task`` is the task *after* call j; the x in calls[j] is where
    the solver wants f and g (for FG tasks) and ``calls[j].fx, .gx`` are the
    values we evaluated there.
    """
    p = reference.get(name, n) if n is not None else reference.get(name)
    n = p.n
    l, u, nbd = _bounds(p)
    lwa, liwa, lis, lds, lls = lbfgsb.workspace_sizes(n, m)
    x = np.array(p.x0, float)
    f = np.zeros(1)
    g = np.zeros(n)
    wa = np.zeros(lwa)
    iwa = np.zeros(liwa, np.int32)
    isave = np.zeros(lis, np.int32)
    dsave = np.zeros(lds)
    lsave = np.zeros(lls, np.int32)
    task = np.zeros(1, "S60")
    csave = np.zeros(1, "S60")
    task[0] = b"START"
    calls = []
    done_after = None
    while True:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            lbfgsb.setulb(m, x, l, u, nbd, f, g, factr, pgtol, wa, iwa, task,
                          101, csave, lsave, isave, dsave, flavour=flavour)
        tk = task[0].decode().strip()
        snap = _Snap(tk, buf.getvalue(), x, f, g, wa, iwa, isave, dsave, lsave,
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


# ---------------------------------------------------------------------------
# parsing the iprint=101 trace of the call that ran cauchy

_NUM = r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[DdEe][-+]?\d+)?|NaN|[-+]?Infinity"


def _num(s):
    return float(s.replace("D", "E").replace("d", "e"))


def parse_cauchy_trace(text):
    """The segment table, fixed variables, GCP segment and 'Cauchy X' of one
    cauchy trace (iprint >= 100)."""
    lines = text.splitlines()
    out = dict(nbreak=None, segments=[], fixed=[], gcp_segment=None,
               cauchy_x=None, free_msgs=[], subsm_backtrack=False)
    cur = None
    in_gcp = False
    i = 0
    while i < len(lines):
        s = lines[i].strip()
        mo = re.match(r"There are\s+(\d+)\s+breakpoints", s)
        if mo:
            out["nbreak"] = int(mo.group(1))
        mo = re.match(r"Piece\s+(\d+)\s+--f1, f2 at start point\s+(%s)\s+(%s)" % (_NUM, _NUM), s)
        if mo:
            cur = dict(piece=int(mo.group(1)), f1=_num(mo.group(2)),
                       f2=_num(mo.group(3)), dt=None, dtm=None, fixed=[])
            if in_gcp:
                out["gcp_segment"] = cur
            else:
                out["segments"].append(cur)
        mo = re.match(r"Distance to the next break point =\s+(%s)" % _NUM, s)
        if mo and cur is not None:
            cur["dt"] = _num(mo.group(1))
        mo = re.match(r"Distance to the stationary point =\s+(%s)" % _NUM, s)
        if mo and cur is not None:
            cur["dtm"] = _num(mo.group(1))
        mo = re.match(r"Variable\s+(\d+)\s+is fixed", s)
        if mo:
            k = int(mo.group(1))
            out["fixed"].append(k)
            if cur is not None:
                cur["fixed"].append(k)
        if s.startswith("GCP found in this segment"):
            in_gcp = True
        if s.startswith("Cauchy X"):
            vals = []
            j = i + 1
            while j < len(lines) and re.match(r"^\s*(%s)(\s+(%s))*\s*$" % (_NUM, _NUM), lines[j]) \
                    and lines[j].strip():
                vals += [_num(v) for v in lines[j].split()]
                j += 1
            out["cauchy_x"] = np.array(vals)
            i = j
            continue
        if "enters the set of free variables" in s or "leaves the set of free variables" in s \
                or "variables leave;" in s or "variables are free at GCP" in s:
            out["free_msgs"].append(s)
        if "Using the backtracking step" in s:
            out["subsm_backtrack"] = True
        i += 1
    return out


# ---------------------------------------------------------------------------

def _iteration_calls(calls, k):
    """Indices (start, end, update) of the calls making iteration k:
    ``start`` ran cauchy/subsm/the first trial (the last call whose trace
    opens 'ITERATION k': a restart repeats it), ``end`` returned NEW_X with
    iter == k, ``update`` is the call after it (the S/Y update)."""
    end = None
    for j, c in enumerate(calls):
        if c.task.startswith("NEW_X") and c.i("iter") == k:
            end = j
            break
    if end is None:
        last = calls[-1]
        raise ValueError(f"the run stopped before iteration {k} completed: "
                         f"{last.task} after {last.i('iter')} iterations")
    start = None
    pat = re.compile(r"^\s*ITERATION\s+%d\s*$" % k, re.M)
    for j in range(end, -1, -1):
        if pat.search(calls[j].trace):
            start = j
            break
    update = end + 1 if end + 1 < len(calls) else None
    return start, end, update


def explain(name, k, n=None, m=5, flavour="fortran"):
    """Everything printed for iteration k, as a dict of the solver's values."""
    if k < 1:
        raise ValueError("iterations are numbered from 1")
    p, l, u, nbd, calls = run(name, k, n=n, m=m, flavour=flavour)
    return _report(p, l, u, nbd, calls, k, m, flavour)


def explain_all(name, kmax, n=None, m=5, flavour="fortran"):
    """Reports for iterations 1..kmax (fewer if the run stops earlier), from
    one run of the solver."""
    p, l, u, nbd, calls = run(name, kmax, n=n, m=m, flavour=flavour)
    reps = []
    for k in range(1, kmax + 1):
        try:
            reps.append(_report(p, l, u, nbd, calls, k, m, flavour))
        except ValueError:
            break
    return reps, calls


def _report(p, l, u, nbd, calls, k, m, flavour):
    n = p.n
    start, end, upd = _iteration_calls(calls, k)
    S, E = calls[start], calls[end]
    # the call that handed x_k, g_k to the solver (FG_START or NEW_X)
    begin = max(j for j in range(start) if calls[j].task.startswith(("FG_ST", "NEW_X")))
    rep = dict(name=p.name, n=n, m=m, k=k, flavour=flavour, l=l, u=u, nbd=nbd,
               checks=[])
    chk = rep["checks"]

    # --- x_k, g_k, f_k: lnsrlb saved them in the t and r blocks and fold
    xk, gk, fk = S.t().copy(), S.r().copy(), S.d("fold")
    B = calls[begin]
    chk.append(("x_k (t block) == x handed over at %s" % B.task.split()[0],
                np.array_equal(xk, B.x)))
    chk.append(("g_k (r block) == g evaluated there",
                np.array_equal(gk, getattr(B, "gx", B.g))))
    chk.append(("f_k (fold, dsave[1]) == f evaluated there",
                fk == getattr(B, "fx", B.f)))
    rep.update(x=xk, f=fk, g=gk)

    # --- 1. projected gradient: sbgnrm from dsave[12]; components from the
    # solver's projgr kernel, one variable at a time (sign of g_i restored)
    sbgnrm = S.d("sbgnrm")
    comp = np.array([_projgr.py_projgr(l[i:i + 1].copy(), u[i:i + 1].copy(),
                                     nbd[i:i + 1].copy(), xk[i:i + 1].copy(),
                                     gk[i:i + 1].copy()) for i in range(n)])
    pg = np.copysign(comp, gk)
    pg[comp == 0.0] = 0.0
    chk.append(("max |projgr component| == sbgnrm (dsave[12])",
                float(comp.max()) == sbgnrm))
    rep.update(sbgnrm=sbgnrm, pg=pg)

    # --- 2-4. the Cauchy search
    col, head, theta = S.i("col"), S.i("head"), S.d("theta")
    cnstnd = bool(S.lsave[1])
    tr = parse_cauchy_trace(S.trace)
    ran_cauchy = "CAUCHY entered" in S.trace
    nfree, nseg, iword = S.i("nfree"), S.i("nseg"), S.i("iword")
    index = S.index()[:nfree].copy()
    subsm_ran = "SUBSM entered" in S.trace
    xcp = (S.xp() if subsm_ran else S.z()).copy()
    rep.update(theta=theta, col=col, head=head, cnstnd=cnstnd,
               ran_cauchy=ran_cauchy, trace=tr, nseg=nseg, xcp=xcp,
               xcp_block="xp" if subsm_ran else "z", free=index + 0,
               nfree=nfree, subsm_ran=subsm_ran, cauchy_trace=S.trace)
    if ran_cauchy:
        # replay of the solver's cauchy kernel on the state's inputs
        iorder = np.zeros(n, np.int32)
        iwh = S.iwhere().copy()
        tbp = np.full(n, np.nan)
        dcp = np.zeros(n)
        xr = np.zeros(n)
        p2, c2, wbp, v = (np.zeros(2 * m) for _ in range(4))
        nseg_r, info_r = _cauchy.py_cauchy(
            xk.copy(), l, u, nbd, gk.copy(), iorder, iwh, tbp, dcp, xr, m,
            np.asfortranarray(S.wy()), np.asfortranarray(S.ws()),
            np.asfortranarray(S.sy()), np.asfortranarray(S.wt()), theta, col,
            head, p2, c2, wbp, v, 0, -1, sbgnrm, 0, S.d("epsmch"),
            _FLAVOUR_CODE[flavour])
        nbreak = tr["nbreak"]
        bp = sorted((float(tbp[j]), int(iorder[j])) for j in range(nbreak or 0))
        chk.append(("replayed cauchy: xcp == solver's xcp (bitwise)", np.array_equal(xr, xcp)))
        chk.append(("replayed cauchy: nseg == isave nseg", nseg_r == nseg or flavour == "scipy"))
        chk.append(("replayed cauchy: c == wa(2m+1:4m) (bitwise)",
                    np.array_equal(c2, S.wa8()[2 * m:4 * m])))
        chk.append(("replayed cauchy: iwhere == solver's iwhere",
                    np.array_equal(iwh, S.iwhere())))
        rep.update(breakpoints=bp, cauchy_d=dcp)
        if tr["cauchy_x"] is not None and len(tr["cauchy_x"]) == n:
            ok = all(float("%.4e" % a) == b for a, b in zip(xcp, tr["cauchy_x"]))
            chk.append(("trace 'Cauchy X' == xcp rounded to the trace's 5 digits", ok))
    else:
        rep.update(breakpoints=[], cauchy_d=None)

    # --- 5. subspace minimization: state z, xp, iword; replay of cmprlb and
    # subsm for the Newton step du before projection
    z = S.z().copy()
    rep.update(z=z, iword=iword, backtracked=tr["subsm_backtrack"])
    if subsm_ran:
        wa4 = S.wa8()[:4 * m].copy()
        r_red, wa4, info1 = _subsm.py_cmprlb(
            n, m, xk.copy(), gk.copy(), np.asfortranarray(S.ws()),
            np.asfortranarray(S.wy()), np.asfortranarray(S.sy()),
            np.asfortranarray(S.wt()), xcp.copy(), wa4,
            S.index().copy(), theta, col, head, nfree, cnstnd)
        zr, du, xpr, iword_r, wv, info2 = _subsm.py_subsm(
            n, m, nfree, S.index().copy(), l, u, nbd, xcp.copy(), r_red.copy(),
            np.asfortranarray(S.ws()), np.asfortranarray(S.wy()), theta,
            xk.copy(), gk.copy(), col, head, np.asfortranarray(S.wn()))
        chk.append(("replayed subsm: z == solver's z (bitwise)", np.array_equal(zr, z)))
        chk.append(("replayed subsm: xp == solver's xp (bitwise)", np.array_equal(xpr, S.xp())))
        chk.append(("replayed subsm: iword == isave iword", int(iword_r) == iword))
        newton = xcp.copy()
        for i in range(nfree):
            kk = index[i] - 1
            newton[kk] = xcp[kk] + du[i]     # subsm's own x(k) + d(i), unprojected
        rep.update(reduced_grad=np.asarray(r_red)[:nfree].copy(),
                   du=np.asarray(du)[:nfree].copy(), newton=newton)
    d = S.dvec().copy()
    chk.append(("d == z - x_k (555)", np.array_equal(d, z - xk)))
    rep["d"] = d

    # --- 6. line search: every FG_LNSRCH return of the iteration is a trial
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
            verdict=nxt.csave, stpmx=c.d("stpmx"),
            brackt=bool(nxt.isave[42]), stx=nxt.ls("stx"), sty=nxt.ls("sty")))
    rep.update(ginit=ginit, gtest=gtest, finit=finit, stpmx=S.d("stpmx"),
               dnorm=S.d("dnorm"), trials=trials, restarts=S.trace.count("refresh the lbfgs"))
    x_new = E.x.copy()
    chk.append(("accepted x == last trial x", np.array_equal(x_new, trials[-1]["x"])))
    rep.update(x_new=x_new, f_new=E.f, stp=E.d("stp"), gd=E.d("gd"), gdold=E.d("gdold"))

    # --- 7. the S/Y update, run at label 777 of the next call
    ui, upd = upd, None
    if ui is not None and ui < len(calls):
        U = calls[ui]
        eps = E.d("epsmch")
        stp, gd, gdold = E.d("stp"), E.d("gd"), E.d("gdold")
        # mainlb's two cases, as read: stp == 1 or not
        if stp == 1.0:
            dr, ddum = gd - gdold, -gdold
        else:
            dr, ddum = (gd - gdold) * stp, -gdold * stp
        nskip_before, nskip_after = E.i("nskip"), U.i("nskip")
        stopped = not U.task.startswith(("FG", "NEW_X"))
        updated = (not stopped) and U.i("iupdat") == E.i("iupdat") + 1
        upd = dict(task=U.task, stopped_before_update=stopped,
                   sy=dr, minus_gs=ddum, eps=eps, passes=dr > eps * ddum,
                   skipped=nskip_after > nskip_before, updated=updated,
                   restarted="refresh the lbfgs" in U.trace)
        if updated:
            itail, colu = U.i("itail"), U.i("col")
            s = U.ws()[:, itail - 1].copy()
            y = U.wy()[:, itail - 1].copy()
            upd.update(itail=itail, col=colu, head=U.i("head"), s=s, y=y,
                       sy_stored=float(U.sy()[colu - 1, colu - 1]),
                       ss_stored=float(U.ss()[colu - 1, colu - 1]),
                       theta=U.d("theta"))
            chk.append(("s'y from dsave (gd, gdold, stp) == sy(col,col) (bitwise)",
                        upd["sy_stored"] == dr))
            # The solver stores s = stp*d, not x_{k+1} - x_k.  The two differ by
            # the rounding of x_k + stp*d (and, with Debian's clip, of stpmx*d),
            # then of the subtraction: at most 2 eps (|x_k| + |s|) per component.
            # A bound relative to |s| alone fails wherever |s| << |x_k|.
            chk.append(("new S column (stp*d) == x_{k+1} - x_k to rounding "
                        "(2 eps (|x_k| + |s|))",
                        bool(np.all(np.abs(s - (x_new - xk))
                                    <= 2 * eps * (np.abs(xk) + np.abs(s))))))
        if upd["skipped"] or upd["updated"]:
            chk.append(("curvature test agrees with the solver's decision",
                        upd["passes"] == upd["updated"]))
    rep["update"] = upd
    rep["ok"] = all(v for _, v in chk)
    return rep


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
    w(f"L-BFGS-B (lbfgsb port, flavour={rep['flavour']}) on {rep['name']}, "
      f"n={n}, m={rep['m']}: iteration {rep['k']}")
    w(f"  x_k = {_v(rep['x'], small)}")
    w(f"  f_k = {rep['f']!r}")
    w("")
    w("1. Projected gradient at x_k  [BLNZ95 (6.1), ZBLN97 eq. (2); projgr]")
    w(f"   ||P(x - g) - x||_inf = sbgnrm = {rep['sbgnrm']!r}")
    if n <= small:
        w(f"   components           = {_v(rep['pg'], small)}")
    w("")
    w("2. Breakpoints of x(t) = P(x_k - t g_k)  [BLNZ95 (4.1); cauchy]")
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
    w("3. Segments passed by the Cauchy search  [BLNZ95 Algorithm CP, (4.4)-(4.12)]")
    w("   (from the iprint=101 trace)")
    tr = rep["trace"]
    if rep["ran_cauchy"] and not tr["segments"] and tr["gcp_segment"] is None:
        w("   (no segment printed)")
    if not rep["ran_cauchy"]:
        w("   (none: cauchy was skipped)")
    else:
        w("   piece          f1 (f')          f2 (f'')          dt (to next bp)   dtm (-f1/f2)   fixed")
        for s in tr["segments"]:
            w("   %5d  %16s  %16s  %16s  %14s   %s" % (
                s["piece"], "%.4e" % s["f1"], "%.4e" % s["f2"],
                "-" if s["dt"] is None else "%.4e" % s["dt"],
                "-" if s["dtm"] is None else "%.4e" % s["dtm"],
                ",".join(map(str, s["fixed"])) or "-"))
        g = tr["gcp_segment"]
        if g is not None:
            w(f"   GCP found in piece {g['piece']}: f1 = {g['f1']:.4e}, f2 = {g['f2']:.4e}, "
              f"dtm = {g['dtm']:.4e}")
        elif tr["nbreak"] == 0 and not tr["segments"]:
            w("   no breakpoint: the GCP is at dtm on the first (only) segment")
        else:
            w("   the search ended at a breakpoint (every variable fixed)")
        w(f"   nseg (isave) = {rep['nseg']}")
    w("")
    w("4. Generalized Cauchy point and free set  [BLNZ95 §4, (5.1); cauchy, freev]")
    w(f"   xcp = {_v(rep['xcp'], small)}   (read from the {rep['xcp_block']} block)")
    for s in tr["free_msgs"]:
        w(f"   trace: {s}")
    w(f"   free set at the GCP (index[:nfree], 1-based): {_v(rep['free'], 40)}  (nfree = {rep['nfree']})")
    w("")
    w("5. Subspace minimization  [BLNZ95 §5.1 direct primal method, (5.4), (5.7); MN11 projection]")
    if not rep["subsm_ran"]:
        w("   skipped (no free variables or col = 0): z = xcp")
    else:
        w(f"   reduced gradient r = Z'(g + B(xcp - x))      = {_v(rep['reduced_grad'], small)}")
        w(f"   Newton step du = -(Z'BZ)^-1 r               = {_v(rep['du'], small)}")
        w(f"   before projection: xcp + Z du                = {_v(rep['newton'], small)}")
        iw = rep["iword"]
        if iw == 0:
            w("   iword = 0: xcp + Z du lies in the box, no projection needed")
        elif rep["backtracked"]:
            w("   iword = 1: the projection P(xcp + Z du) was not a descent direction "
              "(dd_p > 0), so subsm backtracked along du from xcp (BLNZ95 (5.8)-(5.9))")
        else:
            w("   iword = 1: xcp + Z du was projected onto the box (MN11) and kept")
    w(f"   after: z (subspace minimizer)               = {_v(rep['z'], small)}")
    w(f"   search direction d = z - x_k                = {_v(rep['d'], small)}")
    w("")
    w("6. Line search along d  [BLNZ95 §6, (2.5)-(2.6); MT94 dcsrch via lnsrlb; ftol=1e-3, gtol=0.9]")
    w(f"   f0 = {rep['finit']!r}, g0'd = {rep['ginit']!r}, stpmax = {rep['stpmx']!r}, ||d|| = {rep['dnorm']!r}")
    for i, t in enumerate(rep["trials"], 1):
        w(f"   trial {i}: stp = {t['stp']!r}")
        w(f"     x = {_v(t['x'], small)}")
        w(f"     f = {t['f']!r}  vs  f0 + ftol*stp*g0'd = {t['ftest']!r}  -> "
          f"{'sufficient decrease' if t['armijo'] else 'NOT sufficient decrease'}")
        w(f"     g'd = {t['gd']!r};  |g'd| <= gtol*|g0'd| = {GTOL * -rep['ginit']!r}  -> "
          f"{'curvature ok' if t['curvature'] else 'curvature NOT ok'}")
        w(f"     dcsrch: {t['verdict']}")
    w(f"   accepted: x_k+1 = {_v(rep['x_new'], small)}, f = {rep['f_new']!r}, stp = {rep['stp']!r}")
    w("")
    w("7. Limited-memory update  [BLNZ95 (3.1)-(3.6), §6 steps 6-7; ZBLN97 eq. (3); matupd, formt]")
    up = rep["update"]
    if up is None:
        w("   (the run ended before the update)")
    elif up["stopped_before_update"]:
        w(f"   the next call stopped before updating: {up['task']}")
    else:
        w(f"   s'y = {up['sy']!r},  -g0's = {up['minus_gs']!r},  epsmch = {up['eps']!r}")
        w(f"   curvature test s'y > epsmch * (-g0's): {up['passes']}")
        if up["updated"]:
            w(f"   updated: new pair in column {up['itail']} (col = {up['col']}, head = {up['head']})")
            w(f"     s = {_v(up['s'], small)}")
            w(f"     y = {_v(up['y'], small)}")
            w(f"     sy(col,col) = {up['sy_stored']!r}, ss(col,col) = {up['ss_stored']!r}, "
              f"theta = y'y/s'y = {up['theta']!r}")
        elif up["skipped"]:
            w("   update SKIPPED (nskip incremented)")
    w("")
    w("Checks (state vs trace vs kernel replays):")
    for name, ok in rep["checks"]:
        w(f"   [{'ok' if ok else 'FAIL'}] {name}")
    return "\n".join(o)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("name")
    ap.add_argument("--iter", type=int, default=1, dest="k")
    ap.add_argument("--n", type=int, default=None)
    ap.add_argument("--m", type=int, default=5)
    ap.add_argument("--flavour", default="fortran", choices=sorted(_FLAVOUR_CODE))
    a = ap.parse_args(argv)
    try:
        rep = explain(a.name, a.k, n=a.n, m=a.m, flavour=a.flavour)
    except ValueError as e:
        print(f"explain: {e}", file=sys.stderr)
        return 2
    print(format_report(rep))
    return 0 if rep["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
