"""The report's words, generated from the evaluation: 总体情况, 目标进展, 主要问题, 各乡镇整改要求, 数据质量.

Every sentence states figures read from the result frame; nothing is invented. Result text comes from
`describe` (one place: switches to wangdi.policy.formatting once the engine's formatter lands).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from wangdi.registry.schema import TABLE_MAP
from wangdi.reports.labels import outcome_zh


@dataclass
class Narrative:
    overall: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    townships: list[tuple[str, str]] = field(default_factory=list)  # (township name, 整改要求)
    quality: list[str] = field(default_factory=list)
    blanks: pl.DataFrame = field(default_factory=pl.DataFrame)  # 数据表, 字段, 应填, 未填, 未填比例


def describe(row: dict[str, Any]) -> str:
    """One verdict in words (the engine's message until wangdi.policy.formatting lands)."""
    return str(row.get("message") or "").strip() or outcome_zh(row.get("outcome"))


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "—"


def overall(region_name: str, as_of: date, n_inst: int, counts: dict[str, int], n_towns: int) -> list[str]:
    p, f, due, unk = (counts.get(k, 0) for k in ("pass", "fail", "not_yet_due", "unknown"))
    return [f"本次评估以 {as_of:%Y年%m月%d日} 为截至日期，覆盖{region_name}{n_towns}个乡镇（街道）的 {n_inst:,} 家医疗卫生机构。",
            f"机构层面规定共作出结论 {p + f + due + unk:,} 条：达标 {p:,} 条，未达标 {f:,} 条，未到期 {due:,} 条，"
            f"缺数据 {unk:,} 条；在已有结论的规定中达标率为 {_pct(p, p + f)}。",
            f"地区目标已达成 {counts.get('met', 0)} 项，未达成 {counts.get('not_met', 0)} 项。"]


def targets(own: pl.DataFrame) -> list[str]:
    out = []
    for r in own.to_dicts():
        out.append(f"{r['目标']}：{r['结论']}。{describe(r)}")
    return out or ["本地区没有地区层面的目标结论。"]


def problems(req: pl.DataFrame, labels: dict[str, str], names: dict[str, str], top: int = 8) -> list[str]:
    """The rules most institutions fail, with where they fail most (township names and counts)."""
    fails = req.filter(pl.col("outcome").is_in(["fail", "not_yet_due"]))
    if fails.is_empty():
        return ["本次评估未发现未达标的机构层面规定。"]
    applies = req.filter(pl.col("outcome") != "not_applicable").group_by("rule_id").len("n")
    by_rule = fails.group_by("rule_id").agg(pl.col("entity_code").n_unique().alias("k")).join(applies, on="rule_id") \
        .sort(["k", "rule_id"], descending=[True, False]).head(top)
    where = fails.group_by("rule_id", "township").agg(pl.col("entity_code").n_unique().alias("k")) \
        .sort(["rule_id", "k", "township"], descending=[False, True, False])
    out = []
    for i, r in enumerate(by_rule.to_dicts(), start=1):
        w = where.filter(pl.col("rule_id") == r["rule_id"]).head(3).to_dicts()
        spots = "、".join(f"{names.get(x['township'], x['township'])}（{x['k']} 家）" for x in w)
        out.append(f"（{i}）{labels.get(r['rule_id'], '规定')}：{r['k']:,} 家机构未达标或尚未达到，占适用机构的 "
                   f"{_pct(r['k'], r['n'])}，主要集中在{spots}。")
    return out


def townships(req: pl.DataFrame, labels: dict[str, str], names: dict[str, str]) -> list[tuple[str, str]]:
    out = []
    for town, part in req.sort("township").group_by("township", maintain_order=True):
        code = str(town[0])
        fails = part.filter(pl.col("outcome").is_in(["fail", "not_yet_due"]))
        unknown = part.filter(pl.col("outcome") == "unknown").height
        if fails.is_empty() and not unknown:
            out.append((names.get(code, code), "本期各项机构层面规定均已达标，请保持。"))
            continue
        top = fails.group_by("rule_id").agg(pl.col("entity_code").n_unique().alias("k")) \
            .sort(["k", "rule_id"], descending=[True, False]).head(4).to_dicts()
        items = "；".join(f"{labels.get(t['rule_id'], '规定')} {t['k']} 家" for t in top)
        text = (f"未达标或尚未达到 {fails.height:,} 条，涉及 {fails['entity_code'].n_unique():,} 家机构。"
                f"重点整改：{items}。" if fails.height else "")
        if unknown:
            text += f"另有 {unknown:,} 条结论因数据未填无法判断，请于下次上报前补齐。"
        out.append((names.get(code, code), text + "请对照附表逐项整改，并在下一评估期前报送整改情况。"))
    return out


def blanks(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Blank cells per field of the census tables (only fields with blanks)."""
    rows = []
    for name in ("institution", "staff", "equipment", "service"):
        df = tables.get(name)
        if df is None or df.is_empty():
            continue
        spec = TABLE_MAP[name]
        nulls = df.null_count().row(0, named=True)
        for f in spec.fields:
            if nulls.get(f.name):
                rows.append({"数据表": spec.zh, "字段": f.zh, "记录数": df.height, "未填": int(nulls[f.name]),
                             "未填比例": _pct(int(nulls[f.name]), df.height)})
    return pl.DataFrame(rows, schema={"数据表": pl.String, "字段": pl.String, "记录数": pl.Int64, "未填": pl.Int64,
                                      "未填比例": pl.String}).sort("未填", descending=True)


def stale(valid_from: pl.DataFrame, as_of: date, names: dict[str, str]) -> list[str]:
    """Institutions whose record was last changed before this period (the calendar year of `as_of`)."""
    start = date(as_of.year, 1, 1)
    old = valid_from.filter(pl.col("valid_from") < start)
    if old.is_empty():
        return [f"所有机构记录均在本期（{as_of.year} 年）内更新或确认。"]
    by_town = old.group_by("township").len("n").sort(["n", "township"], descending=[True, False]).head(6).to_dicts()
    spots = "、".join(f"{names.get(r['township'], r['township'])} {r['n']} 家" for r in by_town)
    return [f"{old.height:,} 家机构的登记记录在 {start:%Y年%m月%d日} 之前最后更新，本期未更新（{spots}）；"
            "请核实这些机构的数据是否仍然准确。"]
