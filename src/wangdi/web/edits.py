"""Data entry from forms and the API: the same validation as import, scope and approval locks, and an
optimistic version check (the current row id) so a concurrent edit is reported, never overwritten."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import sqlalchemy as sa

from wangdi.errors import WangdiError
from wangdi.registry import locks, store
from wangdi.registry.report import ReportError
from wangdi.registry.schema import TABLE_MAP
from wangdi.registry.tables import CENSUS, audit
from wangdi.registry.validate import Incoming, records_as_incoming, validate
from wangdi.web import approvals
from wangdi.web.auth import User

EDITABLE = ("institution", "staff", "equipment", "service")


def _not_found(table: str, key: dict[str, str]) -> WangdiError:
    return WangdiError("record-not-found", "没有该记录（或不在您的数据权限范围内）", "no such record in your scope",
                       {"table": table, "key": key})


def _place(conn: sa.Connection, table: str, row: dict[str, Any]) -> tuple[str | None, str | None]:
    """The record's place now (stored row) and after this write (registry.locks)."""
    col = locks.OWNER[table][0]
    cols = list(dict.fromkeys([*TABLE_MAP[table].key, col]))
    df = pl.DataFrame({c: [None if row.get(c) is None else str(row[c])] for c in cols},
                      schema={c: pl.String for c in cols})
    p = locks.places(conn, table, df, frames={table: df} if table in ("institution", "staff") else {})
    return p[locks.CUR][0], p[locks.NEW][0]


def save_record(table: str, key: dict[str, str], values: dict[str, Any], version: int | None, user: User,
                url: str | None = None) -> dict[str, Any]:
    """Add (version None) or change one record. Raises 403/409/422-style WangdiErrors; audited on success.

    Scope is checked on the record's stored place and on its new one; a record outside the scope answers
    exactly as a missing one (same error, no version, no editor's name)."""
    if table not in EDITABLE:
        raise WangdiError("not-editable", f"表 {table} 不能在网页中编辑，请用导入", f"{table} is not editable here")
    user.require("edit")
    spec, t = TABLE_MAP[table], CENSUS[table]
    missing = [k for k in spec.key if spec.field_map[k].required and not str(key.get(k) or "").strip()]
    if missing:
        raise WangdiError("missing-key", f"缺少记录键：{'、'.join(missing)}", f"missing key {missing}")
    today = date.today()
    periods = {locks.period_of(today), approvals.default_period(url)}  # today's, and that of the data shown
    with store.write_transaction(store.init_db(url)) as conn:
        cond = sa.and_(*[t.c[k] == key.get(k, "") for k in spec.key], t.c.valid_to.is_(None))
        cur = conn.execute(sa.select(t.c.row_id, *[t.c[c] for c in spec.columns]).where(cond)).first()
        row = {c: getattr(cur, c) for c in spec.columns} if cur is not None else {}
        row.update(key)
        row.update({k: v for k, v in values.items() if k in spec.field_map and k not in spec.key})
        row["synthetic"] = False if cur is None else row.get("synthetic")
        now, new = _place(conn, table, row)
        # scope first, and the same answer for "not yours" as for "not there": nothing about it leaks
        if (cur is not None and (now is None or not user.in_scope(now))) or new is None or not user.in_scope(new):
            raise _not_found(table, key)
        if version is not None and cur is None:
            raise _not_found(table, key)
        if version is not None and cur is not None and cur.row_id != version:
            raise _conflict(conn, table, key, cur)
        if version is None and cur is not None:
            raise WangdiError("already-exists", "该记录已存在，请刷新页面后在原记录上修改", "record already exists",
                              {"version": cur.row_id})
        locked = locks.locked_townships(conn, periods)
        if any(p and p[:9] in locked for p in (now, new)):
            raise WangdiError("locked", "该乡镇本期数据已审核锁定；如需修改，请县级审核人员“重新开放”",
                              "approved data is locked until reopened")
        frames, report = validate([records_as_incoming(table, [row], spec.zh)], conn)
        if not report.valid:
            raise WangdiError("invalid-record", "数据未通过校验：" + "；".join(
                f"{e.field} {e.zh}" for e in report.errors[:5]), "validation failed", report.as_dict())
        if cur is not None:  # compare-and-swap: takes the row lock; nobody changed it since we read it
            n = conn.execute(t.update().where(t.c.row_id == cur.row_id, t.c.valid_to.is_(None))
                             .values(valid_to=None)).rowcount
            if n != 1:
                raise _conflict(conn, table, key, None)
        summary = store.write_tables(conn, frames, today, user.username, source="web")
        new_version = conn.execute(sa.select(t.c.row_id).where(cond)).scalar()
    return {"ok": True, "table": table, "key": key, "version": new_version, "batch": summary.batch,
            "counts": {k: vars(v) for k, v in summary.counts.items()}}


def _conflict(conn: sa.Connection, table: str, key: dict[str, str], cur: Any) -> WangdiError:
    spec = TABLE_MAP[table]
    who = conn.execute(sa.select(audit.c.actor, audit.c.at).where(
        audit.c.table_name == table, audit.c.entity_key == "/".join(str(key.get(k, "")) for k in spec.key))
        .order_by(audit.c.audit_id.desc()).limit(1)).first()
    by = f"（{who.actor} 于 {who.at}）" if who else ""
    return WangdiError("edit-conflict", f"该记录已被他人修改{by}，您的修改未保存。请刷新页面查看最新数据后重新修改。",
                       "the record changed since you opened it; nothing was overwritten",
                       {"current_version": cur.row_id if cur is not None else None})


def import_guard(user: User) -> Any:
    """Kept for callers that pass a guard: the scope and lock checks now run in every import (registry.locks)."""

    def guard(conn: sa.Connection, frames: dict[str, pl.DataFrame], incoming: list[Incoming]) -> list[ReportError]:
        return []

    return guard
