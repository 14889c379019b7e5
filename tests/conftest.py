"""Fixtures: a fresh database per test on SQLite and (when available, always in CI) PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from wangdi.registry import store

PG_URL = os.environ.get("WANGDI_TEST_PG_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"
ARTIFACTS = Path(__file__).parent / "artifacts"


def _pg_database(worker: str) -> str:
    """A database of this xdist worker's own, so parallel workers never share tables."""
    url = sa.engine.make_url(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"wangdi_test_{worker}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        if not c.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _reset(url: str) -> None:
    eng = sa.create_engine(url)
    with eng.begin() as c:
        meta = sa.MetaData()
        meta.reflect(c)
        meta.drop_all(c)
    eng.dispose()
    store._ENGINES.pop(url, None)


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, migrated database URL; also set as WANGDI_DATABASE_URL for CLI calls."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite'}"
    else:
        if not PG_URL:
            if IN_CI:
                pytest.fail("CI=true but WANGDI_TEST_PG_URL is not set: PostgreSQL tests must run in CI")
            pytest.skip("PostgreSQL not configured (set WANGDI_TEST_PG_URL)")
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        url = _pg_database(worker)
        _reset(url)
    monkeypatch.setenv("WANGDI_DATABASE_URL", url)
    store.init_db(url)
    yield url
    store._ENGINES.pop(url, None)


@pytest.fixture(scope="session")
def yanggu_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic Yanggu census workbook (seed 1), made once per session."""
    from wangdi import api

    out = tmp_path_factory.mktemp("synth") / "yanggu.xlsx"
    api.synth("371521", out, seed=1, year=2025)
    return out


@pytest.fixture
def yanggu_db(db_url: str, yanggu_xlsx: Path) -> str:
    from wangdi import api

    res = api.import_census(yanggu_xlsx, url=db_url)
    assert res.written, res.report.text()
    return db_url
