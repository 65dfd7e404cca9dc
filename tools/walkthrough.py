"""Learn L-BFGS-B by watching it: an illustrated, executed walkthrough.

    python3 -P tools/walkthrough.py [--problem MODULE:FUNCTION] [--n N] [--m M] [--out DIR]

runs the port on a 2-D problem (default: reference/teaching.py, built so that
one run shows every part of the algorithm; ``--problem`` as in
tools/compare.py: FUNCTION() returns ``(fg, x0, lower, upper)``) and writes

* ``DIR/index.html`` (default DIR = out/walkthrough): one self-contained page,
  one section per iteration with four pictures (the Cauchy path, the
  piecewise model along it, the subspace step, the line search), each beside
  its equation, the port's lines that compute it (read from the source files
  now, by function and equation tag) and the solver's numbers with their
  checks against dense algebra; step with the links or the arrow keys;
* ``DIR/walkthrough.json``: the numbers, ``{"problem": ..., "iterations": [...]}``.

Every number is the solver's, read from its state during the run
(tools/explain.py: the ``setulb`` workspace, and the solver's own kernels
replayed on it); tools/qmodel.py recomputes them by dense algebra for the
checks.  Nothing is fetched from the network when the page is read.
"""
import argparse
import base64
import html
import json
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import explain                                   # noqa: E402
import walkthrough_figures as figs               # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PROBLEM = "reference.teaching:problem"
MAXITER = 60

# ---------------------------------------------------------------------------
# the numbers


def _num(a):
    """JSON numbers: floats (inf as null), lists of them."""
    if a is None:
        return None
    if isinstance(a, (list, tuple)):
        return [_num(v) for v in a]
    a = np.asarray(a)
    if a.ndim:
        return [_num(v) for v in a]
    v = a.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


def iteration_json(rep):
    """The numbers of one iteration (tools/explain.py's report), for JSON."""
    step = ("skipped" if not rep["subsm_ran"] else "backtracked" if rep["backtracked"]
            else "projected" if rep["projected"] else "inside")
    trials = [dict(alpha=t["stp"], x=_num(t["x"]), f=t["f"], gd=t["gd"], ftest=t["ftest"],
                   sufficient_decrease=bool(t["armijo"]), curvature=bool(t["curvature"]),
                   dcsrch=t["verdict"],
                   bracket=_num(sorted((t["stx"], t["sty"]))) if t["brackt"] else None)
              for t in rep["trials"]]
    up = rep["update"] or {}
    return dict(
        k=rep["k"], x=_num(rep["x"]), f=rep["f"], g=_num(rep["g"]), theta=rep["theta"],
        S=_num(rep["S"].T), Y=_num(rep["Y"].T), sbgnrm=rep["sbgnrm"],
        breakpoints=[t for t, _ in rep["breakpoints"]],
        breakpoint_variables=[v - 1 for _, v in rep["breakpoints"]],
        segments=[dict(t0=s["t0"], t1=_num(s["t1"]), fp=s["fp"], fpp=s["fpp"],
                       dtstar=_num(s["dtstar"])) for s in rep["segments"]],
        nseg=rep["nseg"], tstar=rep["tstar"], xcp=_num(rep["xcp"]),
        free=[int(i) for i in rep["free"]],
        reduced_gradient=_num(rep["reduced_grad"]), z_newton=_num(rep["newton"]),
        projection=_num(rep.get("proj")) if rep["subsm_ran"] else None,
        subspace_step=step, alpha_backtrack=rep["alpha"], iword=rep["iword"],
        z=_num(rep["z"]), d=_num(rep["d"]), stpmax=rep["stpmx"], ginit=rep["ginit"],
        trials=trials, x_next=_num(rep["x_new"]), f_next=rep["f_new"],
        update=dict(updated=bool(up.get("updated")), skipped=bool(up.get("skipped")),
                    sy=up.get("sy"), theta=up.get("theta")),
        checks=[[name, bool(ok)] for name, ok in rep["checks"]])


