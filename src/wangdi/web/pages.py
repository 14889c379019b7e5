"""Server-rendered Chinese pages. Each page calls the same functions as its API twin (web/api.py)."""

from __future__ import annotations

import json
import secrets
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from wangdi.errors import WangdiError
from wangdi.policy import runs as runs_mod
from wangdi.policy.pack import available
from wangdi.registry.schema import TABLE_MAP, TABLES
from wangdi.web import approvals, auth, edits, present, queries, records, service, uploads
from wangdi.web.deps import COOKIE, CurrentUser, Url, check_region, client_address, default_region, optional_user, pack_for

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.filters["tojson_safe"] = lambda v: json.dumps(v, ensure_ascii=False, default=str).replace("<", "\\u003c")
templates.env.globals["TABLES"] = TABLES
present.install(templates.env)
router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
PRE_CSRF = "wangdi_login_csrf"
INST_FIELDS = [f for f in TABLE_MAP["institution"].fields if f.name not in ("code", "synthetic")]
STAFF_FIELDS = [f for f in TABLE_MAP["staff"].fields if f.name in ("title", "qualification", "practice_category",
                                                                   "registered_gp", "education", "end_date")]


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    user = ctx.pop("user", None) or optional_user(request)
    return templates.TemplateResponse(request, name, {"user": user, "csrf": getattr(request.state, "csrf", ""),
                                                      "packs": available(), **ctx}, status_code=status)


def render_error(request: Request, status: int, code: str, message: str, details: Any) -> HTMLResponse:
    return render(request, "error.html", status, code=code, message=message, details=details)


def _back(path: str, **params: str) -> RedirectResponse:
    q = "&".join(f"{k}={quote(v)}" for k, v in params.items())
    return RedirectResponse(f"{path}?{q}" if q else path, status_code=303)


def _local(path: str) -> str:
    """Only a path on this site may follow a login (no open redirect via //host or /\\host)."""
    return path if path.startswith("/") and not path.startswith(("//", "/\\")) and "\\" not in path else "/"


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    token = secrets.token_urlsafe(16)
    resp = render(request, "login.html", next=_local(next), pre_csrf=token, user=None)
    resp.set_cookie(PRE_CSRF, token, httponly=True, samesite="strict", max_age=3600)
    return resp


@router.post("/login")
def login_submit(request: Request, url: Url, username: Annotated[str, Form()], password: Annotated[str, Form()],
                 csrf_token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/") -> Response:
    if not csrf_token or csrf_token != request.cookies.get(PRE_CSRF):
        raise WangdiError("csrf-failed", "登录表单已过期，请刷新页面后重试", "login form expired")
    try:
        _user, token, _csrf = auth.login(username, password, client_address(request),
                                        request.app.state.limiter, url)
    except WangdiError as e:
        # the form is shown again with the reason (HTTP 200: a form page, not a failed resource; the API answers 401)
        return render(request, "login.html", error=e.zh, next=next, pre_csrf=csrf_token, user=None)
    resp = RedirectResponse(_local(next), status_code=303)
    resp.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=request.app.state.secure_cookies,
                    max_age=auth.SESSION_HOURS * 3600, path="/")
    resp.delete_cookie(PRE_CSRF)
    return resp


@router.post("/logout")
def logout(request: Request, user: CurrentUser, url: Url) -> Response:
    auth.logout(request.cookies.get(COOKIE, ""), url)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    return resp


@router.get("/")
def home(user: CurrentUser, url: Url) -> Response:
    region = user.scope_code
    if not region:
        runs = service.list_runs(user, url)
        region = str(runs[0]["region_code"]) if runs else default_region(user)
    return RedirectResponse(f"/regions/{region}", status_code=303)


@router.get("/regions/{code}")
def region_page(request: Request, code: str, user: CurrentUser, url: Url, pack: str | None = None,
                page: int = 1, run: str = "") -> Response:
    info = service.region_info(user, code)
    data = queries.overview(pack_for(code, pack), code, url, run[:40] or None)
    found = service.search(user, "", code, url, 500)["institutions"] if len(code) >= 9 else []
    insts, page, pages = present.paged(found, page)
    return render(request, "region.html", user=user, info=info, data=data, insts=insts, n_insts=len(found),
                  page=page, pages=pages, codes=_code_lists())


