"""Write docs/registry.md from the schema declaration (tests/test_docs.py checks it is current)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from wangdi.registry.reference import CODE_LISTS
from wangdi.registry.schema import TABLES

OUT = Path(__file__).resolve().parents[1] / "docs" / "registry.md"
FIELDS_OUT = OUT.parent / "fields.md"


def render() -> str:
    lines = ["# Registry tables (登记表)", "",
             "Generated from `src/wangdi/registry/schema.py` by `scripts/gen_docs.py`; do not edit by hand.",
             "Every census table also has `valid_from` / `valid_to` (versioned rows) in the database.", ""]
    for t in TABLES:
        lines += [f"## {t.zh} `{t.name}`", "", t.doc, "", f"Key: {', '.join(t.key)}"
                  + ("  (bulk table: CSV/Parquet recommended)" if t.bulk else ""), "",
                  "| field | 中文 | kind | required | rule | notes |", "|---|---|---|---|---|---|"]
        for f in t.fields:
            rule = []
            if f.code_list:
                rule.append(f"list `{f.code_list}`")
            if f.ref:
                rule.append(f"→ {f.ref}")
            if f.min is not None:
                rule.append(f"≥ {f.min:g}")
            if f.max is not None:
                rule.append(f"≤ {f.max:g}")
            if f.levels:
                rule.append("division level " + "/".join(map(str, f.levels)))
            lines.append(f"| `{f.name}` | {f.zh} | {f.kind} | {'yes' if f.required else ''} | {'; '.join(rule)} | {f.doc} |")
        lines.append("")
    lines += ["## Code lists (代码表)", ""]
    for name, values in sorted(CODE_LISTS.items()):
        lines.append(f"- `{name}`: " + "，".join(f"{k}={v}" for k, v in values.items()))
    return "\n".join(lines) + "\n"


def render_fields() -> str:
    """docs/fields.md from the field catalogue (policy/catalogue.py) and the packs' own `derived:` fields."""
    from wangdi.policy import pack
    from wangdi.policy.catalogue import CATALOGUE, ENTITY_SPECS

    def row(f: object) -> str:
        d = vars(f)
        how = (f"`{d['sql']}`" + (f" over `{d['source']}`" if d["source"] else "")).replace("|", "\\|")
        return f"| `{d['name']}` | {d['label']} | {d['type']} | {d['unit']} | {d['description']} | {how} |"

    head = ["| field | 中文 | type | unit | meaning | derivation |", "|---|---|---|---|---|---|"]
    lines = ["# Derived fields (派生字段)", "",
             "Generated from `src/wangdi/policy/catalogue.py` and the packs' `derived:` lists by `scripts/gen_docs.py`;",
             "do not edit by hand. Every entity also carries `entity_code`, `region_code` and, where it has one, the",
             "columns of its registry table (docs/registry.md). `$AS_OF` is the as-of date.", ""]
    for spec in ENTITY_SPECS:
        lines += [f"## {spec.zh} `{spec.name}`", "", f"{spec.doc}. Sources: {spec.sources_doc}.", "", *head]
        lines += [row(f) for f in CATALOGUE if f.entity == spec.name]
        lines.append("")
    lines += ["## Fields packs declare (`derived:` in pack.yaml)", "",
              "Written in the pack expression language (docs/packs.md), compiled by the whitelisting compiler.", ""]
    for pid in pack.available():
        own = [f for f in pack.load(pid).derived if f.pack == pid]
        if own:
            lines += [f"### `{pid}`", "", "| field | 中文 | type | unit | meaning | expression |", head[1]]
            lines += [row(replace(f, description=f"({f.entity}) {f.description}")) for f in own] + [""]
    return "\n".join(lines)


if __name__ == "__main__":
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(render(), encoding="utf-8")
    FIELDS_OUT.write_text(render_fields(), encoding="utf-8")
    print(f"wrote {OUT} and {FIELDS_OUT}")