def collect(problem, m=5, flavour="fortran", kernels="reference"):
    """Run the solver on ``problem`` (n = 2); return (reps, final task).

    The kernels are the port's reference-order BLAS/LAPACK by default, so the
    page's numbers are the same bits on every CPU."""
    if problem.n != 2:
        raise ValueError(f"the pictures are 2-D: {problem.name} has n = {problem.n} "
                         "(give a problem with n = 2, e.g. --n 2)")
    reps, calls = explain.explain_all(problem, MAXITER, m=m, flavour=flavour, kernels=kernels)
    if not reps:
        raise ValueError(f"{problem.name}: the run stopped before its first iteration "
                         f"({calls[-1].task})")
    return reps, calls[-1].task


# ---------------------------------------------------------------------------
# the port's lines, read from the source files by function and tag

def _source_files():
    out = []
    for base, _, files in os.walk(os.path.join(ROOT, "lbfgsb")):
        out += [os.path.join(base, f) for f in sorted(files) if f.endswith(".pyx")]
    return sorted(out)


def function_body(name):
    """(path, first line number, lines) of the cdef/def function ``name``."""
    pat = re.compile(r"^(cdef|cpdef|def) [^\n(]*\b%s\(" % re.escape(name))
    for path in _source_files():
        with open(path) as fh:
            lines = fh.read().splitlines()
        for i, line in enumerate(lines):
            if pat.match(line):
                j = i + 1
                while j < len(lines) and not re.match(r"^(cdef|cpdef|def|class) ", lines[j]):
                    j += 1
                return path, i + 1, lines[i:j]
    raise LookupError(f"no function {name} in lbfgsb/")


def tagged_lines(name, tag):
    """[(path, line number, text)] of the lines of function ``name`` whose
    comment carries ``tag`` (e.g. "(4.1)")."""
    path, first, body = function_body(name)
    out = []
    for i, line in enumerate(body):
        code, sep, comment = line.partition("#")
        if sep and tag in comment:
            out.append((path, first + i, line))
    return out


# ---------------------------------------------------------------------------
# the page

# each panel: key, title, the equation (HTML), the citations (tag, function)
PANELS = [
    ("a", "The Cauchy search: path and breakpoints",
     "m<sub>k</sub>(x) = f<sub>k</sub> + g<sub>k</sub>′(x − x<sub>k</sub>) + ½ (x − x<sub>k</sub>)′"
     "B<sub>k</sub>(x − x<sub>k</sub>) <span class=n>(2.1)</span>, "
     "B<sub>k</sub> = θI − W M W′ <span class=n>(3.2)</span><br>"
     "x(t) = P(x<sub>k</sub> − t g<sub>k</sub>, l, u) <span class=n>(2.2)</span>; "
     "t<sub>i</sub> = (x<sub>i</sub> − u<sub>i</sub>)/g<sub>i</sub> if g<sub>i</sub> &lt; 0, "
     "(x<sub>i</sub> − l<sub>i</sub>)/g<sub>i</sub> if g<sub>i</sub> &gt; 0, ∞ otherwise "
     "<span class=n>(4.1)</span>; on a segment the direction is d<sub>i</sub> = −g<sub>i</sub> "
     "for the variables not yet at a bound, 0 for the others <span class=n>(4.2)</span>",
     [("(4.1)", "cauchy"), ("(4.2)", "cauchy")],
     ("x_k", "g_k", "f_k", "max |projgr", "projected gradient", "replayed cauchy",
      "breakpoints")),
    ("b", "Algorithm CP: one quadratic per segment",
     "on the segment [t<sub>j−1</sub>, t<sub>j</sub>]: f′ = g′d + d′B z <span class=n>(4.4)</span>, "
     "f″ = d′B d <span class=n>(4.5)</span>, with z = x(t<sub>j−1</sub>) − x<sub>k</sub>; "
     "the segment's minimiser lies Δt* = −f′/f″ from its start (Algorithm CP); "
     "if Δt* &lt; t<sub>j</sub> − t<sub>j−1</sub> the search stops there, otherwise the "
     "variable of t<sub>j</sub> is fixed at its bound and f′, f″ are updated "
     "<span class=n>(4.9)–(4.12)</span>; c = W′(x<sup>c</sup> − x<sub>k</sub>) is kept "
     "<span class=n>(4.13)</span>",
     [("(4.4)", "cauchy"), ("(4.5)", "cauchy"), ("(4.9)-(4.12)", "cauchy"),
      ("Algorithm CP", "cauchy"), ("(4.13)", "cauchy")],
     ("xcp ==", "nseg", "t* of")),
    ("c", "Subspace minimisation on the free face",
     "r̂<sup>c</sup> = Z′(g<sub>k</sub> + B<sub>k</sub>(x<sup>c</sup> − x<sub>k</sub>)) "
     "<span class=n>(5.4)</span> (cmprlb stores −r̂<sup>c</sup>); "
     "d̂<sup>u</sup> = −(Z′B<sub>k</sub>Z)<sup>−1</sup> r̂<sup>c</sup> "
     "<span class=n>(5.7)</span>, through (5.10)–(5.11)<br>"
     "MN11: z = P(x<sup>c</sup> + Z d̂<sup>u</sup>), kept if (z − x<sub>k</sub>)′g<sub>k</sub> ≤ 0; "
     "otherwise α* = max{α ≤ 1 : l − x<sup>c</sup> ≤ α Z d̂<sup>u</sup> ≤ u − x<sup>c</sup>} "
     "<span class=n>(5.8)</span>, z = x<sup>c</sup> + α* Z d̂<sup>u</sup> "
     "<span class=n>(5.9)</span>; then d = z − x<sub>k</sub>",
     [("(5.4)", "cmprlb"), ("(5.7)", "subsm"), ("[MN11]", "subsm"), ("(5.8)", "subsm"),
      ("(5.9)", "subsm")],
     ("free set", "replayed subsm", "reduced gradient", "Newton", "iword", "projected:",
      "backtracked:", "d == z")),
    ("d", "Line search along d (Moré–Thuente)",
     "φ(α) = f(x<sub>k</sub> + α d), 0 &lt; α ≤ stpmax (the step to the nearest bound); "
     "accept α when φ(α) ≤ φ(0) + 10<sup>−3</sup> α φ′(0) <span class=n>(2.5)</span> and "
     "|φ′(α)| ≤ 0.9 |φ′(0)| <span class=n>(2.6)</span>; until then dcsrch narrows a "
     "bracket around the steps that satisfy both",
     [("(2.5)", "dcsrch"), ("(2.6)", "dcsrch")],
     ("trial", "g0'd", "accepted")),
]


