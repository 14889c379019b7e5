"""Subsidies as finance pays them (issue 12 item 3), from raw staff rows.

002 三（二）4: "对在嘎查村卫生室注册，并纳入乡村一体化管理的在岗乡村医生，按照每人每月不低于1000元的标准，核定定额补助……
为嘎查村卫生室提供延伸服务的苏木乡镇卫生院或社区卫生服务中心医务人员，不在定额补助范围之内。" — monthly, so a year pays
the months in post; the same document counts licensed (assistant) physicians among its 乡村医生.
001 四（三）23: "继续落实边远地区乡村医生生活补贴政策，县级财政给予每人每月300元的生活补贴。"
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import polars as pl

from tests.test_fields import dataset, inst, person
from wangdi.policy import engine, pack
from wangdi.reports.subsidies import line_facts

YEAR_END = date(2025, 12, 31)
CLINIC = "150621100200"


def lines(pack_id: str, rule: str, rows: dict[str, list[dict[str, Any]]], region: str) -> dict[str, dict[str, Any]]:
    p = pack.load(pack_id)
    con = duckdb.connect()
    res = engine.evaluate(p, dataset(rows, YEAR_END, region[:4]), [rule], con).filter(pl.col("rule_id") == rule)
    facts = line_facts(con, p, res, YEAR_END)
    got = res.join(facts, on=["rule_id", "entity_code"], how="left")
    return {r["entity_code"]: r for r in got.iter_rows(named=True)}


def _ordos() -> dict[str, dict[str, Any]]:
    staff = [person("whole_year", "VC", start_date=date(2019, 3, 1)),
             person("joined_oct", "VC", start_date=date(2025, 10, 15)),
             person("left_june", "VC", start_date=date(2018, 5, 2), end_date=date(2025, 6, 20)),
             person("left_1_june", "VC", start_date=date(2018, 5, 2), end_date=date(2025, 6, 1)),
             person("left_last_year", "VC", start_date=date(2018, 5, 2), end_date=date(2024, 11, 30)),
             person("assistant", "VC", "assistant_physician", start_date=date(2020, 1, 6)),
             person("thc_doctor", "THC", "licensed_physician", start_date=date(2020, 1, 6)),
             person("no_start", "VC"),
             person("flag_blank", "VB", start_date=date(2021, 8, 9))]
    rows = {"institution": [inst("VC", "D600", CLINIC, integrated=True), inst("VB", "D600", CLINIC),
                            inst("THC", "C210", "150621100", integrated=True)], "staff": staff}
    return lines("ordos-2024", "integrated_vd_subsidy", rows, "150621")


def test_monthly_subsidy_is_pro_rated_by_months_in_post() -> None:
    got = _ordos()
    paid = {k: (v["outcome"], v["amount"], v["在岗月数"]) for k, v in got.items() if v["outcome"] == "payable"}
    assert paid["whole_year"] == ("payable", 12000.0, 12)
    assert paid["joined_oct"] == ("payable", 3000.0, 3)  # October, November, December
    assert paid["left_june"] == ("payable", 6000.0, 6)  # January to June
    assert paid["left_1_june"] == ("payable", 5000.0, 5)  # last day in post 31 May
    assert "left_last_year" not in got


def test_licensed_physicians_at_the_village_clinic_count_as_village_doctors() -> None:
    got = _ordos()
    assert got["assistant"]["outcome"] == "payable" and got["assistant"]["amount"] == 12000.0
    assert "thc_doctor" not in got  # 苏木乡镇卫生院医务人员 giving outreach: not in the subsidy


def test_missing_eligibility_data_is_listed_as_to_be_verified_with_the_field() -> None:
    got = _ordos()
    assert got["no_start"]["outcome"] == "unknown" and "本年度在岗月数" in got["no_start"]["待核实项目"]
    assert got["flag_blank"]["outcome"] == "unknown" and "在一体化村卫生室" in got["flag_blank"]["待核实项目"]


def test_remote_allowance_includes_physicians_at_village_clinics() -> None:
    staff = [person("vd", "VC", start_date=date(2020, 2, 3)),
             person("dr", "VC", "licensed_physician", start_date=date(2025, 4, 30)),
             person("thc", "THC", "licensed_physician", start_date=date(2020, 2, 3))]
    rows = {"institution": [inst("VC", "D600", "360731100200", remote_area=True),
                            inst("THC", "C210", "360731100", remote_area=True)], "staff": staff}
    got = lines("ganzhou-2019", "remote_vd_allowance", rows, "360731")
    assert (got["vd"]["outcome"], got["vd"]["amount"]) == ("payable", 3600.0)
    assert (got["dr"]["outcome"], got["dr"]["amount"], got["dr"]["在岗月数"]) == ("payable", 2700.0, 9)  # April–December
    assert "thc" not in got
