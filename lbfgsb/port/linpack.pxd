# LINPACK's Cholesky factorisation and triangular solve (dpofa, dtrsl), as
# SciPy <= 1.14 bundles them (scipy/optimize/lbfgsb_src/linpack.f), behind the
# kernel table's dpotrf/dtrtrs signatures: the deviation linpack_dpofa_dtrsl
# (_setulb.setulb swaps the table; nowhere else).
from lbfgsb.port.kernels cimport Kernels

# the table ``kn`` with its dpotrf/dtrtrs replaced by LINPACK's, which call
# ``kn``'s own ddot/daxpy (kn must be one of the _kernels tables)
cdef const Kernels* linpack_kernels(const Kernels* kn) noexcept nogil
