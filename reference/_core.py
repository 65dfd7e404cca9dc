"""Registry, problem objects, size rules and selection."""

from __future__ import annotations

import fnmatch
import math
import re

import numpy as np

__all__ = [
    "Problem",
    "ProblemSpec",
    "ReferenceProblemError",
    "UnknownProblemError",
    "UnsupportedSizeError",
    "REGISTRY",
    "register",
    "get",
    "names",
    "spec",
    "specs",
    "table",
    "Fixed",
    "Scalable",
]


# --------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------


class ReferenceProblemError(Exception):
    """Base class of the errors raised by :mod:`reference`."""


class UnknownProblemError(ReferenceProblemError, KeyError, ValueError):
    """Raised by :func:`get` for a name that is not in the registry."""

    def __str__(self):  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class UnsupportedSizeError(ReferenceProblemError, ValueError):
    """Raised by :func:`get` when the requested ``n`` is not allowed."""


# --------------------------------------------------------------------------
# size rules
# --------------------------------------------------------------------------


class Fixed:
    """A finite set of allowed sizes."""

    scalable = False

    def __init__(self, *sizes):
        self.sizes = tuple(sorted(int(s) for s in sizes))

    def allows(self, n):
        return n in self.sizes

    @property
    def min(self):
        return self.sizes[0]

    @property
    def max(self):
        return self.sizes[-1]

    def intersects(self, lo, hi):
        return any(lo <= s <= hi for s in self.sizes)

    def describe(self):
        return ", ".join(str(s) for s in self.sizes)


class Scalable:
    """Sizes ``n >= min_n`` (``<= max_n``) that are multiples of ``step``,
    optionally perfect squares (for problems on a square grid)."""

    scalable = True

    def __init__(self, min_n=1, step=1, max_n=None, square=False, extra=None, text=None):
        self.min_n = int(min_n)
        self.step = int(step)
        self.max_n = max_n
        self.square = square
        self.extra = extra  # extra predicate
        self.text = text

    def allows(self, n):
        if n < self.min_n or (self.max_n is not None and n > self.max_n):
            return False
        if n % self.step:
            return False
        if self.square and math.isqrt(n) ** 2 != n:
            return False
        if self.extra is not None and not self.extra(n):
            return False
        return True

    @property
    def min(self):
        return self.min_n

    @property
    def max(self):
        return math.inf if self.max_n is None else self.max_n

    def intersects(self, lo, hi):
        lo = max(lo, self.min_n)
        hi = min(hi, self.max)
        if lo > hi:
            return False
        if hi == math.inf:
            return True
        # small search is enough for our rules (step <= 12, squares)
        n = lo
        count = 0
        while n <= hi and count < 200_000:
            if self.allows(n):
                return True
            n += 1
            count += 1
        return False

    def describe(self):
        if self.text:
            return self.text
        s = f"n >= {self.min_n}"
        if self.step > 1:
            s += f", multiple of {self.step}"
        if self.square:
            s += ", perfect square"
        if self.max_n is not None:
            s += f", n <= {self.max_n}"
        return s


# --------------------------------------------------------------------------
# specs and problems
# --------------------------------------------------------------------------

_CLASS_RE = re.compile(r"^[NCLQSO][UXBNLQO][RI][0-9]-[AMR][YN]-([0-9]+|V)-([0-9]+|V)$")


def classification_ok(c):
    """True if ``c`` is a well formed CUTEst classification string."""
    return bool(_CLASS_RE.match(c))


