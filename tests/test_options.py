"""The options module's bounds conversion against SciPy 1.17.1's own helpers.

``lbfgsb._options`` converts bounds with a few NumPy passes where SciPy
builds lists of pairs (``new_bounds_to_old``, ``old_bound_to_new``) and loops
over the variables (the ``nbd`` table of ``_minimize_lbfgsb``).  Each hostile
input below goes through both, by the path ``minimize`` takes (pairs or
``Bounds`` -> ``standardize_bounds(..., 'new')`` -> ``_validate_bounds`` ->
``standardize_bounds(..., 'l-bfgs-b')`` -> ``_minimize_lbfgsb``) and by the
path ``fmin_l_bfgs_b`` takes (straight to ``_minimize_lbfgsb``), and the two
must agree: the same exception (type and text), or bitwise the same arrays
(signed zeros and NaN included) and the same ``l, u, nbd``.  The port's one
refusal (a lower bound of +inf, an upper bound of -inf: SciPy's loop raises a
KeyError there) is asserted as such.
"""

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from scipy.optimize import Bounds
from scipy.optimize import _minimize as sm
from scipy.optimize._constraints import old_bound_to_new

from lbfgsb import _options as opt
from tools.fortran import bounds_to_nbd

INF, NAN = np.inf, np.nan

HOSTILE = {
    "None and NaN pairs": (3, lambda: [(None, 1.0), (0, None), (NAN, 2)]),
    "signed zeros": (3, lambda: [(-0.0, 0.0), (0.0, -0.0), (-0.0, -0.0)]),
    "ints": (3, lambda: [(1, 2), (-3, 4), (0, 0)]),
    "bools": (2, lambda: [(True, None), (False, True)]),
    "numpy scalars": (3, lambda: [(np.float32(0.1), np.int64(3)), (np.float16(-1), None),
                                  (np.uint8(1), np.float64(2))]),
    "big int": (2, lambda: [(2**60 + 1, None), (0, 2**63)]),
    "too big int": (2, lambda: [(10**400, None), (0, 1)]),
    "Fraction and Decimal": (2, lambda: [(Fraction(1, 3), Decimal("0.1")), (None, None)]),
    "int array": (3, lambda: np.array([[0, 1]] * 3)),
    "float32 array": (3, lambda: np.array([[0.1, 1]] * 3, np.float32)),
    "object array": (3, lambda: np.array([[0, None], [None, 1], [NAN, None]], dtype=object)),
    "np.matrix": (3, lambda: np.matrix([[0, 1]] * 3)),
    "lists of lists": (3, lambda: [[0, 1], [0, 1], [0, 1]]),
    "tuple of tuples": (3, lambda: ((0, 1), (None, 1), (0, None))),
    "0-d arrays": (2, lambda: [(np.array(0.0), np.array(1.0))] * 2),
    "mixed 0-d and 1-element arrays": (3, lambda: [(np.array(0.0), np.array([1.0]))] * 3),
    "strings": (2, lambda: [("0.5", "1"), ("-inf", "nan")]),
    "bad string": (2, lambda: [("a", 1), (0, 1)]),
    "complex": (2, lambda: [(1j, None), (0, 1)]),
    "one pair": (3, lambda: [(0, 1)]),
    "one pair of Nones": (4, lambda: [(None, None)]),
    "too few pairs": (3, lambda: [(0, 1)] * 2),
    "too many pairs": (3, lambda: [(0, 1)] * 5),
    "triples": (3, lambda: [(0, 1, 2)] * 3),
    "a triple among pairs": (3, lambda: [(0, 1), (0, 1, 2), (0, 1)]),
    "singletons": (3, lambda: [(0,)] * 3),
    "empty": (3, lambda: []),
    "(lb, ub) arrays as pairs": (2, lambda: (np.zeros(2), np.ones(2))),
    "(lb, ub) arrays, n = 3": (3, lambda: (np.zeros(3), np.ones(3))),
    "a generator": (2, lambda: ((0, 1) for _ in range(2))),
    "a dict": (2, lambda: {0: 1, 2: 3}),
    "lower > upper": (3, lambda: [(1, 0)] * 3),
    "+inf lower": (2, lambda: [(INF, None), (0, 1)]),
    "-inf upper": (2, lambda: [(0, 1), (None, -INF)]),
    "infinite pairs": (2, lambda: [(-INF, INF), (INF, INF)]),
    "fixed": (3, lambda: [(0.5, 0.5), (-0.0, 0.0), (0, 1)]),
    "Bounds scalar": (3, lambda: Bounds(0, 1)),
    "Bounds keep_feasible": (3, lambda: Bounds([0, -INF, 0], [1, 1, INF],
                                               keep_feasible=[True, False, True])),
    "Bounds scalar and array": (3, lambda: Bounds(-0.0, [1, NAN, INF])),
    "Bounds int": (3, lambda: Bounds(np.array([0, 1, 2]), np.array([3, 4, 5]))),
    "Bounds float16": (3, lambda: Bounds(np.array([0.1, 1, 2], np.float16), 3)),
    "Bounds NaN": (3, lambda: Bounds([NAN, 0, NAN], [1, NAN, NAN])),
    "Bounds bool": (2, lambda: Bounds([False, True], True)),
    "Bounds object": (3, lambda: Bounds(np.array([0, None, 1], dtype=object), 2)),
    "Bounds object numbers": (2, lambda: Bounds(np.array([0, Fraction(1, 2)], dtype=object), 2)),
    "Bounds matrix": (3, lambda: Bounds(np.matrix([0, 0, 0]), 1)),
    "Bounds wrong length": (3, lambda: Bounds(np.zeros(2), np.ones(2))),
    "Bounds 2-d": (3, lambda: Bounds(np.zeros((2, 3)), 1)),
    "Bounds upper < lower": (3, lambda: Bounds(1, 0)),
    "Bounds +inf lower": (3, lambda: Bounds([INF, 0, 0], INF)),
    "Bounds all fixed": (2, lambda: Bounds(0.5, 0.5)),
}

