"""The FastAPI application: routes, static files, security headers and the one error shape."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from wangdi import settings
from wangdi.errors import WangdiError
from wangdi.registry import store
from wangdi.web import api, auth, pages
from wangdi.web.deps import error_body, status_of
from wangdi.web.limits import BodyLimit

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("wangdi.web")
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
       "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
HTTP_ZH = {404: "页面或接口不存在", 405: "不支持该请求方法", 413: "请求过大"}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _error(request: Request, status: int, code: str, message: str, details: Any = None) -> Response:
    if _wants_json(request):
        return JSONResponse(error_body(code, message, jsonable_encoder(details)), status_code=status)
    if status == 401:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    return pages.render_error(request, status, code, message, details)


def create_app(url: str | None = None, secure_cookies: bool | None = None) -> FastAPI:
    """The app on `url` (default: WANGDI_DATABASE_URL / the embedded SQLite file). Behind HTTPS set
    WANGDI_SECURE_COOKIES=1 so that cookies are only sent over TLS."""
    url = url or settings.database_url()
    if secure_cookies is None:
        secure_cookies = os.environ.get("WANGDI_SECURE_COOKIES", "") == "1"
    store.init_db(url)
    app = FastAPI(title="wangdi 网底 API", version="1", openapi_url="/api/v1/openapi.json", docs_url=None,
                  redoc_url=None, description="县域卫生服务体系登记、规则评估与审核。所有错误返回 "
                  '{"ok": false, "error": {"code", "message", "details"}}。')
    app.state.url = url
    app.state.limiter = auth.RateLimiter()
    app.state.secure_cookies = secure_cookies

    @app.exception_handler(WangdiError)
    async def wangdi_error(request: Request, exc: WangdiError) -> Response:
        return _error(request, status_of(exc), exc.code, exc.zh, exc.details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(request, exc.status_code, f"http-{exc.status_code}", HTTP_ZH.get(exc.status_code, str(exc.detail)))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errs = [{"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")} for e in exc.errors()]
        where = "；".join(f"{e['where']}：{e['problem']}" for e in errs[:3])
        return _error(request, 422, "validation-error", f"请求参数有误：{where}", errs)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        log.exception("internal error on %s", request.url.path)
        return _error(request, 500, "internal-error", "服务器内部错误，已记录日志；请联系系统管理员。", None)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    app.add_middleware(BodyLimit)  # outermost: a too-large body is refused before sessions or forms are read
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
