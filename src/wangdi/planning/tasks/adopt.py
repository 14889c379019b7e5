"""Adopt a plan: its funded actions of one year become that year's tasks, per township and institution.

What, quantity and budget come from the plan's action (its cost); the deadline is the action's own due date
when it falls in the year, else 31 December of the year; the responsible unit (责任单位) is what the rule
declares (`responsible:` in the pack) or else, from the registry, the institution that manages the one
concerned (a village clinic's township health centre) or that institution itself.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from wangdi.errors import WangdiError
from wangdi.planning.tasks.records import Actor, audit_rows, filed_row, read_tasks, task_t
from wangdi.policy import pack as packs
from wangdi.registry import store
from wangdi.registry.reference import TASK_KIND
from wangdi.registry.schema import TASK


def read_plan(path: Path) -> tuple[dict[str, Any], pl.DataFrame]:
    """A plan written by `wangdi plan --out` (.json or .xlsx): its header and its funded actions."""
    from wangdi.planning.output import read_plan_actions

    info, actions = read_plan_actions(path)
    need = {"年度", "乡镇", "机构", "对象", "行动", "kind", "item", "数量", "单位", "费用（元）", "规则", "条款", "期限"}
    if not need <= set(actions.columns):
        raise WangdiError("bad-plan", f"{path.name} 缺少列：{'、'.join(sorted(need - set(actions.columns)))}"
                          "（请用本版本 wangdi plan --out 重新生成计划）", "plan lacks columns")
    return info, actions


def _responsible(pack: packs.Pack, conn: sa.Connection, actions: pl.DataFrame) -> pl.Series:
    inst = store.snapshot(conn, "institution")
    names = dict(inst.select("code", "name").iter_rows())
    manager = dict(inst.select("code", "manager_code").iter_rows())
    declared = {r.id: "、".join(map(str, r.spec["responsible"])) for r in pack.rules.values()
                if r.spec.get("responsible")}
    out = []
    for rules, code in actions.select("规则", "机构").iter_rows():  # one per task: a handful per township
        first = next((declared[r] for r in str(rules or "").split("、") if r in declared), None)
        owner = manager.get(code) or code
        out.append(first or names.get(owner) or names.get(code) or str(code))
    return pl.Series(out, dtype=pl.String)


def _synthetic(conn: sa.Connection) -> dict[str, bool]:
    inst = store.snapshot(conn, "institution")
    return dict(inst.select("code", pl.col("synthetic").fill_null(False)).iter_rows())


def adopt(info: dict[str, Any], actions: pl.DataFrame, year: int, actor: Actor, url: str | None = None,
          township: str | None = None) -> pl.DataFrame:
    """Create the year's draft tasks from a plan's funded actions (replacing unfiled drafts of the same year and
    pack in those townships; a filed list is never replaced). Returns the tasks written."""
    actor.require("adopt")
    pack_id = str(info.get("pack") or "")
    pack = packs.load(pack_id)
    acts = actions.filter(pl.col("年度").cast(pl.Int64) == year)
    if township:
        acts = acts.filter(pl.col("乡镇").cast(pl.String).str.starts_with(township))
    acts = acts.filter(pl.col("乡镇").cast(pl.String).map_elements(actor.in_scope, return_dtype=pl.Boolean))
    if acts.is_empty():
        raise WangdiError("no-actions", f"计划中没有 {year} 年（在您的数据权限范围内）的行动", f"no actions for {year}")
    end = date(year, 12, 31)
    with store.init_db(url).begin() as conn:
        towns = sorted(set(acts["乡镇"].cast(pl.String).to_list()))
        filed = [t for t in towns if filed_row(conn, t, year, pack_id)]
        if filed:
            raise WangdiError("already-filed", f"这些乡镇 {year} 年的任务清单已备案，不能重新生成：{'、'.join(filed)}"
                              "（如需调整，请逐项修改并说明理由）", "task lists already filed", {"townships": filed})
        old = read_tasks("", year, pack_id, conn=conn).filter(pl.col("township").is_in(towns))
        if old.height:
            conn.execute(task_t.delete().where(task_t.c.task_id.in_(old["task_id"].to_list())))
            audit_rows(conn, actor, "remove", "task", [(r["task_id"], r, None) for r in old.to_dicts()])
        synthetic = _synthetic(conn)
        due = pl.col("期限").cast(pl.String).str.to_date("%Y-%m-%d", strict=False)
        df = acts.sort("乡镇", "机构", "对象", "kind", "item").with_columns(
            n=pl.int_range(1, pl.len() + 1).over("乡镇"), responsible=_responsible(pack, conn, acts.sort(
                "乡镇", "机构", "对象", "kind", "item")))
        now = datetime.now().replace(microsecond=0)
        tasks = df.select(
            task_id=pl.format("T{}-{}-{}", pl.lit(year), pl.col("乡镇"), pl.col("n").cast(pl.String).str.zfill(4)),
            year=pl.lit(year, pl.Int64), pack=pl.lit(pack_id), plan_run=pl.lit(str(info.get("run_id") or "")),
            township=pl.col("乡镇").cast(pl.String), institution_code=pl.col("机构").cast(pl.String),
            subject=pl.col("对象").cast(pl.String),
            kind=pl.when(pl.col("kind").is_in(list(TASK_KIND))).then(pl.col("kind")).otherwise(pl.lit("other")),
            item=pl.col("item").cast(pl.String), description=pl.col("行动").cast(pl.String),
            quantity=pl.col("数量").cast(pl.Float64), unit=pl.col("单位").cast(pl.String),
            budget=pl.col("费用（元）").cast(pl.Float64), responsible=pl.col("responsible"),
            deadline=pl.when(due.is_not_null() & (due.dt.year() == year)).then(due).otherwise(pl.lit(end)),
            rules=pl.col("规则").cast(pl.String), clauses=pl.col("条款").cast(pl.String),
            status=pl.lit("not_started"), verification=pl.lit("pending"), version=pl.lit(1, pl.Int64),
            updated_by=pl.lit(actor.name), updated_at=pl.lit(now),
            synthetic=pl.col("机构").cast(pl.String).replace_strict(synthetic, default=False, return_dtype=pl.Boolean))
        cols = [c for c in TASK.columns if c in tasks.columns]
        rows = tasks.select(cols).to_dicts()
        for i in range(0, len(rows), 5_000):
            conn.execute(task_t.insert(), rows[i:i + 5_000])
        audit_rows(conn, actor, "add", "task", [(r["task_id"], None, r) for r in rows])
    return read_tasks("", year, pack_id, url).filter(pl.col("township").is_in(towns))
