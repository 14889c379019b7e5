"""A small valid pack written to a folder, and ways to break it (shared by the hostile-pack tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CANARY = Path("/tmp/wangdi-pwned")  # any hostile pack that writes a file writes here
MANIFEST = {"id": "hostile-test", "title": "测试规则包", "issuer": "测试", "jurisdiction": "371521", "region": "371521",
            "effective_from": "2024-01-01", "effective_to": "2026-12-31", "parents": [], "status": "encoded"}
PARAMETERS = [{"id": "floor_min", "clause": "一", "text": "面积不低于100平方米", "summary": "floor", "unit": "m²",
               "values": [{"value": 100, "from": "2024-01-01"}]}]
RULES: list[dict[str, Any]] = [
    {"id": "floor", "kind": "requirement", "clause": "一", "text": "面积不低于100平方米", "summary": "floor",
     "label": "面积", "entity": "institution", "applies": "type_code = 'D600'",
     "observed": "floor_area_incl_toilet_m2", "min": "param.floor_min", "unit": "m²"},
    {"id": "share", "kind": "target", "clause": "二", "text": "一体化管理的村卫生室比例达到80%以上", "summary": "share",
     "label": "比例", "entity": "institution", "level": "county", "population": "type_code = 'D600'",
     "numerator": "integrated", "unit": "所", "milestones": [{"by": "2026-12-31", "min": 0.8}]},
    {"id": "fund", "kind": "entitlement", "clause": "三", "text": "每所卫生院每年10万元", "summary": "fund",
     "label": "专项资金", "entity": "institution", "applies": "type_code IN ('C210', 'C220')", "amount": "100000"},
    {"id": "kit", "kind": "requirement", "clause": "四", "text": "配备DR", "summary": "kit", "label": "设备",
     "entity": "institution", "applies": "type_code = 'C220'", "items": ["dr"]},
]


def write(folder: Path, manifest: Any = None, parameters: Any = None, rules: Any = None,
          raw: dict[str, str] | None = None) -> Path:
    """Write a pack folder; `raw` gives whole files as text (for YAML-level attacks)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"pack.yaml": MANIFEST if manifest is None else manifest,
             "parameters.yaml": PARAMETERS if parameters is None else parameters,
             "rules.yaml": RULES if rules is None else rules}
    for name, data in files.items():
        (folder / name).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for name, text in (raw or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def with_rule(rule_id: str, **changes: Any) -> list[dict[str, Any]]:
    out = []
    for r in RULES:
        r = dict(r)
        if r["id"] == rule_id:
            r.update(changes)
            r = {k: v for k, v in r.items() if v is not None}
        out.append(r)
    return out
