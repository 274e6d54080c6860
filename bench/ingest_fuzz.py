"""The fuzz campaign at full size (issue 10): 100,000 mutated payloads per database.

    .venv/bin/python bench/ingest_fuzz.py [--mutants 100000] [--pads 8] [--db sqlite|postgresql|both]

Same campaign and checks as tests/ingest/test_fuzz.py (which runs a smaller one in CI):
a private Mosquitto with the project's config, ``python -m host.ingest`` in its own
process, ``--pads`` pads each publishing its stream on one paho client with many messages
in flight, good events (one for every five mutants) interleaved. It checks that every good
event is stored once and acknowledged, every mutant recorded with a reason (or stored
under its own seq, or kept as a conflict), every readable one acknowledged in rej, and no
traceback in the ingest's log; then prints the rates. Not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from host.broker.mosquitto import Mosquitto, hash_password, write_passwords  # noqa: E402

HOST_USER = "host-1"   # the ingest's broker account: client id = user name (protocol.md Delivery 7)

PG_ADMIN_URL = os.environ.get("EVALPAD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def run_once(db_url: str, mutants: int, pads: int) -> str:
    from sqlmodel import Session

    from host.db import make_engine, upgrade
    from host.models import Assignment, Device, Window
    from tests.ingest import campaign

    devs = [f"fz-{i:02d}" for i in range(pads)]
    upgrade(db_url)
    engine = make_engine(db_url)
    with Session(engine) as s:
        w = Window(number="F01", name="fuzz")
        s.add(w)
        s.flush()
        for dev in devs:
            s.add(Device(id=dev, registered_ms=0))
        s.flush()
        for dev in devs:
            s.add(Assignment(device_id=dev, window_id=w.id, start_ms=0, by="bench"))  # type: ignore[arg-type]
        s.commit()
    with tempfile.TemporaryDirectory() as tmp:
        server = Mosquitto(Path(tmp) / "broker")
        host_password = secrets.token_urlsafe(12)
        passwords = {dev: secrets.token_urlsafe(8) for dev in devs}
        server.write_config()
        write_passwords(server.password_file, {HOST_USER: hash_password(host_password),
                                               **{d: hash_password(p) for d, p in passwords.items()}})
        server.start()
        log = Path(tmp) / "ingest.log"
        env = {**os.environ, "EVALPAD_DATABASE_URL": db_url, "EVALPAD_INSTANCE": HOST_USER,
               "EVALPAD_DATA_DIR": str(Path(tmp) / "data"), "PYTHONPATH": str(ROOT),
               "EVALPAD_MQTT_URL": f"mqtt://{HOST_USER}:{host_password}@127.0.0.1:{server.port}"}
        with open(log, "wb") as out:
            ingest = subprocess.Popen([sys.executable, "-m", "host.ingest"], env=env, cwd=tmp, stdout=out,
                                      stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while "subscribing" not in log.read_text(errors="replace"):
                if time.monotonic() > deadline or ingest.poll() is not None:
                    raise SystemExit("the ingest did not start:\n" + log.read_text(errors="replace"))
                time.sleep(0.1)
            camp, clients = campaign.run("127.0.0.1", server.port, passwords, mutants // pads // 5,
                                         mutants // pads, timeout_s=1800)
            campaign.wait_settled(engine, camp, timeout_s=1800)
            verdict = campaign.check(engine, camp, clients, log)
            for c in clients.values():
                c.close()
            total = camp.total_mutants + camp.total_goods
            return (f"{camp.total_mutants} mutants + {camp.total_goods} good events from {pads} pads: "
                    f"published in {camp.published - camp.started:.1f}s; good events stored and acked at "
                    f"{camp.good_rate():.0f}/s (all acked after {camp.goods_acked - camp.started:.1f}s); "
                    f"everything recorded after {camp.settled - camp.started:.1f}s = "
                    f"{total / (camp.settled - camp.started):.0f} messages/s. Outcomes: "
                    f"{dict(verdict.codes)}; {verdict.stored_mutants} valid mutants stored, "
                    f"{verdict.conflicts} conflicts; tracebacks in the log: 0")
        finally:
            ingest.terminate()
            ingest.wait(30)
            server.stop()
            engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mutants", type=int, default=100_000)
    ap.add_argument("--pads", type=int, default=8)
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = ap.parse_args()
    for db in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        t0 = time.monotonic()
        if db == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                line = run_once(f"sqlite:///{tmp}/fuzz.db", args.mutants, args.pads)
        else:
            import psycopg

            admin = psycopg.connect(PG_ADMIN_URL, autocommit=True)
            name = "evalpad_fuzz_" + uuid.uuid4().hex[:8]
            admin.execute(f'CREATE DATABASE "{name}"')
            try:
                base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
                line = run_once(f"{base}/{name}", args.mutants, args.pads)
            finally:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(f"{db}: {line} [{time.monotonic() - t0:.0f}s with set-up and checks, load "
              f"{os.getloadavg()[0]:.1f}]", flush=True)


if __name__ == "__main__":
    main()
