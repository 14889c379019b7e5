"""Subsidy payment lists from a pack's entitlements: one line per person or institution and rule, laid out
as finance pays them — city → county → township → institution → person, subtotals per township and county,
a grand total, empty 身份证号 / 银行账号 columns for the finance office, and a 制表 / 审核 / 日期 block."""

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

STATUS_ZH = {"payable": "应发", "not_payable_duplicate": "不重复享受（未发）", "unknown": "缺少数据（待核实）",
             "not_applicable": "不适用（未发）"}
COLUMNS = ["序号", "县（市、区）", "乡镇（街道）", "机构", "姓名（对象）", "补助项目", "发放期间", "月数", "金额（元）",
           "身份证号", "银行账号", "状态", "未发原因", "条款", "条款原文"]
MONEY = "金额（元）"


def _reason_expr() -> pl.Expr:
    """Why a line is not paid, in words (column-wise; empty for a payable line)."""
    outcome = pl.col("outcome")
    return (pl.when(outcome == Outcome.PAYABLE).then(pl.lit(""))
            .when((outcome == Outcome.NOT_PAYABLE_DUPLICATE) & pl.col("_paid_as").is_not_null())
            .then(pl.format("不重复享受：已按“{}”发放", pl.col("_paid_as")))
            .when(outcome == Outcome.NOT_PAYABLE_DUPLICATE).then(pl.lit("不重复享受同类补助"))
            .when((outcome == Outcome.UNKNOWN) & (pl.col("待核实项目").fill_null("") != ""))
            .then(pl.format("缺少数据（{}），待核实后补发", pl.col("待核实项目")))
            .when(outcome == Outcome.UNKNOWN).then(pl.lit("缺少计算所需数据，待核实后补发"))
            .otherwise(pl.coalesce(pl.col("message"), pl.col("outcome").replace_strict(STATUS_ZH, default="未发"))))


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
    orgs = inst.select(pl.col("code").alias("entity_code"), pl.lit("（本机构）").alias("名称"), pl.col("name").alias("所在机构"))
    who = pl.concat([people, orgs])
    ref = divisions.reference().select("code", "name")
    towns = ref.rename({"code": "township", "name": "乡镇（街道）"})
    counties = ref.rename({"code": "county", "name": "县（市、区）"})
    meta = pl.DataFrame({"rule_id": [r.id for r in ents], "条款": [r.clause for r in ents],
                         "条款原文": [r.text for r in ents], "补助项目": [str(r.spec.get("label", r.summary)) for r in ents],
                         "no_double": [str(r.spec.get("no_double") or "") for r in ents],
                         "期间": [str(r.spec.get("period", "year")) for r in ents]})
    out = lines.join(who, on="entity_code", how="left").join(meta, on="rule_id", how="left") \
        .join(facts, on=["rule_id", "entity_code"], how="left") \
        .with_columns(township=pl.col("region_code").str.slice(0, 9), county=pl.col("region_code").str.slice(0, 6)) \
        .join(towns, on="township", how="left").join(counties, on="county", how="left")
    paid_as = out.filter((pl.col("outcome") == "payable") & (pl.col("no_double") != "")).select(
        "entity_code", "no_double", pl.col("补助项目").alias("_paid_as")).unique(["entity_code", "no_double"])
    out = out.join(paid_as, on=["entity_code", "no_double"], how="left")
    out = out.with_columns(
        金额=_amount(),
        状态=pl.col("outcome").replace_strict(STATUS_ZH, default="未发"),
        未发原因=_reason_expr(),
        发放期间=pl.when(pl.col("期间") == "year").then(pl.lit(f"{year}年全年")).otherwise(pl.lit(f"{year}年")),
        月数=pl.col("在岗月数"), 年度=pl.lit(year)) \
        .select("county", "township", "县（市、区）", "乡镇（街道）", pl.col("entity_code").alias("代码"), "名称", "所在机构",
                "补助项目", "年度", "发放期间", "月数", "金额", "状态", "未发原因", "待核实项目", "条款", "条款原文",
                pl.col("message").alias("说明"), "rule_id") \
        .sort("county", "township", "所在机构", "代码", "rule_id")
    synthetic = bool(data.tables["institution"]["synthetic"].fill_null(False).any())
    return run_id, out, synthetic


def totals_by_township(lines: pl.DataFrame) -> pl.DataFrame:
    return lines.group_by("county", "县（市、区）", "township", "乡镇（街道）").agg(
        pl.col("金额").sum().alias("应发金额（元）"), (pl.col("状态") == "应发").sum().alias("应发笔数")).sort("township")


def title_for(region: str, year: int) -> str:
    """'赣州市 补助发放清单（2025年度）': the region by name."""
    return f"{divisions.get(region)['name']} 补助发放清单（{year}年度）"