@router.get("/institutions/{code}")
def institution_page(request: Request, code: str, user: CurrentUser, url: Url, pack: str | None = None,
                     ok: str = "") -> Response:
    return _institution(request, user, code, pack, url, ok=ok)


def _institution(request: Request, user: auth.User, code: str, pack: str | None, url: str, status: int = 200,
                 **ctx: Any) -> Response:
    data = service.institution(user, code, pack, url)
    return render(request, "institution.html", status, user=user, d=data, inst_fields=INST_FIELDS,
                  staff_fields=STAFF_FIELDS, codes=_code_lists(), **ctx)


def _code_lists() -> dict[str, dict[str, str]]:
    from wangdi.registry.reference import CODE_LISTS

    return CODE_LISTS


async def _form_values(request: Request) -> tuple[dict[str, Any], int | None]:
    form = await request.form()
    values = {k: (str(v) if str(v) != "" else None) for k, v in form.items() if k not in ("csrf_token", "version")}
    version = str(form.get("version") or "")
    return values, int(version) if version.isdigit() else None


async def _save(request: Request, user: auth.User, url: str, table: str, key: dict[str, str], inst: str) -> Response:
    """Save one record from a form; a conflict, invalid value or lock re-shows the institution page with why."""
    values, version = await _form_values(request)
    full_key = {k: (values.pop(k, None) or v) for k, v in key.items()}
    try:
        edits.save_record(table, full_key, values, version, user, url)
    except WangdiError as e:
        if e.code in ("edit-conflict", "invalid-record", "already-exists", "locked"):
            return _institution(request, user, inst, None, url, error=e.zh, error_details=e.details)
        raise
    return _back(f"/institutions/{inst}", ok=table)


@router.post("/institutions/{code}")
async def institution_save(request: Request, code: str, user: CurrentUser, url: Url) -> Response:
    return await _save(request, user, url, "institution", {"code": code}, code)


@router.post("/institutions/{code}/equipment")
async def equipment_save(request: Request, code: str, user: CurrentUser, url: Url) -> Response:
    return await _save(request, user, url, "equipment", {"institution_code": code, "item": ""}, code)


@router.post("/institutions/{code}/staff/{staff_code}")
async def staff_save(request: Request, code: str, staff_code: str, user: CurrentUser, url: Url) -> Response:
    return await _save(request, user, url, "staff", {"staff_code": staff_code}, code)


async def _add(request: Request, user: auth.User, url: str, table: str, key: tuple[str, ...], inst: str,
               fixed: dict[str, str]) -> Response:
    """Add one record from a form (same validation, scope, locks and audit as every write)."""
    values, _version = await _form_values(request)
    values.update(fixed)
    full_key = {k: str(values.pop(k, None) or fixed.get(k) or "") for k in key}
    try:
        edits.save_record(table, full_key, values, None, user, url)
    except WangdiError as e:
        if inst and e.code in ("edit-conflict", "invalid-record", "already-exists", "locked", "missing-key"):
            return _institution(request, user, inst, None, url, error=e.zh, error_details=e.details)
        raise
    if table == "institution":
        return _back(f"/institutions/{full_key['code']}", ok=table)
    return _back(f"/institutions/{inst}", ok=table)


@router.post("/institutions/{code}/staff")
async def staff_add(request: Request, code: str, user: CurrentUser, url: Url) -> Response:
    return await _add(request, user, url, "staff", ("staff_code",), code, {"institution_code": code})


@router.post("/institutions/{code}/services")
async def service_add(request: Request, code: str, user: CurrentUser, url: Url) -> Response:
    return await _add(request, user, url, "service", ("institution_code", "service", "specialty"), code,
                      {"institution_code": code})


