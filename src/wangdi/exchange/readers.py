"""Read a census workbook, a folder of CSV files (UTF-8 / GBK / GB18030) or Parquet into Incoming tables.

Every cell becomes text here; typing and checking happen in registry.validate, column-wise.
"""

from __future__ import annotations

import json
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from wangdi.registry.report import Report, ReportError
from wangdi.registry.schema import TABLES, Table
from wangdi.registry.validate import ROW, Incoming

META_SHEET = "说明"
SAFE_PREFIX = "'"
_INJECTION = ("=", "+", "-", "@")


def sheet_to_table() -> dict[str, Table]:
    out: dict[str, Table] = {}
    for t in TABLES:
        out[t.zh] = t
        out[t.name] = t
        out[f"{t.zh}_{t.name}"] = t
    return out


def header_to_field(table: Table, header: str) -> str | None:
    """'机构代码\\ncode', '机构代码(code)', 'code' or '机构代码' → 'code'."""
    h = str(header).strip()
    m = re.search(r"([a-z][a-z0-9_]*)\)?\s*$", h)
    if m and m.group(1) in table.field_map:
        return m.group(1)
    for f in table.fields:
        if h == f.zh:
            return f.name
    return None


def needs_escape(text: str) -> bool:
    """CSV cells that a spreadsheet could run as a formula ('=…', '+…', '-…', '@…', or such with quotes)."""
    return text.lstrip(SAFE_PREFIX)[:1] in _INJECTION and text.lstrip(SAFE_PREFIX) != ""


def unescape(text: str | None) -> str | None:
    """Undo the CSV export's protection against formula injection: one leading quote is removed."""
    if text and text.startswith(SAFE_PREFIX) and needs_escape(text):
        return text[1:]
    return text


def col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _cell_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)
    return str(v)


def _to_incoming(table: Table, sheet: str, header: list[Any], rows: list[list[str | None]],
                 first_row: int, report: Report, escaped: bool = False) -> Incoming | None:
    fields: dict[int, str] = {}
    for i, h in enumerate(header):
        if h is None or str(h).strip() == "":
            continue
        name = header_to_field(table, str(h))
        if name is None:
            report.add(ReportError("unknown-column", f"无法识别的列标题“{h}”，请使用模板中的列标题",
                                   f"unknown column header {h!r}", table.name, sheet, first_row - 1,
                                   col_letter(i), "", str(h)))
        elif name in fields.values():
            report.add(ReportError("duplicate-column", f"列“{h}”重复", f"duplicate column {h!r}",
                                   table.name, sheet, first_row - 1, col_letter(i), name, str(h)))
        else:
            fields[i] = name
    for f in table.fields:
        if f.required and f.name not in fields.values():
            report.add(ReportError("missing-column", f"缺少必填列“{f.zh}”({f.name})",
                                   f"required column {f.name} is missing", table.name, sheet, first_row - 1,
                                   "", f.name))
    letters = {name: col_letter(i) for i, name in fields.items()}
    data: dict[str, list[str | None]] = {f.name: [] for f in table.fields}
    row_numbers: list[int] = []
    width = len(header)
    for n, r in enumerate(rows):
        if all(v is None or str(v).strip() == "" for v in r):
            continue
        row_numbers.append(first_row + n)
        extra = [i for i in range(len(r)) if (i >= width or (i not in fields and _blank(header[i])))
                 and not _blank(r[i])]
        if extra:
            report.add(ReportError("extra-cells", "该行在没有列标题的列中有值（多出的单元格），请删除或补上列标题",
                                   "cells beyond the header row's columns", table.name, sheet, first_row + n,
                                   col_letter(extra[0]), "", str(r[extra[0]])[:100]))
        for f in table.fields:
            data[f.name].append(None)
        for i, name in fields.items():
            value = r[i] if i < len(r) else None
            data[name][-1] = unescape(value) if escaped else value
    frame = pl.DataFrame(data, schema={f.name: pl.String for f in table.fields}).with_columns(
        pl.Series(ROW, row_numbers, dtype=pl.Int64))
    absent = tuple(f.name for f in table.fields if f.name not in letters)
    return Incoming(table, frame, sheet, letters, absent)


