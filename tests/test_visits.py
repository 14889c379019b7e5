"""Issue 18: the visit-record layout, its documentation and the mapping file (DuckDB side; no Spark needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wangdi.errors import WangdiError
from wangdi.visits.layout import COLUMNS, layout_markdown, load_mapping
from wangdi.visits.source import VisitSource, mapping_sql

ROOT = Path(__file__).resolve().parent.parent


def test_docs_show_the_layout_as_declared() -> None:
    doc = (ROOT / "docs" / "visits.md").read_text(encoding="utf-8")
    block = doc.split("<!-- layout:begin -->\n", 1)[1].split("\n<!-- layout:end -->", 1)[0]
    assert block == layout_markdown()
    assert "spark-submit" in doc and "kind_values" in doc


def test_the_layout_is_the_registry_visit_table() -> None:
    from wangdi.registry.schema import TABLE_MAP

    assert sorted(c.name for c in COLUMNS) == sorted(TABLE_MAP["visit"].columns)


@pytest.mark.parametrize(("text", "code"), [
    ("mapping: {patient: 患者}\n", "visit-mapping-bad"),
    ("kind_values: {门诊: clinic}\n", "visit-mapping-bad"),
    ("colums: {}\n", "visit-mapping-bad"),
    ("mapping: [\n", "visit-mapping-unreadable"),
])
def test_a_bad_mapping_file_is_refused_with_its_name(tmp_path: Path, text: str, code: str) -> None:
    f = tmp_path / "m.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(WangdiError) as e:
        load_mapping(f)
    assert e.value.code == code and "m.yaml" in str(e.value)


def test_a_missing_required_column_names_its_source_column(tmp_path: Path) -> None:
    f = tmp_path / "m.yaml"
    f.write_text("mapping: {residence_code: 参保人常住地}\n", encoding="utf-8")
    src = VisitSource(tmp_path, "csv", load_mapping(f))
    with pytest.raises(WangdiError, match="参保人常住地"):
        mapping_sql(src, ["visit_id", "institution_code", "visit_date", "kind"])
    sql = mapping_sql(src, ["visit_id", "参保人常住地", "institution_code", "visit_date", "kind"])
    assert '"参保人常住地"' in sql and "CAST(1 AS BIGINT) AS count" in sql
