"""``python -m host.ingest``: the ingest alone, without the HTTP API (settings from EVALPAD_*).

Used by the reliability tests, which kill this process with SIGKILL mid-stream, and by
deployments that run the ingest and the API as separate processes.
"""

from __future__ import annotations

import logging
import os

from host.service import run
from host.settings import Settings


def main() -> None:
    logging.basicConfig(level=os.environ.get("EVALPAD_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run(Settings(), http=False)  # type: ignore[call-arg]  # from EVALPAD_*


if __name__ == "__main__":
    main()