def _blank(v: Any) -> bool:
    return v is None or str(v).strip() == ""


def _sheet_errors(titles: list[str], report: Report, source: str) -> dict[str, Table]:
    """The tables the sheets (or files) stand for; unknown and duplicated ones are errors, never skipped."""
    mapping = sheet_to_table()
    seen: dict[str, str] = {}
    out: dict[str, Table] = {}
    for title in titles:
        table = mapping.get(title.strip())
        if table is None:
            report.add(ReportError("unknown-sheet", f"无法识别的{source}“{title}”：名称应为模板中的表名"
                                   f"（{'、'.join(t.zh for t in TABLES)}），改过名的请改回；其他内容请另存",
                                   f"unknown {source} {title!r}", sheet=title))
        elif table.name in seen:
            report.add(ReportError("duplicate-sheet", f"“{title}”与“{seen[table.name]}”是同一张表（{table.zh}），"
                                   "请合并为一个", f"{title!r} and {seen[table.name]!r} are the same table",
                                   table.name, title))
        else:
            seen[table.name] = title
            out[title] = table
    return out


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet XML holds a formula element (a quick scan before reading cell by cell)."""
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with z.open(name) as fh:
                    tail = b""
                    while chunk := fh.read(1 << 20):
                        if re.search(rb"<(\w+:)?f[ >/]", tail + chunk):
                            return True
                        tail = chunk[-16:]
    return False


def _formula_cells(path: Path, titles: set[str]) -> dict[str, list[str]]:
    """Cells holding a formula, per sheet (their cached values are what data_only reads)."""
    import openpyxl

    if not _has_formulas(path):
        return {}
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    out: dict[str, list[str]] = {}
    for ws in wb.worksheets:
        if ws.title in titles:
            out[ws.title] = [c.coordinate for row in ws.iter_rows() for c in row
                             if getattr(c, "data_type", "") == "f"]
    wb.close()
    return out


def read_xlsx(path: Path, report: Report) -> tuple[list[Incoming], dict[str, str]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        report.add(ReportError("unreadable-file", "无法打开工作簿：文件已损坏、被加密（设置了密码）或不是 xlsx 格式。"
                               "请去掉密码并另存为 .xlsx 后重试", f"cannot open workbook: {exc}", sheet=path.name))
        return [], {}
    out: list[Incoming] = []
    meta: dict[str, str] = {}
    tables = _sheet_errors([ws.title for ws in wb.worksheets if ws.title not in (META_SHEET, "代码表")], report,
                           "工作表")
    formulas = _formula_cells(path, set(tables))
    for title, cells in formulas.items():
        ws = wb[title]
        for ref in cells:
            if ws[ref].value is None:
                report.add(ReportError("formula-without-value", "单元格是公式但没有计算结果（文件未在 Excel 中保存过），"
                                       "请在 Excel 中打开并保存，或改填数值", "formula cell without a cached value",
                                       tables[title].name, title, ws[ref].row, ws[ref].column_letter))
    for ws in wb.worksheets:
        if ws.title == META_SHEET:
            for r in ws.iter_rows(values_only=True):
                if len(r) >= 2 and isinstance(r[0], str) and r[0].startswith("meta:"):
                    meta[r[0][5:]] = _cell_text(r[1]) or ""
            continue
        table = tables.get(ws.title)
        if table is None:
            continue
        if ws.merged_cells.ranges:
            merged = ", ".join(str(m) for m in list(ws.merged_cells.ranges)[:5])
            report.add(ReportError("merged-cells", f"工作表含合并单元格（{merged}），请取消合并后每格填一个值",
                                   "sheet has merged cells; unmerge them", table.name, ws.title))
            continue
        values = [[_cell_text(v) for v in r] for r in ws.iter_rows(values_only=True)]
        if not values:
            continue
        inc = _to_incoming(table, ws.title, values[0], values[1:], 2, report)
        if inc is not None:
            out.append(inc)
    return out, meta


def _decode(raw: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("gb18030", raw, 0, 1, "not UTF-8, GBK or GB18030")


def read_csv_dir(path: Path, report: Report) -> tuple[list[Incoming], dict[str, str]]:
    import csv
    import io

    files = [path] if path.is_file() else sorted(path.glob("*.csv"))
    tables = _sheet_errors([f.stem for f in files], report, "文件")
    out: list[Incoming] = []
    for f in files:
        table = tables.get(f.stem)
        if table is None:
            continue
        try:
            text = _decode(f.read_bytes())
        except UnicodeDecodeError:
            report.add(ReportError("bad-encoding", "无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV",
                                   "file is not UTF-8, GBK or GB18030", table.name, f.name))
            continue
        rows = list(csv.reader(io.StringIO(text)))
        if not rows:
            continue
        body = [[c if c != "" else None for c in r] for r in rows[1:]]
        inc = _to_incoming(table, f.name, list(rows[0]), body, 2, report, escaped=True)
        if inc is not None:
            out.append(inc)
    return out, _read_meta(path)


def read_parquet_dir(path: Path, report: Report) -> tuple[list[Incoming], dict[str, str]]:
    files = [path] if path.is_file() else sorted(path.glob("*.parquet"))
    tables = _sheet_errors([f.stem for f in files], report, "文件")
    out: list[Incoming] = []
    for f in files:
        table = tables.get(f.stem)
        if table is None:
            continue
        df = pl.read_parquet(f)
        exprs = []
        for c in df.columns:
            dt = df.schema[c]
            e = pl.col(c)
            if dt == pl.Boolean:
                e = pl.when(e).then(pl.lit("是")).when(~e).then(pl.lit("否"))
            exprs.append(e.cast(pl.String).alias(c))
        text = df.select(exprs)
        missing = [fl.name for fl in table.fields if fl.name not in text.columns]
        text = text.with_columns([pl.lit(None, pl.String).alias(m) for m in missing])
        for fl in table.fields:
            if fl.required and fl.name in missing:
                report.add(ReportError("missing-column", f"缺少必填列“{fl.zh}”({fl.name})",
                                       f"required column {fl.name} is missing", table.name, f.name, field=fl.name))
        frame = text.select([fl.name for fl in table.fields]).with_columns(
            pl.int_range(2, text.height + 2, dtype=pl.Int64).alias(ROW))
        out.append(Incoming(table, frame, f.name, {}, tuple(missing)))
    return out, _read_meta(path)


def _read_meta(path: Path) -> dict[str, str]:
    meta = (path if path.is_dir() else path.parent) / "meta.json"
    if meta.exists():
        return {str(k): str(v) for k, v in json.loads(meta.read_text(encoding="utf-8")).items()}
    return {}


def read_any(path: Path, report: Report) -> tuple[list[Incoming], dict[str, str]]:
    """Dispatch on what `path` is. Errors reading it go into `report`."""
    if not path.exists():
        report.add(ReportError("file-not-found", f"找不到文件或文件夹：{path}", f"no such file: {path}"))
        return [], {}
    if path.is_file() and path.stat().st_size == 0:
        report.add(ReportError("empty-file", "文件为空", "the file is empty", sheet=path.name))
        return [], {}
    suffix = path.suffix.lower()
    if path.is_dir():
        if any(path.glob("*.parquet")):
            return read_parquet_dir(path, report)
        return read_csv_dir(path, report)
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, report)
    if suffix == ".csv":
        return read_csv_dir(path, report)
    if suffix == ".parquet":
        return read_parquet_dir(path, report)
    report.add(ReportError("unsupported-format", "不支持的文件格式：请使用 .xlsx 工作簿、CSV 文件夹或 Parquet",
                           f"unsupported format {suffix!r}", sheet=path.name))
    return [], {}
