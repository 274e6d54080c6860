"""Monthly volume V (业务受理量, R3): imports from the business system (CSV/Excel) and
counts from the queue system; ``volume_for`` gives V with its source."""

from host.volume.parse import RowError, VolumeFileError, VolumeRow, parse_rows, read_table
from host.volume.store import (
    IMPORT,
    NONE,
    QUEUE,
    ImportReport,
    VolumeImportError,
    import_volume,
    imported_volume,
    list_imports,
    queue_volume,
    volume_for,
)

__all__ = ["IMPORT", "NONE", "QUEUE", "ImportReport", "RowError", "VolumeFileError", "VolumeImportError",
           "VolumeRow", "import_volume", "imported_volume", "list_imports", "parse_rows", "queue_volume",
           "read_table", "volume_for"]
