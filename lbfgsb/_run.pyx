"""The run loop: the steps of the reverse-communication loop of one L-BFGS-B run.

``Run`` holds setulb's arguments and SciPy's counting and stopping rules; the
nogil steps below (``run_step``, ``run_new_x``, ``run_advance``, ``run_tell``)
are the one loop that ``minimize`` (``_driver.drive``), ``Solver`` and
``BatchSolver`` share: iterations counted on NEW_X, stop when ``nit >=
maxiter``, else when ``nfev > maxfun``, as SciPy's ``_minimize_lbfgsb``.
Layers depend on this module; it depends only on the port.
"""

from libc.string cimport memcpy

from lbfgsb.port.tasks cimport settask, task_starts
from lbfgsb.port.deviations cimport DEV_DRIVER_F_BY_VALUE
from lbfgsb.port.state cimport ISAVE_LT, ISAVE_LR, DSAVE_FOLD
from lbfgsb.port cimport setulb as _setulb


# ---------------------------------------------------------------------------
# the steps of the reverse-communication loop (nogil, shared)

cdef inline void _keep(Run* r) noexcept nogil:
    """Record x, f, g as the last accepted iterate (at iterate 0 and at the
    end of the run; during a line search see ``sync_kept``)."""
    if r.xk != NULL:
        memcpy(r.xk, r.x, r.n * sizeof(double))
        memcpy(r.gk, r.g, r.n * sizeof(double))
        r.fk = r.f


cdef bint f_by_value(const Run* r) noexcept nogil:
    """Deviation driver_f_by_value (SciPy's C): the driver hands setulb f by
    value, so the f that mainlb restores after a failed line search is lost
    and the result reports the last trial f.  The one decision: run_step
    (Solver, BatchSolver) and _driver.drive (minimize) follow it."""
    return (r.flavour & DEV_DRIVER_F_BY_VALUE) != 0


cdef void sync_kept(Run* r) noexcept nogil:
    """During a line search (task FG_LNSRCH) the last accepted iterate is
    what ``lnsrlb`` saved when the search began: x in ``t``, g in ``r`` of
    the workspace, f in ``fold`` (``dsave(2)``), the values of x, g, f at
    the NEW_X that accepted it (or of x0 at the first tell).  Copy them to
    xk, gk, fk when they are read, instead of copying x and g at every
    NEW_X (two vectors of n per iteration)."""
    if r.xk != NULL and task_starts(r.task, b'FG_LN'):
        memcpy(r.xk, &r.wa[r.isave[ISAVE_LT] - 1], r.n * sizeof(double))
        memcpy(r.gk, &r.wa[r.isave[ISAVE_LR] - 1], r.n * sizeof(double))
        r.fk = r.dsave[DSAVE_FOLD]


cdef int run_step(Run* r) noexcept nogil:
    """One call of ``setulb``; returns RUN_FG, RUN_NEW_X or RUN_DONE."""
    cdef double fc = r.f        # the f setulb sees (and may overwrite)
    _setulb.setulb(r.n, r.m, r.x, r.l, r.u, r.nbd, &fc, r.g, r.factr, r.pgtol,
                   r.wa, r.iwa, r.task, r.iprint, r.csave, r.lsave, r.isave,
                   r.dsave, r.maxls, r.flavour, r.kn)
    if not f_by_value(r):
        # The Fortran restores f with x and g when a line search fails
        # (SciPy's wrapper loses that write: f_by_value).
        r.f = fc
    if r.task[0] == b'F' and r.task[1] == b'G':
        return RUN_FG
    if task_starts(r.task, b'NEW_X'):
        return RUN_NEW_X
    return RUN_DONE


cdef void run_new_x(Run* r, bint halt) noexcept nogil:
    """SciPy's handling of NEW_X: count the iteration, then stop on a
    callback halt, on ``nit >= maxiter`` or else on ``nfev > maxfun``."""
    r.nit += 1
    if halt:
        settask(r.task, b'STOP: CALLBACK REQUESTED HALT')
    if r.nit >= r.maxiter:
        settask(r.task, b'STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT')
    elif r.nfev > r.maxfun:
        settask(r.task, b'STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT')


cdef bint run_reuse(Run* r) noexcept nogil:
    """At a request for the point evaluated last, hand back its f and g.

    SciPy's ScalarFunction evaluates again only at a new x (compared with
    ``np.array_equal``: NaN never equal); the line search can repeat a point
    (e.g. once f is NaN).  Returns True when f and g were supplied.
    """
    cdef int i
    if r.xe == NULL or not r.have_e:
        return False
    for i in range(r.n):
        if r.x[i] != r.xe[i]:
            return False
    r.f = r.fe
    # g := g at the repeated point   (n x 1)
    memcpy(r.g, r.ge, r.n * sizeof(double))
    return True


cdef void run_record(Run* r) noexcept nogil:
    """Remember x, f, g of the evaluation just made (for ``run_reuse``)."""
    if r.xe != NULL:
        memcpy(r.xe, r.x, r.n * sizeof(double))
        memcpy(r.ge, r.g, r.n * sizeof(double))
        r.fe = r.f
        r.have_e = True


cdef int run_advance(Run* r) noexcept nogil:
    """Call ``setulb`` until it asks for f and g at a new point or the run
    ends (NEW_X handled without a callback); returns RUN_FG or RUN_DONE."""
    cdef int code
    while True:
        code = run_step(r)
        if code == RUN_NEW_X:
            run_new_x(r, False)
        elif code != RUN_FG or not run_reuse(r):
            break
    if code == RUN_DONE:
        _keep(r)
    return code


cdef int run_tell(Run* r, double f) noexcept nogil:
    """Take f (and g, already written to ``r.g``) at ``r.x``; advance."""
    r.f = f
    r.nfev += 1
    run_record(r)
    if r.xk != NULL and task_starts(r.task, b'FG_ST'):
        _keep(r)        # x0 with f0, g0 is iterate 0
    return run_advance(r)


cdef bint running(Run* r) noexcept nogil:
    return r.task[0] == b'F' and r.task[1] == b'G'
