"""Tables (SQLModel). One module per domain; importing this package registers them all.

Times are Unix milliseconds UTC (``*_ms``): exact, the same on SQLite and PostgreSQL,
and what the wire carries. Rules convert to Asia/Shanghai (host.clock.local).
Add a domain as a new module and one import line below; the single Alembic revision
is regenerated from these models (tests check the two agree).
"""

from host.models.audit import AuditEntry
from host.models.calendar import (
                                   CalendarDay,
                                   CalendarYear,
                                   RuleSetting,
                                   SummerSchedule,
                                   WindowDay,
                                   WindowSchedule,
)
from host.models.commands import Command
from host.models.counts import DailyCount
from host.models.events import BootAnchor, Event, EventConflict, RejectedMessage
from host.models.faults import Fault, FaultEvidence
from host.models.fleet import Assignment, AssignmentCorrection, Device, Window
from host.models.goodbad import Alert, BadReview
from host.models.liveness import DeviceStatus, HostBeat, HostDowntime, ModeInterval, PowerInterval
from host.models.months import MonthAction
from host.models.releases import PadUpdate, Release, Rollout
from host.models.review import ViolationCandidate, ViolationDecision
from host.models.service import ServiceSession
from host.models.users import ApiToken, LoginThrottle, User
from host.models.volume import MonthlyVolume, VolumeImport
from host.models.waivers import Waiver

__all__ = [
                                   "Alert",
                                   "ApiToken",
                                   "Assignment",
                                   "AssignmentCorrection",
                                   "AuditEntry",
                                   "BadReview",
                                   "BootAnchor",
                                   "CalendarDay",
                                   "CalendarYear",
                                   "Command",
                                   "DailyCount",
                                   "Device",
                                   "DeviceStatus",
                                   "Event",
                                   "EventConflict",
                                   "Fault",
                                   "FaultEvidence",
                                   "HostBeat",
                                   "HostDowntime",
                                   "LoginThrottle",
                                   "ModeInterval",
                                   "MonthAction",
                                   "MonthlyVolume",
                                   "PadUpdate",
                                   "PowerInterval",
                                   "RejectedMessage",
                                   "Release",
                                   "Rollout",
                                   "RuleSetting",
                                   "ServiceSession",
                                   "SummerSchedule",
                                   "User",
                                   "ViolationCandidate",
                                   "ViolationDecision",
                                   "VolumeImport",
                                   "Waiver",
                                   "Window",
                                   "WindowDay",
                                   "WindowSchedule",
]
