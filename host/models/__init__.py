"""Tables (SQLModel). One module per domain; importing this package registers them all.

Times are Unix milliseconds UTC (``*_ms``): exact, the same on SQLite and PostgreSQL,
and what the wire carries. Rules convert to Asia/Shanghai (host.clock.local).
"""

from host.models.audit import AuditEntry
from host.models.events import Event, RejectedMessage
from host.models.fleet import Assignment, Device, Window

__all__ = ["Assignment", "AuditEntry", "Device", "Event", "RejectedMessage", "Window"]
