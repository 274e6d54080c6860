"""The evaluations for the provincial 好差评 platform (issue 16): one record per evaluation with
its case number (办件编号), service item (事项), channel (窗口评价器), level, time, window,
department and staff, per day or per month (Asia/Shanghai), as JSON or CSV.

The format and a sample are in docs/platform-export.md; ``FIELDS`` is its field list, in order.
``staff`` are the staff accounts bound to the window when the export is made: the host does not
record who sat at a window at each moment (a limit said in the document).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from host.clock import RULES_TZ, local, to_ms
from host.errors import Invalid
from host.exports.sheet import CSV_ENCODING, csv_text
from host.models.events import Event
from host.models.fleet import Window
from host.models.users import User
from host.rules.goodbad import is_bad_review, is_satisfied
from host.rules.month_span import month_span

FORMAT = "evalpad-platform-export"
VERSION = 1
CHANNEL, CHANNEL_NAME = "window_pad", "窗口评价器"
FIELDS = (
    "id",
    "case_no",
    "item",
    "channel",
    "channel_name",
    "level",
    "rating",
    "satisfied",
    "bad_review",
    "time",
    "at_ms",
    "time_derived",
    "window",
    "window_name",
    "department",
    "staff",
    "device_id",
)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
MAX_ROWS = 1_000_000  # a month of a large center is ~10^5


@dataclass(frozen=True, slots=True)
class Period:
    text: str  # "2026-10" or "2026-10-08"
    start_ms: int
    end_ms: int


def period(text: str) -> Period:
    """A day (YYYY-MM-DD) or a month (YYYY-MM) in Asia/Shanghai; Invalid saying how to write it."""
    text = text.strip()
    try:
        if _DAY.match(text):
            d = date.fromisoformat(text)
            start = to_ms(datetime.combine(d, time(0), tzinfo=RULES_TZ))
            return Period(
                text, start, to_ms(datetime.combine(d + timedelta(days=1), time(0), tzinfo=RULES_TZ))
            )
        if _MONTH.match(text):
            span = month_span(text)
            return Period(text, span.start_ms, span.end_ms)
    except ValueError:
        pass
    raise Invalid(
        f"时段 {text!r} 既不是日期也不是月份", "写成 2026-10-08（某一天）或 2026-10（某个月）"
    )


def records(session: Session, p: Period) -> list[dict[str, Any]]:
    """Every evaluation pressed in ``p`` (R10: the moment pressed), in time order."""
    rows = session.exec(
        select(Event)
        .where(
            Event.type == "eval",
            col(Event.at_ms) >= p.start_ms,
            col(Event.at_ms) < p.end_ms,
            col(Event.window_id).is_not(None),
        )
        .order_by(col(Event.at_ms), col(Event.id))
        .limit(MAX_ROWS)
    ).all()
    windows = {w.id: w for w in session.exec(select(Window)).all()}
    staff: dict[int, list[str]] = {}
    for u in session.exec(
        select(User)
        .where(User.role == "staff", col(User.window_id).is_not(None), col(User.disabled_ms).is_(None))
        .order_by(col(User.name))
    ).all():
        assert u.window_id is not None
        staff.setdefault(u.window_id, []).append(u.name)
    out = []
    for e in rows:
        w = windows.get(e.window_id)
        out.append(
            {
                "id": e.id,
                "case_no": e.case_no,
                "item": e.item,
                "channel": CHANNEL,
                "channel_name": CHANNEL_NAME,
                "level": e.level,
                "rating": e.rating,
                "satisfied": is_satisfied(e.rating, e.level),
                "bad_review": is_bad_review(e.rating, e.level),
                "time": local(e.at_ms).isoformat(timespec="seconds"),
                "at_ms": e.at_ms,
                "time_derived": e.time_derived,
                "window": w.number if w else None,
                "window_name": w.name if w else None,
                "department": w.department if w else None,
                "staff": staff.get(e.window_id or 0, []),
                "device_id": e.device_id,
            }
        )
    return out


def to_json(p: Period, rows: Sequence[dict[str, Any]], generated_ms: int) -> bytes:
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "period": p.text,
        "from_ms": p.start_ms,
        "to_ms": p.end_ms,
        "generated_ms": generated_ms,
        "count": len(rows),
        "fields": list(FIELDS),
        "evaluations": list(rows),
    }
    return json.dumps(doc, ensure_ascii=False, indent=1).encode()


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "、".join(str(x) for x in v)
    return csv_text(str(v))


def to_csv(rows: Sequence[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(FIELDS)
    w.writerows([_cell(r[f]) for f in FIELDS] for r in rows)
    return out.getvalue().encode(CSV_ENCODING)


def day_or_month(month: str | None, day: date | None) -> str:
    """The period of an export asked for by URL (``month=2026-10`` or ``day=2026-10-08``, one of them)."""
    if (month is None) == (day is None):
        raise Invalid("请指定月份或日期（二选一）", "加上 month=2026-10 或 day=2026-10-08（只写其中一个）")
    return month if month is not None else day.isoformat()  # type: ignore[union-attr]


def export(session: Session, text: str, fmt: str, generated_ms: int) -> tuple[bytes, str]:
    """The export of period ``text`` as ``fmt`` (json or csv): (bytes, file name)."""
    if fmt not in ("json", "csv"):
        raise Invalid(f"格式 {fmt!r} 不是 json 或 csv", "请用 json 或 csv")
    p = period(text)
    rows = records(session, p)
    data = to_json(p, rows, generated_ms) if fmt == "json" else to_csv(rows)
    return data, f"evaluations-{p.text}.{fmt}"
