"""A plain progress bar on stderr for long batches (no dependency)."""

import sys
import time


class Progress:
    """``with Progress(total, show) as bar: bar.update(done)``.

    ``show`` None: only when stderr is a terminal (so never in logs and CI);
    redrawn at most ten times a second; ``update`` takes the number done
    so far (it never goes back).
    """

    def __init__(self, total, show=None, label="problems", stream=None):
        self.stream = sys.stderr if stream is None else stream
        if show is None:
            isatty = getattr(self.stream, "isatty", None)
            show = bool(isatty and isatty())
        self.show = bool(show)
        self.total = int(total)
        self.label = label
        self.done = 0
        self._t0 = time.monotonic()
        self._last = -1.0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.show and self._last >= 0:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()

    def update(self, done):
        """Set the number done; redraw if a tenth of a second has passed."""
        if done > self.done:
            self.done = min(int(done), self.total)
        if not self.show:
            return
        now = time.monotonic()
        if now - self._last >= 0.1 or self.done == self.total:
            self._last = now
            self._draw()

    def _draw(self):
        width = 30
        frac = self.done / self.total if self.total else 1.0
        fill = int(round(width * frac))
        elapsed = time.monotonic() - self._t0
        self.stream.write(f"\r[{'#' * fill}{'.' * (width - fill)}] "
                          f"{self.done}/{self.total} {self.label} "
                          f"{elapsed:6.1f} s")
        self.stream.flush()
