"""ctypes interface to the Fortran L-BFGS-B 3.0 the port is checked against (Debian ``liblbfgsb0``).

This module is part of the cross-check harness: it lets tests run the original
Fortran code (as compiled by Debian with gfortran) next to the Cython port and
compare results.

Overview
--------
``available()``            -> ``(bool, reason)``
``load(blas="scipy")``     -> a :class:`FortranLBFGSB` handle (cached per mode)
``blas_in_use(blas)``      -> dict describing what the Fortran's BLAS/LAPACK
                              imports are *actually* bound to
``setulb(...)``            -> raw reverse-communication call of ``setulb_``
``dcstep``, ``dcsrch``, ``bmv``, ``formt``, ``formk``, ``cauchy``, ``hpsolb``,
``cmprlb``, ``subsm``, ``matupd``, ``projgr``, ``active``, ``freev``,
``errclb``, ``lnsrlb``   -> thin wrappers of the individual subroutines
``run(fg, x0, lower, upper, ...)`` -> a SciPy-like driver loop with recording

BLAS modes
----------
Debian's ``liblbfgsb.so.0`` imports ``ddot_ daxpy_ dcopy_ dscal_ dpotrf_
dtrtrs_`` from ``libblas.so.3``/``liblapack.so.3`` (reference BLAS here).

* ``blas="system"`` loads ``/usr/lib/.../liblbfgsb.so.0`` as is; the imports
  bind to whatever ``libblas.so.3``/``liblapack.so.3`` alternative is
  installed.
* ``blas="scipy"`` makes the Fortran use *SciPy's bundled OpenBLAS* (the
  routines ``scipy.linalg.cython_blas``/``cython_lapack`` call), so that the
  Fortran and a port that uses ``cython_blas`` see identical BLAS kernels.
  ``tools/blas_shim.c`` is compiled at run time into a small library
  (soname ``libLBshim.so``) exporting ``ddot_`` ... that forward to
  ``scipy_ddot_`` ...; ``liblbfgsb.so.0`` is copied into the cache directory
  and, in the copy, the ``DT_NEEDED`` entry ``libblas.so.3`` is rewritten to
  ``libLBshim.so`` (same length) and the ``DT_SONAME`` is renamed.  The shim is
  dlopen'ed first (RTLD_LOCAL) and the private copy after it; the dynamic
  loader satisfies the copy's ``DT_NEEDED libLBshim.so`` with the already
  loaded shim (soname match), and since the shim precedes ``liblapack.so.3``
  in the copy's breadth-first local lookup scope, all six imports bind to the
  shim.  Nothing is loaded RTLD_GLOBAL, so **both modes coexist in one
  process** (they are two different DSOs with separate state).

``blas_in_use`` does not trust ``dlsym``: it parses the relocation tables of
the loaded file, reads the GOT slots of the six imports in the mapped image
(the library is linked ``BIND_NOW``, so the slots are resolved at load time)
and names the DSO each slot points into with ``dladdr`` (``tools/fortran_elf.py``).

Build cache: ``$LBFGSB_FORTRAN_CACHE`` or ``~/.cache/lbfgsb-fortran`` (falling
back to the temp dir), one sub-directory per hash of (shim source, OpenBLAS
path, liblbfgsb path/size/mtime).  The Fortran library path can be overridden
with ``$LBFGSB_FORTRAN_LIB``.

Bit-for-bit comparisons
-----------------------
OpenBLAS kernels may change their summation order with the thread count;
comparisons against the port should pin ``OPENBLAS_NUM_THREADS=1`` in the
environment *before* the process starts (tiny vectors never go threaded in
practice, but do pin it).  ``ddot`` in reference BLAS vs OpenBLAS differ in
rounding, so use ``blas="scipy"`` when comparing with a port built on
``scipy.linalg.cython_blas``.

Debian build quirks (observed)
------------------------------
* Patch 0006 removed the ``iterate.dat`` file; ``iprint >= 0`` prints to
  stdout (Fortran unit 6) only.
* The ``silence`` patch wrapped the "ascent direction in projection" message
  of ``lnsrlb`` in ``if (iprint .ge. 0)``, but ``lnsrlb`` has no ``iprint``
  argument or declaration: it is an implicit, *uninitialised* local INTEGER.
  gfortran folded the test away: the Debian binary prints the message
  unconditionally whenever ``lnsrlb`` sees ``gd >= 0`` on its first trial
  (then returns ``info = -4``).  No ``iprint`` argument exists for
  :func:`lnsrlb` here.
* There is no ``maxls`` in the Fortran: at most 20 line-search steps.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import glob
import hashlib
import os
import subprocess
import tempfile
import threading

import numpy as np

__all__ = [
    "available", "load", "blas_in_use", "setulb", "run", "make_task",
    "task_str", "FortranLBFGSB", "BLAS_SYMBOLS",
    "dcstep", "dcsrch", "bmv", "formt", "formk", "cauchy", "hpsolb",
    "cmprlb", "subsm", "matupd", "projgr", "active", "freev", "errclb",
    "lnsrlb",
]

BLAS_SYMBOLS = ("ddot_", "daxpy_", "dcopy_", "dscal_", "dpotrf_", "dtrtrs_")
_SHIM_SONAME = b"libLBshim.so"          # must have len(b"libblas.so.3")
_BLAS_NEEDED = b"libblas.so.3"
_LIB_SONAME = b"liblbfgsb.so.0"
_PRIVATE_SONAME = b"liblbfgsS.so.0"     # same length as _LIB_SONAME
assert len(_SHIM_SONAME) == len(_BLAS_NEEDED)
assert len(_PRIVATE_SONAME) == len(_LIB_SONAME)

_HERE = os.path.dirname(os.path.abspath(__file__))
_SHIM_SRC = os.path.join(_HERE, "blas_shim.c")

_lock = threading.RLock()
_handles: dict = {}

# the loader and ELF helpers live in fortran_elf.py (loaded by path, as this
# module is: the repository root stays off sys.path)
def _load_sibling(name):
    import importlib.util
    import sys
    key = "_lbfgsb_tools_" + name
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            key, os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        sys.modules[key] = mod
    return sys.modules[key]


_elf = _load_sibling("fortran_elf")
_DlInfo, _dladdr_info, _sym_addr = _elf._DlInfo, _elf._dladdr_info, _elf._sym_addr
_Elf, _got_bindings = _elf._Elf, _elf._got_bindings
_DT_NEEDED, _DT_SONAME = _elf._DT_NEEDED, _elf._DT_SONAME


# ----------------------------------------------------------------------------
# locating things, building the shim
# ----------------------------------------------------------------------------

_DEFAULT_LIB_CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/liblbfgsb.so.0",
    "/usr/lib64/liblbfgsb.so.0",
    "/usr/lib/liblbfgsb.so.0",
)


def _find_liblbfgsb():
    env = os.environ.get("LBFGSB_FORTRAN_LIB")
    if env:
        return env if os.path.exists(env) else None
    for c in _DEFAULT_LIB_CANDIDATES:
        if os.path.exists(c):
            return c
    name = ctypes.util.find_library("lbfgsb")
    if name:
        for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib"):
            p = os.path.join(d, name)
            if os.path.exists(p):
                return p
    return None


def _capsule_pointer(capsule):
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.argtypes = [ctypes.py_object]
    get_name.restype = ctypes.c_char_p
    get_ptr = ctypes.pythonapi.PyCapsule_GetPointer
    get_ptr.argtypes = [ctypes.py_object, ctypes.c_char_p]
    get_ptr.restype = ctypes.c_void_p
    return get_ptr(capsule, get_name(capsule))


def scipy_openblas_path():
    """Path of the OpenBLAS that scipy.linalg.cython_blas actually uses.

    Found with dladdr on the function behind cython_blas' ``ddot`` capsule
    and the GOT of the cython_blas extension; falls back to globbing
    ``scipy.libs``.
    """
    try:
        import scipy.linalg.cython_blas as cb
        mod = ctypes.CDLL(cb.__file__)
        b = _got_bindings(mod, cb.__file__, "PyInit_cython_blas", ["scipy_ddot_"])
        lib = b["scipy_ddot_"]["library"]
        if lib:
            return lib
    except Exception:
        pass
    import scipy
    libs = sorted(glob.glob(os.path.join(os.path.dirname(os.path.dirname(scipy.__file__)),
                                         "scipy.libs", "libscipy_openblas*.so*")))
    return os.path.realpath(libs[0]) if libs else None


def cython_blas_targets():
    """{routine: (capsule pointer, address of scipy_<routine>_ it calls, lib)}.

    The cython_blas/cython_lapack capsules point to small Cython wrappers
    inside the extension modules; the wrappers call ``scipy_<name>_`` through
    the extension's GOT, which is what this reports.
    """
    import scipy.linalg.cython_blas as cb
    import scipy.linalg.cython_lapack as cl
    out = {}
    for mod, init, names in ((cb, "PyInit_cython_blas", ("ddot", "daxpy", "dcopy", "dscal")),
                             (cl, "PyInit_cython_lapack", ("dpotrf", "dtrtrs"))):
        dll = ctypes.CDLL(mod.__file__)
        got = _got_bindings(dll, mod.__file__, init, ["scipy_%s_" % n for n in names])
        for n in names:
            g = got["scipy_%s_" % n]
            out[n] = (_capsule_pointer(mod.__pyx_capi__[n]), g["address"], g["library"])
    return out


def _cache_root():
    env = os.environ.get("LBFGSB_FORTRAN_CACHE")
    if env:
        return env
    home = os.path.expanduser("~")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")
    root = os.path.join(base, "lbfgsb-fortran")
    try:
        os.makedirs(root, exist_ok=True)
        if os.access(root, os.W_OK):
            return root
    except OSError:
        pass
    return os.path.join(tempfile.gettempdir(), "lbfgsb-fortran-%d" % os.getuid())


def _atomic_write(path, data):
    d = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _build_scipy_mode_files(libpath, openblas):
    """Compile the shim and make the patched private copy; return their paths."""
    with open(_SHIM_SRC, "rb") as fh:
        src = fh.read()
    st = os.stat(libpath)
    key = hashlib.sha256(b"\0".join([
        src, openblas.encode(), os.path.realpath(libpath).encode(),
        str(st.st_size).encode(), str(st.st_mtime_ns).encode(), b"v1"])).hexdigest()[:16]
    d = os.path.join(_cache_root(), key)
    os.makedirs(d, exist_ok=True)
    shim = os.path.join(d, _SHIM_SONAME.decode())
    private = os.path.join(d, "liblbfgsb_scipyblas.so")
    if not os.path.exists(shim):
        cc = os.environ.get("CC", "cc")
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-shim-", suffix=".so")
        os.close(fd)
        cmd = [cc, "-O2", "-shared", "-fPIC", "-Wl,-soname," + _SHIM_SONAME.decode(),
               "-o", tmp, _SHIM_SRC, openblas,
               "-Wl,-rpath," + os.path.dirname(openblas), "-Wl,-z,now"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("building BLAS shim failed: %s\n%s%s"
                               % (" ".join(cmd), r.stdout, r.stderr))
        os.replace(tmp, shim)
    if not os.path.exists(private):
        with open(libpath, "rb") as fh:
            data = bytearray(fh.read())
        elf = _Elf(data)
        needed = elf.dyn_strings(_DT_NEEDED)
        hits = [off for s, off in needed if s == _BLAS_NEEDED]
        if len(hits) != 1:
            raise RuntimeError("%s: expected one DT_NEEDED %s, got %r"
                               % (libpath, _BLAS_NEEDED, [s for s, _ in needed]))
        # the shim must come before liblapack.so.3 (which also provides
        # dpotrf_/dtrtrs_) in breadth-first lookup order
        names = [s for s, _ in needed]
        if b"liblapack.so.3" in names and names.index(b"liblapack.so.3") < names.index(_BLAS_NEEDED):
            raise RuntimeError("%s: liblapack precedes libblas in DT_NEEDED" % libpath)
        data[hits[0]:hits[0] + len(_BLAS_NEEDED)] = _SHIM_SONAME
        for s, off in elf.dyn_strings(_DT_SONAME):
            if s == _LIB_SONAME:
                data[off:off + len(s)] = _PRIVATE_SONAME
        _atomic_write(private, bytes(data))
    return shim, private


# ----------------------------------------------------------------------------
# the handle
# ----------------------------------------------------------------------------

_P = ctypes.c_void_p
_SZ = ctypes.c_size_t


class FortranLBFGSB:
    """A loaded copy of liblbfgsb with the BLAS binding of ``blas``."""

    def __init__(self, blas):
        if blas not in ("scipy", "system"):
            raise ValueError("blas must be 'scipy' or 'system', got %r" % (blas,))
        self.blas = blas
        self.system_path = _find_liblbfgsb()
        if self.system_path is None:
            raise OSError("liblbfgsb.so.0 not found (install Debian package liblbfgsb0 "
                          "or set LBFGSB_FORTRAN_LIB)")
        self.shim_path = None
        self.shim = None
        self.openblas_path = None
        if blas == "system":
            self.path = self.system_path
        else:
            self.openblas_path = scipy_openblas_path()
            if self.openblas_path is None:
                raise OSError("SciPy's bundled OpenBLAS not found")
            self.shim_path, self.path = _build_scipy_mode_files(self.system_path,
                                                                 self.openblas_path)
            # RTLD_LOCAL: nothing leaks into the global scope
            self.shim = ctypes.CDLL(self.shim_path, mode=os.RTLD_NOW | os.RTLD_LOCAL)
        self.lib = ctypes.CDLL(self.path, mode=os.RTLD_NOW | os.RTLD_LOCAL)
        self._fn = {}
        for name, spec in _SPECS.items():
            fn = getattr(self.lib, name + "_")
            nchar = sum(1 for _, k, _ in spec if k == "c")
            fn.argtypes = [_P] * len(spec) + [_SZ] * nchar
            fn.restype = None
            self._fn[name] = fn
        f = self.lib.setulb_
        f.argtypes = [_P] * 18 + [_SZ, _SZ]
        f.restype = None
        self._setulb = f

    def __repr__(self):
        return "<FortranLBFGSB blas=%r path=%r>" % (self.blas, self.path)

    # -- introspection -------------------------------------------------------
    def bindings(self):
        """GOT-resolved binding of each BLAS/LAPACK import (see module doc)."""
        got = _got_bindings(self.lib, self.path, "setulb_", BLAS_SYMBOLS)
        for name in BLAS_SYMBOLS:
            got[name]["dlsym_library"] = (_dladdr_info(_sym_addr(self.lib, name)) or {}).get("fname")
        return got

    def blas_in_use(self):
        got = self.bindings()
        libs = {v["library"] for v in got.values()}
        info = {"mode": self.blas, "lbfgsb": self.path, "bindings": got}
        shim_real = os.path.realpath(self.shim_path) if self.shim_path else None
        if shim_real and libs == {shim_real}:
            tgt = _got_bindings(self.shim, self.shim_path, "lbfgsb_blas_shim_marker_",
                                ["scipy_" + s for s in BLAS_SYMBOLS])
            info["shim_targets"] = tgt
            tlibs = {v["library"] for v in tgt.values()}
            ok = tlibs == {os.path.realpath(self.openblas_path)}
            info["kind"] = "scipy-openblas (via shim)" if ok else "shim -> %s" % sorted(map(str, tlibs))
            info["library"] = self.openblas_path if ok else None
        elif shim_real not in libs:
            info["kind"] = "system"
            info["library"] = sorted(map(str, libs))
        else:
            info["kind"] = "mixed"
            info["library"] = sorted(map(str, libs))
        return info

    # -- setulb ----------------------------------------------------------------
    def setulb(self, n, m, x, l, u, nbd, f, g, factr, pgtol, wa, iwa, task,
               iprint, csave, lsave, isave, dsave):
        n = _pos_int(n, "n")
        m = _pos_int(m, "m")
        px = _arr(x, "x", np.float64, n)
        pl = _arr(l, "l", np.float64, n, write=False)
        pu = _arr(u, "u", np.float64, n, write=False)
        pnbd = _arr(nbd, "nbd", np.int32, n, write=False)
        pf = _arr(f, "f", np.float64, 1)
        pg = _arr(g, "g", np.float64, n)
        pwa = _arr(wa, "wa", np.float64, 2 * m * n + 5 * n + 11 * m * m + 8 * m)
        piwa = _arr(iwa, "iwa", np.int32, 3 * n)
        ptask = _charbuf(task, "task")
        pcsave = _charbuf(csave, "csave")
        plsave = _arr(lsave, "lsave", np.int32, 4)
        pisave = _arr(isave, "isave", np.int32, 44)
        pdsave = _arr(dsave, "dsave", np.float64, 29)
        c_n, c_m = ctypes.c_int(n), ctypes.c_int(m)
        c_factr, c_pgtol = ctypes.c_double(float(factr)), ctypes.c_double(float(pgtol))
        c_iprint = ctypes.c_int(int(iprint))
        self._setulb(ctypes.addressof(c_n), ctypes.addressof(c_m), px, pl, pu, pnbd, pf, pg,
                     ctypes.addressof(c_factr), ctypes.addressof(c_pgtol), pwa, piwa,
                     ptask, ctypes.addressof(c_iprint), pcsave, plsave, pisave, pdsave,
                     60, 60)

    # -- individual subroutines -------------------------------------------------
    def call(self, name, *args, **kwargs):
        spec = _SPECS[name]
        names = [a for a, _, _ in spec]
        if len(args) > len(spec):
            raise TypeError("%s takes %d arguments" % (name, len(spec)))
        vals = dict(zip(names, args))
        for k, v in kwargs.items():
            if k not in names:
                raise TypeError("%s: unknown argument %r" % (name, k))
            if k in vals:
                raise TypeError("%s: argument %r given twice" % (name, k))
            vals[k] = v
        missing = [a for a in names if a not in vals]
        if missing:
            raise TypeError("%s: missing arguments %s" % (name, missing))
        scal = {}
        ptrs = []
        keep = []
        lens = []
        # scalars first (array sizes depend on them)
        for a, kind, _ in spec:
            v = vals[a]
            if kind == "i":
                c = ctypes.c_int(_int(v, a))
            elif kind == "d":
                c = ctypes.c_double(float(v))
            elif kind == "b":
                c = ctypes.c_int(1 if bool(v) else 0)
            else:
                continue
            scal[a] = c
        env = {k: c.value for k, c in scal.items()}
        for a, kind, size in spec:
            if kind in ("i", "d", "b"):
                ptrs.append(ctypes.addressof(scal[a]))
            elif kind == "c":
                v = vals[a]
                if isinstance(v, str):
                    v = make_task(v)
                    vals[a] = v
                ptrs.append(_charbuf(v, a))
                keep.append(v)
                lens.append(60)
            else:
                dt = np.float64 if kind == "D" else np.int32
                need = eval(size, {}, env) if size else 0
                if need < 0:
                    raise ValueError("%s: negative size for %s" % (name, a))
                ptrs.append(_arr(vals[a], a, dt, need, exact=False))
        self._fn[name](*(ptrs + lens))
        out = {}
        for a, kind, _ in spec:
            if kind in ("i", "d"):
                out[a] = scal[a].value
            elif kind == "b":
                out[a] = bool(scal[a].value)
            elif kind == "c":
                out[a] = task_str(vals[a])
        return out


# argument specs: (name, kind, min size expression for arrays)
#   i int scalar, d double scalar, b LOGICAL scalar, c CHARACTER*60,
#   D float64 array, I int32 array (LOGICAL arrays are int32 too)
def _s(text):
    out = []
    for item in text.split():
        name, kind = item.split(":", 1)
        size = None
        if kind[0] in "DI":
            kind, size = kind[0], kind[1:] or None
            size = size.strip("()") if size else None
        out.append((name, kind, size))
    return out


_SPECS = {
    "dcstep": _s("stx:d fx:d dx:d sty:d fy:d dy:d stp:d fp:d dp:d brackt:b stpmin:d stpmax:d"),
    "dcsrch": _s("f:d g:d stp:d ftol:d gtol:d xtol:d stpmin:d stpmax:d task:c "
                 "isave:I(2) dsave:D(13)"),
    "bmv": _s("m:i sy:D(m*m) wt:D(m*m) col:i v:D(2*col) p:D(2*col) info:i"),
    "formt": _s("m:i wt:D(m*m) sy:D(m*m) ss:D(m*m) col:i theta:d info:i"),
    "formk": _s("n:i nsub:i ind:I(n) nenter:i ileave:i indx2:I(n) iupdat:i updatd:b "
                "wn:D(4*m*m) wn1:D(4*m*m) m:i ws:D(n*m) wy:D(n*m) sy:D(m*m) theta:d "
                "col:i head:i info:i"),
    "cauchy": _s("n:i x:D(n) l:D(n) u:D(n) nbd:I(n) g:D(n) iorder:I(n) iwhere:I(n) "
                 "t:D(n) d:D(n) xcp:D(n) m:i wy:D(n*m) ws:D(n*m) sy:D(m*m) wt:D(m*m) "
                 "theta:d col:i head:i p:D(2*m) c:D(2*m) wbp:D(2*m) v:D(2*m) nseg:i "
                 "iprint:i sbgnrm:d info:i epsmch:d"),
    "hpsolb": _s("n:i t:D(n) iorder:I(n) iheap:i"),
    "cmprlb": _s("n:i m:i x:D(n) g:D(n) ws:D(n*m) wy:D(n*m) sy:D(m*m) wt:D(m*m) z:D(n) "
                 "r:D(n) wa:D(4*m) index:I(n) theta:d col:i head:i nfree:i cnstnd:b info:i"),
    "subsm": _s("n:i m:i nsub:i ind:I(nsub) l:D(n) u:D(n) nbd:I(n) x:D(n) d:D(n) xp:D(n) "
                "ws:D(n*m) wy:D(n*m) theta:d xx:D(n) gg:D(n) col:i head:i iword:i "
                "wv:D(2*m) wn:D(4*m*m) iprint:i info:i"),
    "matupd": _s("n:i m:i ws:D(n*m) wy:D(n*m) sy:D(m*m) ss:D(m*m) d:D(n) r:D(n) itail:i "
                 "iupdat:i col:i head:i theta:d rr:d dr:d stp:d dtd:d"),
    "projgr": _s("n:i l:D(n) u:D(n) nbd:I(n) x:D(n) g:D(n) sbgnrm:d"),
    "active": _s("n:i l:D(n) u:D(n) nbd:I(n) x:D(n) iwhere:I(n) iprint:i prjctd:b "
                 "cnstnd:b boxed:b"),
    "freev": _s("n:i nfree:i index:I(n) nenter:i ileave:i indx2:I(n) iwhere:I(n) wrk:b "
                "updatd:b cnstnd:b iprint:i iter:i"),
    "errclb": _s("n:i m:i factr:d l:D(n) u:D(n) nbd:I(n) task:c info:i k:i"),
    "lnsrlb": _s("n:i l:D(n) u:D(n) nbd:I(n) x:D(n) f:d fold:d gd:d gdold:d g:D(n) d:D(n) "
                 "r:D(n) t:D(n) z:D(n) stp:d dnorm:d dtd:d xstep:d stpmx:d iter:i ifun:i "
                 "iback:i nfgv:i info:i task:c boxed:b cnstnd:b csave:c isave:I(2) "
                 "dsave:D(13)"),
}


# ----------------------------------------------------------------------------
# validation helpers
# ----------------------------------------------------------------------------

def _int(v, name):
    if isinstance(v, (bool, np.bool_)):
        raise ValueError("%s must be an integer, got bool" % name)
    try:
        iv = int(v)
    except (TypeError, ValueError):
        raise ValueError("%s must be an integer, got %r" % (name, v)) from None
    if iv != v:
        raise ValueError("%s must be an integer, got %r" % (name, v))
    if not -2**31 <= iv < 2**31:
        raise ValueError("%s out of int32 range" % name)
    return iv


def _pos_int(v, name):
    iv = _int(v, name)
    if iv <= 0:
        raise ValueError("%s must be positive, got %d" % (name, iv))
    return iv


def _arr(a, name, dtype, size, write=True, exact=True):
    """Validate a numpy buffer and return its data pointer."""
    if not isinstance(a, np.ndarray):
        raise ValueError("%s must be a numpy array of dtype %s" % (name, np.dtype(dtype)))
    if a.dtype != np.dtype(dtype):
        raise ValueError("%s must have dtype %s, got %s" % (name, np.dtype(dtype), a.dtype))
    if a.ndim > 1:
        if not a.flags.f_contiguous:
            raise ValueError("%s: multi-dimensional arrays must be Fortran-contiguous" % name)
    elif not a.flags.c_contiguous:
        raise ValueError("%s must be contiguous" % name)
    if not a.flags.aligned:
        raise ValueError("%s must be aligned" % name)
    if write and not a.flags.writeable:
        raise ValueError("%s must be writeable" % name)
    if exact and name in ("x", "l", "u", "nbd", "g", "f") and a.size != size:
        raise ValueError("%s must have %d elements, got %d" % (name, size, a.size))
    if a.size < size:
        raise ValueError("%s must have at least %d elements, got %d" % (name, size, a.size))
    return a.ctypes.data if a.size else 0


def _charbuf(b, name):
    """Pointer to a writeable 60-byte character buffer."""
    if isinstance(b, bytearray):
        if len(b) != 60:
            raise ValueError("%s must be 60 bytes, got %d" % (name, len(b)))
        return ctypes.addressof((ctypes.c_char * 60).from_buffer(b))
    if isinstance(b, np.ndarray):
        if b.dtype == np.dtype("S60") and b.size == 1 or \
                b.dtype == np.uint8 and b.size == 60:
            if not b.flags.c_contiguous or not b.flags.writeable:
                raise ValueError("%s must be contiguous and writeable" % name)
            return b.ctypes.data
    raise ValueError("%s must be a bytearray(60), np.zeros(1, 'S60') or uint8[60]" % name)


def make_task(s="", kind="S60"):
    """A Fortran CHARACTER*60 buffer holding ``s`` space padded.

    ``kind='S60'`` -> ``np.ndarray`` of shape (1,), dtype S60;
    ``kind='bytearray'`` -> ``bytearray(60)``.
    """
    raw = s.encode("ascii") if isinstance(s, str) else bytes(s)
    if len(raw) > 60:
        raise ValueError("string longer than 60 characters")
    raw = raw.ljust(60, b" ")
    if kind == "bytearray":
        return bytearray(raw)
    arr = np.zeros(1, "S60")
    arr.view(np.uint8)[:] = np.frombuffer(raw, np.uint8)
    return arr


def task_str(b):
    """Decode a CHARACTER*60 buffer, trailing blanks/NULs removed."""
    if isinstance(b, np.ndarray):
        raw = b.view(np.uint8).tobytes()
    else:
        raw = bytes(b)
    return raw.decode("ascii", "replace").rstrip(" \0")


# ----------------------------------------------------------------------------
# module-level API
# ----------------------------------------------------------------------------

def load(blas="scipy"):
    """Load (once per process and mode) and return the handle for ``blas``."""
    with _lock:
        h = _handles.get(blas)
        if h is None:
            h = FortranLBFGSB(blas)
            _handles[blas] = h
        return h


def available(blas="scipy"):
    """``(True, "")`` if the Fortran library can be used, else ``(False, reason)``."""
    try:
        load(blas)
    except Exception as exc:                         # noqa: BLE001
        return False, "Fortran L-BFGS-B unavailable (blas=%r): %s: %s" % (
            blas, type(exc).__name__, exc)
    return True, ""


def blas_in_use(blas="scipy"):
    """Describe what the Fortran's BLAS/LAPACK imports are bound to.

    Returns a dict with ``kind`` ('scipy-openblas (via shim)', 'system' or
    'mixed'), ``library`` (scipy mode: the OpenBLAS path; system mode: sorted
    list of the DSOs bound, e.g. libblas.so.3 and liblapack.so.3 targets),
    ``bindings`` (per symbol:
    GOT address, DSO path from dladdr, and for reference the dlsym-in-handle
    answer) and, in scipy mode, ``shim_targets`` (the shim's own GOT).
    """
    return load(blas).blas_in_use()


def setulb(n, m, x, l, u, nbd, f, g, factr, pgtol, wa, iwa, task, iprint,
           csave, lsave, isave, dsave, blas="scipy"):
    """Call Fortran ``setulb_`` once (reverse communication); buffers in place.

    dtypes: x,l,u,g,wa,dsave float64; nbd,iwa,isave,lsave int32; f float64 of
    size 1 (0-d is fine); task, csave 60-byte buffers (see :func:`make_task`).
    Wrong dtype/size/contiguity raises ValueError before any call.
    """
    load(blas).setulb(n, m, x, l, u, nbd, f, g, factr, pgtol, wa, iwa, task,
                      iprint, csave, lsave, isave, dsave)


def _make_wrapper(name):
    spec = _SPECS[name]
    sig = ", ".join(a for a, _, _ in spec)

    def wrapper(*args, blas="scipy", **kwargs):
        return load(blas).call(name, *args, **kwargs)
    wrapper.__name__ = name
    wrapper.__qualname__ = name
    kinds = {"i": "int", "d": "float", "b": "bool", "c": "CHARACTER*60",
             "D": "float64[]", "I": "int32[]"}
    wrapper.__doc__ = (
        "Fortran ``%s_(%s)``.\n\nArguments (Fortran order): %s.\n\n"
        "Arrays are modified in place (must be contiguous numpy arrays of the given\n"
        "dtype; 2-D ones Fortran-ordered); returns a dict of every scalar and\n"
        "character argument after the call (character args stripped).\n"
        "Keyword ``blas`` selects the library handle." % (
            name, sig, ", ".join("%s: %s%s" % (a, kinds[k], "" if s is None else "(>=%s)" % s)
                                 for a, k, s in spec)))
    return wrapper


for _name in _SPECS:
    globals()[_name] = _make_wrapper(_name)
del _name


# ----------------------------------------------------------------------------
# driver
# ----------------------------------------------------------------------------

def bounds_to_nbd(lower, upper, n):
    """SciPy's conversion of (lower, upper) with +-inf into l, u, nbd."""
    lower = np.broadcast_to(np.asarray(-np.inf if lower is None else lower, float), (n,))
    upper = np.broadcast_to(np.asarray(np.inf if upper is None else upper, float), (n,))
    nbd = np.zeros(n, np.int32)
    l = np.zeros(n, np.float64)
    u = np.zeros(n, np.float64)
    bounds_map = {(-np.inf, np.inf): 0, (1, np.inf): 1, (1, 1): 2, (-np.inf, 1): 3}
    for i in range(n):
        L, U = lower[i], upper[i]
        if not np.isinf(L):
            l[i] = L
            L = 1
        if not np.isinf(U):
            u[i] = U
            U = 1
        nbd[i] = bounds_map[L, U]
    return l, u, nbd


def run(fg, x0, lower=None, upper=None, m=10, factr=1e7, pgtol=1e-5,
        maxiter=15000, maxfun=15000, iprint=-1, blas="scipy", record=True):
    """Minimise with the Fortran code using a driver loop like SciPy's.

    ``fg(x) -> (f, g)``.  ``lower``/``upper``: arrays (or scalars/None) with
    +-inf for missing bounds.  Counting as in ``scipy.optimize._lbfgsb_py``:
    ``nit`` is incremented on every NEW_X; after that, ``nit >= maxiter``
    sets task 'STOP: TOTAL NO. of ITERATIONS REACHED LIMIT' and otherwise
    ``nfev > maxfun`` sets 'STOP: TOTAL NO. of f AND g EVALUATIONS EXCEEDS
    LIMIT'; ``nfev`` counts FG requests.  Note: unlike SciPy, x0 is not
    clipped into the bounds here (the Fortran projects it itself).

    Returns a dict: x, f, g, nit, nfev, task (stripped), warnflag (0
    converged, 1 limit, 2 other), and if ``record``: ``fg_points`` (each x at
    which f,g were requested), ``iterates`` (list of dicts x,f,g at NEW_X),
    ``states`` (after each setulb call: task, isave, dsave, lsave, wa, x).
    """
    h = load(blas)
    x = np.array(x0, dtype=np.float64).ravel().copy()
    n = x.size
    l, u, nbd = bounds_to_nbd(lower, upper, n)
    f = np.zeros(1, np.float64)
    g = np.zeros(n, np.float64)
    wa = np.zeros(2 * m * n + 5 * n + 11 * m * m + 8 * m, np.float64)
    iwa = np.zeros(3 * n, np.int32)
    task = make_task("START")
    csave = make_task("")
    lsave = np.zeros(4, np.int32)
    isave = np.zeros(44, np.int32)
    dsave = np.zeros(29, np.float64)
    nit = nfev = 0
    fg_points, iterates, states = [], [], []
    while True:
        h.setulb(n, m, x, l, u, nbd, f, g, factr, pgtol, wa, iwa, task, iprint,
                 csave, lsave, isave, dsave)
        t = task_str(task)
        if record:
            states.append({"task": t, "csave": task_str(csave), "isave": isave.copy(),
                           "dsave": dsave.copy(), "lsave": lsave.copy(),
                           "wa": wa.copy(), "x": x.copy()})
        if t.startswith("FG"):
            if record:
                fg_points.append(x.copy())
            fv, gv = fg(x.copy())
            f[0] = float(fv)
            g[:] = np.asarray(gv, dtype=np.float64).ravel()
            nfev += 1
        elif t.startswith("NEW_X"):
            nit += 1
            if record:
                iterates.append({"x": x.copy(), "f": float(f[0]), "g": g.copy()})
            if nit >= maxiter:
                task[:] = make_task("STOP: TOTAL NO. of ITERATIONS REACHED LIMIT")
            elif nfev > maxfun:
                task[:] = make_task("STOP: TOTAL NO. of f AND g EVALUATIONS EXCEEDS LIMIT")
        else:
            break
    t = task_str(task)
    if t.startswith("CONV"):
        warnflag = 0
    elif nfev > maxfun or nit >= maxiter:
        warnflag = 1
    else:
        warnflag = 2
    res = {"x": x, "f": float(f[0]), "g": g, "nit": nit, "nfev": nfev, "task": t,
           "warnflag": warnflag, "blas": blas}
    if record:
        res.update(fg_points=fg_points, iterates=iterates, states=states)
    return res
