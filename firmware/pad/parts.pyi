"""What the pad's rare parts may touch of the object that loads them, as types.

``slots`` (at a start and during a trial) and ``firmware/ota/job.py`` (during an update) see the
running app (``firmware/pad/app.py``'s ``PadApp``); ``recovery`` sees the event log it rebuilds
(``firmware/pad/eventlog.py``). Read by type checkers only (the pad never imports ``typing``):
naming the loader's own class would tie each part back to the module that loads it.
"""

from typing import Any, Protocol

from firmware.hal.board import Board
from firmware.hal.files import Files
from firmware.pad.health import Health
from firmware.pad.net import Net

class RunningApp(Protocol):
    """The app as ``slots`` and the update job use it."""

    hal: Board
    files: Files
    health: Health
    net: Net
    fw: str
    slot: str
    trial: Any            # firmware.pad.slots.Trial | None
    update: Any           # firmware.ota.update.Update | None
    restart_when_idle: str

    def record(self, events: list, up: int) -> None: ...


class LogUnderRepair(Protocol):
    """The event log as its recovery (``firmware/pad/recovery.py``) rebuilds it at a start."""

    files: Files
    dev: str
    segs: list[list[int]]
    acked: list[list[int]]
    dropped: int
    rejected: int
    corrupt: int
    torn: int
    max_boot: int
    next_seq: int
    _cursor: tuple[int, int, int] | None

    def close(self) -> None: ...
    def read_segment(self, first: int) -> bytes: ...
    def new_segment(self, first: int) -> None: ...
    def trim_acks(self) -> None: ...
