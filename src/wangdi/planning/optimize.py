"""The yearly plan as a mixed-integer programme, solved with HiGHS.

x[a, y] = 1 when action a is funded in plan year y (each action at most once).
z[t]    = 1 when target t is met by its deadline: z[t] * needed[t] <= actions for t funded by then.
Budget:  Σ cost[a] * x[a, y] <= budget[y] for every year.
Order:   pairs (first, then) of action kinds from the pack (pack.yaml `planning.order`): an institution's
         `then` actions only in or after the year all its `first` actions are funded.
Maximise 1000 per target met (as many targets as possible) + a small weight per action: population
served × weakness (weakest first), larger when funded by its own due date and earlier in the plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from wangdi.errors import WangdiError
from wangdi.planning.actions import Action

TARGET_REWARD = 1000.0
ACTION_BUDGET_OF_OBJECTIVE = 500.0  # action weights sum to at most this: never worth more than one target


@dataclass
class TargetNeed:
    rule_id: str
    label: str
    region: str
    needed: int
    deadline: date | None
    actions: list[int] = field(default_factory=list)


@dataclass
class Solution:
    funded: dict[int, int]  # action index -> year
    met: dict[str, bool]  # target key -> met by deadline
    objective: float
    gap: float
    status: str
    seconds: float


def solve(actions: list[Action], budgets: dict[int, float], targets: list[TargetNeed], time_limit: float = 60.0,
          mip_gap: float = 0.005, order: list[tuple[str, str]] | None = None) -> Solution:
    import time

    import highspy

    if not budgets or any(b < 0 or math.isnan(b) for b in budgets.values()):
        raise WangdiError("bad-budget", "预算应为非负数，例如 --budget 2025=8000000,2026=8000000", "budgets must be >= 0")
    years = sorted(budgets)
    costed = [i for i, a in enumerate(actions) if a.cost is not None]
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.silent()
    h.setOptionValue("mip_rel_gap", mip_gap)
    h.setOptionValue("time_limit", time_limit)
    h.setOptionValue("threads", 2)
    x: dict[tuple[int, int], Any] = {}
    for i in costed:
        for y in years:
            x[i, y] = h.addBinary()
    for i in costed:
        h.addConstr(sum(x[i, y] for y in years) <= 1)
    for y in years:
        spend = [(actions[i].cost or 0.0, x[i, y]) for i in costed if (actions[i].cost or 0.0) > 0]
        if spend:
            h.addConstr(sum(c * v for c, v in spend) <= budgets[y])
    for first, then in order or []:  # the pack's orderings, per institution
        before: dict[str, list[int]] = {}
        for i in costed:
            if actions[i].kind == first:
                before.setdefault(actions[i].institution, []).append(i)
        for i in costed:
            if actions[i].kind == then:
                for j in before.get(actions[i].institution, []):
                    for y in years:
                        h.addConstr(x[i, y] <= sum(x[j, yy] for yy in years if yy <= y))
    z: dict[int, Any] = {}
    for t_idx, t in enumerate(targets):
        usable = [i for i in t.actions if actions[i].cost is not None]
        last = min(years[-1], t.deadline.year) if t.deadline else years[-1]
        if t.needed <= 0 or not usable or last < years[0]:
            continue
        z[t_idx] = h.addBinary()
        h.addConstr(t.needed * z[t_idx] <= sum(x[i, y] for i in usable for y in years if y <= last))
    total_w = sum(_weight(actions[i]) for i in costed) or 1.0
    terms = [TARGET_REWARD * v for v in z.values()]
    for (i, y), v in x.items():
        a = actions[i]
        on_time = 1.0 if a.due is None or y <= a.due.year else 0.5
        early = 1.0 + 0.1 * (years[-1] - y)
        terms.append(ACTION_BUDGET_OF_OBJECTIVE * _weight(a) / total_w * on_time * early / 1.2 * v)
    t0 = time.perf_counter()
    if terms:
        h.maximize(sum(terms))
    seconds = time.perf_counter() - t0
    status = str(h.getModelStatus()).split(".")[-1]
    info = h.getInfo()
    funded: dict[int, int] = {}
    if terms:
        for (i, y), v in x.items():
            if h.val(v) > 0.5:
                funded[i] = y
    met = {f"{targets[t].rule_id}/{targets[t].region}": h.val(v) > 0.5 for t, v in z.items()} if terms else {}
    gap = float(info.mip_gap) if terms and math.isfinite(info.mip_gap) else 0.0
    obj = float(info.objective_function_value) if terms else 0.0
    return Solution(funded, met, obj, gap, status, seconds)


def _weight(a: Action) -> float:
    return math.log1p(a.population) * (1.0 + a.weakness) + 1.0