def citations():
    """[(tag, function)] of every equation the page points to in the code."""
    return [c for p in PANELS for c in p[3]]


def _fmt(v):
    if v is None:
        return "–"
    a = np.asarray(v, float)
    if a.ndim == 0:
        return "%.6g" % float(a)
    return "(" + ", ".join("%.6g" % t for t in a.ravel()) + ")"


def _row(name, value, title=None):
    t = f' title="{html.escape(title)}"' if title else ""
    return f"<tr><th>{name}</th><td{t}>{html.escape(value)}</td></tr>"


def _numbers(key, rep):
    rows = []
    if key == "a":
        rows += [_row("x<sub>k</sub>", _fmt(rep["x"])), _row("g<sub>k</sub>", _fmt(rep["g"])),
                 _row("θ, pairs", "%s, %d" % (_fmt(rep["theta"]), rep["col"]))]
        for j in range(rep["col"]):
            rows.append(_row(f"s, y (pair {j + 1})", f"{_fmt(rep['S'][:, j])}, "
                             f"{_fmt(rep['Y'][:, j])}"))
        rows.append(_row("breakpoints t<sub>i</sub>", ", ".join(
            "%s (x%d)" % (_fmt(t), v) for t, v in rep["breakpoints"]) or "none"))
    elif key == "b":
        for j, s in enumerate(rep["segments"], 1):
            rows.append(_row(f"segment {j}", "from t = %s: f′ = %s, f″ = %s, Δt* = %s%s" % (
                _fmt(s["t0"]), _fmt(s["fp"]), _fmt(s["fpp"]), _fmt(s["dtstar"]),
                "" if not np.isfinite(s["t1"]) else ", next breakpoint after %s"
                % _fmt(s["t1"] - s["t0"]))))
        rows += [_row("nseg (solver)", str(rep["nseg"])), _row("t*", _fmt(rep["tstar"])),
                 _row("x<sup>c</sup>", _fmt(rep["xcp"]))]
    elif key == "c":
        rows.append(_row("free at x<sup>c</sup>", ", ".join("x%d" % (i + 1) for i in rep["free"])
                         or "none"))
        if rep["subsm_ran"]:
            rows += [_row("r̂<sup>c</sup>", _fmt(rep["reduced_grad"])),
                     _row("d̂<sup>u</sup>", _fmt(rep["du"])),
                     _row("x<sup>c</sup> + Z d̂<sup>u</sup>", _fmt(rep["newton"]))]
            if rep["iword"] == 1:
                rows.append(_row("P(x<sup>c</sup> + Z d̂<sup>u</sup>)", _fmt(rep["proj"])))
                rows.append(_row("(P − x<sub>k</sub>)′g<sub>k</sub>", _fmt(rep["dd_p"])))
            if rep["backtracked"]:
                rows.append(_row("α*", _fmt(rep["alpha"])))
        rows += [_row("z", _fmt(rep["z"])), _row("d = z − x<sub>k</sub>", _fmt(rep["d"]))]
    else:
        rows.append(_row("φ(0), φ′(0), stpmax", "%s, %s, %s" % (
            _fmt(rep["finit"]), _fmt(rep["ginit"]), _fmt(rep["stpmx"]))))
        for j, t in enumerate(rep["trials"], 1):
            br = ("bracket [%s, %s]" % tuple(_fmt(v) for v in sorted((t["stx"], t["sty"])))
                  if t["brackt"] else "no bracket yet")
            rows.append(_row(f"trial {j}", "α = %s: f = %s (%s (2.5)), φ′ = %s (%s (2.6)); "
                             "dcsrch: %s; %s" % (
                                 _fmt(t["stp"]), _fmt(t["f"]),
                                 "meets" if t["armijo"] else "fails", _fmt(t["gd"]),
                                 "meets" if t["curvature"] else "fails",
                                 t["verdict"].split(":")[0], br)))
        rows.append(_row("x<sub>k+1</sub>", _fmt(rep["x_new"])))
    return "<table class=num>" + "".join(rows) + "</table>"


