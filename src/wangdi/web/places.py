"""Division lookups for the web app, cached: the division tree is fixed while serving, and each lookup
on the 665,276-row reference frame would otherwise cost a scan per request."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import polars as pl

from wangdi import divisions


@lru_cache(maxsize=20_000)
def division(code: str) -> dict[str, Any]:
    return dict(divisions.get(code))


@lru_cache(maxsize=20_000)
def children(code: str) -> tuple[dict[str, Any], ...]:
    return tuple(divisions.children(code).select("code", "name", "kind").to_dicts()) if len(code) < 12 else ()


@lru_cache(maxsize=1)
def _upper_names() -> dict[str, str]:
    """Names of provinces, prefectures, counties and townships (about 45,000): small enough to hold."""
    ref = divisions.reference()
    return dict(ref.filter(pl.col("level") <= 4).select("code", "name").iter_rows())


def name(code: str) -> str:
    if len(code) == 12:
        return next((c["name"] for c in children(code[:9]) if c["code"] == code), code)
    return _upper_names().get(code, code)


def path_name(code: str) -> str:
    """'山东省 / 聊城市 / 阳谷县 / …' from cached lookups (no scan of the whole tree per request)."""
    if not code:
        return "全部"
    return " / ".join(name(code[:n]) for n in (2, 4, 6, 9, 12) if n <= len(code))
