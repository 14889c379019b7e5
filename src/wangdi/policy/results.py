"""The result frame, declared once: typed numbers and enums, never display text.

Every rule evaluation writes rows with exactly RESULT_SCHEMA's columns (DuckDB table `results`, the Polars frame
from `engine.evaluate`, the registry table `result` without `pack`). A share is a fraction 0–1 with unit 'share'
('%' is never a unit); entitlements carry their amount in `amount` (元); `gap` is how far a failing row is from its
bound (for a share target: how many members are still needed). Chinese text comes from `policy.formatting`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # polars is imported on use: the CLI imports Outcome and must start quickly
    import polars as pl


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "not_applicable"
    NOT_YET_DUE = "not_yet_due"
    MET = "met"
    NOT_MET = "not_met"
    PAYABLE = "payable"
    NOT_PAYABLE_DUPLICATE = "not_payable_duplicate"


SHORT = (Outcome.FAIL, Outcome.NOT_MET, Outcome.NOT_YET_DUE)  # a row that still needs something done

# column -> DuckDB type (the order is the frame's column order)
RESULT_SCHEMA: dict[str, str] = {
    "pack": "VARCHAR", "rule_id": "VARCHAR", "clause_ref": "VARCHAR", "kind": "VARCHAR", "group": "VARCHAR",
    "entity_type": "VARCHAR", "entity_code": "VARCHAR", "region_code": "VARCHAR", "outcome": "VARCHAR",
    "observed": "DOUBLE", "observed_low": "DOUBLE", "observed_high": "DOUBLE", "required_min": "DOUBLE",
    "required_max": "DOUBLE", "deadline": "DATE", "gap": "DOUBLE", "unit": "VARCHAR", "amount": "DOUBLE",
    "unknown_n": "INTEGER", "missing": "VARCHAR[]",
}
RESULT_COLUMNS = list(RESULT_SCHEMA)
NUMERIC = [c for c, t in RESULT_SCHEMA.items() if t == "DOUBLE"]


def polars_schema(columns: list[str] | None = None) -> dict[str, pl.DataType]:
    """The Polars dtypes of the result columns (all, or the named ones; `run_id` is a string)."""
    import polars as pl

    types = {"VARCHAR": pl.String(), "DOUBLE": pl.Float64(), "DATE": pl.Date(), "INTEGER": pl.Int32(),
             "VARCHAR[]": pl.List(pl.String())}
    cols = columns or RESULT_COLUMNS
    return {c: (pl.String() if c == "run_id" else types[RESULT_SCHEMA[c]]) for c in cols}


def create_sql(table: str, temp: bool = True) -> str:
    cols = ", ".join(f'"{c}" {t}' for c, t in RESULT_SCHEMA.items())
    return f"CREATE OR REPLACE {'TEMP ' if temp else ''}TABLE {table} ({cols})"
