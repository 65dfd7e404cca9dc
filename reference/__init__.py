"""A CUTEst-style problem set for bound-constrained optimisation (pure numpy).

Every problem is written in vectorised numpy from its published definition.
Use :func:`get` to build a problem and :func:`names` to select problems::

    import reference
    p = reference.get("ROSENBR")
    f, g = p.fg(p.x0)
    reference.names(bounded=True, min_n=10_000)

A problem object has the attributes ``name, classification, n, x0, lower,
upper, fg, fopt, source`` plus a few extras (``bounded``,
``active_at_solution``, ``sizes``, ``x0_feasible``, ``ftol``...).

The package imports numpy only and knows nothing of any optimiser.
"""

from ._core import (
    Problem,
    ProblemSpec,
    ReferenceProblemError,
    UnknownProblemError,
    UnsupportedSizeError,
    REGISTRY,
    get,
    names,
    spec,
    specs,
    table,
)

# importing the family modules fills the registry
from . import mgh as _mgh  # noqa: F401,E402
from . import unconstrained as _unc  # noqa: F401,E402
from . import bounded as _bnd  # noqa: F401,E402
from . import minpack2 as _mp2  # noqa: F401,E402
from . import cutest_more as _more  # noqa: F401,E402

__all__ = [
    "Problem",
    "ProblemSpec",
    "ReferenceProblemError",
    "UnknownProblemError",
    "UnsupportedSizeError",
    "REGISTRY",
    "get",
    "names",
    "spec",
    "specs",
    "table",
]
