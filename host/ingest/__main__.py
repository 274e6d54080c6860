"""``python -m host.ingest``: the ingest alone, without the HTTP API (settings from EVALPAD_*).

Used by the reliability tests, which kill this process with SIGKILL mid-stream, and by
deployments that run the ingest and the API as separate processes.
"""

from __future__ import annotations

import logging
import sys

from host.service import run
from host.settings import BadSettings, from_env


def main() -> None:
    try:
        settings = from_env()
    except BadSettings as exc:
        sys.exit(f"错误：设置有误：{exc.detail}")
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run(settings, http=False)


if __name__ == "__main__":
    main()
