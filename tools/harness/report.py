"""The readable report of a record: the verdict first, one line per pair, then
the detail (free-run and lock-step tables, the first differing fields).

Tables fit :data:`WIDTH` columns unless ``wide``; abbreviations are listed in
a legend under the tables that use them.  Reads records (the results);
nothing here runs an implementation.
"""
from __future__ import annotations

import re
import textwrap

from .free import describe_first
from .state import TIME_FIELDS

#: the default width of the report
WIDTH = 100

#: short forms of the final task (narrow tables), with the legend's text
TASK_SHORT = (
    ("CONVERGENCE: NORM_OF_PROJECTED_GRADIENT", "conv-pg", "converged: |proj g| <= pgtol"),
    ("CONVERGENCE: REL_REDUCTION_OF_F", "conv-f", "converged: relative reduction of f <= factr*eps"),
    ("ABNORMAL", "abnormal", "ABNORMAL_TERMINATION_IN_LNSRCH (line search failed)"),
    ("STOP: TOTAL NO. OF ITERATIONS", "maxiter", "stopped: iteration limit"),
    ("STOP: TOTAL NO. OF F,G", "maxfun", "stopped: f/g evaluation limit"),
    ("WARNING", "warning", "a line-search warning ended the run"),
    ("ERROR", "error", "ERROR: invalid input"),
)


def _fmt_table(headers, rows, width=None):
    """Aligned text table; with ``width``, the widest columns are cut (ending
    in '~') until a line fits."""
    rows = [[str(c) for c in r] for r in rows]
    w = [len(h) for h in headers]
    for r in rows:
        for i, c in enumerate(r):
            w[i] = max(w[i], len(c))
    if width:
        while sum(w) + 2 * (len(w) - 1) > width:
            i = max(range(len(w)), key=lambda k: w[k])
            if w[i] <= max(len(headers[i]), 6):
                break
            w[i] -= 1

    def cut(c, k):
        return c if len(c) <= k else c[:k - 1] + "~"
    line = "  ".join(cut(h, w[i]).ljust(w[i]) for i, h in enumerate(headers))
    out = [line.rstrip(), "  ".join("-" * x for x in w)]
    for r in rows:
        out.append("  ".join(cut(c, w[i]).ljust(w[i]) for i, c in enumerate(r)).rstrip())
    return "\n".join(out)


def _g(v, p=17):
    if v is None:
        return "-"
    if isinstance(v, float):
        return ("%%.%dg" % p) % v
    return str(v)


def task_short(task):
    t = " ".join(task.split()).upper()
    for prefix, short, _ in TASK_SHORT:
        if t.startswith(prefix):
            return short
    return task[:12]


def _basenames(text):
    """Library paths cut to their file names (narrow reports)."""
    return re.sub(r"/[^\s,]*/", "", text)


def _sub(text):
    """The subroutine's name alone ('formt (dpotrf)' -> 'formt')."""
    return (text or "-").split(" (")[0]


# ---------------------------------------------------------------------------
# the verdict
# ---------------------------------------------------------------------------

def verdict_line(v):
    """One sentence a newcomer can read, for one pair's verdict."""
    head = "%s vs %s: " % (v["impl"], v["ref"])
    if v["agree"]:
        return head + "agree bit for bit"
    if v["fg_first"] is not None:
        where = "differ from f/g point %d" % v["fg_first"]
    elif v["it_first"] is not None:
        where = "differ from iterate %d" % v["it_first"]
    elif v["lock_first"] is not None:
        where = "same path, differ in the saved state (from call %d)" % (
            v["lock_first"]["step"] + 1)
    else:
        where = "differ at the end (final x, f, task or counts)"
    e = v.get("explanation")
    if e is None:
        return head + where + " (not attributed; attribution is off)"
    if e["explained"]:
        by = " + ".join(e["by"]) if e["by"] else e["cause"]
        alt = "" if not e["alternatives"] else " (or: %s)" % "; ".join(
            " + ".join(a) for a in e["alternatives"])
        return head + where + ", explained by " + by + alt
    f = e.get("first")
    detail = ""
    if f:
        detail = ": first differing field %s (%s) after call %d" % (
            f["field"], _sub(f["subroutine"]), f["step"] + 1)
        if f.get("replay_of"):
            detail += " of the closest replay of %s (port:%s)" % (
                f["replay_of"], "+".join(f["flavour"]) or "fortran")
    return head + where + ", UNEXPLAINED" + detail + " (%s)" % e["cause"]


def verdict_lines(rec, width=WIDTH):
    """The verdict lines of ``rec``, each wrapped to ``width`` (None: unwrapped)."""
    out = []
    for v in rec.get("verdicts", {}).values():
        line = verdict_line(v)
        out += textwrap.wrap(line, width, subsequent_indent="    ") if width else [line]
    return out


