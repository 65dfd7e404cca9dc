"""SciPy 1.14.1, the last SciPy whose L-BFGS-B is the compiled Fortran, as an
implementation of the harness (``scipy114``).

SciPy 1.14 needs NumPy < 2.1 and cannot share a process with the SciPy the
port is built against, so it lives in its own virtual environment
(``tools/_build/scipy114``, made by ``tools/setup.sh`` or here on first use
with ``pip install "scipy==1.14.1" "numpy<2.1"``) and runs out of process
(:mod:`scipy114_worker`): its private ``scipy.optimize._lbfgsb.setulb`` with
the Fortran's signature, S60 task strings and state layout, one pipe exchange
per call (the whole state goes both ways, so the worker keeps none).

Same OpenBLAS: SciPy 1.14's ``_lbfgsb`` calls ``scipy_ddot_`` and friends
from its own bundled OpenBLAS build; the worker is started with the current
SciPy's ``libscipy_openblas`` in ``LD_PRELOAD``, whose symbols then take
precedence (the worker reports where ``scipy_ddot_`` binds).

Depends on :mod:`impls`' base classes only through the factory there.
"""
from __future__ import annotations

import glob
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.dirname(HERE)
VENV = os.path.join(TOOLS, "_build", "scipy114")
PYTHON = os.path.join(VENV, "bin", "python")
REQUIREMENTS = ("scipy==1.14.1", "numpy<2.1")

_WORKER = None


class Scipy114Unavailable(Exception):
    """SciPy 1.14.1 cannot be installed or run here."""


def openblas_of_current_scipy():
    """The ``libscipy_openblas`` shipped with the SciPy this process runs, or None."""
    try:
        import scipy
    except ImportError:
        return None
    libs = glob.glob(os.path.join(os.path.dirname(scipy.__file__), "..", "scipy.libs",
                                  "libscipy_openblas*.so"))
    return os.path.realpath(libs[0]) if libs else None


def ensure_venv(create=True):
    """The venv's Python, made on first use when ``create``; raises
    :class:`Scipy114Unavailable` with the reason otherwise."""
    if os.path.exists(PYTHON):
        ok = subprocess.run([PYTHON, "-c", "import scipy, sys; "
                             "sys.exit(scipy.__version__ != '1.14.1')"],
                            capture_output=True, timeout=120)
        if ok.returncode == 0:
            return PYTHON
    if not create:
        raise Scipy114Unavailable("SciPy 1.14.1 venv missing (%s); run tools/setup.sh" % VENV)
    if sys.version_info[:2] > (3, 12):
        raise Scipy114Unavailable("SciPy 1.14.1 has no wheels for Python %d.%d"
                                  % sys.version_info[:2])
    try:
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True,
                       capture_output=True, timeout=300)
        subprocess.run([PYTHON, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        *REQUIREMENTS], check=True, capture_output=True, timeout=900)
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        raise Scipy114Unavailable(
            "cannot install SciPy 1.14.1 into %s: %s %s" % (
                VENV, exc, detail.decode(errors="replace")[-300:]))
    return PYTHON


class Worker:
    """One worker process, shared by every scipy114 implementation object."""

    def __init__(self, python, preload=None):
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONNOUSERSITE="1")
        env.pop("PYTHONPATH", None)
        if preload:
            env["LD_PRELOAD"] = preload
        self.proc = subprocess.Popen(
            [python, "-u", "-P", os.path.join(HERE, "scipy114_worker.py")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.info = self.ask_info()

    def ask_info(self):
        self.proc.stdin.write(b'{"op": "info"}\n')
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise Scipy114Unavailable("SciPy 1.14 worker died: %s" % self.proc.stderr.read()
                                      .decode(errors="replace")[-500:])
        return json.loads(line)

    def setulb(self, im):
        """One call on the state of implementation object ``im`` (in place)."""
        hdr = {"n": im.n, "m": im.m, "factr": im.factr, "pgtol": im.pgtol,
               "maxls": im.maxls}
        parts = [im.x, im.l, im.u, im.nbd.astype(np.int32), im.fbuf.reshape(1), im.g,
                 im.wa, im.iwa, im.task, im.csave, im.lsave, im.isave, im.dsave]
        w = self.proc.stdin
        w.write((json.dumps(hdr) + "\n").encode())
        w.write(b"".join(np.ascontiguousarray(p).tobytes() for p in parts))
        w.flush()
        for arr in (im.x, im.fbuf.reshape(1), im.g, im.wa, im.iwa, im.task, im.csave,
                    im.lsave, im.isave, im.dsave):
            view = arr.reshape(-1).view(np.uint8)
            data = self.proc.stdout.read(view.size)
            if len(data) != view.size:
                raise RuntimeError("SciPy 1.14 worker died: %s" % self.proc.stderr.read()
                                   .decode(errors="replace")[-500:])
            view[:] = np.frombuffer(data, np.uint8)


def worker(create=True):
    """The shared worker (started on first use)."""
    global _WORKER
    if _WORKER is None or _WORKER.proc.poll() is not None:
        _WORKER = Worker(ensure_venv(create), openblas_of_current_scipy())
    return _WORKER


def blas_description():
    w = worker(create=False)
    bound = sorted(set(w.info.get("bound", {}).values()))
    if bound:
        return "SciPy 1.14.1's Fortran (LINPACK dpofa/dtrsl inside) on %s (LD_PRELOAD)" % (
            ", ".join(bound))
    return "SciPy 1.14.1's Fortran on its own OpenBLAS: %s" % ", ".join(
        w.info.get("openblas_loaded", []))
