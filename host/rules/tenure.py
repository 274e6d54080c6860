"""Which pad sat on a window when (R10), and what a pad's fault excuses there (R7). Pure.

A window's month is a list of ``Tenure``: the assignment intervals of its pads, clipped to
the time judged. A fault or outage belongs to pads, not windows: it excuses a window's
deduction only over the time one of its pads sat on that window (R7: "a fault of the pad
that sat on that window at that moment"). ``excuses_on`` cuts each one to those tenures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from host.rules.closures import ExcuseSpan
from host.rules.types import Span


@dataclass(frozen=True, slots=True)
class Tenure:
    """Pad ``device_id`` sat on the window over ``span`` (R10)."""

    device_id: str
    span: Span


@dataclass(frozen=True, slots=True)
class PadExcuse:
    """A period that excuses deductions (R7): a pad fault IT confirmed (``fault:<id>``, one pad)
    or a mass outage (``network_outage:<id>``, its pads). No pads: the whole center."""

    span: Span
    excuse: str
    devices: frozenset[str]


def excuses_on(excuses: Iterable[PadExcuse], tenures: Sequence[Tenure]) -> list[ExcuseSpan]:
    """Each excuse cut to the tenures of its pads on this window; what falls outside them
    excuses nothing here (R7, R10)."""
    out: list[ExcuseSpan] = []
    for e in excuses:
        if not e.devices:
            out.append(ExcuseSpan(e.span, e.excuse))
            continue
        for t in tenures:
            if t.device_id not in e.devices:
                continue
            start, end = max(e.span.start_ms, t.span.start_ms), min(e.span.end_ms, t.span.end_ms)
            if start < end:
                out.append(ExcuseSpan(Span(start, end), e.excuse))
    return out
