"""Clause coverage: every numbered provision and every paragraph carrying a number, in document order.

A pack ships its document's own text (source.txt). Provisions are parsed from it; a provision is
`encoded` when the verbatim text quoted by one of the pack's rules or parameters occurs in it, and
`not_checkable` when coverage.yaml gives the reason. Anything else is `missing` — never skipped.
Quoted texts that do not occur verbatim in the document are reported too.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from wangdi.policy.pack import Pack

CN = "一二三四五六七八九十"
L1 = re.compile(rf"^([{CN}]+)、")
L2 = re.compile(rf"^（([{CN}]+)）")
L3 = re.compile(r"^(\d{1,2})\s*[.．、](?!\d)")
DIGIT = re.compile(r"[0-9０-９]")
ELLIPSIS = re.compile(r"……|…")


@dataclass
class Provision:
    ref: str
    line: int
    text: str
    status: str = "missing"
    ids: list[str] = field(default_factory=list)
    reason: str = ""


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text).replace("(", "（").replace(")", "）")


def parse(text: str) -> list[Provision]:
    """Numbered provisions (一、 / （一） / 1.) and every other paragraph with a digit, with their refs."""
    sec = sub = item = ""
    para = 0
    out: list[Provision] = []
    annex = False
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("附件"):
            annex = True
            out.append(Provision("附件", n, line))
            continue
        if annex:  # the annex table is one provision: its cells are not numbered clauses
            out[-1].text += " " + line
            continue
        m1, m2, m3 = L1.match(line), L2.match(line), L3.match(line)
        if m1:
            sec, sub, item, para = m1.group(1), "", "", 0
            ref = sec
        elif m2:
            sub, item, para = m2.group(1), "", 0
            ref = f"{sec}（{sub}）"
        elif m3:
            item, para = m3.group(1), 0
            ref = f"{sec}{'（' + sub + '）' if sub else ''}{item}"
        else:
            if not DIGIT.search(line):
                continue
            para += 1
            base = f"{sec}{'（' + sub + '）' if sub else ''}{item}" or "文首"
            ref = f"{base}¶{para}"
        out.append(Provision(ref, n, line))
    seen: dict[str, int] = {}
    for p in out:  # a repeated ref (e.g. two lists numbered 1., 2. under one heading) gets a suffix
        seen[p.ref] = seen.get(p.ref, 0) + 1
        if seen[p.ref] > 1:
            p.ref = f"{p.ref}#{seen[p.ref]}"
    return out


def quotes(pack: Pack) -> dict[str, list[str]]:
    """id → the verbatim fragments its citation quotes (split at ellipses)."""
    out: dict[str, list[str]] = {}
    for rid, rule in pack.rules.items():
        if rule.pack == pack.id:
            out[rid] = [f for f in (_norm(x) for x in ELLIPSIS.split(rule.text)) if f]
    for pid, param in pack.parameters.items():
        if param.pack == pack.id:
            out[f"param:{pid}"] = [f for f in (_norm(x) for x in ELLIPSIS.split(param.text)) if f]
    return out


def _is_heading(p: Provision) -> bool:
    """A bare heading (一、… / （一）…) with no number in it and no sentence: nothing to check by itself."""
    body = L3.sub("", L2.sub("", L1.sub("", p.text)))
    return "¶" not in p.ref and not DIGIT.search(body) and len(body) <= 24 and "。" not in body


def coverage(pack: Pack) -> tuple[list[Provision], list[str]]:
    """The provision list with statuses, and the ids whose quoted text is not verbatim in the document."""
    source = pack.path / "source.txt"
    if not source.exists():
        return [], []
    provisions = parse(source.read_text(encoding="utf-8"))
    reasons: dict[str, dict[str, Any]] = {str(c.get("ref")): c for c in pack.coverage}
    normed = [_norm(p.text) for p in provisions]
    whole = _norm(source.read_text(encoding="utf-8"))
    not_verbatim = []
    for qid, frags in quotes(pack).items():
        if not all(f in whole for f in frags):
            not_verbatim.append(qid)
            continue
        for p, t in zip(provisions, normed, strict=True):
            if any(f in t for f in frags):
                p.ids.append(qid)
    for p in provisions:
        if p.ref in reasons:
            p.reason = str(reasons[p.ref].get("reason", ""))
            p.ids += [str(i) for i in reasons[p.ref].get("encoded_by") or [] if str(i) in pack.rules]
        if p.ids:
            p.status = "encoded"  # a reason here notes the parts of the provision that are not encoded
        elif _is_heading(p):
            p.status = "heading"
        elif p.ref in reasons:
            p.status = "not_checkable"
    return provisions, not_verbatim


def readings(pack: Pack) -> list[dict[str, str]]:
    """How the pack reads its ambiguous clauses: every rule and parameter of its own with a `reading:`."""
    out = [{"id": rid, "clause": r.clause, "reading": " ".join(str(r.spec["reading"]).split())}
           for rid, r in pack.rules.items() if r.pack == pack.id and r.spec.get("reading")]
    out += [{"id": f"param:{pid}", "clause": prm.clause, "reading": " ".join(prm.reading.split())}
            for pid, prm in pack.parameters.items() if prm.pack == pack.id and prm.reading]
    return out


def report(pack: Pack) -> dict[str, Any]:
    provisions, not_verbatim = coverage(pack)
    counts: dict[str, int] = {}
    for p in provisions:
        counts[p.status] = counts.get(p.status, 0) + 1
    known = {p.ref for p in provisions}
    stale = [str(c.get("ref")) for c in pack.coverage if str(c.get("ref")) not in known]
    return {"pack": pack.id, "source": pack.manifest.get("source"), "counts": counts,
            "not_verbatim": not_verbatim, "stale_reasons": stale,
            "provisions": [asdict(p) for p in provisions], "readings": readings(pack)}
