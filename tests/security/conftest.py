"""Shared set-up for the security suite: one Yanggu web database per session (SQLite; PostgreSQL where set)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa

from tests.conftest import _fresh_pg, make_web_db
from wangdi.registry import store
from wangdi.registry.tables import CENSUS


@pytest.fixture(scope="session", params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def sec_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, yanggu_xlsx: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('sec') / 'sec.sqlite'}" if request.param == "sqlite" \
        else _fresh_pg("_sec")
    yield make_web_db(url, yanggu_xlsx)
    store._ENGINES.pop(url, None)


@pytest.fixture(scope="session")
def sec_app(sec_db: str) -> Any:
    from wangdi.web import create_app

    return create_app(sec_db)


def workbook(sheets: dict[str, list[list[Any]]]) -> bytes:
    """An .xlsx with the given sheets (first row: headers), as bytes."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def current(url: str, table: str, **where: str) -> list[dict[str, Any]]:
    t = CENSUS[table]
    with store.init_db(url).connect() as conn:
        q = sa.select(t).where(t.c.valid_to.is_(None), *[t.c[k] == v for k, v in where.items()])
        return [dict(r._mapping) for r in conn.execute(q)]


def one_in(url: str, table: str, column: str, prefix: str) -> dict[str, Any]:
    t = CENSUS[table]
    with store.init_db(url).connect() as conn:
        r = conn.execute(sa.select(t).where(t.c.valid_to.is_(None), t.c[column].startswith(prefix))
                         .order_by(t.c.row_id).limit(1)).first()
    assert r is not None
    return dict(r._mapping)


def db_state(url: str) -> str:
    """Every census, audit and approval row, as text: equal before and after means nothing was written."""
    from wangdi.registry.tables import approval, audit

    with store.init_db(url).connect() as conn:
        parts = [str(conn.execute(sa.select(t).order_by(*t.primary_key.columns)).all())
                 for t in [*CENSUS.values(), audit, approval]]
    return "\n".join(parts)
