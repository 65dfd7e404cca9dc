"""kernels="reference": each of the port's own BLAS/LAPACK kernels gives the
bits of the system's reference libblas.so.3 / liblapack.so.3 (netlib 3.11, as
Debian builds them), on random inputs: lengths 0..1e5, the strides L-BFGS-B
uses (and negative and non-unit ones), matrix sizes 1..2m and the blocked
dpotrf path (n > 64)."""

import ctypes
import os
import subprocess
import sys

import numpy as np
import pytest

from lbfgsb.port import kernels as _kernels

LENGTHS = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 17, 31, 100, 1001, 12345, 100000)
STRIDES = ((1, 1), (2, 1), (1, 3), (-1, 1), (2, -3))


def _reference_lib(name):
    """The system's libblas.so.3 / liblapack.so.3 if it is the netlib
    reference implementation (Debian's libblas3 / liblapack3), else None."""
    path = f"/usr/lib/x86_64-linux-gnu/{name}"
    if not os.path.exists(path):
        return None
    real = os.path.realpath(path)
    # Debian's libblas3 / liblapack3 install under .../blas/ and .../lapack/
    # (OpenBLAS, ATLAS, BLIS under directories of their own)
    if f"/{name.split('.')[0][3:]}/" not in real:
        return None
    return ctypes.CDLL(path)


BLAS = _reference_lib("libblas.so.3")
LAPACK = _reference_lib("liblapack.so.3")
needs_reference = pytest.mark.skipif(
    BLAS is None or LAPACK is None,
    reason="the system's reference libblas3 / liblapack3 are not installed")

_I = ctypes.c_int
_D = ctypes.c_double


def _ptr(a):
    return a.ctypes.data_as(ctypes.POINTER(ctypes.c_double))


def _byref(*vals):
    return [ctypes.byref(v) for v in vals]


def _vector(rng, n, inc, kind="normal"):
    size = max(1, 1 + (n - 1) * abs(inc)) if n > 0 else 1
    if kind == "wide":
        # magnitudes over the whole range dnrm2 scales (tiny, medium, huge)
        x = rng.standard_normal(size) * 10.0 ** rng.integers(-300, 300, size)
    else:
        x = rng.standard_normal(size) * 10.0 ** rng.integers(-3, 4, size)
    return x


def _same(a, b):
    return np.array_equal(np.asarray(a).view(np.int64), np.asarray(b).view(np.int64))


@needs_reference
@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("incx, incy", STRIDES)
def test_level1_kernels_give_the_reference_blas_bits(n, incx, incy):
    rng = np.random.default_rng([n, incx + 5, incy + 5])
    x = _vector(rng, n, incx)
    y = _vector(rng, n, incy)
    BLAS.ddot_.restype = _D
    want = BLAS.ddot_(*_byref(_I(n)), _ptr(x), *_byref(_I(incx)), _ptr(y), *_byref(_I(incy)))
    got = _kernels.call_ddot("reference", n, x, incx, y, incy)
    assert _same(got, want), "ddot"

    da = rng.standard_normal()
    y1, y2 = y.copy(), y.copy()
    BLAS.daxpy_(*_byref(_I(n), _D(da)), _ptr(x), *_byref(_I(incx)), _ptr(y1), *_byref(_I(incy)))
    _kernels.call_daxpy("reference", n, da, x, incx, y2, incy)
    assert _same(y1, y2), "daxpy"

    y1, y2 = y.copy(), y.copy()
    BLAS.dcopy_(*_byref(_I(n)), _ptr(x), *_byref(_I(incx)), _ptr(y1), *_byref(_I(incy)))
    _kernels.call_dcopy("reference", n, x, incx, y2, incy)
    assert _same(y1, y2), "dcopy"

    x1, x2 = x.copy(), x.copy()
    BLAS.dscal_(*_byref(_I(n), _D(da)), _ptr(x1), *_byref(_I(incx)))
    _kernels.call_dscal("reference", n, da, x2, incx)
    assert _same(x1, x2), "dscal"

    BLAS.dnrm2_.restype = _D
    for kind in ("normal", "wide"):
        v = _vector(rng, n, incx, kind)
        want = BLAS.dnrm2_(*_byref(_I(n)), _ptr(v), *_byref(_I(incx)))
        got = _kernels.call_dnrm2("reference", n, v, incx)
        assert _same(got, want), f"dnrm2 ({kind})"


