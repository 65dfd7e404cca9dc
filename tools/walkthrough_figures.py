"""The four pictures of one iteration of tools/walkthrough.py (matplotlib, SVG).

Each function takes the iteration as tools/explain.py reports it (the
solver's numbers) and the problem, and returns an SVG document as text.  The
contours and curves are drawn from the dense model of tools/qmodel.py (B_k
from the solver's θ, S, Y) and, for φ(α), from the problem's own f.
"""
import io

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt                 # noqa: E402
import numpy as np                              # noqa: E402

import qmodel                                   # noqa: E402

FTOL, GTOL = 1.0e-3, 0.9
SIZE = (4.6, 3.7)
C_PATH, C_CP, C_NEWTON, C_Z, C_TRIAL = "#1f77b4", "#d62728", "#9467bd", "#2ca02c", "#ff7f0e"
plt.rcParams.update({"font.size": 8.5, "axes.titlesize": 9.5, "svg.hashsalt": "walkthrough"})


def _svg(fig):
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def view(reps, l, u, nbd):
    """The overview's window: the iterates, and the finite bounds that lie
    within one span of them, with a margin (a far Cauchy point or trial is
    left out of view rather than shrinking the run to a dot)."""
    pts = np.array([rep["x"] for rep in reps] + [reps[-1]["x_new"]])
    lim = []
    for i in range(2):
        lo, hi = pts[:, i].min(), pts[:, i].max()
        span = max(hi - lo, 1e-3)
        if nbd[i] in (1, 2) and l[i] >= lo - span:
            lo = min(lo, l[i])
        if nbd[i] in (2, 3) and u[i] <= hi + span:
            hi = max(hi, u[i])
        pad = 0.12 * max(hi - lo, 1e-3)
        lim += [lo - pad, hi + pad]
    return tuple(lim)


def local_view(rep, l, u, nbd):
    """The picture's window for one iteration: the points it is about (x_k,
    the path to the Cauchy point, the subspace points, the trials), with a
    margin; a bound within reach is brought into view."""
    x, g = rep["x"], rep["g"]
    pts = [x, rep["xcp"], rep["z"], rep["x_new"]] + [t["x"] for t in rep["trials"]]
    pts += [qmodel.path(x, g, l, u, nbd, t) for t, _ in rep["breakpoints"]
            if t <= 2.0 * max(rep["tstar"], 1e-300)]
    if rep.get("newton") is not None:
        pts += [rep["newton"]]
    pts = np.array(pts)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = max(float(np.max(hi - lo)), 1e-6 * (1 + float(np.max(np.abs(x)))))
    lim = []
    for i in range(2):
        a, b = lo[i] - 0.3 * span, hi[i] + 0.3 * span
        mid, half = 0.5 * (a + b), 0.5 * max(b - a, 0.8 * span)
        lim += [mid - half, mid + half]
    return tuple(lim)


def _box(ax, l, u, nbd, lim):
    lo = [l[i] if nbd[i] in (1, 2) else lim[2 * i] - 1 for i in range(2)]
    hi = [u[i] if nbd[i] in (2, 3) else lim[2 * i + 1] + 1 for i in range(2)]
    ax.add_patch(plt.Rectangle((lo[0], lo[1]), hi[0] - lo[0], hi[1] - lo[1], fill=False,
                               lw=1.6, ec="black", zorder=3))
    ax.set_xlim(lim[0], lim[1])
    ax.set_ylim(lim[2], lim[3])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")


def _model_contours(ax, rep, lim):
    xs = np.linspace(lim[0], lim[1], 90)
    ys = np.linspace(lim[2], lim[3], 90)
    X, Y = np.meshgrid(xs, ys)
    P = np.stack([X - rep["x"][0], Y - rep["x"][1]], axis=-1)
    B, g = rep["B"].dense(), rep["g"]
    Z = rep["f"] + P @ g + 0.5 * np.einsum("...i,ij,...j->...", P, B, P)
    lev = np.unique(np.quantile(Z, np.linspace(0.0, 0.9, 16) ** 2))
    if len(lev) > 1:
        ax.contour(X, Y, Z, levels=lev, colors="0.55", linewidths=0.6)


