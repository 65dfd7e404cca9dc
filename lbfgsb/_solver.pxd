from lbfgsb._run cimport Run


cdef class Solver:
    # one problem: the run and the numpy arrays it points into
    cdef Run r
    cdef object _x, _l, _u, _nbd, _g, _wa, _iwa, _isave, _dsave, _lsave
    cdef object _xk, _gk, _xe, _ge
    cdef object _flavour
    cdef object _kernels       # "scipy" or "reference" (r.kn is its table)
    cdef bint _asked
    cdef _setup(self, x0, l, u, nbd, dict opts)
    cdef _bind(self, int n, dict opts)


cdef Solver new_solver(x0, l, u, nbd, dict opts)
