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
    absent: tuple[str, ...] = ()  # fields whose column the file does not have: stored values are kept


def _err(inc: Incoming, slug: str, zh: str, en: str, bad: pl.DataFrame, fld: str) -> list[ReportError]:
    vals = bad[fld].cast(pl.String).to_list() if fld in bad.columns else [None] * bad.height
    return [ReportError(slug, zh, en, inc.table.name, inc.sheet, row, inc.letters.get(fld, ""), fld, v)
            for row, v in zip(bad[ROW].to_list(), vals, strict=True)]


MIN_DATE, MAX_DATE = date(1900, 1, 1), date(2100, 12, 31)
MAX_EXACT = 2**53  # beyond this a number read through a float is no longer the number written
CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
_NUMBER = r"^[+-]?(\d+|\d{1,3}(,\d{3})+)?(\.\d+)?([eE][+-]?\d+)?$"  # 1,234.5 yes; 12,5 and 1,2,3 no
_TIME = r"^([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$"


def parse_dates(s: pl.Expr) -> pl.Expr:
    """Dates in any common form: 2024-07-18, 2024/7/18, 2024年7月18日, 2024.7.18, Excel serials; a time
    after the date must be a real time; only dates from 1900 to 2100 (anything else is a typo, not a date)."""
    txt = s.str.strip_chars()
    num = pl.when(txt.str.contains(r"^\d+(\.\d+)?$")).then(txt).cast(pl.Float64, strict=False)
    serial = pl.when(num.is_between(1, 2_958_465)).then(
        pl.lit(EXCEL_EPOCH) + pl.duration(days=num.floor().cast(pl.Int64)))
    day = txt.str.extract(r"^([^ T]+)", 1)
    clock = txt.str.extract(r"^[^ T]+[ T](.*)$", 1)
    clock_ok = clock.is_null() | clock.str.contains(_TIME)
    norm = day.str.replace_all(r"[年月/.]", "-").str.replace(r"[日号]$", "")
    d = pl.coalesce(norm.str.to_date("%Y-%m-%d", strict=False), serial.cast(pl.Date))
    return pl.when(clock_ok & d.is_between(pl.lit(MIN_DATE), pl.lit(MAX_DATE))).then(d)


def _number(txt: pl.Expr) -> pl.Expr:
    """A finite number written plainly (thousands separators only in groups of three), else null."""
    num = pl.when(txt.str.contains(_NUMBER) & txt.str.contains(r"\d")).then(txt.str.replace_all(",", "")) \
        .cast(pl.Float64, strict=False)
    return pl.when(num.is_finite() & (num.abs() <= MAX_EXACT)).then(num)


def _cast(f: Field, col: pl.Expr) -> pl.Expr:
    txt = col.str.strip_chars()
    txt = pl.when(txt == "").then(None).otherwise(txt)
    if f.kind == "int":
        num = _number(txt)
        exact = pl.when(txt.str.contains(_NUMBER) & ~txt.str.contains(r"[.eE]")) \
            .then(txt.str.replace_all(",", "")).cast(pl.Int64, strict=False)
        exact = pl.when(exact.abs() <= MAX_EXACT).then(exact)
        return pl.when(txt.str.contains(r"[.eE]")).then(
            pl.when(num == num.floor()).then(num).cast(pl.Int64, strict=False)).otherwise(exact)
    if f.kind == "float":
        return _number(txt)
    if f.kind == "bool":
        return pl.when(txt.is_in(list(TRUE))).then(True).when(txt.is_in(list(FALSE))).then(False) \
            .otherwise(None).cast(pl.Boolean)
    if f.kind == "date":
        return parse_dates(txt)
    if f.kind == "code" and f.code_list:
        return txt.replace_strict(label_lookup(f.code_list), default=None, return_dtype=pl.String)
    return txt


TYPE_ZH = {"int": "整数（不超过 2^53，千位分隔符只能三位一组，如 1,234）",
           "float": "有限的数字（千位分隔符只能三位一组，如 1,234.5）", "bool": "是/否",
           "date": "1900—2100 年间的日期（如 2024-07-18）", "code": "下拉列表中的值"}


def _keep_stored(inc: Incoming, typed: pl.DataFrame, stored: pl.DataFrame | None) -> pl.DataFrame:
    """Columns the file does not have keep the stored values of existing records (new records: blank)."""
    absent = [c for c in inc.absent if c not in inc.table.key]
    if stored is None or not absent:
        return typed
    keys = list(inc.table.key)
    old = stored.select([*keys, *absent]).rename({c: f"{c}__stored" for c in absent})
    j = typed.join(old, on=keys, how="left", nulls_equal=True, maintain_order="left")
    return j.with_columns([pl.col(f"{c}__stored").alias(c) for c in absent]).drop([f"{c}__stored" for c in absent])


def parse(inc: Incoming, report: Report, stored: pl.DataFrame | None = None) -> pl.DataFrame:
    """Typed frame for `inc`; type, required, range and division errors go into `report`.

    `stored`: the table's current rows, whose values fill the columns the file lacks (inc.absent)."""
    raw = inc.frame
    typed = raw.select(ROW, *[_cast(f, pl.col(f.name)).alias(f.name) for f in inc.table.fields])
    typed = _keep_stored(inc, typed, stored)
    for f in inc.table.fields:
        control = raw.filter(raw[f.name].fill_null("").str.contains(CONTROL))
        if control.height:
            report.extend(_err(inc, "control-character", "含有不可见的控制字符，请删除后重试",
                               "value contains control characters", control, f.name))
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
    parsed = {inc.table.name: (inc, parse(inc, report, snapshot(conn, inc.table.name)
                                         if conn is not None and inc.absent else None)) for inc in incoming}
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
