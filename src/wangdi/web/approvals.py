"""Data approval, as in DHIS2: a township submits its census for a period, the county approves it or
returns it with a comment; approved data is locked (no edit, no import) until an approver reopens it."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

import polars as pl
import sqlalchemy as sa

from wangdi import divisions, settings
from wangdi.errors import WangdiError
from wangdi.registry import locks, store
from wangdi.registry.tables import approval, audit
from wangdi.web.auth import User

STATUS_ZH = {"open": "未上报", "submitted": "已上报待审核", "approved": "已审核（锁定）", "returned": "已退回",
             "reopened": "已重新开放"}
# action -> (statuses it may start from, status it leads to, permission needed)
TRANSITIONS: dict[str, tuple[set[str], str, str]] = {
    "submit": ({"open", "returned", "reopened"}, "submitted", "submit"),
    "approve": ({"submitted"}, "approved", "approve"),
    "return": ({"submitted"}, "returned", "approve"),
    "reopen": ({"approved"}, "reopened", "approve"),
}
ACTION_ZH = {"submit": "上报", "approve": "审核通过", "return": "退回", "reopen": "重新开放"}


def default_period(url: str | None = None) -> str:
    """The census year of the data (the newest effective date), cached per data version."""
    eng = store.init_db(url)
    with eng.connect() as conn:
        version = store.data_version(conn)
    return _period(url or settings.database_url(), version)


@lru_cache(maxsize=64)
def _period(url: str, version: str) -> str:
    with store.init_db(url).connect() as conn:
        d = store.latest_valid_from(conn)
    return str(d.year if d else datetime.now().year)


def status(township: str, period: str | None, url: str | None = None) -> dict[str, Any]:
    period = period or default_period(url)
    eng = store.init_db(url)
    with eng.connect() as conn:
        row = conn.execute(sa.select(approval).where(approval.c.division_code == township,
                                                     approval.c.period == period)).first()
    st = row.status if row else "open"
    return {"division_code": township, "period": period, "status": st, "status_zh": STATUS_ZH[st],
            "comment": row.comment if row else None, "updated_by": row.updated_by if row else None,
            "updated_at": str(row.updated_at) if row else None, "locked": st == "approved"}


def may(user: User, action: str, township: str) -> bool:
    """Whether `user` may take `action` on a township: the role's permission, and approving is done from above
    (an approver's scope must be wider than the township)."""
    perm = TRANSITIONS[action][2]
    return user.can(perm) and user.in_scope(township) and (perm != "approve" or len(user.scope_code) < len(township))


def actions_for(user: User, township: str, current: str) -> list[str]:
    return [a for a, (froms, _to, _p) in TRANSITIONS.items() if current in froms and may(user, a, township)]


def list_statuses(region: str, period: str | None, user: User, url: str | None = None) -> list[dict[str, Any]]:
    """Every township under `region` with its approval status for `period` and the actions `user` may take."""
    period = period or default_period(url)
    towns = divisions.descendants(region, level=4) if len(region) < 9 else divisions.reference().filter(
        pl.col("code") == region[:9])
    eng = store.init_db(url)
    with eng.connect() as conn:
        rows = {r.division_code: r for r in conn.execute(sa.select(approval).where(
            approval.c.period == period, approval.c.division_code.startswith(region)))}
    out = []
    for code, name in towns.select("code", "name").iter_rows():
        r = rows.get(code)
        st = r.status if r else "open"
        out.append({"division_code": code, "name": name, "period": period, "status": st, "status_zh": STATUS_ZH[st],
                    "comment": r.comment if r else None, "updated_by": r.updated_by if r else None,
                    "actions": actions_for(user, code, st)})
    return out


def locked_townships(conn: sa.Connection, periods: set[str] | None = None) -> set[str]:
    return locks.locked_townships(conn, periods)


def transition(township: str, period: str, action: str, user: User, comment: str = "",
               url: str | None = None) -> dict[str, Any]:
    """Move a township's census for `period` through submit → approve / return → reopen (audited)."""
    if action not in TRANSITIONS:
        raise WangdiError("bad-action", f"未知操作 {action}：应为 submit、approve、return 或 reopen", f"bad action {action}")
    if len(township) != 9:
        raise WangdiError("not-a-township", "审核以乡镇（9 位区划代码）为单位", "approval is per township (9-digit code)")
    froms, to, _perm = TRANSITIONS[action]
    if not may(user, action, township):
        raise WangdiError("forbidden", f"您的角色不能执行“{ACTION_ZH[action]}”", f"your role may not {action}")
    if action == "return" and not comment.strip():
        raise WangdiError("comment-required", "退回时请填写退回原因", "a comment is required when returning")
    eng = store.init_db(url)
    now, actor = datetime.now().replace(microsecond=0), user.username
    with store.write_transaction(eng) as conn:
        row = conn.execute(sa.select(approval).where(approval.c.division_code == township,
                                                     approval.c.period == period)).first()
        current = row.status if row else "open"
        if current not in froms:
            raise WangdiError("bad-transition", f"当前状态为“{STATUS_ZH[current]}”，不能{ACTION_ZH[action]}",
                              f"cannot {action} from {current}", {"status": current})
        conn.execute(approval.delete().where(approval.c.division_code == township, approval.c.period == period))
        conn.execute(approval.insert().values(division_code=township, period=period, status=to,
                                              comment=comment or None, updated_by=actor, updated_at=now))
        conn.execute(audit.insert().values(at=now, actor=actor, action=f"approval_{action}", table_name="approval",
                                           entity_key=f"{township}/{period}",
                                           old=json.dumps({"status": current}),
                                           new=json.dumps({"status": to, "comment": comment}, ensure_ascii=False),
                                           batch=None))
    return status(township, period, url)
