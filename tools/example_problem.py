"""An example of your own problem for the cross-check harness.

    python tools/compare.py --problem tools/example_problem.py:problem
    python tools/compare.py --problem tools/example_problem.py:problem --n 50 --m 5 --plot

``--problem MODULE:FUNCTION`` takes a module on the path (``mypackage.problems``)
or a ``.py`` file, and a function of it that returns ``(fg, x0, lower,
upper)``: ``fg(x) -> (f, g)`` with f a float and g an array like x, the
bounds as arrays with -inf/+inf (or None) where a variable has none.  With
``--n`` the function is called with n.

This one is a bounded, shifted Rosenbrock chain in which some variables end
on their bounds (so cauchy, freev and formk all take part).
"""
import numpy as np


def problem(n=12):
    shift = np.linspace(0.5, 1.5, n)

    def fg(x):
        y = x - shift + 1.0
        r1 = y[1:] - y[:-1] ** 2
        r2 = 1.0 - y[:-1]
        f = float(np.sum(100.0 * r1 ** 2 + r2 ** 2))
        g = np.zeros(n)
        g[:-1] = -400.0 * y[:-1] * r1 - 2.0 * r2
        g[1:] += 200.0 * r1
        return f, g

    x0 = np.full(n, -1.0)
    lower = np.full(n, -np.inf)
    upper = np.full(n, np.inf)
    lower[::3] = -2.0                 # some variables bounded below ...
    upper[1::3] = 0.8                 # ... some above (active at the solution)
    return fg, x0, lower, upper
