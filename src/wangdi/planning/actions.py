"""Concrete actions derived from an evaluation's gaps, each linked to the rules and clauses it closes.

Two sources: failing or not-yet-due requirements (an institution short of something), and targets
not met (the entities in the target's population that do not yet count, as candidates). The kind of
action follows from the field a rule reads (generic engine code, nothing city-specific).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import yaml

from wangdi.errors import WangdiError
from wangdi.policy import engine, runs
from wangdi.policy.expr import compile_expr
from wangdi.policy.fields import fields_of
from wangdi.policy.pack import Pack, Rule
from wangdi.policy.results import Outcome
from wangdi.registry.reference import EQUIPMENT_BY_KEY

COSTS = Path(__file__).parent / "costs.yaml"
# field a rule reads → (action kind, cost key, unit, Chinese description)
BY_FIELD: dict[str, tuple[str, str, str, str]] = {
    "floor_area_incl_toilet_m2": ("build_floor_area", "building_m2", "m²", "改扩建业务用房"),
    "floor_area_m2": ("build_floor_area", "building_m2", "m²", "改扩建业务用房"),
    "beds": ("add_beds", "bed", "张", "增加床位"),
    "registered_gps": ("recruit", "post_gp", "人", "招聘/调配注册全科医师"),
    "fulltime_bachelor_gps": ("recruit", "post_gp", "人", "招聘全日制本科全科医生"),
    "public_health_physicians": ("recruit", "post_public_health", "人", "招聘/调配公共卫生类别医师"),
    "tcm_physicians": ("recruit", "post_tcm", "人", "招聘/调配中医类别医师"),
    "senior_clinical_physicians": ("recruit", "post_senior_physician", "人", "引进高级职称临床医师"),
    "licensed_or_village_doctors": ("recruit", "post_village_doctor", "人", "配备乡村医生"),
    "info_officers": ("train", "training_info_officer", "人", "培训信息管理人员"),
    "training_count": ("train", "training_village_doctor", "人", "组织乡村医生培训"),
    "key_specialties": ("specialty", "key_specialty", "个", "建设临床重点专科"),
    "ownership": ("convert_ownership", "ownership_conversion", "所", "房屋产权转为公有"),
    "integrated": ("integrate", "integration", "所", "纳入乡村一体化管理"),
    "insurance_designated": ("insurance", "insurance_networking", "所", "医保定点与联网结算"),
    "has_separate_rooms": ("partition_rooms", "room_partition", "所", "分室改造"),
    "elderly_friendly": ("elderly_friendly", "elderly_friendly_upgrade", "所", "建成老年友善医疗机构"),
}




@dataclass(frozen=True)
class PackAction:
    """An action kind a pack declares (pack.yaml `planning.actions`): the field it moves and how."""

    field: str
    kind: str
    cost: str
    unit: str
    label: str
    sets: tuple[str, ...] = ()  # boolean registry fields the action makes true
    raises: str = ""  # numeric registry field the action raises by its quantity
    max: float | None = None


def pack_actions(pack: Pack) -> list[PackAction]:
    planning = pack.manifest.get("planning") or {}
    out = []
    for a in planning.get("actions") or []:
        try:
            out.append(PackAction(str(a["field"]), str(a["kind"]), str(a["cost"]), str(a.get("unit", "")),
                                  str(a["label"]), tuple(str(x) for x in a.get("sets") or ()), str(a.get("raises", "")),
                                  None if a.get("max") is None else float(a["max"])))
        except (KeyError, TypeError, ValueError):
            raise WangdiError("pack-bad-planning", f"{pack.id}/pack.yaml planning.actions：每项需要 field、kind、cost、label",
                              "planning actions need field, kind, cost and label") from None
    return out


def orderings(pack: Pack) -> list[tuple[str, str]]:
    """(first, then) action kinds: `then` is funded only in or after the year all `first` of the institution are."""
    planning = pack.manifest.get("planning") or {}
    return [(str(o["first"]), str(o["then"])) for o in planning.get("order") or []]


def by_field(pack: Pack) -> dict[str, tuple[str, str, str, str]]:
    """Field a rule reads → action: the generic catalogue plus the pack's own action kinds."""
    return {**BY_FIELD, **{a.field: (a.kind, a.cost, a.unit, a.label) for a in pack_actions(pack)}}


