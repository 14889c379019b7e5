"""Operations shared by the JSON API and the pages, each scoped to the signed-in user."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import sqlalchemy as sa

from wangdi import divisions
from wangdi.errors import WangdiError
from wangdi.policy import formatting, runs
from wangdi.registry import store
from wangdi.registry.tables import CENSUS
from wangdi.registry.tables import run as run_t
from wangdi.web import places, queries, records
from wangdi.web.auth import User
from wangdi.web.deps import check_region, pack_for


def region_info(user: User, code: str) -> dict[str, Any]:
    check_region(user, code)
    d = places.division(code)
    kids = list(places.children(code))
    return {"code": code, "name": d["name"], "level": d["level"], "level_zh": divisions.LEVEL_ZH[int(str(d["level"]))],
            "path": [{"code": code[:n], "name": places.division(code[:n])["name"]} for n in (2, 4, 6, 9, 12) if n <= len(code)],
            "children": kids}


def institution(user: User, code: str, pack: str | None, url: str) -> dict[str, Any]:
    """404 for an institution outside the user's scope, exactly as for one that does not exist."""
    row = records.institution_row(code, url)
    if not user.in_scope(str(row["division_code"])):
        raise WangdiError("institution-not-found", f"没有机构 {code}（或不在您的权限范围内）", f"no institution {code}")
    return records.institution(code, pack_for(str(row["division_code"]), pack), url, row)


def search(user: User, q: str, region: str, url: str, limit: int = 50) -> dict[str, Any]:
    """Institutions by name or code and divisions by name, inside the user's scope only."""
    region = check_region(user, region) if region else user.scope_code
    limit = max(1, min(limit, 500))
    t = CENSUS["institution"]
    cond = [t.c.valid_to.is_(None), t.c.division_code.startswith(region)]
    if q:
        cond.append(sa.or_(t.c.name.contains(q, autoescape=True), t.c.code.startswith(q, autoescape=True)))
    eng = store.init_db(url)
    with eng.connect() as conn:
        rows = conn.execute(sa.select(t.c.code, t.c.name, t.c.type_code, t.c.division_code).where(*cond)
                            .order_by(t.c.division_code, t.c.code).limit(limit)).all()
    divs = divisions.find(q, 200).filter(pl.col("code").str.starts_with(region)).head(20).to_dicts() if q else []
    return {"institutions": [dict(r._mapping, type_name=queries.TYPE_ZH.get(r.type_code, r.type_code)) for r in rows],
            "divisions": [{"code": d["code"], "name": d["name"], "path": d["path"]} for d in divs]}


def list_runs(user: User, url: str) -> list[dict[str, Any]]:
    """Runs whose region overlaps the user's scope (a run's metadata reveals no data)."""
    eng = store.init_db(url)
    with eng.connect() as conn:
        rows = conn.execute(sa.select(run_t).order_by(run_t.c.started_at.desc()).limit(200)).all()
    return [{k: (str(v) if isinstance(v, date) or k == "started_at" else v) for k, v in r._mapping.items()}
            for r in rows if r.region_code.startswith(user.scope_code) or user.scope_code.startswith(r.region_code)]


def start_run(user: User, pack_id: str, region: str, as_of: date, url: str) -> dict[str, Any]:
    user.require("run")
    check_region(user, region)
    pack_id = pack_for(region, pack_id or "-")  # an installed pack id, never a server path
    run_id, res = runs.evaluate(pack_id, region, as_of, url)
    counts = dict(res.group_by("outcome").len().iter_rows())
    return {"run_id": run_id, "pack": pack_id, "region_code": region, "as_of": str(as_of), "rows": res.height,
            "counts": {k: int(v) for k, v in counts.items()}}


def compare(user: User, a: str, b: str, region: str, url: str) -> dict[str, Any]:
    """What changed between two runs inside `region` (within scope), with the observed values (why)."""
    region = check_region(user, region) if region else user.scope_code
    ra, rb = runs.get_run(a, url), runs.get_run(b, url)
    changed = runs.diff_results(queries._results(url, a, region), queries._results(url, b, region))
    summary = changed.group_by("rule_id", "outcome_a", "outcome_b").len("n").sort("n", descending=True)
    return {"a": {k: str(v) for k, v in ra.items()}, "b": {k: str(v) for k, v in rb.items()}, "region": region,
            "changed": changed.height, "summary": summary.to_dicts(), "rows": _compare_rows(changed.head(1000)),
            "pack_changed": ra["pack_hash"] != rb["pack_hash"], "data_changed": ra["data_version"] != rb["data_version"]}


def _compare_rows(changed: pl.DataFrame) -> list[dict[str, Any]]:
    """The changed verdicts shown on the compare page, each with its words (only the rows shown)."""
    out = []
    for r in changed.to_dicts():
        for s in ("a", "b"):
            r[f"outcome_{s}_zh"] = formatting.outcome_zh(r[f"outcome_{s}"])
            r[f"observed_{s}_zh"] = formatting.value_zh(r[f"observed_{s}"], r["unit"])
        out.append(r)
    return out
