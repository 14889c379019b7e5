"""Render a ReportData as an Excel workbook, a Word document or a PDF (Chinese font embedded)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import polars as pl

from wangdi.reports import charts
from wangdi.reports.content import ReportData

TARGET_COLS = ["目标", "地区", "clause_ref", "结论", "observed_zh", "required_zh", "gap_zh"]
TARGET_HEAD = ["目标", "地区", "条款", "结论", "现状", "要求（期限）", "差距"]
TOWN_COLS = ["乡镇", "group", "达标", "未达标", "未到期", "缺数据"]
GAP_COLS = ["乡镇", "机构", "rule_id", "clause_ref", "结论", "message", "条款原文"]
GAP_HEAD = ["乡镇", "机构", "规则", "条款", "结论", "差距说明", "条款原文"]
WIDE = {"目标": 3.2, "条款原文": 3.0, "差距说明": 2.6, "摘要": 2.2, "解读": 2.2, "机构": 1.8, "规则": 1.6,
        "要求（期限）": 1.8, "地区": 1.2}  # relative PDF column widths; others 1


def sections(d: ReportData) -> list[tuple[str, pl.DataFrame, list[str]]]:
    out = [("目标进展", d.targets.select(TARGET_COLS), TARGET_HEAD),
           ("乡镇达标情况", d.townships.select(TOWN_COLS), ["乡镇", "规则组", "达标", "未达标", "未到期", "缺数据"]),
           ("机构差距清单", d.gaps.select(GAP_COLS), GAP_HEAD)]
    if d.subsidies is not None:
        out.append(("补助测算", d.subsidies.select("乡镇", "应发笔数", "应发金额（元）"), ["乡镇", "应发笔数", "应发金额（元）"]))
    out.append(("附录：规则与条款", d.rules, list(d.rules.columns)))
    out.append(("数据质量", d.quality, ["规则", "缺数据", "结论数"]))
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
            ("数据截至", str(d.as_of)), *d.headline, *[("说明", n) for n in d.notes]]
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
            charts.history_chart(d.history, tmp / "history.png", "目标历次评估进展")]
    return [p for p in made if p is not None]


def write_docx(d: ReportData, out: Path, max_rows: int = 400) -> None:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    doc.add_heading(title_of(d), 0)
    doc.add_paragraph(f"依据：{d.title}（{d.document}）；地区：{d.region} {d.region_name}；数据截至：{d.as_of}。")
    doc.add_heading("一、总体情况", 1)
    for a, b in d.headline:
        doc.add_paragraph(f"{a}：{b}", style="List Bullet")
    for n in d.notes:
        doc.add_paragraph(n)
    with tempfile.TemporaryDirectory() as tmp:
        images = _charts(d, Path(tmp))
        numerals = "二三四五六七八九十"
        for i, (name, df, header) in enumerate(sections(d)):
            doc.add_heading(f"{numerals[i]}、{name}", 1)
            if i == 0:
                for img in images:
                    doc.add_picture(str(img), width=Cm(15))
            shown = df.head(max_rows)
            table = doc.add_table(rows=1, cols=len(header))
            table.style = "Table Grid"
            for c, h in enumerate(header):
                table.rows[0].cells[c].text = h
            for row in shown.iter_rows():
                cells = table.add_row().cells
                for c, v in enumerate(row):
                    cells[c].text = "" if v is None else str(v)
            if df.height > max_rows:
                doc.add_paragraph(f"（共 {df.height} 行，此处列出前 {max_rows} 行；完整清单见 Excel 报告。）")
    doc.save(str(out))


def write_pdf(d: ReportData, out: Path, max_rows: int = 400) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = "WQY"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(font, str(charts.cjk_font()), subfontIndex=0))
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    cell = ParagraphStyle("cell", fontName=font, fontSize=7, leading=9, wordWrap="CJK")
    h0 = ParagraphStyle("h0", fontName=font, fontSize=18, leading=24, spaceAfter=12)
    h1 = ParagraphStyle("h1", fontName=font, fontSize=13, leading=18, spaceBefore=10, spaceAfter=6)
    story: list[Any] = [Paragraph(title_of(d), h0),
                        Paragraph(f"依据：{d.title}（{d.document}）", body),
                        Paragraph(f"地区：{d.region} {d.region_name}　数据截至：{d.as_of}", body), Spacer(1, 8)]
    story += [Paragraph(f"{a}：{b}", body) for a, b in d.headline]
    story += [Paragraph(n, body) for n in d.notes]
    with tempfile.TemporaryDirectory() as tmp:
        images = _charts(d, Path(tmp))
        for i, (name, df, header) in enumerate(sections(d)):
            story.append(Paragraph(name, h1))
            if i == 0:
                story += [Image(str(img), width=17 * cm, height=17 * cm * 0.55, kind="proportional") for img in images]
            shown = df.head(max_rows)
            data = [[Paragraph(h, cell) for h in header]] + [
                [Paragraph("" if v is None else str(v), cell) for v in row] for row in shown.iter_rows()]
            weights = [WIDE.get(h, 1.0) for h in header]
            unit = (landscape(A4)[0] - 3 * cm) / sum(weights)
            t = Table(data, repeatRows=1, colWidths=[w * unit for w in weights])
            t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story.append(t)
            if df.height > max_rows:
                story.append(Paragraph(f"（共 {df.height} 行，此处列出前 {max_rows} 行；完整清单见 Excel 报告。）", body))
            if i == 0:
                story.append(PageBreak())
        doc = SimpleDocTemplate(str(out), pagesize=landscape(A4), leftMargin=1.5 * cm, rightMargin=1.5 * cm,
                                topMargin=1.5 * cm, bottomMargin=1.5 * cm, title=title_of(d), author="wangdi")
        doc.build(story)
