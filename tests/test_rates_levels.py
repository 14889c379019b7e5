"""Rates over the population the clause names, levels from what an institution is, windows (issue 12 items 1, 5, 6).

Each test starts from raw registry rows (visit sheet rows with residence codes, deployments with dates,
trainings with dates) and derives the expected verdict from the clause it quotes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import polars as pl
import pytest

from tests.test_fields import dataset, inst, person
from wangdi.policy import engine, pack

QIXIAN, TONGXU = "410221", "410222"  # 杞县, 通许县 (开封)
QI_TOWN, QI_VILLAGE = "410221001", "410221001001"
DALAT = "150621"  # 达拉特旗 (鄂尔多斯)


def verdict(pack_id: str, rule: str, rows: dict[str, list[dict[str, Any]]], as_of: date, region: str) -> dict[str, Any]:
    data = dataset(rows, as_of, region[:4])
    got = engine.evaluate(pack.load(pack_id), data, [rule], duckdb.connect())
    hit = got.filter((pl.col("rule_id") == rule) & (pl.col("entity_code") == region))
    assert hit.height == 1, got
    return hit.row(0, named=True)


def visits(n: int, residence: str, at: str, kind: str = "outpatient", day: date = date(2025, 5, 17)) -> dict[str, Any]:
    return {"visit_id": f"V-{residence}-{at}-{kind}-{n}", "institution_code": at, "residence_code": residence,
            "visit_date": day, "kind": kind, "count": n}


# --- 000 二1 县域内就诊率达到90%以上 -------------------------------------------------------------------

def _qixian(outside: int, strangers: int = 0) -> dict[str, Any]:
    rows = {"institution": [inst("QH", "A100", QIXIAN), inst("QT", "C220", QI_TOWN), inst("TH", "A100", TONGXU)],
            "visit": [visits(60, QI_VILLAGE, "QH"), visits(30, QI_TOWN, "QT", "inpatient"),
                      visits(outside, QI_VILLAGE, "TH")]}
    if strangers:  # residents of 通许 seen in 杞县: not 杞县's residents, so not in its rate at all
        rows["visit"].append(visits(strangers, TONGXU + "001001", "QH"))
    return verdict("kaifeng-2021", "within_county_visit_share", rows, date(2025, 12, 31), QIXIAN)


def test_within_county_rate_met_at_ninety_percent_of_residents_visits() -> None:
    assert _qixian(outside=10)["outcome"] == "met"  # 90 of 100 resident visits inside 杞县


def test_within_county_rate_counts_residents_who_leave_the_county() -> None:
    # 90 inside, 11 at 通许县 hospital: 90/101 < 90% — the old reading (visits at 杞县's institutions) said 100%
    assert _qixian(outside=11)["outcome"] == "not_met"


def test_visits_by_other_counties_residents_do_not_raise_the_rate() -> None:
    assert _qixian(outside=11, strangers=500)["outcome"] == "not_met"


# --- 002 三（三）1 县域内基层就诊率达65%以上 ---------------------------------------------------------

@pytest.mark.parametrize(("primary", "outcome"), [(65, "met"), (64, "not_met")])
def test_primary_visit_share_is_over_outpatient_and_emergency_visits(primary: int, outcome: str) -> None:
    rows = {"institution": [inst("H", "A100", DALAT), inst("T", "C210", DALAT + "100")],
            "visit": [visits(primary, DALAT + "100200", "T"), visits(100 - primary - 5, DALAT + "100200", "H"),
                      visits(5, DALAT + "100200", "H", "emergency"),
                      visits(400, DALAT + "100200", "H", "inpatient")]}  # stays are not 门急诊: outside the share
    assert verdict("ordos-2024", "primary_visit_share", rows, date(2025, 12, 31), DALAT)["outcome"] == outcome


# --- 003 三（三）10 县、乡级下沉人员分别不少于25人、75人: level from what the sender is -----------------------

def _deployments(n: int, sender: str) -> list[dict[str, Any]]:
    return [{"deployment_id": f"D{sender}{k}", "from_code": sender, "to_code": "CL", "start_date": date(2025, 3, 3),
             "end_date": date(2025, 9, 30)} for k in range(n)]


@pytest.mark.parametrize(("n", "outcome"), [(25, "met"), (24, "not_met")])
def test_county_hospital_at_a_street_code_is_county_level(n: int, outcome: str) -> None:
    # 阳谷县人民医院 registered at 博济桥街道 (371521001): a county hospital, whatever its code's length
    rows = {"institution": [inst("HOSP", "A100", "371521001"), inst("CL", "D600", "371521108201")],
            "deployment": _deployments(n, "HOSP")}
    assert verdict("yanggu-2024", "deployed_county", rows, date(2025, 12, 31), "371521")["outcome"] == outcome


def test_thc_sends_township_level_people() -> None:
    rows = {"institution": [inst("THC", "C210", "371521108"), inst("HOSP", "A100", "371521001"),
                            inst("CL", "D600", "371521108201")],
            "deployment": _deployments(75, "THC") + _deployments(3, "HOSP")}
    assert verdict("yanggu-2024", "deployed_township", rows, date(2025, 12, 31), "371521")["outcome"] == "met"
    assert verdict("yanggu-2024", "deployed_county", rows, date(2025, 12, 31), "371521")["outcome"] == "not_met"


# --- 003 三（二）8 利用三年时间，实现全县乡村医生综合能力培训全覆盖 -----------------------------------------

def _trained(staff: str, day: date) -> dict[str, Any]:
    return {"training_id": f"T{staff}{day}", "staff_code": staff, "course": "乡村医生综合能力培训", "start_date": day,
            "end_date": day}


def test_training_anywhere_in_the_three_years_counts() -> None:
    staff = [person(c, "CL", birth_date=date(1980, 4, 5)) for c in ("A", "B", "C")]
    rows = {"institution": [inst("CL", "D600", "371521108201")], "staff": staff,
            "training": [_trained("A", date(2024, 9, 10)), _trained("B", date(2025, 3, 4)),
                         _trained("C", date(2026, 6, 1))]}
    got = verdict("yanggu-2024", "village_doctor_training_coverage", rows, date(2026, 12, 31), "371521")
    assert got["outcome"] == "met"  # the old reading counted only 2026's training: 1 of 3


def test_training_before_the_window_or_none_does_not_count() -> None:
    staff = [person(c, "CL") for c in ("A", "B", "C")]
    rows = {"institution": [inst("CL", "D600", "371521108201")], "staff": staff,
            "training": [_trained("A", date(2023, 12, 28)), _trained("B", date(2026, 6, 1))]}  # C never trained
    got = verdict("yanggu-2024", "village_doctor_training_coverage", rows, date(2026, 12, 31), "371521")
    assert got["outcome"] == "not_met" and got["gap"] == 2
