"""A dependency-free progress bar for long CLI work (writes to stderr, only on a terminal).

>>> import io
>>> out = io.StringIO()
>>> with Progress(total=3, desc="frames", stream=out, enabled=True) as p:
...     for _ in range(3):
...         p.update(1)
>>> "3/3" in out.getvalue()
True
"""

from __future__ import annotations

import sys
import time
from typing import IO


class Progress:
    """``with Progress(total, desc) as p: p.update(n)``; silent unless stderr is a TTY."""

    def __init__(
        self,
        total: int | None = None,
        desc: str = "",
        stream: IO[str] | None = None,
        enabled: bool | None = None,
        min_interval: float = 0.2,
    ) -> None:
        self.total = total
        self.desc = desc
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.n = 0
        self._t0 = time.monotonic()
        self._last = 0.0
        self.min_interval = min_interval

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.monotonic()
        if self.enabled and (now - self._last >= self.min_interval or self.n == self.total):
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        rate = self.n / max(now - self._t0, 1e-9)
        if self.total:
            frac = min(self.n / self.total, 1.0)
            bar = "#" * int(frac * 30)
            text = f"\r{self.desc} [{bar:<30}] {self.n}/{self.total} {rate:6.1f}/s"
        else:
            text = f"\r{self.desc} {self.n} {rate:6.1f}/s"
        self.stream.write(text)
        self.stream.flush()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()
