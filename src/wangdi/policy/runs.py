"""Evaluation runs: load the data, evaluate, store results with the pack hash and data version; compare; explain."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from wangdi import divisions
from wangdi.errors import WangdiError
from wangdi.indicators.store import indicator_snapshot
from wangdi.policy import engine, formatting, results
from wangdi.policy.expr import compile_expr
from wangdi.policy.fields import Dataset, fields_of
from wangdi.policy.pack import Pack, expressions, load
from wangdi.registry import store
from wangdi.registry.schema import TABLES
from wangdi.registry.tables import result as result_t
from wangdi.registry.tables import run as run_t


def region_divisions(region: str) -> pl.DataFrame:
    ref = divisions.reference()
    return ref.filter(pl.col("code").str.starts_with(region) | pl.lit(region).str.starts_with(pl.col("code")))


def load_dataset(region: str, as_of: date, url: str | None = None) -> Dataset:
    divisions.get(region)
    eng = store.init_db(url)
    with eng.connect() as conn:
        tables = {t.name: store.snapshot(conn, t.name, as_of, region) for t in TABLES}
        tables["indicator_value"] = indicator_snapshot(conn, region)
        version = store.data_version(conn)
    return Dataset(tables, region_divisions(region), as_of, region, version)


def dataset_from_parquet(folder: Path, as_of: date, region: str = "") -> Dataset:
    """A census written by `wangdi synth --format parquet` (benchmarks: the whole country at once)."""
    tables = {t.name: pl.read_parquet(folder / f"{t.name}.parquet") for t in TABLES}
    divs = divisions.reference() if not region else region_divisions(region)
    return Dataset(tables, divs, as_of, region, f"parquet:{folder.name}")


WHAT_IF = "推演：规则包管辖范围外"  # the scenario label of a run outside the pack's jurisdiction


def covers(pack: Pack, region: str) -> bool:
    """Whether `region` lies inside the pack's jurisdiction (a pack without one covers everywhere)."""
    j = str(pack.manifest.get("jurisdiction") or "")
    return region.startswith(j)


def check_jurisdiction(pack: Pack, region: str, what_if: bool) -> str | None:
    """Refuse a region outside the pack's jurisdiction unless asked as a what-if; returns the what-if label."""
    if covers(pack, region):
        return None
    if what_if:
        return WHAT_IF
    j = str(pack.manifest.get("jurisdiction") or "")
    names = {c: _name(c) for c in (j, region)}
    raise WangdiError("outside-jurisdiction", f"规则包“{pack.title}”的管辖范围是 {names[j]}（{j}），{names[region]}（{region}）"
                      "不在其内：不能据此作出结论。如只想推演，请加 --what-if（结果会标明“推演：规则包管辖范围外”）",
                      f"{region} is outside the jurisdiction {j} of pack {pack.id}; use --what-if to evaluate anyway",
                      {"pack": pack.id, "jurisdiction": j, "region": region})


def _name(code: str) -> str:
    try:
        return str(divisions.get(code)["name"])
    except WangdiError:
        return code


def evaluate(pack_id: str, region: str, as_of: date, url: str | None = None, store_run: bool = True,
             scenario: str | None = None, con: Any = None, data: Dataset | None = None,
             what_if: bool = False,
             evaluator: Callable[[Pack, Dataset], pl.DataFrame] | None = None) -> tuple[str, pl.DataFrame]:
    """Evaluate and store the run. Pass a DuckDB `con` to keep the entity tables, `data` if already loaded.
    A region outside the pack's jurisdiction is refused unless `what_if`; the run is then marked WHAT_IF.
    `evaluator` runs another engine (wangdi.visits.engines: Spark, visit-record files)."""
    pack = load(pack_id)
    label = check_jurisdiction(pack, region, what_if)
    if label is not None:
        scenario = f"{scenario}；{label}" if scenario else label
    data = data or load_dataset(region, as_of, url)
    if not any(df.height for df in data.tables.values()):
        raise WangdiError("no-data", f"区划 {region} 在 {as_of} 没有登记数据：请先 wangdi import 普查数据",
                          f"no registry data for {region} as of {as_of}")
    t0 = time.perf_counter()
    out = evaluator(pack, data) if evaluator else engine.evaluate(pack, data, con=con)
    seconds = time.perf_counter() - t0
    run_id = f"R{datetime.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
    out = out.with_columns(pl.lit(run_id).alias("run_id")).select("run_id", *results.RESULT_COLUMNS)
    if store_run:
        eng = store.init_db(url)
        with eng.begin() as conn:
            conn.execute(run_t.insert().values(
                run_id=run_id, pack=pack.id, pack_hash=pack.content_hash, region_code=region, as_of=as_of,
                data_version=data.data_version, started_at=datetime.now().replace(microsecond=0),
                seconds=seconds, rows=out.height, scenario=scenario))
            cols = [c.name for c in result_t.columns]
            for chunk in out.select(cols).iter_slices(20_000):
                conn.execute(result_t.insert(), chunk.to_dicts())
    return run_id, out


