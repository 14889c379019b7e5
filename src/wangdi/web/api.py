"""JSON API under /api/v1: the same data as the pages, one error shape, OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field

from wangdi.web import approvals, auth, downloads, edits, queries, records, service, uploads
from wangdi.web.deps import COOKIE, CurrentUser, Url, check_region, client_address, pack_for


class ErrorDetail(BaseModel):
    code: str = Field(description="machine-readable slug, e.g. out-of-scope, edit-conflict")
    message: str = Field(description="中文说明：哪里错了、怎样改")
    details: Any = None


class ErrorOut(BaseModel):
    ok: bool = False
    error: ErrorDetail


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class UserOut(BaseModel):
    username: str
    role: str
    role_zh: str
    scope_code: str
    scope_name: str
    display_name: str
    permissions: list[str]
    csrf_token: str | None = None


Value = str | int | float | bool | None


class RecordIn(BaseModel):
    version: int | None = Field(None, description="row version read with the record; null to add a new record")
    values: dict[str, Value] = Field(default_factory=dict)


class RunIn(BaseModel):
    pack: str = Field(max_length=64, description="an installed pack id (GET /api/v1/packs)")
    region: str
    as_of: date


class CommentIn(BaseModel):
    comment: str = Field("", max_length=2000)


ERRORS: dict[int | str, dict[str, Any]] = {s: {"model": ErrorOut} for s in (400, 401, 403, 404, 409, 422, 429, 500)}
router = APIRouter(prefix="/api/v1", responses=ERRORS)
Region = Annotated[str, Query(description="division code (2/4/6/9/12 digits)", max_length=12)]


@router.post("/session", response_model=UserOut, tags=["session"])
def login(body: LoginIn, request: Request, response: Response, url: Url) -> UserOut:
    """Sign in; sets the session cookie (HttpOnly, SameSite=Strict). Send csrf_token as X-CSRF-Token on writes."""
    client = client_address(request)
    user, token, csrf = auth.login(body.username, body.password, client, request.app.state.limiter, url)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=request.app.state.secure_cookies,
                        max_age=auth.SESSION_HOURS * 3600, path="/")
    return UserOut(**user.public(), csrf_token=csrf)


@router.delete("/session", tags=["session"])
def logout(request: Request, response: Response, user: CurrentUser, url: Url) -> dict[str, Any]:
    auth.logout(request.cookies.get(COOKIE, ""), url)
    response.delete_cookie(COOKIE, path="/")
    return {"ok": True, "username": user.username}


@router.get("/me", response_model=UserOut, tags=["session"])
def me(request: Request, user: CurrentUser) -> UserOut:
    return UserOut(**user.public(), csrf_token=request.state.csrf)


@router.get("/packs", tags=["policy"])
def packs_list(user: CurrentUser) -> list[dict[str, Any]]:
    from wangdi import api as lib

    return lib.packs_list()


@router.get("/regions/{code}", tags=["regions"])
def region(code: str, user: CurrentUser) -> dict[str, Any]:
    return service.region_info(user, code)


@router.get("/regions/{code}/overview", tags=["regions"])
def overview(code: str, user: CurrentUser, url: Url, pack: str | None = None) -> dict[str, Any]:
    """Headline figures, targets with milestones and projection, township × group heat map, rankings, gaps."""
    check_region(user, code)
    return queries.overview(pack_for(code, pack), code, url)


@router.get("/search", tags=["regions"])
def search(user: CurrentUser, url: Url, q: Annotated[str, Query(max_length=100)] = "", region: Region = "",
           limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    return service.search(user, q, region, url, limit)


@router.get("/institutions/{code}", tags=["institutions"])
def institution(code: str, user: CurrentUser, url: Url, pack: str | None = None) -> dict[str, Any]:
    return service.institution(user, code, pack, url)


@router.put("/institutions/{code}", tags=["institutions"])
def institution_save(code: str, body: RecordIn, user: CurrentUser, url: Url) -> dict[str, Any]:
    """Change an institution; `version` must be the one read (else 409, nothing overwritten)."""
    return edits.save_record("institution", {"code": code}, body.values, body.version, user, url)


@router.put("/institutions/{code}/equipment/{item}", tags=["institutions"])
def equipment_save(code: str, item: str, body: RecordIn, user: CurrentUser, url: Url) -> dict[str, Any]:
    return edits.save_record("equipment", {"institution_code": code, "item": item}, body.values, body.version, user, url)


@router.put("/staff/{staff_code}", tags=["institutions"])
def staff_save(staff_code: str, body: RecordIn, user: CurrentUser, url: Url) -> dict[str, Any]:
    return edits.save_record("staff", {"staff_code": staff_code}, body.values, body.version, user, url)


@router.get("/rules/{pack}/{rule_id}", tags=["policy"])
def rule(pack: str, rule_id: str, user: CurrentUser, url: Url, region: Region = "") -> dict[str, Any]:
    region = check_region(user, region) if region else user.scope_code
    return records.rule_page(pack_for(region, pack), rule_id, region, url)


@router.get("/runs", tags=["runs"])
def runs_list(user: CurrentUser, url: Url) -> list[dict[str, Any]]:
    return service.list_runs(user, url)


@router.post("/runs", tags=["runs"])
def run_start(body: RunIn, user: CurrentUser, url: Url) -> dict[str, Any]:
    return service.start_run(user, body.pack, body.region, body.as_of, url)


@router.get("/runs/compare", tags=["runs"])
def runs_compare(a: str, b: str, user: CurrentUser, url: Url, region: Region = "") -> dict[str, Any]:
    return service.compare(user, a, b, region, url)


@router.post("/imports", tags=["exchange"])
async def import_upload(user: CurrentUser, url: Url, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    """Validate an uploaded census (nothing is written); returns the report and, if valid, a token to confirm."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(uploads.stage, file.file, file.filename or "upload", user, url)


