"""Subsidy payment lists from a pack's entitlements: one line per person or institution and rule."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from wangdi import divisions
from wangdi.errors import WangdiError
from wangdi.policy import engine, expr, fields, formatting, runs
from wangdi.policy import pack as packs
from wangdi.policy.catalogue import SPEC_MAP
from wangdi.policy.pack import Pack, Rule
from wangdi.policy.results import Outcome
from wangdi.registry.schema import TABLE_MAP

if TYPE_CHECKING:
    import duckdb

STATUS_ZH = {"payable": "应发", "not_payable_duplicate": "不重复享受（未发）", "unknown": "缺少数据（待核实）"}


def _amount() -> pl.Expr:
    """The amount of a payable line (typed result column `amount`)."""
    return pl.when(pl.col("outcome") == Outcome.PAYABLE).then(pl.col("amount")).otherwise(0.0)


def _label(entity: str, name: str, rule_pack: Pack) -> str:
    for f in fields.declared(entity, rule_pack.derived):
        if f.name == name:
            return f.label
    table = TABLE_MAP.get(SPEC_MAP[entity].table)
    return table.field_map[name].zh if table and name in table.field_map else name


def _inputs(rule: Rule, p: Pack, as_of: date) -> list[str]:
    used: set[str] = set()
    for key in ("applies", "amount"):
        if rule.spec.get(key) is not None:
            used |= expr.compile_expr(str(rule.spec[key]), fields.fields_of(rule.entity, p.derived),
                                      lambda n: engine.param_sql(p.parameters[n], as_of), "", sorted(p.parameters)).fields
    return sorted(used)


def line_facts(con: duckdb.DuckDBPyConnection, p: Pack, lines: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Per line: months in post (people) and, for lines to be verified, the blank inputs by name."""
    frames = []
    for rule in [r for r in p.rules.values() if r.kind == "entitlement"]:
        names = _inputs(rule, p, as_of)
        blanks = ", ".join(f"CASE WHEN \"{n}\" IS NULL THEN {engine.q(_label(rule.entity, n, p))} END" for n in names)
        months = "months_in_post" if "months_in_post" in fields.field_types(rule.entity) else "NULL"
        codes = lines.filter(pl.col("rule_id") == rule.id).select("entity_code")
        if codes.is_empty():
            continue
        con.register("_codes", codes)
        frames.append(con.sql(f"""SELECT {engine.q(rule.id)} AS rule_id, e.entity_code, CAST({months} AS BIGINT) AS 在岗月数,
            array_to_string(list_filter([{blanks or 'NULL'}], lambda x: x IS NOT NULL), '、') AS 待核实项目
            FROM ent_{rule.entity} e JOIN _codes USING (entity_code)""").pl())
        con.unregister("_codes")
    empty = pl.DataFrame(schema={"rule_id": pl.String, "entity_code": pl.String, "在岗月数": pl.Int64, "待核实项目": pl.String})
    out: pl.DataFrame = pl.concat([empty, *frames], how="vertical_relaxed")
    return out


def payment_list(pack_id: str, region: str, year: int, url: str | None = None) -> tuple[str, pl.DataFrame, bool]:
    """Evaluate as of the year's end and return (run_id, lines, synthetic?)."""
    p = packs.load(pack_id)
    ents = [r for r in p.rules.values() if r.kind == "entitlement"]
    if not ents:
        raise WangdiError("no-entitlements", f"规则包 {pack_id} 没有补助（entitlement）规则", f"{pack_id} has no entitlements")
    as_of = date(year, 12, 31)
    data = runs.load_dataset(region, as_of, url)
    import duckdb

    con = duckdb.connect()
    run_id, res = runs.evaluate(pack_id, region, as_of, url, data=data, con=con)
    lines = formatting.with_text(res.filter(pl.col("kind") == "entitlement"), p.rules)
    facts = line_facts(con, p, lines, as_of)
    staff = data.tables["staff"].select(pl.col("staff_code").alias("entity_code"), pl.col("name").alias("名称"),
                                        pl.col("institution_code"))
    inst = data.tables["institution"]
    names = inst.select(pl.col("code").alias("institution_code"), pl.col("name").alias("所在机构"))
    people = staff.join(names, on="institution_code", how="left").drop("institution_code")
    orgs = inst.select(pl.col("code").alias("entity_code"), pl.col("name").alias("名称"), pl.col("name").alias("所在机构"))
    who = pl.concat([people, orgs])
    towns = divisions.reference().filter(pl.col("level") == 4).select(
        pl.col("code").alias("township"), pl.col("name").alias("乡镇（街道）"))
    meta = pl.DataFrame({"rule_id": [r.id for r in ents], "条款": [r.clause for r in ents],
                         "条款原文": [r.text for r in ents], "补助项目": [str(r.spec.get("label", r.summary)) for r in ents],
                         "期间": [str(r.spec.get("period", "year")) for r in ents]})
    out = lines.join(who, on="entity_code", how="left").join(meta, on="rule_id", how="left") \
        .join(facts, on=["rule_id", "entity_code"], how="left") \
        .with_columns(township=pl.col("region_code").str.slice(0, 9)).join(towns, on="township", how="left") \
        .with_columns(金额=_amount(),
                      状态=pl.col("outcome").replace_strict(STATUS_ZH, default=pl.col("outcome")),
                      年度=pl.lit(year)) \
        .select("township", "乡镇（街道）", pl.col("entity_code").alias("代码"), "名称", "所在机构", "补助项目", "年度",
                "在岗月数", "金额", "状态", "待核实项目", "条款", "条款原文", pl.col("message").alias("说明"), "rule_id") \
        .sort("township", "代码", "rule_id")
    synthetic = bool(data.tables["institution"]["synthetic"].fill_null(False).any())
    return run_id, out, synthetic


def totals_by_township(lines: pl.DataFrame) -> pl.DataFrame:
    return lines.group_by("township", "乡镇（街道）").agg(
        pl.col("金额").sum().alias("应发金额（元）"), (pl.col("状态") == "应发").sum().alias("应发笔数")).sort("township")


def write_payment_list(lines: pl.DataFrame, out: Path, title: str, synthetic: bool) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(out), {"strings_to_formulas": False, "strings_to_urls": False})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    money = wb.add_format({"num_format": "#,##0.00"})
    for sheet, df in (("发放清单", lines.drop("township")), ("按乡镇汇总", totals_by_township(lines))):
        ws = wb.add_worksheet(sheet)
        start = 0
        ws.write_string(0, 0, title)
        if synthetic:
            ws.write_string(1, 0, "注意：本清单基于合成数据（synthetic），仅供演示，不能用于实际发放。")
        start = 3
        for c, name in enumerate(df.columns):
            ws.write_string(start, c, name, head)
            ws.set_column(c, c, 40 if name in ("条款原文", "说明") else 14)
        for r, row in enumerate(df.iter_rows(), start=start + 1):
            for c, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, int | float):
                    ws.write_number(r, c, v, money if df.columns[c].startswith(("金额", "应发金额")) else None)
                else:
                    ws.write_string(r, c, str(v))
        ws.freeze_panes(start + 1, 0)
        ws.autofilter(start, 0, start + max(df.height, 1), len(df.columns) - 1)
    wb.close()
