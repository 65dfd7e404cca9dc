"""The walkthrough's problem (tools/walkthrough.py): a 2-D problem built so
that one run of L-BFGS-B shows every part of an iteration.

    python3 -P tools/walkthrough.py                     # this problem
    python3 -P tools/explain.py --problem reference.teaching:problem --iter 4

A Rosenbrock valley with a hill on a corner of the box:

    f(x) = 3 (x2 − x1²)² + (1 − x1)² + 10 exp(−(x1² + x2²) / 0.05²),
    −1.5 ≤ x1 ≤ 0,  0 ≤ x2 ≤ 1.3,  x0 = (−1.1, 0.5).

The box cuts the valley off before its minimiser (1, 1), so the solution lies
on the face x1 = 0, away from the hill at the corner (0, 0).  With m = 5 the
run shows a Cauchy search that passes a breakpoint, a subspace step that is
projected onto the box (MN11) and then a line search of several trials (all
in iteration 4, the guide's worked iteration), a subspace step whose
projection points uphill and is replaced by the backtracking step of BLNZ95
(5.8)–(5.9), and a solution on a face.  The parameters were chosen by a
search over Rosenbrock and quartic valleys, boxes and starting points (the
features above are rare: the hill makes them meet in one run).

Not part of the reference set (``reference.names()``): it is not from the
literature.  ``problem()`` follows the ``--problem`` protocol of
tools/compare.py and returns (fg, x0, lower, upper).
"""
import numpy as np

A = 3.0                     # the valley's steepness
HILL, WIDTH = 10.0, 0.05    # the hill on the corner (0, 0)
LOWER, UPPER = (-1.5, 0.0), (0.0, 1.3)
X0 = (-1.1, 0.5)
WORKED_ITERATION = 4        # breakpoint passed, projected (MN11), several trials
SUMMARY = ("A Rosenbrock valley with a hill on a corner of the box: f(x) = 3 (x2 − x1²)² + "
           "(1 − x1)² + 10 exp(−(x1² + x2²)/0.05²). The box cuts the valley off before its "
           "minimiser (1, 1); the solution lies on the face x1 = 0, away from the hill. "
           "Iteration 4 passes a breakpoint, projects its subspace step (MN11) and takes "
           "several line-search trials; iteration 10 backtracks (BLNZ95 (5.8)–(5.9)).")


def fg(x):
    """f and its gradient."""
    x1, x2 = float(x[0]), float(x[1])
    r = x2 - x1 * x1
    e = HILL * np.exp(-(x1 * x1 + x2 * x2) / (WIDTH * WIDTH))
    f = A * r * r + (1.0 - x1) ** 2 + e
    g1 = -4.0 * A * x1 * r - 2.0 * (1.0 - x1) - 2.0 * e * x1 / (WIDTH * WIDTH)
    g2 = 2.0 * A * r - 2.0 * e * x2 / (WIDTH * WIDTH)
    return f, np.array([g1, g2])


def problem():
    """(fg, x0, lower, upper) of the walkthrough problem."""
    return fg, np.array(X0, float), np.array(LOWER, float), np.array(UPPER, float)
