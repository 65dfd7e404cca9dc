"""The registry of deviations: each documented departure of a reference
implementation from Debian's Fortran L-BFGS-B 3.0, and the flavours (sets
of deviations) that select them.

``DEVIATIONS`` names each switch, where it acts, which reference has it and
its bit (the DEV_ constants of deviations.pxd, which the kernels test);
``lbfgsb.deviations()`` returns the registry, ``flavour_code`` turns a
flavour into the kernels' bitmask and ``flavour_label`` into the text that
checkpoints store.
"""

from collections import namedtuple

# A deviation is one documented departure of a reference implementation from
# Debian's Fortran L-BFGS-B 3.0.  Each is a bit of the kernels' ``int
# flavour`` argument (its DEV_ constant in deviations.pxd) and is tested at
# exactly one place in the code, where its DEV_ name appears.  A flavour is a
# set of deviations: "fortran" is the empty set, "scipy" all of SciPy >= 1.15's
# C, "scipy114" those of SciPy <= 1.14's Fortran.

Deviation = namedtuple("Deviation", "name routine reference description switch bit")
Deviation.__doc__ = """One departure from Debian's Fortran L-BFGS-B 3.0.

name : str
    The switch's name (a member of a flavour set), or the port's own name for
    a departure that is not a switch.
routine : str
    Where it acts (the one place in the port's code).
reference : str
    The implementation that has it ("SciPy >= 1.15 C", "the port").
description : str
    One line: what differs from the Fortran.
switch : bool
    True: selectable through ``flavour``; False: the port always does it.
bit : int
    The bit in the kernels' ``int flavour`` (0 for a non-switch).
"""

_SCIPY_C = "SciPy >= 1.15 C (scipy/optimize/__lbfgsb.c)"
_SCIPY_F = "SciPy <= 1.14 Fortran (scipy/optimize/lbfgsb_src/)"

#: the switches, in the order of docs/VERIFY.md's table
DEVIATIONS = {d.name: d for d in (
    Deviation("lnsrlb_dnrm2", "lnsrlb", _SCIPY_C,
              "dnorm = dnrm2(d), dtd = dnorm**2 (Fortran: dtd = ddot(d,d), dnorm = sqrt(dtd))",
              True, DEV_LNSRLB_DNRM2),
    Deviation("mainlb_rr_dnrm2", "mainlb", _SCIPY_C,
              "rr = y'y as dnrm2(r)**2 (Fortran: ddot(r,r)); theta differs in the last bits",
              True, DEV_MAINLB_RR_DNRM2),
    Deviation("formk_dtrtrs_blocked", "formk", _SCIPY_C,
              "one dtrtrs with col right-hand sides, ldb = 2m (Fortran: one call per column)",
              True, DEV_FORMK_DTRTRS_BLOCKED),
    Deviation("cauchy_dead_exit", "cauchy", _SCIPY_C,
              "the 'every variable reached its bound' exit is never taken (0-based count "
              "compared with n); a bound of -0.0 becomes +0.0 in the Cauchy point",
              True, DEV_CAUCHY_DEAD_EXIT),
    Deviation("cauchy_nseg_pointer", "mainlb (after cauchy)", _SCIPY_C,
              "'nseg += 1' moves the pointer: nseg stays 1, nintol counts Cauchy searches "
              "(state only)", True, DEV_CAUCHY_NSEG_POINTER),
    Deviation("driver_f_by_value", "driver (Solver, minimize)", _SCIPY_C,
              "f is passed by value: after ABNORMAL_TERMINATION the reported f is the last "
              "trial value while x and g are restored", True, DEV_DRIVER_F_BY_VALUE),
    Deviation("cauchy_neg_operand", "cauchy", _SCIPY_C,
              "C's unary minus takes the operand: f2 = (-theta)*f1, dtm = (-f1)/f2 (Fortran: "
              "-(theta*f1), -(f1/f2)); only the sign bit of a NaN differs",
              True, DEV_CAUCHY_NEG_OPERAND),
    Deviation("lnsrlb_fmin_swapped", "lnsrlb", _SCIPY_C,
              "the trial point's clip fmin(x, u) runs as fmin(u, x) (GCC swaps the operands; "
              "glibc returns the second of equals): x = +0.0 at an upper bound of -0.0 stays "
              "+0.0 (Fortran min(x, u): the bound)", True, DEV_LNSRLB_FMIN_SWAPPED),
    Deviation("linpack_dpofa_dtrsl", "setulb (the kernel table)", _SCIPY_F,
              "Cholesky and triangular solves by LINPACK dpofa/dtrsl (bundled linpack.f) "
              "instead of LAPACK dpotrf/dtrtrs; formt, formk, bmv, subsm round differently",
              True, DEV_LINPACK_DPOFA_DTRSL),
    Deviation("mainlb_no_itfile", "mainlb", _SCIPY_F,
              "no output unit: isave(24) (itfile) stays 0 (Debian: 8; state only)",
              True, DEV_MAINLB_NO_ITFILE),
)}

