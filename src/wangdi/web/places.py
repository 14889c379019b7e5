"""Division lookups for the web app, cached: the division tree is fixed while serving, and each lookup
on the 665,276-row reference frame would otherwise cost a scan per request."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from wangdi import divisions


@lru_cache(maxsize=20_000)
def division(code: str) -> dict[str, Any]:
    return dict(divisions.get(code))


@lru_cache(maxsize=20_000)
def children(code: str) -> tuple[dict[str, Any], ...]:
    return tuple(divisions.children(code).select("code", "name", "kind").to_dicts()) if len(code) < 12 else ()


@lru_cache(maxsize=20_000)
def path_name(code: str) -> str:
    return divisions.path_name(code) if code else "全部"