def _mark(ax, p, style, label, color, size=7, text=None, dx=6, dy=6):
    ax.plot([p[0]], [p[1]], style, color=color, ms=size, label=label, zorder=5)
    if text:
        ax.annotate(text, p, xytext=(dx, dy), textcoords="offset points", color=color)


def fig_cauchy_path(rep, l, u, nbd, lim):
    """(a) m_k over the box, the projected-gradient path x(t), its
    breakpoints and the generalized Cauchy point."""
    fig, ax = plt.subplots(figsize=SIZE)
    _model_contours(ax, rep, lim)
    _box(ax, l, u, nbd, lim)
    x, g = rep["x"], rep["g"]
    bps = [t for t, _ in rep["breakpoints"]]
    tend = max([rep["tstar"]] + bps) * 1.25 + 1e-12
    ts = np.unique(np.concatenate([[0.0], [t for t in bps if t <= tend], [tend]]))
    pathpts = np.array([qmodel.path(x, g, l, u, nbd, t) for t in ts])
    ax.plot(pathpts[:, 0], pathpts[:, 1], "-", color=C_PATH, lw=1.5,
            label="path $x(t) = P(x_k - t g_k)$")
    for j, t in enumerate(bps):
        q = qmodel.path(x, g, l, u, nbd, t)
        ax.plot([q[0]], [q[1]], "o", mfc="white", mec=C_PATH, ms=6, zorder=5,
                label="breakpoints $t_i$" if j == 0 else None)
        ax.annotate("$t_{%d}$" % (j + 1), q, xytext=(5, -11), textcoords="offset points",
                    color=C_PATH)
    _mark(ax, x, "o", "$x_k$", "black", 5, "$x_k$")
    _mark(ax, rep["xcp"], "^", "Cauchy point $x^c$", C_CP, 8, "$x^c$", 6, -12)
    ax.set_title("(a) model $m_k$, path $x(t)$, breakpoints, $x^c$")
    ax.legend(loc="best", fontsize=7, framealpha=0.85)
    return _svg(fig)


def fig_piecewise(rep, l, u, nbd):
    """(b) m_k(x(t)) − f_k along the path, piecewise quadratic, with each
    examined segment and its f′, f″, Δt*."""
    fig, ax = plt.subplots(figsize=SIZE)
    x, g, B, f = rep["x"], rep["g"], rep["B"], rep["f"]
    segs, bps, tstar = rep["segments"], [t for t, _ in rep["breakpoints"]], rep["tstar"]
    if not rep["ran_cauchy"]:
        ax.text(0.5, 0.5, "no bounds and col > 0:\ncauchy is skipped, $x^c = x_k$",
                ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return _svg(fig)
    tend = max([tstar * 1.6] + [t * 1.1 for t in bps if t <= 2.5 * max(tstar, 1e-300)]) + 1e-300
    ts = np.linspace(0.0, tend, 400)
    ms = [qmodel.model(f, x, g, B, qmodel.path(x, g, l, u, nbd, t)) - f for t in ts]
    ax.plot(ts, ms, "-", color=C_PATH, lw=1.5, label="$m_k(x(t)) - f_k$")
    for j, t in enumerate(bps):
        if t <= tend:
            ax.axvline(t, color=C_PATH, ls=":", lw=1)
            ax.annotate("$t_{%d}$" % (j + 1), (t, 1), xycoords=("data", "axes fraction"),
                        xytext=(2, -10), textcoords="offset points", color=C_PATH)
    for j, s in enumerate(segs, 1):
        t1 = min(s["t1"], tend)
        mid = 0.5 * (s["t0"] + t1)
        ax.annotate("seg %d\n$f'$=%.3g\n$f''$=%.3g" % (j, s["fp"], s["fpp"]),
                    (mid, 0.03 + 0.22 * ((j - 1) % 2)), xycoords=("data", "axes fraction"),
                    ha="center", fontsize=7, color="0.25")
        if 0 < s["dtstar"] < np.inf and s["t0"] + s["dtstar"] <= tend:
            ax.plot([s["t0"], s["t0"] + s["dtstar"]], [0, 0], "-", color="0.6", lw=3,
                    alpha=0.5, label=r"$\Delta t^* = -f'/f''$" if j == 1 else None)
    mstar = qmodel.model(f, x, g, B, rep["xcp"]) - f
    ax.plot([tstar], [mstar], "^", color=C_CP, ms=8, label="$t^*$: the Cauchy point", zorder=5)
    ax.axhline(0, color="0.7", lw=0.6)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(5))
    ax.ticklabel_format(style="sci", scilimits=(-3, 3))
    ax.set_xlabel("$t$")
    ax.set_title("(b) $m_k$ along the path: one quadratic per segment")
    ax.legend(loc="upper right", fontsize=7, framealpha=0.85)
    return _svg(fig)


