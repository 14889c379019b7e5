"""Render a ReportData as an Excel workbook, a Word document or a PDF (Chinese font embedded)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import polars as pl

from wangdi.reports import charts
from wangdi.reports.content import ReportData
from wangdi.reports.yearly import YEARLY_HEAD

TARGET_COLS = ["目标", "地区", "clause_ref", "结论", "observed_zh", "required_zh", "gap_zh"]
TARGET_HEAD = ["目标", "地区", "条款", "结论", "现状", "要求（期限）", "差距"]
TOWN_COLS = ["乡镇", "规则组", "达标", "未达标", "未到期", "缺数据"]
GAP_COLS = ["乡镇", "机构", "规定", "clause_ref", "结论", "message", "条款原文"]
GAP_HEAD = ["乡镇", "机构", "规则", "条款", "结论", "差距说明", "条款原文"]
WIDE = {"目标": 3.2, "条款原文": 3.0, "差距说明": 2.6, "摘要": 2.2, "解读": 2.2, "机构": 1.8, "规则": 1.6,
        "要求（期限）": 1.8, "地区": 1.2}  # relative PDF column widths; others 1


def sections(d: ReportData) -> list[tuple[str, pl.DataFrame, list[str]]]:
    out = [("目标进展", d.targets.select(TARGET_COLS), TARGET_HEAD),
           ("乡镇达标情况", d.townships.select(TOWN_COLS), TOWN_COLS),
           ("机构差距清单", d.gaps.select(GAP_COLS), GAP_HEAD)]
    if d.subsidies is not None:
        out.append(("补助测算", d.subsidies.select("乡镇", "应发笔数", "应发金额（元）"), ["乡镇", "应发笔数", "应发金额（元）"]))
    if d.yearly is not None and d.yearly["年度"].n_unique() > 1:  # two census years or more
        out.append(("年度变化（比上年）", d.yearly, YEARLY_HEAD))
    out.append(("附录：规则与条款", d.rules, list(d.rules.columns)))
    out.append(("数据质量", d.quality, ["规定", "缺数据", "结论数"]))
    if d.narrative.blanks.height:
        out.append(("数据质量-未填字段", d.narrative.blanks, list(d.narrative.blanks.columns)))
    return out


def title_of(d: ReportData) -> str:
    prefix = "" if d.title.startswith(d.region_name) else d.region_name
    return f"{prefix}{d.title}督导评估报告"


def write_xlsx(d: ReportData, out: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(out), {"strings_to_formulas": False, "strings_to_urls": False})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    good = wb.add_format({"bg_color": "#C6EFCE"})
    bad = wb.add_format({"bg_color": "#FFC7CE"})
    num = wb.add_format({"num_format": "#,##0.##"})
    ws = wb.add_worksheet("摘要")
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 70)
    rows = [("报告", title_of(d)), ("依据", f"{d.title}（{d.document}）"), ("地区", f"{d.region} {d.region_name}"),
            ("数据截至", str(d.as_of)), *d.headline, *[("总体情况", t) for t in d.narrative.overall],
            *[("主要问题", t) for t in d.narrative.problems], *[("数据质量", t) for t in d.narrative.quality],
            *[("说明", n) for n in d.notes]]
    for r, (a, b) in enumerate(rows):
        ws.write_string(r, 0, a, head if r == 0 else None)
        ws.write_string(r, 1, b)
    for name, df, header in sections(d):
        sheet = wb.add_worksheet(name[:31].replace("：", "-"))
        for c, h in enumerate(header):
            sheet.write_string(0, c, h, head)
            sheet.set_column(c, c, 40 if h in ("条款原文", "差距说明", "摘要", "解读") else 14)
        for r, row in enumerate(df.iter_rows(), start=1):
            for c, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, int | float) and not isinstance(v, bool):
                    sheet.write_number(r, c, v, num)
                else:
                    sheet.write_string(r, c, str(v))
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(df.height, 1), len(header) - 1)
        if "结论" in header:
            col = header.index("结论")
            for text, fmt in (("达标", good), ("已达成", good), ("未达标", bad), ("未达成", bad)):
                sheet.conditional_format(1, col, max(df.height, 1), col,
                                         {"type": "cell", "criteria": "==", "value": f'"{text}"', "format": fmt})
    wb.close()


def _charts(d: ReportData, tmp: Path) -> list[Path]:
    made = [charts.targets_chart(d.targets, tmp / "targets.png", f"{d.region_name} 目标现状与要求"),
            charts.history_chart(d.history, tmp / "history.png", "目标历次评估进展",
                                 dict(d.targets.select("rule_id", "目标").unique("rule_id").iter_rows()))]
    return [p for p in made if p is not None]


Block = tuple[str, Any]  # ("h1" | "h2" | "p" | "bullet" | "town" | "images" | "table" | "note", payload)
NUMERALS = "一二三四五六七八九十"


def outline(d: ReportData, images: list[Path], max_rows: int, annex: str) -> tuple[list[Block], bool]:
    """The document as blocks (the same for Word and PDF); True when a table was cut and the rest is in `annex`."""
    n = d.narrative
    blocks: list[Block] = [("h1", "一、总体情况"), *[("p", t) for t in n.overall],
                           *[("bullet", f"{a}：{b}") for a, b in d.headline], *[("p", t) for t in d.notes],
                           ("images", images),
                           ("h1", "二、目标进展"), *[("bullet", t) for t in n.targets],
                           ("h1", "三、主要问题"), *[("p", t) for t in n.problems],
                           ("h1", "四、各乡镇整改要求"), *[("town", t) for t in n.townships],
                           ("h1", "五、数据质量"), *[("p", t) for t in n.quality]]
    if n.blanks.height:
        blocks += [("p", f"普查表中共有 {n.blanks.height} 个字段存在未填项（下表按未填数排列）。"
                         "未填项不计为达标，也不计为未达标。"),
                   ("table", (n.blanks, list(n.blanks.columns)))]
    else:
        blocks.append(("p", "普查表各字段均已填报。"))
    if d.quality.height:
        blocks += [("p", "因数据未填而无法判断的结论："), ("table", (d.quality, ["规定", "缺数据", "结论数"]))]
    cut = False
    annexes = [s for s in sections(d) if not s[0].startswith("数据质量")]
    for i, (name, df, header) in enumerate(annexes):
        blocks.append(("h1", f"附表{NUMERALS[i]}　{name}"))
        blocks.append(("table", (df.head(max_rows), header)))
        if df.height > max_rows:
            cut = True
            blocks.append(("note", f"（本表共 {df.height:,} 行，此处列出前 {max_rows:,} 行；另见附表：{annex}，"
                                   f"其中“{name}”工作表列出全部 {df.height:,} 行。）"))
    return blocks, cut


def annex_path(out: Path) -> Path:
    return out.with_name(f"{out.stem}-附表.xlsx")


def write_docx(d: ReportData, out: Path, max_rows: int = 400) -> None:
    from wangdi.reports import word

    with tempfile.TemporaryDirectory() as tmp:
        blocks, cut = outline(d, _charts(d, Path(tmp)), max_rows, annex_path(out).name)
        word.write(d, blocks, out, title_of(d))
    if cut:
        write_xlsx(d, annex_path(out))


def write_pdf(d: ReportData, out: Path, max_rows: int = 400) -> None:
    from wangdi.reports import pdf

    with tempfile.TemporaryDirectory() as tmp:
        blocks, cut = outline(d, _charts(d, Path(tmp)), max_rows, annex_path(out).name)
        pdf.write(d, blocks, out, title_of(d))
    if cut:
        write_xlsx(d, annex_path(out))
