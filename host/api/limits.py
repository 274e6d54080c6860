"""How large a request body may be, checked before it is read (413 otherwise).

Forms and JSON are small (a note, a reason, a sign-in): 1 MiB is far beyond any of them. A file
upload (the volume import) gets its own limit: the file's (host.volume.limits) plus room for
the form around it. A body that says it is larger is refused at once; one that does not say
(chunked) is cut off when it passes the limit.
"""

from __future__ import annotations

from host.volume.limits import MAX_FILE_BYTES

MAX_BODY_BYTES = 1024 * 1024
MAX_UPLOAD_BODY_BYTES = MAX_FILE_BYTES + 1024 * 1024
