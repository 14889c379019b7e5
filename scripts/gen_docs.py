"""Write docs/registry.md from the schema declaration (tests/test_docs.py checks it is current)."""

from __future__ import annotations

from pathlib import Path

from wangdi.registry.reference import CODE_LISTS
from wangdi.registry.schema import CYCLE_TABLES, TABLES

OUT = Path(__file__).resolve().parents[1] / "docs" / "registry.md"


def render() -> str:
    lines = ["# Registry tables (登记表)", "",
             "Generated from `src/wangdi/registry/schema.py` by `scripts/gen_docs.py`; do not edit by hand.",
             "Every census table also has `valid_from` / `valid_to` (versioned rows) in the database.", ""]
    for t in (*TABLES, *CYCLE_TABLES):  # the yearly-cycle tables are not versioned; their writes are audited
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


if __name__ == "__main__":
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}")
