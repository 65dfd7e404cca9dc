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
    Many independent problems in lock-step, one vectorised evaluation per
    round.
"""

from lbfgsb._api import fmin_l_bfgs_b, minimize
from lbfgsb._rcomm import scipy_setulb, setulb, workspace_sizes
from lbfgsb._batch import BatchSolver, minimize_batch
from lbfgsb._solver import Solver
from lbfgsb._status import deviations

__version__ = "0.1.0"

__all__ = ["fmin_l_bfgs_b", "minimize", "setulb", "scipy_setulb",
           "workspace_sizes", "Solver", "BatchSolver", "minimize_batch", "deviations",
           "__version__"]
