"""Pages for the yearly cycle: the year's task list per township (filing, progress, overdue, verification),
one task's tracking form, the township workbook in and out, and "what changed since last year".

Every page calls the library (wangdi.planning.tasks, wangdi.registry.history) with the signed-in user as the
actor: the library checks role, scope, filing locks and versions, and audits each write.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from wangdi import api
from wangdi.errors import WangdiError
from wangdi.planning import tasks
from wangdi.registry import history
from wangdi.registry.reference import TASK_KIND, TASK_STATUS, TASK_VERIFICATION
from wangdi.web.auth import User
from wangdi.web.deps import CurrentUser, Url, check_region, pack_for
from wangdi.web.pages import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
MAX_UPLOAD = 5 * 1024 * 1024
LABELS = {"status": TASK_STATUS, "verification": TASK_VERIFICATION, "kind": TASK_KIND}


def actor(user: User) -> tasks.Actor:
    return tasks.Actor(user.display_name or user.username, user.role, user.scope_code)


def _rows(df: pl.DataFrame) -> list[dict[str, Any]]:
    return [{**r, **{f"{k}_zh": v.get(str(r[k]), str(r[k])) for k, v in LABELS.items()}} for r in df.to_dicts()]


def _year(url: str, year: int | None) -> int:
    if year:
        return year
    done = tasks.read_tasks("", None, url=url)
    return int(done["year"].max()) if done.height else date.today().year  # type: ignore[arg-type]


@router.get("/tasks")
def tasks_page(request: Request, user: CurrentUser, url: Url, region: str = "", year: int | None = None,
               ok: str = "") -> Response:
    region = check_region(user, region) if region else user.scope_code
    y = _year(url, year)
    df = tasks.read_tasks(region, y, url=url)
    names = api.township_names(region[:6]) if len(region) >= 6 else {}
    filed = {(f["township"], f["pack"]): f for f in tasks.filings(region, y, url)}
    towns = df.group_by("township", "pack").agg(
        pl.len().alias("n"), pl.col("budget").sum().alias("budget"), pl.col("spent").sum().alias("spent"),
        *[(pl.col("status") == s).sum().alias(s) for s in TASK_STATUS],
        (pl.col("verification") == "not_closed").sum().alias("flagged")).sort("township")
    late = tasks.overdue(region, date.today(), y, url)
    return render(request, "tasks.html", user=user, region=region, year=y, ok=ok, statuses=TASK_STATUS,
                  towns=[{**t, "name": names.get(t["township"], t["township"]),
                          "filing": filed.get((t["township"], t["pack"]))} for t in towns.to_dicts()],
                  tasks=_rows(df), overdue=_rows(late), can_file=user.role in tasks.records.PERMS["file"],
                  can_track=user.role in tasks.records.PERMS["track"], synthetic=bool(df["synthetic"].any()))


@router.get("/tasks/document")
def task_document(user: CurrentUser, url: Url, township: str, year: int, pack: str) -> Response:
    check_region(user, township)
    folder = Path(tempfile.mkdtemp(prefix="wangdi-tasks-"))
    paths = tasks.document.write_documents(township, year, pack, folder, url)
    return FileResponse(paths[0], filename=paths[0].name,
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@router.post("/tasks/file")
def task_file(user: CurrentUser, url: Url, township: Annotated[str, Form()], year: Annotated[int, Form()],
              pack: Annotated[str, Form()]) -> Response:
    check_region(user, township)
    tasks.file_list(township, year, pack, actor(user), url)
    return RedirectResponse(f"/tasks?region={township}&year={year}&ok=filed", status_code=303)


@router.post("/tasks/import")
async def task_import(user: CurrentUser, url: Url, file: Annotated[UploadFile, File()]) -> Response:
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise WangdiError("too-large", "文件超过 5 MB，请只上传本乡镇的任务清单", "upload too large")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "progress.xlsx"
        path.write_bytes(data)
        res = tasks.document.import_progress(path, actor(user), url)
    return RedirectResponse(f"/tasks?ok=imported-{res['changed']}", status_code=303)


@router.get("/tasks/{task_id}")
def task_page(request: Request, task_id: str, user: CurrentUser, url: Url, ok: str = "") -> Response:
    df = tasks.read_tasks(user.scope_code, None, url=url).filter(pl.col("task_id") == task_id)
    if df.is_empty():
        raise WangdiError("task-not-found", f"没有任务 {task_id}（或不在您的数据权限范围内）", "no such task in scope")
    audit = api.audit_log(task_id, 50, url)
    return render(request, "task.html", user=user, t=_rows(df)[0], ok=ok, statuses=TASK_STATUS, audit=audit,
                  can_amend=user.role in tasks.records.PERMS["amend"],
                  can_track=user.role in tasks.records.PERMS["track"] | tasks.records.PERMS["accept"])


@router.post("/tasks/{task_id}/track")
def task_track(task_id: str, user: CurrentUser, url: Url, version: Annotated[int, Form()],
               status: Annotated[str, Form()] = "", started_on: Annotated[str, Form()] = "",
               completed_on: Annotated[str, Form()] = "", accepted_on: Annotated[str, Form()] = "",
               spent: Annotated[str, Form()] = "", evidence: Annotated[str, Form()] = "") -> Response:
    values = {"started_on": started_on, "completed_on": completed_on, "accepted_on": accepted_on, "spent": spent,
              "evidence": evidence}
    tasks.track(task_id, actor(user), status or None, values, version, url)
    return RedirectResponse(f"/tasks/{task_id}?ok=tracked", status_code=303)


@router.post("/tasks/{task_id}/amend")
def task_amend(task_id: str, user: CurrentUser, url: Url, version: Annotated[int, Form()],
               reason: Annotated[str, Form()], field: Annotated[str, Form()], value: Annotated[str, Form()]) -> Response:
    tasks.amend(task_id, {field: value}, actor(user), reason, version, url)
    return RedirectResponse(f"/tasks/{task_id}?ok=amended", status_code=303)


@router.get("/changes")
def changes_page(request: Request, user: CurrentUser, url: Url, region: str = "", year: int | None = None) -> Response:
    region = check_region(user, region) if region else user.scope_code
    pack = pack_for(region)
    since, until, df = api.changes_since_last_year(region, year, pack, url)
    labels = history.rule_labels(pack)
    names = api.township_names(region[:6]) if len(region) >= 6 else {}
    summary = [{**r, "name": names.get(r["township"] or "", r["township"] or ""),
                "table_zh": history.TABLE_ZH.get(r["table_name"], ""), "change_zh": history.CHANGE_ZH.get(r["change"], "")}
               for r in history.summary(df).to_dicts()]
    details = [{**r, "name": names.get(r["township"] or "", ""), "text": history.describe_change(r, labels)}
               for r in df.head(1000).to_dicts()]
    return render(request, "changes.html", user=user, region=region, since=since, until=until, summary=summary,
                  details=details, total=df.height, synthetic=api.has_synthetic(region, url))
