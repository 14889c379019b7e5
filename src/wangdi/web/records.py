"""Institution and rule pages: attributes, staff, equipment, services, verdicts quoting clauses, history."""

from __future__ import annotations

from typing import Any

import polars as pl
import sqlalchemy as sa

from wangdi import settings
from wangdi.errors import WangdiError
from wangdi.policy import formatting
from wangdi.policy.results import Outcome
from wangdi.registry import store
from wangdi.registry.schema import TABLE_MAP
from wangdi.registry.tables import CENSUS
from wangdi.registry.tables import result as result_t
from wangdi.registry.tables import run as run_t
from wangdi.web import approvals, places, queries


def _current(conn: sa.Connection, table: str, column: str, value: str) -> list[dict[str, Any]]:
    t = CENSUS[table]
    cols = [t.c[c] for c in TABLE_MAP[table].columns] + [t.c.row_id.label("version"), t.c.valid_from]
    q = sa.select(*cols).where(t.c[column] == value, t.c.valid_to.is_(None)).order_by(*[t.c[k] for k in TABLE_MAP[table].key])
    return [dict(r._mapping) for r in conn.execute(q)]


def institution_row(code: str, url: str | None = None) -> dict[str, Any]:
    eng = store.init_db(url)
    with eng.connect() as conn:
        rows = _current(conn, "institution", "code", code)
    if not rows:
        raise WangdiError("institution-not-found", f"没有机构 {code}（或不在您的权限范围内）", f"no institution {code}",
                          {"code": code})
    return rows[0]


def institution(code: str, pack_id: str, url: str | None = None, row: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the institution page shows (`row`: the institution's current row, if already read)."""
    eng = store.init_db(url)
    row = row or institution_row(code, url)
    with eng.connect() as conn:
        staff = _current(conn, "staff", "institution_code", code)
        equipment = _current(conn, "equipment", "institution_code", code)
        services = _current(conn, "service", "institution_code", code)
    pack = queries.load_pack(pack_id)
    run = queries.latest_run(pack_id, row["division_code"], url)
    verdicts: list[dict[str, Any]] = []
    if run:
        with eng.connect() as conn:
            res = conn.execute(sa.select(result_t).where(result_t.c.run_id == run["run_id"],
                                                         result_t.c.entity_code == code)).all()
        for r in sorted((dict(x._mapping) for x in res), key=lambda x: (x["outcome"] != Outcome.FAIL, x["rule_id"])):
            rule = pack.rules.get(r["rule_id"])
            verdicts.append({**{k: r[k] for k in ("rule_id", "outcome", "gap", "clause_ref")},
                             "observed": formatting.observed_zh(r), "required": formatting.required_zh(r),
                             "gap_zh": formatting.gap_zh(r, rule), "message": formatting.describe(r, rule),
                             "outcome_zh": formatting.outcome_zh(r["outcome"]),
                             "text": rule.text if rule else "", "summary": rule.summary if rule else ""})
    q = sa.select(run_t.c.run_id, run_t.c.as_of, run_t.c.started_at, result_t.c.rule_id, result_t.c.outcome) \
        .join(result_t, result_t.c.run_id == run_t.c.run_id) \
        .where(run_t.c.pack == pack_id, result_t.c.entity_code == code, run_t.c.scenario.is_(None)) \
        .order_by(run_t.c.started_at, run_t.c.run_id)
    with eng.connect() as conn:
        hist = pl.DataFrame([tuple(r) for r in conn.execute(q)], orient="row",
                            schema=["run_id", "as_of", "started_at", "rule_id", "outcome"])
    history = []
    if hist.height:
        history = hist.group_by("run_id", "as_of", "started_at", maintain_order=True).agg(
            (pl.col("outcome") == "pass").sum().alias("pass"), (pl.col("outcome") == "fail").sum().alias("fail"),
            pl.col("rule_id").filter(pl.col("outcome") == "fail").sort().alias("failing")) \
            .with_columns(pl.col("as_of").cast(pl.String), pl.col("started_at").cast(pl.String)).to_dicts()
    township = row["division_code"][:9]
    return {"institution": {k: (str(v) if k == "valid_from" else v) for k, v in row.items()},
            "type_name": queries.TYPE_ZH.get(row["type_code"], row["type_code"]),
            "path": places.path_name(row["division_code"]), "staff": _strs(staff), "equipment": _strs(equipment),
            "services": _strs(services), "pack": pack_id, "run": {k: str(v) for k, v in run.items()} if run else None,
            "verdicts": verdicts, "history": history, "approval": approvals.status(township, None, url)}


def _strs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()} for r in rows]


