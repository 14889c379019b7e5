"""Write the census template and exports (xlsx workbook, CSV folder, Parquet folder), deterministically."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from wangdi.errors import WangdiError
from wangdi.exchange.readers import META_SHEET, SAFE_PREFIX, col_letter, needs_escape
from wangdi.registry.reference import CODE_LISTS
from wangdi.registry.schema import TABLES, Field, Table
from wangdi.registry.store import polars_schema

FIXED_TIME = datetime(2024, 1, 1)  # workbook properties: fixed so that exports are byte-identical
SYNTHETIC_NOTE = "本数据为合成数据（synthetic），由 wangdi synth 生成，仅供演示和测试，不是真实普查数据。"

EXAMPLES: dict[str, dict[str, Any]] = {
    "institution": {"code": "371521108001", "name": "阳谷县李台中心卫生院", "type_code": "中心卫生院",
                    "division_code": "371521108", "beds": 60, "floor_area_m2": 3200, "ownership": "公有"},
    "population": {"division_code": "371521108201", "year": 2025, "resident": 1250, "agricultural": 1100},
    "staff": {"staff_code": "P0001", "institution_code": "371521108001", "name": "张三", "gender": "男",
              "birth_date": "1980-05-01", "category": "卫生技术人员", "qualification": "执业医师",
              "practice_category": "临床", "registered_gp": "是", "title": "中级", "employment_mode": "编制"},
    "equipment": {"institution_code": "371521108001", "item": "DR", "count": 1, "functioning": 1},
    "service": {"institution_code": "371521108001", "service": "临床重点专科", "specialty": "康复科",
                "level": "市级"},
    "deployment": {"deployment_id": "D0001", "from_code": "371521000001", "to_code": "371521108001",
                   "title": "中级", "start_date": "2025-03-01", "end_date": "2025-08-31"},
    "training": {"training_id": "T0001", "staff_code": "P0001", "course": "中医适宜技术",
                 "start_date": "2025-04-01", "end_date": "2025-04-07", "hours": 40},
    "contract": {"institution_code": "371521108001", "year": 2025, "group": "重点人群", "contracted": 3200,
                 "eligible": 4000},
    "visit": {"visit_id": "V1", "institution_code": "371521108001", "residence_code": "371521108201",
              "visit_date": "2025-03-02", "kind": "门诊", "count": 12},
    "indicator_value": {"indicator": "drg_primary_groups", "division_code": "371521", "period": "2025", "value": 20,
                        "agency": "县医保局", "note": ""},
}


def _display(f: Field, df: pl.DataFrame) -> pl.Expr:
    """Column as users see it: Chinese labels for codes, 是/否 for booleans."""
    c = pl.col(f.name)
    if f.kind == "code" and f.code_list:
        return c.replace_strict(CODE_LISTS[f.code_list], default=c, return_dtype=pl.String)
    if f.kind == "bool":
        return pl.when(c).then(pl.lit("是")).when(~c).then(pl.lit("否"))
    return c


def display_frame(table: Table, df: pl.DataFrame) -> pl.DataFrame:
    return df.select([_display(f, df).alias(f.name) for f in table.fields])


def _meta_rows(meta: dict[str, str]) -> list[tuple[str, str]]:
    return [(f"meta:{k}", v) for k, v in sorted(meta.items())]


def write_xlsx(path: Path, frames: dict[str, pl.DataFrame], meta: dict[str, str], template: bool = False) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False})
    wb.set_properties({"created": FIXED_TIME, "author": "wangdi", "title": "wangdi 普查数据"})
    head = wb.add_format({"bold": True, "text_wrap": True, "bg_color": "#DDEBF7", "border": 1, "valign": "top"})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    info = wb.add_worksheet(META_SHEET)
    info.set_column(0, 0, 28)
    info.set_column(1, 1, 90)
    lines = [("wangdi 普查数据工作簿 census workbook", ""),
             ("填写说明", "每个工作表对应一张表；第一行为列标题（中文+英文键），请勿修改。编码字段请从下拉列表选择。"
              "日期可写 2024-07-18、2024/7/18 或 2024年7月18日。不要合并单元格。"),
             ("导入", "wangdi import 本文件.xlsx  （先校验，全部无误才写入；--dry-run 只校验）")]
    if meta.get("synthetic") == "true":
        lines.append(("合成数据", SYNTHETIC_NOTE))
    r = 0
    for a, b in lines + _meta_rows(meta):
        info.write_string(r, 0, a)
        info.write_string(r, 1, b)
        r += 1
    codes = wb.add_worksheet("代码表")
    code_ranges: dict[str, str] = {}
    for ci, (name, values) in enumerate(sorted(CODE_LISTS.items())):
        codes.write_string(0, ci, name)
        for ri, label in enumerate(values.values(), start=1):
            codes.write_string(ri, ci, label)
        code_ranges[name] = f"=代码表!${col_letter(ci)}$2:${col_letter(ci)}${len(values) + 1}"
    if template:
        r += 1
        info.write_string(r, 0, "示例行 example rows")
        r += 1
        for t in TABLES:
            info.write_string(r, 0, t.zh)
            info.write_string(r, 1, json.dumps(EXAMPLES[t.name], ensure_ascii=False))
            r += 1
    for t in TABLES:
        ws = wb.add_worksheet(t.zh)
        df = frames.get(t.name, pl.DataFrame(schema=polars_schema(t)))
        ws.freeze_panes(1, 0)
        ws.set_row(0, 32)
        for ci, f in enumerate(t.fields):
            ws.write_string(0, ci, f.header, head)
            ws.set_column(ci, ci, max(12, len(f.zh) * 2 + 2))
            if f.code_list:
                ws.data_validation(1, ci, 1_048_575, ci, {"validate": "list", "source": code_ranges[f.code_list],
                                                           "error_message": f"请从下拉列表选择{f.zh}"})
            elif f.kind == "bool":
                ws.data_validation(1, ci, 1_048_575, ci, {"validate": "list", "source": ["是", "否"]})
        shown = display_frame(t, df)
        for ri, row in enumerate(shown.iter_rows(), start=1):
            for ci, (f, v) in enumerate(zip(t.fields, row, strict=True)):
                if v is None:
                    continue
                if f.kind == "date":
                    ws.write_datetime(ri, ci, datetime(v.year, v.month, v.day), date_fmt)
                elif isinstance(v, int | float) and not isinstance(v, bool):
                    ws.write_number(ri, ci, v)
                else:
                    ws.write_string(ri, ci, str(v))
        ws.autofilter(0, 0, max(shown.height, 1), len(t.fields) - 1)
    wb.close()


def _csv_cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    s = str(v)
    return SAFE_PREFIX + s if needs_escape(s) else s


def write_csv_dir(path: Path, frames: dict[str, pl.DataFrame], meta: dict[str, str], encoding: str = "utf-8") -> None:
    path.mkdir(parents=True, exist_ok=True)
    for t in TABLES:
        df = display_frame(t, frames.get(t.name, pl.DataFrame(schema=polars_schema(t))))
        try:
            with (path / f"{t.name}.csv").open("w", encoding=encoding, newline="") as fh:
                w = csv.writer(fh, lineterminator="\n")
                w.writerow([f"{f.zh}({f.name})" for f in t.fields])
                for row in df.iter_rows():
                    w.writerow([_csv_cell(v) for v in row])
        except UnicodeEncodeError as exc:
            raise WangdiError("unencodable-text", f"{t.zh}表中有 {encoding} 编码无法表示的字符"
                              f"（{exc.object[exc.start:exc.end]!r}），请改用 --encoding gb18030 或 utf-8",
                              f"text cannot be encoded as {encoding}") from None
    (path / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, sort_keys=True, indent=1), encoding="utf-8")


def write_parquet_dir(path: Path, frames: dict[str, pl.DataFrame], meta: dict[str, str]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    for t in TABLES:
        df = frames.get(t.name)
        if df is not None:
            df.write_parquet(path / f"{t.name}.parquet", compression="zstd", statistics=False)
    (path / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, sort_keys=True, indent=1), encoding="utf-8")


def write_any(path: Path, frames: dict[str, pl.DataFrame], meta: dict[str, str], fmt: str | None = None,
              encoding: str = "utf-8") -> str:
    fmt = fmt or ("xlsx" if path.suffix.lower() == ".xlsx" else "parquet" if path.suffix == "" else "csv")
    if fmt == "xlsx":
        write_xlsx(path, frames, meta)
    elif fmt == "csv":
        write_csv_dir(path, frames, meta, encoding)
    else:
        write_parquet_dir(path, frames, meta)
    return fmt
