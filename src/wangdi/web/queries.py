"""What the pages and the API show, computed once per (run, region, data version) and cached.

Every function takes the region (or entity) already checked against the user's scope by the caller
(web/deps.py); none of them loops over institutions in Python: results are read per run and grouped
with Polars.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

import polars as pl
import sqlalchemy as sa

from wangdi import divisions, settings
from wangdi.errors import WangdiError
from wangdi.policy import formatting, runs
from wangdi.policy import pack as packs
from wangdi.policy.results import Outcome
from wangdi.registry import store
from wangdi.registry.reference import CODE_LISTS
from wangdi.registry.tables import CENSUS
from wangdi.registry.tables import result as result_t
from wangdi.registry.tables import run as run_t
from wangdi.reports import labels
from wangdi.web import charts, places

GROUP_ZH = labels.GROUP_ZH
TYPE_ZH = CODE_LISTS["institution_type"]
load_pack = lru_cache(maxsize=16)(packs.load)  # packs ship with the package and do not change while serving
_RESULT_COLS = ["rule_id", "kind", "entity_code", "region_code", "outcome", "observed", "observed_low", "observed_high",
                "required_min", "required_max", "deadline", "gap", "unit", "amount", "unknown_n", "missing", "clause_ref"]


def child_len(code: str) -> int:
    return {0: 2, 2: 4, 4: 6, 6: 9, 9: 12}.get(len(code), 12)


def latest_run(pack_id: str, region: str, url: str | None = None) -> dict[str, Any] | None:
    """The newest stored (non-scenario) run of `pack_id` whose region covers `region`."""
    eng = store.init_db(url)
    prefixes = [region[:n] for n in (2, 4, 6, 9, 12) if n <= len(region)]
    with eng.connect() as conn:
        row = conn.execute(sa.select(run_t).where(run_t.c.pack == pack_id, run_t.c.region_code.in_(prefixes),
                                                  run_t.c.scenario.is_(None))
                           .order_by(run_t.c.started_at.desc(), run_t.c.run_id.desc()).limit(1)).first()
    return dict(row._mapping) if row else None


@lru_cache(maxsize=64)
def _results(url: str, run_id: str, region: str) -> pl.DataFrame:
    where = sa.or_(result_t.c.region_code.startswith(region), result_t.c.entity_code == region) if region else None
    return runs.run_results(run_id, url, _RESULT_COLS, where)


def chart_value(x: float | None, unit: str | None) -> float | None:
    """A value on a chart's axis: shares in percent points (the axis says %), others as they are."""
    return None if x is None else round(100 * x, 2) if unit == "share" else x


def division_names(codes: list[str]) -> dict[str, str]:
    ref = divisions.reference()
    return dict(ref.filter(pl.col("code").is_in(codes)).select("code", "name").iter_rows())


def _history(url: str, pack_id: str, rule_id: str, entity: str) -> list[dict[str, Any]]:
    eng = store.init_db(url)
    q = sa.select(run_t.c.run_id, run_t.c.as_of, run_t.c.started_at, result_t.c.observed, result_t.c.observed_low,
                  result_t.c.observed_high, result_t.c.unit, result_t.c.outcome) \
        .join(result_t, result_t.c.run_id == run_t.c.run_id) \
        .where(run_t.c.pack == pack_id, result_t.c.rule_id == rule_id, result_t.c.entity_code == entity,
               run_t.c.scenario.is_(None)).order_by(run_t.c.as_of, run_t.c.started_at)
    with eng.connect() as conn:
        return [{"run_id": r.run_id, "as_of": str(r.as_of), "observed": formatting.observed_zh(dict(r._mapping)),
                 "value": chart_value(r.observed, r.unit), "outcome": r.outcome} for r in conn.execute(q)]


def _milestones(rule: packs.Rule, pct: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in sorted(rule.spec.get("milestones", []), key=lambda m: str(m["by"])):
        for bound in ("min", "max"):
            v = m.get(bound)
            if isinstance(v, int | float):
                out.append({"by": str(m["by"]), "bound": bound, "value": chart_value(v, "share" if pct else "")})
            elif v is not None:
                out.append({"by": str(m["by"]), "bound": bound, "value": None, "param": str(v)})
    return out


def _projection(points: list[dict[str, Any]], deadline: str | None) -> dict[str, Any] | None:
    """Straight line through the values measured at different dates, carried to the deadline (≥ 2 dates)."""
    pts = {p["as_of"]: p["value"] for p in points if p["value"] is not None}
    if deadline is None or len(pts) < 2:
        return None
    xs = [date.fromisoformat(d).toordinal() for d in pts]
    ys = list(pts.values())
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs) or 1.0
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den
    at = date.fromisoformat(deadline).toordinal()
    return {"from": max(pts), "from_value": ys[-1], "to": deadline, "value": round(my + slope * (at - mx), 2)}