@needs_reference
@pytest.mark.parametrize("n", LENGTHS)
def test_ddot_multi_gives_each_sum_the_reference_ddot_bits(n):
    """ddot_multi (four sums per pass, then one at a time) = one ddot per sum,
    for shared and distinct vectors, in both operand orders; SciPy's set gives
    what SciPy's ddot gives."""
    rng = np.random.default_rng([n, 7])
    d = _vector(rng, n, 1)
    cols = [_vector(rng, n, 1) for _ in range(7)]
    xs = [d, cols[0], d, cols[1], cols[2], d, cols[3], cols[4], d]
    ys = [cols[5], d, cols[6], d, cols[3], d, cols[2], cols[1], cols[0]]
    BLAS.ddot_.restype = _D
    want = [BLAS.ddot_(*_byref(_I(n)), _ptr(x), *_byref(_I(1)), _ptr(y), *_byref(_I(1)))
            for x, y in zip(xs, ys)]
    for k in range(len(xs) + 1):
        got = _kernels.call_ddot_multi("reference", n, xs[:k], ys[:k])
        assert _same(got, want[:k]), k
        got = _kernels.call_ddot_multi("scipy", n, xs[:k], ys[:k])
        assert _same(got, [_kernels.call_ddot("scipy", n, x, 1, y, 1)
                           for x, y in zip(xs[:k], ys[:k])]), k


@needs_reference
def test_dnrm2_special_values_give_the_reference_bits():
    cases = [[0.0], [1e-200, 1e-170], [1e300, 1e300], [1e300, 1.0, 1e-300],
             [1e-300, 3.0], [np.inf, 1.0], [np.nan, 1.0], [1e-320, 0.0, 2e-310],
             [5e-324], [1e200] * 5]
    BLAS.dnrm2_.restype = _D
    for c in cases:
        v = np.array(c, dtype=float)
        want = BLAS.dnrm2_(*_byref(_I(len(v))), _ptr(v), *_byref(_I(1)))
        got = _kernels.call_dnrm2("reference", len(v), v, 1)
        assert _same(got, want) or (np.isnan(got) and np.isnan(want)), c


def _spd(rng, n, lda, cond_digits=6):
    """A column-major lda x n array whose leading n x n block is a symmetric
    positive definite matrix of condition about 10**cond_digits."""
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    s = 10.0 ** rng.uniform(0, cond_digits, n)
    a = (q * s) @ q.T
    a = (a + a.T) / 2
    full = rng.standard_normal((lda, n))
    full[:n, :n] = a
    return np.asfortranarray(full).ravel(order="F")


@needs_reference
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 10, 13, 16, 20, 33, 40, 63, 64,
                               65, 80, 100, 129, 200])
def test_dpotrf_gives_the_reference_lapack_bits(n):
    rng = np.random.default_rng(n)
    for lda in (n, n + 3):
        a = _spd(rng, n, lda)
        a1, a2 = a.copy(), a.copy()
        info = _I(0)
        LAPACK.dpotrf_(ctypes.c_char_p(b"U"), *_byref(_I(n)), _ptr(a1),
                       *_byref(_I(lda), info), ctypes.c_size_t(1))
        got = _kernels.call_dpotrf("reference", b"U", n, a2, lda)
        assert got == info.value
        assert _same(a1, a2), (n, lda)


@needs_reference
@pytest.mark.parametrize("n", [2, 5, 70])
def test_dpotrf_not_positive_definite_gives_the_reference_info_and_bits(n):
    rng = np.random.default_rng(7)
    a = _spd(rng, n, n)
    k = n // 2
    a[k + k * n] = -abs(a[k + k * n]) - 1e3          # a negative pivot at k + 1
    a1, a2 = a.copy(), a.copy()
    info = _I(0)
    LAPACK.dpotrf_(ctypes.c_char_p(b"U"), *_byref(_I(n)), _ptr(a1),
                   *_byref(_I(n), info), ctypes.c_size_t(1))
    got = _kernels.call_dpotrf("reference", b"U", n, a2, n)
    assert info.value > 0 and got == info.value
    assert _same(a1, a2)


