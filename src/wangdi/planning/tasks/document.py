"""One document per township (一乡镇一策): the year's task list as a workbook, and the same workbook read back
as a progress report (all rows or none, each refusal naming its row and task)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from wangdi import divisions
from wangdi.errors import WangdiError
from wangdi.planning.tasks.records import TRACK_FIELDS, Actor, audit_rows, filings, read_tasks
from wangdi.planning.tasks.tracking import apply_tracking
from wangdi.registry import store
from wangdi.registry.reference import TASK_KIND, TASK_STATUS, TASK_VERIFICATION
from wangdi.registry.schema import TASK

SHEET = "任务清单"
COLUMNS = ("task_id", "institution_code", "kind", "description", "quantity", "unit", "budget", "responsible",
           "deadline", "rules", "clauses", "status", "started_on", "completed_on", "accepted_on", "spent", "evidence",
           "verification", "verification_note", "version")
EDITABLE = ("status", *TRACK_FIELDS)
LABELS = {"kind": TASK_KIND, "status": TASK_STATUS, "verification": TASK_VERIFICATION}


def _names() -> dict[str, str]:
    return dict(divisions.reference().select("code", "name").iter_rows())


def write_document(tasks: pl.DataFrame, township: str, year: int, pack: str, out: Path,
                   filing: dict[str, Any] | None, institution_names: dict[str, str]) -> Path:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(out), {"strings_to_formulas": False, "strings_to_urls": False})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    edit = wb.add_format({"bold": True, "bg_color": "#FFF2CC", "border": 1, "text_wrap": True})
    day, money = wb.add_format({"num_format": "yyyy-mm-dd"}), wb.add_format({"num_format": "#,##0"})
    name = _names().get(township, township)
    info = wb.add_worksheet("说明")
    lines = [f"{name}{year}年度建设任务清单（一乡镇一策）", f"规则包：{pack}",
             f"备案：{filing['filed_by']} 于 {filing['filed_at']} 备案（备案后修改 {filing['amendments']} 次）" if filing
             else "备案：尚未备案（备案后方可报送进度）", f"任务 {tasks.height} 项，预算合计 {tasks['budget'].sum():,.0f} 元",
             "报送进度：只填黄色表头的列（进度、日期、已支出、佐证材料），保存后用 wangdi tasks import 或网页“年度任务”上传；"
             "其他列已锁定，如需调整请由县卫健局修改并说明理由。"]
    if tasks["synthetic"].fill_null(False).any():
        lines.append("注意：本清单基于合成数据（synthetic），仅供演示。")
    for i, text in enumerate(lines):
        info.write_string(i, 0, text)
    info.set_column(0, 0, 100)
    ws = wb.add_worksheet(SHEET)
    fields = TASK.field_map
    for c, col in enumerate(COLUMNS):
        ws.write_string(0, c, fields[col].header, edit if col in EDITABLE else head)
        ws.set_column(c, c, 28 if col in ("description", "evidence", "verification_note", "rules") else 14)
    ws.data_validation(1, COLUMNS.index("status"), max(tasks.height, 1), COLUMNS.index("status"),
                       {"validate": "list", "source": list(TASK_STATUS.values())})
    for r, row in enumerate(tasks.select(COLUMNS).iter_rows(named=True), start=1):
        for c, col in enumerate(COLUMNS):
            v = row[col]
            if col == "institution_code":
                v = institution_names.get(str(v), v)
            if v is None:
                continue
            if col in LABELS:
                ws.write_string(r, c, LABELS[col].get(str(v), str(v)))
            elif isinstance(v, date):
                ws.write_datetime(r, c, datetime(v.year, v.month, v.day), day)
            elif isinstance(v, int | float):
                ws.write_number(r, c, v, money if col in ("budget", "spent") else None)
            else:
                ws.write_string(r, c, str(v))
    ws.freeze_panes(1, 1)
    wb.close()
    return out


def write_documents(region: str, year: int, pack: str, folder: Path, url: str | None = None) -> list[Path]:
    """One workbook per township with tasks under `region` (folder/<township>-<year>-任务清单.xlsx)."""
    tasks = read_tasks(region, year, pack, url)
    if tasks.is_empty():
        raise WangdiError("no-tasks", f"{region} 没有 {year} 年（规则包 {pack}）的任务：请先 wangdi plan adopt", "no tasks")
    folder.mkdir(parents=True, exist_ok=True)
    filed = {f["township"]: f for f in filings(region, year, url) if f["pack"] == pack}
    with store.init_db(url).connect() as conn:
        inst = store.snapshot(conn, "institution", None, region)
    names = dict(inst.select("code", "name").iter_rows())
    out = []
    for (town,), part in tasks.group_by("township", maintain_order=True):
        path = folder / f"{town}-{year}-任务清单.xlsx"
        out.append(write_document(part, str(town), year, pack, path, filed.get(str(town)), names))
    return out


def _cell(col: str, v: Any) -> Any:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, datetime):
        return v.date()
    if col == "version":
        return int(v)
    return v


def read_progress(path: Path) -> list[dict[str, Any]]:
    """The rows of a township document's 任务清单 sheet, keyed by field name (headers are '中文\\nname')."""
    import openpyxl

    if not path.exists():
        raise WangdiError("file-not-found", f"找不到文件 {path}", f"no file {path}")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:
        raise WangdiError("bad-workbook", f"{path.name} 不是可读取的 Excel 工作簿", "unreadable workbook") from None
    if SHEET not in wb.sheetnames:
        raise WangdiError("bad-workbook", f"{path.name} 缺少“{SHEET}”工作表", f"no sheet {SHEET}")
    rows = list(wb[SHEET].iter_rows(values_only=True))
    keys = [str(h or "").split("\n")[-1].strip() for h in rows[0]] if rows else []
    if "task_id" not in keys or "version" not in keys:
        raise WangdiError("bad-workbook", "任务清单表头不完整：请使用 wangdi 导出的任务清单", "missing task_id/version")
    return [{"_row": i, **{k: _cell(k, v) for k, v in zip(keys, r, strict=False) if k}}
            for i, r in enumerate(rows[1:], start=2) if any(v is not None for v in r)]


def import_progress(path: Path, actor: Actor, url: str | None = None) -> dict[str, Any]:
    """Apply a filled-in township document: every changed row is checked; one refusal → nothing is written."""
    rows = read_progress(path)
    status_of = {v: k for k, v in TASK_STATUS.items()}
    errors: list[str] = []
    changes: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]] = []
    with store.init_db(url).begin() as conn:
        for r in rows:
            status = status_of.get(str(r.get("status") or ""), r.get("status"))
            try:
                change = apply_tracking(conn, str(r["task_id"]), status, {k: r.get(k) for k in TRACK_FIELDS},
                                        actor, r.get("version"))
            except WangdiError as e:
                errors.append(f"第 {r['_row']} 行（{r['task_id']}）：{e.zh}")
                continue
            if change is not None:
                changes.append((str(r["task_id"]), change[0], change[1]))
        if errors:
            raise WangdiError("bad-progress", "进度报送有误，未写入任何内容：\n" + "\n".join(errors[:200]),
                              "progress workbook refused", {"errors": errors})
        if changes:
            audit_rows(conn, actor, "track", "task", changes)
    return {"rows": len(rows), "changed": len(changes)}
