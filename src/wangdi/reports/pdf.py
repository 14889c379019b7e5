"""The supervision report as a PDF: A4 portrait, cover, contents, "第 N 页 共 M 页", Noto CJK fonts embedded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from wangdi.reports import fonts
from wangdi.reports.content import ReportData
from wangdi.reports.render import WIDE, Block

SERIF, SANS = "WangdiSerif", "WangdiSans"


def _text_of(d: ReportData, blocks: list[Block], title: str) -> str:
    parts = [title, d.title, d.document, d.region_name, d.issuer, d.issued, d.number,
             "目录发文单位日期文号第页共依据地区数据截至年月日本报告所用为合成仅供演示"]
    for kind, payload in blocks:
        if kind == "table":
            df, header = payload
            parts += header
            parts += [str(v) for col in df.columns for v in df[col].to_list() if v is not None]
        elif kind == "town":
            parts += list(payload)
        elif kind != "images":
            parts.append(str(payload))
    return "".join(parts)


def _register(text: str) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name, face in ((SERIF, "serif"), (SANS, "sans")):
        path = fonts.subset_ttf(face, text)
        pdfmetrics.registerFont(TTFont(name, str(path)))  # re-registered per document: the subset differs


def _numbered_canvas() -> Any:
    from reportlab.pdfgen import canvas

    class Numbered(canvas.Canvas):  # type: ignore[misc]
        """Pages are held until the end so each footer can say how many there are."""

        def __init__(self, *a: Any, **k: Any) -> None:
            super().__init__(*a, **k)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(SERIF, 9)
                self.drawCentredString(self._pagesize[0] / 2, 28, f"第 {self._pageNumber} 页 共 {total} 页")
                super().showPage()
            super().save()

    return Numbered


def _table(df: pl.DataFrame, header: list[str], styles: dict[str, Any], width: float) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    cell = styles["cell"]
    data = [[Paragraph(h, styles["cellhead"]) for h in header]] + [
        [Paragraph("" if v is None else (f"{v:,.2f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)), cell)
         for v in row] for row in df.iter_rows()]
    weights = [WIDE.get(h, 1.0) for h in header]
    t = Table(data, repeatRows=1, colWidths=[w * width / sum(weights) for w in weights])
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                           ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
                           ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return t


def _styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle

    return {"body": ParagraphStyle("body", fontName=SERIF, fontSize=10.5, leading=18, wordWrap="CJK", firstLineIndent=21),
            "bullet": ParagraphStyle("bullet", fontName=SERIF, fontSize=10.5, leading=17, wordWrap="CJK", leftIndent=12),
            "note": ParagraphStyle("note", fontName=SERIF, fontSize=9, leading=13, wordWrap="CJK"),
            "cell": ParagraphStyle("cell", fontName=SERIF, fontSize=7.5, leading=9.5, wordWrap="CJK"),
            "cellhead": ParagraphStyle("cellhead", fontName=SANS, fontSize=7.5, leading=9.5, wordWrap="CJK"),
            "h1": ParagraphStyle("h1", fontName=SANS, fontSize=14, leading=22, spaceBefore=12, spaceAfter=6),
            "town": ParagraphStyle("town", fontName=SANS, fontSize=11, leading=18, spaceBefore=4),
            "title": ParagraphStyle("title", fontName=SANS, fontSize=24, leading=34, alignment=1, spaceAfter=30),
            "cover": ParagraphStyle("cover", fontName=SERIF, fontSize=13, leading=24, alignment=1),
            "toc": ParagraphStyle("toc", fontName=SERIF, fontSize=11, leading=20)}


def _cover(d: ReportData, title: str, st: dict[str, Any]) -> list[Any]:
    from reportlab.platypus import PageBreak, Paragraph, Spacer

    blank = "　" * 10
    story: list[Any] = [Spacer(1, 120), Paragraph(title, st["title"]),
                        Paragraph(f"依据：《{d.title}》（{d.document}）", st["cover"]),
                        Paragraph(f"地区：{d.region_name}　数据截至：{d.as_of:%Y年%m月%d日}", st["cover"]), Spacer(1, 150),
                        Paragraph(f"发文单位：{d.issuer or blank}", st["cover"]),
                        Paragraph(f"日期：{d.issued or blank}", st["cover"]),
                        Paragraph(f"文号：{d.number or blank}", st["cover"])]
    if d.synthetic:
        story += [Spacer(1, 30), Paragraph("本报告所用数据为合成数据（synthetic），仅供演示。", st["cover"])]
    return [*story, PageBreak()]


def write(d: ReportData, blocks: list[Block], out: Path, title: str) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import Image, PageBreak, Paragraph, SimpleDocTemplate
    from reportlab.platypus.tableofcontents import TableOfContents

    _register(_text_of(d, blocks, title))
    st = _styles()
    width = A4[0] - 4.4 * cm
    toc = TableOfContents(levelStyles=[st["toc"]], dotsMinLevel=0)
    story: list[Any] = [*_cover(d, title, st), Paragraph("目　录", st["title"]), toc, PageBreak()]
    for kind, payload in blocks:
        if kind == "h1":
            story.append(Paragraph(str(payload), st["h1"]))
        elif kind == "town":
            story += [Paragraph(str(payload[0]), st["town"]), Paragraph(str(payload[1]), st["body"])]
        elif kind == "images":
            story += [Image(str(p), width=width, height=width * 0.55, kind="proportional") for p in payload]
        elif kind == "table":
            story.append(_table(payload[0], payload[1], st, width))
        else:
            story.append(Paragraph(str(payload), st[{"bullet": "bullet", "note": "note"}.get(kind, "body")]))

    class Doc(SimpleDocTemplate):  # type: ignore[misc]
        def afterFlowable(self, flowable: Any) -> None:  # reportlab's name
            if isinstance(flowable, Paragraph) and flowable.style.name == "h1":
                self.notify("TOCEntry", (0, flowable.getPlainText(), self.page))

    doc = Doc(str(out), pagesize=A4, leftMargin=2.2 * cm, rightMargin=2.2 * cm, topMargin=2.2 * cm,
              bottomMargin=2.2 * cm, title=title, author=d.issuer or "wangdi")
    doc.multiBuild(story, canvasmaker=_numbered_canvas())
