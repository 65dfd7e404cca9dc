"""Cross-check harness: the library behind ``tools/compare.py``.

Runs several implementations of L-BFGS-B's reverse-communication routine
``setulb`` on the same problem, with the same driver loop, and compares them.

Implementations (``IMPLS``)
---------------------------
``port``            the Cython port, ``lbfgsb.setulb(..., flavour="fortran")``
``port-scipy``      the port with ``flavour="scipy"`` (SciPy's arithmetic)
``port-scipy-api``  the port through ``lbfgsb.scipy_setulb`` (SciPy's signature,
                    integer task codes and state layout)
``port-reference``  the port with ``kernels="reference"`` (its own BLAS/LAPACK in
                    netlib order); its reference is ``fortran-system``
``scipy``           SciPy's private ``scipy.optimize._lbfgsb.setulb`` (C, >= 1.15)
``fortran``         Debian's Fortran L-BFGS-B 3.0 on SciPy's OpenBLAS (shim)
``fortran-system``  the same Fortran on the system BLAS/LAPACK (Debian's
                    reference libblas3 / liblapack3, no shim)

Driver loop
-----------
The loop is SciPy's (``scipy.optimize._lbfgsb_py._minimize_lbfgsb``): ``x0`` is
clipped into the bounds, ``nfev`` counts f/g requests, ``nit`` is incremented
on every ``NEW_X``; after that ``nit >= maxiter`` stops with
``STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT`` and otherwise
``nfev > maxfun`` stops with ``STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS
LIMIT``; status (warnflag) 0 converged, 1 limit, 2 other.

Free run (:func:`run_free`, :func:`compare_free`)
    each implementation runs to termination on its own evaluations; the k-th
    f/g request point and the k-th iterate of each are compared with those
    of its reference.
Lock step (:func:`run_lockstep`)
    one implementation (the driver) decides where f and g are evaluated; every
    implementation gets f, g at the driver's point.  After each ``setulb``
    call the saved state of each implementation is compared with the
    driver's, field by field, by the Fortran's names (:data:`FIELDS`); the
    comparison of an implementation stops at the first call after which it
    asks for something else (another task, or another x).

State names are those of the Fortran's ``mainlb``/``lnsrlb``/``dcsrch``
(``isave(22..41)``, ``dsave(1..29)``, ``isave(43..44)``, ``lsave``, the blocks
of ``wa`` and ``iwa``).  SciPy's C state is mapped to the same names
(:func:`scipy_to_fortran_names`): its 0-based indices (``head``, ``itail``,
``ileave``, the variable numbers in ``index`` and ``indx2``, the ``wa``
offsets in ``isave(4..16)``) are shifted by one; ``itfile`` and ``epsmch``
are not kept by SciPy and are not compared.  The CPU-time fields ``cpu1,
cachyt, sbtime, lnscht, time1`` (``dsave(6..10)``) are never compared.

Modules, each one role, lower layers first (a module imports only from the
ones above it):

``state``       task strings, field names, attribution to subroutines, comparison of two states
``impls``       implementations: loading, state layouts, availability
``problems``    reference problems and the set-up of a run
``free``        free run and the comparison of two free runs
``lockstep``    lock step
``attribution`` which named deviations explain a difference (replays of the port)
``comparison``  one problem, all implementations -> a record with a verdict per pair
``report``      record -> text (the verdict first)
``records``     record -> JSON, CSV, plot
``batch``       every problem, in worker processes, and the summary table
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # before numpy is imported

from .state import *          # noqa: E402,F401,F403
from .state import (_bits_equal, _rel, _wa_blocks, _DETAIL_TEXT, _FIELD_POS,  # noqa: E402,F401
                    _STAGE_INDEX)
from .impls import *          # noqa: E402,F401,F403
from .impls import _factory, _ci  # noqa: E402,F401
from .problems import *       # noqa: E402,F401,F403
from .free import *           # noqa: E402,F401,F403
from .free import _first_diff, _digest  # noqa: E402,F401
from .lockstep import *       # noqa: E402,F401,F403
from .attribution import *    # noqa: E402,F401,F403
from .comparison import *     # noqa: E402,F401,F403
from .comparison import _run_summary  # noqa: E402,F401
from .report import *         # noqa: E402,F401,F403
from .report import _fmt_table, _g  # noqa: E402,F401
from .records import *        # noqa: E402,F401,F403
from .records import _jsonable  # noqa: E402,F401
from .batch import *          # noqa: E402,F401,F403
from .batch import _batch_summary  # noqa: E402,F401
from . import (state, impls, problems, free, lockstep, attribution,  # noqa: E402,F401
               comparison, report, records, batch)
