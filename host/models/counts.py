"""Evaluations per window and day (R2), kept beside the events so a month's N and S are a sum of
~30 rows per window instead of a scan of its events.

A row is derived, never a fact: the evaluations (``Event.type == "eval"``) stored for window
``window_id`` whose press falls on ``day`` (Asia/Shanghai, R10: the moment pressed, not the
arrival). The database keeps it in the same transaction as every write to ``event``: triggers
(migration 0007: SQLite row triggers, PostgreSQL statement triggers over the changed rows) add
what is inserted, move what an update changes (a correction re-attributing events, R10) and
take away what is deleted, so every path that writes events (the ingest, replay, corrections,
an import, a test's row) keeps them true without knowing of them. Nothing edits a count by hand
(R12); ``evalpad counts check`` compares them with a recount of the events and ``evalpad counts
rebuild`` recounts them (host.counts), audited.

Raw stored evaluations are counted: evaluations voided by a confirmed violation (R2, R6) stay
here and the report takes them away (they are a decision, host.scoring.facts). ``level_1`` ..
``level_5``: the five-level answers (好差评 mode, issue 16), counted where the event has one.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Column, Date, ForeignKey, Integer
from sqlmodel import Field, SQLModel

# The triggers the migration creates (host.counts checks they are there).
TRIGGERS = {"sqlite": ("dailycount_insert", "dailycount_update_old", "dailycount_update_new",
                       "dailycount_delete"),
            "postgresql": ("dailycount_insert", "dailycount_update", "dailycount_delete")}
LEVELS = (1, 2, 3, 4, 5)


class DailyCount(SQLModel, table=True):
    window_id: int = Field(sa_column=Column(Integer, ForeignKey("window.id"), primary_key=True,
                                            autoincrement=False))
    day: date = Field(sa_column=Column(Date, primary_key=True))        # Asia/Shanghai date of the press
    evals: int = 0                 # every stored evaluation (N before voids, R2)
    satisfied: int = 0             # rating "satisfied" (S before voids, R1)
    unsatisfied: int = 0
    level_1: int = 0
    level_2: int = 0
    level_3: int = 0
    level_4: int = 0
    level_5: int = 0
