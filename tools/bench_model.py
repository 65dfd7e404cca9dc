"""The bytes one L-BFGS-B iteration of the port moves, routine by routine.

For tools/bench.py: the bandwidth limit of an iteration is these bytes over
the machine's read bandwidth (a large ddot, measured in the same run): most
of the bytes are read (dot products over the columns of S and Y), and one
core streams reads slower than it copies with non-temporal stores (see
docs/SPEED.md); written bytes are counted like read ones.  The count follows the loops as the
port's code runs them (lbfgsb/port/*.pyx after issue 21): every pass over an
n-vector counts once, every pass of a routine over a column of S or Y
(``ws``, ``wy``: n doubles each) once, ints at 4 bytes.  A pass gathered over
the free variables (``ind``/``index``) reads whole 64-byte lines: it costs
``lines_free * n * 8`` bytes per column, ``lines_free`` the fraction of the
column's lines that hold a free variable (1.0 when free and active
variables alternate, as in the benchmark's ``bquad``); likewise ``lines_act``
for the active ones.  The small matrices (2m x 2m) and the objective are left
out; so are the rare paths: the projected step's backtracking in subsm
(x, xx, gg over n, then x := xp), and formk's corrections for the variables
that entered or left the free set (a few columns over those variables only).

``per_iteration(...)`` returns {routine: bytes} for one iteration with
``col`` stored pairs; ``average(...)`` averages it over the iterations of a
run (col = min(k, m) at iteration k), which is what the benchmark compares.
"""
D, I = 8, 4          # bytes of a double, of an int


def _blocks(col):
    """Passes of a four-column loop over col columns: (blocks of four, singles)."""
    return col // 4, col % 4


def per_iteration(n, col, m, nfree, bounded, nfev_per_it=1.0, lines_free=1.0,
                  lines_act=1.0, kernels="scipy"):
    nf = nfree if bounded else n
    na = n - nf
    lf = lines_free if bounded else 1.0
    la = lines_act if bounded else 0.0
    colf = lf * n * D            # one column gathered over the free variables
    cola = la * n * D            # ... over the active ones
    q, r = _blocks(col)
    b = {}
    if bounded:
        # cauchy: one pass over x, l, u, g, nbd, iwhere (r/w), d, iorder, xcp
        # (w: xcp := x is made in this pass) and the 2col columns of W (p = W'd,
        # for the moving variables: ~ free lines); xcp := xcp + tsum d
        b["cauchy"] = (4 * n * D + n * I + 2 * n * I + n * D + n * I
                       + 2 * col * colf + n * D + 3 * n * D)
        # freev: index(1:nfree) with iwhere gathered, index(nfree+1:n) likewise,
        # then iwhere and index over n
        b["freev"] = 2 * n * I + 2 * n * I
    else:
        b["z := x"] = 2 * n * D
    if col > 0 and nf > 0:
        # formk (updatd): per block of four, the free pass reads the newest
        # wy column, four of wy and four of ws (the new row and R_z's column);
        # the active pass the newest ws column, four of ws and four of wy.
        # Singles: 2 (row), 3 (active) and 2 (R_z) columns.
        b["formk"] = (q * (9 * colf + 9 * cola) + r * (2 * colf + 3 * cola + 2 * colf)
                      + (q + 2 * r) * nf * I + (q + r) * na * I)
        if bounded:
            # cmprlb: blocks of four columns of wy and ws, r read and written
            # per pass; r := -theta(z - x) - g (z, x, g gathered) in the first
            # block's pass, or in a pass of its own when col < 4
            b["cmprlb"] = (3 * colf + (0 if q else nf * (I + D))
                           + (q * 8 + r * 2) * colf + (q + r) * nf * (I + 2 * D))
        else:
            b["cmprlb"] = 2 * n * D                      # r := -g
        # subsm: wv = W'Zd (blocks of four: 8 columns, ind, d), d += Z W wv
        # (the same, d written), xp := x (when all are free: written in the
        # projection's pass, which reads x), the projection (x read and
        # written, l, u, nbd gathered; ind, d read and written: d := d / theta
        # is made in this pass)
        passes = (q * 8 + r * 2) * colf
        b["subsm"] = (2 * passes + (q + r) * nf * (I + D) + (q + r) * nf * (I + 2 * D)
                      + (2 * n * D if bounded else n * D)
                      + (4 * lf * n * D + lf * n * I if bounded else 2 * n * D)
                      + nf * (I + 2 * D))
    # d := z - x
    b["d := z - x"] = 3 * n * D
    # lnsrlb: d'd, stpmx over x, l, u, d, nbd writing t := x (bounded; else
    # t := x on its own), r := g; per evaluation x := stp d + t (or x := z), g'd
    b["lnsrlb"] = (n * D + (5 * n * D + n * I if bounded else 2 * n * D) + 2 * n * D
                   + nfev_per_it * (3 * n * D + 2 * n * D))
    # end of the iteration: projgr (x, g, l, u, nbd), r := g - r, r'r, d := stp d
    b["projgr"] = 4 * n * D + n * I if bounded else 2 * n * D
    b["r := g - r, r'r, dscal"] = 3 * n * D + n * D + 2 * n * D
    # matupd: ws(:, new) := d, wy(:, new) := r; the new row of S'Y and column
    # of S'S: 2(col - 1) columns, d once per ddot (SciPy's kernels) or once
    # per four products (the reference kernels' ddot_multi)
    k = 2 * max(col - 1, 0)
    dpasses = k if kernels == "scipy" else -(-k // 4)
    b["matupd"] = 4 * n * D + k * n * D + dpasses * n * D
    return b


def average(n, m, nit, nfree, bounded, nfev_per_it=1.0, lines_free=1.0, lines_act=1.0,
            kernels="scipy"):
    """{routine: bytes per iteration}, averaged over iterations 0..nit-1."""
    tot = {}
    for k in range(nit):
        for key, v in per_iteration(n, min(k, m), m, nfree, bounded, nfev_per_it,
                                    lines_free, lines_act, kernels).items():
            tot[key] = tot.get(key, 0.0) + v / nit
    return tot


def line_fractions(x, lo, up):
    """Fractions of the 64-byte lines of an n-vector that hold a free / an
    active variable at x (free: strictly inside its bounds)."""
    import numpy as np
    free = (x > lo) & (x < up)
    n = free.size
    pad = (-n) % 8
    f = np.concatenate([free, np.zeros(pad, bool)]).reshape(-1, 8)
    a = np.concatenate([~free, np.zeros(pad, bool)]).reshape(-1, 8)
    return float(f.any(axis=1).mean()), float(a.any(axis=1).mean())
