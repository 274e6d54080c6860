"""What a volume file (业务受理量) may hold: a month's export for a few hundred windows is a few
KiB and a few hundred rows, so these are far beyond any real file and far below what would
slow the host. Past one of them the file is refused with a message saying which and why."""

from __future__ import annotations

MAX_FILE_BYTES = 5 * 1024 * 1024            # the file as uploaded
MAX_UNPACKED_BYTES = 10 * 1024 * 1024       # an .xlsx unpacked (a zip: 36 KB can unpack to 100s of MB)
MAX_ROWS = 10_000                           # a few hundred windows x 12 months, several times over
MAX_ERRORS_SHOWN = 100                      # every bad row is counted; this many are listed