PAIRS = [k for k, (n, make) in HOSTILE.items() if not isinstance(make(), Bounds)]
pytestmark = pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")


def _outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:      # noqa: BLE001 - the exception is the outcome
        return ("raise", type(e).__name__, str(e))


def _bits(arrays):
    return tuple((a.dtype.str, a.shape, repr(a.tolist()) if a.dtype == object
                  else np.asarray(a).tobytes()) for a in arrays)


def _same(ref, got):
    if ref[0] == "raise" or got[0] == "raise":
        assert ref == got
    else:
        assert _bits(ref[1]) == _bits(got[1])


def _scipy_nbd(lu, n):
    """``_minimize_lbfgsb``'s loop, as SciPy 1.17.1 writes it (the harness's
    copy, which reads the same (lower, upper) arrays)."""
    return bounds_to_nbd(lu[0], lu[1], n)


def _scipy_lbfgsb(bounds, n):
    """``_minimize_lbfgsb``'s conversion of its ``bounds``."""
    if len(bounds) != n:
        raise ValueError('length of x0 != length of bounds')
    lu = np.array(old_bound_to_new(bounds))
    if (lu[0] > lu[1]).any():
        raise ValueError("LBFGSB - one of the lower bounds is greater than an upper bound.")
    return lu


def _refused(lu):
    return bool((lu[0] == INF).any() or (lu[1] == -INF).any())


@pytest.mark.parametrize("name", PAIRS)
def test_pairs_convert_as_scipys_old_bound_to_new(name):
    n, make = HOSTILE[name]
    _same(_outcome(lambda: old_bound_to_new(make())),
          _outcome(lambda: opt.pairs_to_arrays(make())))


@pytest.mark.parametrize("name", list(HOSTILE))
def test_minimize_path_converts_as_scipys_helpers(name):
    n, make = HOSTILE[name]
    x0 = np.zeros(n)

    def scipy_path():
        b = sm._validate_bounds(sm.standardize_bounds(make(), x0, "new"), x0, "l-bfgs-b")
        lu = np.array(old_bound_to_new(sm.standardize_bounds(b, x0, "l-bfgs-b")))
        return b.lb, b.ub, lu

    def port_path():
        b = opt.new_bounds(make())
        lb, ub = opt.validated(b.lb, b.ub, x0.shape)
        return lb, ub, opt.solver_bounds(lb, ub)

    ref, got = _outcome(scipy_path), _outcome(port_path)
    if ref[0] == "ok" and _refused(ref[1][2]):
        assert got == ("raise", "ValueError", opt._NO_FEASIBLE)
        return
    _same(ref, got)
    if ref[0] == "ok" and not (ref[1][0] == ref[1][1]).all():
        _same(("ok", _scipy_nbd(ref[1][2], n)), ("ok", opt.lbfgsb_arrays(got[1][2], n)))


