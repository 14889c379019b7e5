"""Column-wise validation of incoming census tables (all cells as text) into typed frames.

Every check is a Polars expression over a whole column; errors come back as ReportErrors with the
sheet, row, column letter, field and bad value. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl
import sqlalchemy as sa

from wangdi import divisions
from wangdi.registry.reference import label_lookup
from wangdi.registry.report import Report, ReportError
from wangdi.registry.schema import TABLE_MAP, TABLES, Field, Table
from wangdi.registry.store import snapshot

TRUE = {"是", "true", "True", "TRUE", "1", "Y", "y", "yes", "有", "√"}
FALSE = {"否", "false", "False", "FALSE", "0", "N", "n", "no", "无", "×"}
EXCEL_EPOCH = date(1899, 12, 30)
ROW = "_row"


@dataclass
class Incoming:
    """A table as read from a file: text cells, the source row of each record, column letters."""

    table: Table
    frame: pl.DataFrame  # all String columns named by field, plus _row (Int64)
    sheet: str
    letters: dict[str, str]  # field -> column letter ("" for CSV without letters)


def _err(inc: Incoming, slug: str, zh: str, en: str, bad: pl.DataFrame, fld: str) -> list[ReportError]:
    vals = bad[fld].cast(pl.String).to_list() if fld in bad.columns else [None] * bad.height
    return [ReportError(slug, zh, en, inc.table.name, inc.sheet, row, inc.letters.get(fld, ""), fld, v)
            for row, v in zip(bad[ROW].to_list(), vals, strict=True)]


def parse_dates(s: pl.Expr) -> pl.Expr:
    """Dates in any common form: 2024-07-18, 2024/7/18, 2024年7月18日, 2024.7.18, Excel serials."""
    txt = s.str.strip_chars()
    num = txt.cast(pl.Float64, strict=False)
    serial = pl.when(num.is_between(1, 2_958_465)).then(
        pl.lit(EXCEL_EPOCH) + pl.duration(days=num.floor().cast(pl.Int64)))
    norm = txt.str.replace(r"[ T].*$", "").str.replace_all(r"[年月/.]", "-").str.replace(r"[日号]$", "")
    return pl.coalesce(norm.str.to_date("%Y-%m-%d", strict=False), serial.cast(pl.Date))


def _cast(f: Field, col: pl.Expr) -> pl.Expr:
    txt = col.str.strip_chars()
    txt = pl.when(txt == "").then(None).otherwise(txt)
    if f.kind == "int":
        num = txt.str.replace_all(",", "").cast(pl.Float64, strict=False)
        return pl.when(num == num.floor()).then(num).cast(pl.Int64, strict=False)
    if f.kind == "float":
        return txt.str.replace_all(",", "").cast(pl.Float64, strict=False)
    if f.kind == "bool":
        return pl.when(txt.is_in(list(TRUE))).then(True).when(txt.is_in(list(FALSE))).then(False) \
            .otherwise(None).cast(pl.Boolean)
    if f.kind == "date":
        return parse_dates(txt)
    if f.kind == "code" and f.code_list:
        return txt.replace_strict(label_lookup(f.code_list), default=None, return_dtype=pl.String)
    return txt


TYPE_ZH = {"int": "整数", "float": "数字", "bool": "是/否", "date": "日期（如 2024-07-18）", "code": "下拉列表中的值"}


def parse(inc: Incoming, report: Report) -> pl.DataFrame:
    """Typed frame for `inc`; type, required, range and division errors go into `report`."""
    raw = inc.frame
    typed = raw.select(ROW, *[_cast(f, pl.col(f.name)).alias(f.name) for f in inc.table.fields])
    for f in inc.table.fields:
        given = raw[f.name].str.strip_chars().fill_null("") != ""
        bad_type = raw.filter(given & typed[f.name].is_null())
        if bad_type.height:
            report.extend(_err(inc, "type-error", f"应为{TYPE_ZH.get(f.kind, '文本')}",
                               f"expected {f.kind}" + (f" from list {f.code_list}" if f.code_list else ""),
                               bad_type, f.name))
        column_absent = bool(inc.letters) and f.name not in inc.letters  # reported once as missing-column
        if f.required and not column_absent:
            missing = raw.filter(~given)
            report.extend(_err(inc, "missing-value", f"必填字段“{f.zh}”为空", f"required field {f.name} is empty",
                               missing, f.name))
        if f.min is not None:
            below = typed.filter(pl.col(f.name) < f.min)
            report.extend(_err(inc, "below-minimum", f"“{f.zh}”不能小于 {f.min:g}",
                               f"{f.name} must be ≥ {f.min:g}", below, f.name))
        if f.max is not None:
            above = typed.filter(pl.col(f.name) > f.max)
            report.extend(_err(inc, "above-maximum", f"“{f.zh}”不能大于 {f.max:g}",
                               f"{f.name} must be ≤ {f.max:g}", above, f.name))
        if f.kind == "division":
            _check_divisions(inc, typed, f, report)
    _check_rules(inc, typed, report)
    keys = list(inc.table.key)
    dup = typed.filter(pl.struct(keys).is_duplicated() & pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
    report.extend(_err(inc, "duplicate-key", "记录重复：" + "+".join(inc.table.field_map[k].zh for k in keys)
                       + " 相同", "duplicate key " + "+".join(keys), dup, keys[0]))
    return typed.with_columns([pl.col(k).fill_null("") for k in keys
                               if inc.table.field_map[k].kind == "str" and not inc.table.field_map[k].required])


def _check_divisions(inc: Incoming, typed: pl.DataFrame, f: Field, report: Report) -> None:
    codes = divisions.reference().select(pl.col("code").alias(f.name), "level")
    j = typed.filter(pl.col(f.name).is_not_null()).join(codes, on=f.name, how="left")
    unknown = j.filter(pl.col("level").is_null())
    report.extend(_err(inc, "unknown-division", "未知区划代码（应为国家统计局 12 位或 9/6 位统计用区划代码）",
                       "unknown division code", unknown, f.name))
    if f.levels:
        wrong = j.filter(pl.col("level").is_not_null() & ~pl.col("level").is_in(list(f.levels)))
        allowed = "、".join(divisions.LEVEL_ZH[lv] for lv in f.levels)
        report.extend(_err(inc, "wrong-division-level", f"区划级别不符：应为{allowed}代码",
                           f"division level must be one of {f.levels}", wrong, f.name))


def _check_rules(inc: Incoming, t: pl.DataFrame, report: Report) -> None:
    name = inc.table.name
    if name == "institution":
        bad = t.filter((pl.col("type_code") == "D600") & pl.col("manager_code").is_null())
        report.extend(_err(inc, "clinic-without-manager", "村卫生室必须填写管理机构（所属乡镇卫生院）代码",
                           "a village clinic needs its managing THC (manager_code)", bad, "manager_code"))
    if name == "staff":
        future = t.filter(pl.col("birth_date") > date.today())
        report.extend(_err(inc, "future-date", "出生日期不能晚于今天", "birth date is in the future",
                           future, "birth_date"))
    if "end_date" in t.columns and "start_date" in t.columns:
        bad = t.filter(pl.col("end_date") < pl.col("start_date"))
        report.extend(_err(inc, "end-before-start", "结束日期早于开始日期", "end date before start date",
                           bad, "end_date"))
    if name == "indicator_value":
        from wangdi.indicators.entity import check_rows

        for slug, zh, en, bad, fld in check_rows(t):
            report.extend(_err(inc, slug, zh, en, bad, fld))
    if name == "equipment":
        bad = t.filter(pl.col("functioning") > pl.col("count"))
        report.extend(_err(inc, "functioning-exceeds-count", "正常使用数量大于设备数量",
                           "functioning count exceeds count", bad, "functioning"))


def check_references(parsed: dict[str, tuple[Incoming, pl.DataFrame]], conn: sa.Connection | None,
                     report: Report) -> None:
    """Cross-table references: codes must exist in this import or in the registry."""
    known: dict[str, pl.Series] = {}
    for target, key in (("institution", "code"), ("staff", "staff_code")):
        parts = [parsed[target][1][key]] if target in parsed else []
        if conn is not None:
            parts.append(snapshot(conn, target)[key])
        known[target] = pl.concat(parts).unique() if parts else pl.Series(key, [], pl.String)
    for inc, typed in parsed.values():
        for f in inc.table.fields:
            if f.kind != "ref" or not f.ref:
                continue
            bad = typed.filter(pl.col(f.name).is_not_null() & ~pl.col(f.name).is_in(known[f.ref].implode()))
            what = "机构" if f.ref == "institution" else "人员"
            report.extend(_err(inc, "unknown-reference", f"引用的{what}代码不存在（既不在本次导入中，也不在库中）",
                               f"{f.name} refers to an unknown {f.ref}", bad, f.name))


def validate(incoming: list[Incoming], conn: sa.Connection | None) -> tuple[dict[str, pl.DataFrame], Report]:
    """Parse and check every table; return typed frames (without _row) and the report."""
    report = Report()
    parsed = {inc.table.name: (inc, parse(inc, report)) for inc in incoming}
    check_references(parsed, conn, report)
    frames = {name: typed.drop(ROW) for name, (_, typed) in parsed.items()}
    report.stats = {name: df.height for name, df in frames.items()}
    order = [t.name for t in TABLES]
    return dict(sorted(frames.items(), key=lambda kv: order.index(kv[0]))), report


def records_as_incoming(table: str, rows: list[dict[str, object]], sheet: str = "") -> Incoming:
    """Records (e.g. from a form or the API) as an Incoming table, every value as text."""
    spec = TABLE_MAP[table]

    def text(v: object) -> str | None:
        if v is None:
            return None
        if isinstance(v, bool):
            return "是" if v else "否"
        return v.isoformat() if isinstance(v, date) else str(v)

    data = {f.name: [text(r.get(f.name)) for r in rows] for f in spec.fields}
    frame = pl.DataFrame(data, schema={f.name: pl.String for f in spec.fields}).with_columns(
        pl.Series(ROW, list(range(1, len(rows) + 1)), dtype=pl.Int64))
    return Incoming(spec, frame, sheet or spec.zh, {})


__all__ = ["Incoming", "parse_dates", "records_as_incoming", "validate"]
