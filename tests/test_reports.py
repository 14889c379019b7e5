"""Issue 7: supervision reports in xlsx, docx and pdf, checked against the evaluation they report."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import docx
import openpyxl
import polars as pl
import pytest
from pypdf import PdfReader

from wangdi import api
from wangdi.policy import runs

from .conftest import ARTIFACTS

AS_OF = date(2026, 12, 31)


@pytest.fixture
def yanggu_sqlite(tmp_path: Path, yanggu_xlsx: Path) -> str:
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    assert api.import_census(yanggu_xlsx, url=url).written
    return url


def test_xlsx_report_matches_the_evaluation(yanggu_sqlite: str, tmp_path: Path) -> None:
    out = api.report("yanggu-2024", "371521", AS_OF, "xlsx", tmp_path / "r.xlsx", url=yanggu_sqlite)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:4] == ["摘要", "目标进展", "乡镇达标情况", "机构差距清单"]
    assert "附录-规则与条款" in wb.sheetnames and "数据质量" in wb.sheetnames
    summary_text = " ".join(str(c.value) for c in wb["摘要"]["B"])
    match = re.search(r"评估批次 (R[0-9]+-[0-9a-f]+)", summary_text)
    assert match, summary_text
    rid = match.group(1)
    res = runs.run_results(rid, yanggu_sqlite)
    fails = res.filter(pl.col("outcome").is_in(["fail", "not_yet_due"]) & (pl.col("kind") == "requirement")).height
    assert wb["机构差距清单"].max_row - 1 == fails
    targets = {r[0].value for r in wb["目标进展"].iter_rows(min_row=2)}
    assert {"村卫生室房屋产权公有率", "年度下沉人员"} <= targets
    assert wb["目标进展"].freeze_panes == "A2" and wb["目标进展"].auto_filter.ref
    assert "合成数据" in summary_text


def test_docx_report_has_headings_and_tables(yanggu_sqlite: str, tmp_path: Path) -> None:
    out = api.report("yanggu-2024", "371521", AS_OF, "docx", tmp_path / "r.docx", url=yanggu_sqlite)
    d = docx.Document(str(out))
    headings = [p.text for p in d.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0].endswith("督导评估报告") and "二、目标进展" in headings and "四、机构差距清单" in headings
    first = d.tables[0]
    assert [c.text for c in first.rows[0].cells][:2] == ["目标", "地区"]
    assert len(d.inline_shapes) >= 1  # the chart


def test_pdf_report_has_chinese_text_and_renders(yanggu_sqlite: str, tmp_path: Path) -> None:
    out = api.report("yanggu-2024", "371521", AS_OF, "pdf", tmp_path / "r.pdf", url=yanggu_sqlite)
    text = "".join(page.extract_text() for page in PdfReader(str(out)).pages)
    towns = [c["name"] for c in api.region_show("371521")["children"]]
    pack = __import__("wangdi.policy.pack", fromlist=["load"]).load("yanggu-2024")
    labels = {str(r.spec.get("label")) for r in pack.rules.values() if r.kind == "target"}
    for s in ("督导评估报告", "合成数据", *towns, *labels):
        assert s in text, s
    fonts = {str(f) for page in PdfReader(str(out)).pages[:1]
             for f in (page["/Resources"]["/Font"].values() if "/Font" in page["/Resources"] else [])}
    assert fonts, "fonts must be embedded"
    if shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(exist_ok=True)
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(out), str(ARTIFACTS / "report")],
                       check=True)
        assert (ARTIFACTS / "report-1.png").exists() or (ARTIFACTS / "report-01.png").exists()


def test_unknown_format_is_a_clear_error(yanggu_sqlite: str, tmp_path: Path) -> None:
    from wangdi.errors import WangdiError

    with pytest.raises(WangdiError) as info:
        api.report("yanggu-2024", "371521", AS_OF, "pptx", tmp_path / "r.pptx", url=yanggu_sqlite)
    assert info.value.code == "unsupported-format"