def rows_with_totals(lines: pl.DataFrame, region_name: str) -> list[tuple[str, list[object]]]:
    """The list as (kind, cells): 'line' rows, then a '小计' per township, '合计' per county and a final '总计'."""
    out: list[tuple[str, list[object]]] = []
    n = 0
    for (county, county_name), c_part in lines.group_by("county", "县（市、区）", maintain_order=True):
        for (_t, town_name), t_part in c_part.group_by("township", "乡镇（街道）", maintain_order=True):
            for r in t_part.iter_rows(named=True):
                n += 1
                out.append(("line", [n, r["县（市、区）"], r["乡镇（街道）"], r["所在机构"], r["名称"], r["补助项目"],
                                     r["发放期间"], r["月数"], float(r["金额"] or 0), "", "", r["状态"], r["未发原因"],
                                     r["条款"], r["条款原文"]]))
            out.append(("township", ["", county_name, f"{town_name} 小计", "", "", f"应发 {(t_part['状态'] == '应发').sum()} 笔",
                                     "", "", float(t_part["金额"].sum()), "", "", "", "", "", ""]))
        out.append(("county", ["", f"{county_name or county} 合计", "", "", "", f"应发 {(c_part['状态'] == '应发').sum()} 笔",
                               "", "", float(c_part["金额"].sum()), "", "", "", "", "", ""]))
    out.append(("total", ["", f"{region_name} 总计", "", "", "", f"应发 {(lines['状态'] == '应发').sum()} 笔", "", "",
                          float(lines["金额"].sum()), "", "", "", "", "", ""]))
    return out


def write_payment_list(lines: pl.DataFrame, out: Path, title: str, synthetic: bool, subtitle: str = "",
                       region_name: str = "") -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(out), {"strings_to_formulas": False, "strings_to_urls": False})
    big = wb.add_format({"bold": True, "font_size": 16, "align": "center"})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "align": "center"})
    fmt = {"line": wb.add_format({"border": 1, "text_wrap": True, "valign": "top"}),
           "township": wb.add_format({"border": 1, "bold": True, "bg_color": "#F2F2F2"}),
           "county": wb.add_format({"border": 1, "bold": True, "bg_color": "#E2EFDA"}),
           "total": wb.add_format({"border": 1, "bold": True, "bg_color": "#FCE4D6"})}
    money = {k: wb.add_format({**{"border": 1, "num_format": "#,##0.00"}, **({"bold": True} if k != "line" else {})})
             for k in fmt}
    ws = wb.add_worksheet("发放清单")
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.merge_range(0, 0, 0, len(COLUMNS) - 1, title, big)
    ws.write_string(1, 0, subtitle)
    if synthetic:
        ws.write_string(2, 0, "注意：本清单基于合成数据（synthetic），仅供演示，不能用于实际发放。")
    start = 4
    widths = {"条款原文": 40, "未发原因": 24, "机构": 22, "补助项目": 22, "姓名（对象）": 12, "身份证号": 20, "银行账号": 22}
    for c, name in enumerate(COLUMNS):
        ws.write_string(start, c, name, head)
        ws.set_column(c, c, widths.get(name, 12))
    r = start
    for r, (kind, cells) in enumerate(rows_with_totals(lines, region_name or title.split(" ")[0]), start=start + 1):
        for c, v in enumerate(cells):
            if COLUMNS[c] == MONEY:
                ws.write_number(r, c, float(v), money[kind])  # type: ignore[arg-type]
            elif isinstance(v, int | float) and not isinstance(v, bool):
                ws.write_number(r, c, v, fmt[kind])
            else:
                ws.write_string(r, c, "" if v is None else str(v), fmt[kind])
    ws.repeat_rows(start)
    ws.freeze_panes(start + 1, 0)
    sign = r + 2
    ws.write_string(sign, 0, "制表人：", None)
    ws.write_string(sign, 4, "审核人：", None)
    ws.write_string(sign, 8, "日期：　　　　年　　月　　日", None)
    ws.write_string(sign + 1, 0, "身份证号、银行账号由财务部门核对填写；本系统不保存也不生成这些信息。")
    _township_sheet(wb, head, totals_by_township(lines))
    wb.close()


def _township_sheet(wb: object, head: object, totals: pl.DataFrame) -> None:
    ws = wb.add_worksheet("按乡镇汇总")  # type: ignore[attr-defined]
    cols = ["县（市、区）", "乡镇（街道）", "应发笔数", "应发金额（元）"]
    for c, name in enumerate(cols):
        ws.write_string(0, c, name, head)
        ws.set_column(c, c, 18)
    for r, row in enumerate(totals.select(cols).iter_rows(), start=1):
        for c, v in enumerate(row):
            ws.write(r, c, v)
