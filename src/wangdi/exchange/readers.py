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


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part name -> sheet title, from the workbook's own index."""
    try:
        book = z.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return {}
    targets = {m[0]: m[1] for m in re.findall(r'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)}
    targets.update({m[1]: m[0] for m in re.findall(r'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
    out = {}
    for name, rid in re.findall(r'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]+)"', book):
        target = targets.get(rid, "")
        out[target.lstrip("/") if target.startswith("/") else "xl/" + target] = name
    return out


def _scan_xlsx(path: Path, report: Report) -> dict[str, Any] | None:
    """Look at every worksheet's XML as a stream before reading a cell: refuse sheets that reach beyond the row
    or column limit (declared or real) and zip bombs. Returns whether any formula is present and each sheet's
    merged cells (None: refused)."""
    from wangdi import settings

    max_rows, max_cols = settings.max_sheet_rows(), settings.max_sheet_columns()
    row_re, cell_re = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="(\d+)"'), re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+)\d')
    formulas, refused = False, False
    merged: dict[str, list[str]] = {}
    with zipfile.ZipFile(path) as z:
        if sum(i.file_size for i in z.infolist()) > 40 * max_rows * max_cols + (1 << 28):
            report.add(ReportError("file-too-large", "工作簿解压后过大，已拒绝读取；请按乡镇拆分，或改用 CSV 文件夹",
                                   "workbook expands to too much data", sheet=path.name))
            return None
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                with z.open(name) as fh:
                    if re.search(rb"<!DOCTYPE|<!ENTITY", fh.read(1 << 16), re.IGNORECASE):
                        report.add(ReportError("unsafe-xml", f"工作簿的部件 {name} 含 DTD（<!DOCTYPE>/<!ENTITY>），"
                                               "出于安全原因拒绝读取；请在 Excel 中另存为 .xlsx 后重试",
                                               f"{name} has a DTD", sheet=f"{path.name}:{name}"))
                        return None
        titles = _sheet_parts(z)
        for name in z.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            sheet = titles.get(name, name)
            top_row, top_col, tail = 0, 0, b""
            with z.open(name) as fh:
                while chunk := fh.read(1 << 20):
                    block = tail + chunk
                    dim = re.search(rb'<(?:\w+:)?dimension\b[^>]*?ref="[A-Z]*\d*:?([A-Z]+)(\d+)"', block)
                    for col, row in ([dim.groups()] if dim else []):
                        top_col, top_row = max(top_col, column_index(col.decode())), max(top_row, int(row))
                    rows = row_re.findall(block)
                    top_row = max([top_row, *map(int, rows)])
                    top_col = max([top_col, *(column_index(c.decode()) for c in set(cell_re.findall(block)))])
                    formulas = formulas or re.search(rb"<(\w+:)?f[ >/]", block) is not None
                    merged.setdefault(sheet, []).extend(
                        m.decode() for m in re.findall(rb'<(?:\w+:)?mergeCell\b[^>]*?ref="([A-Z0-9:]+)"', chunk))
                    if top_row > max_rows or top_col > max_cols:
                        break
                    tail = chunk[-256:]
            if top_row > max_rows or top_col > max_cols:
                refused = True
                report.add(ReportError("sheet-too-large", f"工作表“{sheet}”达到第 {top_row} 行、第 {top_col} 列，超过上限"
                                       f"（{max_rows} 行、{max_cols} 列），未读取；请删除多余的行列或按乡镇拆分",
                                       "sheet beyond the row/column limit", sheet=sheet, row=top_row,
                                       column=col_letter(top_col - 1)))
    return None if refused else {"formulas": formulas, "merged": merged}


def column_index(letters: str) -> int:
    """'A' -> 1, 'Z' -> 26, 'AA' -> 27."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _formula_cells(path: Path, titles: set[str], present: bool) -> dict[str, list[tuple[int, int]]]:
    """Cells holding a formula, per sheet (their cached values are what data_only reads)."""
    import openpyxl

    if not present:
        return {}
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    out: dict[str, list[tuple[int, int]]] = {}
    for ws in wb.worksheets:
        if ws.title in titles:
            out[ws.title] = [(c.row, c.column) for row in ws.iter_rows() for c in row
                             if getattr(c, "data_type", "") == "f"]
    wb.close()
    return out


def read_xlsx(path: Path, report: Report) -> tuple[list[Incoming], dict[str, str]]:
    """A workbook's sheets; a damaged file (bad compression, a missing or hostile part, impossible dates) is a
    report naming the file and the part, never a crash."""
    import zlib

    try:
        return _read_xlsx(path, report)
    except (zipfile.BadZipFile, zlib.error, KeyError, OSError, ValueError, EOFError, TypeError, AttributeError,
            IndexError, OverflowError, SyntaxError) as exc:
        report.add(ReportError("unreadable-file", f"无法读取工作簿 {path.name}：文件已损坏或含不支持的内容"
                               f"（{type(exc).__name__}: {str(exc)[:120]}）。请在 Excel 中打开并另存为 .xlsx 后重试",
                               f"cannot read workbook: {type(exc).__name__}: {str(exc)[:200]}", sheet=path.name))
        return [], {}


def _read_xlsx(path: Path, report: Report) -> tuple[list[Incoming], dict[str, str]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        scan = _scan_xlsx(path, report)
        if scan is None:
            return [], {}
        wb = openpyxl.load_workbook(path, data_only=True, read_only=True)  # streamed: memory per row, not per cell
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        report.add(ReportError("unreadable-file", "无法打开工作簿：文件已损坏、被加密（设置了密码）或不是 xlsx 格式。"
                               "请去掉密码并另存为 .xlsx 后重试", f"cannot open workbook: {exc}", sheet=path.name))
        return [], {}
    out: list[Incoming] = []
    meta: dict[str, str] = {}
    tables = _sheet_errors([ws.title for ws in wb.worksheets if ws.title not in (META_SHEET, "代码表")], report,
                           "工作表")
    formulas = _formula_cells(path, set(tables), bool(scan["formulas"]))
    for ws in wb.worksheets:
        if ws.title == META_SHEET:
            for r in ws.iter_rows(values_only=True):
                if len(r) >= 2 and isinstance(r[0], str) and r[0].startswith("meta:"):
                    meta[r[0][5:]] = _cell_text(r[1]) or ""
            continue
        table = tables.get(ws.title)
        if table is None:
            continue
        if scan["merged"].get(ws.title):
            merged = ", ".join(scan["merged"][ws.title][:5])
            report.add(ReportError("merged-cells", f"工作表含合并单元格（{merged}），请取消合并后每格填一个值",
                                   "sheet has merged cells; unmerge them", table.name, ws.title))
            continue
        values = [[_cell_text(v) for v in r] for r in ws.iter_rows(values_only=True)]
        for row, col in formulas.get(ws.title, []):
            if row > len(values) or col > len(values[row - 1]) or values[row - 1][col - 1] is None:
                report.add(ReportError("formula-without-value", "单元格是公式但没有计算结果（文件未在 Excel 中保存过），"
                                       "请在 Excel 中打开并保存，或改填数值", "formula cell without a cached value",
                                       table.name, ws.title, row, col_letter(col - 1)))
        if not values:
            continue
        inc = _to_incoming(table, ws.title, values[0], values[1:], 2, report)
        if inc is not None:
            out.append(inc)
    wb.close()
    return out, meta


def _decode(raw: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("gb18030", raw, 0, 1, "not UTF-8, GBK or GB18030")


def read_csv_dir(path: Path, report: Report) -> tuple[list[Incoming], dict[str, str]]:

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
        rows = _csv_rows(text, f.name, table, report)
        if rows is None:
            continue
        if not rows:
            continue
        body = [[c if c != "" else None for c in r] for r in rows[1:]]
        inc = _to_incoming(table, f.name, list(rows[0]), body, 2, report, escaped=True)
        if inc is not None:
            out.append(inc)
    return out, _read_meta(path, report)


def read_parquet_dir(path: Path, report: Report) -> tuple[list[Incoming], dict[str, str]]:
    files = [path] if path.is_file() else sorted(path.glob("*.parquet"))
    tables = _sheet_errors([f.stem for f in files], report, "文件")
    out: list[Incoming] = []
    for f in files:
        table = tables.get(f.stem)
        if table is None:
            continue
        try:
            df = pl.read_parquet(f)
        except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
            report.add(ReportError("unreadable-file", f"无法读取 Parquet 文件 {f.name}：文件已损坏或不是 Parquet",
                                   f"cannot read parquet: {str(exc)[:200]}", table.name, f.name))
            continue
        unknown = [c for c in df.columns if c not in table.field_map]
        for c in unknown:
            report.add(ReportError("unknown-column", f"无法识别的列“{c}”，请使用模板中的列名", f"unknown column {c!r}",
                                   table.name, f.name, 1, "", "", c))
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
    return out, _read_meta(path, report)


def _csv_rows(text: str, name: str, table: Table, report: Report) -> list[list[str]] | None:
    """The CSV's rows (any line ends: CRLF, LF or CR alone), or None with the line that cannot be read."""
    import csv
    import io

    from wangdi import settings

    reader = csv.reader(io.StringIO(text.replace("\r\n", "\n").replace("\r", "\n")))
    rows: list[list[str]] = []
    try:
        for r in reader:
            rows.append(r)
            if len(rows) > settings.max_sheet_rows() + 1:
                report.add(ReportError("sheet-too-large", f"文件超过 {settings.max_sheet_rows()} 行，未读取；请按乡镇拆分",
                                       "file beyond the row limit", table.name, name, reader.line_num))
                return None
    except csv.Error as exc:
        report.add(ReportError("bad-csv", f"CSV 格式有误，无法读取（{exc}）", f"malformed CSV: {exc}", table.name, name,
                               reader.line_num + 1))
        return None
    return rows


def _read_meta(path: Path, report: Report) -> dict[str, str]:
    meta = (path if path.is_dir() else path.parent) / "meta.json"
    if not meta.exists():
        return {}
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not an object")
    except (ValueError, UnicodeDecodeError, OSError) as exc:
        report.add(ReportError("bad-meta", f"meta.json 无法读取：应为 UTF-8 编码的 JSON 对象（{str(exc)[:80]}）",
                               f"unreadable meta.json: {exc}", sheet="meta.json"))
        return {}
    return {str(k): str(v) for k, v in data.items()}


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
