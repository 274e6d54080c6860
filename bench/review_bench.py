"""Benchmark (not a test): the review's work at a big center's size, on SQLite.

- R6 candidates for one window's month (3,000 evaluations, prompts and queue sessions):
  the pure rules, and ``detect`` from the database (first run and the idempotent re-run).
- R7 mass-outage detection over 2,000 pads' off intervals (pure).
- R3 volume import of one month for 2,000 windows (CSV and XLSX), all-or-nothing.

    .venv/bin/python bench/review_bench.py
"""

from __future__ import annotations

import io
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from openpyxl import Workbook
from sqlmodel import Session

from host import violations, volume
from host.clock import RULES_TZ, to_ms
from host.db import make_engine, upgrade
from host.models.events import Event
from host.models.fleet import Window
from host.models.service import ServiceSession
from host.rules import violations as rules
from host.rules.outages import OffInterval, find_outages
from host.rules.types import Span

MONTH = "2026-11"
EVALS = 3000
WINDOWS = 2000


def ms(day: int, h: int, m: int = 0, s: int = 0) -> int:
    from datetime import datetime

    return to_ms(datetime(2026, 11, day, h, m, s, tzinfo=RULES_TZ))


def timed(label: str, fn, repeat: int = 1):  # type: ignore[no-untyped-def]
    best = float("inf")
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    print(f"{label:<58} {best * 1000:9.1f} ms")
    return out


def window_month(session: Session, wid: int) -> list[Span]:
    rnd = random.Random(7)
    working: list[Span] = []
    days = [d for d in range(2, 31) if (d - 2) % 7 < 5][:21]
    for d in days:
        working += [Span(ms(d, 8, 30), ms(d, 12)), Span(ms(d, 13), ms(d, 17))]
    per_day = EVALS // len(days) + 1
    seq = 0
    n = 0
    for d in days:
        t = ms(d, 8, 35)
        for _ in range(per_day):
            if n >= EVALS:
                break
            ticket = f"T{d}-{n}"
            session.add(ServiceSession(window_id=wid, ticket=ticket, started_ms=t, ended_ms=t + 120_000))
            steps = [("prompt", t + 120_000), ("eval", t + 125_000)]
            if n % 50 == 0:  # ~2 % a second press 5 s later (连续评价)
                steps.append(("eval", t + 130_000))
            if n % 70 == 0:  # ~1.4 % no prompt at all (未按程序提示评价)
                steps = [("eval", t + 125_000)]
            for typ, at in steps:
                seq += 1
                session.add(
                    Event(
                        device_id="qp-0001",
                        seq=seq,
                        boot=1,
                        up_ms=seq,
                        type=typ,
                        at_ms=at,
                        received_ms=at,
                        window_id=wid,
                        svc=ticket,
                        rating="satisfied",
                        body={"type": typ, "svc": ticket, "source": "host"},
                    )
                )
            n += 1
            t += 140_000 + rnd.randint(0, 20_000)
            if ms(d, 11, 58) <= t < ms(d, 13):
                t = ms(d, 13, 1)
    session.commit()
    return working


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        s.add_all([Window(number=f"W{i:04d}", name=f"窗口{i}") for i in range(WINDOWS)])
        s.commit()
        working = window_month(s, 1)
        from sqlmodel import select

        evs = list(s.exec(select(Event).where(Event.window_id == 1)).all())
        svcs = list(s.exec(select(ServiceSession).where(ServiceSession.window_id == 1)).all())
        print(f"one window's month: {sum(e.type == 'eval' for e in evs)} evaluations, {len(svcs)} sessions")
        found = timed(
            "R6 find_candidates (pure, one window-month)",
            lambda: rules.find_candidates(1, evs, sessions=svcs, working=working),
            repeat=3,
        )
        print(f"  candidates: {len(found)}")
        r = timed(
            "R6 detect from the database, first run",
            lambda: violations.detect(s, 1, MONTH, working=working, now_ms=ms(30, 23, 0)),
        )
        timed(
            "R6 detect again (idempotent)",
            lambda: violations.detect(s, 1, MONTH, working=working, now_ms=ms(30, 23, 0)),
            repeat=3,
        )
        print(f"  stored candidates: {r.added}")

        rnd = random.Random(3)
        # Two random drops per pad in the month (5 min each), and one real outage of 300 pads.
        starts = [ms(rnd.randint(2, 29), rnd.randint(8, 16), rnd.randint(0, 59)) for _ in range(2 * WINDOWS)]
        offs = [OffInterval(f"p{i % WINDOWS}", t, t + 300_000, "will") for i, t in enumerate(starts)]
        offs += [OffInterval(f"p{i}", ms(12, 10, 0) + i * 30, ms(12, 10, 20), "will") for i in range(300)]
        outages = timed(
            f"R7 find_outages ({len(offs)} off intervals, {WINDOWS} pads)",
            lambda: find_outages(offs, WINDOWS),
            repeat=3,
        )
        print(f"  outages: {len(outages)}")

        rows = [("窗口号", "月份", "业务受理量")] + [
            (f"W{i:04d}", MONTH, rnd.randint(0, 400)) for i in range(WINDOWS)
        ]
        csv_data = "\n".join(",".join(map(str, r)) for r in rows).encode()
        timed(
            f"R3 import CSV ({WINDOWS} rows)",
            lambda: volume.import_volume(s, "nov.csv", csv_data, by="bench", now_ms=ms(30, 9, 0)),
        )
        wb = Workbook()
        for r in rows:
            wb.active.append(list(r))
        buf = io.BytesIO()
        wb.save(buf)
        timed(
            f"R3 import XLSX ({WINDOWS} rows)",
            lambda: volume.import_volume(s, "nov.xlsx", buf.getvalue(), by="bench", now_ms=ms(30, 9, 1)),
        )
        bad = csv_data + b"\nW9999,2026-11,1\n"

        def refused() -> None:
            try:
                volume.import_volume(s, "bad.csv", bad, by="bench", now_ms=ms(30, 9, 2))
            except volume.VolumeImportError as exc:
                assert len(exc.errors) == 1

        timed(f"R3 refuse CSV with one bad row ({WINDOWS + 1} rows)", refused)
    engine.dispose()


if __name__ == "__main__":
    main()
