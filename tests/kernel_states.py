"""Consistent L-BFGS-B memory states for the kernel tests (bmv, formt, formk, cmprlb,
subsm), and bitwise equality of arrays."""
import numpy as np


def make_pairs(rng, n, k):
    """k correction pairs (columns of S, Y) with s'y > 0, oldest first."""
    S = rng.standard_normal((n, k))
    Q = rng.standard_normal((n, n))
    A = Q @ Q.T / n + np.eye(n)          # SPD, so s'Ay > 0
    Y = A @ S + 0.01 * rng.standard_normal((n, k))
    assert np.all(np.einsum("ij,ij->j", S, Y) > 0)
    return S, Y


def store(S, Y, m, head):
    """Circular buffer ws, wy (n x m) holding the pairs from column head on,
    and sy, ss (m x m) in logical (oldest-first) order, as matupd keeps them."""
    n, col = S.shape
    ws = np.zeros((n, m), order="F")
    wy = np.zeros((n, m), order="F")
    for j in range(col):
        p = (head - 1 + j) % m
        ws[:, p] = S[:, j]
        wy[:, p] = Y[:, j]
    sy = np.zeros((m, m), order="F")
    ss = np.zeros((m, m), order="F")
    sy[:col, :col] = S.T @ Y
    ss[:col, :col] = S.T @ S
    return ws, wy, sy, ss


def bits_equal(a, b):
    a = np.ascontiguousarray(a)
    b = np.ascontiguousarray(b)
    return a.shape == b.shape and a.tobytes() == b.tobytes()
