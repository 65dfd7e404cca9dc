#!/usr/bin/env bash
# Set up a fresh machine for lbfgsb: Debian's Fortran L-BFGS-B (the Fortran the port is checked against),
# the Python build and test dependencies, and the package itself.
# Idempotent; runs as root (apt-get) or as a user who already has liblbfgsb0.
set -euo pipefail
cd "$(dirname "$0")/.."

# libblas3 / liblapack3: Debian's reference (netlib) BLAS and LAPACK, the oracle
# of kernels="reference" (tests/test_kernels.py) and the BLAS of the harness's
# fortran-system column; clang: the compiler variant of tools/invariance.py;
# chromium: the headless browser of tests/test_walkthrough.py.
if ! ldconfig -p 2>/dev/null | grep -q 'liblbfgsb.so.0' || ! command -v gfortran >/dev/null \
        || ! [ -e /usr/lib/x86_64-linux-gnu/blas/libblas.so.3 ] \
        || ! [ -e /usr/lib/x86_64-linux-gnu/lapack/liblapack.so.3 ] \
        || ! command -v clang >/dev/null || ! command -v chromium >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq liblbfgsb0 gfortran libblas3 liblapack3 clang chromium >/dev/null
    else
        echo "setup: liblbfgsb0 (Debian's Fortran L-BFGS-B) is not installed and" \
             "cannot be installed here; the Fortran column will be skipped." >&2
    fi
fi

# The oracle must be the netlib build: under CI, point the libblas.so.3 /
# liblapack.so.3 alternatives at Debian's reference libraries if another BLAS
# (OpenBLAS, BLIS, ...) took them; elsewhere only say so (a machine-wide choice).
for lib in blas lapack; do
    link=/usr/lib/x86_64-linux-gnu/lib$lib.so.3
    want=/usr/lib/x86_64-linux-gnu/$lib/lib$lib.so.3
    if [ -e "$want" ] && [ "$(readlink -f "$link")" != "$(readlink -f "$want")" ]; then
        if [ "${CI:-}" = true ] && [ "$(id -u)" = 0 ]; then
            update-alternatives --quiet --set "lib$lib.so.3-x86_64-linux-gnu" "$want"
        else
            echo "setup: $link is not Debian's reference lib${lib}3; the kernels=\"reference\"" \
                 "oracle tests and fortran-system will skip (update-alternatives --set" \
                 "lib$lib.so.3-x86_64-linux-gnu $want)" >&2
        fi
    fi
done

PY=${PYTHON:-python3}
$PY -m pip install -q --disable-pip-version-check \
    "meson-python>=0.15" "meson>=1.2" ninja "Cython>=3.0" "numpy>=1.25" "scipy>=1.15" \
    pytest hypothesis matplotlib "dask[distributed]" threadpoolctl
# the foreign suites run under lbfgsb.patch_scipy (tools/foreign_tests.py):
# scikit-learn's tests ship with it; the suites run on pytest-xdist
$PY -m pip install -q --disable-pip-version-check scikit-learn pytest-xdist
$PY -m pip install -q --disable-pip-version-check --no-build-isolation --no-deps .

# SciPy 1.14.1 (the last SciPy whose L-BFGS-B is the compiled Fortran), in its
# own venv for the harness's scipy114 implementation; optional (needs Python
# <= 3.12 and the network): without it, scipy114 is skipped with the reason.
if [ ! -x tools/_build/scipy114/bin/python ]; then
    ( $PY -m venv tools/_build/scipy114 \
      && tools/_build/scipy114/bin/python -m pip install -q --disable-pip-version-check \
         "scipy==1.14.1" "numpy<2.1" ) \
    || echo "setup: SciPy 1.14.1 could not be installed; the scipy114 column will be skipped." >&2
fi