class ProblemSpec:
    """Everything the registry knows about one problem before it is built."""

    def __init__(
        self,
        name,
        classification,
        build,
        default_n,
        sizes,
        source,
        *,
        family,
        fopt=None,
        active=False,
        x0_feasible=True,
        ftol=None,
        test_n=None,
        smooth=True,
        notes="",
    ):
        if not classification_ok(classification):
            raise ValueError(f"{name}: malformed classification {classification!r}")
        if not sizes.allows(default_n):
            raise ValueError(f"{name}: default n={default_n} not allowed by its size rule")
        self.name = name
        self.classification = classification
        self.build = build
        self.default_n = default_n
        self.sizes = sizes
        self.source = source
        self.family = family
        self._fopt = fopt
        self.active_at_solution = bool(active)
        self.x0_feasible = bool(x0_feasible)
        self.ftol = ftol
        self.test_n = default_n if test_n is None else test_n
        self.smooth = smooth
        self.notes = notes

    # objective letter etc. from the classification
    @property
    def objective_type(self):
        return self.classification[0]

    @property
    def constraint_type(self):
        return self.classification[1]

    @property
    def bounded(self):
        return self.constraint_type != "U"

    @property
    def scalable(self):
        return self.sizes.scalable

    def fopt_for(self, n):
        f = self._fopt
        if callable(f):
            return f(n)
        if isinstance(f, dict):
            return f.get(n)
        if f is None:
            return None
        return float(f) if n == self.default_n or not self.scalable else None

    @property
    def has_fopt(self):
        return self.fopt_for(self.default_n) is not None or self.fopt_for(self.test_n) is not None

    def __repr__(self):
        return f"<ProblemSpec {self.name} {self.classification}>"


class Problem:
    """One instance of a test problem at a given size.

    ``x0``, ``lower`` and ``upper`` return fresh float64 arrays each time.
    ``fg(x)`` returns ``(f, g)`` with ``g`` a new array of length ``n``.
    """

    def __init__(self, spec_, n, x0, lower, upper, fg, fopt, xopt=None, extra=None):
        self._spec = spec_
        self.name = spec_.name
        self.classification = spec_.classification
        self.n = int(n)
        self._x0 = np.array(x0, dtype=np.float64).reshape(-1)
        self._lower = np.array(lower, dtype=np.float64).reshape(-1) * np.ones(self.n)
        self._upper = np.array(upper, dtype=np.float64).reshape(-1) * np.ones(self.n)
        if not (self._x0.shape == self._lower.shape == self._upper.shape == (self.n,)):
            raise AssertionError(f"{self.name}: inconsistent array sizes")
        self._fg = fg
        self.fopt = None if fopt is None else float(fopt)
        self.xopt = None if xopt is None else np.array(xopt, dtype=np.float64)
        self.source = spec_.source
        self.family = spec_.family
        self.active_at_solution = spec_.active_at_solution
        self.x0_feasible = spec_.x0_feasible
        self.sizes = spec_.sizes
        self.scalable = spec_.scalable
        self.ftol = spec_.ftol
        self.smooth = spec_.smooth
        self.notes = spec_.notes
        self.extra = dict(extra or {})

    @property
    def x0(self):
        return self._x0.copy()

    @property
    def lower(self):
        return self._lower.copy()

    @property
    def upper(self):
        return self._upper.copy()

    @property
    def bounded(self):
        return bool(np.any(np.isfinite(self._lower)) or np.any(np.isfinite(self._upper)))

    @property
    def bounds(self):
        """List of (lo, hi) pairs with None for infinite bounds (SciPy style)."""
        return [
            (None if not np.isfinite(lo) else float(lo), None if not np.isfinite(hi) else float(hi))
            for lo, hi in zip(self._lower, self._upper)
        ]

    def fg(self, x):
        x = np.asarray(x, dtype=np.float64)
        if x.shape != (self.n,):
            raise ValueError(f"{self.name}: x must have shape ({self.n},), got {x.shape}")
        f, g = self._fg(x)
        return float(f), np.array(g, dtype=np.float64).reshape(self.n)

    def f(self, x):
        return self.fg(x)[0]

    def g(self, x):
        return self.fg(x)[1]

    def __repr__(self):
        return f"<Problem {self.name} n={self.n} {self.classification}>"


REGISTRY: dict[str, ProblemSpec] = {}


def register(name, classification, default_n, sizes, source, *, family, **kw):
    """Decorator: register ``build(n) -> dict`` under ``name``.

    The builder returns a dict with keys x0, lower, upper, fg and
    optionally fopt (overriding the spec's), xopt, extra.
    """

    def deco(build):
        if name in REGISTRY:
            raise ValueError(f"duplicate problem {name}")
        REGISTRY[name] = ProblemSpec(
            name, classification, build, default_n, sizes, source, family=family, **kw
        )
        return build

    return deco


# other names under which some problems are known (not listed by names())
ALIASES = {
    "BROYDN3D": "BROYDN3DLS",
    "BROYDNBD": "BROYDNBDLS",
    "INTEQNE": "INTEQNELS",
    "TRIGON": "ARGTRIGLS",
    "POWELLBS": "POWELLBSLS",
    "MEYER": "MEYER3",
    "WOOD": "WOODS",
}