@dataclass
class Action:
    key: tuple[str, str, str]  # (subject code, kind, item)
    subject: str
    institution: str
    kind: str
    item: str
    description: str
    quantity: float
    unit: str
    cost_key: str
    rules: list[str] = field(default_factory=list)
    clauses: list[str] = field(default_factory=list)
    due: date | None = None
    township: str = ""
    population: float = 0.0
    weakness: float = 0.0
    cost: float | None = None


def load_costs(path: Path | None = None) -> tuple[dict[str, float], str]:
    """The cost catalogue: the shipped assumptions, or a bureau's own (yaml, xlsx or csv with key, unit_cost)."""
    base = yaml.safe_load(COSTS.read_text(encoding="utf-8"))
    costs = {str(k): float(v) for k, v in base["costs"].items()}
    if path is None:
        return costs, "默认假设单价（assumption，非事实）"
    try:
        df = pl.read_excel(path) if path.suffix.lower() == ".xlsx" else pl.read_csv(path)
        own = dict(zip(df["key"].cast(pl.String), df["unit_cost"].cast(pl.Float64), strict=True))
    except Exception as exc:
        raise WangdiError("bad-cost-catalogue", f"成本表无法读取：需要列 key 和 unit_cost（{exc}）",
                          "cost catalogue needs columns key, unit_cost") from None
    bad = [k for k, v in own.items() if v is None or v < 0]
    if bad:
        raise WangdiError("bad-cost-catalogue", f"成本表中这些单价为空或为负：{bad[:10]}", "negative or empty unit costs")
    costs.update(own)
    return costs, f"成本表 {path.name}（其余项目用默认假设单价）"


def _fields_in(pack: Pack, rule: Rule, text: str) -> list[str]:
    """The costed fields an expression reads (from the compiled expression, not a text search)."""
    if not text:
        return []
    c = compile_expr(text, fields_of(rule.entity, pack.derived), lambda n: "NULL", "", sorted(pack.parameters))
    return [f for f in by_field(pack) if f in c.fields]


def _requirement_actions(pack: Pack, res: pl.DataFrame, inst: dict[str, dict[str, Any]],
                         con: duckdb.DuckDBPyConnection) -> list[Action]:
    out: list[Action] = []
    fails = res.filter((pl.col("kind") == "requirement") & pl.col("outcome").is_in([Outcome.FAIL, Outcome.NOT_YET_DUE]))
    for row in fails.filter(pl.col("unit") == "item").iter_rows(named=True):  # the result names the missing items
        rule, subject = pack.rules[row["rule_id"]], str(row["entity_code"])
        owner = inst.get(subject, {}).get("code", subject)
        for item in row["missing"] or []:
            zh = EQUIPMENT_BY_KEY[item].zh if item in EQUIPMENT_BY_KEY else item
            out.append(Action((subject, "buy_equipment", item), subject, owner, "buy_equipment", item,
                              f"购置{zh}", 1, "台", f"equipment:{item}", [rule.id], [rule.clause], row["deadline"]))
    for row in fails.iter_rows(named=True):
        rule = pack.rules[row["rule_id"]]
        subject = row["entity_code"]
        owner = inst.get(subject, {}).get("code", subject)
        if rule.spec.get("items"):
            continue
        text = str(rule.spec.get("observed") or rule.spec.get("check") or "")
        catalogue = by_field(pack)
        for f in _fields_in(pack, rule, text)[:1]:
            kind, cost_key, unit, zh = catalogue[f]
            qty = float(row["gap"] or 1) if rule.spec.get("observed") else 1.0
            out.append(Action((subject, kind, cost_key), subject, owner, kind, cost_key, zh, qty, unit, cost_key,
                              [rule.id], [rule.clause], row["deadline"]))
    return out


