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


@pytest.fixture(scope="module")
def yanggu_pdf(tmp_path_factory: pytest.TempPathFactory, yanggu_xlsx: Path) -> tuple[str, Path]:
    """One database and one PDF report for the PDF tests (a report takes a while on a busy machine)."""
    tmp = tmp_path_factory.mktemp("pdf")
    url = f"sqlite:///{tmp / 'r.sqlite'}"
    assert api.import_census(yanggu_xlsx, url=url).written
    return url, api.report("yanggu-2024", "371521", AS_OF, "pdf", tmp / "r.pdf", url=url)


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


def test_docx_report_is_a4_portrait_with_cover_contents_and_page_numbers(yanggu_sqlite: str, tmp_path: Path) -> None:
    out = api.report("yanggu-2024", "371521", AS_OF, "docx", tmp_path / "r.docx", url=yanggu_sqlite,
                     issuer="阳谷县卫生健康局", number="阳卫督〔2027〕1号")
    d = docx.Document(str(out))
    sec = d.sections[0]
    assert (round(sec.page_width.cm, 1), round(sec.page_height.cm, 1)) == (21.0, 29.7), "A4 portrait"
    texts = [p.text for p in d.paragraphs]
    assert "发文单位：阳卫生健康局" not in texts and "发文单位：阳谷县卫生健康局" in texts
    assert "文号：阳卫督〔2027〕1号" in texts and "日期：" in texts, "a date not given stays blank"
    assert "目　录" in texts and 'TOC \\o' in d.element.xml
    footer = d.sections[0].footer.paragraphs[0]
    assert footer.text.startswith("第 ") and "NUMPAGES" in footer._p.xml and " PAGE" in footer._p.xml
    headings = [p.text for p in d.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0].endswith("督导评估报告")
    for h in ("一、总体情况", "二、目标进展", "三、主要问题", "四、各乡镇整改要求", "五、数据质量"):
        assert h in headings, h
    towns = [c["name"] for c in api.region_show("371521")["children"]]
    assert set(towns) <= set(headings), "每个乡镇一段整改要求"
    assert len(d.inline_shapes) >= 1  # the chart


def test_report_narrative_states_the_evaluations_numbers(yanggu_sqlite: str, tmp_path: Path) -> None:
    from wangdi.reports import content

    d = content.build("yanggu-2024", "371521", AS_OF, yanggu_sqlite)
    res = runs.run_results(d.run_id, yanggu_sqlite)
    req = res.filter(pl.col("kind") == "requirement")
    fails = req.filter(pl.col("outcome") == "fail").height
    assert f"未达标 {fails:,} 条" in d.narrative.overall[1]
    worst = req.filter(pl.col("outcome").is_in(["fail", "not_yet_due"])).group_by("rule_id") \
        .agg(pl.col("entity_code").n_unique().alias("k")).sort(["k", "rule_id"], descending=[True, False]).row(0)
    label = str(__import__("wangdi.policy.pack", fromlist=["load"]).load("yanggu-2024").rules[worst[0]].spec["label"])
    assert d.narrative.problems[0].startswith(f"（1）{label}：{worst[1]:,} 家机构")
    yanlou = dict(d.narrative.townships)["阎楼镇"]
    n_yanlou = req.filter(pl.col("region_code").str.starts_with("371521101")
                          & pl.col("outcome").is_in(["fail", "not_yet_due"])).height
    assert f"未达标或尚未达到 {n_yanlou:,} 条" in yanlou
    assert d.narrative.blanks.height > 0 and d.narrative.quality, "the data-quality section is filled"
    assert d.history.is_empty() or d.history["value"].max() <= 1, "the history chart plots shares only (one measure)"


def test_pdf_report_is_a4_portrait_with_contents_and_page_numbers(yanggu_pdf: tuple[str, Path]) -> None:
    yanggu_sqlite, out = yanggu_pdf
    if not shutil.which("pdfinfo"):
        pytest.skip("poppler-utils not installed (make fonts)")
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert size and (round(float(size.group(1))), round(float(size.group(2)))) == (595, 842), info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "目录" in text.replace("　", "").replace(" ", "") and f"第 1 页 共 {pages} 页" in text
    assert "发文单位：" in text and "各乡镇整改要求" in text
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    assert "NotoSerifCJK" in fonts and "NotoSansCJK" in fonts
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:] if "Noto" in line), "embedded"
    gaps = text.count("另见附表")
    annex = out.with_name("r-附表.xlsx")
    assert gaps and annex.exists(), "a cut table says so and the rest is in the annex workbook"
    rid = re.search(r"评估批次\s*(R[0-9]+-[0-9a-f]+)", text)
    assert rid, "the report names its run"
    res = runs.run_results(rid.group(1), yanggu_sqlite)
    n_gaps = res.filter(pl.col("outcome").is_in(["fail", "not_yet_due"]) & (pl.col("kind") == "requirement")).height
    assert n_gaps > 400 and openpyxl.load_workbook(annex)["机构差距清单"].max_row - 1 == n_gaps
    assert f"本表共 {n_gaps:,} 行" in text


def test_pdf_report_has_chinese_text_and_renders(yanggu_pdf: tuple[str, Path]) -> None:
    out = yanggu_pdf[1]
    text = "".join(page.extract_text() for page in PdfReader(str(out)).pages).replace("\n", "").replace(" ", "")
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
