"""Data entry from forms and the API: the same validation as import, scope and approval locks, and an
optimistic version check (the current row id) so a concurrent edit is reported, never overwritten."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import sqlalchemy as sa

from wangdi.errors import WangdiError
from wangdi.indicators.service import import_errors as indicator_import_errors
from wangdi.registry import store
from wangdi.registry.report import ReportError
from wangdi.registry.schema import TABLE_MAP
from wangdi.registry.tables import CENSUS, audit
from wangdi.registry.validate import ROW, Incoming, records_as_incoming, validate
from wangdi.web.approvals import locked_townships
from wangdi.web.auth import User

EDITABLE = ("institution", "staff", "equipment", "service")


def _institution_division(conn: sa.Connection, code: str) -> str | None:
    t = CENSUS["institution"]
    return conn.execute(sa.select(t.c.division_code).where(t.c.code == code, t.c.valid_to.is_(None))).scalar()


def save_record(table: str, key: dict[str, str], values: dict[str, Any], version: int | None, user: User,
                url: str | None = None) -> dict[str, Any]:
    """Add (version None) or change one record. Raises 403/409/422-style WangdiErrors; audited on success."""
    if table not in EDITABLE:
        raise WangdiError("not-editable", f"表 {table} 不能在网页中编辑，请用导入", f"{table} is not editable here")
    user.require("edit")
    spec, t = TABLE_MAP[table], CENSUS[table]
    missing = [k for k in spec.key if spec.field_map[k].required and not str(key.get(k) or "").strip()]
    if missing:
        raise WangdiError("missing-key", f"缺少记录键：{'、'.join(missing)}", f"missing key {missing}")
    eng = store.init_db(url)
    with eng.begin() as conn:
        cond = sa.and_(*[t.c[k] == key.get(k, "") for k in spec.key], t.c.valid_to.is_(None))
        cur = conn.execute(sa.select(t.c.row_id, *[t.c[c] for c in spec.columns]).where(cond)).first()
        row = {c: getattr(cur, c) for c in spec.columns} if cur is not None else {}
        row.update(key)
        row.update({k: v for k, v in values.items() if k in spec.field_map and k not in spec.key})
        row["synthetic"] = False if cur is None else row.get("synthetic")
        inst_code = str(row.get("code") if table == "institution" else row.get("institution_code") or "")
        where_now = _institution_division(conn, inst_code)
        places = [where_now] if where_now else []
        if table == "institution":
            places.append(str(row.get("division_code") or ""))
        # scope first, and the same answer for "not yours" as for "not there": nothing about it leaks
        if not places or (where_now is None and (table != "institution" or version is not None)) \
                or any(not p or not user.in_scope(p) for p in places):
            raise WangdiError("record-not-found", "没有该记录（或不在您的数据权限范围内）", "no such record in your scope",
                              {"table": table, "key": key})
        if version is not None and (cur is None or cur.row_id != version):
            raise _conflict(conn, table, key, cur)
        if version is None and cur is not None:
            raise WangdiError("already-exists", "该记录已存在，请刷新页面后在原记录上修改", "record already exists",
                              {"version": cur.row_id})
        locked = locked_townships(conn)
        if any(p[:9] in locked for p in places):
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
        summary = store.write_tables(conn, frames, date.today(), user.username, source="web")
        new = conn.execute(sa.select(t.c.row_id).where(cond)).scalar()
    return {"ok": True, "table": table, "key": key, "version": new, "batch": summary.batch,
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
    """A check run inside an import's transaction: every row in the user's scope, no locked township."""

    def guard(conn: sa.Connection, frames: dict[str, pl.DataFrame], incoming: list[Incoming]) -> list[ReportError]:
        locked = locked_townships(conn)
        inst = CENSUS["institution"]
        known = dict(conn.execute(sa.select(inst.c.code, inst.c.division_code).where(inst.c.valid_to.is_(None))).all())
        if "institution" in frames:
            known.update(dict(frames["institution"].select("code", "division_code").iter_rows()))
        lookup = pl.DataFrame({"_k": list(known), "_div": list(known.values())}, schema={"_k": pl.String, "_div": pl.String})
        errors: list[ReportError] = []
        for inc in incoming:
            df = frames[inc.table.name].with_columns(inc.frame[ROW])
            col = next((c for c in ("division_code", "institution_code", "to_code") if c in df.columns), None)
            if col is None:
                continue
            if col != "division_code":
                df = df.join(lookup, left_on=col, right_on="_k", how="left").with_columns(pl.col("_div").alias("_where"))
            else:
                df = df.with_columns(pl.col(col).alias("_where"))
            bad = df.filter(~pl.col("_where").fill_null("").str.starts_with(user.scope_code))
            errors += [ReportError("out-of-scope", "该行不在您的数据权限范围内（区划 " + user.scope_code + "）",
                                   "row outside your scope", inc.table.name, inc.sheet, r, inc.letters.get(col, ""), col, v)
                       for r, v in zip(bad[ROW].to_list(), bad[col].to_list(), strict=True)]
            lk = df.filter(pl.col("_where").fill_null("").str.slice(0, 9).is_in(list(locked)))
            errors += [ReportError("locked", "该乡镇本期数据已审核锁定，不能导入修改", "township approved and locked",
                                   inc.table.name, inc.sheet, r, inc.letters.get(col, ""), col, v)
                       for r, v in zip(lk[ROW].to_list(), lk[col].to_list(), strict=True)]
        errors += [ReportError(slug, zh, en, inc.table.name, inc.sheet, r, inc.letters.get(f, ""), f, v)
                   for slug, zh, en, inc, r, f, v in indicator_import_errors(conn, user, incoming, frames)]
        return errors

    return guard
