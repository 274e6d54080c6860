"""``python -m simulator.host_process``: the real host (``host.service.run``) on a shared simulated clock.

The simulator starts it as its own process, so the host's ingest and the pads never compete
for one interpreter lock, and so the host's CPU and memory can be measured on their own.
Settings come from EVALPAD_* as for ``evalpad serve``; ``--clock FILE`` is the only addition.
"""

from __future__ import annotations

import argparse
import logging
import os

from host.service import run
from host.settings import Settings
from simulator.shared_clock import SharedClock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clock", help="shared clock file written by the simulator (default: real time)")
    parser.add_argument("--http", action="store_true", help="serve the HTTP API too")
    args = parser.parse_args()
    logging.basicConfig(level=os.environ.get("EVALPAD_LOG_LEVEL", "WARNING"),
                        format="%(asctime)s host %(levelname)s %(name)s: %(message)s")
    clock = SharedClock(args.clock) if args.clock else None
    run(Settings(), clock, http=args.http)  # type: ignore[call-arg]


if __name__ == "__main__":
    main()
