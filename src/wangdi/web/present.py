"""Presentation helpers for the pages: identifiers → Chinese words and names (templates call these as filters).

Labels come from reports/labels.py (the one map); nothing here computes a verdict.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import polars as pl

from wangdi.policy import formatting
from wangdi.policy import pack as packs
from wangdi.reports import labels
from wangdi.web import places, queries


@lru_cache(maxsize=32)
def pack_title(pack_id: str) -> str:
    try:
        return str(queries.load_pack(pack_id).title)
    except Exception:  # an unknown id shows as itself rather than breaking a page
        return pack_id


def pack_choices() -> list[dict[str, str]]:
    """Every shipped pack as {id, title, region} for the selectors (the plan's name, not its id)."""
    out = []
    for pid in packs.available():
        p = queries.load_pack(pid)
        region = str(p.manifest.get("region") or "")
        out.append({"id": pid, "title": str(p.title), "region": region, "region_name": places.name(region) if region else ""})
    return out


def pack_default(region: str) -> str:
    from wangdi.web.deps import pack_for

    return pack_for(region or "")


def rule_label(rule_id: str | None, pack_id: str) -> str:
    if not rule_id:
        return "—"
    rule = queries.load_pack(pack_id).rules.get(rule_id)
    return str(rule.spec.get("label") or rule.summary) if rule else "（已删除的规定）"


def has_cjk(text: Any) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in str(text or ""))


def zh_only(text: Any) -> str:
    """A pack's text shown to users only when it is Chinese (English summaries stay out of the pages)."""
    return str(text) if has_cjk(text) else ""


def param_value(v: dict[str, Any]) -> str:
    """One dated parameter value in words: '100（自 2024-01-01 起；适用 371521）'."""
    parts = []
    if v.get("from"):
        parts.append(f"自 {v['from']} 起")
    if v.get("to"):
        parts.append(f"至 {v['to']}")
    if v.get("region"):
        parts.append(f"适用 {places.name(str(v['region']))}")
    value = v.get("value")
    shown = "、".join(map(str, value)) if isinstance(value, list) else ("—" if value in (None, "None") else str(value))
    return shown + (f"（{'；'.join(parts)}）" if parts else "")


def entity_names(codes: list[str], url: str) -> dict[str, str]:
    codes = sorted({c for c in codes if c})
    names = queries.institution_names(url, [c for c in codes if not c.isdigit()])
    names.update({c: places.name(c) for c in codes if c.isdigit()})
    return names


def compare_view(d: dict[str, Any], changed: pl.DataFrame | None, url: str, page: int, per_page: int = 50
                 ) -> dict[str, Any]:
    """Run comparison as words: changes by rule and by township (names), then one page of the detail."""
    pack_id = d["b"]["pack"]
    rows = d["rows"] if changed is None else changed.to_dicts()
    total = len(rows)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    shown = rows[(page - 1) * per_page: page * per_page]
    names = entity_names([r["entity_code"] for r in shown], url)
    by_rule = [{"label": rule_label(s["rule_id"], pack_id), "a": labels.outcome_zh(s["outcome_a"]),
                "b": labels.outcome_zh(s["outcome_b"]), "n": s["n"]} for s in d["summary"]]
    town: dict[str, int] = {}
    for r in rows:
        code = str(r.get("region_code") or r["entity_code"])[:9]
        town[code] = town.get(code, 0) + 1
    by_town = [{"code": c, "name": places.name(c) if c.isdigit() else c, "n": n}
               for c, n in sorted(town.items(), key=lambda x: (-x[1], x[0]))]
    detail = [{"label": rule_label(r["rule_id"], pack_id), "name": names.get(r["entity_code"], r["entity_code"]),
               "code": r["entity_code"], "a": labels.outcome_zh(r["outcome_a"]), "b": labels.outcome_zh(r["outcome_b"]),
               "observed_a": formatting.value_zh(r.get("observed_a"), r.get("unit")),
               "observed_b": formatting.value_zh(r.get("observed_b"), r.get("unit")),
               "message": ""} for r in shown]
    return {"by_rule": by_rule, "by_town": by_town, "detail": detail, "page": page, "pages": pages, "total": total}


def pager_query(params: Any, page: int) -> str:
    """The current query string with `page` replaced (for the pager's links)."""
    from urllib.parse import urlencode

    items = [(k, v) for k, v in params.multi_items() if k != "page"] + [("page", str(page))]
    return urlencode(items)


def paged(rows: list[Any], page: int, per_page: int = 100) -> tuple[list[Any], int, int]:
    pages = max(1, -(-len(rows) // per_page))
    page = min(max(1, page), pages)
    return rows[(page - 1) * per_page: page * per_page], page, pages


def install(env: Any) -> None:
    """Register the filters and globals on the pages' Jinja environment."""
    env.filters.update({"outcome_zh": labels.outcome_zh, "kind_zh": labels.kind_zh, "group_zh": labels.group_zh,
                        "pack_title": pack_title, "rule_label": rule_label, "zh_only": zh_only,
                        "param_value": param_value, "place": places.name, "field_zh": labels.field_zh,
                        "pager_query": pager_query})
    env.globals["TABLE_ZH"] = labels.TABLE_ZH
    env.globals["pack_choices"] = pack_choices
    env.globals["pack_default"] = pack_default
