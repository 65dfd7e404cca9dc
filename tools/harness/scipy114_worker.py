"""Worker process: SciPy 1.14's Fortran ``setulb``, driven over a pipe.

Runs under the Python of SciPy 1.14.1's own virtual environment (see
:mod:`scipy114`); imports nothing of the harness.  Protocol on stdin/stdout,
one exchange per ``setulb`` call: a header line (JSON: n, m, factr, pgtol,
maxls) and the raw bytes of x, l, u, nbd, f, g, wa, iwa, task, csave, lsave,
isave, dsave in that order; the answer is the raw bytes of x, f, g, wa, iwa,
task, csave, lsave, isave, dsave after the call.  A header ``{"op": "info"}``
answers one JSON line: SciPy's version and the libraries its BLAS symbols
bind to.
"""
import json
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np                                   # noqa: E402
from scipy.optimize import _lbfgsb                   # noqa: E402


def _layout(n, m):
    nwa = 2 * m * n + 5 * n + 11 * m * m + 8 * m
    return [("x", np.float64, n), ("l", np.float64, n), ("u", np.float64, n),
            ("nbd", np.int32, n), ("f", np.float64, 1), ("g", np.float64, n),
            ("wa", np.float64, nwa), ("iwa", np.int32, 3 * n), ("task", "S60", 1),
            ("csave", "S60", 1), ("lsave", np.int32, 4), ("isave", np.int32, 44),
            ("dsave", np.float64, 29)]


OUT = ("x", "f", "g", "wa", "iwa", "task", "csave", "lsave", "isave", "dsave")


def _read_exact(stream, k):
    buf = bytearray()
    while len(buf) < k:
        chunk = stream.read(k - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


def _info():
    import scipy
    maps = open("/proc/self/maps").read() if os.path.exists("/proc/self/maps") else ""
    libs = sorted({ln.split()[-1] for ln in maps.splitlines()
                   if "openblas" in ln.lower() and "/" in ln})
    import ctypes
    import ctypes.util

    class DlInfo(ctypes.Structure):
        _fields_ = [("fname", ctypes.c_char_p), ("fbase", ctypes.c_void_p),
                    ("sname", ctypes.c_char_p), ("saddr", ctypes.c_void_p)]
    libdl = ctypes.CDLL(ctypes.util.find_library("dl") or "libc.so.6")
    libdl.dlsym.restype = ctypes.c_void_p
    libdl.dlsym.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    libdl.dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(DlInfo)]
    bound = {}
    for sym in ("scipy_ddot_", "scipy_daxpy_", "scipy_dscal_", "scipy_dcopy_"):
        addr = libdl.dlsym(ctypes.c_void_p(0), sym.encode())  # RTLD_DEFAULT
        info = DlInfo()
        if addr and libdl.dladdr(ctypes.c_void_p(addr), ctypes.byref(info)):
            bound[sym] = info.fname.decode()
    return {"scipy": scipy.__version__, "numpy": np.__version__,
            "openblas_loaded": libs, "ld_preload": os.environ.get("LD_PRELOAD", ""),
            "bound": bound}


def main():
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    while True:
        line = inp.readline()
        if not line:
            return
        hdr = json.loads(line)
        if hdr.get("op") == "info":
            out.write((json.dumps(_info()) + "\n").encode())
            out.flush()
            continue
        n, m = int(hdr["n"]), int(hdr["m"])
        a = {}
        for name, dt, k in _layout(n, m):
            size = np.dtype(dt).itemsize * k
            a[name] = np.frombuffer(_read_exact(inp, size), dtype=dt).copy()
        f = np.array(a["f"][0])
        _lbfgsb.setulb(m, a["x"], a["l"], a["u"], a["nbd"], f, a["g"], hdr["factr"],
                       hdr["pgtol"], a["wa"], a["iwa"], a["task"], -1, a["csave"],
                       a["lsave"], a["isave"], a["dsave"], hdr["maxls"])
        a["f"][0] = f
        out.write(b"".join(a[k].tobytes() for k in OUT))
        out.flush()


if __name__ == "__main__":
    main()