def _checks(rep, prefixes, used):
    items = []
    for name, ok in rep["checks"]:
        if name.startswith(prefixes) and name not in used:
            used.add(name)
            items.append(f"<li class={'ok' if ok else 'fail'}>[{'ok' if ok else 'FAIL'}] "
                         f"{html.escape(name)}</li>")
    return "<ul class=checks>" + "".join(items) + "</ul>"


def _code(cites):
    out = []
    for tag, fn in cites:
        lines = tagged_lines(fn, tag)
        where = f"<code class=cite data-eq='{html.escape(tag)}' data-fn='{fn}'>{fn}</code>"
        body = "\n".join("%s:%d  %s" % (os.path.relpath(p, ROOT), n, t.strip())
                         for p, n, t in lines)
        out.append(f"<div class=src>{html.escape(tag)} in {where}"
                   f"<pre>{html.escape(body)}</pre></div>")
    return "".join(out)


def _img(svg, alt):
    data = base64.b64encode(svg.encode()).decode()
    return f"<img class=fig alt='{html.escape(alt)}' src='data:image/svg+xml;base64,{data}'>"


def _summary(rep):
    bits = []
    passed = max(len(rep["segments"]) - 1, 0)
    if passed:
        bits.append(f"the Cauchy search passes {passed} breakpoint(s)")
    bits.append({"skipped": "no subspace step", "inside": "the Newton point is inside the box",
                 "projected": "the Newton point is projected (MN11)",
                 "backtracked": "the projection is uphill: backtracking (5.8)–(5.9)"}[
        "skipped" if not rep["subsm_ran"] else "backtracked" if rep["backtracked"]
        else "projected" if rep["projected"] else "inside"])
    bits.append(f"{len(rep['trials'])} line-search trial(s)")
    text = "; ".join(bits)
    return text[0].upper() + text[1:]


