"""Parse 责任单位 from each pack's document into its rules.yaml (`responsible:` after each rule's `clause:`).

001 and 003 mark them 〔责任单位：A、B〕, 004 （责任单位:A、B）, at the end of a numbered item. A rule gets the
marker of its clause's own text (up to the next numbered heading); a section cited as a whole gets the union
of its items' markers. Rules that already carry `responsible:` are left alone; nothing else in the file changes.
Run: PYTHONPATH=src python scripts/responsible.py [--check]
"""

from __future__ import annotations

import json
import re
import sys

from wangdi.policy.coverage import L1, L2, L3, parse
from wangdi.policy.pack import PACKS_DIR, available, load


def split_agencies(text: str) -> list[str]:
    """A、B，C — split at 、 and ， outside parentheses (各县（市、区）人民政府 stays one)."""
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += ch in "（("
        depth -= ch in "）)"
        if ch in "、，," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    out.append(cur.strip())
    return [a for a in out if a]


def _level(line: str) -> int:
    return 1 if L1.match(line) else 2 if L2.match(line) else 3 if L3.match(line) else 9


def markers(text: str) -> dict[str, list[str]]:
    """Provision ref → the agencies responsible for it."""
    lines = text.splitlines()
    out: dict[str, list[str]] = {}
    for p in parse(text):
        start = p.line - 1
        lvl = _level(lines[start].strip()) if "¶" not in p.ref else 9
        own, union, i, ended = "", [], start, False
        for i in range(start, len(lines)):
            s = lines[i].strip()
            if i > start and _level(s) <= lvl:
                break
            ended = ended or (i > start and _level(s) < 9)  # a child heading: the provision's own text has ended
            if not ended:
                own += s
        block = "".join(x.strip() for x in lines[start:i + (1 if i == len(lines) - 1 else 0)])
        for m in _finditer(own):
            out[p.ref] = split_agencies(m)
            break
        else:
            for m in _finditer(block):
                union += [a for a in split_agencies(m) if a not in union]
            if union:
                out[p.ref] = union
    return out


def _finditer(text: str) -> list[str]:
    found = []
    for start in [m.start() for m in re.finditer(r"[〔（]责任单位[:：]", text)]:
        close = "〕" if text[start] == "〔" else "）"
        depth, j = 0, start + 1
        while j < len(text):
            if text[j] == "（":
                depth += 1
            elif text[j] == close and depth == 0:
                break
            elif text[j] == "）":
                depth -= 1
            j += 1
        found.append(text[start + 6:j])
    return found


def lookup(refs: dict[str, list[str]], clause: str) -> list[str]:
    for cand in (clause, clause.split("¶")[0].split("#")[0]):
        if cand in refs:
            return refs[cand]
    return []


def apply(pack_id: str, check: bool) -> int:
    pack = load(pack_id)
    folder = PACKS_DIR / pack_id
    source = folder / "source.txt"
    refs = markers(source.read_text(encoding="utf-8")) if source.exists() else {}
    if not refs:
        return 0
    path = folder / "rules.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    out, rid, changed = [], "", 0
    has = {r.id for r in pack.rules.values() if r.pack == pack_id and "responsible" in _raw_keys(lines, r.id)}
    for line in lines:
        out.append(line)
        if line.startswith("- id: "):
            rid = line[6:].strip()
        elif line.startswith("  clause: ") and rid and rid not in has:
            agencies = lookup(refs, line[10:].strip().strip("'\""))
            if agencies:
                out.append(f"  responsible: {json.dumps(agencies, ensure_ascii=False)}\n")
                changed += 1
    if changed and not check:
        path.write_text("".join(out), encoding="utf-8")
    return changed


def _raw_keys(lines: list[str], rid: str) -> set[str]:
    keys, inside = set(), False
    for line in lines:
        if line.startswith("- id: "):
            inside = line[6:].strip() == rid
        elif inside and line.startswith("  ") and ":" in line and not line.startswith("   "):
            keys.add(line.strip().split(":")[0])
    return keys


if __name__ == "__main__":
    check = "--check" in sys.argv
    total = {p: apply(p, check) for p in available()}
    print(total)
    sys.exit(1 if check and any(total.values()) else 0)
