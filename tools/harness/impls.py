"""Implementations of setulb: loading the pieces (the port, SciPy, the
Fortran through tools/fortran.py), one class per state layout, availability.

Depends on :mod:`state` only.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys

import numpy as np

from .state import (STOP_FUN, STOP_ITER, _DETAIL_TEXT, _new_fstr, _set_fstr, fortran_str,
                    named_state, scipy_task_text)

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # tools/
ROOT = os.path.dirname(HERE)

IMPLS = ("port", "port-scipy", "port-scipy-api", "port-reference", "scipy", "fortran",
         "fortran-system", "scipy114")
DEFAULT_IMPLS = ("port", "port-scipy", "port-reference", "scipy", "fortran", "fortran-system")
DEFAULT_REF = "fortran"
#: the implementation each one is checked against (``None``: the run's
#: ``--against``, default the Fortran)
PRIMARY_REF = {"port": None, "port-scipy": "scipy", "port-scipy-api": "scipy",
               "port-reference": "fortran-system", "scipy": None, "fortran": None,
               "fortran-system": None, "scipy114": None}
#: (a, b) pairs whose free runs and lock steps must be bitwise identical
BITWISE_TARGETS = (("port", "fortran"), ("port-scipy", "scipy"),
                   ("port-scipy-api", "scipy"), ("port-reference", "fortran-system"))


class Unavailable(Exception):
    """An implementation cannot be used here (library missing, port not built)."""


def load_fortran_module():
    """tools/fortran.py, loaded by path under the name the tests use, so that
    the repository root stays off ``sys.path`` (``lbfgsb`` must resolve to
    the built / installed package, not to the source tree)."""
    name = "_lbfgsb_tools_fortran"
    mod = sys.modules.get(name)
    if mod is not None:
        return mod
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, "fortran.py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return mod


def load_reference():
    """The ``reference`` problem package of the repository (root appended to
    ``sys.path``, after site-packages)."""
    try:
        import reference  # noqa: F401
    except ImportError:
        if ROOT not in sys.path:
            sys.path.append(ROOT)
        import reference
    return reference


def load_port():
    """The compiled port (``import lbfgsb``) or raise :class:`Unavailable`."""
    try:
        if "lbfgsb" not in sys.modules:
            # never the uncompiled source tree (the repository root may be on
            # sys.path, e.g. as the current directory)
            saved = list(sys.path)
            sys.path[:] = [p for p in sys.path
                           if os.path.realpath(p or os.getcwd()) != os.path.realpath(ROOT)]
            try:
                importlib.import_module("lbfgsb")
            finally:
                sys.path[:] = saved + [p for p in sys.path if p not in saved]
        import lbfgsb
        if not callable(getattr(lbfgsb, "setulb", None)):
            raise ImportError("lbfgsb has no setulb (%s)" % getattr(lbfgsb, "__file__", "?"))
    except Exception as exc:                          # noqa: BLE001
        raise Unavailable("port not importable (build/install it: pip install "
                          "--no-build-isolation .): %s: %s" % (type(exc).__name__, exc))
    return lbfgsb


def _ci():
    return os.environ.get("CI", "").strip().lower() == "true"


def impl_available(name):
    """``(True, "")`` or ``(False, reason)``."""
    try:
        _factory(name)
    except Unavailable as exc:
        return False, str(exc)
    return True, ""


def blas_description(name):
    """Which BLAS/LAPACK the implementation runs on (a short string)."""
    try:
        fortran = load_fortran_module()
    except Exception as exc:                          # noqa: BLE001
        return "unknown (%s)" % exc
    try:
        if name in ("fortran", "fortran-system"):
            info = fortran.blas_in_use("scipy" if name == "fortran" else "system")
            lib = info.get("library")
            if isinstance(lib, (list, tuple)):
                lib = ", ".join(lib)
            return "%s: %s" % (info.get("kind"), lib)
        if name == "scipy114":
            from . import scipy114
            return scipy114.blas_description()
        if name == "scipy":
            import ctypes
            from scipy.optimize import _lbfgsb
            path = _lbfgsb.__file__
            got = fortran._got_bindings(ctypes.CDLL(path), path, "PyInit__lbfgsb",
                                        ["scipy_ddot_", "scipy_dpotrf_", "scipy_dtrtrs_"])
            libs = sorted({str(v["library"]) for v in got.values() if v["library"]})
            return "scipy-openblas (direct): %s" % ", ".join(libs)
        if (name.startswith("port:") or name in ("port", "port-scipy", "port-reference")) \
                and port_spec(name)[1] == "reference":
            return "the port's own reference-order kernels (lbfgsb.port.kernels)"
        if name.startswith("port"):
            tg = fortran.cython_blas_targets()
            libs = sorted({str(v[2]) for v in tg.values() if v[2]})
            return "scipy.linalg.cython_blas/cython_lapack -> %s" % ", ".join(libs)
    except Exception as exc:                          # noqa: BLE001
        return "unknown (%s: %s)" % (type(exc).__name__, exc)
    return "unknown"


class Impl:
    """One implementation of setulb with its own buffers.

    ``start()`` allocates the state; ``call()`` runs setulb once and returns
    the canonical task; ``x`` is the point it asks for / iterate; ``set_fg``
    hands f, g over; ``stop(text)`` sets a STOP task; ``state()`` returns the
    named state (in the implementation's own layout, see ``layout``).
    """

    name = "?"
    layout = "fortran"

    def __init__(self, name):
        self.name = name
        self.perturb = None        # (fg_index, callable(f, g) -> (f, g))
        self._fg_count = 0

    # -- common set-up ----------------------------------------------------
    def start(self, m, x0, l, u, nbd, factr, pgtol, maxls=20):
        n = x0.size
        self.n, self.m = n, m
        self.l, self.u, self.nbd = l.copy(), u.copy(), nbd.copy()
        self.factr, self.pgtol, self.maxls = float(factr), float(pgtol), int(maxls)
        self.x = np.array(x0, dtype=np.float64, copy=True)
        self.g = np.zeros(n, np.float64)
        self.wa = np.zeros(2 * m * n + 5 * n + 11 * m * m + 8 * m, np.float64)
        self.iwa = np.zeros(3 * n, np.int32)
        self.lsave = np.zeros(4, np.int32)
        self.isave = np.zeros(44, np.int32)
        self.dsave = np.zeros(29, np.float64)
        self._fg_count = 0
        self._start_task()

    def set_fg(self, f, g):
        k = self._fg_count
        self._fg_count += 1
        if self.perturb is not None and self.perturb[0] == k:
            f, g = self.perturb[1](f, np.array(g, dtype=np.float64, copy=True))
        self._store_f(f)
        self.g[:] = g

    def state(self):
        return named_state(self.layout, self.n, self.m, self.x, self._f_value(), self.g,
                           self.wa, self.iwa, self.isave, self.dsave, self.lsave,
                           self.task_text(), self.csave_text())

    @property
    def f(self):
        return self._f_value()

    def raw_key(self):
        """All of the state as bytes (CPU-time fields zeroed): equal keys of two
        implementations of the same layout mean no field differs."""
        ds = self.dsave.copy()
        ds[5:10] = 0.0
        return b"".join((self.x.tobytes(), np.float64(self._f_value()).tobytes(),
                         self.g.tobytes(), self.wa.tobytes(), self.iwa.tobytes(),
                         self.isave.tobytes(), ds.tobytes(), self.lsave.tobytes(),
                         self.task_text().encode(), b"|", self.csave_text().encode()))


class FortranLayoutImpl(Impl):
    """Fortran meaning: task/csave CHARACTER*60 buffers."""

    layout = "fortran"

    def __init__(self, name, setulb, f_shape):
        super().__init__(name)
        self._setulb_fn = setulb
        self._f_shape = f_shape

    def _start_task(self):
        self.fbuf = np.zeros(self._f_shape, np.float64)
        self.task = _new_fstr("START")
        self.csave = _new_fstr("")

    def call(self):
        self._setulb_fn(self)
        return self.task_text()

    def task_text(self):
        return fortran_str(self.task)

    def csave_text(self):
        return fortran_str(self.csave)

    def stop(self, text):
        _set_fstr(self.task, text)

    def _store_f(self, f):
        self.fbuf.reshape(-1)[0] = f

    def _f_value(self):
        return float(self.fbuf.reshape(-1)[0])


class ScipyLayoutImpl(Impl):
    """SciPy >= 1.15 meaning: integer task codes (task, ln_task int32[2])."""

    layout = "scipy"
    _STOP_CODES = {STOP_ITER: (5, 504), STOP_FUN: (5, 502)}

    def __init__(self, name, setulb):
        super().__init__(name)
        self._fn = setulb

    def _start_task(self):
        self.fbuf = np.array(0.0)
        self.task = np.zeros(2, np.int32)
        self.ln_task = np.zeros(2, np.int32)

    def call(self):
        self._fn(self.m, self.x, self.l, self.u, self.nbd, self.fbuf, self.g, self.factr,
                 self.pgtol, self.wa, self.iwa, self.task, self.lsave, self.isave,
                 self.dsave, self.maxls, self.ln_task)
        return self.task_text()

    def task_text(self):
        return scipy_task_text(self.task[0], self.task[1])

    def csave_text(self):
        s, d = int(self.ln_task[0]), int(self.ln_task[1])
        if d in _DETAIL_TEXT and s in (6, 7):
            return _DETAIL_TEXT[d]
        return {0: "START", 3: "FG", 4: "CONVERGENCE", 6: "WARNING",
                7: "ERROR"}.get(s, "?%d/%d" % (s, d)) if (s, d) != (0, 0) else ""

    def stop(self, text):
        self.task[:] = self._STOP_CODES[text]

    def _store_f(self, f):
        self.fbuf[()] = f

    def _f_value(self):
        return float(self.fbuf)


def _factory(name):
    """A zero-argument constructor for implementation ``name`` (raises
    :class:`Unavailable` when it cannot run here)."""
    if name in ("fortran", "fortran-system"):
        fortran = load_fortran_module()
        mode = "scipy" if name == "fortran" else "system"
        ok, reason = fortran.available(mode)
        if not ok:
            raise Unavailable(reason)
        h = fortran.load(mode)

        def fortran_call(self, h=h):
            h.setulb(self.n, self.m, self.x, self.l, self.u, self.nbd, self.fbuf, self.g,
                     self.factr, self.pgtol, self.wa, self.iwa, self.task, -1,
                     self.csave, self.lsave, self.isave, self.dsave)
        return lambda: FortranLayoutImpl(name, fortran_call, (1,))
    if name in ("port", "port-scipy", "port-reference") or name.startswith("port:"):
        lb = load_port()
        flavour, kernels = port_spec(name)

        def port_call(self, fn=lb.setulb, flavour=flavour, kernels=kernels):
            fn(self.m, self.x, self.l, self.u, self.nbd, self.fbuf, self.g, self.factr,
               self.pgtol, self.wa, self.iwa, self.task, -1, self.csave, self.lsave,
               self.isave, self.dsave, self.maxls, flavour=flavour, kernels=kernels)
        return lambda: FortranLayoutImpl(name, port_call, ())
    if name == "scipy114":
        from . import scipy114
        try:
            w = scipy114.worker()
        except scipy114.Scipy114Unavailable as exc:
            raise Unavailable(str(exc))
        return lambda: FortranLayoutImpl(name, w.setulb, ())
    if name == "port-scipy-api":
        lb = load_port()
        fn = getattr(lb, "scipy_setulb", None)
        if fn is None:
            raise Unavailable("the port has no scipy_setulb")
        return lambda: ScipyLayoutImpl(name, fn)
    if name == "scipy":
        try:
            from scipy.optimize import _lbfgsb
            fn = _lbfgsb.setulb
        except Exception as exc:                      # noqa: BLE001
            raise Unavailable("scipy.optimize._lbfgsb.setulb unavailable: %s" % exc)
        if "ln_task" not in (fn.__doc__ or ""):
            raise Unavailable("SciPy's _lbfgsb.setulb is not the >= 1.15 C interface")
        return lambda: ScipyLayoutImpl(name, fn)
    raise ValueError("unknown implementation %r (choose from %s, or port:FLAVOUR)"
                     % (name, ", ".join(IMPLS)))


def port_spec(name):
    """(flavour label, kernels) of a port implementation's name: ``port``
    (fortran), ``port-scipy`` (scipy), ``port-reference`` (fortran, the
    port's reference-order kernels), ``port:FLAVOUR`` (a flavour name or
    deviation names joined by '+', e.g. ``port:lnsrlb_dnrm2+formk_dtrtrs_blocked``),
    optionally ``@reference`` for the reference kernels; a ``#tag`` is ignored."""
    fixed = {"port": ("fortran", "scipy"), "port-scipy": ("scipy", "scipy"),
             "port-reference": ("fortran", "reference")}
    if name in fixed:
        return fixed[name]
    if name.startswith("port:"):
        from lbfgsb.port.deviations import flavour_label
        spec = name[5:].split("#")[0]
        flavour, _, kernels = spec.partition("@")
        kernels = kernels or "scipy"
        if kernels not in ("scipy", "reference"):
            raise ValueError("%r: kernels after '@' must be scipy or reference" % name)
        return flavour_label(flavour), kernels
    raise ValueError("%r is not a port implementation" % name)


def port_name(flavour, kernels="scipy"):
    """The implementation name of the port under ``flavour`` (a set or text)."""
    from lbfgsb.port.deviations import flavour_label
    return "port:" + flavour_label(flavour) + ("" if kernels == "scipy" else "@" + kernels)


def check_impl_name(name):
    """Raise ValueError unless ``name`` names an implementation."""
    if name in IMPLS:
        return
    if name.startswith("port:"):
        try:
            load_port()
        except Unavailable:
            return                          # reported as unavailable later
        port_spec(name)                     # ValueError naming the deviations
        return
    raise ValueError("unknown implementation %r (choose from %s, or port:FLAVOUR with "
                     "FLAVOUR a flavour or deviation names joined by '+')"
                     % (name, ", ".join(IMPLS)))


def make_impl(name):
    return _factory(name)()


def resolve_impls(requested, ref=DEFAULT_REF, strict_fortran=None):
    """Split ``requested`` into usable implementations and skipped ones
    ({name: reason}).  The Fortran's absence is an error under CI=true."""
    if strict_fortran is None:
        strict_fortran = _ci()
    usable, skipped = [], {}
    for nm in requested:
        check_impl_name(nm)
        ok, why = impl_available(nm)
        if ok:
            usable.append(nm)
        else:
            if strict_fortran and nm.startswith("fortran"):
                raise RuntimeError("CI=true and the Fortran is required: " + why)
            skipped[nm] = why
    return usable, skipped