# ---------------------------------------------------------------------------
# the detail
# ---------------------------------------------------------------------------

class _Legend:
    """Short names for long implementation names, and the abbreviations used."""

    def __init__(self, wide):
        self.wide = wide
        self.names = {}
        self.used = set()

    def impl(self, nm):
        if self.wide or len(nm) <= 14:
            return nm
        if nm not in self.names:
            self.names[nm] = "%s#%d" % (nm.split(":")[0], len(self.names) + 1)
        return self.names[nm]

    def task(self, task):
        if self.wide:
            return task
        s = task_short(task)
        self.used.add(s)
        return s

    def lines(self, extra=()):
        out = ["%s = %s" % (s, nm) for nm, s in self.names.items()]
        out += ["%s: %s" % (s, txt) for _, s, txt in TASK_SHORT if s in self.used]
        out += list(extra)
        if not out:
            return []
        return textwrap.wrap("legend: " + "; ".join(out), WIDTH,
                             subsequent_indent="        ")


def _free_table(rec, lg):
    rows = []
    ref_of = dict(rec["pairs"])
    for nm in rec["impls"]:
        r = rec["free"]["runs"][nm]
        c = rec["free"]["compare"].get("%s|%s" % (nm, ref_of.get(nm)))
        fb = ft = ident = xr = ""
        if c:
            fb, ft = describe_first(c)
            ident = "yes" if c["identical"] else "NO"
            xr = _g(c["final_x_rel"], 3)
        task = lg.task(r["task"]) + ("  [%s]" % r["error"] if r["error"] else "")
        vs = lg.impl(ref_of.get(nm, "(against)"))
        if lg.wide:
            rows.append((nm, vs, r["nit"], r["nfev"], _g(r["f"]), _g(r["pg"], 3),
                         r["status"], task, ident, fb, ft, xr))
        else:
            rows.append((lg.impl(nm), vs, r["nit"], r["nfev"], _g(r["f"], 12),
                         _g(r["pg"], 2), task, ident, fb.replace("f/g point #", "fg#")
                         .replace("iterate #", "it#")))
    if lg.wide:
        return _fmt_table(("impl", "vs", "nit", "nfev", "f", "|proj g|", "st", "task",
                           "bitwise", "first bitwise diff", "first >rtol diff", "x rel"), rows)
    return _fmt_table(("impl", "vs", "nit", "nfev", "f", "|pg|", "task", "bitwise",
                       "first diff"), rows, WIDTH)


def _lock_table(rec, lg):
    rows = []
    for r in rec["lockstep"].values():
        fd, dv = r["first_state_diff"], r["divergence"]
        ident = ("yes" if r["identical_strict"] else "yes*") if r["identical"] else "NO"
        calls = "%d/%d" % (r["steps"], r.get("driver_steps", 0))
        if lg.wide:
            rows.append((r["impl"], r["driver"], calls, ident,
                         "-" if fd is None else "call %d (after %s)" % (
                             fd["step"] + 1, fd["task_before"] or "START"),
                         "-" if fd is None else fd["first_field"],
                         "-" if fd is None else _sub(fd["subroutine"]),
                         "-" if dv is None else "call %d: %s" % (dv["step"] + 1, dv["reason"])
                         + (" [%s]" % r["error"] if r.get("error") else "")))
        else:
            rows.append((lg.impl(r["impl"]), lg.impl(r["driver"]), calls, ident,
                         "-" if fd is None else fd["step"] + 1,
                         "-" if fd is None else fd["first_field"],
                         "-" if fd is None else _sub(fd["subroutine"]),
                         "-" if dv is None else dv["step"] + 1))
    if lg.wide:
        return _fmt_table(("impl", "driver", "calls", "identical", "first state diff",
                           "field", "subroutine", "stopped"), rows)
    return _fmt_table(("impl", "driver", "calls", "identical", "1st diff", "field",
                       "subroutine", "stop"), rows, WIDTH)


