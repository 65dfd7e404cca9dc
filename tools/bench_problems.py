"""Problems for tools/bench.py (numpy only, so the pure-Python ``lbfgsb``
project's virtual environment can import this file by path).

``make(kind, n)`` -> (fg, x0, lower, upper): ``fg(x) -> (f, g)``.

- ``rosen``: the chained Rosenbrock function, x0 = (-1.2, 1, -1.2, 1, ...),
  no bounds.
- ``quad``: f = 1/2 x'Dx - c'x with D = diag(logspace(0, 3, n)) and c = D t,
  t alternating 0.5 and 2: no bounds.
- ``bquad``: the same with bounds [-1, 1]: the variables with t = 2 end at
  their upper bound (about half of them active).
"""
import numpy as np


def _rosen(x):
    a = x[:-1]
    b = x[1:]
    r = b - a * a
    f = float(100.0 * np.dot(r, r) + np.dot(1.0 - a, 1.0 - a))
    g = np.zeros_like(x)
    g[:-1] = -400.0 * a * r - 2.0 * (1.0 - a)
    g[1:] += 200.0 * r
    return f, g


def make(kind, n):
    if kind == "rosen":
        x0 = np.ones(n)
        x0[0::2] = -1.2
        return _rosen, x0, None, None
    d = np.logspace(0.0, 3.0, n)
    t = np.full(n, 0.5)
    t[1::2] = 2.0
    c = d * t

    def fg(x):
        dx = d * x
        return float(0.5 * np.dot(dx, x) - np.dot(c, x)), dx - c
    x0 = np.zeros(n)
    if kind == "quad":
        return fg, x0, None, None
    if kind == "bquad":
        return fg, x0, np.full(n, -1.0), np.full(n, 1.0)
    raise ValueError(kind)
