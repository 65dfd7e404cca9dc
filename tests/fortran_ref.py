"""The Fortran (Debian's liblbfgsb0), for every test that compares with it.

``F`` is ``tools.fortran`` (Debian's liblbfgsb.so.0 through ctypes; its
``"scipy"`` mode binds the Fortran's BLAS/LAPACK to SciPy's OpenBLAS, the
kernels the port calls).  Where the library cannot be loaded the comparisons
are skipped with the reason (``needs_fortran``), except under ``CI=true``,
where its absence fails the run at import.
"""
import os

import pytest

from tools import fortran as F

OK, WHY = F.available("scipy")
if not OK and os.environ.get("CI", "").lower() == "true":
    raise RuntimeError("CI=true but the Fortran (liblbfgsb0) cannot be used: " + WHY)

needs_fortran = pytest.mark.skipif(not OK, reason=WHY)
