"""Request dependencies: the database URL, the signed-in user, CSRF, scope checks; and the one error shape."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, Request

from wangdi import settings
from wangdi.errors import WangdiError
from wangdi.policy import pack as packs
from wangdi.web import auth
from wangdi.web.queries import load_pack

COOKIE = "wangdi_session"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

STATUS = {"not-authenticated": 401, "bad-credentials": 401, "forbidden": 403, "out-of-scope": 403, "csrf-failed": 403,
          "too-many-attempts": 429, "edit-conflict": 409, "already-exists": 409, "bad-transition": 409, "locked": 409,
          "invalid-record": 422, "import-invalid": 422, "validation-error": 422, "comment-required": 422,
          "unknown-division": 404, "not-found": 404, "upload-not-found": 404, "unknown-pack": 404, "no-data": 404,
          "record-not-found": 404, "database-busy": 503, "import-in-progress": 409, "upload-too-large": 413,
          "upload-timeout": 413}


def status_of(err: WangdiError) -> int:
    if err.code in STATUS:
        return STATUS[err.code]
    return 404 if err.code.endswith("not-found") else 400


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message, "details": details}}


def client_address(request: Request) -> str:
    """The caller's address: the peer, or — only when the peer is a trusted proxy (WANGDI_TRUSTED_PROXIES) —
    the nearest untrusted address in X-Forwarded-For."""
    peer = request.client.host if request.client else "?"
    trusted = settings.trusted_proxies()
    if peer not in trusted:
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    return next((h for h in reversed(hops) if h not in trusted), peer)[:64]


def db_url(request: Request) -> str:
    return str(request.app.state.url)


def optional_user(request: Request) -> auth.User | None:
    found = auth.session_user(request.cookies.get(COOKIE), db_url(request))
    if found is None:
        return None
    user, csrf = found
    request.state.csrf = csrf
    return user


def signed_in(request: Request) -> auth.User:
    """The session's user (a sync dependency: its database read runs in the thread pool, not the event loop)."""
    user = optional_user(request)
    if user is None:
        raise WangdiError("not-authenticated", "请先登录", "sign in first")
    return user


async def current_user(request: Request, user: Annotated[auth.User, Depends(signed_in)]) -> auth.User:
    """The signed-in user; unsafe methods must also carry the session's CSRF token (header or form field)."""
    if request.method in UNSAFE:
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded",
                                                                               "multipart/form-data")):
            sent = str((await request.form()).get("csrf_token") or "")
        if not sent or not hmac.compare_digest(sent, request.state.csrf):
            raise WangdiError("csrf-failed", "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试",
                              "CSRF token missing or wrong")
    return user


CurrentUser = Annotated[auth.User, Depends(current_user)]
Url = Annotated[str, Depends(db_url)]


def check_region(user: auth.User, code: str) -> str:
    """A region the user may see: inside their subtree. Raises 403 otherwise."""
    code = code.strip()
    if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12):
        raise WangdiError("unknown-division", f"区划代码应为 2/4/6/9/12 位数字，收到 {code[:20]!r}", "bad division code")
    if not user.in_scope(code):
        raise WangdiError("out-of-scope", "该地区不在您的数据权限范围内", "region outside your scope", {"code": code})
    return code


def default_region(user: auth.User) -> str:
    return user.scope_code or next((str(p.manifest.get("region")) for p in map(load_pack, packs.available())), "")


def pack_for(region: str, requested: str | None = None) -> str:
    """The pack to show for a region: the one asked for, else the plan whose region covers or lies under it."""
    ids = packs.available()
    if requested:
        if requested not in ids:  # installed ids only: never a path, and nothing said about what exists
            raise WangdiError("unknown-pack", f"没有该规则包；可选：{'、'.join(ids)}", "no such installed pack")
        return requested
    regions = {pid: str(load_pack(pid).manifest.get("region") or "") for pid in ids}
    best = [pid for pid, r in regions.items() if r and region.startswith(r)]
    best = sorted(best, key=lambda pid: -len(regions[pid])) or [pid for pid, r in regions.items() if r.startswith(region)]
    return best[0] if best else ids[0]
