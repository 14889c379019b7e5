"""Issue 18: two engines, one rule set — Spark (local) and DuckDB give identical results on the same data.

The registry sample is the synthetic Yanggu census; the visit sample is synthetic visit-level records over its
institutions (Parquet, hive-partitioned), and the same records as a CSV extract with Chinese headers and
values read through a mapping file. Every rule of every shipped pack runs on both engines and must agree
row for row; a rule Spark cannot analyse would be listed in `fallbacks`, and there must be none.
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from wangdi.errors import WangdiError
from wangdi.policy import engine
from wangdi.policy import pack as packs
from wangdi.policy.fields import Dataset
from wangdi.policy.runs import region_divisions
from wangdi.synth import SynthParams, synthesise
from wangdi.visits import run as visit_run
from wangdi.visits import synth as visit_synth
from wangdi.visits.layout import load_mapping
from wangdi.visits.source import open_source

IN_CI = os.environ.get("CI", "").lower() == "true"
PACKS = ["yanggu-2024", "kaifeng-2021", "ordos-2024", "ganzhou-2019", "baoding-2023"]
AS_OF = date(2025, 11, 30)  # not 31 December: December visits are after the as-of date and must not count
KEY = ["rule_id", "entity_code"]


def _spark() -> Any:
    if shutil.which("java") is None:
        if IN_CI:
            pytest.fail("CI=true but Java is missing: .ci/run installs openjdk-17-jre-headless")
        pytest.skip("Java 17 not installed (make java)")
    try:
        from wangdi.policy import spark
    except ImportError:
        if IN_CI:
            pytest.fail("CI=true but pyspark is missing: make test installs requirements-spark.lock")
        pytest.skip("pyspark not installed (pip install 'wangdi[spark]')")
    os.environ.setdefault("WANGDI_SPARK_MASTER", "local[2]")
    os.environ.setdefault("WANGDI_SPARK_SHUFFLE_PARTITIONS", "2")
    spark.session()
    return spark


@pytest.fixture(scope="module")
def sp() -> Any:
    return _spark()


@pytest.fixture(scope="module")
def registry() -> Dataset:
    frames = synthesise("371521", 1, 2025, SynthParams.from_pairs([]))
    return Dataset(frames, region_divisions("371521"), AS_OF, "371521")


@pytest.fixture(scope="module")
def visits(registry: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("visits") / "parquet"
    visit_synth.write(out, registry.tables["institution"], ["371522", "371502", "410221"], 30_000, 2025, seed=3,
                      chunk=12_000)
    return out


def _same(a: pl.DataFrame, b: pl.DataFrame, key: list[str]) -> None:
    assert a.columns == b.columns
    a, b = a.sort(key), b.sort(key)
    assert a.height == b.height
    for col in a.columns:
        left, right = a[col], b[col]
        if left.dtype.is_float():
            close = (left - right).abs() <= (left.abs() * 1e-9).clip(lower_bound=1e-9)  # summation order
            assert close.fill_null(True).all() and (left.is_null() == right.is_null()).all(), col
        else:
            assert left.to_list() == right.to_list(), col


@pytest.mark.parametrize("pack_id", PACKS)
def test_every_rule_agrees_on_spark_and_duckdb(sp: Any, registry: Dataset, visits: Path, pack_id: str) -> None:
    pack = packs.load(pack_id)
    src = open_source(visits)
    duck = visit_run.evaluate(pack, registry, src)
    run = sp.evaluate(pack, registry, src)
    assert run.fallbacks == {}, run.fallbacks  # every rule ran on Spark
    assert run.spark_rules == duck["rule_id"].n_unique() or run.spark_rules >= duck["rule_id"].n_unique()
    _same(duck, run.results, KEY)
    assert duck.height > 0 and set(duck["outcome"]) - {"not_applicable"}


def test_registry_sample_without_visit_files_agrees(sp: Any, registry: Dataset) -> None:
    pack = packs.load("yanggu-2024")
    duck = engine.evaluate(pack, registry)
    _same(duck, sp.evaluate(pack, registry).results, KEY)


@pytest.mark.parametrize("period", ["year", "month"])
def test_visit_measures_agree(sp: Any, registry: Dataset, visits: Path, period: str) -> None:
    src = open_source(visits)
    duck = visit_run.measures(registry, src, period=period)
    spark = sp.measures(registry, src, period=period)
    assert set(duck["measure"]) == {"within_county_visit_rate", "primary_visit_rate", "primary_outpatient_share",
                                    "within_county_inpatient_share", "thc_level1_surgery_share",
                                    "outpatient_reimbursement_ratio"}
    _same(duck, spark.select(duck.columns), ["region_code", "period", "measure"])
    assert duck["period"].max() <= (2025 if period == "year" else 202511)  # as-of 30 November


def _csv_extract(parquet: Path, out: Path) -> Path:
    """The same records as an insurance extract: Chinese headers, 门诊/急诊/住院, a CSV file."""
    df = pl.DataFrame(pl.from_arrow(open_source(parquet).dataset().to_table()))
    kind_zh = {"outpatient": "门诊", "emergency": "急诊", "inpatient": "住院"}
    df = df.with_columns(pl.col("kind").replace_strict(kind_zh)).rename(
        {"visit_id": "结算流水号", "residence_code": "参保人常住地", "institution_code": "定点机构编码",
         "visit_date": "就诊日期", "kind": "就诊类别", "fund_paid": "统筹支付"}).drop("province", "month")
    path = out / "extract.csv"
    df.write_csv(path)
    mapping = out / "mapping.yaml"
    mapping.write_text("mapping:\n  visit_id: 结算流水号\n  residence_code: 参保人常住地\n  institution_code: 定点机构编码\n"
                       "  visit_date: 就诊日期\n  kind: 就诊类别\n  fund_paid: 统筹支付\n"
                       "kind_values: {门诊: outpatient, 急诊: emergency, 住院: inpatient}\n", encoding="utf-8")
    return mapping


def test_csv_extract_through_a_mapping_file_reads_like_the_parquet(sp: Any, registry: Dataset, visits: Path,
                                                                   tmp_path: Path) -> None:
    mapping = _csv_extract(visits, tmp_path)
    csv = open_source(tmp_path / "extract.csv", load_mapping(mapping))
    assert csv.fmt == "csv"
    want = visit_run.measures(registry, open_source(visits))
    _same(want, visit_run.measures(registry, csv), ["region_code", "period", "measure"])
    _same(want, sp.measures(registry, csv).select(want.columns), ["region_code", "period", "measure"])


def test_an_unmapped_kind_stops_the_run_on_both_engines(sp: Any, registry: Dataset, visits: Path,
                                                        tmp_path: Path) -> None:
    mapping = _csv_extract(visits, tmp_path)
    text = mapping.read_text(encoding="utf-8").replace("住院: inpatient", "")
    mapping.write_text(text.replace(", }", "}"), encoding="utf-8")
    src = open_source(tmp_path / "extract.csv", load_mapping(mapping))
    pack = packs.load("kaifeng-2021")
    with pytest.raises(WangdiError, match="住院"):
        visit_run.evaluate(pack, registry, src)
    with pytest.raises(WangdiError, match="住院"):
        sp.evaluate(pack, registry, src)
