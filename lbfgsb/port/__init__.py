"""The port: L-BFGS-B 3.0's Fortran subroutines, one typed Cython function each.

Each module translates the subroutines it is named after, with the Fortran's
names, arguments, workspace layout and order of floating-point operations
(Debian's 3.0 build is the specification).  Read them beside the papers:

============  =========================================  ==========================
module        Fortran routines                            paper
============  =========================================  ==========================
setulb        setulb, mainlb (the driver and main loop)   [ZBLN97 §2], [BLNZ95 §6]
active        active (project x0, classify variables)     [BLNZ95 (2.2)]
projgr        projgr (projected-gradient norm, pgtol)     [BLNZ95 (6.1)], [ZBLN97 (2)]
cauchy        cauchy, hpsolb (generalized Cauchy point)   [BLNZ95 §4]
freev         freev (free set at the Cauchy point)        [BLNZ95 §5, (5.1)]
formk         formk, formt (the middle matrices)          [BLNZ95 §5.1], [BNS94]
bmv           bmv (product with the middle matrix M)      [BNS94]
subsm         cmprlb, subsm (subspace minimization)       [BLNZ95 §5], [MN11]
lnsrlb        lnsrlb, dcsrch, dcstep (line search)        [MT94]
matupd        matupd (update S, Y, S'Y, S'S, theta)       [BLNZ95 (3.1)-(3.6)]
errclb        errclb (input checks)                       the code's own
kernels       ddot, daxpy, dcopy, dscal, dnrm2, dpotrf,   BLAS / LAPACK
              dtrtrs: SciPy's or the reference-order set
linpack       dpofa, dtrsl (the scipy114 flavour)         LINPACK
trace         prn1lb, prn2lb, prn3lb and the iprint lines the Fortran's output
tasks         the CHARACTER*60 task strings               the code's own
state         isave, dsave, lsave positions; wa blocks;   the code's own
              SciPy's task codes (the state table)
deviations    the deviation bits and their registry       (lbfgsb.deviations())
============  =========================================  ==========================

Nothing here allocates, raises or takes the GIL: the Python-facing layers
(``lbfgsb._rcomm``, ``lbfgsb._run``, ``lbfgsb.minimize``, ...) validate their
inputs first.  The ``py_*`` functions are thin test shims.  This is internal
code: its names follow the Fortran, not a stable Python API.
"""
