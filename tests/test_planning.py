"""Issue 8: actions from gaps, an optimised plan (HiGHS), staffing, and scenarios that meet what the plan claims."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from wangdi import api, planning
from wangdi.errors import WangdiError
from wangdi.planning.actions import Action, orderings
from wangdi.planning.optimize import TargetNeed, solve
from wangdi.policy.pack import load


def _action(n: int, cost: float, kind: str = "integrate", inst: str = "I", pop: float = 100) -> Action:
    return Action((f"{inst}{n}", kind, "x"), f"{inst}{n}", f"{inst}{n}", kind, "x", "d", 1, "所", "x",
                  ["t"], ["c"], None, "371521108", pop, 0.0, cost)


def test_known_optimum_small_case() -> None:
    # a target needs 2 actions by 2025; costs 5, 4, 3; budget 2025 = 7 → only {4, 3} fits and meets it
    acts = [_action(1, 5), _action(2, 4), _action(3, 3)]
    target = TargetNeed("t", "目标", "371521", 2, date(2025, 12, 31), [0, 1, 2])
    sol = solve(acts, {2025: 7.0}, [target])
    assert sol.met == {"t/371521": True}
    assert sorted(sol.funded) == [1, 2] and set(sol.funded.values()) == {2025}
    assert sol.status == "kOptimal" and sol.gap < 0.01


def test_deadline_and_budget_years_are_respected() -> None:
    acts = [_action(1, 5), _action(2, 5)]
    target = TargetNeed("t", "目标", "371521", 2, date(2025, 12, 31), [0, 1])
    sol = solve(acts, {2025: 5.0, 2026: 5.0}, [target])
    assert sol.met == {"t/371521": False}  # the second action can only come in 2026, after the deadline
    assert len(sol.funded) == 2  # still worth doing


def test_star_upgrade_waits_for_six_haves() -> None:
    six = _action(1, 5, "six_haves", inst="C")
    star = _action(1, 1, "star_upgrade", inst="C")
    star.key = ("C1", "star_upgrade", "x")
    order = orderings(load("yanggu-2024"))  # the ordering comes from the pack, not from code
    assert order == [("six_haves", "star_upgrade")]
    sol = solve([six, star], {2025: 1.0, 2026: 10.0}, [], order=order)
    assert sol.funded.get(1) != 2025 or sol.funded.get(0) == 2025  # never the star before the six haves
    free = solve([six, star], {2025: 1.0, 2026: 10.0}, [])  # without the pack's ordering the star comes first
    assert free.funded.get(1) == 2025


@pytest.mark.parametrize("text", ["", "2025", "2025=-5", "twenty=5", "2025=1e6x"])
def test_bad_budgets_are_refused_clearly(text: str) -> None:
    with pytest.raises(WangdiError) as info:
        planning.parse_budgets(text)
    assert info.value.code == "bad-budget" and "预算" in info.value.zh


def test_budget_in_wan() -> None:
    assert planning.parse_budgets("2025=800万, 2026=8000000") == {2025: 8_000_000.0, 2026: 8_000_000.0}


def test_plan_then_scenario_meets_the_targets_it_claims(tmp_path: Path, yanggu_xlsx: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    assert api.import_census(yanggu_xlsx, url=url).written
    p = api.plan("yanggu-2024", "371521", "2025=8000000,2026=8000000", tmp_path / "plan.xlsx", date(2026, 1, 1),
                 url=url)
    spent = p.year_summary()
    assert (spent["安排（元）"] <= spent["预算（元）"]).all()
    claimed = p.target_table().filter(pl.col("计划内达成"))
    assert claimed.height >= 1
    funded = p.funded()
    assert funded["规则"].null_count() == 0 and (funded["条款"] != "").all()
    info = api.plan_apply(tmp_path / "plan.xlsx", "s1", url=url)
    outcomes = {(r["rule_id"], r["entity_code"]): r["outcome"] for r in info["targets"].iter_rows(named=True)}
    for r in claimed.iter_rows(named=True):
        assert outcomes[(r["规则"], r["地区"])] == "met", r
    # the real registry is untouched
    from wangdi.registry import store

    with store.engine(url).connect() as c:
        assert store.snapshot(c, "staff").filter(pl.col("name") == "规划新增人员").is_empty()
    before = p.target_table().filter(pl.col("规则") == "clinic_three_stars_rate")
    assert before.height == 1


def test_staffing_lists_village_doctors_reaching_60(tmp_path: Path, yanggu_xlsx: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    api.import_census(yanggu_xlsx, url=url)
    p = api.plan("yanggu-2024", "371521", "2025=1000000,2026=1000000", None, date(2026, 1, 1), url=url)
    reaching = p.staffing.filter(pl.col("类别") == "年满60岁需替补的乡村医生")
    from wangdi.registry import store

    with store.engine(url).connect() as c:
        staff = store.snapshot(c, "staff")
    expected = staff.filter((pl.col("qualification") == "village_doctor")
                            & (pl.col("birth_date").dt.year() + 60).is_in([2025, 2026])).height
    assert int(reaching["人数"].sum()) == expected


def test_scenarios_need_sqlite() -> None:
    from wangdi.planning.output import scenario_url

    with pytest.raises(WangdiError) as info:
        scenario_url("x", "postgresql+psycopg://u:p@localhost/db")
    assert info.value.code == "scenario-sqlite-only"


def test_a_bad_cost_catalogue_is_refused_clearly(tmp_path: Path) -> None:
    from wangdi.planning.actions import load_costs

    bad = tmp_path / "costs.csv"
    bad.write_text("item,price\ndr,1\n", encoding="utf-8")
    with pytest.raises(WangdiError) as info:
        load_costs(bad)
    assert info.value.code == "bad-cost-catalogue" and "key" in info.value.zh
    neg = tmp_path / "neg.csv"
    neg.write_text("key,unit_cost\nequipment:dr,-5\n", encoding="utf-8")
    with pytest.raises(WangdiError):
        load_costs(neg)
    ok = tmp_path / "ok.csv"
    ok.write_text("key,unit_cost\nequipment:dr,900000\n", encoding="utf-8")
    costs, source = load_costs(ok)
    assert costs["equipment:dr"] == 900000 and "ok.csv" in source and costs["bed"] > 0
