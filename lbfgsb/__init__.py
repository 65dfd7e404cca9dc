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
BatchSolver, minimize_batch
    Many independent problems, one vectorised evaluation per round, stepped
    in a cache-sized window.
patch_scipy, unpatch_scipy, scipy_patched, scipy_is_patched
    Make SciPy's own ``minimize(method='L-BFGS-B')`` and ``fmin_l_bfgs_b``
    run on the port, for code you don't own (importing lbfgsb patches
    nothing).

``lbfgsb.dask.minimize_batch`` (a submodule, not imported here; needs
``dask[distributed]``) runs a batch on a Dask cluster.
"""

from lbfgsb._api import fmin_l_bfgs_b, minimize
from lbfgsb._patch import patch_scipy, scipy_is_patched, scipy_patched, unpatch_scipy
from lbfgsb._rcomm import scipy_setulb, setulb, workspace_sizes
from lbfgsb._batch import BatchSolver, minimize_batch
from lbfgsb._solver import Solver

__version__ = "0.1.0"

__all__ = ["fmin_l_bfgs_b", "minimize", "setulb", "scipy_setulb",
           "workspace_sizes", "Solver", "BatchSolver", "minimize_batch",
           "patch_scipy", "unpatch_scipy", "scipy_patched", "scipy_is_patched",
           "__version__"]