def spec(name):
    key = str(name).upper()
    key = ALIASES.get(key, key)
    try:
        return REGISTRY[key]
    except KeyError:
        close = difflib_close(key)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UnknownProblemError(
            f"unknown problem {name!r}.{hint} Available ({len(REGISTRY)}): "
            + ", ".join(sorted(REGISTRY))
        ) from None


def difflib_close(key):
    import difflib

    return difflib.get_close_matches(key, REGISTRY.keys(), n=3, cutoff=0.6)


def specs():
    return [REGISTRY[k] for k in sorted(REGISTRY)]


def get(name, n=None):
    """Build problem ``name`` at size ``n`` (default size if None)."""
    s = spec(name)
    if n is None:
        n = s.default_n
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise UnsupportedSizeError(f"{s.name}: n must be an integer, got {n!r}")
    n = int(n)
    if not s.sizes.allows(n):
        raise UnsupportedSizeError(
            f"{s.name}: size n={n} is not supported; allowed sizes: {s.sizes.describe()} "
            f"(default {s.default_n})"
        )
    d = s.build(n)
    fopt = d.get("fopt", s.fopt_for(n))
    return Problem(
        s, n, d["x0"], d["lower"], d["upper"], d["fg"], fopt, d.get("xopt"), d.get("extra")
    )


_FILTERS = (
    "objective",
    "constraints",
    "classification",
    "min_n",
    "max_n",
    "scalable",
    "bounded",
    "active_at_solution",
    "has_fopt",
    "family",
    "x0_feasible",
    "smooth",
)


def names(**filters):
    """Sorted names of the problems matching all filters.

    Filters:
      objective        one or more of N C L Q S O (first classification letter)
      constraints      one or more of U X B (second classification letter)
      classification   fnmatch pattern on the classification, e.g. "S*"
      min_n, max_n     the problem supports some size n with min_n <= n <= max_n
      scalable         True/False: variable size (V in the classification)
      bounded          True/False: has finite bounds
      active_at_solution  True/False: some bound active at the known solution
      has_fopt         True/False: a published optimal value is recorded
      family           "mgh", "unconstrained", "bounded", "minpack2"
      x0_feasible      True/False
      smooth           True/False
    """
    bad = set(filters) - set(_FILTERS)
    if bad:
        raise TypeError(
            f"unknown filter(s) {sorted(bad)}; available filters: {', '.join(_FILTERS)}"
        )
    out = []
    lo = filters.get("min_n", 0) or 0
    hi = filters.get("max_n", math.inf)
    hi = math.inf if hi is None else hi
    for s in specs():
        if "objective" in filters and s.objective_type not in filters["objective"].upper():
            continue
        if "constraints" in filters and s.constraint_type not in filters["constraints"].upper():
            continue
        if "classification" in filters and not fnmatch.fnmatchcase(
            s.classification, filters["classification"].upper()
        ):
            continue
        if ("min_n" in filters or "max_n" in filters) and not s.sizes.intersects(lo, hi):
            continue
        for key, val in (
            ("scalable", s.scalable),
            ("bounded", s.bounded),
            ("active_at_solution", s.active_at_solution),
            ("has_fopt", s.has_fopt),
            ("x0_feasible", s.x0_feasible),
            ("smooth", s.smooth),
        ):
            if key in filters and filters[key] is not None and bool(filters[key]) != val:
                break
        else:
            if "family" in filters and s.family != filters["family"]:
                continue
            out.append(s.name)
    return out


def table(selected=None):
    """A plain-text table of the problems (used by ``python -m reference``)."""
    rows = []
    hdr = ("name", "classification", "n", "sizes", "bounded", "active", "fopt", "family")
    for s in specs():
        if selected is not None and s.name not in selected:
            continue
        fo = s.fopt_for(s.default_n)
        rows.append(
            (
                s.name,
                s.classification,
                str(s.default_n),
                s.sizes.describe(),
                "yes" if s.bounded else "no",
                "yes" if s.active_at_solution else "no",
                "-" if fo is None else f"{fo:.8g}",
                s.family,
            )
        )
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(hdr)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(hdr, widths))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    lines.append(f"{len(rows)} problems")
    return "\n".join(lines)
