"""Fixtures: a fresh database per test on SQLite and (when available, always in CI) PostgreSQL."""

from __future__ import annotations

import contextlib
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


def _fresh_pg(suffix: str) -> str:
    """An emptied database of this xdist worker's own; skips on a laptop without PostgreSQL, fails in CI."""
    if not PG_URL:
        if IN_CI:
            pytest.fail("CI=true but WANGDI_TEST_PG_URL is not set: PostgreSQL tests must run in CI")
        pytest.skip("PostgreSQL not configured (set WANGDI_TEST_PG_URL)")
    url = _pg_database(os.environ.get("PYTEST_XDIST_WORKER", "main") + suffix)
    _reset(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, migrated database URL; also set as WANGDI_DATABASE_URL for CLI calls."""
    url = f"sqlite:///{tmp_path / 'test.sqlite'}" if request.param == "sqlite" else _fresh_pg("")
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


# --- web app ----------------------------------------------------------------------------------------

WEB_PASSWORD = "password-123"
# username -> (role, scope): county users see all of Yanggu, township users only their own township
WEB_USERS = {
    "admin": ("administrator", ""),
    "analyst": ("analyst", "371521"),
    "county": ("approver", "371521"),
    "viewer": ("viewer", "371521"),
    "yanlou": ("data_entry", "371521101"),  # 阎楼镇
    "acheng": ("data_entry", "371521103"),  # 阿城镇
    "acheng_viewer": ("viewer", "371521103"),
}


def make_web_db(url: str, xlsx: Path) -> str:
    """Yanggu's synthetic census, one evaluation run and the web users, on `url`."""
    from datetime import date

    from wangdi import api
    from wangdi.web import auth

    store.init_db(url)
    res = api.import_census(xlsx, url=url)
    assert res.written, res.report.text()
    api.evaluate("yanggu-2024", "371521", date(2026, 12, 31), url=url)
    for name, (role, scope) in WEB_USERS.items():
        auth.add_user(name, WEB_PASSWORD, role, scope, url=url)
    return url


@pytest.fixture(scope="module", params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def web_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, yanggu_xlsx: Path) -> Iterator[str]:
    """A module-wide database for web tests (SQLite, and PostgreSQL where configured; always in CI)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'web.sqlite'}" if request.param == "sqlite" else _fresh_pg("_web")
    yield make_web_db(url, yanggu_xlsx)
    store._ENGINES.pop(url, None)


def web_client(app: object, username: str | None = None) -> object:
    """A TestClient signed in as `username` (None: anonymous), sending the session's CSRF header."""
    from fastapi.testclient import TestClient

    c = TestClient(app, raise_server_exceptions=False)  # type: ignore[arg-type]
    if username:
        r = c.post("/api/v1/session", json={"username": username, "password": WEB_PASSWORD})
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


@contextlib.contextmanager
def serve_in_thread(url: str) -> Iterator[str]:
    """The web app on `url`'s database, served by uvicorn on a free loopback port for browser tests."""
    import socket
    import threading
    import time

    import uvicorn

    from wangdi.web import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(url), host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        t.join(10)
