"""The task tables: who may do what, reading, audited writes, filing (备案) locks, amendments and tracking.

Every write goes through this module: it checks the actor's role and scope (a township user writes only
their township's tasks; "not yours" reads as "not there"), the filing lock, the optimistic version, and
writes one audit row per change (old → new) in the same transaction.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl
import sqlalchemy as sa

from wangdi.errors import WangdiError
from wangdi.registry import store
from wangdi.registry.reference import TASK_STATUS
from wangdi.registry.schema import TASK
from wangdi.registry.tables import CYCLE, audit

task_t, filing_t = CYCLE["task"], CYCLE["task_filing"]
ROLE_ZH = {"administrator": "系统管理员", "analyst": "分析人员", "data_entry": "数据录入", "approver": "审核人员",
           "viewer": "只读用户"}
PERMS: dict[str, set[str]] = {
    "adopt": {"administrator", "analyst"},  # turn a plan into draft tasks; edit drafts
    "file": {"administrator", "approver"},  # 备案 a township's list with the county bureau
    "amend": {"administrator", "approver"},  # change a filed task (audited, with a reason)
    "track": {"administrator", "data_entry"},  # report start, completion, money spent, evidence
    "accept": {"administrator", "approver"},  # 验收, or return a completed task
    "verify": {"administrator", "analyst", "approver"},  # check reported tasks against the next census
    "rates": {"administrator"},  # set the bureau's reward amounts
}
ORDER = ["not_started", "in_progress", "completed", "accepted"]
PLAN_FIELDS = ("description", "quantity", "unit", "budget", "responsible", "deadline")
TRACK_FIELDS = ("started_on", "completed_on", "accepted_on", "spent", "evidence")


@dataclass(frozen=True)
class Actor:
    """Who writes: a name for the audit log, a role (the web app's roles) and a division scope ('' = all)."""
    name: str
    role: str = "administrator"
    scope: str = ""

    def can(self, perm: str) -> bool:
        return self.role in PERMS[perm]

    def require(self, perm: str) -> None:
        if not self.can(perm):
            raise WangdiError("forbidden", f"您的角色（{ROLE_ZH.get(self.role, self.role)}）没有此权限",
                              f"role {self.role} lacks {perm}")

    def in_scope(self, code: str) -> bool:
        return code.startswith(self.scope)


def _schema() -> dict[str, pl.DataType]:
    kinds: dict[str, pl.DataType] = {"int": pl.Int64(), "float": pl.Float64(), "bool": pl.Boolean(),
                                     "date": pl.Date(), "datetime": pl.Datetime("us")}
    return {f.name: kinds.get(f.kind, pl.String()) for f in TASK.fields}


def read_tasks(region: str = "", year: int | None = None, pack: str | None = None, url: str | None = None,
               conn: sa.Connection | None = None) -> pl.DataFrame:
    """Tasks under `region` (a division prefix), optionally of one year and pack, ordered by id."""
    q = sa.select(*[task_t.c[c] for c in TASK.columns]).where(task_t.c.township.startswith(region))
    if year is not None:
        q = q.where(task_t.c.year == year)
    if pack:
        q = q.where(task_t.c.pack == pack)
    q = q.order_by(task_t.c.task_id)
    if conn is None:
        with store.init_db(url).connect() as c:
            rows = c.execute(q).all()
    else:
        rows = conn.execute(q).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=_schema(), orient="row")


def filings(region: str = "", year: int | None = None, url: str | None = None) -> list[dict[str, Any]]:
    q = sa.select(filing_t).where(filing_t.c.township.startswith(region)).order_by(filing_t.c.township)
    if year is not None:
        q = q.where(filing_t.c.year == year)
    with store.init_db(url).connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def _jsonable(d: dict[str, Any]) -> str:
    return json.dumps({k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in d.items()},
                      ensure_ascii=False, sort_keys=True)


def audit_rows(conn: sa.Connection, actor: Actor, action: str, table: str,
               changes: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]]) -> str:
    """One audit row per (entity key, old, new), all in one batch; returns the batch id."""
    batch = uuid.uuid4().hex[:12]
    now = datetime.now().replace(microsecond=0)
    rows = [{"at": now, "actor": actor.name, "action": action, "table_name": table, "entity_key": key,
             "old": None if old is None else _jsonable(old), "new": None if new is None else _jsonable(new),
             "batch": batch} for key, old, new in changes]
    for i in range(0, len(rows), 20_000):
        conn.execute(audit.insert(), rows[i:i + 20_000])
    return batch


def filed_row(conn: sa.Connection, township: str, year: int, pack: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(filing_t).where(filing_t.c.township == township, filing_t.c.year == year,
                                                 filing_t.c.pack == pack)).first()
    return dict(row._mapping) if row else None


def task_row(conn: sa.Connection, task_id: str, actor: Actor) -> dict[str, Any]:
    row = conn.execute(sa.select(task_t).where(task_t.c.task_id == task_id)).first()
    if row is None or not actor.in_scope(str(row.township)):
        raise WangdiError("task-not-found", f"没有任务 {task_id}（或不在您的数据权限范围内）", f"no task {task_id} in scope")
    return dict(row._mapping)


