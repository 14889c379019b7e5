"""Policy packs: folders of YAML (data, never code), loaded with a strict schema and line numbers.

pack.yaml        manifest: id, title, issuer, document number, issue date, jurisdiction, region, period, parents
parameters.yaml  dated parameter values by jurisdiction, each with its clause quoted verbatim
rules.yaml       requirement / target / entitlement rules, each with its clause quoted verbatim
tests.yaml       test cases: inputs → expected outcomes (also collected by pytest)
coverage.yaml    every numbered provision of the document: encoded (by which ids) or why not checkable
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from wangdi.errors import WangdiError
from wangdi.policy import expr
from wangdi.policy.fields import ENTITIES, fields_of

PACKS_DIR = Path(__file__).resolve().parents[1] / "packs"
LINE = "__line__"
COMMON = {"id", "kind", "clause", "text", "summary", "summary_en", "group", "reading", "label", "effective_from",
          "effective_to"}
KIND_KEYS: dict[str, set[str]] = {
    "requirement": COMMON | {"entity", "applies", "observed", "min", "max", "unit", "items", "check", "readiness",
                             "due"},
    "target": COMMON | {"entity", "level", "population", "numerator", "value", "denominator_value", "measure",
                        "milestones", "unit", "scale"},
    "entitlement": COMMON | {"entity", "applies", "amount", "period", "no_double", "clauses", "unit"},
}
MANIFEST_KEYS = {"id", "title", "issuer", "document_number", "issued", "jurisdiction", "region", "effective_from",
                 "effective_to", "parents", "source", "status", "notes"}
PARAM_KEYS = {"id", "clause", "text", "summary", "unit", "reading", "values"}
VALUE_KEYS = {"value", "from", "to", "jurisdiction", "note"}
MILESTONE_KEYS = {"by", "min", "max", "note"}
LEVELS = {"province": 2, "prefecture": 4, "county": 6, "township": 9, "village": 12}


class PackError(WangdiError):
    pass


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
    mapping[LINE] = node.start_mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise PackError("pack-yaml", f"{path.name}{line} YAML 格式错误：{getattr(e, 'problem', e)}",
                        f"{path}{line}: invalid YAML") from None


def _where(path: Path, item: dict[str, Any], rid: str = "") -> str:
    return f"{path.parent.name}/{path.name}:{item.get(LINE, '?')}" + (f" {rid}" if rid else "")


def _check_keys(item: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in item:
        if key != LINE and key not in allowed:
            near = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = f"，是否为 '{near[0]}'？" if near else f"；允许的键：{', '.join(sorted(allowed))}"
            raise PackError("pack-unknown-key", f"{where}：未知的键 '{key}'{hint}", f"{where}: unknown key '{key}'")


def _strip(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k != LINE}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


@dataclass
class Parameter:
    id: str
    clause: str
    text: str
    summary: str
    values: list[dict[str, Any]]
    unit: str = ""
    reading: str = ""
    pack: str = ""
    where: str = ""


@dataclass
class Rule:
    id: str
    kind: str
    clause: str
    text: str
    summary: str
    spec: dict[str, Any]
    pack: str = ""
    where: str = ""

    @property
    def entity(self) -> str:
        return str(self.spec.get("entity", "institution"))

    @property
    def group(self) -> str:
        return str(self.spec.get("group", "other"))

    @property
    def summary_en(self) -> str:
        """The English summary (`summary_en:`), shown only where a user asks for English; `summary` is Chinese."""
        return str(self.spec.get("summary_en", ""))


@dataclass
class Pack:
    id: str
    manifest: dict[str, Any]
    rules: dict[str, Rule]
    parameters: dict[str, Parameter]
    path: Path
    content_hash: str = ""
    tests: list[dict[str, Any]] = field(default_factory=list)
    coverage: list[dict[str, Any]] = field(default_factory=list)
    lineage: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(self.manifest.get("title", self.id))


def _as_date(v: Any, where: str) -> date | None:
    if v is None or isinstance(v, date):
        return v
    try:
        return date.fromisoformat(str(v))
    except ValueError:
        raise PackError("pack-bad-date", f"{where}：日期应为 YYYY-MM-DD，收到 {v!r}", f"{where}: bad date {v!r}") from None


def _validate_rule(r: Rule, param_names: list[str]) -> None:
    kind = r.kind
    if kind not in KIND_KEYS:
        raise PackError("pack-bad-kind", f"{r.where}：未知规则类型 '{kind}'（requirement/target/entitlement）",
                        f"{r.where}: unknown rule kind {kind!r}")
    ent = r.entity
    if ent not in ENTITIES:
        raise PackError("pack-bad-entity", f"{r.where}：未知实体 '{ent}'（{', '.join(ENTITIES)}）",
                        f"{r.where}: unknown entity {ent!r}")
    for key in ("clause", "text", "summary"):
        if not str(getattr(r, key) or "").strip():
            raise PackError("pack-missing-citation", f"{r.where}：缺少 {key}（每条规则都要引用条款原文）",
                            f"{r.where}: every rule needs clause, text and summary")
    known = fields_of(ent)

    def check(key: str, text: Any) -> None:
        expr.compile_expr(str(text), known, lambda n: "1", f"{r.where} {key}", param_names)

    for key in ("applies", "observed", "min", "max", "check", "population", "numerator", "value",
                "denominator_value", "amount"):
        if r.spec.get(key) is not None:
            check(key, r.spec[key])
    readiness = r.spec.get("readiness")
    if readiness is not None and not (isinstance(readiness, dict) and all(
            isinstance(v, list) and v and all(isinstance(x, str) for x in v) for v in readiness.values())):
        raise PackError("pack-bad-readiness", f"{r.where}：readiness 应为“领域: [表达式, …]”的映射",
                        f"{r.where}: readiness must map domain names to lists of expressions")
    for dom, items in (readiness or {}).items():
        for i, it in enumerate(items):
            check(f"readiness.{dom}[{i}]", it)
    if kind == "target":
        if r.spec.get("level") not in LEVELS:
            raise PackError("pack-bad-level", f"{r.where}：target 需要 level（{', '.join(LEVELS)}）",
                            f"{r.where}: target needs a level")
        if not r.spec.get("milestones"):
            raise PackError("pack-no-milestones", f"{r.where}：target 需要 milestones", f"{r.where}: no milestones")
        for m in r.spec["milestones"]:
            _check_keys(m, MILESTONE_KEYS, r.where + " milestones")
            m["by"] = _as_date(m.get("by"), r.where)
            for bound in ("min", "max"):
                v = m.get(bound)
                if isinstance(v, str) and not (v.startswith("param.") and v[6:] in param_names):
                    raise PackError("unknown-parameter",
                                    f"{r.where} milestones {bound}：应为数字或已定义的 param.名称，收到 {v!r}",
                                    f"{r.where}: milestone {bound} must be a number or a defined param.NAME")
    if r.spec.get("due") is not None:
        r.spec["due"] = _as_date(r.spec["due"], r.where)
    if kind == "requirement" and not any(r.spec.get(k) is not None for k in ("observed", "items", "check", "readiness")):
        raise PackError("pack-empty-rule", f"{r.where}：requirement 需要 observed、items、check 或 readiness 之一",
                        f"{r.where}: requirement needs observed, items, check or readiness")
    if kind == "entitlement" and r.spec.get("amount") is None:
        raise PackError("pack-no-amount", f"{r.where}：entitlement 需要 amount", f"{r.where}: entitlement needs amount")


def _read_pack_folder(path: Path) -> Pack:
    manifest_path = path / "pack.yaml"
    if not manifest_path.exists():
        raise PackError("pack-not-found", f"{path} 不是规则包：缺少 pack.yaml", f"{path}: no pack.yaml")
    manifest = load_yaml(manifest_path) or {}
    _check_keys(manifest, MANIFEST_KEYS, _where(manifest_path, manifest))
    pid = str(manifest.get("id") or path.name)
    params: dict[str, Parameter] = {}
    p_path = path / "parameters.yaml"
    for item in (load_yaml(p_path) or []) if p_path.exists() else []:
        where = _where(p_path, item, str(item.get("id", "")))
        _check_keys(item, PARAM_KEYS, where)
        for v in item.get("values") or []:
            _check_keys(v, VALUE_KEYS, where)
            v["from"], v["to"] = _as_date(v.get("from"), where), _as_date(v.get("to"), where)
        if item.get("id") in params:
            raise PackError("pack-duplicate-id", f"{where}：参数 id 重复", f"{where}: duplicate parameter id")
        params[item["id"]] = Parameter(item["id"], str(item.get("clause", "")), str(item.get("text", "")),
                                       str(item.get("summary", "")), _strip(item.get("values") or []),
                                       str(item.get("unit", "")), str(item.get("reading", "")), pid, where)
    rules: dict[str, Rule] = {}
    r_path = path / "rules.yaml"
    for item in (load_yaml(r_path) or []) if r_path.exists() else []:
        rid = str(item.get("id", ""))
        where = _where(r_path, item, f"rule {rid}")
        kind = str(item.get("kind", ""))
        _check_keys(item, KIND_KEYS.get(kind, COMMON), where)
        if not rid or rid in rules:
            raise PackError("pack-duplicate-id", f"{where}：规则 id 缺失或重复", f"{where}: missing or duplicate rule id")
        spec = _strip({k: v for k, v in item.items() if k not in ("id", "kind", "clause", "text", "summary")})
        rules[rid] = Rule(rid, kind, str(item.get("clause", "")), str(item.get("text", "")),
                          str(item.get("summary", "")), spec, pid, where)
    t_path, c_path = path / "tests.yaml", path / "coverage.yaml"
    tests = _strip(load_yaml(t_path) or []) if t_path.exists() else []
    coverage = _strip(load_yaml(c_path) or []) if c_path.exists() else []
    for entry in coverage:
        unknown = set(entry) - {"ref", "reason", "encoded_by"}
        if unknown or not entry.get("ref") or not (entry.get("reason") or entry.get("encoded_by")):
            raise PackError("pack-bad-coverage", f"{path.name}/coverage.yaml：条目 {entry} 需要 ref 和 reason（或 encoded_by）",
                            f"{path.name}/coverage.yaml: each entry needs ref and reason or encoded_by")
    digest = hashlib.sha256()
    for f in sorted(path.glob("*.yaml")):
        digest.update(f.name.encode() + f.read_bytes())
    return Pack(pid, _strip(manifest), rules, params, path, digest.hexdigest()[:16], tests, coverage)


def pack_path(pack_id: str) -> Path:
    p = Path(pack_id)
    if p.is_dir():
        return p
    cand = PACKS_DIR / pack_id
    if cand.is_dir():
        return cand
    known = available()
    near = difflib.get_close_matches(pack_id, known, n=1)
    raise PackError("pack-not-found", f"没有规则包 '{pack_id}'" + (f"，是否为 '{near[0]}'？" if near else "")
                    + f"；已有：{', '.join(known)}", f"no pack {pack_id!r}")


def available() -> list[str]:
    return sorted(p.name for p in PACKS_DIR.iterdir() if (p / "pack.yaml").exists())


def load(pack_id: str) -> Pack:
    """Load a pack with its parents: a child overrides a parent's rule or parameter by id."""
    own = _read_pack_folder(pack_path(pack_id))
    merged_rules: dict[str, Rule] = {}
    merged_params: dict[str, Parameter] = {}
    lineage: list[str] = []
    for parent_id in own.manifest.get("parents") or []:
        parent = load(str(parent_id))
        lineage += parent.lineage
        for rid, rule in parent.rules.items():
            if rid in merged_rules and rid not in own.rules and merged_rules[rid].pack != rule.pack:
                raise PackError("pack-conflict", f"规则 {rid} 同时来自 {merged_rules[rid].pack} 和 {rule.pack}，"
                                f"请在 {own.id} 中明确覆盖", f"conflict: rule {rid} comes from two parents")
            merged_rules[rid] = rule
        for pid, param in parent.parameters.items():
            if pid in merged_params and pid not in own.parameters and merged_params[pid].pack != param.pack:
                raise PackError("pack-conflict", f"参数 {pid} 同时来自 {merged_params[pid].pack} 和 {param.pack}，"
                                f"请在 {own.id} 中明确覆盖", f"conflict: parameter {pid} comes from two parents")
            merged_params[pid] = param
    merged_rules.update(own.rules)
    merged_params.update(own.parameters)
    names = sorted(merged_params)
    for rule in merged_rules.values():
        _validate_rule(rule, names)
    own.rules, own.parameters = merged_rules, merged_params
    own.lineage = [*lineage, own.id]
    return own
