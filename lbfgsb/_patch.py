"""``patch_scipy``: SciPy's L-BFGS-B runs on the port, for code you don't own.

``patch_scipy``, ``unpatch_scipy``, ``scipy_patched`` and ``scipy_is_patched``
replace SciPy's private ``_minimize_lbfgsb`` in ``scipy.optimize._minimize`` and
``scipy.optimize._lbfgsb_py`` (where ``minimize`` and ``fmin_l_bfgs_b`` look it
up at call time) and put it back.  The exact scope and SciPy's private contract
the replacement honours are described once, in docs/API.md ("SciPy patched onto
the port").
"""

import contextlib
import inspect
import threading
import warnings

from lbfgsb.port.deviations import flavour_label

__all__ = ["patch_scipy", "unpatch_scipy", "scipy_is_patched", "scipy_patched"]

# the modules whose global ``_minimize_lbfgsb`` is looked up at call time
_TARGETS = ("scipy.optimize._minimize", "scipy.optimize._lbfgsb_py")
_NAME = "_minimize_lbfgsb"

_lock = threading.RLock()
_saved = {}          # module name -> the object it held before patch_scipy()
_current = None      # the installed replacement, or None
_blocks = []         # the scipy_patched blocks running: [thread id, flavour] each
_base = None         # the state before the first of them (None: unpatched)
_calls = 0           # how many times a replacement ran (read by lbfgsb.pytest_plugin)


def _modules():
    import importlib
    return [importlib.import_module(name) for name in _TARGETS]


def _make_replacement(flavour, original):
    """SciPy's ``_minimize_lbfgsb`` contract, solved by the port in ``flavour``."""
    from scipy.optimize._optimize import _check_unknown_options

    from lbfgsb._api import _NoValue
    from lbfgsb._options import DEPRECATED
    from lbfgsb._api import _minimize_lbfgsb as port_minimize_lbfgsb

    def _minimize_lbfgsb(fun, x0, args=(), jac=None, bounds=None,
                         disp=_NoValue, maxcor=10, ftol=2.2204460492503131e-09,
                         gtol=1e-5, eps=1e-8, maxfun=15000, maxiter=15000,
                         iprint=_NoValue, callback=None, maxls=20,
                         finite_diff_rel_step=None, workers=None,
                         **unknown_options):
        global _calls
        _calls += 1
        # SciPy's own check: the same OptimizeWarning text at the same depth
        _check_unknown_options(unknown_options)
        # as SciPy >= 1.15: disp and iprint are deprecated and print nothing
        # (warned here, in the frame SciPy warns from, so stacklevel=3 names
        # the same caller)
        for given in (disp, iprint):
            if given is not _NoValue:
                warnings.warn(DEPRECATED, DeprecationWarning, stacklevel=3)

        # the rest of the contract is the port's own _minimize_lbfgsb (it is
        # written to SciPy's); disp, iprint and the unknown options were
        # dealt with above, in this frame, and are not passed on
        res = port_minimize_lbfgsb(
            fun, x0, args=args, jac=jac, bounds=bounds, maxcor=maxcor,
            ftol=ftol, gtol=gtol, eps=eps, maxfun=maxfun, maxiter=maxiter,
            callback=callback, maxls=maxls,
            finite_diff_rel_step=finite_diff_rel_step, workers=workers,
            flavour=flavour)
        res.pop("task", None)
        return res

    _minimize_lbfgsb.__doc__ = (
        f"SciPy's ``_minimize_lbfgsb``, solved by the lbfgsb port "
        f"(flavour={flavour!r}; installed by ``lbfgsb.patch_scipy``).\n"
        + (original.__doc__ or ""))
    _minimize_lbfgsb.lbfgsb_flavour = flavour
    return _minimize_lbfgsb


def _check_contract(original):
    """Refuse a SciPy whose ``_minimize_lbfgsb`` takes a parameter the
    replacement does not know (its contract changed)."""
    try:
        theirs = inspect.signature(original).parameters
    except (TypeError, ValueError):
        return
    ours = ("fun", "x0", "args", "jac", "bounds", "disp", "maxcor", "ftol", "gtol",
            "eps", "maxfun", "maxiter", "iprint", "callback", "maxls",
            "finite_diff_rel_step", "workers", "unknown_options")
    unknown = [p for p in theirs if p not in ours]
    if unknown:
        raise RuntimeError(
            "lbfgsb.patch_scipy: this SciPy's private _minimize_lbfgsb takes "
            f"parameters the port's replacement does not know ({', '.join(unknown)}); "
            "refusing to patch rather than drop them")


