"""Progress of long commands, on stderr so that stdout stays the command's output (JSON lines)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

EVERY_SECONDS = 2.0


class Progress:
    def __init__(self, what: str, total: int | None = None, stream: TextIO | None = None) -> None:
        self.what = what
        self.total = total
        self.stream = stream or sys.stderr
        self.done = 0
        self._last = 0.0

    def step(self, note: str = "") -> None:
        """Count one unit; print at most every couple of seconds, and always the last one."""
        self.done += 1
        now = time.monotonic()
        last = self.total is not None and self.done >= self.total
        if now - self._last >= EVERY_SECONDS or last:
            self._last = now
            of = f" of {self.total}" if self.total is not None else ""
            print(f"{self.what}: {self.done}{of}{f' ({note})' if note else ''}", file=self.stream, flush=True)
