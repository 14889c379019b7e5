"""Issue 5: clause coverage leaves nothing out, and every quotation is verbatim."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from wangdi.policy import coverage, pack

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
PACKS = pack.available()
NUMBERED = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d{1,2}\s*[.．、](?!\d))")


def _seed(p: pack.Pack) -> Path:
    if not SEEDS.is_dir():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but the seeds are not at {SEEDS}")
        pytest.skip("shared/seeds is not beside this checkout")
    return SEEDS / str(p.manifest["source"])


def test_all_five_documents_have_packs() -> None:
    assert {pack.load(pid).manifest["source"][:3] for pid in PACKS} == {"000", "001", "002", "003", "004"}


@pytest.mark.parametrize("pack_id", PACKS)
def test_shipped_text_is_the_seed(pack_id: str) -> None:
    p = pack.load(pack_id)
    assert (p.path / "source.txt").read_bytes() == _seed(p).read_bytes()


@pytest.mark.parametrize("pack_id", PACKS)
def test_no_provision_is_missing_and_quotes_are_verbatim(pack_id: str) -> None:
    r = coverage.report(pack.load(pack_id))
    missing = [(p["ref"], p["text"][:40]) for p in r["provisions"] if p["status"] == "missing"]
    assert not missing, missing
    assert r["not_verbatim"] == [] and r["stale_reasons"] == []
    assert r["counts"].get("encoded", 0) >= 7
    for p in r["provisions"]:
        assert p["status"] in ("encoded", "not_checkable", "heading")
        assert p["ids"] or p["reason"] or p["status"] == "heading"


@pytest.mark.parametrize("pack_id", PACKS)
def test_every_numbered_line_and_every_line_with_a_digit_is_listed(pack_id: str) -> None:
    """An independent scan of the seed: nothing numbered or carrying a number escapes the parser."""
    p = pack.load(pack_id)
    lines = _seed(p).read_text(encoding="utf-8").splitlines()
    listed = {prov.line for prov in coverage.parse("\n".join(lines))}
    annex = next((i for i, ln in enumerate(lines, 1) if ln.strip().startswith("附件")), len(lines) + 1)
    for n, line in enumerate(lines, start=1):
        if n > annex or not line.strip():
            continue
        if NUMBERED.match(line) or re.search(r"\d", line):
            assert n in listed, f"{pack_id} line {n} not listed: {line.strip()[:50]}"


def test_a_rule_that_misquotes_its_clause_is_reported(tmp_path: Path) -> None:
    import shutil

    src = pack.PACKS_DIR / "kaifeng-2021"
    shutil.copytree(src, tmp_path / "k")
    rules = (tmp_path / "k" / "rules.yaml").read_text(encoding="utf-8")
    (tmp_path / "k" / "rules.yaml").write_text(rules.replace("达标率达到80%以上", "达标率达到85%以上", 1), encoding="utf-8")
    r = coverage.report(pack.load(str(tmp_path / "k")))
    assert r["not_verbatim"], "a changed quotation must be caught"
