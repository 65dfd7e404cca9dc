"""lbfgsb: a reference-faithful Cython port of L-BFGS-B 3.0.

Public names
------------
fmin_l_bfgs_b, minimize
    Drop-in replacements for ``scipy.optimize.fmin_l_bfgs_b`` and
    ``scipy.optimize.minimize(method='L-BFGS-B')``.
setulb
    The Fortran's reverse-communication routine (task strings, workspace
    layout of L-BFGS-B 3.0).
scipy_setulb
    The same, with the signature, integer task codes and state layout of
    SciPy's private ``scipy.optimize._lbfgsb.setulb`` (SciPy >= 1.15).
Solver
    L-BFGS-B as an ask/tell object, with checkpoints (``state_dict``,
    ``from_state``, pickle, ``save``/``load``).
deviations
    The documented departures from the Fortran: the switches a ``flavour``
    selects (``flavour="scipy"`` is all of SciPy's, any subset is accepted)
    and the port's own.
BatchSolver, minimize_batch
    Many independent problems, one vectorised evaluation per round, stepped
    in a cache-sized window.
diagnose
    A problem run across flavours, kernels and OpenBLAS core types: is the
    answer robust, where do the runs part and why, and advice (also
    ``python3 -m lbfgsb.diagnose MODULE:FUNCTION``).
patch_scipy, unpatch_scipy, scipy_patched, scipy_is_patched
    Make SciPy's own ``minimize(method='L-BFGS-B')`` and ``fmin_l_bfgs_b``
    run on the port, for code you don't own (importing lbfgsb patches
    nothing).

``lbfgsb.dask.minimize_batch`` (a submodule, not imported here; needs
``dask[distributed]``) runs a batch on a Dask cluster.
"""

import importlib.util as _ilu
import os as _os

if _ilu.find_spec("lbfgsb.port.setulb") is None:
    # the uncompiled source tree (e.g. the repository root as the current
    # directory) shadows the built package: say so, not a circular import
    raise ImportError(
        "lbfgsb was imported from %s, a source tree without the compiled "
        "extension modules (it shadows any installed lbfgsb). Run Python from "
        "another directory, or with -P so that the current directory is not on "
        "sys.path (python3 -P -c 'import lbfgsb'); to use this checkout, build it "
        "(pip install --no-build-isolation . , or for development: "
        "PYTHONPATH=$(bash tools/devbuild.sh NAME) python3 -P ...)."
        % _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))))
del _ilu, _os

from lbfgsb._api import fmin_l_bfgs_b, minimize  # noqa: E402
from lbfgsb._patch import patch_scipy, scipy_is_patched, scipy_patched, unpatch_scipy  # noqa: E402,E501
from lbfgsb._rcomm import scipy_setulb, setulb, workspace_sizes  # noqa: E402
from lbfgsb._batch import BatchSolver, minimize_batch  # noqa: E402
from lbfgsb._solver import Solver  # noqa: E402
from lbfgsb.port.deviations import deviations  # noqa: E402
from lbfgsb._diagnose import Diagnosis, diagnose  # noqa: E402

__version__ = "0.1.0"

__all__ = ["fmin_l_bfgs_b", "minimize", "setulb", "scipy_setulb",
           "workspace_sizes", "Solver", "BatchSolver", "minimize_batch", "deviations",
           "diagnose", "Diagnosis",
           "patch_scipy", "unpatch_scipy", "scipy_patched", "scipy_is_patched",
           "__version__"]
