"""Issue 13 items 2, 5, 6: runs take installed pack ids only; login limits hold; sessions end on a password or
role change."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import WEB_PASSWORD, web_client
from wangdi.errors import WangdiError
from wangdi.policy.pack import PACKS_DIR
from wangdi.web import auth


@pytest.mark.parametrize("pack", [str(PACKS_DIR / "yanggu-2024"), "/etc", "/no/such/dir", "../packs/yanggu-2024"])
def test_runs_take_installed_pack_ids_only(sec_app: Any, pack: str) -> None:
    r = web_client(sec_app, "admin").post("/api/v1/runs", json={"pack": pack, "region": "371521101",
                                                              "as_of": "2026-12-31"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown-pack"  # before: a server folder ran
    assert "/" not in r.json()["error"]["message"] and "etc" not in r.json()["error"]["message"]


def test_parallel_guesses_are_counted_atomically(sec_app: Any) -> None:
    sec_app.state.limiter = auth.RateLimiter()

    def guess(i: int) -> int:
        c = web_client(sec_app)
        return c.post("/api/v1/session", json={"username": "analyst", "password": f"guess-{i}"}).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(guess, range(24)))
    assert codes.count(401) <= auth.MAX_FAILURES and codes.count(429) >= 24 - auth.MAX_FAILURES  # before: most checked
    sec_app.state.limiter = auth.RateLimiter()


def test_another_accounts_success_does_not_reset_an_address(sec_app: Any) -> None:
    sec_app.state.limiter = auth.RateLimiter()
    c = web_client(sec_app)
    for i in range(auth.MAX_FAILURES - 1):
        assert c.post("/api/v1/session", json={"username": f"victim{i}", "password": "nope-nope"}).status_code == 401
    assert c.post("/api/v1/session", json={"username": "viewer", "password": WEB_PASSWORD}).status_code == 200
    c.post("/api/v1/session", json={"username": "victim9", "password": "nope-nope"})
    r = c.post("/api/v1/session", json={"username": "victim10", "password": "nope-nope"})
    assert r.status_code == 429  # before: the viewer's success wiped the address's failures
    sec_app.state.limiter = auth.RateLimiter()


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(sec_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sec_app.state.limiter = auth.RateLimiter()
    c = web_client(sec_app)
    codes = [c.post("/api/v1/session", json={"username": f"x{i}", "password": "nope-nope"},
                    headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code for i in range(auth.MAX_FAILURES + 1)]
    assert codes[-1] == 429
    monkeypatch.setenv("WANGDI_TRUSTED_PROXIES", "testclient")
    assert c.post("/api/v1/session", json={"username": "y", "password": "nope-nope"},
                  headers={"X-Forwarded-For": "10.9.9.9"}).status_code == 401  # a new address behind a trusted proxy
    sec_app.state.limiter = auth.RateLimiter()


def test_unknown_users_cost_a_password_check_too(sec_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = auth._hasher

    class Counting:
        def verify(self, h: str, p: str) -> bool:
            calls.append(h)
            return bool(real.verify(h, p))

    monkeypatch.setattr(auth, "_hasher", Counting())
    with pytest.raises(WangdiError):
        auth.login("nobody-here", "whatever-1", "1.2.3.4", auth.RateLimiter(), sec_app.state.url)
    assert len(calls) == 1  # before: answered at once, so timing told which names exist


def test_sessions_end_when_password_or_role_changes(sec_app: Any, tmp_path: Path) -> None:
    url = sec_app.state.url
    auth.add_user("rotating", WEB_PASSWORD, "viewer", "371521", url=url)
    c = web_client(sec_app, "rotating")
    assert c.get("/api/v1/me").status_code == 200
    auth.add_user("rotating", "another-password-1", "viewer", "371521", url=url)
    assert c.get("/api/v1/me").status_code == 401  # before: the old cookie still worked
    c2 = web_client(sec_app)
    r = c2.post("/api/v1/session", json={"username": "rotating", "password": "another-password-1"})
    assert r.status_code == 200
    auth.add_user("rotating", "another-password-1", "analyst", "371521", url=url)
    assert c2.get("/api/v1/me").status_code == 401
