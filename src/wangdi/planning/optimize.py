"""The yearly plan as a mixed-integer programme, solved with HiGHS.

x[a, y] = 1 when action a is funded in plan year y (each action at most once).
z[t]    = 1 when target t is met by its deadline: z[t] * needed[t] <= actions for t funded by then.
Budget:  Σ cost[a] * x[a, y] <= budget[y] for every year.
Order:   pairs (first, then) of action kinds from the pack (pack.yaml `planning.order`): an institution's
         `then` actions only in or after the year all its `first` actions are funded.
Grouping: identical actions (kind, cost, due year, targets served) share one integer count per year; their
priority weights ride on continuous shares, which keeps the optimum exact (see `solve`).
Maximise 1000 per target met (as many targets as possible) + a small weight per action: population
served × weakness (weakest first), larger when funded by its own due date and earlier in the plan.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from wangdi.errors import WangdiError
from wangdi.planning.actions import Action

log = logging.getLogger("wangdi.planning")
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
    groups: int = 0  # decision groups after grouping identical actions


WEIGHT_STEP = 0.05  # priority weights within 5% of each other count as equal inside a group (error bounded below)
EXACT_UP_TO = 5_000  # up to this many costed actions, only exactly equal weights group (no grouping error)


def _pairs(actions: list[Action], costed: list[int], order: Sequence[tuple[str, str]] = ()
           ) -> tuple[list[tuple[int, int]], list[tuple[int, list[int]]]]:
    """For each of the pack's orderings (first, then): the `then` actions that must wait for `first` actions of
    their institution — one-to-one pairs (groupable) and the rest (kept as single binaries)."""
    pairs: list[tuple[int, int]] = []
    rest: list[tuple[int, list[int]]] = []
    for first, then in order:
        before: dict[str, list[int]] = {}
        for i in costed:
            if actions[i].kind == first:
                before.setdefault(actions[i].institution, []).append(i)
        waiting = [(i, before[actions[i].institution]) for i in costed
                   if actions[i].kind == then and before.get(actions[i].institution)]
        uses: dict[int, int] = {}
        for _, js in waiting:
            for j in js:
                uses[j] = uses.get(j, 0) + 1
        mine = [(js[0], i) for i, js in waiting if len(js) == 1 and uses[js[0]] == 1]
        paired = {i for _, i in mine}
        pairs += mine
        rest += [(i, js) for i, js in waiting if i not in paired]
    return pairs, rest


def _bucket(a: Action, step: float) -> float:
    """Weights within `step` of each other share a bucket; step 0: only equal weights do (exact grouping)."""
    return round(math.log(_weight(a)) / math.log1p(step)) if step else round(_weight(a), 9)


def group_actions(actions: list[Action], costed: list[int], targets: list[TargetNeed],
                  order: Sequence[tuple[str, str]] = ()) -> list[Group]:
    """Identical actions — same kind, cost, due year, effect (the targets they count toward) and priority (weight
    within 5% above EXACT_UP_TO actions, else equal) — in one group; a (first, then) pair of the pack's
    orderings groups with identical pairs."""
    counts_for: dict[int, tuple[int, ...]] = {}
    for t_idx, t in enumerate(targets):
        for i in t.actions:
            counts_for[i] = (*counts_for.get(i, ()), t_idx)
    pairs, others = _pairs(actions, costed, order)
    step = WEIGHT_STEP if len(costed) > EXACT_UP_TO else 0.0
    in_pair = {i for p in pairs for i in p}
    in_other = {i for i, js in others for i in (i, *js)}

    def key(i: int) -> tuple[Any, ...]:
        a = actions[i]
        return a.kind, a.cost, a.due.year if a.due else None, counts_for.get(i, ())

    groups: dict[tuple[Any, ...], Group] = {}
    for i in costed:
        if i in in_pair:
            continue
        k = ("single", i) if i in in_other else (*key(i), _bucket(actions[i], step))
        groups.setdefault(k, Group([], [])).first.append(i)
    for six, star in pairs:
        g = groups.setdefault(("pair", *key(six), *key(star), _bucket(actions[six], step)), Group([], []))
        g.first.append(six)
        g.second.append(star)
    return list(groups.values())


@dataclass
class Group:
    """Interchangeable actions: `first` (and, for six-haves/star pairs, `second`, member k pairs with first[k])."""
    first: list[int]
    second: list[int]


def solve(actions: list[Action], budgets: dict[int, float], targets: list[TargetNeed], time_limit: float = 60.0,
          mip_gap: float = 0.005, order: Sequence[tuple[str, str]] | None = None) -> Solution:
    """The plan MIP over groups of identical actions: an integer count per group and year (for pairs, one for each
    side, the stars' running total never ahead of the six-haves'). The reported gap is against the original
    objective (every action's own weight): the grouping error is added to the solver's bound."""
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
    order = order or []
    groups = group_actions(actions, costed, targets, order)
    total_w = sum(_weight(actions[i]) for i in costed) or 1.0
    n, terms, where, error = _group_variables(h, actions, groups, budgets, total_w)
    for i, js in _pairs(actions, costed, order)[1]:  # `then` actions waiting for shared or several: single binaries
        for j in js:
            for y in years:
                h.addConstr(n[(*where[i], y)] <= sum(n[(*where[j], yy)] for yy in years if yy <= y))
    one_to_one, several = _pairs(actions, costed, order)
    pairs = {star: six for six, star in one_to_one}
    z = _target_constraints(h, actions, targets, years, n, where, budgets, pairs)
    terms += [TARGET_REWARD * v for v in z.values()]
    start = greedy(actions, budgets, targets, z, {**{i: js for i, js in several}, **{i: [j] for i, j in pairs.items()}},
                   total_w)
    _warm_start(h, n, z, where, targets, years, start)
    t0 = time.perf_counter()
    if terms:
        h.maximize(h.qsum(terms))
    seconds = time.perf_counter() - t0
    status = str(h.getModelStatus()).split(".")[-1]
    info = h.getInfo()
    counts = {k: h.val(v) for k, v in n.items()} if terms else {}
    funded = _assign(actions, groups, years, counts, total_w) if terms else {}
    obj, met = _value(actions, targets, z, years, funded, total_w)
    start_obj, start_met = _value(actions, targets, z, years, start, total_w)
    if start_obj > obj:  # the solver stopped before matching its starting plan: keep the better one
        funded, obj, met = start, start_obj, start_met
    gap = 0.0
    if terms and math.isfinite(info.mip_dual_bound):
        gap = max(0.0, info.mip_dual_bound + error - obj) / max(abs(obj), 1e-9)
    return Solution(funded, met, obj, gap, status, seconds, len(groups))


def _warm_start(h: Any, n: dict[tuple[int, int, int], Any], z: dict[int, Any], where: dict[int, tuple[int, int]],
                targets: list[TargetNeed], years: list[int], funded: dict[int, int]) -> None:
    """Hand the greedy plan to the solver as its first incumbent (as group counts)."""
    import highspy
    import numpy as np

    counts: dict[tuple[int, int, int], int] = {k: 0 for k in n}
    for i, y in funded.items():
        counts[(*where[i], y)] += 1
    met = {t: float(sum(1 for i in targets[t].actions if funded.get(i, 9999) <= _last(targets[t], years))
                    >= targets[t].needed) for t in z}
    cols = [(n[k].index, float(v)) for k, v in counts.items()] + [(z[t].index, met[t]) for t in z]
    status = h.setSolution(len(cols), np.array([c for c, _ in cols], dtype=np.int32), np.array([v for _, v in cols]))
    if status != highspy.HighsStatus.kOk:  # not fatal: the solver then starts from scratch
        log.warning("warm start refused by HiGHS: %s", status)


def _group_variables(h: Any, actions: list[Action], groups: list[Group], budgets: dict[int, float],
                     total_w: float) -> tuple[dict[tuple[int, int, int], Any], list[Any], dict[int, tuple[int, int]],
                                              float]:
    """Counts per (group, side, year), their objective terms, the budget rows, where each action sits, and how far
    the groups' mean weights can put the objective off (added to the bound when the gap is reported)."""
    years = sorted(budgets)
    n: dict[tuple[int, int, int], Any] = {}  # (group, side, year)
    terms: list[Any] = []
    spend: dict[int, list[Any]] = {y: [] for y in years}
    where: dict[int, tuple[int, int]] = {}
    error = 0.0
    for g, grp in enumerate(groups):
        for side, members in enumerate((grp.first, grp.second)):
            if not members:
                continue
            for i in members:
                where[i] = (g, side)
            diffs = []
            for y in years:
                n[g, side, y] = h.addIntegral(lb=0, ub=len(members)) if len(members) > 1 else h.addBinary()
                coef = [_coefficient(actions[i], y, years, total_w) for i in members]
                mean = sum(coef) / len(coef)
                diffs.append([abs(c - mean) for c in coef])
                terms.append(mean * n[g, side, y])
                if actions[members[0]].cost:
                    spend[y].append(actions[members[0]].cost * n[g, side, y])
            h.addConstr(sum(n[g, side, y] for y in years) <= len(members))
            error += sum(max(d) for d in zip(*diffs, strict=True))  # how far the group's mean can be off
        if grp.second:
            for y in years:
                h.addConstr(sum(n[g, 1, yy] - n[g, 0, yy] for yy in years if yy <= y) <= 0)
    for y in years:
        if spend[y]:
            h.addConstr(h.qsum(spend[y]) <= budgets[y])
    return n, terms, where, error


def _target_constraints(h: Any, actions: list[Action], targets: list[TargetNeed], years: list[int],
                        n: dict[tuple[int, int, int], Any], where: dict[int, tuple[int, int]],
                        budgets: dict[int, float], pairs: dict[int, int]) -> dict[int, Any]:
    """z[t] = 1 only when the groups counting toward target t fund `needed` actions by its deadline."""
    z: dict[int, Any] = {}
    for t_idx, t in enumerate(targets):
        usable = [i for i in t.actions if actions[i].cost is not None]
        last = min(years[-1], t.deadline.year) if t.deadline else years[-1]
        if t.needed <= 0 or not usable or last < years[0]:
            continue
        z[t_idx] = h.addBinary()
        sides = sorted({where[i] for i in usable})
        h.addConstr(t.needed * z[t_idx] <= sum(n[g, s, y] for g, s in sides for y in years if y <= last))
    _cardinality_cuts(h, actions, targets, years, z, budgets, pairs)
    return z


def _cardinality_cuts(h: Any, actions: list[Action], targets: list[TargetNeed], years: list[int], z: dict[int, Any],
                      budgets: dict[int, float], pairs: dict[int, int]) -> None:
    """Valid cuts that make the LP see the knapsack behind the targets. Meeting t costs at least C[t] (its `needed`
    cheapest candidates); for targets whose candidate pools are pairwise disjoint, those due by year Y share the
    budgets up to Y, so at most k of them can be met, k = how many of the cheapest C fit. Σ z ≤ k per Y."""
    seen: dict[int, int] = {}
    for t_idx in z:
        for i in targets[t_idx].actions:
            seen[i] = seen.get(i, 0) + 1
    disjoint = [t for t in z if all(seen[i] == 1 for i in targets[t].actions)]
    cost: dict[int, float] = {}
    for t in disjoint:  # a star upgrade's price includes its six-haves partner (in no target's pool)
        c = sorted((actions[i].cost or 0.0) + (actions[pairs[i]].cost or 0.0 if i in pairs and pairs[i] not in seen
                                               else 0.0)
                   for i in targets[t].actions if actions[i].cost is not None)
        cost[t] = sum(c[:targets[t].needed])
    for y in years:
        due = [t for t in disjoint if _last(targets[t], years) <= y]
        room, k = sum(budgets[yy] for yy in years if yy <= y), 0
        for need in sorted(cost[t] for t in due):
            if need > room:
                break
            room, k = room - need, k + 1
        if due and k < len(due):
            h.addConstr(sum(z[t] for t in due) <= k)


def _value(actions: list[Action], targets: list[TargetNeed], z: dict[int, Any], years: list[int],
           funded: dict[int, int], total_w: float) -> tuple[float, dict[str, bool]]:
    """The original objective of a plan (every action's own weight) and which targets it meets."""
    met = {f"{targets[t].rule_id}/{targets[t].region}": sum(
        1 for i in targets[t].actions if funded.get(i, 9999) <= _last(targets[t], years)) >= targets[t].needed
        for t in z}
    value = sum(_coefficient(actions[i], y, years, total_w) for i, y in funded.items())
    return value + TARGET_REWARD * sum(met.values()), met


def _last(t: TargetNeed, years: list[int]) -> int:
    return min(years[-1], t.deadline.year) if t.deadline else years[-1]


def greedy(actions: list[Action], budgets: dict[int, float], targets: list[TargetNeed], z: dict[int, Any],
           needs: dict[int, list[int]], total_w: float) -> dict[int, int]:
    """A feasible plan to start the solver from (and to fall back on): the cheapest targets first (each with its
    `needed` cheapest candidates, a star's six-haves included, in the earliest year with room), then the rest by
    weight per yuan. `needs[i]`: the actions i must wait for."""
    years = sorted(budgets)
    room = dict(budgets)
    funded: dict[int, int] = {}

    def chain(i: int) -> list[int]:
        return [j for j in (*needs.get(i, []), i) if j not in funded]

    def price(i: int) -> float:
        return sum(actions[j].cost or 0.0 for j in chain(i))

    plans = []
    for t in z:
        usable = sorted((i for i in targets[t].actions if actions[i].cost is not None), key=price)
        plans.append((sum(price(i) for i in usable[:targets[t].needed]), t))
    for _, t in sorted(plans):
        usable = sorted((i for i in targets[t].actions if actions[i].cost is not None and i not in funded), key=price)
        done = sum(1 for i in targets[t].actions if i in funded)
        picks = usable[:max(0, targets[t].needed - done)]
        steps = list(dict.fromkeys(j for i in picks for j in chain(i)))
        need = sum(actions[j].cost or 0.0 for j in steps)
        y = next((y for y in years if y <= _last(targets[t], years) and room[y] >= need), None)
        if y is None or len(picks) + done < targets[t].needed:
            continue
        for j in steps:
            funded[j] = y
        room[y] -= need
    rest = sorted((i for i, a in enumerate(actions) if a.cost is not None and i not in funded),
                  key=lambda i: (i in needs, -_coefficient(actions[i], years[0], years, total_w)
                                 / max(actions[i].cost or 0.0, 1.0)))
    for i in rest:
        y = next((y for y in years if room[y] >= (actions[i].cost or 0.0)
                  and all(funded.get(j, 9999) <= y for j in needs.get(i, []))), None)
        if y is not None:
            funded[i] = y
            room[y] -= actions[i].cost or 0.0
    return funded


def _coefficient(a: Action, y: int, years: list[int], total_w: float) -> float:
    on_time = 1.0 if a.due is None or y <= a.due.year else 0.5
    early = 1.0 + 0.1 * (years[-1] - y)
    return ACTION_BUDGET_OF_OBJECTIVE * _weight(a) / total_w * on_time * early / 1.2


def _assign(actions: list[Action], groups: list[Group], years: list[int], counts: dict[tuple[int, int, int], float],
            total_w: float) -> dict[int, int]:
    """Which members a group's counts fund: the heaviest first, in the year worth most; a pair's star goes to a
    member whose six-haves is funded in that year or before."""
    funded: dict[int, int] = {}
    for g, grp in enumerate(groups):
        order = sorted(range(len(grp.first)), key=lambda k: (-_weight(actions[grp.first[k]]), grp.first[k]))
        by_value = sorted(years, key=lambda y: -_coefficient(actions[grp.first[0]], y, years, total_w))
        left = list(order)
        for y in (years if grp.second else by_value):
            take = round(counts[g, 0, y])
            for k in left[:take]:
                funded[grp.first[k]] = y
            left = left[take:]
        if not grp.second:
            continue
        waiting = [k for k in order if grp.first[k] in funded]
        for y in years:
            ready = [k for k in waiting if funded[grp.first[k]] <= y]
            for k in ready[:round(counts[g, 1, y])]:
                funded[grp.second[k]] = y
                waiting.remove(k)
    return funded


def _weight(a: Action) -> float:
    return math.log1p(a.population) * (1.0 + a.weakness) + 1.0
