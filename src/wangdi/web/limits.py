"""Request body limits, checked before anything else (before login, before a form is parsed)."""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException

from wangdi import settings

UPLOAD_PATHS = ("/api/v1/imports", "/import")
SMALL_BODY = 1024 * 1024  # every other request: forms and JSON are small


def limit_for(path: str) -> int:
    if path.startswith(UPLOAD_PATHS):
        return int(settings.max_upload_mb() * 1024 * 1024) + 64 * 1024  # room for the multipart envelope
    return SMALL_BODY


class BodyLimit:
    """Refuses a body over the limit with 413: at once when Content-Length says so, else while it streams in."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope.get("path", ""))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(send, limit)
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            if message.get("type") == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(413, f"请求过大（上限 {limit // (1024 * 1024)} MB）")
            return message

        await self.app(scope, counted, send)


async def _refuse(send: Any, limit: int) -> None:
    body = json.dumps({"ok": False, "error": {"code": "http-413", "message": f"请求过大（上限 {max(1, limit // 1048576)} MB），"
                                              "未读取", "details": None}}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
