"""Plot L-BFGS-B's iterations on a 2-variable bounded problem.

    python tools/plot_iterations.py [NAME] [--iters K] [--out FILE.png]

Default: HS5 (n = 2, box [-1.5, 4] x [-3, 3]).  The picture shows the contours
of f, the box, and for each iteration k (colour-coded):

* the projected steepest-descent path x(t) = P(x_k - t g_k) for t from 0 to
  past the last breakpoint (thin line), with its breakpoints (small squares);
* the generalized Cauchy point xcp (triangle);
* the subspace minimizer z (diamond; equal to xcp when subsm was skipped);
* the accepted step x_k -> x_{k+1} (arrow).

The points and breakpoints are the solver's (tools/explain.py reads them from
its state; see there); the path between breakpoints is drawn by clipping
x_k - t g_k to the box, which is what the path is by definition.
"""

import argparse
import os
import sys

import numpy as np

sys.path.append(os.path.dirname(os.path.abspath(__file__)))
import explain as ex            # noqa: E402  (adds the repo root, last)

import matplotlib               # noqa: E402
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _panel(ax, p, reps, lo, up, flo, fup, ra, rb):
    X, Y = np.meshgrid(np.linspace(ra[0], rb[0], 201), np.linspace(ra[1], rb[1], 201))
    F = np.array([[p.fg(np.array([xx, yy]))[0] for xx, yy in zip(rx, ry)]
                  for rx, ry in zip(X, Y)])
    levels = np.unique(np.quantile(F, np.linspace(0.0, 1.0, 25)))
    ax.contourf(X, Y, F, levels=levels, cmap="Blues_r", alpha=0.35)
    cs = ax.contour(X, Y, F, levels=levels, colors="0.45", linewidths=0.5)
    ax.clabel(cs, cs.levels[::3], fontsize=6, fmt="%.3g")
    ax.add_patch(plt.Rectangle(flo, *(fup - flo), fill=False, lw=2.0, ec="k",
                               label="box l <= x <= u"))
    cmap = plt.get_cmap("tab10")
    for r in reps:
        c = cmap((r["k"] - 1) % 10)
        x, g = r["x"], r["g"]
        ts = [t for t, _ in r["breakpoints"]]
        tmax = max(ts + [0.0])
        tend = tmax * 1.3 if tmax > 0 else 1.0
        tt = np.unique(np.concatenate([[0.0], ts, np.linspace(0, tend, 200)]))
        path = np.clip(x[None, :] - tt[:, None] * g[None, :], lo, up)
        ax.plot(path[:, 0], path[:, 1], "-", color=c, lw=0.9, alpha=0.7)
        if ts:
            bp = np.clip(x[None, :] - np.array(ts)[:, None] * g[None, :], lo, up)
            ax.plot(bp[:, 0], bp[:, 1], "s", ms=5, mfc="none", color=c)
        ax.plot(*r["xcp"], "^", ms=9, color=c)
        ax.plot(*r["z"], "D", ms=6, mfc="none", mew=1.5, color=c)
        ax.annotate("", xy=r["x_new"], xytext=x,
                    arrowprops=dict(arrowstyle="->", color=c, lw=1.8))
        ax.plot(*x, "o", ms=5, color=c)
        ax.annotate(f"x{r['k'] - 1}", x, textcoords="offset points", xytext=(4, 4),
                    fontsize=8, color=c)
    ax.plot(*reps[-1]["x_new"], "*", ms=12, color="k", label=f"x{reps[-1]['k']}")
    # legend entries for the marker kinds
    ax.plot([], [], "-", color="gray", label="projected gradient path P(x - t g)")
    ax.plot([], [], "s", mfc="none", color="gray", label="breakpoints t_i")
    ax.plot([], [], "^", color="gray", label="generalized Cauchy point")
    ax.plot([], [], "D", mfc="none", color="gray", label="subspace minimizer z")
    ax.plot([], [], "-", color="gray", marker=">", label="accepted step")
    ax.set_xlim(ra[0], rb[0])
    ax.set_ylim(ra[1], rb[1])
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")


def plot(name="HS5", iters=6, out="iterations.png", m=5):
    reps, calls = ex.explain_all(name, iters, m=m)
    if not reps:
        raise ValueError(f"{name}: no iteration completed")
    p = ex.reference.get(name)
    if p.n != 2:
        raise ValueError(f"{name} has n = {p.n}; the plot needs n = 2")
    lo = np.asarray(p.lower, float)
    up = np.asarray(p.upper, float)

    pts = np.array([r["x"] for r in reps] + [reps[-1]["x_new"]]
                   + [r["xcp"] for r in reps] + [r["z"] for r in reps])
    flo = np.where(np.isfinite(lo), lo, pts.min(0) - 1.0)
    fup = np.where(np.isfinite(up), up, pts.max(0) + 1.0)
    span = fup - flo
    a, b = flo - 0.08 * span, fup + 0.08 * span

    zoom = np.array([r[k] for r in reps for k in ("x", "x_new", "xcp", "z")])
    za, zb = zoom.min(0), zoom.max(0)
    zs = np.maximum(zb - za, 1e-3 * np.maximum(span, 1.0))
    za, zb = za - 0.15 * zs, zb + 0.15 * zs
    # a square window (the axes keep equal scales), so the panel is not a sliver
    mid, half = 0.5 * (za + zb), 0.5 * float(np.max(zb - za))
    za, zb = mid - half, mid + half
    fig, axes = plt.subplots(1, 2, figsize=(14, 6.5), dpi=100)
    for ax, (ra, rb), title in ((axes[0], (a, b), "whole box"),
                                (axes[1], (za, zb), "zoom on the iterates")):
        _panel(ax, p, reps, lo, up, flo, fup, ra, rb)
        ax.set_title(f"{name}: iterations 1..{reps[-1]['k']} ({title})")
    axes[0].legend(loc="upper left", fontsize=7, framealpha=0.9)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out, reps


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("name", nargs="?", default="HS5")
    ap.add_argument("--iters", type=int, default=6)
    ap.add_argument("--m", type=int, default=5)
    ap.add_argument("--out", default="iterations.png")
    a = ap.parse_args(argv)
    out, reps = plot(a.name, a.iters, a.out, a.m)
    print(f"wrote {out} ({len(reps)} iterations)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
