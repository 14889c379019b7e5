"""Verification (以核实为准): a task reported done is checked against the next census evaluation.

For each rule a task was to close: a requirement must now pass (or no longer apply) for the task's subject;
for a share target, the subject must now count in the target's numerator. Any still open → the task is
flagged `not_closed` for the county; blanks → `unknown` (never a pass). The result, the run and the census
date are written on the task (audited).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import polars as pl

from wangdi.errors import WangdiError
from wangdi.planning.tasks.records import Actor, audit_rows, read_tasks, task_t
from wangdi.policy import engine, runs
from wangdi.policy import pack as packs
from wangdi.registry import history, store

CLOSED, OPEN, UNKNOWN = "closed", "open", "unknown"


def result_verdicts(res: pl.DataFrame) -> pl.DataFrame:
    """The one read of evaluation results here: rule, entity and outcome (typed enum values)."""
    return res.select(pl.col("rule_id").cast(pl.String), pl.col("entity_code").cast(pl.String),
                      pl.col("outcome").cast(pl.String))


def _target_counts(pack: packs.Pack, con: duckdb.DuckDBPyConnection, as_of: date,
                   pairs: pl.DataFrame) -> pl.DataFrame:
    """Per (rule, subject) of share targets: whether the subject is now in the population and counted."""
    out = []
    c = engine.Compiler(pack, as_of)
    for rule_id in pairs["rule_id"].unique().sort().to_list():
        rule = pack.rules[rule_id]
        pop, _ = c.compile(rule, "population", "TRUE")
        num, _ = c.compile(rule, "numerator", "TRUE")
        subjects = pairs.filter(pl.col("rule_id") == rule_id).select(pl.col("subject").alias("entity_code"))
        con.register("_subjects", subjects)
        df = con.sql(f"SELECT entity_code, ({pop}) AS in_pop, ({num}) AS counted FROM ent_{rule.entity} "
                     f"JOIN _subjects USING (entity_code)").pl()
        con.unregister("_subjects")
        out.append(df.with_columns(rule_id=pl.lit(rule_id)))
    if not out:
        return pl.DataFrame(schema={"entity_code": pl.String, "in_pop": pl.Boolean, "counted": pl.Boolean,
                                    "rule_id": pl.String})
    joined: pl.DataFrame = pl.concat(out, how="vertical_relaxed")
    return joined


def _pair_states(pack: packs.Pack, tasks: pl.DataFrame, res: pl.DataFrame, con: duckdb.DuckDBPyConnection,
                 as_of: date) -> pl.DataFrame:
    pairs = tasks.select("task_id", "subject", rule_id=pl.col("rules").str.split("、")).explode("rule_id") \
        .filter(pl.col("rule_id").is_in(list(pack.rules)))
    kind = {r.id: r.kind for r in pack.rules.values()}
    pairs = pairs.with_columns(rule_kind=pl.col("rule_id").replace_strict(kind, default="requirement"))
    req = pairs.filter(pl.col("rule_kind") != "target").join(
        result_verdicts(res), left_on=["rule_id", "subject"], right_on=["rule_id", "entity_code"], how="left") \
        .with_columns(state=pl.when(pl.col("outcome").is_in(["pass", "not_applicable"])).then(pl.lit(CLOSED))
                      .when(pl.col("outcome").is_in(["fail", "not_yet_due"])).then(pl.lit(OPEN))
                      .otherwise(pl.lit(UNKNOWN)))
    tgt = pairs.filter(pl.col("rule_kind") == "target")
    counts = _target_counts(pack, con, as_of, tgt)
    tgt = tgt.join(counts, left_on=["rule_id", "subject"], right_on=["rule_id", "entity_code"], how="left") \
        .with_columns(outcome=pl.lit(None, pl.String),
                      state=pl.when(pl.col("counted") | (pl.col("in_pop") == False)).then(pl.lit(CLOSED))  # noqa: E712
                      .when(pl.col("counted") == False).then(pl.lit(OPEN))  # noqa: E712
                      .otherwise(pl.lit(UNKNOWN)))
    cols = ["task_id", "rule_id", "state", "outcome"]
    states = pl.concat([req.select(cols), tgt.select(cols)], how="vertical_relaxed")
    return _equipment_states(pack, tasks, con, states)


def _equipment_states(pack: packs.Pack, tasks: pl.DataFrame, con: duckdb.DuckDBPyConnection,
                      states: pl.DataFrame) -> pl.DataFrame:
    """A purchase closes its own gap: the item now has a functioning unit at the subject (the rest of the rule's
    list may be other tasks' business). Replaces the rule-level state for equipment tasks."""
    buys = tasks.filter(pl.col("kind") == "buy_equipment").select("task_id", "subject", "item", "rules")
    if buys.is_empty():
        return states
    con.register("_buys", buys)
    have = con.sql("SELECT b.task_id, b.rules || '（' || b.item || '）' AS what, "
                   "list_contains(e.equipment_items, b.item) AS present FROM _buys b "
                   "LEFT JOIN ent_institution e ON e.entity_code = b.subject").pl()
    con.unregister("_buys")
    own = have.select("task_id", rule_id=pl.col("what"),
                      state=pl.when(pl.col("present")).then(pl.lit(CLOSED)).when(pl.col("present") == False)  # noqa: E712
                      .then(pl.lit(OPEN)).otherwise(pl.lit(UNKNOWN)), outcome=pl.lit(None, pl.String))
    ids = buys["task_id"].to_list()
    merged: pl.DataFrame = pl.concat([states.filter(~pl.col("task_id").is_in(ids)), own], how="vertical_relaxed")
    return merged


def _next_census(tasks: pl.DataFrame, as_of: date | None, url: str | None) -> date:
    dates = history.census_dates(url)
    if as_of is None:
        if not dates:
            raise WangdiError("no-data", "登记库中没有普查数据", "no census")
        as_of = dates[-1]
    last_done = tasks["completed_on"].max()
    if isinstance(last_done, date) and not any(last_done <= d <= as_of for d in dates):
        raise WangdiError("no-next-census", f"还没有晚于任务完成日期（{last_done}）的普查数据：请先导入下一期普查再核实",
                          "no census after the tasks were completed")
    return as_of


def verify(pack_id: str, region: str, year: int, actor: Actor, as_of: date | None = None,
           url: str | None = None) -> pl.DataFrame:
    """Check every task of `year` reported 已完成/已验收 against the census evaluation on `as_of` (default: the
    newest census date). Tasks completed after that census stay 待核实. Returns the checked tasks."""
    actor.require("verify")
    if not actor.in_scope(region):
        raise WangdiError("forbidden", "该地区不在您的数据权限范围内", "region out of scope")
    pack = packs.load(pack_id)
    tasks = read_tasks(region, year, pack_id, url).filter(pl.col("status").is_in(["completed", "accepted"]))
    if tasks.is_empty():
        raise WangdiError("nothing-to-verify", f"{region} {year} 年没有报告“已完成”的任务", "no completed tasks")
    census = _next_census(tasks, as_of, url)
    tasks = tasks.filter(pl.col("completed_on") <= census)
    con = duckdb.connect()
    run_id, res = runs.evaluate(pack_id, region, census, url, con=con)
    states = _pair_states(pack, tasks, res, con, census)
    per = states.group_by("task_id").agg(
        open=(pl.col("state") == OPEN).sum(), unknown=(pl.col("state") == UNKNOWN).sum(),
        open_rules=pl.col("rule_id").filter(pl.col("state") == OPEN).str.join("、"),
        unknown_rules=pl.col("rule_id").filter(pl.col("state") == UNKNOWN).str.join("、"))
    checked = tasks.join(per, on="task_id", how="left").with_columns(
        new_verification=pl.when(pl.col("open") > 0).then(pl.lit("not_closed"))
        .when((pl.col("unknown") > 0) | pl.col("open").is_null()).then(pl.lit("unknown"))
        .otherwise(pl.lit("verified")),
        note=pl.when(pl.col("open") > 0).then(pl.format("普查（{}）显示差距仍在：{}", pl.lit(str(census)), "open_rules"))
        .when((pl.col("unknown") > 0) | pl.col("open").is_null())
        .then(pl.format("普查（{}）缺少数据，无法核实：{}", pl.lit(str(census)), pl.col("unknown_rules").fill_null("")))
        .otherwise(pl.format("普查（{}）显示差距已消除", pl.lit(str(census)))))
    _write(checked, run_id, census, actor, url)
    return read_tasks(region, year, pack_id, url).filter(pl.col("task_id").is_in(checked["task_id"].to_list()))


def _write(checked: pl.DataFrame, run_id: str, census: date, actor: Actor, url: str | None) -> None:
    import sqlalchemy as sa

    changes: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]] = []
    with store.init_db(url).begin() as conn:
        for r in checked.iter_rows(named=True):  # one UPDATE per reported task (tens per township)
            new = {"verification": r["new_verification"], "verified_run": run_id, "verified_as_of": census,
                   "verification_note": r["note"]}
            conn.execute(task_t.update().where(task_t.c.task_id == r["task_id"])
                         .values(**new, version=sa.literal(int(r["version"]) + 1)))
            changes.append((r["task_id"], {k: r[k] for k in ("verification", "verified_run", "verified_as_of",
                                                             "verification_note")}, new))
        audit_rows(conn, actor, "verify", "task", changes)


def flagged(region: str, year: int | None = None, url: str | None = None) -> pl.DataFrame:
    """Tasks reported done whose gap the census shows still open: for the county to look into (以核实为准)."""
    return read_tasks(region, year, url=url).filter(pl.col("verification") == "not_closed")