def fig_subspace(rep, l, u, nbd, lim):
    """(c) the free face, the reduced model's minimiser, its projection (MN11)
    or the backtracked point, and the step d = z − x_k."""
    fig, ax = plt.subplots(figsize=SIZE)
    _model_contours(ax, rep, lim)
    _box(ax, l, u, nbd, lim)
    xcp, z, x = rep["xcp"], rep["z"], rep["x"]
    free = list(rep["free"])
    if len(free) == 1:
        i = free[0]
        lo = l[i] if nbd[i] in (1, 2) else lim[2 * i] - 1
        hi = u[i] if nbd[i] in (2, 3) else lim[2 * i + 1] + 1
        a, b = xcp.copy(), xcp.copy()
        a[i], b[i] = lo, hi
        ax.plot([a[0], b[0]], [a[1], b[1]], "-", color=C_NEWTON, lw=5, alpha=0.25,
                label="free face (variable %d free)" % (i + 1))
    elif len(free) == 2:
        ax.text(0.02, 0.02, "both variables free: the face is the box", transform=ax.transAxes,
                color=C_NEWTON)
    if rep.get("newton") is not None:
        zn = rep["newton"]
        ax.plot([xcp[0], zn[0]], [xcp[1], zn[1]], "--", color=C_NEWTON, lw=1)
        _mark(ax, zn, "*", "reduced Newton point", C_NEWTON, 10, r"$x^c + Z\hat d^u$")
        if rep["projected"]:
            _mark(ax, rep["proj"], "s", "projection P (MN11)", C_NEWTON, 6)
        if rep["backtracked"]:
            _mark(ax, rep["proj"], "x", "projection P: uphill, rejected", "black", 7)
    _mark(ax, xcp, "^", "$x^c$", C_CP, 8, "$x^c$", 6, -12)
    _mark(ax, x, "o", "$x_k$", "black", 5, "$x_k$")
    ax.annotate("", z, xytext=x, arrowprops=dict(arrowstyle="->", color=C_Z, lw=1.6))
    _mark(ax, z, "D", "$z$: subspace step result", C_Z, 6, "$z$", 6, 4)
    what = {True: "backtracked (5.8)-(5.9)"}.get(rep["backtracked"]) or \
        ("projected (MN11)" if rep["projected"] else
         "inside the box" if rep["subsm_ran"] else "skipped")
    ax.set_title("(c) subspace step: %s" % what)
    ax.legend(loc="best", fontsize=7, framealpha=0.85)
    return _svg(fig)


