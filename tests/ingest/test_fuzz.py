"""The fuzz campaign on the live ingest (issue 10), on SQLite and PostgreSQL: mutated payloads
of every kind (bytes, NUL, surrogates, UTF-16/32, BOM, huge and negative numbers, deep
nesting, every field) interleaved with good events from several pads at once.

Every good event is stored once and acknowledged, every bad one is recorded with a reason,
and the ingest's log has no traceback. Sized for CI (EVALPAD_FUZZ_MUTANTS per database);
bench/ingest_fuzz.py runs 100,000 per database and reports the rates.
"""

from __future__ import annotations

import os

import pytest

from tests.ingest import campaign, fuzz
from tests.ingest.conftest import place

PADS = [f"fz-{i:02d}" for i in range(4)]
MUTANTS = int(os.environ.get("EVALPAD_FUZZ_MUTANTS", "25000"))
GOODS_PER_PAD = MUTANTS // len(PADS) // 5


@pytest.mark.slow
def test_fuzz_campaign_on_the_live_ingest(broker, engine, spawn_ingest, db_url):
    passwords = {dev: broker.add_pad(dev) for dev in PADS}
    for dev in PADS:
        place(engine, dev)
    ingest = spawn_ingest()
    camp, pads = campaign.run(broker.host, broker.port, passwords, GOODS_PER_PAD, MUTANTS // len(PADS))
    try:
        campaign.wait_settled(engine, camp)
        verdict = campaign.check(engine, camp, pads, ingest.log)
    finally:
        for pad in pads.values():
            pad.close()
    assert camp.total_mutants >= MUTANTS
    assert set(camp.kinds) >= {*fuzz.ALL, "good", "respelled"}, "every mutation kind was sent"
    # Each kind of outcome happened: refused with a reason, valid mutants stored, conflicts.
    assert verdict.rejected_rows > MUTANTS // 2 and verdict.stored_mutants > 0 and verdict.conflicts > 0
    assert {"not_json", "not_utf8", "bad_field", "too_large", "not_object", "device_mismatch"} <= set(
        verdict.codes)
    print(f"\nfuzz campaign ({db_url.split(':')[0]}): {camp.total_mutants} mutants and {camp.total_goods} "
          f"good events from {len(PADS)} pads; good events stored and acked at {camp.good_rate():.0f}/s; "
          f"all recorded in {camp.settled - camp.started:.1f}s; outcomes {dict(verdict.codes)}, "
          f"{verdict.stored_mutants} valid mutants stored, {verdict.conflicts} conflicts")