@pytest.mark.parametrize("name", list(HOSTILE))
def test_fmin_path_converts_as_scipys_minimize_lbfgsb(name):
    n, make = HOSTILE[name]
    ref = _outcome(lambda: _scipy_lbfgsb(make(), n))
    got = _outcome(lambda: opt.lbfgsb_bounds(make(), n))
    if ref[0] == "ok" and _refused(ref[1]):
        assert got == ("raise", "ValueError", opt._NO_FEASIBLE)
        return
    _same(ref if ref[0] == "raise" else ("ok", (ref[1],)),
          got if got[0] == "raise" else ("ok", (got[1],)))
    if ref[0] == "ok":
        _same(("ok", _scipy_nbd(ref[1], n)), ("ok", opt.lbfgsb_arrays(got[1], n)))


def test_a_large_pair_list_is_converted_without_a_python_loop_per_pair():
    # the conversion of 10^5 pairs reads them with one np.asarray: SciPy's
    # helper is not called (it would be, for input NumPy cannot read)
    calls = []
    real = opt.old_bound_to_new
    try:
        opt.old_bound_to_new = lambda b: calls.append(1) or real(b)
        lb, ub = opt.pairs_to_arrays([(0.0, None)] * 100_000)
    finally:
        opt.old_bound_to_new = real
    assert calls == [] and lb.shape == (100_000,) and (ub == INF).all()


def test_the_compiled_and_the_numpy_nbd_tables_agree_bitwise():
    rng = np.random.default_rng(7)
    values = np.array([0.0, -0.0, 1.5, -2.0, INF, -INF, NAN, 1e308, 5e-324])
    lb, ub = rng.choice(values, 400), rng.choice(values, 400)
    compiled = opt.lbfgsb_arrays((lb, ub), 400)
    assert _bits(compiled) == _bits(opt.numpy_lbfgsb_arrays((lb, ub)))
    lb[lb == INF] = 3.0             # (SciPy's loop: a KeyError for these)
    ub[ub == -INF] = -3.0
    assert _bits(opt.lbfgsb_arrays((lb, ub), 400)) == _bits(_scipy_nbd(np.array([lb, ub]), 400))


def test_the_one_pass_bounds_of_minimize_agree_bitwise_with_the_numpy_steps():
    # _convert.minimize_arrays: the fixed count, solver_bounds and
    # lbfgsb_arrays of validated float64 vectors (strided ones too: the
    # columns of a table of pairs)
    rng = np.random.default_rng(11)
    values = np.array([0.0, -0.0, 1.5, -2.0, INF, -INF, NAN, 1e308, 5e-324])
    table = rng.choice(values, (400, 2))
    table[:, 0][table[:, 0] == INF] = 3.0
    table[:, 1][table[:, 1] == -INF] = -3.0
    lb, ub = table[:, 0], table[:, 1]
    fixed, lu, arrays = opt.minimize_arrays(lb, ub)
    assert fixed == np.count_nonzero(lb == ub)
    assert _bits([lu]) == _bits([opt.solver_bounds(lb, ub)])
    assert _bits(arrays) == _bits(opt.lbfgsb_arrays(opt.solver_bounds(lb, ub), 400))
    assert opt.minimize_arrays(lb.astype(np.float32), ub) is None


@pytest.mark.parametrize("lb, ub, text", [
    ([0.0, 2.0], [1.0, 1.0], "An upper bound is less"),
    ([INF, 2.0], [1.0, 1.0], "An upper bound is less"),     # ub < lb checked first
    ([INF, 0.0], [INF, 1.0], "no feasible point"),
    ([0.0, 0.0], [1.0, -INF], "An upper bound is less"),
    ([NAN, -INF], [-INF, NAN], "no feasible point"),
    ([NAN, 0.0], [NAN, 0.0], None),
])
def test_the_compiled_bounds_checks_raise_as_the_numpy_checks(lb, ub, text):
    lb, ub = np.array(lb), np.array(ub)
    for views in (True, False):
        if text is None:
            got = opt.validated(lb, ub, (2,), views=views)
            assert _bits(got) == _bits((lb, ub))
            assert not views or not (got[0].flags.writeable or got[1].flags.writeable)
        else:
            with pytest.raises(ValueError, match=text):
                opt.validated(lb, ub, (2,), views=views)
            with pytest.raises(ValueError, match=text):     # the NumPy path
                opt.validated(lb.astype(np.float32), ub.astype(np.float32), (2,),
                              views=views)
