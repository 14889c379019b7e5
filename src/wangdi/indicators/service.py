"""Reporting indicator values: by a reporter of one agency in its scope, validated, audited, approved, locked.

The web form, the API and the CLI call these functions; the census import reaches the same checks through
`import_errors` (scope of a reporter's agency, approval locks). Approval follows the census (submit →
approve / return → reopen) per agency, division and period; approved values are locked.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Protocol

import polars as pl
import sqlalchemy as sa

from wangdi import divisions
from wangdi.errors import WangdiError
from wangdi.indicators import LEVELS, Indicator, catalog, get, pending_zh, period_ok, period_zh
from wangdi.registry import store
from wangdi.registry.tables import CENSUS, audit, indicator_approval, reporter_agency
from wangdi.registry.validate import ROW, Incoming, records_as_incoming, validate

STATUS_ZH = {"open": "未上报", "submitted": "已上报待审核", "approved": "已审核（锁定）", "returned": "已退回",
             "reopened": "已重新开放"}
TRANSITIONS: dict[str, tuple[set[str], str, str]] = {
    "submit": ({"open", "returned", "reopened"}, "submitted", "report"),
    "approve": ({"submitted"}, "approved", "approve"),
    "return": ({"submitted"}, "returned", "approve"),
    "reopen": ({"approved"}, "reopened", "approve"),
}
ACTION_ZH = {"submit": "上报", "approve": "审核通过", "return": "退回", "reopen": "重新开放"}


class Actor(Protocol):
    @property
    def username(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def scope_code(self) -> str: ...

    def can(self, permission: str) -> bool: ...

    def in_scope(self, code: str) -> bool: ...


def set_agency(username: str, agency: str, url: str | None = None, actor: str = "cli") -> None:
    """Tie a user to the agency whose indicators they report (role `reporter`)."""
    if not agency.strip():
        raise WangdiError("bad-agency", "请填写填报单位（如 县医保局）", "agency required")
    known = sorted({i.agency for i in catalog().values()})
    if agency not in known:
        raise WangdiError("unknown-agency", f"没有指标由“{agency}”填报；可选：{'、'.join(known)}", f"no agency {agency}")
    with store.transaction(url) as conn:
        conn.execute(reporter_agency.delete().where(reporter_agency.c.username == username))
        conn.execute(reporter_agency.insert().values(username=username, agency=agency))
        conn.execute(audit.insert().values(at=_now(), actor=actor, action="user_agency", table_name="app_user",
                                           entity_key=username, old=None,
                                           new=json.dumps({"agency": agency}, ensure_ascii=False), batch=None))


def agency_of(conn: sa.Connection, username: str) -> str | None:
    return conn.execute(sa.select(reporter_agency.c.agency).where(reporter_agency.c.username == username)).scalar()


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _status(conn: sa.Connection, agency: str, division: str, period: str) -> str:
    st = conn.execute(sa.select(indicator_approval.c.status).where(
        indicator_approval.c.agency == agency, indicator_approval.c.division_code == division,
        indicator_approval.c.period == period)).scalar()
    return str(st or "open")


def _may_report(conn: sa.Connection, user: Actor, ind: Indicator, division: str) -> None:
    if not user.can("report") or not user.in_scope(division):
        raise WangdiError("forbidden", "您不能填报该地区的指标（角色或数据权限范围不符）", "may not report here")
    if user.role == "reporter" and agency_of(conn, user.username) != ind.agency:
        raise WangdiError("forbidden", f"指标“{ind.zh}”由 {ind.agency} 填报，不属于您的填报单位",
                          f"indicator {ind.id} belongs to {ind.agency}")


def period_end(period: str) -> date:
    """The last day of a period: values take effect then (a correction replaces the value for that period)."""
    y = int(period[:4])
    if "Q" in period:
        m = 3 * int(period[5])
    elif "-" in period:
        m = int(period[5:])
    else:
        m = 12
    return date.fromordinal(date(y + m // 12, m % 12 + 1, 1).toordinal() - 1)


def report(user: Actor, division: str, period: str, values: dict[str, float | None], url: str | None = None,
           note: str = "") -> dict[str, Any]:
    """Report one period's values for a division (all or nothing). A blank value removes nothing: it is not
    written, and the indicator stays unreported (`unknown`)."""
    divisions.get(division)
    given = {k: v for k, v in values.items() if v is not None}
    if not given:
        raise WangdiError("nothing-to-report", "没有填写任何指标值", "no values given")
    inds = [get(k) for k in given]
    for ind in inds:
        if not period_ok(ind.period, period):
            raise WangdiError("wrong-period", f"“{ind.zh}”按{ind.period}填报，报告期 {period} 的格式不符",
                              f"period {period} does not fit {ind.id}")
        if len(division) != {1: 2, 2: 4, 3: 6}[LEVELS[ind.level]]:
            raise WangdiError("wrong-indicator-level", f"“{ind.zh}”由{ind.level}填报，区划 {division} 级别不符",
                              f"{ind.id} is reported at {ind.level} level")
    rows: list[dict[str, object]] = [{"indicator": ind.id, "division_code": division, "period": period, "value": given[ind.id],
             "agency": ind.agency, "note": note or None} for ind in inds]
    with store.transaction(url) as conn:
        for ind in inds:
            _may_report(conn, user, ind, division)
            if _status(conn, ind.agency, division, period) in ("approved", "submitted"):
                raise WangdiError("locked", f"{ind.agency} {period_zh(period)} 的数据已上报或审核锁定；"
                                  "如需修改请先退回或重新开放", "submitted or approved indicator values are locked")
        frames, rep = validate([records_as_incoming("indicator_value", rows, "指标填报")], conn)
        if not rep.valid:
            raise WangdiError("invalid-record", "数据未通过校验：" + "；".join(
                f"{e.value} {e.zh}" for e in rep.errors[:5]), "validation failed", rep.as_dict())
        summary = store.write_tables(conn, frames, period_end(period), user.username, source="indicator-report")
    c = summary.counts["indicator_value"]
    return {"ok": True, "batch": summary.batch, "added": c.added, "changed": c.changed, "unchanged": c.unchanged}


def transition(user: Actor, agency: str, division: str, period: str, action: str, comment: str = "",
               url: str | None = None) -> dict[str, Any]:
    """Submit / approve / return / reopen one agency's values for a division and period (audited)."""
    if action not in TRANSITIONS:
        raise WangdiError("bad-action", f"未知操作 {action}", f"bad action {action}")
    froms, to, perm = TRANSITIONS[action]
    if not user.can(perm) or not user.in_scope(division):
        raise WangdiError("forbidden", f"您不能执行“{ACTION_ZH[action]}”", f"may not {action}")
    if action == "return" and not comment.strip():
        raise WangdiError("comment-required", "退回时请填写退回原因", "a comment is required when returning")
    with store.transaction(url) as conn:
        if perm == "report" and user.role == "reporter" and agency_of(conn, user.username) != agency:
            raise WangdiError("forbidden", f"您不能代 {agency} 上报", f"not a reporter of {agency}")
        current = _status(conn, agency, division, period)
        if current not in froms:
            raise WangdiError("bad-transition", f"当前状态为“{STATUS_ZH[current]}”，不能{ACTION_ZH[action]}",
                              f"cannot {action} from {current}", {"status": current})
        key = (indicator_approval.c.agency == agency, indicator_approval.c.division_code == division,
               indicator_approval.c.period == period)
        conn.execute(indicator_approval.delete().where(*key))
        conn.execute(indicator_approval.insert().values(agency=agency, division_code=division, period=period,
                                                        status=to, comment=comment or None,
                                                        updated_by=user.username, updated_at=_now()))
        conn.execute(audit.insert().values(at=_now(), actor=user.username, action=f"approval_{action}",
                                           table_name="indicator_approval", entity_key=f"{agency}/{division}/{period}",
                                           old=json.dumps({"status": current}),
                                           new=json.dumps({"status": to, "comment": comment}, ensure_ascii=False),
                                           batch=None))
    return {"agency": agency, "division_code": division, "period": period, "status": to, "status_zh": STATUS_ZH[to]}


