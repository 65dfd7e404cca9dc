"""Task strings on the Python side: the Fortran's CHARACTER*60 ``task`` and
``csave`` as bytes and as text.

The comparisons and the assignment the routines use are the inline helpers
of tasks.pxd (``settask``, ``task_eq``, ``task_starts``); SciPy's integer
codes for the same states are in state.pyx.
"""


def fortran_task(text):
    """``text`` as the Fortran holds it after ``task = 'text'``: ASCII bytes,
    blank padded to TASK_LEN (60).  Raises ``ValueError`` for a longer text."""
    raw = text.encode("ascii") if isinstance(text, str) else bytes(text)
    if len(raw) > TASK_LEN:
        raise ValueError(f"a task string has at most {TASK_LEN} characters: {raw!r}")
    return raw.ljust(TASK_LEN, b" ")


def task_text(buf):
    """The text of a task buffer (bytes, or an ``'S60'`` array of one
    element) without its blank or NUL padding."""
    if hasattr(buf, "dtype"):
        buf = buf.reshape(-1)[0] if buf.dtype.kind == "S" else buf.tobytes()
    return bytes(buf).decode("ascii").rstrip(" \0")
