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
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "plan.xlsx", read_only=True)
    towns = {c["name"] for c in api.region_show("371521")["children"]}
    assert towns & set(wb.sheetnames), "township sheets are named by the township's name"
    assert not [n for n in wb.sheetnames if n.startswith("乡镇3")], wb.sheetnames
    summary = {r[0]: r[1] for r in wb["摘要"].iter_rows(min_row=2, values_only=True)}
    assert summary["方案名称"].startswith("阳谷县") and summary["地区名称"] == "阳谷县"
    assert not str(summary["求解状态"]).startswith("k"), summary["求解状态"]
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


def _brute_force(acts: list[Action], budgets: dict[int, float], targets: list[TargetNeed]) -> float:
    """The original model (one yes/no per action and year) solved by enumeration: the optimum to compare with."""
    import itertools

    from wangdi.planning.optimize import TARGET_REWARD, _coefficient, _weight

    years = sorted(budgets)
    total_w = sum(_weight(a) for a in acts)
    best = 0.0
    for choice in itertools.product([None, *years], repeat=len(acts)):
        if any(sum(a.cost or 0 for a, y in zip(acts, choice, strict=True) if y == yy) > budgets[yy] for yy in years):
            continue
        six = {a.institution: choice[i] for i, a in enumerate(acts) if a.kind == "six_haves"}
        if any(a.kind == "star_upgrade" and choice[i] is not None and a.institution in six
               and (six[a.institution] is None or six[a.institution] > choice[i]) for i, a in enumerate(acts)):
            continue  # a star upgrade waits for its clinic's six haves
        value = sum(_coefficient(a, y, years, total_w) for a, y in zip(acts, choice, strict=True) if y is not None)
        for t in targets:
            last = min(years[-1], t.deadline.year) if t.deadline else years[-1]
            if sum(1 for i in t.actions if choice[i] is not None and choice[i] <= last) >= t.needed:
                value += TARGET_REWARD
        best = max(best, value)
    return best


def test_grouping_identical_actions_keeps_the_optimum() -> None:
    from wangdi.planning.optimize import group_actions

    # six identical integration actions (same kind, cost, target) for clinics of different size, and two others
    acts = [_action(k, 3, pop=pop) for k, pop in enumerate([100, 5000, 300, 5000, 80, 2500])]
    acts += [_action(7, 4, "convert_ownership"), _action(8, 2, "convert_ownership", pop=900)]
    target = TargetNeed("t", "目标", "371521", 3, date(2025, 12, 31), [0, 1, 2, 3, 4, 5])
    budgets = {2025: 10.0, 2026: 6.0}
    groups = group_actions(acts, list(range(len(acts))), [target])
    assert len(groups) < len(acts)  # identical actions share a count
    assert sorted(len(g.first) for g in groups if acts[g.first[0]].kind == "integrate")[-1] >= 2
    sol = solve(acts, budgets, [target])
    assert sol.met == {"t/371521": True}
    assert sol.objective == pytest.approx(_brute_force(acts, budgets, [target]), rel=1e-3)
    funded_2025 = [i for i, y in sol.funded.items() if y == 2025 and acts[i].kind == "integrate"]
    assert {1, 3} <= set(funded_2025)  # the largest clinics first within a group
    assert sum(acts[i].cost or 0 for i, y in sol.funded.items() if y == 2025) <= 10


def test_star_pairs_grouped_never_put_a_star_before_its_six_haves() -> None:
    from wangdi.planning.actions import orderings
    from wangdi.policy import pack

    order = orderings(pack.load("yanggu-2024"))  # 三（五）17: star upgrades after the 六有, from the pack
    assert ("six_haves", "star_upgrade") in order
    acts = []
    for k in range(4):  # four clinics, each a six-haves (cost 2) and a star upgrade (cost 1) waiting for it
        six, star = _action(k, 2, "six_haves", inst="C"), _action(k, 1, "star_upgrade", inst="C")
        star.key = (f"C{k}", "star_upgrade", "x")
        acts += [six, star]
    sol = solve(acts, {2025: 5.0, 2026: 6.0}, [], order=order)
    for k in range(4):
        six_y, star_y = sol.funded.get(2 * k), sol.funded.get(2 * k + 1)
        assert star_y is None or (six_y is not None and six_y <= star_y)
    assert sol.objective == pytest.approx(_brute_force(acts, {2025: 5.0, 2026: 6.0}, []), rel=1e-3)


def test_greedy_start_respects_budgets_and_order() -> None:
    from wangdi.planning.optimize import greedy

    six_a, six_b = _action(1, 2, "six_haves", inst="C"), _action(1, 2, "six_haves", inst="C")
    six_b.key = ("C1", "six_haves", "y")
    star = _action(1, 1, "star_upgrade", inst="C")
    others = [_action(k, 3) for k in range(2, 6)]
    acts = [six_a, six_b, star, *others]
    target = TargetNeed("t", "目标", "371521", 1, date(2025, 12, 31), [2])
    plan = greedy(acts, {2025: 5.0, 2026: 3.0}, [target], {0: None}, {2: [0, 1]}, 10.0)
    assert plan[2] == 2025 and plan[0] <= 2025 and plan[1] <= 2025  # the star with both six-haves, by its deadline
    for y, budget in ((2025, 5.0), (2026, 3.0)):
        assert sum(acts[i].cost or 0 for i, yy in plan.items() if yy == y) <= budget
    sol = solve(acts, {2025: 5.0, 2026: 3.0}, [target])  # a star waiting for two six-haves stays a single choice
    assert sol.met == {"t/371521": True} and sol.funded[2] >= max(sol.funded[0], sol.funded[1])
