"""Batch: every problem (in worker processes), and the summary table.

Depends on :mod:`comparison` (runs a problem) and :mod:`records` (writes them).
"""
from __future__ import annotations

import os
import time

from .comparison import compare_problem
from .free import describe_first
from .records import csv_rows, plot_record, write_csv, write_json
from .report import WIDTH, _fmt_table, verdict_line
from .state import SCIPY_QUIRKS


def batch_worker(job):
    """Run one problem (in a worker process); returns (name, summary, error)."""
    name, kw, outdir, plot = job
    try:
        rec = compare_problem(name, **kw)
    except Exception as exc:                          # noqa: BLE001
        import traceback
        return name, None, "%s: %s\n%s" % (type(exc).__name__, exc, traceback.format_exc())
    if outdir:
        write_json(rec, os.path.join(outdir, "%s.json" % name))
        write_csv(csv_rows(rec), os.path.join(outdir, "%s.csv" % name))
        if plot and "free" in rec:
            try:
                plot_record(rec, os.path.join(outdir, "%s.png" % name))
            except Exception as exc:                  # noqa: BLE001
                rec["plot_error"] = str(exc)
    return name, _batch_summary(rec), None


def _batch_summary(rec):
    s = {"problem": rec["problem"], "n": rec["n"], "seconds": rec["seconds"],
         "pairs": {}, "rows": csv_rows(rec), "skipped": rec["skipped"]}
    for a, b in rec["pairs"]:
        key = "%s|%s" % (a, b)
        fr = rec.get("free", {}).get("compare", {}).get(key)
        ls = rec.get("lockstep", {}).get(key)
        s["pairs"][key] = {
            "free": None if fr is None else bool(fr["identical"]),
            "free_first": None if fr is None else describe_first(fr)[0],
            "lockstep": None if ls is None else bool(ls["identical"]),
            "lockstep_strict": None if ls is None else bool(ls["identical_strict"]),
            "quirk_fields": None if ls is None else sorted(ls["quirk_fields"]),
            "lockstep_field": None if not ls or not ls["first_state_diff"]
            else ls["first_state_diff"]["first_field"],
            "lockstep_subroutine": None if not ls or not ls["first_state_diff"]
            else ls["first_state_diff"]["subroutine"],
        }
        v = rec.get("verdicts", {}).get(key)
        if v is not None:
            e = v["explanation"]
            s["pairs"][key].update(
                verdict="agree" if v["agree"] else "differ" if e is None
                else "explained" if e["explained"] else "unexplained",
                cause=None if not e else (" + ".join(e["by"]) or e["cause"]),
                verdict_line=verdict_line(v))
    return s


def run_batch(names, kw, jobs=1, outdir=None, plot=False, progress=None, sizes=None):
    """Run every problem in ``names`` (parallel with ``jobs`` spawn
    processes; ``sizes``: {name: n}); returns (summaries, errors)."""
    if outdir:
        os.makedirs(outdir, exist_ok=True)
    sizes = sizes or {}
    todo = [(nm, dict(kw, n=sizes.get(nm, kw.get("n"))), outdir, plot) for nm in names]
    summaries, errors = [], {}
    t0 = time.perf_counter()

    def note(i, name, summ, err):
        if progress is not None:
            progress(i, len(todo), name, summ, err, time.perf_counter() - t0)

    if jobs <= 1:
        for i, job in enumerate(todo, 1):
            name, summ, err = batch_worker(job)
            (errors.__setitem__(name, err) if err else summaries.append(summ))
            note(i, name, summ, err)
    else:
        import multiprocessing as mp
        ctx = mp.get_context("spawn")
        with ctx.Pool(jobs) as pool:
            for i, (name, summ, err) in enumerate(pool.imap_unordered(batch_worker, todo), 1):
                (errors.__setitem__(name, err) if err else summaries.append(summ))
                note(i, name, summ, err)
    summaries.sort(key=lambda s: s["problem"])
    return summaries, errors