def _target_candidates(pack: Pack, res: pl.DataFrame, con: duckdb.DuckDBPyConnection, as_of: date) -> list[Action]:
    """For share targets not met: entities of the population not yet counted, as one-unit candidate actions."""
    out: list[Action] = []
    missed = res.filter((pl.col("kind") == "target") & pl.col("outcome").is_in([Outcome.NOT_MET, Outcome.NOT_YET_DUE]))
    c = engine.Compiler(pack, as_of)
    for rule_id in missed["rule_id"].unique().to_list():
        rule: Rule = pack.rules[rule_id]
        catalogue = by_field(pack)
        fields = _fields_in(pack, rule, str(rule.spec.get("numerator") or ""))
        if rule.spec.get("measure", "share") != "share" or len(fields) != 1:
            continue
        kind, cost_key, unit, zh = catalogue[fields[0]]
        pop, _ = c.compile(rule, "population", "TRUE")
        num, _ = c.compile(rule, "numerator", "TRUE")
        inst_col = "institution_code" if rule.entity == "staff" else "entity_code"
        rows = con.sql(f"SELECT entity_code, {inst_col} AS inst FROM ent_{rule.entity} "
                       f"WHERE ({pop}) AND NOT coalesce(({num}), FALSE)").fetchall()
        due = min((m["by"] for m in rule.spec["milestones"] if m["by"] >= as_of), default=None)
        for subject, owner in rows:
            out.append(Action((str(subject), kind, cost_key), str(subject), str(owner), kind, cost_key, zh, 1, unit,
                              cost_key, [rule.id], [rule.clause], due))
    return out


def derive_actions(pack: Pack, region: str, as_of: date, url: str | None,
                   costs: dict[str, float]) -> tuple[str, pl.DataFrame, list[Action], duckdb.DuckDBPyConnection]:
    """Evaluate (stored as a run), then derive and merge actions; returns run id, results, actions, connection."""
    con = duckdb.connect()
    run_id, res = runs.evaluate(pack.id, region, as_of, url, con=con)
    inst = {r["code"]: r for r in con.sql("SELECT code, name, township_code, resident_population FROM ent_institution")
            .pl().to_dicts()}
    staff_inst = dict(con.sql("SELECT entity_code, institution_code FROM v_ent_staff").fetchall()) \
        if any(r.entity == "staff" for r in pack.rules.values()) else {}
    weak = res.filter(pl.col("kind") == "requirement").group_by("entity_code").agg(
        (pl.col("outcome").is_in([Outcome.FAIL, Outcome.NOT_YET_DUE])).mean().alias("w"))
    weakness = dict(weak.iter_rows())
    merged: dict[tuple[str, str, str], Action] = {}
    for a in _requirement_actions(pack, res, inst, con) + _target_candidates(pack, res, con, as_of):
        if a.institution in staff_inst:
            a.institution = staff_inst[a.institution]
        if a.key in merged:
            m = merged[a.key]
            m.rules += [r for r in a.rules if r not in m.rules]
            m.clauses += [c for c in a.clauses if c not in m.clauses]
            m.quantity = max(m.quantity, a.quantity)
            m.due = min([d for d in (m.due, a.due) if d is not None], default=None)
            continue
        info = inst.get(a.institution, {})
        a.township = str(info.get("township_code") or "")
        a.population = float(info.get("resident_population") or 0)
        a.weakness = float(weakness.get(a.institution, weakness.get(a.subject, 0.0)) or 0.0)
        merged[a.key] = a
    for a in merged.values():
        unit_cost = costs.get(a.cost_key)
        a.cost = None if unit_cost is None else round(unit_cost * a.quantity, 2)
    return run_id, res, list(merged.values()), con