def targets(url: str, pack_id: str, res: pl.DataFrame, region: str) -> list[dict[str, Any]]:
    pack = load_pack(pack_id)
    own = res.filter((pl.col("kind") == "target") & (pl.col("entity_code") == region))
    out = []
    for r in own.sort("rule_id").to_dicts():
        rule = pack.rules[r["rule_id"]]
        pct = r["unit"] == "share"
        hist = _history(url, pack_id, rule.id, region)
        ms = _milestones(rule, pct)
        deadline = ms[-1]["by"] if ms else None
        out.append({"rule_id": rule.id, "label": str(rule.spec.get("label", rule.summary)), "clause": rule.clause,
                    "text": rule.text, "outcome": r["outcome"], "outcome_zh": formatting.outcome_zh(r["outcome"]),
                    "observed": formatting.observed_zh(r), "required": formatting.required_zh(r),
                    "unit": "%" if pct else rule.spec.get("unit", ""), "value": chart_value(r["observed"], r["unit"]),
                    "gap": r["gap"], "message": formatting.describe(r, rule), "milestones": ms, "history": hist,
                    "projection": _projection(hist, deadline)})
    return out


@lru_cache(maxsize=256)
def _overview(url: str, pack_id: str, region: str, run_id: str, version: str) -> dict[str, Any]:
    pack = load_pack(pack_id)
    res = _results(url, run_id, region)
    groups = {r.id: r.group for r in pack.rules.values()}
    n = child_len(region)
    req = res.filter(pl.col("kind") == "requirement").with_columns(
        child=pl.col("region_code").str.slice(0, n),
        group=pl.col("rule_id").replace_strict(groups, default="other"))
    names = {region: places.name(region), **{c["code"]: c["name"] for c in places.children(region)}}
    heat = req.filter(pl.col("outcome").is_in(["pass", "fail"])).group_by("child", "group").agg(
        (pl.col("outcome") == "pass").mean().mul(100).round(1).alias("pass_pct"), pl.len().alias("n"))
    rank = req.group_by("child").agg(
        (pl.col("outcome") == "pass").sum().alias("pass"), (pl.col("outcome") == "fail").sum().alias("fail"),
        (pl.col("outcome") == "unknown").sum().alias("unknown"),
        pl.col("entity_code").filter(pl.col("outcome") == "fail").n_unique().alias("institutions_failing"),
    ).with_columns(pass_pct=(pl.col("pass") / (pl.col("pass") + pl.col("fail"))).mul(100).round(1).fill_nan(None)) \
        .sort("pass_pct", "child", descending=[True, False], nulls_last=True)
    by_rule = req.filter(pl.col("outcome") == Outcome.FAIL).group_by("rule_id").agg(
        pl.len().alias("failing"), pl.col("gap").sum().alias("gap_total"), pl.col("kind").first(),
        pl.col("unit").first()).sort("failing", "rule_id", descending=[True, False]).head(15)
    by_rule = by_rule.with_columns(gap_unit=pl.Series([formatting.count_unit(r, pack.rules.get(r["rule_id"]))
                                                       for r in by_rule.to_dicts()], dtype=pl.String))
    worst = formatting.with_text(req.filter(pl.col("outcome") == Outcome.FAIL).sort("gap", descending=True,
                                                                                    nulls_last=True).head(20), pack.rules) \
        .select("entity_code", "rule_id", "message", "gap", pl.col("gap_zh"))
    inst_names = institution_names(url, worst["entity_code"].to_list())
    labels = {r.id: str(r.spec.get("label", r.summary)) for r in pack.rules.values()}
    counts = dict(res.group_by("outcome").len().iter_rows())
    group_ids = sorted(set(heat["group"].to_list()))
    heatmap = {"rows": [{"code": c, "name": names.get(c, c)} for c in sorted(set(heat["child"].to_list()))],
               "groups": [{"id": g, "name": GROUP_ZH.get(g, g)} for g in group_ids],
               "cells": heat.sort("child", "group").to_dicts()}
    return {
        "counts": {k: int(v) for k, v in counts.items()},
        "targets": targets(url, pack_id, res, region),
        "heatmap": heatmap, "heatmap_option": charts.heatmap_option(heatmap),
        "ranking": [dict(r, name=names.get(r["child"], r["child"])) for r in rank.to_dicts()],
        "rules_failing": [dict(r, label=labels.get(r["rule_id"], r["rule_id"])) for r in by_rule.to_dicts()],
        "biggest_gaps": [dict(r, label=labels.get(r["rule_id"], r["rule_id"]), name=inst_names.get(r["entity_code"], ""))
                         for r in worst.to_dicts()],
    }


