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


def _extract(path: Path, thc: str, hospital: str, at_thc: int, at_hospital: int) -> Path:
    """Raw visit rows as an extract: Yanggu residents, outpatient visits in January 2026 (门诊/住院 as written)."""
    rows = ["流水号,常住地,机构,日期,类别"]
    rows += [f"T{i},371521101201,{thc},2026-01-{5 + i % 20:02d},门诊" for i in range(at_thc)]
    rows += [f"H{i},371521101201,{hospital},2026-01-{6 + i % 20:02d},门诊" for i in range(at_hospital)]
    rows += [f"I0,371521101201,{hospital},2026-01-09,住院",  # inpatient: not in the 门急诊 population
             f"L0,371521101201,{hospital},2026-02-03,门诊"]  # after the as-of date: not counted
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    mapping = path.with_suffix(".yaml")
    mapping.write_text("mapping: {visit_id: 流水号, residence_code: 常住地, institution_code: 机构, visit_date: 日期,"
                       " kind: 类别}\n", encoding="utf-8")
    return mapping


@pytest.mark.parametrize(("at_thc", "at_hospital", "outcome"), [(7, 3, "met"), (6, 4, "not_met")])
def test_primary_outpatient_share_from_visit_rows_through_the_cli(yanggu_db: str, tmp_path: Path, at_thc: int,
                                                                  at_hospital: int, outcome: str) -> None:
    """000 二1 「县域内基层医疗卫生机构门急诊人次占比达到70%以上」: 7 of 10 is 70% (met), 6 of 10 is not."""
    import json
    import os
    import subprocess
    import sys

    from wangdi.synth import SynthParams, synthesise

    inst = synthesise("371521", 1, 2025, SynthParams.from_pairs([]))["institution"]
    thc = inst.filter(inst["type_code"] == "C210")["code"][0]
    hospital = inst.filter(inst["type_code"] == "A100")["code"][0]
    csv = tmp_path / "visits.csv"
    mapping = _extract(csv, thc, hospital, at_thc, at_hospital)
    out = tmp_path / "r.jsonl"
    res = subprocess.run([sys.executable, "-m", "wangdi", "evaluate", "--pack", "kaifeng-2021", "--region", "371521",
                          "--as-of", "2026-01-31", "--visits", str(csv), "--visit-mapping", str(mapping), "--what-if",
                          "--no-store", "--out", str(out)], capture_output=True, text=True,
                         env={**os.environ, "WANGDI_DATABASE_URL": yanggu_db})
    assert res.returncode == 0, res.stdout + res.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    row = next(r for r in rows if r["rule_id"] == "primary_outpatient_share")
    assert row["outcome"] == outcome
    assert row["observed"] == pytest.approx(at_thc / 10)