def verdict_summary(counts, max_listed=60):
    """Lines: per pair, how many problems agree, differ explained (by which
    deviations) and differ unexplained (listed with their first difference)."""
    out = []
    for key, c in sorted(counts.items()):
        a, b = key.split("|")
        v = c["verdicts"]
        n = sum(v.values())
        if not n:
            continue
        parts = ["%d agree bit for bit" % v.get("agree", 0)]
        if v.get("explained"):
            parts.append("%d differ, explained" % v["explained"])
        if v.get("differ"):
            parts.append("%d differ (not attributed)" % v["differ"])
        parts.append("%d UNEXPLAINED" % v.get("unexplained", 0))
        out.append("%s vs %s (%d problems): %s" % (a, b, n, ", ".join(parts)))
        for cause, k in sorted(c["causes"].items(), key=lambda kv: -kv[1]):
            out.append("    %3d x explained by %s" % (k, cause))
        for prob, line in c["unexplained"][:max_listed]:
            out.append("    UNEXPLAINED %s: %s" % (prob, line.split(": ", 1)[1]))
    return out


def batch_table(summaries, errors, max_listed=60):
    """Summary: the verdicts per pair (agree / explained / unexplained), then
    bitwise-identical counts per pair, and the non-identical ones."""
    counts = {}
    for s in summaries:
        for key, p in s["pairs"].items():
            c = counts.setdefault(key, {"free": [0, 0], "lockstep": [0, 0],
                                        "lockstep_strict": [0, 0], "bad": [], "quirks": {},
                                        "verdicts": {}, "causes": {}, "unexplained": []})
            if p.get("verdict"):
                c["verdicts"][p["verdict"]] = c["verdicts"].get(p["verdict"], 0) + 1
                if p["verdict"] == "explained":
                    c["causes"][p["cause"]] = c["causes"].get(p["cause"], 0) + 1
                if p["verdict"] == "unexplained":
                    c["unexplained"].append((s["problem"], p["verdict_line"]))
            for mode in ("free", "lockstep", "lockstep_strict"):
                if p.get(mode) is not None:
                    c[mode][1] += 1
                    c[mode][0] += int(p[mode])
            for f in p.get("quirk_fields") or ():
                c["quirks"][f] = c["quirks"].get(f, 0) + 1
            if p["free"] is False or p["lockstep"] is False:
                c["bad"].append((s["problem"], p))
    rows = []
    for key, c in sorted(counts.items()):
        a, b = key.split("|")
        rows.append(("%s vs %s" % (a, b),
                     "%d/%d" % tuple(c["free"]) if c["free"][1] else "-",
                     "%d/%d" % tuple(c["lockstep"]) if c["lockstep"][1] else "-",
                     "%d/%d" % tuple(c["lockstep_strict"]) if c["lockstep_strict"][1] else "-",
                     ", ".join("%s (%d)" % kv for kv in sorted(c["quirks"].items())) or "-"))
    out = verdict_summary(counts, max_listed)
    if out:
        out.append("")
    out += ["Bitwise-identical problems per pair (lock step: every state field after every "
            "call;", "strict: also SciPy's nseg state quirk %s):" % ", ".join(SCIPY_QUIRKS),
            _fmt_table(("pair", "free run", "lock step", "strict", "quirk fields (problems)"),
                       rows, WIDTH)]
    for key, c in sorted(counts.items()):
        if not c["bad"]:
            continue
        a, b = key.split("|")
        out.append("")
        out.append("%s vs %s: not identical on %d problem(s):" % (a, b, len(c["bad"])))
        firsts = {}
        for _, p in c["bad"]:
            if p["lockstep"] is False and p["lockstep_field"]:
                k = "%s (%s)" % (p["lockstep_field"], p["lockstep_subroutine"].split(" (")[0])
                firsts[k] = firsts.get(k, 0) + 1
        if firsts:
            out.append("  first differing lock-step field: " + ", ".join(
                "%s x%d" % kv for kv in sorted(firsts.items(), key=lambda kv: -kv[1])))
        for prob, p in c["bad"][:max_listed]:
            out.append("  %-12s free: %-28s lock step: %s" % (
                prob, "identical" if p["free"] else (p["free_first"] or "-"),
                "identical" if p["lockstep"] else "%s (%s)" % (
                    p["lockstep_field"], (p["lockstep_subroutine"] or "-").split(" (")[0])))
        if len(c["bad"]) > max_listed:
            out.append("  ... %d more" % (len(c["bad"]) - max_listed))
    if errors:
        out.append("")
        out.append("Errors (%d):" % len(errors))
        for nm, e in sorted(errors.items()):
            out.append("  %s: %s" % (nm, e.splitlines()[0]))
    return "\n".join(out), counts