@needs_reference
@pytest.mark.parametrize("n", [1, 2, 3, 5, 10, 20, 40, 80])
@pytest.mark.parametrize("trans", [b"N", b"T"])
def test_dtrtrs_gives_the_reference_lapack_bits(n, trans):
    rng = np.random.default_rng(100 * n + trans[0])
    for nrhs, lda, ldb in ((1, n, n), (n, n + 2, n + 1), (3, 2 * n, n)):
        a = _spd(rng, n, lda)
        info = _I(0)
        LAPACK.dpotrf_(ctypes.c_char_p(b"U"), *_byref(_I(n)), _ptr(a),
                       *_byref(_I(lda), info), ctypes.c_size_t(1))
        b = rng.standard_normal(ldb * nrhs)
        b[rng.random(b.size) < 0.1] = 0.0           # exact zeros take dtrsm's skip
        b1, b2 = b.copy(), b.copy()
        LAPACK.dtrtrs_(ctypes.c_char_p(b"U"), ctypes.c_char_p(trans),
                       ctypes.c_char_p(b"N"), *_byref(_I(n), _I(nrhs)), _ptr(a),
                       *_byref(_I(lda)), _ptr(b1), *_byref(_I(ldb), info),
                       ctypes.c_size_t(1), ctypes.c_size_t(1), ctypes.c_size_t(1))
        got = _kernels.call_dtrtrs("reference", b"U", trans, b"N", n, nrhs, a, lda,
                                   b2, ldb)
        assert got == info.value == 0
        assert _same(b1, b2), (n, nrhs, lda, ldb)


@needs_reference
def test_dtrtrs_singular_reports_the_zero_pivot():
    a = np.array([2.0, 0.0, 1.0, 0.0], dtype=float)      # 2x2, A(2,2) = 0
    b = np.ones(2)
    assert _kernels.call_dtrtrs("reference", b"U", b"N", b"N", 2, 1, a, 2, b, 2) == 2
    assert _same(b, np.ones(2))


def test_kernels_reject_arguments_lapack_rejects():
    a = np.ones(4)
    b = np.ones(2)
    assert _kernels.call_dpotrf("reference", b"L", 2, a, 2) == -1
    assert _kernels.call_dpotrf("reference", b"U", 2, a, 1) == -4
    assert _kernels.call_dtrtrs("reference", b"U", b"X", b"N", 2, 1, a, 2, b, 2) == -2
    assert _kernels.call_dtrtrs("reference", b"U", b"N", b"N", 2, 1, a, 2, b, 1) == -9
    with pytest.raises(ValueError, match="unknown kernels"):
        _kernels.kernels_code("openblas")


def test_the_system_reference_libraries_are_debians_netlib_build():
    """The oracle is the netlib build: update-alternatives must point libblas.so.3
    and liblapack.so.3 at Debian's libblas3 / liblapack3 (tools/setup.sh)."""
    if BLAS is None:
        pytest.skip("no system reference BLAS")
    for lib in ("libblas.so.3", "liblapack.so.3"):
        real = os.path.realpath(f"/usr/lib/x86_64-linux-gnu/{lib}")
        out = subprocess.run(["dpkg", "-S", real], capture_output=True, text=True)
        assert out.returncode == 0 and lib[:-5] + "3:" in out.stdout, (real, out.stdout)


# ---------------------------------------------------------------------------
# the option on every entry point

def _rosen_fg(x):
    from scipy.optimize import rosen, rosen_der
    return rosen(x), rosen_der(x)


def test_every_entry_point_accepts_kernels_and_rejects_unknown_ones():
    import lbfgsb
    x0 = np.full(6, 1.3)
    bounds = [(0.0, 1.2)] * 6
    runs = {
        "minimize": lambda k: lbfgsb.minimize(_rosen_fg, x0, jac=True, bounds=bounds,
                                              kernels=k).x,
        "minimize options": lambda k: lbfgsb.minimize(
            _rosen_fg, x0, jac=True, bounds=bounds, options={"kernels": k}).x,
        "fmin_l_bfgs_b": lambda k: lbfgsb.fmin_l_bfgs_b(_rosen_fg, x0, bounds=bounds,
                                                        kernels=k)[0],
        "Solver": lambda k: _solve(lbfgsb.Solver(x0, bounds, kernels=k)),
        "minimize_batch": lambda k: lbfgsb.minimize_batch(
            lambda X, active: tuple(map(np.array, zip(*map(_rosen_fg, X)))),
            np.array([x0, x0 + 0.05]), bounds, kernels=k)[0].x,
    }
    for name, run in runs.items():
        xs = run("scipy")
        xr = run("reference")
        assert np.allclose(xs, xr, atol=1e-4), name
        with pytest.raises(ValueError, match="kernels"):
            run("openblas")


