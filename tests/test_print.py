"""The iprint trace (lbfgsb.port.trace, on lbfgsb.port.fortran_format's
edit descriptors) against the Fortran, byte for byte.

References: prn1lb_/prn2lb_/prn3lb_ of Debian's liblbfgsb.so.0 called through
ctypes with fd 1 redirected into a temporary file (gfortran's unit 6 flushed
with _gfortran_flush_i4), and small gfortran programs compiled on the fly
that print the same edit descriptors and list-directed records.  Tests that
need a reference skip when it is not installed.
"""
import contextlib
import ctypes
import ctypes.util
import io
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np
import pytest

from lbfgsb.port import fortran_format as FF
from lbfgsb.port import trace as P

LIB = "/usr/lib/x86_64-linux-gnu/liblbfgsb.so.0"
EPS = np.finfo(float).eps

# ---------------------------------------------------------------------------
# references

try:
    _lib = ctypes.CDLL(LIB)
    _gf = ctypes.CDLL(ctypes.util.find_library("gfortran") or "libgfortran.so.5")
except OSError:  # pragma: no cover
    _lib = None
needs_lib = pytest.mark.skipif(_lib is None, reason="Debian liblbfgsb.so.0 not available")
needs_gfortran = pytest.mark.skipif(shutil.which("gfortran") is None, reason="gfortran not available")


def _i(v):
    return ctypes.byref(ctypes.c_int(v))


def _d(v):
    return ctypes.byref(ctypes.c_double(v))


def _arr(a):
    a = np.ascontiguousarray(a, dtype=np.float64)
    if a.size == 0:
        a = np.zeros(1)
    return a, a.ctypes.data_as(ctypes.POINTER(ctypes.c_double))


def _capture_fd1(fn):
    """Run fn with file descriptor 1 going to a temporary file; return what
    gfortran's unit 6 wrote."""
    sys.stdout.flush()
    # output other tests left in gfortran's unit-6 buffer (Debian's lnsrlb
    # prints its ascent-direction message whatever iprint is) goes out first
    _gf._gfortran_flush_i4(_i(6))
    with tempfile.TemporaryFile() as tf:
        saved = os.dup(1)
        os.dup2(tf.fileno(), 1)
        try:
            fn()
            _gf._gfortran_flush_i4(_i(6))
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        tf.seek(0)
        return tf.read().decode("latin-1")


def _ours(fn, *args):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        ret = fn(*args)
    return buf.getvalue(), ret


def f_prn1lb(n, m, l, u, x, iprint, itfile, epsmch):
    (la, lp), (ua, up), (xa, xp) = _arr(l), _arr(u), _arr(x)
    return _capture_fd1(lambda: _lib.prn1lb_(_i(n), _i(m), lp, up, xp, _i(iprint),
                                             _i(itfile), _d(epsmch)))


def f_prn2lb(n, x, f, g, iprint, itfile, iter, nfgv, nact, sbgnrm, nseg, word,
             iword, iback, stp, xstep):
    (xa, xp), (ga, gp) = _arr(x), _arr(g)
    w = ctypes.create_string_buffer(word, 3)
    out = _capture_fd1(lambda: _lib.prn2lb_(
        _i(n), xp, _d(f), gp, _i(iprint), _i(itfile), _i(iter), _i(nfgv), _i(nact),
        _d(sbgnrm), _i(nseg), w, _i(iword), _i(iback), _d(stp), _d(xstep),
        ctypes.c_size_t(3)))
    return out, w.raw[:3]


def f_prn3lb(n, x, f, task, iprint, info, itfile, iter, nfgv, nintol, nskip, nact,
             sbgnrm, time, nseg, word, iback, stp, xstep, k, cachyt, sbtime, lnscht):
    xa, xp = _arr(x)
    t = ctypes.create_string_buffer((task + b" " * 60)[:60], 60)
    w = ctypes.create_string_buffer(word, 3)
    return _capture_fd1(lambda: _lib.prn3lb_(
        _i(n), xp, _d(f), t, _i(iprint), _i(info), _i(itfile), _i(iter), _i(nfgv),
        _i(nintol), _i(nskip), _i(nact), _d(sbgnrm), _d(time), _i(nseg), w,
        _i(iback), _d(stp), _d(xstep), _i(k), _d(cachyt), _d(sbtime), _d(lnscht),
        ctypes.c_size_t(60), ctypes.c_size_t(3)))


