"""Schemathesis against /api/v1/openapi.json: generated requests never cause a 5xx, and every response
(errors included) matches the documented status codes, content types and schemas."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import web_client
from wangdi.web import create_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def web_app(web_db: str) -> Any:
    return create_app(web_db)


@pytest.fixture(scope="module")
def admin_headers(web_app: Any) -> dict[str, str]:
    c = web_client(web_app, "admin")
    return {"Cookie": f"wangdi_session={c.cookies['wangdi_session']}", "X-CSRF-Token": c.headers["X-CSRF-Token"]}


@pytest.fixture(scope="module")
def api_schema(web_app: Any) -> Any:
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", web_app)


def test_api_conforms_to_its_openapi(api_schema: Any, admin_headers: dict[str, str]) -> None:
    """Every operation, 12 generated cases each, signed in as the administrator (every operation reachable) —
    except the session endpoints themselves: a generated logout must not end the session the others use."""
    operations = [r.ok() for r in api_schema.get_all_operations()]
    assert len(operations) >= 20
    seen: Counter[int] = Counter()
    for op in operations:
        fuzz(op, {} if op.path == "/api/v1/session" else admin_headers, seen)
    assert seen[200] >= 20 and len(seen) >= 3, seen  # real handlers were reached, and errors were produced


def fuzz(op: Any, headers: dict[str, str], seen: Counter[int]) -> None:
    @given(case=op.as_strategy())
    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case: Any) -> None:
        seen[case.call_and_validate(headers=headers, checks=CHECKS).status_code] += 1

    run()


def test_openapi_documents_the_error_shape(web_app: Any) -> None:
    spec = web_client(web_app).get("/api/v1/openapi.json").json()
    assert spec["paths"] and all(p.startswith("/api/v1/") for p in spec["paths"])
    err = spec["components"]["schemas"]["ErrorOut"]
    assert set(err["properties"]) == {"ok", "error"}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert "403" in op["responses"] and "404" in op["responses"], f"{method} {path}"


def test_every_api_path_is_documented(web_app: Any) -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "web.md").read_text(encoding="utf-8")
    spec = web_client(web_app).get("/api/v1/openapi.json").json()
    for path, ops in spec["paths"].items():
        for method in ops:
            assert f"`{method.upper()} {path}`" in doc, f"{method.upper()} {path} is missing from docs/web.md"
