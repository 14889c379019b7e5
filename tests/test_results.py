"""Typed results (issue 14 item 3) and unknowns kept unknown (issue 12 item 2), from raw census rows.

Expected verdicts come from the clause text quoted in each test, never from the pack.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from tests import rawrows
from wangdi.policy import formatting, pack
from wangdi.policy.results import RESULT_COLUMNS, RESULT_SCHEMA, Outcome, polars_schema

SRC = Path(__file__).resolve().parents[1] / "src" / "wangdi"
# 阳谷 二（三）「2026年年底前，力争实现人财物乡村一体化管理的村卫生室比例达到80%以上」
INTEGRATION, YANGGU, BY = "clinic_integration_rate", "371521", date(2026, 12, 31)
TOWN = "371521108"


def integration(yes: int, no: int, blank: int, as_of: date = BY) -> dict[str, object]:
    rows = (rawrows.clinics(TOWN, yes, integrated=True) + rawrows.clinics(TOWN, no, yes, integrated=False)
            + rawrows.clinics(TOWN, blank, yes + no))
    res = rawrows.evaluate("yanggu-2024", INTEGRATION, YANGGU, as_of, institution=rows)
    return res.filter(pl.col("entity_code") == YANGGU).row(0, named=True)


def test_the_result_frame_is_typed() -> None:
    res = rawrows.evaluate("yanggu-2024", INTEGRATION, YANGGU, BY,
                           institution=rawrows.clinics(TOWN, 4, integrated=True))
    assert res.columns == RESULT_COLUMNS
    assert dict(res.schema) == polars_schema()
    assert RESULT_SCHEMA["observed"] == "DOUBLE" and RESULT_SCHEMA["deadline"] == "DATE"
    assert set(res["outcome"]) <= {o.value for o in Outcome}


def test_a_share_is_a_fraction_with_unit_share_and_a_numeric_deadline() -> None:
    r = integration(4, 1, 0)  # 4 of 5 = 80%: exactly the clause's 80%
    assert r["outcome"] == Outcome.MET and r["observed"] == pytest.approx(0.8) and r["unit"] == "share"
    assert r["required_min"] == pytest.approx(0.8) and r["deadline"] == date(2026, 12, 31)
    assert formatting.observed_zh(r) == "80%" and formatting.required_zh(r) == "≥80%（2026-12-31前）"


def test_one_short_of_80_percent_is_not_met_with_the_gap_in_clinics() -> None:
    r = integration(79, 21, 0)  # 79% < 80%: one more integrated clinic reaches it
    assert r["outcome"] == Outcome.NOT_MET and r["gap"] == 1
    rule = pack.load("yanggu-2024").rules[INTEGRATION]
    assert formatting.describe(r, rule).endswith("还差 1所")


def test_before_the_deadline_a_short_share_is_not_yet_due() -> None:
    r = integration(1, 9, 0, date(2026, 12, 30))  # the day before 2026年年底
    assert r["outcome"] == Outcome.NOT_YET_DUE and r["deadline"] == date(2026, 12, 31)


def test_blanks_that_could_go_either_way_leave_the_target_unknown_with_bounds() -> None:
    r = integration(8, 2, 5)  # 8/15 if the 5 blanks are not integrated, 13/15 if they are: 80% is on neither side
    assert r["outcome"] == Outcome.UNKNOWN and r["unknown_n"] == 5 and r["observed"] is None
    assert r["observed_low"] == pytest.approx(8 / 15) and r["observed_high"] == pytest.approx(13 / 15)
    text = formatting.describe(r, pack.load("yanggu-2024").rules[INTEGRATION])
    assert "53.33%–86.67%，5 所待核实" in text and "无法判断" in text


def test_blanks_that_cannot_reach_the_target_are_not_met() -> None:
    r = integration(3, 6, 1)  # at best 4/10 = 40% < 80%
    assert r["outcome"] == Outcome.NOT_MET and r["unknown_n"] == 1
    assert r["observed_high"] == pytest.approx(0.4)


def test_blanks_that_cannot_spoil_the_target_are_met() -> None:
    r = integration(9, 0, 1)  # at worst 9/10 = 90% ≥ 80%
    assert r["outcome"] == Outcome.MET and r["observed_low"] == pytest.approx(0.9)
    assert formatting.observed_zh(r) == "90%–100%"


def test_an_all_blank_region_is_unknown_not_met_or_not_applicable() -> None:
    r = integration(0, 0, 3)
    assert r["outcome"] == Outcome.UNKNOWN and r["observed_low"] == 0 and r["observed_high"] == 1


def test_entitlements_carry_their_amount_in_amount_not_gap() -> None:
    # 赣州 四（一）3「按照每年每所乡镇卫生院10-30万元的标准，安排专项资金」: the city-wide floor, 10万元, per THC
    res = rawrows.evaluate("ganzhou-2019", "thc_special_fund", "3607", date(2025, 12, 31), institution=[
        {"code": "T1", "name": "卫生院", "type_code": "C210", "division_code": "360702100", "valid_from": date(2020, 1, 1)}])
    r = res.row(0, named=True)
    assert r["outcome"] == Outcome.PAYABLE and r["amount"] == 100_000 and r["gap"] is None and r["unit"] == "元"
    assert formatting.describe(r) == "thc_special_fund：100000元"


def test_nothing_downstream_parses_result_text() -> None:
    """Issue 14: `grep -rn "re\\.\\(search\\|match\\|findall\\)" src/wangdi/planning src/wangdi/web src/wangdi/reports`."""
    import re

    hits = [f"{p}:{i}" for folder in ("planning", "web", "reports") for p in (SRC / folder).rglob("*.py")
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if re.search(r"re\.(search|match|findall)\(", line)]
    assert hits == []


def _readiness_pack(tmp_path: Path) -> pack.Pack:
    from tests.security import packs

    rule = {"id": "ready", "kind": "requirement", "clause": "一", "text": "村卫生室实行一体化管理并分设诊室",
            "summary": "ready", "label": "就绪", "entity": "institution", "applies": "type_code = 'D600'",
            "readiness": {"管理": ["integrated"], "用房": ["has_separate_rooms"]}, "min": "1"}
    return pack.load(str(packs.write(tmp_path / "ready", rules=[rule])))


@pytest.mark.parametrize(("integrated", "rooms", "outcome"), [
    (True, True, Outcome.PASS), (True, False, Outcome.FAIL), (None, True, Outcome.UNKNOWN),
    (False, None, Outcome.UNKNOWN)])
def test_a_blank_readiness_item_makes_the_index_unknown_not_zero(tmp_path: Path, integrated: bool | None,
                                                                  rooms: bool | None, outcome: Outcome) -> None:
    """Before: a blank item was scored 0, so a clinic with one blank item failed although it might pass."""
    from wangdi.policy import engine

    rows = rawrows.clinics(TOWN, 1, integrated=integrated, has_separate_rooms=rooms)
    r = engine.evaluate(_readiness_pack(tmp_path), rawrows.dataset(YANGGU, BY, institution=rows)).row(0, named=True)
    assert r["outcome"] == outcome
    if outcome == Outcome.UNKNOWN:
        assert r["missing"] == ["integrated" if integrated is None else "has_separate_rooms"] and r["unknown_n"] == 1
        assert "缺少数据" in formatting.describe(r) and r["gap"] is None
        assert ("乡村一体化管理" if integrated is None else "诊室分室设置") in formatting.describe(r)


def test_one_list_of_expressions_includes_readiness_items() -> None:
    """开封 一1「强化急诊、康复、中医、医养结合、安宁疗护、血液透析等服务功能」: the six functions are the rule's inputs,
    so `wangdi explain` shows them (it listed none for a readiness rule)."""
    rule = pack.load("kaifeng-2021").rules["central_thc_service_functions"]
    keys = dict(pack.expressions(rule))
    items = [v for k, v in keys.items() if k.startswith("readiness.")]
    assert len(items) == 6 and "has_service('dialysis')" in items and keys["applies"] == "type_code = 'C210'"
