"""Issue 17: years of census (dated versions, trends, what changed since last year)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from tests.cycle_fixtures import TOWNSHIP, YEARS, copy_db, history_files, load_years
from wangdi import api
from wangdi.errors import WangdiError
from wangdi.registry import history, store
from wangdi.reports import content
from wangdi.synth.history import parse_years, synthesise_years


@pytest.fixture(scope="module")
def years_frames() -> dict[int, dict[str, pl.DataFrame]]:
    return synthesise_years("371521", 1, YEARS)


@pytest.fixture(scope="module")
def census_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    return history_files(tmp_path_factory.mktemp("years"))


@pytest.fixture(scope="module")
def three_years_db(tmp_path_factory: pytest.TempPathFactory, census_paths: dict[int, Path]) -> Path:
    """A database holding the three years of one township, each evaluated on 31 December (made once)."""
    path = tmp_path_factory.mktemp("db") / "years.sqlite"
    url = f"sqlite:///{path}"
    store.init_db(url)
    load_years(url, census_paths, YEARS)
    store._ENGINES.pop(url).dispose()  # checkpoints the WAL so a file copy holds everything
    return path


def test_years_parse_and_bad_years_are_refused() -> None:
    assert parse_years("2024-2026") == [2024, 2025, 2026]
    assert parse_years("2024,2026") == [2024, 2026]
    for bad in ("", "2026-2024", "abc", "1900-1901"):
        with pytest.raises(WangdiError):
            parse_years(bad)


def test_history_is_synthetic_and_moves_forward(years_frames: dict[int, dict[str, pl.DataFrame]]) -> None:
    for frames in years_frames.values():
        for name, df in frames.items():
            assert df.height == 0 or df["synthetic"].all(), name
    a, b = years_frames[2024], years_frames[2025]
    small = [f["institution"].filter((pl.col("type_code") == "D600") & (pl.col("floor_area_incl_toilet_m2") < 100)).height
             for f in (a, b)]
    assert small[1] < small[0]  # clinics rebuilt
    assert b["equipment"].height > a["equipment"].height  # equipment bought
    left = b["staff"].filter(pl.col("end_date").is_not_null())
    assert left.height and left["end_date"].dt.year().eq(2025).all()  # leavers dated in their year
    hired = b["staff"].filter(pl.col("start_date") >= date(2025, 1, 1))
    assert hired.height and not hired["staff_code"].is_in(a["staff"]["staff_code"].to_list()).any()
    share = [f["contract"]["contracted"].sum() / f["contract"]["eligible"].sum() for f in (a, b)]
    assert share[1] > share[0]
    assert not b["visit"]["visit_id"].is_in(a["visit"]["visit_id"].to_list()).any()  # a year's visits are new records


def test_each_year_is_a_dated_version(three_years_db: Path, tmp_path: Path,
                                      years_frames: dict[int, dict[str, pl.DataFrame]]) -> None:
    url = copy_db(three_years_db, tmp_path / "t.sqlite")
    assert history.census_dates(url)[-3:] == [date(2024, 12, 31), date(2025, 12, 31), date(2026, 12, 31)]
    # a clinic rebuilt in 2025: the registry as of mid-2025 still holds the 2024 area, as of 2025-12-31 the new one
    a = years_frames[2024]["institution"].filter(pl.col("division_code").str.starts_with(TOWNSHIP))
    b = years_frames[2025]["institution"].select("code", pl.col("floor_area_incl_toilet_m2").alias("new"))
    rebuilt = a.join(b, on="code").filter(pl.col("floor_area_incl_toilet_m2") < 100, pl.col("new") >= 100)
    code = rebuilt["code"][0]
    with store.init_db(url).connect() as conn:
        mid = store.snapshot(conn, "institution", date(2025, 6, 30), TOWNSHIP).filter(pl.col("code") == code)
        end = store.snapshot(conn, "institution", date(2025, 12, 31), TOWNSHIP).filter(pl.col("code") == code)
    assert mid["floor_area_incl_toilet_m2"][0] == rebuilt["floor_area_incl_toilet_m2"][0]
    assert end["floor_area_incl_toilet_m2"][0] == rebuilt["new"][0]


def test_what_changed_since_last_year(three_years_db: Path, tmp_path: Path,
                                      years_frames: dict[int, dict[str, pl.DataFrame]]) -> None:
    url = copy_db(three_years_db, tmp_path / "t.sqlite")
    since, until, df = api.changes_since_last_year(TOWNSHIP, 2025, "yanggu-2024", url=url)
    assert (since, until) == (date(2024, 12, 31), date(2025, 12, 31))
    b = years_frames[2025]
    inst = b["institution"].filter(pl.col("division_code").str.starts_with(TOWNSHIP))["code"]
    staff = b["staff"].filter(pl.col("institution_code").is_in(inst.to_list()))
    left = set(staff.filter(pl.col("end_date").is_not_null())["staff_code"])
    hired = set(staff.filter(pl.col("start_date") >= date(2025, 1, 1))["staff_code"])
    got_left = set(df.filter((pl.col("table_name") == "staff") & (pl.col("change") == "ended"))["entity_key"])
    got_hired = set(df.filter((pl.col("table_name") == "staff") & (pl.col("change") == "added"))["entity_key"])
    assert got_left == left and got_hired == hired and left and hired
    assert (df["township"] == TOWNSHIP).all()
    area = df.filter(pl.col("field") == "floor_area_incl_toilet_m2")
    assert area.height and "业务用房" not in history.describe_change(area.row(0, named=True))
    assert "房屋面积含厕所" in history.describe_change(area.row(0, named=True))
    assert df.filter(pl.col("table_name") == "result").height  # verdicts that changed, from the two runs


def test_one_census_only_is_a_clear_error(yanggu_db: str) -> None:
    with pytest.raises(WangdiError, match="只有一期"):
        api.changes_since_last_year("371521", None, None, url=yanggu_db)


def test_report_shows_year_on_year_change(three_years_db: Path, tmp_path: Path) -> None:
    url = copy_db(three_years_db, tmp_path / "t.sqlite")
    d = content.build("yanggu-2024", TOWNSHIP, date(2026, 12, 31), url)
    assert d.yearly is not None
    years = set(d.yearly["年度"])
    assert {"2024年", "2025年", "2026年"} <= years
    changed = d.yearly.filter(pl.col("比上年") != "—")
    assert changed.height and changed["比上年"].str.contains("个百分点").all()
    # values differ across years for at least one target: trends are not flat
    assert d.yearly.group_by("目标").agg(pl.col("现状").n_unique()).filter(pl.col("现状") > 1).height
