"""Visit measures per county or city and period (year or month), defined as data in measures.yaml.

Each measure compiles through the pack expression language (wangdi.policy.expr) into one DuckDB query
over `ent_visit`; the Spark engine runs the same SQL transpiled. Output columns are typed: region_code,
period (2025 or 202503), measure, value (a fraction 0–1), numerator, denominator, rows.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

from wangdi.errors import WangdiError
from wangdi.policy import expr
from wangdi.policy.fields import fields_of

LEVELS = {"county": 6, "prefecture": 4, "province": 2}
PERIODS = {"year": "CAST(year(visit_date) AS BIGINT)",
           "month": "CAST(year(visit_date) * 100 + month(visit_date) AS BIGINT)"}


def definitions() -> list[dict[str, Any]]:
    text = resources.files("wangdi.visits").joinpath("measures.yaml").read_text(encoding="utf-8")
    return list(yaml.safe_load(text))


def _c(text: str, where: str) -> str:
    return f"({expr.compile_expr(str(text), fields_of('visit'), None, where).sql})"


def measures_sql(level: str = "county", period: str = "year", region: str = "") -> str:
    """One query: every measure per region prefix and period, UNION ALL of one grouped scan per measure."""
    if level not in LEVELS or period not in PERIODS:
        raise WangdiError("visits-bad-grouping", f"层级只能是 {'、'.join(LEVELS)}，期间只能是 year 或 month",
                          f"level must be one of {list(LEVELS)}, period year or month")
    n, per = LEVELS[level], PERIODS[period]
    parts = []
    for m in definitions():
        where = f"measures.yaml {m['id']}"
        pop, num = _c(m["population"], where), _c(m["numerator"], where)
        val = _c(m["value"], where)
        den = _c(m["denominator_value"], where) if m.get("denominator_value") else val
        region_sql = "'" + region.replace("'", "''") + "'"
        parts.append(f"""SELECT substr(region_code, 1, {n}) AS region_code, {per} AS period, '{m["id"]}' AS measure,
            CAST(sum(CASE WHEN {pop} AND {num} THEN {val} END) AS DOUBLE) AS numerator,
            CAST(sum(CASE WHEN {pop} AND {num} IS NOT NULL THEN {den} END) AS DOUBLE) AS denominator,
            count(CASE WHEN {pop} THEN 1 END) AS rows
          FROM ent_visit WHERE starts_with(region_code, {region_sql}) GROUP BY 1, 2""")
    body = " UNION ALL ".join(parts)
    return (f"SELECT region_code, period, measure, numerator / nullif(denominator, 0) AS value, numerator, "
            f"denominator, rows FROM ({body}) AS m ORDER BY region_code, period, measure")