@router.post("/imports/{token}/confirm", tags=["exchange"])
def import_confirm(token: str, user: CurrentUser, url: Url) -> dict[str, Any]:
    return uploads.confirm(token, user, url)


@router.get("/approvals", tags=["approval"])
def approvals_list(user: CurrentUser, url: Url, region: Region = "",
                   period: Annotated[str | None, Query(max_length=8)] = None) -> list[dict[str, Any]]:
    region = check_region(user, region or user.scope_code or "") if (region or user.scope_code) else ""
    if not region:
        return []
    return approvals.list_statuses(region, period, user, url)


@router.post("/approvals/{township}/{period}/{action}", tags=["approval"])
def approval_action(township: str, period: str, action: str, body: CommentIn, user: CurrentUser,
                    url: Url) -> dict[str, Any]:
    """submit (township data entry) → approve / return (county approver) → reopen."""
    check_region(user, township)
    return approvals.transition(township, period[:8], action, user, body.comment, url)


@router.get("/tables/{table}", tags=["exchange"], response_class=Response,
            responses={200: {"content": {m: {} for m in downloads.FORMATS.values()}}})
def download(table: str, user: CurrentUser, url: Url, region: Region = "",
             format: Annotated[str, Query(pattern="^(xlsx|csv)$")] = "xlsx", pack: str | None = None) -> Response:
    """Any census table (import format) or `results` (latest run) under a region, as Excel or CSV."""
    region = check_region(user, region) if region else user.scope_code
    if table == "results":
        data, name = downloads.results_table(pack_for(region, pack), region, format, url)
    else:
        data, name = downloads.census_table(table, region, format, url)
    from urllib.parse import quote

    return Response(data, media_type=downloads.FORMATS[format],
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@router.get("/template", tags=["exchange"], response_class=Response,
            responses={200: {"content": {downloads.FORMATS["xlsx"]: {}}}})
def template(user: CurrentUser) -> Response:
    import tempfile
    from pathlib import Path

    from wangdi.exchange import write_template

    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "t.xlsx"
        write_template(p)
        data = p.read_bytes()
    return Response(data, media_type=downloads.FORMATS["xlsx"],
                    headers={"Content-Disposition": "attachment; filename*=UTF-8''census-template.xlsx"})


@router.get("/audit", tags=["admin"])
def audit(user: CurrentUser, url: Url, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    user.require("admin")
    from wangdi import api as lib

    return [{k: str(v) if v is not None else None for k, v in r.items()} for r in lib.audit_log(None, limit, url)]


@router.get("/users", tags=["admin"])
def users(user: CurrentUser, url: Url) -> list[dict[str, Any]]:
    user.require("admin")
    return [{k: str(v) if k == "created_at" else v for k, v in r.items()} for r in auth.list_users(url)]


__all__ = ["router"]
