"""The supervision report as a Word document: A4 portrait, cover, contents field, "第 N 页 共 M 页" footer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wangdi.reports.content import ReportData
from wangdi.reports.fonts import DOCX_NAMES
from wangdi.reports.render import Block


def _field(paragraph: Any, instr: str) -> None:
    """A Word field (PAGE, NUMPAGES, TOC) that Word fills in when the document opens."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = paragraph.add_run()
    instr = f" {instr} "
    for kind, text in (("begin", None), (None, instr), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText" if text == instr else "w:t")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


def _fonts(doc: Any) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    for name, face, size in (("Normal", "serif", 10.5), ("Heading 1", "sans", 15), ("Heading 2", "sans", 12),
                             ("Title", "sans", 24)):
        style = doc.styles[name]
        style.font.name = DOCX_NAMES[face]
        style.font.size = Pt(size)
        rpr = style.element.get_or_add_rPr()
        rpr.get_or_add_rFonts().set(qn("w:eastAsia"), DOCX_NAMES[face])


def _page(doc: Any) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(2.2))
    p = sec.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run("第 ")
    _field(p, "PAGE")
    p.add_run(" 页 共 ")
    _field(p, "NUMPAGES")
    p.add_run(" 页")
    upd = OxmlElement("w:updateFields")  # Word refreshes the contents and page count on opening
    upd.set(qn("w:val"), "true")
    doc.settings.element.append(upd)


def write(d: ReportData, blocks: list[Block], out: Path, title: str) -> None:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Cm

    doc = Document()
    _fonts(doc)
    _page(doc)
    doc.add_paragraph().paragraph_format.space_before = Cm(5)
    doc.add_heading(title, 0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    for line in (f"依据：《{d.title}》（{d.document}）", f"地区：{d.region_name}　数据截至：{d.as_of:%Y年%m月%d日}", "",
                 f"发文单位：{d.issuer}", f"日期：{d.issued}", f"文号：{d.number}",
                 "本报告所用数据为合成数据（synthetic），仅供演示。" if d.synthetic else ""):
        doc.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    doc.add_paragraph("目　录").alignment = WD_ALIGN_PARAGRAPH.CENTER
    _field(doc.add_paragraph(), 'TOC \\o "1-2" \\h \\z \\u')
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    for kind, payload in blocks:
        if kind == "h1":
            doc.add_heading(str(payload), 1)
        elif kind == "town":
            doc.add_heading(str(payload[0]), 2)
            doc.add_paragraph(str(payload[1]))
        elif kind == "images":
            for img in payload:
                doc.add_picture(str(img), width=Cm(16))
        elif kind == "table":
            df, header = payload
            table = doc.add_table(rows=1, cols=len(header))
            table.style = "Table Grid"
            for c, h in enumerate(header):
                table.rows[0].cells[c].text = h
            for row in df.iter_rows():
                cells = table.add_row().cells
                for c, v in enumerate(row):
                    cells[c].text = "" if v is None else str(v)
        else:
            doc.add_paragraph(str(payload), style="List Bullet" if kind == "bullet" else None)
    doc.save(str(out))