def current_values(conn: sa.Connection, division: str, period: str) -> dict[str, float | None]:
    t = CENSUS["indicator_value"]
    rows = conn.execute(sa.select(t.c.indicator, t.c.value).where(
        t.c.valid_to.is_(None), t.c.division_code == division, t.c.period == period)).all()
    return {str(r[0]): r[1] for r in rows}


def form(user: Actor, agency: str, division: str, period: str, url: str | None = None) -> dict[str, Any]:
    """What a reporter sees for one agency, division and period: each indicator, its value or who owes it."""
    div = divisions.get(division)
    level = {1: "province", 2: "city", 3: "county"}.get(len(division) // 2 if len(division) < 6 else 3)
    inds = [i for i in catalog().values() if i.agency == agency and i.level == level]
    eng = store.init_db(url)
    with eng.connect() as conn:
        vals = current_values(conn, division, period)
        st = _status(conn, agency, division, period)
        mine = agency_of(conn, user.username)
    rows = [{"id": i.id, "zh": i.zh, "unit": i.describe_unit(), "period_type": i.period, "clause": i.clause,
             "packs": list(i.packs), "value": vals.get(i.id), "fits": period_ok(i.period, period),
             "pending": pending_zh(i) if vals.get(i.id) is None else ""} for i in inds]
    return {"agency": agency, "division_code": division, "division_name": str(div.get("name", division)),
            "period": period, "period_zh": period_zh(period) if period else "", "status": st,
            "status_zh": STATUS_ZH[st], "locked": st in ("approved", "submitted"), "indicators": rows,
            "may_report": user.can("report") and user.in_scope(division) and (user.role != "reporter" or mine == agency),
            "actions": [a for a, (froms, _to, perm) in TRANSITIONS.items() if st in froms and user.can(perm)
                        and user.in_scope(division) and (perm != "report" or user.role != "reporter" or mine == agency)]}


def import_errors(conn: sa.Connection, user: Actor, incoming: list[Incoming],
                  frames: dict[str, pl.DataFrame]) -> list[tuple[str, str, str, Incoming, int, str, Any]]:
    """Rows of the 指标填报 sheet a user may not import: another agency's (for a reporter), or locked."""
    out: list[tuple[str, str, str, Incoming, int, str, Any]] = []
    for inc in incoming:
        if inc.table.name != "indicator_value":
            continue
        df = frames["indicator_value"].with_columns(inc.frame[ROW])
        mine = agency_of(conn, user.username) if user.role == "reporter" else None
        cat = catalog()
        for r in df.iter_rows(named=True):
            ind = cat.get(r["indicator"])
            if ind is None:
                continue
            if user.role == "reporter" and ind.agency != mine:
                out.append(("forbidden", f"该指标由 {ind.agency} 填报，不属于您的填报单位", "another agency's indicator",
                            inc, r[ROW], "indicator", r["indicator"]))
            elif _status(conn, ind.agency, r["division_code"], r["period"]) in ("approved", "submitted"):
                out.append(("locked", "该指标本期数据已上报或审核锁定，不能导入修改", "indicator values locked",
                            inc, r[ROW], "period", r["period"]))
    return out
