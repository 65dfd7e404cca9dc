"""Reports of a record: text, JSON, CSV, plots.

Reads records (the results); nothing here runs an implementation.
"""
from __future__ import annotations

import csv
import json
import math

import numpy as np

from .free import describe_first
from .state import TIME_FIELDS


def _fmt_table(headers, rows):
    w = [len(h) for h in headers]
    for r in rows:
        for i, c in enumerate(r):
            w[i] = max(w[i], len(str(c)))
    line = "  ".join(h.ljust(w[i]) for i, h in enumerate(headers))
    out = [line, "  ".join("-" * x for x in w)]
    for r in rows:
        out.append("  ".join(str(c).ljust(w[i]) for i, c in enumerate(r)))
    return "\n".join(out)


def _g(v, p=17):
    if v is None:
        return "-"
    if isinstance(v, float):
        return ("%%.%dg" % p) % v
    return str(v)


def format_record(rec, detail=8):
    """The readable report of :func:`compare_problem`'s record."""
    o = rec["options"]
    out = ["%s  n=%d  m=%d  factr=%g  pgtol=%g  maxiter=%d  maxfun=%d  rtol=%g%s"
           % (rec["problem"], rec["n"], o["m"], o["factr"], o["pgtol"], o["maxiter"],
              o["maxfun"], o["rtol"], "" if o.get("clip", True) else "  (x0 not clipped)"),
           "reference: %s   pairs: %s" % (rec["reference"], ", ".join(
               "%s vs %s" % p for p in rec["pairs"]) or "-")]
    out.append("BLAS/LAPACK:")
    for nm, b in rec["blas"].items():
        out.append("  %-15s %s" % (nm, b))
    for nm, why in rec["skipped"].items():
        out.append("  %-15s SKIPPED: %s" % (nm, why))
    if rec.get("note"):
        out.append("note: " + rec["note"])
    if "free" in rec:
        out.append("")
        out.append("Free run (each implementation on its own evaluations):")
        rows = []
        ref_of = dict(rec["pairs"])
        for nm in rec["impls"]:
            r = rec["free"]["runs"][nm]
            c = rec["free"]["compare"].get("%s|%s" % (nm, ref_of.get(nm)))
            if c:
                fb, ft = describe_first(c)
                ident = "yes" if c["identical"] else "NO"
                xr = _g(c["final_x_rel"], 3)
            else:
                fb = ft = ident = xr = ""
            rows.append((nm, ref_of.get(nm, "(ref)"), r["nit"], r["nfev"], _g(r["f"]),
                         _g(r["pg"], 3), r["status"], r["task"][:48] + (
                             "  [%s]" % r["error"] if r["error"] else ""),
                         ident, fb, ft, xr))
        out.append(_fmt_table(("impl", "vs", "nit", "nfev", "f", "|proj g|", "st", "task",
                               "bitwise", "first bitwise diff", "first >rtol diff",
                               "x rel"), rows))
        for key, c in rec["free"]["compare"].items():
            if c["final_x_identical"] and not c["final_f_identical"] \
                    and not c.get("final_f_compared", True):
                out.append("  note: %s vs %s: final f differs, not part of the claim: SciPy's "
                           "setulb never writes f back (the Fortran restores f = fold after a "
                           "line-search failure)" % (c["impl"], c["ref"]))
    if "lockstep" in rec:
        out.append("")
        out.append("Lock step (f, g at the driver's x; state compared field by field after "
                   "every call; CPU-time fields %s never compared):" % ", ".join(
                       t.split(".")[1] for t in TIME_FIELDS))
        rows = []
        for key, r in rec["lockstep"].items():
            fd = r["first_state_diff"]
            dv = r["divergence"]
            rows.append((r["impl"], r["driver"], "%d/%d" % (r["steps"], r.get("driver_steps", 0)),
                         ("yes" if r["identical_strict"] else "yes*") if r["identical"] else "NO",
                         "-" if fd is None else "call %d (after %s)" % (fd["step"] + 1,
                                                                       fd["task_before"] or "START"),
                         "-" if fd is None else fd["first_field"],
                         "-" if fd is None else fd["subroutine"].split(" (")[0],
                         "-" if dv is None else "call %d: %s" % (dv["step"] + 1, dv["reason"])
                         + (" [%s]" % r["error"] if r.get("error") else "")))
        out.append(_fmt_table(("impl", "driver", "calls", "identical", "first state diff",
                               "field", "subroutine", "stopped"), rows))
        for key, r in rec["lockstep"].items():
            if r.get("quirk_fields"):
                out.append("  %s vs %s: known SciPy state quirk(s) differ (not counted%s): %s"
                           % (r["impl"], r["driver"], "; yes* = identical otherwise"
                              if r["identical"] else "", ", ".join(
                                  "%s from call %d" % (f, s + 1)
                                  for f, s in r["quirk_fields"].items())))
        for key, r in rec["lockstep"].items():
            fd = r["first_state_diff"]
            if fd is None or not detail:
                continue
            out.append("  %s vs %s, call %d (task before %r, after %r): %d field(s) differ:"
                       % (r["impl"], r["driver"], fd["step"] + 1, fd["task_before"],
                          fd["task_after"], fd["n_fields"]))
            for d in fd["fields"][:detail]:
                where = d["field"]
                if d.get("size") and d["size"] > 1:
                    where += "[%d] (%d of %d differ)" % (d["index"], d["count"], d["size"])
                out.append("    %-34s %s: %s vs %s (driver)%s"
                           % (where, d["subroutine"], _g(d["other"]), _g(d["ref"]),
                              "" if d["rel"] is None else "  rel %.3g" % d["rel"]))
            if fd["n_fields"] > detail:
                out.append("    ... %d more" % (fd["n_fields"] - detail))
    out.append("")
    out.append("(%.2fs, %d f/g evaluations)" % (rec["seconds"], rec["fg_evaluations"]))
    return "\n".join(out)