def fig_line_search(rep, fg, l, u, nbd):
    """(d) φ(α) = f(x_k + α d) with the sufficient-decrease line, the
    curvature band, the numbered trials and dcsrch's bracket."""
    fig, ax = plt.subplots(figsize=SIZE)
    x, d, trials = rep["x"], rep["d"], rep["trials"]
    f0, g0 = rep["finit"], rep["ginit"]
    amax = max(t["stp"] for t in trials) * 1.3
    amax = min(amax, rep["stpmx"]) if rep["stpmx"] > 0 else amax
    al = np.linspace(0.0, amax, 160)
    phi, dphi = [], []
    for a in al:
        fa, ga = fg(qmodel.path(x, -d, l, u, nbd, a))
        phi.append(float(fa))
        dphi.append(float(np.asarray(ga) @ d))
    phi, dphi = np.array(phi), np.array(dphi)
    ok = np.abs(dphi) <= GTOL * abs(g0)
    for j in range(len(al)):
        if ok[j]:
            ax.axvspan(al[j] - 0.5 * amax / 159, al[j] + 0.5 * amax / 159, color=C_Z,
                       alpha=0.12, lw=0, label="curvature (2.6) holds" if j == np.argmax(ok)
                       else None)
    ax.plot(al, phi, "-", color="black", lw=1.4, label=r"$\varphi(\alpha) = f(x_k + \alpha d)$")
    ax.plot(al, f0 + FTOL * al * g0, "--", color=C_CP, lw=1,
            label=r"$\varphi(0) + 10^{-3}\alpha\varphi'(0)$ (2.5)")
    for j, t in enumerate(trials, 1):
        ax.plot([t["stp"]], [t["f"]], "o", color=C_TRIAL, ms=6, zorder=5)
        ax.annotate(str(j), (t["stp"], t["f"]), xytext=(4, 4), textcoords="offset points",
                    color=C_TRIAL, fontweight="bold")
    last = trials[-1]
    if last["brackt"]:
        lo, hi = sorted((last["stx"], last["sty"]))
        ax.annotate("", (hi, 0.04), xytext=(lo, 0.04), xycoords=("data", "axes fraction"),
                    arrowprops=dict(arrowstyle="|-|", color="0.3"))
        ax.annotate("bracket", (0.5 * (lo + hi), 0.06), xycoords=("data", "axes fraction"),
                    ha="center", color="0.3")
    if rep["stpmx"] <= amax:
        ax.axvline(rep["stpmx"], color="0.4", ls="-.", lw=1, label="stpmax")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(6))
    ax.ticklabel_format(style="sci", scilimits=(-3, 3))
    ax.set_xlabel(r"$\alpha$ (stp)")
    ax.set_title("(d) line search: %d trial(s), accepted $\\alpha$ = %.4g"
                 % (len(trials), rep["stp"]))
    ax.legend(loc="best", fontsize=7, framealpha=0.85)
    return _svg(fig)


def fig_overview(reps, fg, l, u, nbd, lim):
    """The whole run over the contours of f: iterates, Cauchy points, trials."""
    fig, ax = plt.subplots(figsize=(5.6, 4.2))
    xs = np.linspace(lim[0], lim[1], 120)
    ys = np.linspace(lim[2], lim[3], 120)
    Z = np.array([[fg(np.array([a, b]))[0] for a in xs] for b in ys])
    lev = np.unique(np.quantile(Z, np.linspace(0, 0.95, 18) ** 2))
    ax.contour(xs, ys, Z, levels=lev, colors="0.6", linewidths=0.6)
    _box(ax, l, u, nbd, lim)
    pts = np.array([reps[0]["x"]] + [r["x_new"] for r in reps])
    ax.plot(pts[:, 0], pts[:, 1], "-o", color="black", ms=3, lw=1, label="iterates $x_k$")
    for r in reps:
        ax.annotate(str(r["k"]), r["x"], xytext=(3, 3), textcoords="offset points", fontsize=7)
    cps = np.array([r["xcp"] for r in reps])
    ax.plot(cps[:, 0], cps[:, 1], "^", color=C_CP, ms=5, label="Cauchy points")
    ax.set_title("the run over the contours of $f$ (numbers: iteration $k$ starts here)")
    ax.legend(loc="best", fontsize=7)
    return _svg(fig)
