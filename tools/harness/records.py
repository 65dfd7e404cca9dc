"""Records to files: JSON, CSV (one row per implementation) and plots.

Reads records (the results); nothing here runs an implementation.
"""
from __future__ import annotations

import csv
import json
import math

import numpy as np

from .free import describe_first


def _jsonable(o):
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items() if not str(k).startswith("_")}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if isinstance(o, np.ndarray):
        return _jsonable(o.tolist())
    if isinstance(o, (np.floating, float)):
        v = float(o)
        return v if math.isfinite(v) else repr(v)
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.bool_,)):
        return bool(o)
    return o


def write_json(rec, path):
    with open(path, "w") as fh:
        json.dump(_jsonable(rec), fh, indent=1)


CSV_FIELDS = ("problem", "n", "impl", "ref", "blas", "nit", "nfev", "f", "pg", "status",
              "task", "error", "seconds", "free_identical", "free_first_bitwise",
              "free_first_rtol", "final_x_rel", "final_f_rel", "lockstep_identical",
              "lockstep_identical_strict", "lockstep_quirk_fields", "lockstep_calls",
              "lockstep_first_diff_call", "lockstep_first_field",
              "lockstep_subroutine", "lockstep_stopped_call", "lockstep_stop_reason")


def csv_rows(rec):
    rows = []
    ref_of = dict(rec["pairs"])
    for nm in rec["impls"]:
        row = {"problem": rec["problem"], "n": rec["n"], "impl": nm, "ref": ref_of.get(nm, ""),
               "blas": rec["blas"].get(nm, "")}
        if "free" in rec:
            r = rec["free"]["runs"][nm]
            row.update(nit=r["nit"], nfev=r["nfev"], f=repr(r["f"]), pg=repr(r["pg"]),
                       status=r["status"], task=r["task"], error=r["error"] or "",
                       seconds="%.4f" % r["seconds"])
            c = rec["free"]["compare"].get("%s|%s" % (nm, ref_of.get(nm)))
            if c:
                fb, ft = describe_first(c)
                row.update(free_identical=int(c["identical"]), free_first_bitwise=fb,
                           free_first_rtol=ft, final_x_rel=repr(c["final_x_rel"]),
                           final_f_rel=repr(c["final_f_rel"]))
        ls = rec.get("lockstep", {}).get("%s|%s" % (nm, ref_of.get(nm)))
        if ls:
            fd, dv = ls["first_state_diff"], ls["divergence"]
            row.update(lockstep_identical=int(ls["identical"]),
                       lockstep_identical_strict=int(ls["identical_strict"]),
                       lockstep_quirk_fields=" ".join(sorted(ls["quirk_fields"])),
                       lockstep_calls=ls["steps"],
                       lockstep_first_diff_call="" if fd is None else fd["step"] + 1,
                       lockstep_first_field="" if fd is None else fd["first_field"],
                       lockstep_subroutine="" if fd is None else fd["subroutine"],
                       lockstep_stopped_call="" if dv is None else dv["step"] + 1,
                       lockstep_stop_reason="" if dv is None else dv["reason"])
        rows.append(row)
    return rows


def write_csv(rows, path):
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(r)


#: one (dash, marker) per series: a series drawn on top of an identical one
#: stays visible through its own markers, set at other iterations
_STYLES = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "v"), ((0, (3, 1, 1, 1)), "D"),
           ((0, (5, 2)), "x"), ((0, (1, 1)), "+"), ((0, (4, 1, 1, 1, 1, 1)), "*")]


def _styled(ax, i, k, v, label, count):
    """Plot series ``i`` of ``count`` with its own dash and marker; markers at
    every ``step``-th point, offset by series so identical series interleave."""
    dash, marker = _STYLES[i % len(_STYLES)]
    step = max(count, len(k) // 12 or 1)
    ax.semilogy(k, v, linestyle=dash, marker=marker, markevery=(i % step, step),
                markersize=5, fillstyle="none", lw=1.2, label=label, zorder=3 + count - i)


def _identical_to(traces):
    """{name: earlier name whose f and |pg| series are equal} (for labels)."""
    out, seen = {}, []
    for nm, t in traces.items():
        for other in seen:
            if traces[other]["f"] == t["f"] and traces[other]["pg"] == t["pg"]:
                out[nm] = other
                break
        seen.append(nm)
    return out


def plot_record(rec, path, keep=False):
    """Convergence of f and |proj g| per implementation, and relative
    difference of the iterates against each implementation's reference.

    Every line is labelled; series with equal values are drawn with distinct
    dashes and interleaved markers, and labelled "(= other)", so none hides
    another.  ``keep``: return the figure instead of closing it.
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    if "free" not in rec:
        raise ValueError("plots need a free run (--mode free or both)")
    tr = rec["free"]["traces"]
    same = _identical_to(tr)
    fopt = rec.get("fopt")
    allf = [v for t in tr.values() for v in t["f"] if math.isfinite(v)]
    base = fopt if fopt is not None else (min(allf) if allf else 0.0)
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    for i, (nm, t) in enumerate(tr.items()):
        k = np.arange(1, len(t["f"]) + 1)
        fv = np.array(t["f"]) - base
        fv = np.where(fv > 0, fv, np.nan)
        label = nm + (" (= %s)" % same[nm] if nm in same else "")
        _styled(axes[0], i, k, fv, label, len(tr))
        pg = np.array(t["pg"])
        _styled(axes[1], i, k, np.where(pg > 0, pg, np.nan), label, len(tr))
    axes[0].set_title("f - %s" % ("fopt" if fopt is not None else "min f"))
    axes[1].set_title("|proj g|_inf")
    floor = 1e-18
    cmp = rec["free"]["compare"]
    for i, (key, c) in enumerate(cmp.items()):
        rel = [floor if r == 0.0 else (np.nan if r is None else r) for r in c["it_rel"]]
        k = np.arange(1, len(rel) + 1)
        _styled(axes[2], i, k, rel, "%s vs %s%s" % (
            c["impl"], c["ref"], " (identical: at %g)" % floor if c["identical"] else ""),
            len(cmp))
    axes[2].axhline(rec["options"]["rtol"], color="grey", lw=0.8,
                    label="rtol %g" % rec["options"]["rtol"])
    axes[2].set_title("rel. diff of iterate k (bitwise equal plotted at %g)" % floor)
    for ax in axes:
        ax.set_xlabel("iteration")
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.suptitle("%s (n=%d, m=%d)" % (rec["problem"], rec["n"], rec["options"]["m"]))
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    if keep:
        return fig
    plt.close(fig)
    return None
