"""Census exchange: template, import (validated, all-or-nothing), export (lossless)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from wangdi import settings
from wangdi.errors import WangdiError
from wangdi.exchange.readers import read_any
from wangdi.exchange.writers import write_any, write_xlsx
from wangdi.registry import locks, store
from wangdi.registry.report import Report, ReportError
from wangdi.registry.schema import TABLES
from wangdi.registry.validate import parse_dates, validate


@dataclass
class ImportResult:
    report: Report
    written: bool = False
    dry_run: bool = False
    effective: date | None = None
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    batch: str = ""


def _effective(meta: dict[str, str], given: date | None, report: Report) -> date:
    if given is not None:
        return given
    raw = meta.get("census_date")
    if raw:
        parsed = pl.select(parse_dates(pl.lit(raw))).item()
        if parsed is not None:
            return parsed  # type: ignore[no-any-return]
        report.add(ReportError("bad-census-date", f"说明页的数据截至日期无法识别：{raw}", "unreadable census_date"))
    return date.today()


def import_census(path: Path, url: str | None = None, dry_run: bool = False, effective: date | None = None,
                  actor: str | None = None, progress: Any = None, guard: Any = None,
                  scope: str = "") -> ImportResult:
    """Validate everything first; write nothing unless every check passes; then upsert in one transaction.

    Every row is checked against `scope` (a division prefix, "" = everything) and the approval locks of
    the write's period, on the record's stored place and its new one (registry.locks). One import runs
    at a time: a second one fails at once. `guard(conn, frames, incoming)` may add errors of its own."""
    url = url or settings.database_url()
    eng = store.init_db(url)
    with contextlib.ExitStack() as stack:
        if not dry_run:
            stack.enter_context(locks.import_lock(eng, url))
        return _import(path, eng, dry_run, effective, actor, progress, guard, scope)


def _import(path: Path, eng: Any, dry_run: bool, effective: date | None, actor: str | None, progress: Any,
            guard: Any, scope: str) -> ImportResult:
    report = Report()
    incoming, meta = read_any(path, report)
    eff = _effective(meta, effective, report)
    if not incoming and report.valid:
        report.add(ReportError("no-tables", "文件中没有可识别的数据表（工作表名应为模板中的中文表名）",
                               "no recognised tables in the file", sheet=path.name))
    with store.write_transaction(eng) if not dry_run else eng.begin() as conn:
        frames, vreport = validate(incoming, conn) if incoming else ({}, Report())
        report.extend(vreport.errors, vreport.total)
        report.stats.update(vreport.stats)
        if report.valid:
            report.extend(locks.check_write(conn, frames, incoming, scope, eff))
        if guard is not None and report.valid:
            report.extend(guard(conn, frames, incoming))
        result = ImportResult(report, dry_run=dry_run, effective=eff)
        if not report.valid or dry_run:
            return result
        summary = store.write_tables(conn, frames, eff, actor or settings.actor(), source=str(path), progress=progress)
    result.written = True
    result.batch = summary.batch
    result.counts = {k: vars(v) for k, v in summary.counts.items()}
    return result


def snapshot_all(url: str | None = None, region: str | None = None,
                 as_of: date | None = None) -> dict[str, pl.DataFrame]:
    eng = store.init_db(url)
    with eng.connect() as conn:
        return {t.name: store.snapshot(conn, t.name, as_of, region) for t in TABLES}


def export_census(out: Path, url: str | None = None, region: str | None = None, as_of: date | None = None,
                  fmt: str | None = None, encoding: str = "utf-8") -> dict[str, int]:
    frames = snapshot_all(url, region, as_of)
    eng = store.init_db(url)
    with eng.connect() as conn:
        census_date = as_of or store.latest_valid_from(conn)
    synthetic = any(bool(df["synthetic"].any()) for df in frames.values() if df.height)
    meta = {"region": region or "", "census_date": census_date.isoformat() if census_date else "",
            "synthetic": "true" if synthetic else "false"}
    from xlsxwriter.exceptions import FileCreateError

    try:
        write_any(out, frames, meta, fmt, encoding)
    except (OSError, FileCreateError) as exc:
        raise WangdiError("cannot-write", f"无法写出到 {out}：文件夹不存在或没有写入权限", f"cannot write {out}: {exc}") \
            from None
    return {k: v.height for k, v in frames.items()}


def write_template(out: Path) -> None:
    write_xlsx(out, {}, {}, template=True)