def rule_page(pack_id: str, rule_id: str, region: str, url: str | None = None) -> dict[str, Any]:
    """A rule or target: clause text, where it fails in `region`, the trend over runs."""
    pack = queries.load_pack(pack_id)
    if rule_id not in pack.rules:
        raise WangdiError("rule-not-found", f"规则包 {pack_id} 中没有规则 {rule_id}", f"no rule {rule_id}")
    rule = pack.rules[rule_id]
    params = [{"id": p.id, "clause": p.clause, "text": p.text, "values": [{k: str(v) for k, v in x.items()}
                                                                          for x in p.values]}
              for p in pack.parameters.values() if f"param.{p.id}" in str(rule.spec)]
    out: dict[str, Any] = {"pack": pack_id, "region": region, "region_name": places.path_name(region),
                           "rule": {"id": rule.id, "kind": rule.kind, "clause": rule.clause, "text": rule.text,
                                    "summary": rule.summary, "reading": str(rule.spec.get("reading", "")),
                                    "group": rule.group, "label": str(rule.spec.get("label", rule.summary))},
                           "parameters": params, "run": None, "counts": {}, "failing": [], "trend": []}
    run = queries.latest_run(pack_id, region, url)
    eng = store.init_db(url)
    if run:
        url_s = url or settings.database_url()
        res = queries._results(url_s, run["run_id"], region).filter(pl.col("rule_id") == rule_id)
        out["run"] = {k: str(v) for k, v in run.items()}
        out["counts"] = {k: int(v) for k, v in res.group_by("outcome").len().iter_rows()}
        failing = res.filter(pl.col("outcome").is_in([Outcome.FAIL, Outcome.NOT_MET])).sort("gap", descending=True,
                                                                                          nulls_last=True)
        inst = CENSUS["institution"]
        codes = failing["entity_code"].head(500).to_list()
        with eng.connect() as conn:
            names = dict(conn.execute(sa.select(inst.c.code, inst.c.name).where(inst.c.code.in_(codes),
                                                                                inst.c.valid_to.is_(None))).all())
        names.update(queries.division_names([c for c in codes if c not in names]))
        out["failing"] = [dict(r, name=names.get(r["entity_code"], r["entity_code"]))
                          for r in formatting.with_text(failing.head(500), pack.rules).select(
                              "entity_code", "region_code", pl.col("observed_zh").alias("observed"),
                              pl.col("required_zh").alias("required"), "gap", "gap_zh", "message").to_dicts()]
        out["failing_total"] = failing.height
    q = sa.select(run_t.c.run_id, run_t.c.as_of, run_t.c.started_at, result_t.c.outcome, sa.func.count().label("n")) \
        .join(result_t, result_t.c.run_id == run_t.c.run_id) \
        .where(run_t.c.pack == pack_id, result_t.c.rule_id == rule_id, run_t.c.scenario.is_(None),
               result_t.c.region_code.startswith(region)) \
        .group_by(run_t.c.run_id, run_t.c.as_of, run_t.c.started_at, result_t.c.outcome) \
        .order_by(run_t.c.started_at)
    with eng.connect() as conn:
        rows = conn.execute(q).all()
    trend: dict[str, dict[str, Any]] = {}
    for r in rows:  # one row per run and outcome (a handful), not per institution
        t = trend.setdefault(r.run_id, {"run_id": r.run_id, "as_of": str(r.as_of), "started_at": str(r.started_at)})
        t[r.outcome] = int(r.n)
    out["trend"] = list(trend.values())
    return out