def section(rep, problem, l, u, nbd, code):
    k = rep["k"]
    lim = figs.local_view(rep, l, u, nbd)
    svgs = {"a": figs.fig_cauchy_path(rep, l, u, nbd, lim),
            "b": figs.fig_piecewise(rep, l, u, nbd),
            "c": figs.fig_subspace(rep, l, u, nbd, lim),
            "d": figs.fig_line_search(rep, problem.fg, l, u, nbd)}
    used = set()
    panels = []
    for key, title, eq, cites, prefixes in PANELS:
        panels.append(
            f"<figure class=panel id='k{k}{key}'><figcaption>({key}) {title}</figcaption>"
            f"{_img(svgs[key], f'iteration {k}, picture ({key})')}"
            f"<div class=eq>{eq}</div>{_numbers(key, rep)}{_checks(rep, prefixes, used)}"
            f"<details><summary>the port's lines</summary>{code[key]}</details></figure>")
    up = rep["update"]
    if up is None or up.get("stopped_before_update"):
        upd = "The run stops here: " + html.escape(up["task"] if up else "") + "."
    elif up["updated"]:
        upd = ("s′y = %s &gt; ε(−g′s): the pair s = %s, y = %s is stored; θ = y′y/s′y = %s "
               "(BLNZ95 (3.1)–(3.6); ZBLN97 eq. (3))" % (
                   _fmt(up["sy"]), _fmt(up["s"]), _fmt(up["y"]), _fmt(up["theta"])))
    else:
        upd = "s′y = %s ≤ ε(−g′s): the update is skipped (ZBLN97 eq. (3))" % _fmt(up["sy"])
    rest = _checks(rep, ("",), used)
    return (f"<section class=iter id='it{k}' data-k='{k}'><h2>Iteration {k}</h2>"
            f"<p class=state>x<sub>k</sub> = <span class=xk>{_fmt(rep['x'])}</span>, "
            f"f<sub>k</sub> = <span class=fk>{_fmt(rep['f'])}</span>, "
            f"‖P(x − g) − x‖<sub>∞</sub> = {_fmt(rep['sbgnrm'])}. {html.escape(_summary(rep))}."
            f"</p><div class=grid>{''.join(panels)}</div>"
            f"<p class=update><b>Update.</b> {upd}</p>{rest}</section>")


CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1280px;padding:0 16px;color:#222}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid #ccc;padding:6px 0;z-index:2}
nav a{display:inline-block;padding:2px 7px;margin:1px;border:1px solid #bbb;border-radius:4px;
text-decoration:none;color:#124}
nav a.cur{background:#124;color:#fff}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:14px}
.panel{margin:0;border:1px solid #ddd;border-radius:6px;padding:8px;background:#fcfcfc}
figcaption{font-weight:600;margin-bottom:4px}
img.fig{width:100%;max-width:600px;height:auto;display:block;margin:auto}
.eq{background:#f2f5fa;border-left:3px solid #124;padding:4px 8px;margin:6px 0}
.n{color:#a40;font-weight:600}
table.num{border-collapse:collapse;font:12px ui-monospace,monospace;width:100%}
table.num th{text-align:left;font-weight:500;padding:1px 6px;white-space:nowrap;vertical-align:top}
table.num td{padding:1px 6px}
ul.checks{list-style:none;padding-left:4px;font-size:12px;margin:4px 0}
li.ok{color:#176317}li.fail{color:#b00;font-weight:700}
pre{font-size:11.5px;background:#f6f6f6;padding:4px;overflow-x:auto;margin:2px 0}
.src{font-size:12px}
body.js section.iter{display:none}body.js section.iter.cur{display:block}
"""

JS = """
(function(){
  var secs = Array.prototype.slice.call(document.querySelectorAll('section.iter'));
  var links = document.querySelectorAll('nav a[data-k]');
  document.body.classList.add('js');
  function show(k){
    if(!(k >= 1 && k <= secs.length)) k = 1;
    secs.forEach(function(s){ s.classList.toggle('cur', +s.dataset.k === k); });
    Array.prototype.forEach.call(links, function(a){ a.classList.toggle('cur', +a.dataset.k === k); });
    document.body.dataset.current = k;
  }
  function fromHash(){ var m = /^#k(\\d+)/.exec(location.hash); show(m ? +m[1] : 1); }
  window.addEventListener('hashchange', fromHash);
  document.addEventListener('keydown', function(e){
    var k = +document.body.dataset.current, t = e.key;
    if(t === 'ArrowRight' || t === 'j' || t === 'n') k += 1;
    else if(t === 'ArrowLeft' || t === 'k' || t === 'p') k -= 1;
    else return;
    if(k >= 1 && k <= secs.length) location.hash = '#k' + k;
  });
  fromHash();
  window.addEventListener('load', function(){
    var imgs = document.querySelectorAll('img.fig'), good = 0;
    Array.prototype.forEach.call(imgs, function(i){ if(i.naturalWidth > 0 && i.naturalHeight > 0) good++; });
    document.body.dataset.figures = good + '/' + imgs.length;
  });
})();
"""


def page(problem, m, task, reps, overview_svg, sections):
    nav = "".join(f"<a href='#k{r['k']}' data-k='{r['k']}'>{r['k']}</a>" for r in reps)
    lo = ", ".join(_fmt(v) if np.isfinite(v) else "−∞" for v in problem.lower)
    hi = ", ".join(_fmt(v) if np.isfinite(v) else "∞" for v in problem.upper)
    doc = getattr(problem, "doc", "") or ""
    return f"""<!DOCTYPE html>
<html lang=en><head><meta charset=utf-8>
<meta name=viewport content="width=device-width, initial-scale=1">
<title>L-BFGS-B, iteration by iteration: {html.escape(problem.name)}</title>
<style>{CSS}</style></head><body>
<h1>L-BFGS-B, iteration by iteration</h1>
<p>The port of L-BFGS-B 3.0 (<code>lbfgsb</code>, flavour fortran, kernels reference,
m = {m}) on
<b>{html.escape(problem.name)}</b>: n = 2, x<sub>0</sub> = {_fmt(problem.x0)}, lower = ({lo}),
upper = ({hi}). {html.escape(doc)} The run ends with <code>{html.escape(task)}</code> after
{len(reps)} iterations at x = {_fmt(reps[-1]['x_new'])}.</p>
<p>Each iteration has four pictures: (a) the quadratic model m<sub>k</sub> and the
projected-gradient path with its breakpoints and the generalized Cauchy point;
(b) the model along that path, one quadratic per segment; (c) the subspace step on the
free face; (d) the line search. Beside each: the equation with its number in the papers
(BLNZ95 = Byrd, Lu, Nocedal, Zhu 1995; MN11 = Morales, Nocedal 2011), the lines of the port
that compute it, and the solver's own numbers (read from its workspace during the run) with
their checks against dense linear algebra. Step with the links or the ← → keys.</p>
{_img(overview_svg, 'the whole run')}
<nav>iteration: {nav} <small>(← → or j/k)</small></nav>
{''.join(sections)}
<script>{JS}</script></body></html>
"""


def build(problem, out, m=5, flavour="fortran"):
    """Write ``out/index.html`` and ``out/walkthrough.json``; return the JSON dict."""
    reps, task = collect(problem, m=m, flavour=flavour)
    l, u, nbd = explain._bounds(problem)
    lim = figs.view(reps, l, u, nbd)
    code = {p[0]: _code(p[3]) for p in PANELS}
    sections = [section(rep, problem, l, u, nbd, code) for rep in reps]
    overview = figs.fig_overview(reps, problem.fg, l, u, nbd, lim)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "index.html"), "w") as fh:
        fh.write(page(problem, m, task, reps, overview, sections))
    data = dict(problem=dict(name=problem.name, n=problem.n, m=m, flavour=flavour,
                             x0=_num(problem.x0), lower=_num(problem.lower),
                             upper=_num(problem.upper), task=task),
                iterations=[iteration_json(r) for r in reps])
    with open(os.path.join(out, "walkthrough.json"), "w") as fh:
        json.dump(data, fh, indent=1, allow_nan=False)
    return data


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problem", default=DEFAULT_PROBLEM, metavar="MODULE:FUNCTION",
                    help=f"a 2-D problem (default {DEFAULT_PROBLEM})")
    ap.add_argument("--n", type=int, default=None, help="passed to FUNCTION(n)")
    ap.add_argument("--m", type=int, default=5)
    ap.add_argument("--out", default=os.path.join("out", "walkthrough"))
    a = ap.parse_args(argv)
    try:
        problem = explain.load_problem(spec=a.problem, n=a.n)
        if a.problem == DEFAULT_PROBLEM:
            from reference import teaching
            problem.doc = teaching.SUMMARY
        data = build(problem, a.out, m=a.m)
    except (ValueError, ImportError) as e:
        print(f"walkthrough: {e}", file=sys.stderr)
        return 2
    bad = [(it["k"], c) for it in data["iterations"] for c, ok in it["checks"] if not ok]
    print(f"wrote {os.path.join(a.out, 'index.html')} and walkthrough.json: "
          f"{len(data['iterations'])} iterations, {len(bad)} failed check(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