def patch_scipy(flavour="scipy"):
    """Make SciPy's L-BFGS-B (``minimize(method='L-BFGS-B')``,
    ``fmin_l_bfgs_b``) run on the port.

    Replaces SciPy's private ``_minimize_lbfgsb`` where ``minimize`` and
    ``fmin_l_bfgs_b`` look it up (``scipy.optimize._minimize`` and
    ``scipy.optimize._lbfgsb_py``); no public name changes, so references to
    ``scipy.optimize.minimize`` or ``fmin_l_bfgs_b`` bound before the call run
    on the port too.  Idempotent; calling it again with another flavour
    switches the flavour.  Importing ``lbfgsb`` patches nothing.

    Parameters
    ----------
    flavour : str or set of str, optional
        The port's arithmetic.  Default "scipy": bit for bit the installed
        SciPy's (its C translation of L-BFGS-B), so code tested against
        SciPy's numbers gets the same numbers.  "fortran": L-BFGS-B 3.0's
        Fortran (``lbfgsb.minimize``'s default); "scipy114": SciPy <= 1.14's
        Fortran; or any set of deviation names (``lbfgsb.deviations()``).

    Raises
    ------
    ValueError
        An unknown flavour (nothing changes).
    RuntimeError
        SciPy's ``_minimize_lbfgsb`` takes a parameter the replacement does
        not know (its private contract changed; nothing changes).

    See Also
    --------
    unpatch_scipy, scipy_patched, scipy_is_patched

    Notes
    -----
    The exact scope and SciPy's private contract: docs/API.md, "SciPy patched
    onto the port".
    """
    global _current
    flavour = flavour_label(flavour)     # ValueError naming the deviations
    with _lock:
        mods = _modules()
        if _current is None:
            originals = {m.__name__: getattr(m, _NAME) for m in mods}
            _check_contract(originals["scipy.optimize._lbfgsb_py"])
            _saved.update(originals)
        elif _current.lbfgsb_flavour == flavour:
            return
        repl = _make_replacement(flavour, _saved["scipy.optimize._lbfgsb_py"])
        for m in mods:
            setattr(m, _NAME, repl)
        _current = repl


def unpatch_scipy():
    """Give SciPy its own ``_minimize_lbfgsb`` back (undo ``patch_scipy``).

    A no-op when SciPy is not patched.  A module whose ``_minimize_lbfgsb``
    was replaced again by someone else after ``patch_scipy`` is left as it is,
    with a ``RuntimeWarning``.
    """
    global _current
    with _lock:
        if _current is None:
            return
        for m in _modules():
            if getattr(m, _NAME) is _current:
                setattr(m, _NAME, _saved[m.__name__])
            else:
                warnings.warn(f"{m.__name__}.{_NAME} was replaced by something else "
                              "after lbfgsb.patch_scipy(); left as it is",
                              RuntimeWarning, stacklevel=2)
        _saved.clear()
        _current = None


def scipy_is_patched():
    """The flavour SciPy's L-BFGS-B runs in on the port, or None when SciPy's own
    code runs (not patched)."""
    with _lock:
        return None if _current is None else _current.lbfgsb_flavour


@contextlib.contextmanager
def scipy_patched(flavour="scipy"):
    """Context manager: SciPy's L-BFGS-B runs on the port inside the block.

    Blocks nest and may run in several threads at once, entered and left in
    any order: SciPy stays patched while any block runs, and when the last
    one ends the state before the first one comes back (unpatched, or
    patched as ``patch_scipy`` left it), also when a block raises.  A block
    nested in the same thread may ask for another flavour (the outer one's
    comes back when it ends); a block asking for a flavour other than that of
    a block running in another thread raises ``RuntimeError`` (both threads'
    SciPy calls would change arithmetic under them).

    Parameters
    ----------
    flavour : str or set of str, optional
        As for ``patch_scipy`` (default "scipy": the installed SciPy's bits).

    Examples
    --------
    >>> import numpy as np, lbfgsb
    >>> from scipy.optimize import minimize, rosen
    >>> with lbfgsb.scipy_patched():
    ...     res = minimize(rosen, np.zeros(3), method="L-BFGS-B")
    """
    global _base
    flavour = flavour_label(flavour)
    me = threading.get_ident()
    with _lock:
        others = sorted({f for t, f in _blocks if t != me and f != flavour})
        if others:
            raise RuntimeError(
                f"lbfgsb.scipy_patched({flavour!r}): another thread runs SciPy "
                f"patched in flavour {others[0]!r}; blocks in different flavours "
                "cannot overlap across threads")
        if not _blocks:
            _base = scipy_is_patched()
        patch_scipy(flavour)
        block = [me, flavour]
        _blocks.append(block)
    try:
        yield
    finally:
        with _lock:
            # blocks end in any order: this one goes, wherever it is
            del _blocks[next(i for i, b in enumerate(_blocks) if b is block)]
            if _blocks:
                patch_scipy(_blocks[-1][1])
            elif _base is None:
                unpatch_scipy()
            else:
                patch_scipy(_base)
