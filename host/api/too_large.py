"""Says *why* a request body was refused for its size: a problem (API) or a page in Chinese.

FastAPI's body limit (host.api.limits) answers a body that declares itself too large with a
bare ``text/plain`` 413 from outside the app's own error handlers; this wraps the whole app
(host.app.EvalpadAPI) and replaces that answer, before anything of the body is read.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from host.api.limits import MAX_BODY_BYTES, MAX_UPLOAD_BODY_BYTES

MB = 1024 * 1024
PAGE = ("<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>提交的内容太大</title>"
        "<h1>提交的内容太大</h1><p>表单最多 {form} MB，上传的文件最多 {upload} MB。请返回上一页，"
        "精简内容或按月份拆分文件后重试。</p></html>")


def _answer(path: str) -> tuple[bytes, bytes]:
    """(content type, body) for a refused body at ``path``."""
    if path.startswith(("/api/", "/metrics", "/healthz")):
        problem = {"type": "urn:evalpad:problem:too-large", "title": "提交的内容太大", "status": 413,
                   "detail": f"请求体超过上限（{MAX_BODY_BYTES // MB} MiB；上传文件 "
                             f"{MAX_UPLOAD_BODY_BYTES // MB} MiB）",
                   "fix": "请精简内容；业务量文件可按月份拆分后分别上传", "instance": path}
        return b"application/problem+json", json.dumps(problem).encode()
    page = PAGE.format(form=MAX_BODY_BYTES // MB, upload=(MAX_UPLOAD_BODY_BYTES - MB) // MB)
    return b"text/html; charset=utf-8", page.encode()


class ExplainTooLarge:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replaced = False

        async def send_explained(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return                          # the bare answer's body: already replaced
            if message["type"] == "http.response.start" and message["status"] == 413 and \
                    dict(message.get("headers", [])).get(b"content-type", b"").startswith(b"text/plain"):
                replaced = True
                kind, body = _answer(scope["path"])
                await send({"type": "http.response.start", "status": 413,
                            "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                                        (b"cache-control", b"no-store"), (b"connection", b"close")]})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, send_explained)