@router.post("/regions/{code}/institutions")
async def institution_add(request: Request, code: str, user: CurrentUser, url: Url) -> Response:
    check_region(user, code)
    return await _add(request, user, url, "institution", ("code",), "", {})


@router.get("/rules/{pack}/{rule_id}")
def rule_page(request: Request, pack: str, rule_id: str, user: CurrentUser, url: Url, region: str = "") -> Response:
    region = check_region(user, region) if region else user.scope_code
    return render(request, "rule.html", user=user, d=records.rule_page(pack_for(region, pack), rule_id, region, url))


@router.get("/runs")
def runs_page(request: Request, user: CurrentUser, url: Url, ok: str = "") -> Response:
    runs = service.list_runs(user, url)
    home = user.scope_code or (str(runs[0]["region_code"]) if runs else "")  # unscoped: the region "/" opens
    return render(request, "runs.html", user=user, runs=runs, ok=ok,
                  today=date.today().isoformat(), default_region=user.scope_code,
                  default_pack=pack_for(home))  # the pack whose jurisdiction covers the user's region


@router.post("/runs")
def run_start(user: CurrentUser, url: Url, pack: Annotated[str, Form()], region: Annotated[str, Form()],
              as_of: Annotated[date, Form()]) -> Response:
    res = service.start_run(user, pack, region.strip(), as_of, url)
    return _back("/runs", ok=res["run_id"])


@router.get("/runs/compare")
def runs_compare(request: Request, a: str, b: str, user: CurrentUser, url: Url, region: str = "",
                 page: int = 1) -> Response:
    d = service.compare(user, a, b, region, url)
    changed = runs_mod.diff_results(queries._results(url, a, d["region"]), queries._results(url, b, d["region"]))
    return render(request, "compare.html", user=user, d=d, v=present.compare_view(d, changed, url, page))


@router.get("/import")
def import_page(request: Request, user: CurrentUser) -> Response:
    return render(request, "import.html", user=user, result=None)


@router.post("/import")
async def import_upload(request: Request, user: CurrentUser, url: Url, file: Annotated[UploadFile, File()]) -> Response:
    result = await run_in_threadpool(uploads.stage, file.file, file.filename or "upload", user, url)
    return render(request, "import.html", user=user, result=result)  # the report is the page (API: valid=false)


@router.post("/import/confirm")
def import_confirm(request: Request, user: CurrentUser, url: Url, token: Annotated[str, Form()]) -> Response:
    result = uploads.confirm(token, user, url)
    return render(request, "import.html", user=user, result=result)


@router.get("/approvals")
def approvals_page(request: Request, user: CurrentUser, url: Url, region: str = "", period: str | None = None,
                   ok: str = "") -> Response:
    region = check_region(user, region) if region else user.scope_code
    rows = approvals.list_statuses(region, period, user, url) if region else []
    return render(request, "approvals.html", user=user, rows=rows, region=region, ok=ok, action_zh=approvals.ACTION_ZH,
                  period=period or approvals.default_period(url))


@router.post("/approvals/{township}/{period}/{action}")
def approval_action(township: str, period: str, action: str, user: CurrentUser, url: Url,
                    comment: Annotated[str, Form()] = "", back: Annotated[str, Form()] = "") -> Response:
    check_region(user, township)
    approvals.transition(township, period[:8], action, user, comment, url)
    return _back("/approvals", region=back or user.scope_code, period=period, ok=f"{township}:{action}")


@router.get("/downloads")
def downloads_page(request: Request, user: CurrentUser, region: str = "") -> Response:
    region = check_region(user, region) if region else user.scope_code
    return render(request, "downloads.html", user=user, region=region, today=date.today().isoformat())


@router.get("/help")
def help_page(request: Request, user: CurrentUser) -> Response:
    return render(request, "help.html", user=user)


@router.get("/search")
def search_page(request: Request, user: CurrentUser, url: Url, q: str = "") -> Response:
    return render(request, "search.html", user=user, q=q, d=service.search(user, q[:100], "", url, 200))


__all__ = ["render_error", "router"]
