"""Rewards (奖补) for verified tasks, at the amounts the bureau sets (reward_rate rows: data, never defaults).

A task reaches the reward list only when the census verified it (verification = verified). Its amount is
per_task + per_unit × quantity at the rate for its year and kind; no rate set → the amount is unknown and
the line says so (待局设定), it is never guessed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from wangdi import divisions
from wangdi.errors import WangdiError
from wangdi.planning.tasks.records import Actor, audit_rows, read_tasks
from wangdi.registry import store
from wangdi.registry.reference import TASK_KIND
from wangdi.registry.tables import CYCLE

rate_t = CYCLE["reward_rate"]
RATE_COLUMNS = {"年度": "year", "任务类型": "kind", "每单位奖补（元）": "per_unit", "每项奖补（元）": "per_task",
                "依据": "basis"}


def _rate_rows(df: pl.DataFrame) -> list[dict[str, Any]]:
    df = df.rename({k: v for k, v in RATE_COLUMNS.items() if k in df.columns})
    missing = [k for k, v in RATE_COLUMNS.items() if v not in df.columns]
    if missing:
        raise WangdiError("bad-rates", f"奖补标准表缺少列：{'、'.join(missing)}", f"missing columns {missing}")
    lookup = {**{k: k for k in TASK_KIND}, **{v: k for k, v in TASK_KIND.items()}}
    rows, errors = [], []
    for i, r in enumerate(df.to_dicts(), start=2):
        kind = lookup.get(str(r["kind"] or "").strip())
        try:
            year = int(r["year"])
            amounts = {k: None if r[k] in (None, "") else float(r[k]) for k in ("per_unit", "per_task")}
        except (TypeError, ValueError):
            errors.append(f"第 {i} 行：年度应为整数、金额应为数字")
            continue
        if kind is None:
            errors.append(f"第 {i} 行：任务类型 {r['kind']!r} 不在列表中（{'、'.join(TASK_KIND.values())}）")
        elif all(v is None for v in amounts.values()) or any(v is not None and v < 0 for v in amounts.values()):
            errors.append(f"第 {i} 行：每单位或每项奖补至少填一项，且不能为负数")
        elif not str(r["basis"] or "").strip():
            errors.append(f"第 {i} 行：请填写依据（设定奖补标准的文件与条款）")
        else:
            rows.append({"year": year, "kind": kind, **amounts, "basis": str(r["basis"]).strip()})
    if errors:
        raise WangdiError("bad-rates", "奖补标准表有误，未写入：\n" + "\n".join(errors), "bad reward rates",
                          {"errors": errors})
    return rows


def _read_xlsx(path: Path) -> pl.DataFrame:
    import openpyxl

    rows = list(openpyxl.load_workbook(path, read_only=True, data_only=True).worksheets[0].iter_rows(values_only=True))
    head = [str(c or "").strip() for c in rows[0]]
    return pl.DataFrame([[None if v is None else str(v) for v in r] for r in rows[1:]], schema=head, orient="row")


def set_rates(path: Path, actor: Actor, url: str | None = None) -> int:
    """Load the bureau's reward amounts (.xlsx or .csv with 年度, 任务类型, 每单位奖补（元）, 每项奖补（元）, 依据);
    all rows or none; each change audited."""
    actor.require("rates")
    try:
        df = _read_xlsx(path) if path.suffix.lower() == ".xlsx" else pl.read_csv(path, infer_schema=False)
    except Exception as exc:
        raise WangdiError("bad-rates", f"奖补标准表无法读取：{exc}", "unreadable rates file") from None
    rows = _rate_rows(df)
    with store.init_db(url).begin() as conn:
        changes: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]] = []
        for r in rows:
            key = (rate_t.c.year == r["year"]) & (rate_t.c.kind == r["kind"])
            old = conn.execute(sa.select(rate_t).where(key)).first()
            conn.execute(rate_t.delete().where(key))
            conn.execute(rate_t.insert().values(**r, set_by=actor.name))
            changes.append((f"{r['year']}/{r['kind']}", dict(old._mapping) if old else None, r))
        audit_rows(conn, actor, "set", "reward_rate", changes)
    return len(rows)


def rates(url: str | None = None) -> pl.DataFrame:
    with store.init_db(url).connect() as conn:
        rows = conn.execute(sa.select(rate_t).order_by(rate_t.c.year, rate_t.c.kind)).all()
    return pl.DataFrame([tuple(r) for r in rows], orient="row",
                        schema={"year": pl.Int64, "kind": pl.String, "per_unit": pl.Float64, "per_task": pl.Float64,
                                "basis": pl.String, "set_by": pl.String})


def reward_list(region: str, year: int, pack: str | None = None, url: str | None = None) -> pl.DataFrame:
    """One line per verified task: the amount at the bureau's rate, or unknown when no rate is set."""
    t = read_tasks(region, year, pack, url).filter((pl.col("verification") == "verified")
                                                   & pl.col("status").is_in(["completed", "accepted"]))
    towns = divisions.reference().filter(pl.col("level") == 4).select(
        pl.col("code").alias("township"), pl.col("name").alias("乡镇（街道）"))
    amount = pl.when(pl.col("per_unit").is_null() & pl.col("per_task").is_null()).then(None) \
        .otherwise(pl.col("per_task").fill_null(0) + pl.col("per_unit").fill_null(0) * pl.col("quantity").fill_null(0))
    return t.join(rates(url), on=["year", "kind"], how="left").join(towns, on="township", how="left").with_columns(
        金额=amount).select(
        "township", "乡镇（街道）", pl.col("task_id").alias("代码"), pl.col("description").alias("名称"),
        pl.col("responsible").alias("所在机构"),
        pl.col("kind").replace_strict(TASK_KIND, default=pl.col("kind")).alias("奖补项目"),
        pl.col("year").alias("年度"), pl.col("quantity").alias("数量"), pl.col("unit").alias("单位"),
        pl.col("spent").alias("已支出（元）"), "金额",
        pl.when(pl.col("金额").is_null()).then(pl.lit("奖补标准未设定（待局设定）")).otherwise(pl.lit("应发")).alias("状态"),
        pl.col("basis").fill_null("").alias("依据"), pl.col("verified_run").alias("核实评估批次"),
        pl.col("verification_note").alias("说明"), pl.col("synthetic").fill_null(False).alias("_synthetic"),
    ).sort("township", "代码")


def write_reward_list(lines: pl.DataFrame, out: Path, title: str) -> None:
    """The finance-ready workbook, in the same form as the subsidy payment lists."""
    from wangdi.reports.subsidies import write_payment_list

    counties = divisions.reference().select(pl.col("code").alias("county"), pl.col("name").alias("县（市、区）"))
    laid_out = lines.with_columns(county=pl.col("township").str.slice(0, 6)).join(counties, on="county", how="left") \
        .with_columns(补助项目=pl.col("奖补项目"), 发放期间=pl.format("{}年", pl.col("年度")), 月数=pl.lit(None, pl.Int64),
                      未发原因=pl.when(pl.col("金额").is_null()).then(pl.col("状态")).otherwise(pl.lit("")),
                      条款=pl.col("依据"), 条款原文=pl.col("说明").fill_null(""))
    write_payment_list(laid_out.drop("_synthetic"), out, title, bool(lines["_synthetic"].any()))