#: the port's own deliberate departures (not switches: no reference needs them)
PORT_DEPARTURES = (
    Deviation("maxls", "mainlb", "the port (as SciPy)",
              "a line search gives up after maxls evaluations (an argument, default 20; "
              "the Fortran: always 20)", False, 0),
    Deviation("lnsrlb_iprint", "lnsrlb", "the port",
              "iprint is passed in (Debian's silence patch tests an uninitialised local); "
              "the 'ascent direction' message prints when iprint >= 0", False, 0),
    Deviation("kernels", "BLAS/LAPACK", "the port",
              "kernels='scipy' (default): SciPy's OpenBLAS; kernels='reference': the port's "
              "own netlib-order ddot, daxpy, dcopy, dscal, dnrm2, dpotrf, dtrtrs (the Fortran "
              "links the system's libblas/liblapack)", False, 0),
    Deviation("timer", "timer", "the port",
              "a monotonic wall clock instead of CPU time; fills only dsave(6..10), which "
              "nothing reads", False, 0),
)

#: named flavours: sets of deviation names
FLAVOURS = {
    "fortran": frozenset(),
    "scipy": frozenset(nm for nm, d in DEVIATIONS.items() if d.reference == _SCIPY_C),
    "scipy114": frozenset(nm for nm, d in DEVIATIONS.items() if d.reference == _SCIPY_F),
}
assert sum(DEVIATIONS[nm].bit for nm in FLAVOURS["scipy"]) == FLAVOUR_SCIPY
assert sum(DEVIATIONS[nm].bit for nm in FLAVOURS["scipy114"]) == FLAVOUR_SCIPY114


def _deviation_names(flavour):
    """The set of deviation names that ``flavour`` stands for."""
    if isinstance(flavour, str):
        if flavour in FLAVOURS:
            return FLAVOURS[flavour]
        parts = [p.strip() for p in flavour.replace(",", "+").split("+")]
        if len(parts) > 1 or parts[0] in DEVIATIONS:
            return _deviation_names(frozenset(parts))
    elif isinstance(flavour, (set, frozenset, list, tuple)):
        out = set()
        for item in flavour:
            if not isinstance(item, str):
                break
            if item in DEVIATIONS:
                out.add(item)
            elif item in FLAVOURS:
                out |= FLAVOURS[item]
            else:
                raise ValueError(
                    f"unknown deviation {item!r} in flavour {flavour!r}; the deviations "
                    f"are {', '.join(DEVIATIONS)} (lbfgsb.deviations() describes them)")
        else:
            return frozenset(out)
    raise ValueError(
        f"unknown flavour {flavour!r}; expected one of {sorted(FLAVOURS)}, a deviation "
        f"name, or a set of them ({', '.join(DEVIATIONS)}; see lbfgsb.deviations())")


def flavour_code(flavour):
    """The kernels' ``int flavour`` bitmask of ``flavour``.

    Parameters
    ----------
    flavour : str or set of str
        ``"fortran"`` (no deviation), ``"scipy"`` (all of SciPy's), a
        deviation name, names joined by ``+`` or ``,``, or a set (list,
        tuple) of names.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        For anything else (unknown names, integers, None).
    """
    return sum(DEVIATIONS[nm].bit for nm in _deviation_names(flavour))


def flavour_label(flavour):
    """The canonical text of ``flavour``: "fortran", "scipy", or the names of
    its deviations in the registry's order joined by "+" (what checkpoints
    store; :func:`flavour_code` reads it back)."""
    names = _deviation_names(flavour)
    for label, members in FLAVOURS.items():
        if names == members:
            return label
    return "+".join(nm for nm in DEVIATIONS if nm in names)


def deviations(switches=True, port=True):
    """The documented departures from Debian's Fortran L-BFGS-B 3.0.

    Parameters
    ----------
    switches : bool, default True
        Include the deviations a flavour can select (a reference has them).
    port : bool, default True
        Include the port's own deliberate departures (not switches).

    Returns
    -------
    list of Deviation
        Named tuples ``(name, routine, reference, description, switch,
        bit)``; ``flavour`` accepts any set of the switch names.

    Examples
    --------
    >>> import lbfgsb
    >>> [d.name for d in lbfgsb.deviations(port=False)][:2]
    ['lnsrlb_dnrm2', 'mainlb_rr_dnrm2']
    """
    return (list(DEVIATIONS.values()) if switches else []) + \
        (list(PORT_DEPARTURES) if port else [])