def _lock_detail(rec, detail):
    out = []
    for r in rec["lockstep"].values():
        if r.get("quirk_fields"):
            out += textwrap.wrap(
                "%s vs %s: SciPy's nseg/nintol state quirk differs (not counted%s): %s"
                % (r["impl"], r["driver"], "; yes* = identical otherwise"
                   if r["identical"] else "", ", ".join(
                       "%s from call %d" % (f, s + 1) for f, s in r["quirk_fields"].items())),
                WIDTH, initial_indent="  ", subsequent_indent="    ")
    for r in rec["lockstep"].values():
        fd = r["first_state_diff"]
        if fd is None or not detail:
            continue
        out += textwrap.wrap("%s vs %s, call %d (task before %r, after %r): %d field(s) differ:"
                             % (r["impl"], r["driver"], fd["step"] + 1, fd["task_before"],
                                fd["task_after"], fd["n_fields"]),
                             WIDTH, initial_indent="  ", subsequent_indent="    ")
        for d in fd["fields"][:detail]:
            where = d["field"]
            if d.get("size") and d["size"] > 1:
                where += "[%d] (%d of %d)" % (d["index"], d["count"], d["size"])
            head = "    %-28s %-8s %s" % (where, _sub(d["subroutine"]), _g(d["other"]))
            tail = "vs %s%s" % (_g(d["ref"]), "" if d["rel"] is None else "  rel %.2g" % d["rel"])
            # (17 digits and a long subroutine name may not fit: "vs" goes below)
            out += ([head + " " + tail] if len(head) + 1 + len(tail) <= WIDTH
                    else [head, " " * 42 + tail])
        if fd["n_fields"] > detail:
            out.append("    ... %d more" % (fd["n_fields"] - detail))
    return out


def format_record(rec, detail=8, wide=False):
    """The readable report of :func:`compare_problem`'s record: the verdict
    (one line per pair), then the detail; ``wide``: every column, unabridged."""
    o = rec["options"]
    out = ["%s (n=%d, m=%d, factr=%g, pgtol=%g, maxiter=%d, maxfun=%d%s)"
           % (rec["problem"], rec["n"], o["m"], o["factr"], o["pgtol"], o["maxiter"],
              o["maxfun"], "" if o.get("clip", True) else ", x0 not clipped")]
    out += verdict_lines(rec, None if wide else WIDTH)
    lg = _Legend(wide)
    out.append("")
    out.append("checked against: %s; BLAS/LAPACK:" % rec["reference"])
    for nm, b in rec["blas"].items():
        out.append("  %-15s %s" % (lg.impl(nm), b if wide else _basenames(b)))
    for nm, why in rec["skipped"].items():
        out.append("  %-15s SKIPPED: %s" % (nm, why))
    if rec.get("note"):
        out.append("note: " + rec["note"])
    if "free" in rec:
        out.append("")
        out.append("Free run (each implementation on its own evaluations; rtol %g):" % o["rtol"])
        out.append(_free_table(rec, lg))
        for c in rec["free"]["compare"].values():
            if c["final_x_identical"] and not c["final_f_identical"] \
                    and not c.get("final_f_compared", True):
                out += textwrap.wrap(
                    "note: %s vs %s: final f differs, not part of the claim: SciPy's setulb "
                    "never writes f back (the Fortran restores f = fold after a line-search "
                    "failure)" % (c["impl"], c["ref"]), WIDTH, initial_indent="  ",
                    subsequent_indent="    ")
    if "lockstep" in rec:
        out.append("")
        out += textwrap.wrap(
            "Lock step (f, g at the driver's x; the state compared field by field after every "
            "call; CPU-time fields %s never compared):" % ", ".join(
                t.split(".")[1] for t in TIME_FIELDS), WIDTH)
        out.append(_lock_table(rec, lg))
        out += _lock_detail(rec, detail)
    extra = []
    if not wide:
        if "free" in rec:
            extra += ["|pg|: inf-norm of the projected gradient",
                      "fg#k / it#k: first f/g point / iterate not bitwise equal"]
        if "lockstep" in rec:
            extra += ["calls: setulb calls compared / run by the driver",
                      "1st diff, stop: call of the first state difference / of leaving "
                      "the driver's path", "yes*: identical but for SciPy's nseg quirk"]
    out += lg.lines(extra)
    out.append("")
    out.append("(%.2fs, %d f/g evaluations)" % (rec["seconds"], rec["fg_evaluations"]))
    text = "\n".join(out)
    return text if wide else "\n".join(
        piece for ln in text.split("\n") for piece in _fit(ln, WIDTH))


def _fit(line, width):
    """``line`` as lines of at most ``width`` columns: as it is when it fits,
    else wrapped at spaces (a word longer than a line cut), continuation
    lines indented 4 more than ``line``.  Whatever the fields, numbers
    (their digits depend on the CPU's kernels) or names, the report keeps
    its width."""
    if len(line) <= width:
        return [line]
    lead = line[:len(line) - len(line.lstrip(" "))]
    indent = (lead + "    ")[:width // 2]
    return textwrap.wrap(line, width, initial_indent="", subsequent_indent=indent,
                         break_long_words=True, break_on_hyphens=False) or [""]
