"""What a supervision/evaluation report (督导评估报告) says, built once from an evaluation; renderers lay it out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl
import sqlalchemy as sa

from wangdi import divisions
from wangdi.policy import formatting, runs
from wangdi.policy import pack as packs
from wangdi.policy.formatting import OUTCOME_ZH
from wangdi.policy.results import Outcome
from wangdi.registry import store
from wangdi.registry.tables import result as result_t
from wangdi.registry.tables import run as run_t

SYNTHETIC_NOTE = "本报告所用数据为合成数据（synthetic），由 wangdi synth 生成，仅供演示，不反映任何地区的真实情况。"


@dataclass
class ReportData:
    pack_id: str
    title: str
    document: str
    region: str
    region_name: str
    as_of: date
    run_id: str
    synthetic: bool
    institutions: int
    headline: list[tuple[str, str]]
    targets: pl.DataFrame
    townships: pl.DataFrame
    gaps: pl.DataFrame
    subsidies: pl.DataFrame | None
    rules: pl.DataFrame
    quality: pl.DataFrame
    history: pl.DataFrame
    notes: list[str] = field(default_factory=list)


def _history(pack_id: str, region: str, url: str | None) -> pl.DataFrame:
    eng = store.init_db(url)
    q = sa.select(run_t.c.run_id, run_t.c.as_of, run_t.c.started_at, result_t.c.rule_id, result_t.c.entity_code,
                  result_t.c.observed).join(result_t, result_t.c.run_id == run_t.c.run_id).where(
        run_t.c.pack == pack_id, run_t.c.region_code == region, result_t.c.kind == "target",
        result_t.c.entity_code == region, result_t.c.unit == "share")
    with eng.connect() as conn:
        rows = conn.execute(q).all()
    df = pl.DataFrame([tuple(r) for r in rows], schema={"run_id": pl.String, "as_of": pl.Date, "started_at": pl.Datetime,
                                                         "rule_id": pl.String, "entity_code": pl.String,
                                                         "observed": pl.Float64}, orient="row")
    return df.with_columns(value=pl.col("observed"))  # a share, 0–1


def build(pack_id: str, region: str, as_of: date, url: str | None = None) -> ReportData:
    pack = packs.load(pack_id)
    data = runs.load_dataset(region, as_of, url)
    run_id, res = runs.evaluate(pack_id, region, as_of, url, data=data)
    inst = data.tables["institution"]
    synthetic = bool(inst["synthetic"].fill_null(False).any())
    names = dict(divisions.reference().filter(pl.col("code").str.starts_with(region[:4]) | (pl.col("code") == region[:2]))
                 .select("code", "name").iter_rows())
    names.update(dict(inst.select("code", "name").iter_rows()))
    labels = {r.id: str(r.spec.get("label", r.summary)) for r in pack.rules.values()}
    targets = formatting.with_text(res.filter(pl.col("kind") == "target"), pack.rules).with_columns(
        目标=pl.col("rule_id").replace_strict(labels, default=pl.col("rule_id")),
        地区=pl.col("entity_code").replace_strict(names, default=pl.col("entity_code")),
        结论=pl.col("outcome").replace_strict(OUTCOME_ZH, default=pl.col("outcome")),
        _own=pl.col("entity_code") != region,
    ).sort("_own", "rule_id", "entity_code").drop("_own")  # the region's own targets first
    req = res.filter(pl.col("kind") == "requirement").with_columns(township=pl.col("region_code").str.slice(0, 9))
    townships = req.group_by("township", "group").agg(
        (pl.col("outcome") == "pass").sum().alias("达标"), (pl.col("outcome") == "fail").sum().alias("未达标"),
        (pl.col("outcome") == "not_yet_due").sum().alias("未到期"), (pl.col("outcome") == "unknown").sum().alias("缺数据"),
    ).with_columns(乡镇=pl.col("township").replace_strict(names, default=pl.col("township"))).sort("township", "group")
    texts = {r.id: r.text for r in pack.rules.values()}
    gaps = formatting.with_text(req.filter(pl.col("outcome").is_in([Outcome.FAIL, Outcome.NOT_YET_DUE])),
                                pack.rules).with_columns(
        机构=pl.col("entity_code").replace_strict(names, default=pl.col("entity_code")),
        乡镇=pl.col("township").replace_strict(names, default=pl.col("township")),
        条款原文=pl.col("rule_id").replace_strict(texts, default=""),
        结论=pl.col("outcome").replace_strict(OUTCOME_ZH, default=pl.col("outcome"))).sort("township", "entity_code", "rule_id")
    subsidies = None
    ent = res.filter(pl.col("kind") == "entitlement")
    if ent.height:
        subsidies = ent.with_columns(township=pl.col("region_code").str.slice(0, 9)).group_by("township").agg(
            pl.col("amount").filter(pl.col("outcome") == Outcome.PAYABLE).sum().alias("应发金额（元）"),
            (pl.col("outcome") == "payable").sum().alias("应发笔数"),
        ).with_columns(乡镇=pl.col("township").replace_strict(names, default=pl.col("township"))).sort("township")
    rules = pl.DataFrame([{"规则": r.id, "类型": r.kind, "条款": r.clause, "条款原文": r.text, "摘要": r.summary,
                           "解读": str(r.spec.get("reading", ""))} for r in pack.rules.values()])
    quality = res.group_by("rule_id").agg((pl.col("outcome") == "unknown").sum().alias("缺数据"),
                                          pl.len().alias("结论数")).filter(pl.col("缺数据") > 0).sort("rule_id")
    counts = dict(res.group_by("outcome").len().iter_rows())
    headline = [("评估机构数", f"{inst.height:,}"),
                ("达标 / 未达标（机构层面规定）", f"{counts.get('pass', 0):,} / {counts.get('fail', 0):,}"),
                ("未到期", f"{counts.get('not_yet_due', 0):,}"),
                ("目标已达成 / 未达成", f"{counts.get('met', 0)} / {counts.get('not_met', 0)}"),
                ("缺少数据的结论", f"{counts.get('unknown', 0):,}")]
    notes = [f"规则包 {pack.id}（内容哈希 {pack.content_hash}），评估批次 {run_id}，数据版本 {data.data_version}。"]
    if synthetic:
        notes.append(SYNTHETIC_NOTE)
    return ReportData(pack.id, pack.title, str(pack.manifest.get("document_number") or "文号未载明"), region,
                      names.get(region, region), as_of, run_id, synthetic, inst.height, headline, targets, townships,
                      gaps, subsidies, rules, quality, _history(pack_id, region, url), notes)
