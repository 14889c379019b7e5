"""Planning: gaps → costed actions → an optimised yearly plan under a budget; staffing; scenarios."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from wangdi.errors import WangdiError
from wangdi.planning.actions import Action, derive_actions, load_costs, orderings
from wangdi.planning.optimize import Solution, TargetNeed, solve
from wangdi.policy import pack as packs
from wangdi.policy.results import Outcome


@dataclass
class Plan:
    pack: str
    region: str
    as_of: date
    run_id: str
    budgets: dict[int, float]
    costs_source: str
    actions: list[Action]
    targets: list[TargetNeed]
    solution: Solution
    staffing: pl.DataFrame

    def funded(self) -> pl.DataFrame:
        rows = [{"年度": y, "乡镇": a.township, "机构": a.institution, "对象": a.subject, "行动": a.description,
                 "kind": a.kind, "item": a.item, "数量": a.quantity, "单位": a.unit, "费用（元）": a.cost,
                 "规则": "、".join(a.rules), "条款": "、".join(a.clauses), "期限": str(a.due or "")}
                for i, a in enumerate(self.actions) for y in [self.solution.funded.get(i)] if y is not None]
        schema = {"年度": pl.Int64, "乡镇": pl.String, "机构": pl.String, "对象": pl.String, "行动": pl.String,
                  "kind": pl.String, "item": pl.String, "数量": pl.Float64, "单位": pl.String, "费用（元）": pl.Float64,
                  "规则": pl.String, "条款": pl.String, "期限": pl.String}
        return pl.DataFrame(rows, schema=schema).sort("年度", "乡镇", "机构")

    def target_table(self) -> pl.DataFrame:
        rows = []
        for t in self.targets:
            key = f"{t.rule_id}/{t.region}"
            met = self.solution.met.get(key)
            usable = [i for i in t.actions if self.actions[i].cost is not None]
            if met:
                why = "本计划在期限内可达成"
            elif t.deadline and t.deadline.year < min(self.budgets):
                why = f"期限 {t.deadline} 早于计划年度"
            elif not usable:
                why = "没有可计价的行动（数据或成本表缺项），需另行安排"
            elif len(usable) < t.needed:
                why = f"候选行动 {len(usable)} 项少于所需 {t.needed} 项"
            else:
                why = "预算不足以在期限内完成"
            rows.append({"目标": t.label, "规则": t.rule_id, "地区": t.region, "还需": t.needed,
                         "期限": str(t.deadline or ""), "计划内达成": bool(met), "说明": why})
        return pl.DataFrame(rows, schema={"目标": pl.String, "规则": pl.String, "地区": pl.String, "还需": pl.Int64,
                                          "期限": pl.String, "计划内达成": pl.Boolean, "说明": pl.String})

    def year_summary(self) -> pl.DataFrame:
        f = self.funded()
        return pl.DataFrame([{"年度": y, "预算（元）": b, "安排（元）": float(f.filter(pl.col("年度") == y)["费用（元）"].sum()),
                              "行动数": f.filter(pl.col("年度") == y).height} for y, b in sorted(self.budgets.items())])


def parse_budgets(text: str) -> dict[int, float]:
    """'2025=8000000,2026=8000000' → {2025: 8e6, 2026: 8e6}."""
    out: dict[int, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        m = re.fullmatch(r"(\d{4})\s*=\s*([0-9.]+)\s*(万)?", part)
        if not m:
            raise WangdiError("bad-budget", f"预算格式应为 年度=金额，例如 2025=8000000,2026=8000000；收到 {part!r}",
                              "budget must look like 2025=8000000,2026=8000000")
        out[int(m.group(1))] = float(m.group(2)) * (10_000 if m.group(3) else 1)
    if not out:
        raise WangdiError("bad-budget", "请给出至少一个年度的预算", "no budget given")
    return out


def _targets(pack: packs.Pack, res: pl.DataFrame, actions: list[Action]) -> list[TargetNeed]:
    out = []
    for r in res.filter((pl.col("kind") == "target") & pl.col("outcome").is_in([Outcome.NOT_MET, Outcome.NOT_YET_DUE])
                        & pl.col("gap").is_not_null()).iter_rows(named=True):
        rule = pack.rules[r["rule_id"]]
        region = str(r["entity_code"])
        idx = [i for i, a in enumerate(actions) if r["rule_id"] in a.rules
               and (a.township.startswith(region) or region.startswith(a.township[: len(region)]))]
        out.append(TargetNeed(r["rule_id"], str(rule.spec.get("label", rule.summary)), region, math.ceil(r["gap"]),
                              r["deadline"], idx))
    return out


def _staffing(con: Any, actions: list[Action], years: list[int], res: pl.DataFrame,
              pack: packs.Pack | None = None) -> pl.DataFrame:
    recruits = pl.DataFrame([{"township": a.township, "item": a.description, "n": a.quantity} for a in actions
                             if a.kind == "recruit"], schema={"township": pl.String, "item": pl.String, "n": pl.Float64})
    need = recruits.group_by("township", "item").agg(pl.col("n").sum()).with_columns(
        类别=pl.lit("需补充人员"), 年度=pl.lit(None, pl.Int64)).rename({"item": "项目", "n": "人数"})
    ages = con.sql("SELECT township_code AS township, CAST(year(birth_date) + 60 AS BIGINT) AS 年度, count(*) AS 人数 "
                   "FROM v_ent_staff WHERE qualification = 'village_doctor' GROUP BY ALL").pl() \
        .filter(pl.col("年度").is_in(years)).with_columns(类别=pl.lit("年满60岁需替补的乡村医生"), 项目=pl.lit("乡村医生"),
                                                          人数=pl.col("人数").cast(pl.Float64))
    owed = res.filter((pl.col("kind") == "target") & (pl.col("entity_type") == "region")
                      & pl.col("rule_id").str.contains("deploy")
                      & pl.col("outcome").is_in([Outcome.NOT_MET, Outcome.NOT_YET_DUE]))
    owed = owed.with_columns(pl.col("rule_id").replace_strict(
        {rid: str(r.spec.get("label") or r.summary) for rid, r in pack.rules.items()}, default=pl.col("rule_id"),
        return_dtype=pl.String).alias("项目")) if pack is not None else owed.with_columns(pl.col("rule_id").alias("项目"))
    owed = owed.select(pl.col("entity_code").alias("township"), "项目", pl.col("gap").alias("人数")) \
        .with_columns(类别=pl.lit("本年度仍欠的下沉派驻"), 年度=pl.lit(years[0], pl.Int64))
    cols = ["township", "类别", "项目", "年度", "人数"]
    out: pl.DataFrame = pl.concat([need.select(cols), ages.select(cols), owed.select(cols)], how="vertical_relaxed")
    return out.sort(cols[:3])


def make_plan(pack_id: str, region: str, budgets: dict[int, float], as_of: date | None = None,
              url: str | None = None, costs_path: Path | None = None, time_limit: float = 60.0) -> Plan:
    pack = packs.load(pack_id)
    costs, source = load_costs(costs_path)
    as_of = as_of or date.today()
    run_id, res, actions, con = derive_actions(pack, region, as_of, url, costs)
    targets = _targets(pack, res, actions)
    solution = solve(actions, budgets, targets, time_limit, order=orderings(pack))
    staffing = _staffing(con, actions, sorted(budgets), res, pack)
    return Plan(pack_id, region, as_of, run_id, budgets, source, actions, targets, solution, staffing)