# ---------------------------------------------------------------------------
# records: JSON, CSV, plots
# ---------------------------------------------------------------------------

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


def plot_record(rec, path):
    """Convergence of f and |proj g| per implementation, and relative
    difference of the iterates against each implementation's reference."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    if "free" not in rec:
        raise ValueError("plots need a free run (--mode free or both)")
    tr = rec["free"]["traces"]
    fopt = rec.get("fopt")
    allf = [v for t in tr.values() for v in t["f"] if math.isfinite(v)]
    base = fopt if fopt is not None else (min(allf) if allf else 0.0)
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    styles = ["-", "--", ":", "-.", (0, (3, 1, 1, 1)), (0, (5, 2))]
    for i, (nm, t) in enumerate(tr.items()):
        k = np.arange(1, len(t["f"]) + 1)
        fv = np.array(t["f"]) - base
        fv = np.where(fv > 0, fv, np.nan)
        axes[0].semilogy(k, fv, linestyle=styles[i % len(styles)], label=nm)
        pg = np.array(t["pg"])
        axes[1].semilogy(k, np.where(pg > 0, pg, np.nan), linestyle=styles[i % len(styles)],
                         label=nm)
    axes[0].set_title("f - %s" % ("fopt" if fopt is not None else "min f"))
    axes[1].set_title("|proj g|_inf")
    floor = 1e-18
    for i, (key, c) in enumerate(rec["free"]["compare"].items()):
        rel = [floor if r == 0.0 else (np.nan if r is None else r) for r in c["it_rel"]]
        k = np.arange(1, len(rel) + 1)
        axes[2].semilogy(k, rel, linestyle=styles[i % len(styles)], marker=".",
                         label="%s vs %s%s" % (c["impl"], c["ref"],
                                               " (identical)" if c["identical"] else ""))
    axes[2].axhline(rec["options"]["rtol"], color="grey", lw=0.8)
    axes[2].set_title("rel. diff of iterate k (identical plotted at %g)" % floor)
    for ax in axes:
        ax.set_xlabel("iteration")
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.suptitle("%s (n=%d, m=%d)" % (rec["problem"], rec["n"], rec["options"]["m"]))
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
