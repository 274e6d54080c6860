"""``GET /ota/<release>/<path>``: a kept release's files for the pads, with HTTP Range.

Public on purpose: a pad has no API token, and none is needed. A pad installs a file only
if its SHA-256 matches the manifest, and the manifest only if its SHA-256 is the one in the
update command, which came over the pad's own authenticated MQTT account. The program
holds no secret (identity and passwords stay on the pad). Not in the OpenAPI schema.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response

from host.releases import store

router = APIRouter()
RANGE_RE = re.compile(r"^bytes=(\d+)-(\d*)$")


@router.get("/ota/{version}/{path:path}", include_in_schema=False)
def release_file(version: str, path: str, request: Request) -> Response:
    file = store.release_file(request.app.state.settings.data_dir, version, path)
    if file is None:
        return Response("no such release file\n", status_code=404, media_type="text/plain")
    data = file.read_bytes()
    total = len(data)
    wanted = request.headers.get("range")
    if wanted is None:
        return Response(data, media_type="application/octet-stream")
    m = RANGE_RE.match(wanted.strip())
    if m is None:
        return Response("Range must be bytes=FIRST-[LAST]\n", status_code=400, media_type="text/plain")
    first = int(m.group(1))
    last = min(int(m.group(2)) if m.group(2) else total - 1, total - 1)
    if first >= total:
        return Response(b"", status_code=416, headers={"Content-Range": f"bytes */{total}"})
    return Response(data[first:last + 1], status_code=206, media_type="application/octet-stream",
                    headers={"Content-Range": f"bytes {first}-{last}/{total}"})
