"""Tracking: 未开始 → 进行中 → 已完成 → 已验收, with dates, money spent and evidence; overdue lists.

A move is checked step by step: each step needs its own facts (开工日期 to start; 完成日期, 已支出 and
佐证材料 to complete; 验收日期 and the county's role to accept), dates in order and not in the future.
Going back is only the county returning a completed task (已完成 → 进行中). Anything else is refused
with a message naming the step. Tracking needs a filed (备案) list.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import sqlalchemy as sa

from wangdi.errors import WangdiError
from wangdi.planning.tasks.records import (
    ORDER,
    TRACK_FIELDS,
    Actor,
    audit_rows,
    check_version,
    filed_row,
    read_tasks,
    status_key,
    task_row,
    update_row,
)
from wangdi.registry import store
from wangdi.registry.reference import TASK_STATUS

STEP_NEEDS = {"in_progress": ("started_on",), "completed": ("completed_on", "spent", "evidence"),
              "accepted": ("accepted_on",)}
FIELD_ZH = {"started_on": "开工日期", "completed_on": "完成日期", "accepted_on": "验收日期", "spent": "已支出（元）",
            "evidence": "佐证材料说明"}


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        if k not in TRACK_FIELDS:
            raise WangdiError("not-trackable", f"进度报送不能修改 {k}", f"{k} is not a tracking field")
        if v is None or (isinstance(v, str) and not v.strip()):
            continue
        if k.endswith("_on") and not isinstance(v, date):
            try:
                v = date.fromisoformat(str(v)[:10])
            except ValueError:
                raise WangdiError("bad-date", f"{FIELD_ZH[k]}应为 YYYY-MM-DD，收到 {v!r}", f"bad {k}") from None
        if k == "spent":
            try:
                v = float(v)
            except (TypeError, ValueError):
                raise WangdiError("bad-value", f"已支出应为数字（元），收到 {v!r}", "spent must be a number") from None
            if v < 0:
                raise WangdiError("bad-value", "已支出不能为负数", "spent must be >= 0")
        out[k] = v.strip() if isinstance(v, str) else v
    return out


def _steps(cur: str, target: str, actor: Actor) -> list[str]:
    i, j = ORDER.index(cur), ORDER.index(target)
    if j == i:
        return []
    if (cur, target) == ("completed", "in_progress"):
        actor.require("accept")  # the county returns a completed task
        return [target]
    if j < i:
        raise WangdiError("bad-transition", f"任务进度不能从“{TASK_STATUS[cur]}”退回“{TASK_STATUS[target]}”"
                          "（只有县级可把“已完成”退回“进行中”）", f"cannot move back from {cur} to {target}")
    return ORDER[i + 1:j + 1]


def _check_step(step: str, row: dict[str, Any], actor: Actor) -> None:
    actor.require("accept" if step == "accepted" else "track")
    missing = [FIELD_ZH[f] for f in STEP_NEEDS[step] if row.get(f) is None]
    if missing:
        raise WangdiError("step-needs-data", f"进入“{TASK_STATUS[step]}”须填写：{'、'.join(missing)}",
                          f"{step} needs {missing}")
    order = [("started_on", "completed_on"), ("completed_on", "accepted_on")]
    for a, b in order:
        if row.get(a) and row.get(b) and row[b] < row[a]:
            raise WangdiError("dates-out-of-order", f"{FIELD_ZH[b]}（{row[b]}）早于{FIELD_ZH[a]}（{row[a]}）",
                              f"{b} before {a}")
    for f in ("started_on", "completed_on", "accepted_on"):
        if row.get(f) and row[f] > date.today():
            raise WangdiError("future-date", f"{FIELD_ZH[f]}（{row[f]}）晚于今天", f"{f} is in the future")


def apply_tracking(conn: sa.Connection, task_id: str, status: str | None, values: dict[str, Any], actor: Actor,
                   version: int | None) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Check and write one task's move inside the caller's transaction; returns (old, new) or None (no change)."""
    cur = task_row(conn, task_id, actor)
    if not filed_row(conn, cur["township"], cur["year"], cur["pack"]):
        raise WangdiError("not-filed", f"任务 {task_id} 所在的任务清单尚未备案，不能报送进度", "task list not filed yet")
    check_version(cur, version)
    vals = _clean(values)
    target = status_key(status) if status else cur["status"]
    row = {**cur, **vals}
    steps = _steps(cur["status"], target, actor)
    if not steps:
        actor.require("accept" if cur["status"] == "accepted" else "track")
    for step in steps:
        if step != "in_progress" or cur["status"] == "not_started":
            _check_step(step, row, actor)
    if target == "in_progress" and cur["status"] == "completed":
        row["completed_on"] = None
    row["status"] = target
    fields = ("status", *TRACK_FIELDS)
    old = {k: cur[k] for k in fields if cur[k] != row[k]}
    if not old:
        return None
    new = {k: row[k] for k in old}
    update_row(conn, cur, new, actor)
    return old, new


def track(task_id: str, actor: Actor, status: str | None = None, values: dict[str, Any] | None = None,
          version: int | None = None, url: str | None = None) -> dict[str, Any]:
    """Report progress on one task (web form, CLI). Audited; refused clearly when the move is not allowed."""
    with store.init_db(url).begin() as conn:
        change = apply_tracking(conn, task_id, status, values or {}, actor, version)
        if change is not None:
            audit_rows(conn, actor, "track", "task", [(task_id, change[0], change[1])])
    return {"task_id": task_id, "changed": change is not None, **(change[1] if change else {})}


def overdue(region: str, as_of: date | None = None, year: int | None = None, url: str | None = None) -> pl.DataFrame:
    """Tasks past their deadline and not completed, with days overdue; group by township or responsible unit."""
    as_of = as_of or date.today()
    t = read_tasks(region, year, url=url)
    return t.filter((pl.col("deadline") < as_of) & pl.col("status").is_in(["not_started", "in_progress"])) \
        .with_columns(days_overdue=(pl.lit(as_of) - pl.col("deadline")).dt.total_days()) \
        .sort("township", "responsible", "deadline", "task_id")


def overdue_by(df: pl.DataFrame, by: str) -> pl.DataFrame:
    """Counts of overdue tasks per township (`by='township'`) or responsible unit (`by='responsible'`)."""
    return df.group_by(by).agg(pl.len().alias("n"), pl.col("budget").sum().alias("budget"),
                               pl.col("days_overdue").max().alias("max_days")).sort("n", by, descending=[True, False])
