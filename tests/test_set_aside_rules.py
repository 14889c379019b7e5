"""The provisions once set aside for want of data (issue 16 item 3), each checked from raw rows on both sides of
its number, with blanks and dates other than 31 December. Every expected number below is read from the clause
quoted in the comment, not from the rule."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from wangdi.policy import engine
from wangdi.policy.coverage import report
from wangdi.policy.pack import available, load
from wangdi.policy.runs import load_dataset
from wangdi.registry import store
from wangdi.registry.validate import records_as_incoming, validate

DATA_GAP = ("登记库未收集", "登记库不记录", "未收集", "不记录", "登记库未记录")


def test_no_provision_is_set_aside_for_want_of_data() -> None:
    for pid in available():
        for p in report(load(pid))["provisions"]:
            if p["status"] == "not_checkable":
                assert not any(w in p["reason"] for w in DATA_GAP), (pid, p["ref"], p["reason"])


# (pack, rule, division the value is reported for, the clause's number, "min"/"max", deadline, step beyond it)
INDICATOR_CASES = [
    ("yanggu-2024", "drg_primary_groups", "371521", 20, "min", "2025-12-31", 1),  # 不少于20个
    ("yanggu-2024", "county_specialty_visit_share", "371521", 0.65, "min", "2025-12-31", 0.001),  # 65%以上
    ("yanggu-2024", "weak_clinics_upgraded", "371521", 199, "min", "2024-12-31", 1),  # 199个薄弱村卫生室
    ("yanggu-2024", "tcm_culture_park", "371521", 1, "min", "2026-12-31", 1),  # 至少建成1个
    ("yanggu-2024", "township_tcm_corner", "371521", 1.0, "min", "2026-12-31", 0.001),  # 每个乡镇至少1个
    ("yanggu-2024", "village_doctor_skills", "371521", 1.0, "min", "2026-12-31", 0.001),  # 每名村医
    ("yanggu-2024", "infectious_report_automation", "371521", 1, "min", "2025-12-31", 1),  # 2025年年底基本实现
    ("yanggu-2024", "township_childcare", "371521", 1.0, "min", "2026-12-31", 0.001),  # 乡镇全覆盖
    ("ganzhou-2019", "thc_legacy_debt_cleared", "3607", 0, "max", "2022-12-31", 1),  # 3年内化解
    ("ganzhou-2019", "promotion_thc_service", "3607", 0, "max", "2019-12-31", 1),  # 必须…服务一年
    ("ganzhou-2019", "transfer_thc_service", "3607", 0, "max", "2019-12-31", 1),  # 服务5年以上
    ("ganzhou-2019", "borrowing_limit", "3607", 0, "max", "2019-12-31", 1),  # 不得超过6个月
    ("ganzhou-2019", "thc_level1_surgery_share", "3607", 0.9, "min", "2030-12-31", 0.001),  # 90%以上
    ("ganzhou-2019", "thc_information_system", "3607", 1.0, "min", "2020-12-31", 0.001),  # 覆盖所有
    ("ganzhou-2019", "outpatient_reimbursement", "3607", 0.65, "min", "2020-12-31", 0.001),  # 65%左右
    ("ganzhou-2019", "village_doctor_pension", "3607", 1.0, "min", "2020-12-31", 0.001),  # 按规定发放
    ("ganzhou-2019", "village_doctor_liability_insurance", "3607", 1.0, "min", "2020-12-31", 0.001),  # 统一购买
    ("kaifeng-2021", "cmc_monitoring_excellent", "4102", 0.4, "min", "2021-12-31", 0.001),  # 2021年40%左右
    ("kaifeng-2021", "primary_first_diagnosis_diseases", "4102", 50, "min", "2025-12-31", 1),  # 50种以上
    ("kaifeng-2021", "sanitary_county_towns", "4102", 1.0, "min", "2025-12-31", 0.001),  # 全覆盖
    ("kaifeng-2021", "sanitary_townships", "4102", 0.5, "min", "2025-12-31", 0.001),  # 50%
    ("kaifeng-2021", "demonstration_tcm_halls", "4102", 0.25, "min", "2025-12-31", 0.001),  # 25%
    ("ordos-2024", "contract_fee_to_pay", "150602", 0.7, "min", "2024-12-31", 0.001),  # 不低于70%
    ("ordos-2024", "clinic_public_health_tasks", "150602", 0.4, "min", "2024-12-31", 0.001),  # 40%
    ("baoding-2023", "tcm_senior_talent", "1306", 10, "min", "2025-12-31", 1),
    ("baoding-2023", "tcm_backbone_talent", "1306", 200, "min", "2025-12-31", 1),
    ("baoding-2023", "tcm_integrated_talent", "1306", 2000, "min", "2025-12-31", 1),
    ("baoding-2023", "leading_disciplines", "1306", 25, "min", "2025-12-31", 1),
    ("baoding-2023", "advanced_disciplines", "1306", 55, "min", "2025-12-31", 1),
    ("baoding-2023", "developing_disciplines", "1306", 52, "min", "2025-12-31", 1),
    ("baoding-2023", "cmc_standard_counties", "1306", 0.6, "min", "2023-12-31", 0.001),  # 60%
    ("baoding-2023", "cmc_demonstration_counties", "1306", 0.2, "min", "2023-12-31", 0.001),  # 20%
    ("baoding-2023", "tcm_key_disciplines", "1306", 5, "min", "2025-12-31", 1),
    ("baoding-2023", "tcm_advantage_specialties", "1306", 2, "min", "2025-12-31", 1),
    ("baoding-2023", "tcm_innovation_platforms", "1306", 2, "min", "2025-12-31", 1),
    ("baoding-2023", "old_clinics_renovated", "1306", 121, "min", "2025-12-31", 1),
    ("baoding-2023", "gp_transfer_training", "1306", 350, "min", "2025-12-31", 1),
    ("baoding-2023", "assistant_gp_training", "1306", 50, "min", "2023-12-31", 1),  # 每年至少50人
    ("baoding-2023", "quality_control_specialties", "1306", 60, "min", "2030-12-31", 1),
    ("baoding-2023", "elderly_care_contracts", "1306", 1.0, "min", "2023-12-31", 0.001),  # 签约率达100%
    ("baoding-2023", "city_rehab_hospital", "1306", 1, "min", "2025-12-31", 1),
    ("baoding-2023", "annual_salary_counties", "1306", 0.5, "min", "2023-12-31", 0.001),  # 50%
    ("baoding-2023", "baokangtong_docking", "1306", 1.0, "min", "2025-12-31", 0.001),
    ("baoding-2023", "telemedicine_county_hospitals", "1306", 1.0, "min", "2025-12-31", 0.001),
    ("baoding-2023", "county_care_home_medical", "130602", 1, "min", "2025-12-31", 1),  # 每个县至少1所
    ("baoding-2023", "public_health_departments", "1306", 1.0, "min", "2023-12-31", 0.001),
    ("baoding-2023", "epidemic_data_sharing", "1306", 1, "min", "2025-12-31", 1),
    ("baoding-2023", "cdc_bureaus_set_up", "1306", 1, "min", "2023-12-31", 1),
    ("baoding-2023", "city_public_health_senior_posts", "1306", 0.35, "min", "2025-12-31", 0.001),  # 35%
    ("baoding-2023", "county_public_health_senior_posts", "130602", 0.25, "min", "2025-12-31", 0.001),  # 25%
    ("baoding-2023", "new_physicians_residency", "1306", 1.0, "min", "2023-12-31", 0.001),
    ("baoding-2023", "village_doctor_training_coverage", "1306", 1.0, "min", "2025-12-31", 0.001),
]


def _write(url: str, table: str, rows: list[dict[str, Any]], effective: date = date(2020, 1, 1)) -> None:
    with store.transaction(url) as conn:
        frames, rep = validate([records_as_incoming(table, rows)], conn)
        assert rep.valid, rep.errors
        store.write_tables(conn, frames, effective, "test")


def _outcomes(url: str, pack: str, rule: str, region: str, as_of: date) -> dict[str, str]:
    res = engine.evaluate(load(pack), load_dataset(region, as_of, url), [rule])
    return dict(res.select("entity_code", "outcome").iter_rows())


@pytest.mark.parametrize(("pack", "rule", "division", "bound", "side", "by", "step"), INDICATOR_CASES,
                         ids=[c[1] for c in INDICATOR_CASES])
def test_indicator_target_on_both_sides_of_its_number(db_url: str, pack: str, rule: str, division: str,
                                                      bound: float, side: str, by: str, step: float) -> None:
    store.init_db(db_url)
    deadline = date.fromisoformat(by)
    indicator = str(load(pack).rules[rule].spec["indicator"])
    period = str(deadline.year)
    row = {"indicator": indicator, "division_code": division, "period": period}
    assert _outcomes(db_url, pack, rule, division, deadline)[division] == "unknown"  # not reported: never zero
    beyond = bound - step if side == "min" else bound + step
    _write(db_url, "indicator_value", [{**row, "value": str(beyond)}])
    assert _outcomes(db_url, pack, rule, division, deadline)[division] == "not_met"
    _write(db_url, "indicator_value", [{**row, "value": str(bound)}])
    assert _outcomes(db_url, pack, rule, division, deadline)[division] == "met"
    # the day before the period ends the year is not yet due: the year before is read, and it was not reported
    assert _outcomes(db_url, pack, rule, division, deadline - timedelta(days=1))[division] == "unknown"


def _inst(code: str, type_code: str, division: str, **facts: Any) -> dict[str, Any]:
    return {"code": code, "name": f"测试{code}", "type_code": type_code, "division_code": division, **facts}


@pytest.mark.parametrize(("rule", "type_code", "facts", "expected"), [
    ("chc_catchment", "B100", {"catchment_population": 50000}, "pass"),  # 3—5万服务人口设立1所
    ("chc_catchment", "B100", {"catchment_population": 50001}, "fail"),
    ("chc_catchment", "B100", {}, "unknown"),
    ("station_catchment", "B200", {"catchment_population": 20000}, "pass"),  # 按0.8—2万常住人口设立1所
    ("station_catchment", "B200", {"catchment_population": 20001}, "fail"),
    ("thc_disease_capability", "C220", {"diseases_capable": 50}, "pass"),  # 50种常见病、多发病
    ("thc_disease_capability", "C220", {"diseases_capable": 49}, "fail"),
    ("thc_disease_capability", "C220", {}, "unknown"),
    ("basic_standard_disease_capability", "C220", {"diseases_capable": 66, "capacity_level": "basic"}, "pass"),
    ("basic_standard_disease_capability", "C220", {"diseases_capable": 65, "capacity_level": "basic"}, "fail"),
    ("recommended_standard_disease_capability", "B100", {"diseases_capable": 100, "capacity_level": "recommended"},
     "pass"),
    ("recommended_standard_disease_capability", "B100", {"diseases_capable": 99, "capacity_level": "recommended"},
     "fail"),
])
def test_ordos_registry_facts(db_url: str, rule: str, type_code: str, facts: dict[str, Any], expected: str) -> None:
    store.init_db(db_url)
    _write(db_url, "institution", [_inst("T1", type_code, "150602001", **facts)])
    assert _outcomes(db_url, "ordos-2024", rule, "150602", date(2025, 6, 30))["T1"] == expected


def test_ordos_village_clinic_disease_capability(db_url: str) -> None:
    """「嘎查村卫生室具备识别和初步诊治30种常见病、多发病能力」: 30 passes, 29 fails."""
    store.init_db(db_url)
    _write(db_url, "institution", [_inst("THC", "C220", "150602001"),
                                   _inst("V30", "D600", "150602001", manager_code="THC", diseases_capable=30),
                                   _inst("V29", "D600", "150602001", manager_code="THC", diseases_capable=29)])
    got = _outcomes(db_url, "ordos-2024", "clinic_disease_capability", "150602", date(2025, 6, 30))
    assert (got["V30"], got["V29"]) == ("pass", "fail")


@pytest.mark.parametrize(("rule", "facts", "as_of", "expected"), [
    ("tcm_featured_expert_station", {"tcm_expert_station": "是"}, "2026-12-31", "pass"),  # 建设1个工作站
    ("tcm_featured_expert_station", {"tcm_expert_station": "否"}, "2026-12-31", "fail"),
    ("tcm_featured_expert_station", {"tcm_expert_station": "否"}, "2026-12-30", "not_yet_due"),
    ("tcm_featured_expert_station", {}, "2026-12-31", "unknown"),
    ("tcm_featured_senior_sessions", {"tcm_senior_sessions_weekly": "1"}, "2026-12-31", "pass"),  # 每周不少于1次
    ("tcm_featured_senior_sessions", {"tcm_senior_sessions_weekly": "0.5"}, "2026-12-31", "fail"),
    ("tcm_featured_techniques", {"tcm_techniques_promoted": "4"}, "2026-12-31", "pass"),  # 4类以上
    ("tcm_featured_techniques", {"tcm_techniques_promoted": "3"}, "2026-12-31", "fail"),
    ("tcm_featured_techniques", {}, "2026-12-31", "unknown"),
])
def test_yanggu_tcm_featured_contents(db_url: str, rule: str, facts: dict[str, Any], as_of: str, expected: str) -> None:
    store.init_db(db_url)
    _write(db_url, "institution", [_inst("T1", "C220", "371521101", is_tcm_featured="是", **facts)])
    assert _outcomes(db_url, "yanggu-2024", rule, "371521", date.fromisoformat(as_of))["T1"] == expected


@pytest.mark.parametrize(("prev", "now", "expected"), [
    (500, 510, "pass"),  # 50.0% → 51.0%: 1 point, 「每年提升1—3个百分点」
    (500, 509, "fail"),  # 0.9 point
    (500, 550, "pass"),  # 5 points: more than the range still rises (reading)
    (None, 520, "unknown"),  # no previous year
])
def test_contract_coverage_yearly_rise(db_url: str, prev: int | None, now: int, expected: str) -> None:
    store.init_db(db_url)
    _write(db_url, "institution", [_inst("T1", "C220", "150602001")])
    rows = [{"institution_code": "T1", "year": "2025", "group": "all", "contracted": str(now), "eligible": "1000"}]
    if prev is not None:
        rows.append({"institution_code": "T1", "year": "2024", "group": "all", "contracted": str(prev),
                     "eligible": "1000"})
    _write(db_url, "contract", rows)
    got = _outcomes(db_url, "ordos-2024", "contract_coverage_yearly_rise", "150602", date(2026, 3, 15))
    assert got["150602/all"] == expected


@pytest.mark.parametrize(("start", "end", "expected"), [
    ("2021-03-01", "2021-03-30", "pass"),  # 30 days: 「不少于1个月」
    ("2021-03-01", "2021-03-29", "fail"),  # 29 days
    ("2020-06-30", "2020-07-30", "fail"),  # started exactly 5 years before 30 June 2025: outside the window
    ("2020-07-01", "2020-07-31", "pass"),  # started inside the 5 years
])
def test_ganzhou_further_study_every_five_years(db_url: str, start: str, end: str, expected: str) -> None:
    store.init_db(db_url)
    _write(db_url, "institution", [_inst("THC", "C220", "360702001"),
                                   _inst("V1", "D600", "360702001", manager_code="THC")])
    _write(db_url, "staff", [
        {"staff_code": "S1", "institution_code": "V1", "name": "村医甲", "category": "health_tech",
         "qualification": "village_doctor", "start_date": "2018-06-01"},
        {"staff_code": "S2", "institution_code": "V1", "name": "村医乙", "category": "health_tech",
         "qualification": "village_doctor", "start_date": "2021-01-01"}])
    _write(db_url, "training", [{"training_id": "TR1", "staff_code": "S1", "course": "脱产进修", "start_date": start,
                                 "end_date": end}])
    got = _outcomes(db_url, "ganzhou-2019", "village_doctor_further_study", "3607", date(2025, 6, 30))
    assert got["S1"] == expected
    assert "S2" not in got  # four years in post: not yet asked