def list_runs(url: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    eng = store.init_db(url)
    with eng.connect() as conn:
        rows = conn.execute(sa.select(run_t).order_by(run_t.c.started_at.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]


def get_run(run_id: str, url: str | None = None) -> dict[str, Any]:
    eng = store.init_db(url)
    with eng.connect() as conn:
        row = conn.execute(sa.select(run_t).where(run_t.c.run_id == run_id)).first()
    if row is None:
        raise WangdiError("run-not-found", f"没有评估批次 {run_id}；用 wangdi runs list 查看", f"no run {run_id}")
    return dict(row._mapping)


def stored_results(rows: Sequence[Any], cols: list[str]) -> pl.DataFrame:
    """Rows read from the registry table `result` as a typed frame (the one loader of stored results)."""
    return pl.DataFrame([tuple(r) for r in rows], schema=results.polars_schema(cols), orient="row")


def run_results(run_id: str, url: str | None = None, columns: list[str] | None = None,
                where: Any = None) -> pl.DataFrame:
    """A stored run's results, typed (optionally only `columns`, and rows matching the SQLAlchemy `where`)."""
    eng = store.init_db(url)
    cols = columns or [c.name for c in result_t.columns]
    q = sa.select(*(result_t.c[c] for c in cols)).where(result_t.c.run_id == run_id)
    if where is not None:
        q = q.where(where)
    with eng.connect() as conn:
        rows = conn.execute(q).all()
    return stored_results(rows, cols)


def compare(a: str, b: str, url: str | None = None) -> pl.DataFrame:
    """Per rule and entity, outcomes that differ between run a and run b (and why: observed values)."""
    return diff_results(run_results(a, url), run_results(b, url))


def diff_results(ra: pl.DataFrame, rb: pl.DataFrame) -> pl.DataFrame:
    """The verdicts that differ between two runs' results (each with rule_id, entity_code, clause_ref, kind, unit,
    outcome_a/b, observed_a/b as numbers), full outer join on rule and entity."""
    key = ["rule_id", "entity_code"]
    j = ra.select(*key, "clause_ref", pl.col("outcome").alias("outcome_a"), pl.col("observed").alias("observed_a")) \
        .join(rb.select(*key, "kind", "unit", pl.col("outcome").alias("outcome_b"),
                        pl.col("observed").alias("observed_b")), on=key, how="full", coalesce=True)
    return j.filter(~pl.col("outcome_a").eq_missing(pl.col("outcome_b"))).sort(key)


def explain(run_id: str, rule_id: str, entity: str, url: str | None = None) -> dict[str, Any]:
    """How a verdict was reached: the rule and its clause, the inputs read, each parameter's source."""
    run = get_run(run_id, url)
    pack = load(run["pack"])
    if rule_id not in pack.rules:
        raise WangdiError("rule-not-found", f"规则包 {pack.id} 中没有规则 {rule_id}", f"no rule {rule_id}")
    rule = pack.rules[rule_id]
    as_of = run["as_of"] if isinstance(run["as_of"], date) else date.fromisoformat(str(run["as_of"]))
    data = load_dataset(run["region_code"], as_of, url)
    import duckdb

    con = duckdb.connect()
    fresh = engine.evaluate(pack, data, [rule_id], con).filter(pl.col("entity_code") == entity)
    stored = run_results(run_id, url).filter((pl.col("rule_id") == rule_id) & (pl.col("entity_code") == entity))
    used: set[str] = set()
    inputs: dict[str, Any] = {}
    for _key, text in expressions(rule):  # the one list of expression keys, readiness items included
        c = compile_expr(text, fields_of(rule.entity, pack.derived), lambda n: engine.param_sql(pack.parameters[n], as_of), "",
                         sorted(pack.parameters))
        used |= c.params
        if rule.kind != "target" and c.fields:
            cols = ", ".join(f'"{f}"' for f in sorted(c.fields))
            inputs.update(_row(con, f"SELECT {cols} FROM ent_{rule.entity} WHERE entity_code = ?", entity) or {})
    if rule.spec.get("items"):
        row = _row(con, f"SELECT equipment_items FROM ent_{rule.entity} WHERE entity_code = ?", entity)
        inputs["equipment_items"] = row["equipment_items"] if row else None
    params = []
    for name in sorted(used):
        p = pack.parameters[name]
        params.append({"id": name, "value_sql": engine.param_sql(p, as_of), "clause": p.clause,
                       "text": p.text, "from_pack": p.pack, "values": p.values, "where": p.where})
    rule_info = {"id": rule.id, "kind": rule.kind, "clause": rule.clause, "text": rule.text, "summary": rule.summary,
                 "from_pack": rule.pack, "spec": rule.spec}
    return {"run": {k: str(v) for k, v in run.items()}, "rule": rule_info,
            "entity": entity, "inputs": json.loads(json.dumps(inputs, default=str)), "parameters": params,
            "stored": _jsonable(formatting.with_text(stored, pack.rules)),
            "recomputed": _jsonable(formatting.with_text(fresh, pack.rules)),
            "data_changed_since_run": store_version(url) != run["data_version"]}


def _row(con: Any, sql: str, entity: str) -> dict[str, Any] | None:
    """One entity's row; the entity code is a bound parameter, never pasted into the SQL."""
    cur = con.execute(sql, [entity])
    names = [d[0] for d in cur.description]
    first = cur.fetchone()
    return dict(zip(names, first, strict=True)) if first else None


def _jsonable(df: pl.DataFrame) -> list[dict[str, Any]]:
    return list(json.loads(json.dumps(df.to_dicts(), default=str)))


def store_version(url: str | None) -> str:
    eng = store.init_db(url)
    with eng.connect() as conn:
        return store.data_version(conn)


def pack_summary(pack: Pack) -> dict[str, Any]:
    return {"id": pack.id, "title": pack.title, "hash": pack.content_hash, "lineage": pack.lineage,
            "rules": len(pack.rules), "parameters": len(pack.parameters), "tests": len(pack.tests),
            **{k: pack.manifest.get(k) for k in ("issuer", "document_number", "issued", "jurisdiction", "region")}}
