"""The IT section's fault log (报修记录, R7): opened from pad events, host checks and people;
open -> acknowledged -> resolved with a verdict; what it waives (``pad_fault_spans``) and
excuses (``network_outage_spans``); MTTR and faults per pad (``summary``)."""

from host.faults.detect import FaultRules, detect_outages, detect_silent, sync_pad_events
from host.faults.log import (
    VERDICTS,
    acknowledge,
    get_fault,
    list_faults,
    open_fault,
    reclassify,
    report_fault,
    resolve,
    window_of,
)
from host.faults.queries import FaultSummary, network_outage_spans, pad_fault_spans, summary
from host.faults.sweep import GiveWay, Sweeper, SweepResult, sweep, windows_with_news

__all__ = [
    "VERDICTS",
    "FaultRules",
    "FaultSummary",
    "GiveWay",
    "SweepResult",
    "Sweeper",
    "acknowledge",
    "detect_outages",
    "detect_silent",
    "get_fault",
    "list_faults",
    "network_outage_spans",
    "open_fault",
    "pad_fault_spans",
    "reclassify",
    "report_fault",
    "resolve",
    "summary",
    "sweep",
    "sync_pad_events",
    "window_of",
    "windows_with_news",
]
