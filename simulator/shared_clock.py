"""One simulated clock shared by the simulator and a host running in another process.

The engine sets it; the host (``host.service.run(settings, clock)``) only reads ``now_ms()``.
It lives in a small memory-mapped file: the time is written into two slots one after the
other and read until both agree, so a reader never sees a half-written value. Each slot is
copied whole (slice assignment): ``struct.pack_into`` first zeroes its target, and a reader
that caught both slots zeroed read the time as 0 (the host then dated events to 1970).
"""

from __future__ import annotations

import mmap
import os
import struct
import time
from pathlib import Path

_SLOT = struct.Struct("<q")
_SIZE = 2 * _SLOT.size


class SharedClock:
    """``host.clock.Clock`` (now_ms) plus ``set``/``advance`` for the one process that owns it."""

    def __init__(self, path: Path | str, start_ms: int | None = None) -> None:
        self.path = Path(path)
        if start_ms is not None or not self.path.exists():
            self.path.write_bytes(_SLOT.pack(start_ms or 0) * 2)
        fd = os.open(self.path, os.O_RDWR)
        try:
            self._map = mmap.mmap(fd, _SIZE)
        finally:
            os.close(fd)

    def now_ms(self) -> int:
        while True:
            a = self._map[:_SLOT.size]
            b = self._map[_SLOT.size:_SIZE]
            if a == b:
                return int(_SLOT.unpack(a)[0])
            time.sleep(0)               # the writer is between its two stores

    def set(self, ms: int) -> None:
        value = _SLOT.pack(ms)
        self._map[:_SLOT.size] = value
        self._map[_SLOT.size:_SIZE] = value

    def advance(self, ms: int) -> int:
        now = self.now_ms() + ms
        self.set(now)
        return now

    def close(self) -> None:
        self._map.close()