def _solve(s):
    for x in s:
        s.tell(*_rosen_fg(x))
    assert s.options["kernels"] in ("scipy", "reference")
    return s.result().x


def test_checkpoints_keep_the_kernels_and_resume_bitwise():
    import lbfgsb
    x0 = np.full(8, 1.3)
    s = lbfgsb.Solver(x0, [(0.0, 1.2)] * 8, kernels="reference")
    for _ in range(6):
        s.tell(*_rosen_fg(s.ask()))
    d = s.state_dict()
    assert d["kernels"] == "reference"
    t = lbfgsb.Solver.from_state(d)
    assert t.options["kernels"] == "reference"
    a, b = _solve(s), _solve(t)
    assert _same(a, b)
    old = dict(d, format_version=1)
    del old["kernels"]                       # version 1: before the option existed
    assert lbfgsb.Solver.from_state(old).options["kernels"] == "scipy"
    with pytest.raises(ValueError, match="kernels"):
        lbfgsb.Solver.from_state({k: v for k, v in d.items() if k != "kernels"})
    with pytest.raises(ValueError, match="kernels"):
        lbfgsb.Solver.from_state(dict(d, kernels="mkl"))


def test_setulb_and_scipy_setulb_take_kernels():
    import lbfgsb
    n, m = 5, 4
    lwa, liwa, lis, lds, lls = lbfgsb.workspace_sizes(n, m)
    for fn in ("setulb", "scipy_setulb"):
        with pytest.raises(ValueError, match="kernels"):
            if fn == "setulb":
                task = np.zeros(1, "S60")
                task[0] = b"START"
                lbfgsb.setulb(m, np.ones(n), np.zeros(n), np.ones(n), np.zeros(n, np.int32),
                              np.zeros(1), np.zeros(n), 1e7, 1e-5, np.zeros(lwa),
                              np.zeros(liwa, np.int32), task, -1, np.zeros(1, "S60"),
                              np.zeros(lls, np.int32), np.zeros(lis, np.int32),
                              np.zeros(lds), kernels="blis")
            else:
                lbfgsb.scipy_setulb(m, np.ones(n), np.zeros(n), np.ones(n),
                                    np.zeros(n, np.int32), 0.0, np.zeros(n), 1e7, 1e-5,
                                    np.zeros(lwa), np.zeros(liwa, np.int32),
                                    np.zeros(2, np.int32), np.zeros(lls, np.int32),
                                    np.zeros(lis, np.int32), np.zeros(lds), 20,
                                    np.zeros(2, np.int32), kernels="blis")


# ---------------------------------------------------------------------------
# docs/VERIFY.md's example: the same bits under every OpenBLAS core type

CORETYPES = ("Prescott", "Nehalem", "Sandybridge", "Haswell", "SkylakeX")


def _verify_doc_block():
    import pathlib
    import re
    text = (pathlib.Path(__file__).resolve().parent.parent / "docs" / "VERIFY.md").read_text()
    section = text[text.index("## Kernels: the same results on every machine"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def _run_block(block, coretype, threads=1):
    env = dict(os.environ, OPENBLAS_CORETYPE=coretype, OPENBLAS_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-P", "-c", block], env=env, capture_output=True,
                         text=True)
    return out.returncode, out.stdout.strip(), out.stderr[-500:]


def test_verify_doc_example_gives_the_same_bits_under_every_openblas_core_type():
    block = _verify_doc_block()
    results = {}
    for coretype, threads in [(c, 1) for c in CORETYPES] + [("Haswell", 2)]:
        rc, out, err = _run_block(block, coretype, threads)
        if rc < 0:                          # SIGILL: this CPU lacks the instructions
            continue
        assert rc == 0, err
        results[coretype, threads] = out
    assert len(results) >= 2
    assert set(results.values()) == {"521 628 970.9242007018009 0x1.e5764c3566967p+9"}, results


def test_scipy_kernels_depend_on_the_core_type_in_the_verify_doc_example():
    """docs/VERIFY.md's table: with kernels="scipy" the same run ends elsewhere
    under another core type (what kernels="reference" removes)."""
    block = _verify_doc_block().replace('kernels="reference"', 'kernels="scipy"')
    outs = {_run_block(block, c)[1] for c in ("Prescott", "Haswell")}
    assert len(outs) == 2
