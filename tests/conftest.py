"""Make `reference` and `tools` importable from the repository root.

The root is appended, not prepended, so that `import lbfgsb` keeps finding the
installed (compiled) package rather than the source directory.
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def fortran():
    """tools.fortran, the Fortran (skipped where it cannot be loaded,
    a failure under CI=true: see fortran_ref.py)."""
    from fortran_ref import F, OK, WHY
    if not OK:
        pytest.skip(WHY)
    return F
