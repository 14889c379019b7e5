"""Reading reported values for an evaluation: the current value of each period, in the region and above it."""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa

from wangdi.registry.schema import TABLE_MAP
from wangdi.registry.store import polars_schema
from wangdi.registry.tables import CENSUS


def indicator_snapshot(conn: sa.Connection, region: str) -> pl.DataFrame:
    """Current indicator rows for divisions in `region` or containing it (a county run also reads its city's and
    province's values). A value belongs to its period: a later correction replaces it for that period, so the
    current row is read, not the row in force on the as-of date."""
    spec, t = TABLE_MAP["indicator_value"], CENSUS["indicator_value"]
    where = sa.or_(t.c.division_code.startswith(region), sa.literal(region).startswith(t.c.division_code)) \
        if region else sa.true()
    rows = conn.execute(sa.select(*[t.c[c] for c in spec.columns]).where(t.c.valid_to.is_(None), where)
                        .order_by(t.c.indicator, t.c.division_code, t.c.period)).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=polars_schema(spec), orient="row")
