"""Downloads: any census table (in the import format, so it can be edited and re-imported) or a run's results."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from wangdi.errors import WangdiError
from wangdi.exchange.writers import _csv_cell, write_csv_dir, write_xlsx
from wangdi.policy import formatting
from wangdi.registry import store
from wangdi.registry.schema import TABLE_MAP
from wangdi.web import queries

FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv; charset=utf-8"}


def census_table(table: str, region: str, fmt: str, url: str) -> tuple[bytes, str]:
    """One census table under `region` (current rows) as xlsx or csv; returns bytes and a file name."""
    if table not in TABLE_MAP:
        raise WangdiError("table-not-found", f"没有数据表 {table}；可选：{'、'.join(TABLE_MAP)}、results", f"no table {table}")
    if fmt not in FORMATS:
        raise WangdiError("unsupported-format", "下载格式应为 xlsx 或 csv", "format must be xlsx or csv")
    eng = store.init_db(url)
    with eng.connect() as conn:
        df = store.snapshot(conn, table, None, region or None)
        census = store.latest_valid_from(conn)
    synthetic = bool(df["synthetic"].fill_null(False).any()) if df.height else False
    meta = {"region": region, "census_date": census.isoformat() if census else "", "synthetic": str(synthetic).lower()}
    with tempfile.TemporaryDirectory() as tmp:
        if fmt == "xlsx":
            path = Path(tmp) / "t.xlsx"
            write_xlsx(path, {table: df}, meta)
        else:
            write_csv_dir(Path(tmp), {table: df}, meta)
            path = Path(tmp) / f"{table}.csv"
        data = path.read_bytes()
    if fmt == "csv":
        data = b"\xef\xbb\xbf" + data  # BOM: Excel opens UTF-8 CSV correctly
    return data, f"{TABLE_MAP[table].zh}-{region or 'all'}.{fmt}"


def results_table(pack_id: str, region: str, fmt: str, url: str) -> tuple[bytes, str]:
    run = queries.run_for(pack_id, region, url)
    df = formatting.export(queries._results(url, run["run_id"], region), queries.load_pack(pack_id).rules)
    if fmt == "xlsx":
        buf = io.BytesIO()
        df.write_excel(buf, worksheet="评估结果", autofilter=True, freeze_panes=(1, 0))
        data = buf.getvalue()
    elif fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(df.columns)
        for row in df.iter_rows():
            w.writerow([_csv_cell(v) for v in row])
        data = b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")
    else:
        raise WangdiError("unsupported-format", "下载格式应为 xlsx 或 csv", "format must be xlsx or csv")
    return data, f"评估结果-{pack_id}-{region or 'all'}-{run['run_id']}.{fmt}"