def _bits(v):
    return struct.unpack("<q", struct.pack("<d", v))[0]


@pytest.fixture(scope="module")
def fortran_dir():
    d = tempfile.mkdtemp(prefix="lbfgsb-print-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _compile(directory, name, source):
    src = os.path.join(directory, name + ".f90")
    exe = os.path.join(directory, name)
    with open(src, "w") as fh:
        fh.write(source)
    subprocess.run(["gfortran", "-O0", "-o", exe, src], check=True, capture_output=True)
    return exe


# ---------------------------------------------------------------------------
# values

LEVELS = [-1, 0, 1, 99, 100, 101]
STRESS = [0.0, -0.0, 1.0, -1.0, 0.1, -0.125, 9.99995, -9.99995, 99.99995, 0.99995e-3,
          9.999949999e5, 1e-300, -1e300, 5e-324, -5e-324, 2.2250738585072014e-308,
          1.7976931348623157e308, -1.7976931348623157e308, 9.99995e99, 9.99995e-100,
          1e17, 99999999999999984.0, 0.09999999999999999, 123.456, -4.5e-5,
          math.nan, math.inf, -math.inf]


def _vector(n, seed):
    rng = np.random.default_rng(seed)
    v = np.array([STRESS[(seed + i) % len(STRESS)] for i in range(n)], dtype=float)
    if n > 3:
        v[::3] = rng.standard_normal(len(v[::3])) * 10.0 ** rng.integers(-120, 120, len(v[::3]))
    return v


def _random_values(count, seed):
    rng = np.random.default_rng(seed)
    mant = rng.uniform(-10, 10, count)
    expo = 10.0 ** rng.integers(-320, 308, count).astype(float)
    vals = list(mant * expo)
    vals += list(rng.standard_normal(count // 2))
    # values that round up to the next power of ten at d11.4 / d12.5 / d10.3
    for k in range(-30, 31, 3):
        for m in (9.99995, 9.999949999999, 9.9995, 9.99949999, 9.999995, 0.99995):
            vals.append(m * 10.0 ** k)
            vals.append(-m * 10.0 ** k)
    # random bit patterns (finite ones)
    for b in rng.integers(0, 2**63 - 1, count // 2, dtype=np.int64):
        v = struct.unpack("<d", struct.pack("<q", int(b)))[0]
        if math.isfinite(v):
            vals.append(v)
    return [float(v) for v in vals] + STRESS


# ---------------------------------------------------------------------------
# prn1lb, prn2lb, prn3lb against the library


@needs_lib
@pytest.mark.parametrize("iprint", LEVELS + [2, 98, 1000])
@pytest.mark.parametrize("n", [0, 1, 5, 6, 7, 12, 13, 20])
def test_prn1lb_output_is_byte_identical_to_fortran(iprint, n):
    l, u, x = _vector(n, 1), _vector(n, 2), _vector(n, 3)
    for m, epsmch in [(5, EPS), (17, 1.0e-7), (-3, math.nan), (123456789, 9.99995e-100)]:
        ref = f_prn1lb(n, m, l, u, x, iprint, 0, epsmch)
        got, _ = _ours(P.py_prn1lb, n, m, l, u, x, iprint, 0, epsmch)
        assert got == ref


@needs_lib
@pytest.mark.parametrize("iprint", LEVELS + [2, 3, 7, 98])
@pytest.mark.parametrize("n", [0, 1, 6, 7, 13])
def test_prn2lb_output_and_word_are_identical_to_fortran(iprint, n):
    x, g = _vector(n, 4), _vector(n, 5)
    cases = [
        (0, 1, 0.0, EPS, 0, 1, -1, 0, 1.0, 0.5),
        (6, 12, 1.2345678, 9.99995e-6, 3, 2, 0, 2, 0.1, 1e-20),
        (21, 40, -9.99995e99, 1e100, 7, 5, 1, 17, 1e-300, 1.7976931348623157e308),
        (99999, 123456, math.nan, math.inf, 1000, 1234, 5, 1000000, -0.0, math.nan),
        (100000, 7, -math.inf, -0.0, -1, -2, 3, -7, 5e-324, -math.inf),
    ]
    for iter_, nfgv, f, sbgnrm, nact, nseg, iword, iback, stp, xstep in cases:
        ref, wref = f_prn2lb(n, x, f, g, iprint, 0, iter_, nfgv, nact, sbgnrm, nseg,
                             b"xyz", iword, iback, stp, xstep)
        got, wgot = _ours(P.py_prn2lb, n, x, f, g, iprint, 0, iter_, nfgv, nact, sbgnrm,
                          nseg, b"xyz", iword, iback, stp, xstep)
        assert got == ref
        assert wgot == wref


TASKS = [b"CONVERGENCE: NORM_OF_PROJECTED_GRADIENT_<=_PGTOL",
         b"CONVERGENCE: REL_REDUCTION_OF_F_<=_FACTR*EPSMCH",
         b"ABNORMAL_TERMINATION_IN_LNSRCH",
         b"ERROR: N .LE. 0",
         b"ERROR: NO FEASIBLE SOLUTION",
         b"STOP: TOTAL NO. of ITERATIONS REACHED LIMIT",
         b"ERRO",
         b"x" * 60,
         b""]


@needs_lib
@pytest.mark.parametrize("iprint", LEVELS + [5])
@pytest.mark.parametrize("task", TASKS)
def test_prn3lb_output_is_byte_identical_to_fortran(iprint, task):
    for n in (0, 3, 6, 8):
        x = _vector(n, 6)
        for info in range(-10, 2):
            for k, counts, f, sbgnrm in [
                    (1, (5, 7, 9, 0, 2), 1.5, 0.0),
                    (12345, (99999, 999999, 1000000, 10000, 100000), -9.99995e-100, math.nan),
                    (-2147483648, (-1, -99999, -999999, -999, -9999), math.inf, -math.inf)]:
                args = (n, x, f, task, iprint, info, 0) + counts[:2] + counts[2:] + \
                    (sbgnrm, 1.0, 3, b"con", 2, 1.0, 0.5, k, 0.1, 0.2, 0.3)
                # (iter, nfgv, nintol, nskip, nact) = counts
                ref = f_prn3lb(*args)
                got, _ = _ours(P.py_prn3lb, *args)
                assert got == ref


@needs_lib
def test_prn3lb_writes_all_sixty_task_characters_including_trailing_blanks():
    got, _ = _ours(P.py_prn3lb, 1, [1.0], 2.0, b"CONVERGENCE", 0, 0, 0, 1, 1, 1, 0, 0,
                   0.0, 0.0, 1, b"con", 0, 1.0, 0.0, 0, 0.0, 0.0, 0.0)
    line = got.splitlines()[-1]
    assert line == "CONVERGENCE" + " " * 49
    assert got == f_prn3lb(1, [1.0], 2.0, b"CONVERGENCE", 0, 0, 0, 1, 1, 1, 0, 0, 0.0,
                           0.0, 1, b"con", 0, 1.0, 0.0, 0, 0.0, 0.0, 0.0)


# ---------------------------------------------------------------------------
# the formatter against gfortran

FMT_PROGRAM = """
program fmt
  implicit none
  integer(8) :: bits
  double precision :: v
  integer :: ios
  do
    read(5,*,iostat=ios) bits
    if (ios /= 0) exit
    v = transfer(bits, v)
    write(6,'(1p,d12.5,a,d11.4,a,d10.3,a,e10.3,a,d7.1,a,d25.16)') v,'|',v,'|',v,'|',v,'|',v,'|',v
    write(6,*) v
  end do
end program
"""


@needs_gfortran
def test_edit_descriptors_and_list_directed_reals_match_gfortran(fortran_dir):
    exe = _compile(fortran_dir, "fmt", FMT_PROGRAM)
    vals = _random_values(400, 2024)
    inp = "\n".join(str(_bits(v)) for v in vals) + "\n"
    out = subprocess.run([exe], input=inp, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert len(out) == 2 * len(vals)
    for i, v in enumerate(vals):
        ours = "|".join([FF.py_fmt("D", v, 12, 5), FF.py_fmt("D", v, 11, 4),
                         FF.py_fmt("D", v, 10, 3), FF.py_fmt("E", v, 10, 3),
                         FF.py_fmt("D", v, 7, 1), FF.py_fmt("D", v, 25, 16)])
        assert ours == out[2 * i], repr(v)
        assert FF.py_ld_line([v]) == out[2 * i + 1], repr(v)


INT_PROGRAM = """
program ints
  implicit none
  integer :: k, ios
  do
    read(5,*,iostat=ios) k
    if (ios /= 0) exit
    write(6,'(i3,a,i5,a,i6,a,i9,a)') k,'|',k,'|',k,'|',k,'|'
    write(6,*) k
  end do
end program
"""


@needs_gfortran
def test_integer_fields_match_gfortran_including_overflow_asterisks(fortran_dir):
    exe = _compile(fortran_dir, "ints", INT_PROGRAM)
    rng = np.random.default_rng(7)
    vals = [0, 1, -1, 99, 100, 999, 1000, -99, -100, 9999, 99999, 100000, -9999, -10000,
            999999, 1000000, -99999, 123456789, 2147483647, -2147483648]
    vals += [int(v) for v in rng.integers(-2**31, 2**31, 200)]
    vals += [int(v) for v in rng.integers(-2000, 2000, 100)]
    out = subprocess.run([exe], input="\n".join(map(str, vals)) + "\n", capture_output=True,
                         text=True, check=True).stdout.splitlines()
    for i, k in enumerate(vals):
        ours = "".join(FF.py_fmt("I", k, w) + "|" for w in (3, 5, 6, 9))
        assert ours == out[2 * i], k
        assert FF.py_ld_line([k]) == out[2 * i + 1], k


A_PROGRAM = """
program chars
  implicit none
  write(6,'(a4,a,a4,a,a4,a,a2,a,a1)') 'X =','|','X0 =','|','','|','abcd','|','xy'
end program
"""


@needs_gfortran
def test_character_fields_are_right_justified_or_cut_like_gfortran(fortran_dir):
    exe = _compile(fortran_dir, "chars", A_PROGRAM)
    out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    ours = "|".join(FF.py_fmt("A", s, w) for s, w in
                    [(b"X =", 4), (b"X0 =", 4), (b"", 4), (b"abcd", 2), (b"xy", 1)])
    assert ours + "\n" == out


LD_PROGRAM = """
program ld
  implicit none
  double precision :: z, big, tiny
  z = 0d0
  big = 1.7976931348623157d308
  tiny = 5d-324
  write(6,*) 'N = ',5,'    M = ',-17
  write(6,*) 'LINE SEARCH',3,' times; norm of step = ',0.5d0
  write(6,*) 'a','b', 'c'
  write(6,*) 1, 2, 'x', 3.25d0, 'y', 'z', -0.1d0, 7
  write(6,*)
  write(6,*) ' F =', -tiny, big, z/z, 1d0/z, -1d0/z
  write(6,*) 2147483647, -2147483647-1, 1d-2
end program
"""


@needs_gfortran
def test_list_directed_records_separate_items_like_gfortran(fortran_dir):
    exe = _compile(fortran_dir, "ld", LD_PROGRAM)
    out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout.splitlines()
    ours = [
        FF.py_ld_line(["N = ", 5, "    M = ", -17]),
        FF.py_ld_line(["LINE SEARCH", 3, " times; norm of step = ", 0.5]),
        FF.py_ld_line(["a", "b", "c"]),
        FF.py_ld_line([1, 2, "x", 3.25, "y", "z", -0.1, 7]),
        FF.py_ld_line([]),
        FF.py_ld_line([" F =", -5e-324, 1.7976931348623157e308, math.nan, math.inf, -math.inf]),
        FF.py_ld_line([2147483647, -2147483648, 1e-2]),
    ]
    assert ours == out


# ---------------------------------------------------------------------------
# the messages of the other routines against the same write statements

MSG_PROGRAM = """
program msg
  implicit none
  double precision :: v(13), z
  integer :: i, n
  z = 0d0
  v = (/ 0d0, -1.5d0, 9.99995d0, 1d-300, -1d300, 0.125d0, 5d-324, 1d17, &
         -9.99995d-100, 3d0, 4d0, 5d0, 6d0 /)
  write (6,*) 'Subgnorm = 0.  GCP = X.'
  write (6,3010)
  write (6,*) 'There are ',7,'  breakpoints '
  write (6,*) 'There are ',-123456,'  breakpoints '
  write (6,4011) 3, -1.5d0, 9.99995d-5
  write (6,5010) 0.125d0
  write (6,6010) -1d300
  write (6,4011) 12345, z/z, 1d0/z
  write (6,5010) 5d-324
  write (6,6010) -z
  write (6,*) 'Variable  ',42,'  is fixed.'
  write (6,*)
  write (6,*) 'GCP found in this segment'
  write (6,4010) 999, 1d0, 2d0
  write (6,6010) 9.99995d0
  do n = 0, 13
    write (6,1010) (v(i), i = 1, n)
  end do
  write (6,2010)
  write (6,1001)
  write(6,*) ' Positive dir derivative in projection '
  write(6,*) ' Using the backtracking step '
  write (6,1004)
  write(6,*)' ascent direction in projection gd = ', 1.25d-3
  write(6,*)' ascent direction in projection gd = ', z
  write (6,*) 'The initial X is infeasible.  Restart with its projection.'
  write (6,*) 'This problem is unconstrained.'
  write (6,1011) 17
  write (6,1011) 1234567890
  write (6,*) 'Variable ',5,' leaves the set of free variables'
  write (6,*) 'Variable ',6,' enters the set of free variables'
  write (6,*) 2,' variables leave; ',3,' variables enter'
  write (6,*) 10,' variables are free at GCP ',4
  write (6,1021) 7
  write (6,1021) 123456
  write (6,1022) 12, 1.2345678d0, 9.99995d-7
  write (6,1024) 1d-20, -2.5d-3
  write (6,1025)
  write (6,1026)
  write (6,1027)
  write (6,1028)
 1010 format ('Cauchy X =  ',/,(4x,1p,6(1x,d11.4)))
 2010 format (/,'---------------- exit CAUCHY----------------------',/)
 3010 format (/,'---------------- CAUCHY entered-------------------')
 4010 format ('Piece    ',i3,' --f1, f2 at start point ',1p,2(1x,d11.4))
 4011 format (/,'Piece    ',i3,' --f1, f2 at start point ', 1p,2(1x,d11.4))
 5010 format ('Distance to the next break point =  ',1p,d11.4)
 6010 format ('Distance to the stationary point =  ',1p,d11.4)
 1001 format (/,'----------------SUBSM entered-----------------',/)
 1004 format (/,'----------------exit SUBSM --------------------',/)
 1011 format (/,'At X0 ',i9,' variables are exactly at the bounds')
 1021 format (//,'ITERATION ',i5)
 1022 format (/,'At iterate',i5,4x,'f= ',1p,d12.5,4x,'|proj g|= ',1p,d12.5)
 1024 format ('  ys=',1p,e10.3,'  -gs=',1p,e10.3,' BFGS update SKIPPED')
 1025 format (/, ' Singular triangular system detected;',/, &
              '   refresh the lbfgs memory and restart the iteration.')
 1026 format (/, ' Nonpositive definiteness in Cholesky factorization in formk;',/, &
              '   refresh the lbfgs memory and restart the iteration.')
 1027 format (/, ' Nonpositive definiteness in Cholesky factorization in formt;',/, &
              '   refresh the lbfgs memory and restart the iteration.')
 1028 format (/, ' Bad direction in the line search;',/, &
              '   refresh the lbfgs memory and restart the iteration.')
end program
"""


def _say(name, *args):
    """Write message `name` (its write_* without the prefix) at an iprint at
    which every message prints."""
    P.MESSAGES[name](101, *args)


@needs_gfortran
def test_messages_of_the_other_routines_match_their_fortran_writes(fortran_dir):
    exe = _compile(fortran_dir, "msg", MSG_PROGRAM)
    ref = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    v = [0.0, -1.5, 9.99995, 1e-300, -1e300, 0.125, 5e-324, 1e17, -9.99995e-100,
         3.0, 4.0, 5.0, 6.0]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        m = _say
        m("cauchy_subgnorm_zero")
        m("cauchy_entered")
        m("cauchy_breakpoints", 7)
        m("cauchy_breakpoints", -123456)
        m("cauchy_piece", 3, -1.5, 9.99995e-5, 0.125, -1e300)
        m("cauchy_piece", 12345, math.nan, math.inf, 5e-324, -0.0)
        m("cauchy_fixed", 42)
        m("cauchy_gcp", 999, 1.0, 2.0, 9.99995)
        for n in range(14):
            m("cauchy_x", np.array(v[:n]))
        m("cauchy_exit")
        m("subsm_entered")
        m("subsm_positive_dir")
        m("subsm_exit")
        m("lnsrlb_ascent", 1.25e-3)
        m("lnsrlb_ascent", 0.0)
        m("active_infeasible", True)
        m("active_unconstrained", False)
        m("active_nbdd", 17)
        m("active_nbdd", 1234567890)
        m("freev_leaves", 5)
        m("freev_enters", 6)
        m("freev_counts", 2, 3)
        m("freev_nfree", 10, 4)
        m("mainlb_iteration", 7)
        m("mainlb_iteration", 123456)
        m("mainlb_iterate", 12, 1.2345678, 9.99995e-7)
        m("mainlb_skipped", 1e-20, -2.5e-3)
        m("mainlb_singular")
        m("mainlb_formk_notpd")
        m("mainlb_formt_notpd")
        m("mainlb_bad_direction")
    assert buf.getvalue() == ref


# The Fortran's condition on iprint of each message (lbfgsb.f), as the lowest
# iprint that prints it, with arguments that meet its other conditions.
FIRST_LEVEL = {
    "cauchy_subgnorm_zero": (0, ()),
    "cauchy_entered": (99, ()),
    "cauchy_breakpoints": (99, (7,)),
    "cauchy_piece": (100, (3, 1.0, 2.0, 0.5, 0.25)),
    "cauchy_fixed": (100, (42,)),
    "cauchy_gcp": (99, (3, 1.0, 2.0, 0.25)),
    "cauchy_x": (101, ([1.0, 2.0],)),
    "cauchy_exit": (99, ()),
    "subsm_entered": (99, ()),
    "subsm_positive_dir": (0, ()),
    "subsm_exit": (99, ()),
    "lnsrlb_ascent": (0, (1e-3,)),
    "active_infeasible": (0, (True,)),
    "active_unconstrained": (0, (False,)),
    "active_nbdd": (1, (17,)),
    "freev_leaves": (100, (5,)),
    "freev_enters": (100, (6,)),
    "freev_counts": (99, (2, 3)),
    "freev_nfree": (99, (10, 4)),
    "mainlb_iteration": (99, (7,)),
    "mainlb_iterate": (1, (12, 1.5, 0.25)),
    "mainlb_skipped": (1, (1e-20, -2.5e-3)),
    "mainlb_singular": (1, ()),
    "mainlb_formk_notpd": (1, ()),
    "mainlb_formt_notpd": (1, ()),
    "mainlb_bad_direction": (1, ()),
}


def test_every_message_of_trace_pxd_has_a_test_entry_point():
    pxd = open(os.path.join(os.path.dirname(__file__), "..", "lbfgsb", "port",
                            "trace.pxd")).read()
    names = set(re.findall(r"cdef void write_(\w+)\(", pxd))
    assert names == set(P.MESSAGES) == set(FIRST_LEVEL)


@pytest.mark.parametrize("name", sorted(FIRST_LEVEL))
def test_each_message_prints_from_its_fortran_iprint_level_up(name):
    level, args = FIRST_LEVEL[name]
    for iprint in (-2**31, -1, level - 1, level, level + 1, 2**31 - 1):
        out, _ = _ours(P.MESSAGES[name], iprint, *args)
        assert (out != "") == (iprint >= level), iprint


def test_the_other_conditions_of_a_message_hold_it_back():
    # cauchy: a piece is printed only when dt != 0; active: infeasible x0
    # only when projected, 'unconstrained' only when not constrained
    for call in [lambda: P.MESSAGES["cauchy_piece"](101, 3, 1.0, 2.0, 0.0, 0.25),
                 lambda: P.MESSAGES["cauchy_piece"](101, 3, 1.0, 2.0, -0.0, 0.25),
                 lambda: P.MESSAGES["active_infeasible"](101, False),
                 lambda: P.MESSAGES["active_unconstrained"](101, True)]:
        assert _ours(call) == ("", None)
    out, _ = _ours(P.MESSAGES["cauchy_piece"], 100, 3, 1.0, 2.0, math.nan, 0.25)
    assert "Distance to the next break point =          NaN" in out


# ---------------------------------------------------------------------------
# the writer


def test_trace_goes_to_the_current_sys_stdout():
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        P.MESSAGES["active_unconstrained"](0, False)
    assert buf.getvalue() == " This problem is unconstrained.\n"


def test_trace_is_seen_by_capsys(capsys):
    P.py_prn1lb(1, 5, [0.0], [1.0], [0.5], 0, 0, EPS)
    out = capsys.readouterr().out
    assert out.startswith("RUNNING THE L-BFGS-B CODE\n")
    assert out.endswith(" N =            1     M =            5\n")


def test_negative_iprint_prints_nothing(capsys):
    P.py_prn1lb(2, 5, [0.0, 0.0], [1.0, 1.0], [0.5, 0.5], -1, 0, EPS)
    P.py_prn2lb(2, [0.0, 0.0], 1.0, [1.0, 1.0], -1, 0, 3, 4, 0, 1.0, 1, b"---", 0, 0, 1.0, 1.0)
    P.py_prn3lb(2, [0.0, 0.0], 1.0, b"ERROR: N .LE. 0", -1, -6, 0, 0, 0, 0, 0, 0, 0.0,
                0.0, 0, b"---", 0, 0.0, 0.0, 1, 0.0, 0.0, 0.0)
    assert capsys.readouterr().out == ""


def test_a_failing_stdout_does_not_raise_from_the_kernel():
    class Broken:
        def write(self, s):
            raise OSError("stream closed")

        def flush(self):
            pass

    seen = []
    old_hook = sys.unraisablehook
    sys.unraisablehook = lambda u: seen.append(u.exc_type)
    try:
        with contextlib.redirect_stdout(Broken()):
            P.py_prn1lb(1, 5, [0.0], [1.0], [0.5], 0, 0, EPS)   # must not raise
        with contextlib.redirect_stdout(None):
            P.MESSAGES["active_unconstrained"](0, False)        # sys.stdout is None: silent
    finally:
        sys.unraisablehook = old_hook
    assert seen and all(t is OSError for t in seen)


def test_prn2lb_sets_word_even_when_silent():
    for iword, word in [(0, b"con"), (1, b"bnd"), (5, b"TNT"), (-1, b"---"), (2, b"---")]:
        _, w = _ours(P.py_prn2lb, 1, [0.0], 1.0, [0.0], -1, 0, 0, 1, 0, 0.0, 0, b"xyz",
                     iword, 0, 1.0, 0.0)
        assert w == word


# ---------------------------------------------------------------------------
# whole runs: the trace of setulb (prn*lb plus the messages inside the kernels)


def _fg_driver1(x):
    """driver1.f's function: 4 * (0.25 (x1 - 1)^2 + sum (x_i - x_{i-1}^2)^2)."""
    n = len(x)
    f = .25 * (x[0] - 1.0) ** 2
    for i in range(1, n):
        f = f + (x[i] - x[i - 1] ** 2) ** 2
    f = 4.0 * f
    g = np.empty(n)
    t1 = x[1] - x[0] ** 2
    g[0] = 2.0 * (x[0] - 1.0) - 16.0 * x[0] * t1
    for i in range(1, n - 1):
        t2 = t1
        t1 = x[i + 1] - x[i] ** 2
        g[i] = 8.0 * t2 - 16.0 * x[i] * t1
    g[n - 1] = 8.0 * t1
    return f, g


def _problem(kind, n):
    nbd = np.full(n, 2, np.int32)
    l = np.where(np.arange(n) % 2 == 0, 1.0, -100.0)
    u = np.full(n, 100.0)
    x0 = np.full(n, 3.0)
    if kind == "unconstrained":
        nbd[:] = 0
    elif kind == "infeasible_x0":
        x0[::3] = 200.0
    elif kind == "mixed_bounds":
        nbd = (np.arange(n) % 4).astype(np.int32)
        x0[1::4] = -100.0
    elif kind == "invalid_nbd":
        nbd[2] = 7
    elif kind == "no_feasible_point":
        l[1] = 200.0
    return x0, l, u, nbd


def _run(setulb, fortran, n, m, kind, iprint, maxit=60):
    x0, l, u, nbd = _problem(kind, n)
    x, f, g = x0.copy(), np.zeros(1), np.zeros(n)
    wa = np.zeros(2 * m * n + 5 * n + 11 * m * m + 8 * m)
    iwa = np.zeros(3 * n, np.int32)
    iwa[:n] = np.arange(1, n + 1)
    iwa[2 * n:] = 1
    task, csave = fortran.make_task("START"), fortran.make_task("")
    lsave, isave, dsave = np.zeros(4, np.int32), np.zeros(44, np.int32), np.zeros(29)
    for _ in range(2000):
        setulb(n, m, x, l, u, nbd, f, g, 1e7, 1e-5, wa, iwa, task, iprint, csave, lsave,
               isave, dsave)
        t = fortran.task_str(task)
        if t.startswith("FG"):
            f[0], g[:] = _fg_driver1(x)
        elif t.startswith("NEW_X"):
            if isave[29] >= maxit:
                task[:] = fortran.make_task("STOP: TOTAL NO. of ITERATIONS REACHED LIMIT")
        else:
            return t


@needs_lib
@pytest.mark.parametrize("kind", ["bounded", "unconstrained", "infeasible_x0", "mixed_bounds",
                                  "invalid_nbd", "no_feasible_point"])
@pytest.mark.parametrize("iprint", LEVELS + [5, 50])
def test_setulb_trace_is_byte_identical_to_fortran(kind, iprint):
    fortran = pytest.importorskip("tools.fortran")
    import lbfgsb
    try:
        F = fortran.load("scipy")
    except OSError as e:  # pragma: no cover
        pytest.skip(str(e))

    def ours(n, m, *args):
        lbfgsb.setulb(m, *args)

    for n in (7, 25):
        ref_task = []
        ref = _capture_fd1(lambda: ref_task.append(_run(F.setulb, fortran, n, 5, kind, iprint)))
        got, task = _ours(_run, ours, fortran, n, 5, kind, iprint)
        assert task == ref_task[0]
        assert got == ref