def institution_names(url: str, codes: list[str]) -> dict[str, str]:
    t = CENSUS["institution"]
    with store.init_db(url).connect() as conn:
        return dict(conn.execute(sa.select(t.c.code, t.c.name).where(t.c.code.in_(codes), t.c.valid_to.is_(None))).all())


@lru_cache(maxsize=256)
def registry_summary(url: str, region: str, version: str) -> dict[str, Any]:
    """Institutions by type, beds and staff under `region` (current rows); cached per data version."""
    inst, staff = CENSUS["institution"], CENSUS["staff"]
    eng = store.init_db(url)
    with eng.connect() as conn:
        by_type: dict[str, int] = dict(conn.execute(sa.select(inst.c.type_code, sa.func.count()).where(
            inst.c.valid_to.is_(None), inst.c.division_code.startswith(region)).group_by(inst.c.type_code)).all())
        beds = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(inst.c.beds), 0)).where(
            inst.c.valid_to.is_(None), inst.c.division_code.startswith(region))).scalar()
        in_region = sa.select(inst.c.code).where(inst.c.valid_to.is_(None), inst.c.division_code.startswith(region))
        n_staff = conn.execute(sa.select(sa.func.count()).where(staff.c.valid_to.is_(None),
                                                                 staff.c.institution_code.in_(in_region))).scalar()
        synthetic = conn.execute(sa.select(sa.func.count()).where(
            inst.c.valid_to.is_(None), inst.c.division_code.startswith(region), inst.c.synthetic.is_(True))).scalar()
    return {"institutions": sum(by_type.values()), "by_type": [{"type_code": k, "name": TYPE_ZH.get(k, k), "count": v}
                                                              for k, v in sorted(by_type.items())],
            "beds": int(beds or 0), "staff": int(n_staff or 0), "synthetic": bool(synthetic)}


def runs_covering(pack_id: str, region: str, url: str | None = None) -> list[dict[str, Any]]:
    """The stored (non-scenario) runs of `pack_id` whose region covers `region`, newest first (the run picker)."""
    eng = store.init_db(url)
    prefixes = [region[:n] for n in (2, 4, 6, 9, 12) if n <= len(region)]
    with eng.connect() as conn:
        rows = conn.execute(sa.select(run_t.c.run_id, run_t.c.as_of, run_t.c.started_at, run_t.c.region_code).where(
            run_t.c.pack == pack_id, run_t.c.region_code.in_(prefixes), run_t.c.scenario.is_(None))
            .order_by(run_t.c.started_at.desc(), run_t.c.run_id.desc()).limit(100)).all()
    return [{k: str(v) for k, v in r._mapping.items()} for r in rows]


def overview(pack_id: str, region: str, url: str | None = None, run_id: str | None = None) -> dict[str, Any]:
    """The overview of one region under one pack: division, registry, the chosen (default: latest) run, targets,
    heat map, gaps. A chosen run must be of this pack and cover the region."""
    url = url or settings.database_url()
    d = places.division(region) if region else {"code": "", "name": "全部", "level": 0}
    load_pack(pack_id)
    choices = runs_covering(pack_id, region, url)
    if run_id:
        if run_id not in {c["run_id"] for c in choices}:
            raise WangdiError("run-not-found", f"没有覆盖本地区的评估批次 {run_id}（规则包 {pack_id}）",
                              f"no run {run_id} of {pack_id} covers {region}")
        run: dict[str, Any] | None = dict(_run_row(run_id, url)._mapping)
    else:
        run = latest_run(pack_id, region, url)
    eng = store.init_db(url)
    with eng.connect() as conn:
        version = store.data_version(conn)
    out: dict[str, Any] = {
        "region": {"code": region, "name": d["name"], "level": d["level"],
                   "path": places.path_name(region),
                   "children": [{"code": c["code"], "name": c["name"]} for c in places.children(region)]},
        "pack": pack_id, "registry": registry_summary(url, region, version),
        "run": {k: str(v) for k, v in run.items()} if run else None, "runs": choices}
    if run:
        out.update(_overview(url, pack_id, region, run["run_id"], version))
    return out


def _run_row(run_id: str, url: str) -> Any:
    with store.init_db(url).connect() as conn:
        return conn.execute(sa.select(run_t).where(run_t.c.run_id == run_id)).first()


def run_for(pack_id: str, region: str, url: str | None) -> dict[str, Any]:
    run = latest_run(pack_id, region, url)
    if run is None:
        raise WangdiError("no-run", f"规则包 {pack_id} 尚无覆盖 {region} 的评估批次：请先在“评估批次”页启动一次评估",
                          f"no run of {pack_id} covers {region}")
    return run
