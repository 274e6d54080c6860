"""Mass outages (R7): many pads of one center going offline together is one network fault.

Pure: the caller passes every pad's off intervals (host.models.PowerInterval with state
``off``) for one center. A group of pads whose off intervals *start* within
``cluster_ms`` of each other is an outage when it is large enough: at least ``min_pads``
pads, or (in a small center) at least ``min_share`` of the fleet and two pads. Such an
outage is one network fault, not a closure per pad (R5, R7).

The outage lasts from the first drop until ``return_share`` of its pads are back on: a
pad that stays off much longer than the others is its own problem, not the network's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from host.rules.types import Span

# A switch or access point failing drops its pads within a heartbeat timeout of each other
# (3 x 30 s heartbeats = 90 s); two minutes catches them all without merging unrelated drops.
DEFAULT_CLUSTER_MS = 120_000
# Five pads at once is far beyond chance in a hall where pads rarely drop (configurable).
DEFAULT_MIN_PADS = 5
# In a small center (under ten pads) half the fleet dropping together is a network fault too.
DEFAULT_MIN_SHARE = 0.5
# The outage ends when 80 % of its pads are back; stragglers are judged on their own.
DEFAULT_RETURN_SHARE = 0.8
# A pad switched off with its power key is a person's act, never a network fault nor a silent
# pad (host.faults.detect reads the same list for both).
DEFAULT_IGNORED_CAUSES = frozenset({"power_off"})


@dataclass(frozen=True, slots=True)
class OutageRules:
    cluster_ms: int = DEFAULT_CLUSTER_MS
    min_pads: int = DEFAULT_MIN_PADS
    min_share: float = DEFAULT_MIN_SHARE
    return_share: float = DEFAULT_RETURN_SHARE
    ignored_causes: frozenset[str] = DEFAULT_IGNORED_CAUSES

    def __post_init__(self) -> None:
        if self.cluster_ms <= 0:
            raise ValueError("cluster_ms must be > 0")
        if self.min_pads < 2:
            raise ValueError("min_pads must be >= 2: one pad offline is a closure, not an outage")
        if not (0 < self.min_share <= 1 and 0 < self.return_share <= 1):
            raise ValueError("min_share and return_share must be in (0, 1]")


@dataclass(frozen=True, slots=True)
class OffInterval:
    """One pad off from ``start_ms`` to ``end_ms`` (None: still off)."""

    device_id: str
    start_ms: int
    end_ms: int | None
    cause: str = ""
    record_id: int | None = None


@dataclass(frozen=True, slots=True)
class Outage:
    """One network fault: the pads that dropped together, and when."""

    start_ms: int
    end_ms: int | None                 # None: not over yet
    device_ids: tuple[str, ...]
    record_ids: tuple[int, ...]        # the PowerInterval ids behind it (evidence)

    @property
    def key(self) -> str:
        return f"outage:{self.start_ms}"

    def span(self, until_ms: int) -> Span:
        """The outage as a span, open outages running until ``until_ms``."""
        return Span(self.start_ms, self.end_ms if self.end_ms is not None else until_ms)


def needed(fleet_size: int, rules: OutageRules) -> int:
    """How many pads must drop together to call it an outage."""
    by_share = max(2, math.ceil(rules.min_share * fleet_size))
    return min(rules.min_pads, by_share) if fleet_size > 0 else rules.min_pads


def find_outages(intervals: Iterable[OffInterval], fleet_size: int,
                 rules: OutageRules | None = None) -> list[Outage]:
    """Every mass outage among one center's off intervals, in time order.

    Each interval belongs to at most one outage; a pad counts once per outage.
    """
    rules = rules or OutageRules()
    threshold = needed(fleet_size, rules)
    offs = sorted((i for i in intervals if i.cause not in rules.ignored_causes),
                  key=lambda i: (i.start_ms, i.device_id))
    used = [False] * len(offs)
    outages: list[Outage] = []
    for first in range(len(offs)):
        if used[first]:
            continue
        members: dict[str, int] = {}       # device -> index of its first drop in the group
        limit = offs[first].start_ms + rules.cluster_ms
        j = first
        while j < len(offs) and offs[j].start_ms <= limit:
            if not used[j] and offs[j].device_id not in members:
                members[offs[j].device_id] = j
            j += 1
        if len(members) < threshold:
            continue                         # slide on: a later start may begin a real group
        for j in members.values():
            used[j] = True
        outages.append(_outage([offs[j] for j in members.values()], rules))
    return outages


def _outage(members: Sequence[OffInterval], rules: OutageRules) -> Outage:
    ends = sorted(math.inf if m.end_ms is None else m.end_ms for m in members)
    k = math.ceil(rules.return_share * len(members))
    end = ends[k - 1]
    return Outage(
        start_ms=min(m.start_ms for m in members),
        end_ms=None if end == math.inf else int(end),
        device_ids=tuple(sorted(m.device_id for m in members)),
        record_ids=tuple(sorted(m.record_id for m in members if m.record_id is not None)),
    )