def file_list(township: str, year: int, pack: str, actor: Actor, url: str | None = None) -> dict[str, Any]:
    """备案: the county bureau files a township's task list; from then on its plan fields are locked."""
    actor.require("file")
    if not actor.in_scope(township):
        raise WangdiError("task-not-found", f"没有 {township} 的任务清单（或不在您的数据权限范围内）", "not in scope")
    with store.init_db(url).begin() as conn:
        tasks = read_tasks(township, year, pack, conn=conn).filter(pl.col("township") == township)
        if tasks.is_empty():
            raise WangdiError("no-tasks", f"{township} 没有 {year} 年（规则包 {pack}）的任务，无法备案", "no tasks to file")
        if (done := filed_row(conn, township, year, pack)) is not None:
            raise WangdiError("already-filed", f"该任务清单已于 {done['filed_at']} 由 {done['filed_by']} 备案",
                              "already filed")
        row = {"township": township, "year": year, "pack": pack, "tasks": tasks.height,
               "budget": float(tasks["budget"].fill_null(0).sum()), "filed_by": actor.name,
               "filed_at": datetime.now().replace(microsecond=0), "amendments": 0}
        conn.execute(filing_t.insert().values(**row))
        audit_rows(conn, actor, "file", "task_filing", [(f"{township}/{year}/{pack}", None, row)])
    return row


def _check_plan_values(values: dict[str, Any]) -> dict[str, Any]:
    bad = [k for k in values if k not in PLAN_FIELDS]
    if bad:
        raise WangdiError("not-amendable", f"这些字段不能在此修改：{'、'.join(bad)}（可改：{'、'.join(PLAN_FIELDS)}）",
                          f"not amendable: {bad}")
    out = dict(values)
    for k in ("quantity", "budget"):
        if k in out:
            try:
                out[k] = float(out[k])
            except (TypeError, ValueError):
                raise WangdiError("bad-value", f"{k} 应为数字，收到 {out[k]!r}", f"{k} must be a number") from None
            if out[k] < 0:
                raise WangdiError("bad-value", f"{k} 不能为负数", f"{k} must be >= 0")
    if "deadline" in out and not isinstance(out["deadline"], date):
        try:
            out["deadline"] = date.fromisoformat(str(out["deadline"]))
        except ValueError:
            raise WangdiError("bad-date", f"完成期限应为 YYYY-MM-DD，收到 {out['deadline']!r}", "bad deadline") from None
    for k in ("description", "responsible"):
        if k in out and not str(out[k] or "").strip():
            raise WangdiError("bad-value", f"{k} 不能为空", f"{k} must not be blank")
    return out


def amend(task_id: str, values: dict[str, Any], actor: Actor, reason: str = "", version: int | None = None,
          url: str | None = None) -> dict[str, Any]:
    """Change what a task is (what, quantity, budget, responsible unit, deadline). A draft: by the planner.
    Filed: by the county bureau only, with a reason; audited as an amendment and counted on the filing."""
    values = _check_plan_values(values)
    with store.init_db(url).begin() as conn:
        cur = task_row(conn, task_id, actor)
        filed = filed_row(conn, cur["township"], cur["year"], cur["pack"])
        if filed:
            actor.require("amend")
            if not reason.strip():
                raise WangdiError("reason-required", "任务清单已备案：修改须说明理由（--reason）", "filed: give a reason")
        else:
            actor.require("adopt")
        check_version(cur, version)
        old = {k: cur[k] for k in values if cur[k] != values[k]}
        if not old:
            return cur
        new = {k: values[k] for k in old}
        update_row(conn, cur, new, actor)
        if filed:
            conn.execute(filing_t.update().where(filing_t.c.township == cur["township"], filing_t.c.year == cur["year"],
                                                 filing_t.c.pack == cur["pack"])
                         .values(amendments=filing_t.c.amendments + 1))
        audit_rows(conn, actor, "amend" if filed else "change", "task",
                   [(task_id, old, {**new, **({"reason": reason} if reason else {})})])
    return {**cur, **new}


def check_version(cur: dict[str, Any], version: int | None) -> None:
    if version is not None and int(version) != int(cur["version"]):
        raise WangdiError("version-conflict", f"任务 {cur['task_id']} 已被 {cur['updated_by']} 于 {cur['updated_at']} "
                          "修改，请刷新后重试", "the task changed since you read it",
                          {"current_version": cur["version"]})


def update_row(conn: sa.Connection, cur: dict[str, Any], new: dict[str, Any], actor: Actor) -> None:
    conn.execute(task_t.update().where(task_t.c.task_id == cur["task_id"], task_t.c.version == cur["version"])
                 .values(**new, version=cur["version"] + 1, updated_by=actor.name,
                         updated_at=datetime.now().replace(microsecond=0)))


def status_key(value: str) -> str:
    """A status given as key or Chinese label → key; anything else is a clear error."""
    lookup = {**{k: k for k in TASK_STATUS}, **{v: k for k, v in TASK_STATUS.items()}}
    if value not in lookup:
        raise WangdiError("bad-status", f"进度应为 {'、'.join(TASK_STATUS.values())} 之一，收到 {value!r}", "bad status")
    return lookup[value]
