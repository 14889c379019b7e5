"""Issue 13 item 11: a generated corpus of hostile and mutated packs. Each is either refused by `packs lint` with a
located Chinese error, or lints clean and then evaluates over census rows without an error and without touching a
file. (0 lint-clean packs that crash or escape.)"""

from __future__ import annotations

import math
import random
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests import rawrows
from tests.security import packs
from wangdi.errors import WangdiError
from wangdi.policy import engine, lint, pack
from wangdi.policy.fields import build

VALUES: list[Any] = [
    "'; DROP TABLE ent_institution; --", "1) UNION SELECT read_text('/etc/passwd') --",
    f"COPY (SELECT 1) TO '{packs.CANARY}'", math.inf, -math.inf, math.nan, -1, 0, True, None, [], {}, "", "param.nope",
    "param.floor_min", 1e308, "x" * 2500, "2025-02-30", "CAST('abc' AS INT)", "9223372036854775807 * 9223372036854775807",
    "1/0", "has_service('tcm_hall')", "years_between(type_code, 5)", "share(name, 0)", "beds > 'many'",
    "CASE WHEN beds THEN 1 END", "type_code IN (1, 2)", "NOT name", "floor_area_m2 + name", "-(-(-(beds)))",
    "((((((((((((((((((((((((((((((((((((((((((beds))))))))))))))))))))))))))))))))))))))))))", "integrated", "'x'",
    ["dr", "ct"], ["dr", "nope"], "2026-12-31", date(2026, 12, 31), [{"by": "2026-12-31", "max": 0.1}],
    [{"by": "2026-12-31", "min": "param.floor_min"}], [{"by": "2026-12-31"}], {"a": ["beds > 0"]}, {"a": []},
    "province", "village", "nowhere", "staff", "visit", "target", "entitlement", "ratio", "total", 0.5, 1000,
]
KEYS = ["applies", "observed", "min", "max", "check", "items", "readiness", "population", "numerator", "value",
        "denominator_value", "measure", "scale", "milestones", "level", "amount", "entity", "kind", "due",
        "effective_from", "effective_to", "label", "unit", "no_double"]
YAML_ATTACKS = {
    "alias": "- &a {id: x}\n- *a\n", "tag": "- !!python/object/apply:os.system ['touch /tmp/wangdi-pwned']\n",
    "binary": "- !!binary aGVsbG8=\n", "set": "- !!set {a, b}\n", "deep": "- " + "[" * 5000 + "]" * 5000 + "\n",
    "tab": "- id: floor\n\tkind: requirement\n", "bom-latin1": "\xff\xfe- id: x\n", "null": "~\n", "number": "12\n",
    "dupe": "- id: floor\n  id: kit\n", "merge": "- <<: {id: floor}\n  kind: requirement\n",
}
N_MUTATIONS = 100


def corpus() -> list[tuple[str, dict[str, Any]]]:
    rng = random.Random(13)
    out: list[tuple[str, dict[str, Any]]] = []
    for i in range(N_MUTATIONS):
        rule = rng.choice(packs.RULES)
        key, value = rng.choice(KEYS), rng.choice(VALUES)
        changed = packs.with_rule(rule["id"], **{key: value})
        if value is None and rng.random() < 0.5:  # also remove keys outright
            changed = packs.with_rule(rule["id"], **{key: None})
        out.append((f"m{i}-{rule['id']}.{key}={str(value)[:30]!r}", {"rules": changed}))
    out += [(f"yaml-{k}", {"raw": {"rules.yaml": v}}) for k, v in YAML_ATTACKS.items()]
    out += [(f"param-{i}", {"parameters": [dict(packs.PARAMETERS[0], values=[{"value": v, "from": "2024-01-01"}])]})
            for i, v in enumerate(VALUES[:20])]
    return out


@pytest.fixture(scope="module")
def connections() -> tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection, Any]:
    """One connection with empty census tables (lint) and one with census rows, blanks included (evaluation)."""
    data = rawrows.dataset("371521", date(2026, 12, 31), institution=(
        rawrows.clinics("371521108", 3, integrated=True, floor_area_incl_toilet_m2=120, beds=0)
        + rawrows.clinics("371521108", 2, 3)
        + [{"code": "T1", "name": "卫生院", "type_code": "C220", "division_code": "371521108",
            "valid_from": date(2020, 1, 1), "beds": 40}]))
    full = duckdb.connect()
    build(full, data)
    return lint.prepared("371521"), full, data


def test_no_lint_clean_pack_crashes_or_escapes(tmp_path: Path, connections: Any) -> None:
    empty, full, data = connections
    cases = corpus()
    assert len(cases) >= 100
    refused = accepted = 0
    problems: list[str] = []
    for i, (name, parts) in enumerate(cases):
        packs.CANARY.unlink(missing_ok=True)
        folder = packs.write(tmp_path / f"p{i}", **parts)
        try:
            p = pack.load(str(folder))
            lint.dry_run(p, empty)
        except WangdiError as e:  # refused: it must say where, in Chinese
            refused += 1
            if not (e.zh and ("yaml" in e.zh or p_id(folder) in e.zh) and any("\u4e00" <= c <= "\u9fff" for c in e.zh)):
                problems.append(f"{name}: refusal without a location: {e.zh!r}")
            continue
        except Exception as e:
            problems.append(f"{name}: loader crashed: {type(e).__name__}: {e}")
            continue
        accepted += 1
        try:
            engine.evaluate_into(p, data, full, "corpus_results", prebuilt=True)
        except Exception as e:
            problems.append(f"{name}: lint-clean but evaluation failed: {type(e).__name__}: {str(e)[:200]}")
        if packs.CANARY.exists():
            problems.append(f"{name}: escaped (wrote {packs.CANARY})")
    assert problems == [], "\n".join(problems)
    assert refused > 50 and accepted > 10, (refused, accepted)  # the corpus exercises both sides


def p_id(folder: Path) -> str:
    return folder.name
