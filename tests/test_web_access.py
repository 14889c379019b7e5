"""Access matrix: every endpoint × role × inside/outside the user's scope → the expected status.

Scopes (tests/conftest.py WEB_USERS): admin everything; analyst, county (approver) and viewer all of
Yanggu (371521); yanlou (data entry) only 阎楼镇 371521101; acheng_viewer only 阿城镇 371521103.
The target objects below all lie in 阎楼镇, so acheng_viewer is always "outside"; 371522 (莘县) is outside
everyone but admin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import WEB_USERS, web_client
from wangdi.web import create_app

THC = "371521101-C220"
TOWN = "371521101"
INSIDE = {"admin", "analyst", "county", "viewer", "yanlou"}  # users whose scope covers 阎楼镇
EDIT = {"administrator", "data_entry"}
RUN = {"administrator", "analyst"}


def read(inside_status: int = 200, outside: int = 403) -> Callable[[str], int]:
    return lambda u: inside_status if u in INSIDE else outside


def perm(roles: set[str], outside: int = 403) -> Callable[[str], int]:
    def expect(u: str) -> int:
        if WEB_USERS[u][0] not in roles:
            return 403
        return 200 if u in INSIDE else outside
    return expect


# (name, method, path, json body or None, expected status per user)
MATRIX: list[tuple[str, str, str, Any, Callable[[str], int]]] = [
    ("me", "GET", "/api/v1/me", None, lambda u: 200),
    ("packs", "GET", "/api/v1/packs", None, lambda u: 200),
    ("runs", "GET", "/api/v1/runs", None, lambda u: 200),
    ("region", "GET", f"/api/v1/regions/{TOWN}", None, read()),
    ("overview", "GET", f"/api/v1/regions/{TOWN}/overview", None, read()),
    ("other county", "GET", "/api/v1/regions/371522/overview", None, lambda u: 200 if u == "admin" else 403),
    ("search", "GET", f"/api/v1/search?q=卫生&region={TOWN}", None, read()),
    ("institution", "GET", f"/api/v1/institutions/{THC}", None, read(outside=404)),
    ("rule", "GET", f"/api/v1/rules/yanggu-2024/thc_equipment_full?region={TOWN}", None, read()),
    ("table", "GET", f"/api/v1/tables/equipment?region={TOWN}&format=csv", None, read()),
    ("results", "GET", f"/api/v1/tables/results?region={TOWN}&format=xlsx", None, read()),
    ("template", "GET", "/api/v1/template", None, lambda u: 200),
    ("approvals", "GET", f"/api/v1/approvals?region={TOWN}", None, read()),
    ("audit", "GET", "/api/v1/audit", None, lambda u: 200 if u == "admin" else 403),
    ("users", "GET", "/api/v1/users", None, lambda u: 200 if u == "admin" else 403),
    ("edit institution", "PUT", f"/api/v1/institutions/{THC}", "VERSION", perm(EDIT, outside=404)),
    ("start run", "POST", "/api/v1/runs", {"pack": "yanggu-2024", "region": TOWN, "as_of": "2026-12-31"}, perm(RUN)),
    ("submit", "POST", f"/api/v1/approvals/{TOWN}/PERIOD/submit", {}, perm({"administrator", "data_entry"})),
    ("page overview", "GET", f"/regions/{TOWN}", None, read()),
    ("page institution", "GET", f"/institutions/{THC}", None, read(outside=404)),
    ("page rule", "GET", f"/rules/yanggu-2024/thc_equipment_full?region={TOWN}", None, read()),
    ("page approvals", "GET", f"/approvals?region={TOWN}", None, read()),
    ("page downloads", "GET", f"/downloads?region={TOWN}", None, read()),
    ("page runs", "GET", "/runs", None, lambda u: 200),
    ("page import", "GET", "/import", None, lambda u: 200),
]


@pytest.fixture(scope="module")
def app(web_db: str) -> Any:
    return create_app(web_db)


@pytest.fixture(scope="module")
def clients(app: Any) -> dict[str, Any]:
    return {u: web_client(app, u) for u in WEB_USERS}


@pytest.mark.parametrize("name,method,path,body,expect", MATRIX, ids=[m[0] for m in MATRIX])
def test_access_matrix(clients: dict[str, Any], name: str, method: str, path: str, body: Any,
                       expect: Callable[[str], int]) -> None:
    got: dict[str, int] = {}
    for user, c in clients.items():
        payload = body
        if body == "VERSION":  # an unchanged save with the current version: allowed roles get 200
            version = clients["admin"].get(f"/api/v1/institutions/{THC}").json()["institution"]["version"]
            payload = {"version": version, "values": {}}
        url = path.replace("PERIOD", f"t-{user}"[:8])
        r = c.request(method, url, json=payload) if payload is not None else c.request(method, url)
        got[user] = r.status_code
        if r.status_code >= 400 and path.startswith("/api/"):
            assert r.json()["ok"] is False and r.json()["error"]["code"], r.text
    assert got == {u: expect(u) for u in clients}


@pytest.mark.parametrize("name,method,path,body,expect", MATRIX, ids=[m[0] for m in MATRIX])
def test_anonymous_is_refused(app: Any, name: str, method: str, path: str, body: Any,
                              expect: Callable[[str], int]) -> None:
    c = web_client(app)
    r = c.request(method, path.replace("PERIOD", "anon"), json=body if isinstance(body, dict) else None,
                  follow_redirects=False)
    if path.startswith("/api/"):
        assert r.status_code == 401 and r.json()["error"]["code"] == "not-authenticated"
    else:
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
