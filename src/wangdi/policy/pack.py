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
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from wangdi.errors import WangdiError
from wangdi.policy import expr
from wangdi.policy.catalogue import Derived
from wangdi.policy.fields import ENTITIES, fields_of, pack_fields
from wangdi.registry.reference import EQUIPMENT_BY_KEY

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
                 "effective_to", "parents", "source", "status", "notes", "derived", "planning"}
PARAM_KEYS = {"id", "clause", "text", "summary", "unit", "reading", "values"}
VALUE_KEYS = {"value", "from", "to", "jurisdiction", "note"}
MILESTONE_KEYS = {"by", "min", "max", "note"}
# every key whose value is an expression in the whitelisted language (compiled; never pasted into SQL)
EXPRESSION_KEYS = ("applies", "observed", "min", "max", "check", "population", "numerator", "value",
                   "denominator_value", "amount")
LEVELS = {"province": 2, "prefecture": 4, "county": 6, "township": 9, "village": 12}
MEASURES = ("share", "total", "ratio")
TEXT_KEYS = ("label", "unit", "group", "no_double", "period", "reading")  # plain text, never SQL
MAX_FILE_BYTES = 1_000_000


class PackError(WangdiError):
    pass


class _Loader(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):  # no anchors/aliases: they expand into YAML bombs
            raise yaml.constructor.ConstructorError(None, None, "规则包中不能使用 YAML 别名（*name）",
                                                    self.peek_event().start_mark)  # type: ignore[no-untyped-call]
        return super().compose_node(parent, index)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool | date) or key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"重复或无效的键 {key!r}", key_node.start_mark)
        seen.add(key)
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
    mapping[LINE] = node.start_mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path) -> Any:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise PackError("pack-too-large", f"{path.name} 过大（上限 {MAX_FILE_BYTES // 1000} KB）", f"{path}: too large")
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except UnicodeDecodeError:
        raise PackError("pack-encoding", f"{path.name} 不是 UTF-8 文本", f"{path}: not UTF-8") from None
    except RecursionError:
        raise PackError("pack-yaml", f"{path.name} YAML 嵌套过深", f"{path}: nested too deeply") from None
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
    derived: list[Derived] = field(default_factory=list)  # the pack's own derived fields (pack.yaml `derived:`)

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


def _finite(v: Any, where: str, what: str) -> float:
    """A finite number (not a boolean, not text, not .inf/.nan): the only kind of pack value that becomes a SQL number."""
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise PackError("pack-bad-number", f"{where}：{what} 应为有限数字，收到 {v!r}",
                        f"{where}: {what} must be a finite number, got {v!r}")
    return float(v)


def _division_code(v: Any, where: str, what: str) -> str:
    text = "" if v is None else str(v)
    if text and not (text.isascii() and text.isdigit() and len(text) in LEVELS.values()):
        raise PackError("pack-bad-code", f"{where}：{what} 应为 2/4/6/9/12 位区划代码，收到 {v!r}",
                        f"{where}: {what} must be a division code, got {v!r}")
    return text


def _check_values(r: Rule, param_names: list[str]) -> None:
    """Every rule value that reaches SQL is an expression (compiled by the whitelist), a known enum, a finite
    number, a date or a known code; plain text keys must be text."""
    for key in TEXT_KEYS:
        if r.spec.get(key) is not None and not isinstance(r.spec[key], str):
            raise PackError("pack-bad-text", f"{r.where}：{key} 应为文字，收到 {r.spec[key]!r}", f"{r.where}: {key} must be text")
    for key in ("effective_from", "effective_to", "due"):
        if r.spec.get(key) is not None:
            r.spec[key] = _as_date(r.spec[key], f"{r.where} {key}")
    for key in EXPRESSION_KEYS:
        v = r.spec.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, str | int | float)):
            raise PackError("pack-bad-expression", f"{r.where}：{key} 应为表达式（文字或数字），收到 {type(v).__name__}",
                            f"{r.where}: {key} must be an expression")
    if r.spec.get("measure") is not None and r.spec["measure"] not in MEASURES:
        raise PackError("pack-bad-measure", f"{r.where}：measure 应为 {'/'.join(MEASURES)}，收到 {r.spec['measure']!r}",
                        f"{r.where}: measure must be one of {MEASURES}")
    if r.spec.get("scale") is not None and _finite(r.spec["scale"], r.where, "scale") <= 0:
        raise PackError("pack-bad-number", f"{r.where}：scale 应为正数", f"{r.where}: scale must be positive")
    items = r.spec.get("items")
    if items is not None:
        if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
            raise PackError("pack-bad-items", f"{r.where}：items 应为设备代码列表", f"{r.where}: items must list equipment keys")
        for i in items:
            if i not in EQUIPMENT_BY_KEY:
                near = difflib.get_close_matches(i, list(EQUIPMENT_BY_KEY), n=1)
                raise PackError("pack-bad-items", f"{r.where}：未知设备代码 '{i}'" + (f"，是否为 '{near[0]}'？" if near else ""),
                                f"{r.where}: unknown equipment key {i!r}")


def _check_milestones(r: Rule, param_names: list[str]) -> None:
    ms = r.spec.get("milestones")
    if not ms or not isinstance(ms, list) or not all(isinstance(m, dict) for m in ms):
        raise PackError("pack-no-milestones", f"{r.where}：target 需要 milestones（by/min/max 的列表）",
                        f"{r.where}: no milestones")
    for m in ms:
        _check_keys(m, MILESTONE_KEYS, r.where + " milestones")
        if m.get("by") is None:
            raise PackError("pack-bad-date", f"{r.where} milestones：缺少 by（期限日期）", f"{r.where}: milestone without by")
        m["by"] = _as_date(m.get("by"), r.where + " milestones by")
        if m.get("min") is None and m.get("max") is None:
            raise PackError("pack-no-bound", f"{r.where} milestones：需要 min 或 max", f"{r.where}: milestone needs min or max")
        for bound in ("min", "max"):
            v = m.get(bound)
            if isinstance(v, str):
                if not (v.startswith("param.") and v[6:] in param_names):
                    raise PackError("unknown-parameter",
                                    f"{r.where} milestones {bound}：应为数字或已定义的 param.名称，收到 {v!r}",
                                    f"{r.where}: milestone {bound} must be a number or a defined param.NAME")
            elif v is not None:
                _finite(v, r.where + " milestones", bound)
    if len({m["by"] for m in ms}) != len(ms):
        raise PackError("pack-bad-milestones", f"{r.where} milestones：同一期限出现两次", f"{r.where}: duplicate milestone date")


def expressions(rule: Rule) -> list[tuple[str, str]]:
    """Every expression of a rule, as (key, text) — the one list the loader, the engine's explain and the
    baseline read: EXPRESSION_KEYS, then each readiness item (key `readiness.DOMAIN[i]`)."""
    out = [(k, str(rule.spec[k])) for k in EXPRESSION_KEYS if rule.spec.get(k) is not None]
    readiness = rule.spec.get("readiness")
    if isinstance(readiness, dict):
        out += [(f"readiness.{dom}[{i}]", str(it)) for dom, items in readiness.items() if isinstance(items, list)
                for i, it in enumerate(items)]
    return out


def _validate_rule(r: Rule, param_names: list[str], derived: list[Derived]) -> None:
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
    known = fields_of(ent, derived)

    def check(key: str, text: Any) -> None:
        expr.compile_expr(str(text), known, lambda n: "1", f"{r.where} {key}", param_names)

    _check_values(r, param_names)
    readiness = r.spec.get("readiness")
    if readiness is not None and not (isinstance(readiness, dict) and all(
            isinstance(v, list) and v and all(isinstance(x, str) for x in v) for v in readiness.values())):
        raise PackError("pack-bad-readiness", f"{r.where}：readiness 应为“领域: [表达式, …]”的映射",
                        f"{r.where}: readiness must map domain names to lists of expressions")
    for key, text in expressions(r):
        check(key, text)
    if kind == "target":
        if not isinstance(r.spec.get("level"), str) or r.spec["level"] not in LEVELS:
            raise PackError("pack-bad-level", f"{r.where}：target 需要 level（{', '.join(LEVELS)}）",
                            f"{r.where}: target needs a level")
        _check_milestones(r, param_names)
    if kind == "requirement" and not any(r.spec.get(k) is not None for k in ("observed", "items", "check", "readiness")):
        raise PackError("pack-empty-rule", f"{r.where}：requirement 需要 observed、items、check 或 readiness 之一",
                        f"{r.where}: requirement needs observed, items, check or readiness")
    if kind == "entitlement" and r.spec.get("amount") is None:
        raise PackError("pack-no-amount", f"{r.where}：entitlement 需要 amount", f"{r.where}: entitlement needs amount")


def _list_of_mappings(path: Path) -> list[dict[str, Any]]:
    """A YAML file holding a list of mappings (or nothing)."""
    data = load_yaml(path) if path.exists() else None
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        raise PackError("pack-bad-structure", f"{path.parent.name}/{path.name}：应为“- 键: 值”条目的列表",
                        f"{path}: must be a list of mappings")
    return data


def _manifest(path: Path) -> dict[str, Any]:
    manifest_path = path / "pack.yaml"
    if not manifest_path.exists():
        raise PackError("pack-not-found", f"{path} 不是规则包：缺少 pack.yaml", f"{path}: no pack.yaml")
    manifest = load_yaml(manifest_path) or {}
    if not isinstance(manifest, dict):
        raise PackError("pack-bad-structure", f"{path.name}/pack.yaml：应为“键: 值”的映射", f"{path}: bad manifest")
    where = _where(manifest_path, manifest)
    _check_keys(manifest, MANIFEST_KEYS, where)
    for key in ("jurisdiction", "region"):
        _division_code(manifest.get(key), where, key)
    for key in ("issued", "effective_from", "effective_to"):
        manifest[key] = _as_date(manifest.get(key), f"{where} {key}")
    parents = manifest.get("parents") or []
    if not isinstance(parents, list) or not all(isinstance(x, str) and x.strip() for x in parents):
        raise PackError("pack-bad-parents", f"{where}：parents 应为规则包 id 的列表", f"{where}: parents must list pack ids")
    return manifest


def _parameters(path: Path, pid: str) -> dict[str, Parameter]:
    params: dict[str, Parameter] = {}
    p_path = path / "parameters.yaml"
    for item in _list_of_mappings(p_path):
        where = _where(p_path, item, str(item.get("id", "")))
        _check_keys(item, PARAM_KEYS, where)
        values = item.get("values") or []
        if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
            raise PackError("pack-bad-structure", f"{where}：values 应为取值条目的列表", f"{where}: values must be a list")
        for v in values:
            _check_keys(v, VALUE_KEYS, where)
            v["from"], v["to"] = _as_date(v.get("from"), where), _as_date(v.get("to"), where)
            _finite(v.get("value"), where, "value")
            _division_code(v.get("jurisdiction"), where, "jurisdiction")
        pid_ = item.get("id")
        if not isinstance(pid_, str) or not pid_.isidentifier() or pid_ in params:
            raise PackError("pack-duplicate-id", f"{where}：参数 id 缺失、无效或重复", f"{where}: missing, bad or duplicate id")
        params[pid_] = Parameter(pid_, str(item.get("clause", "")), str(item.get("text", "")),
                                 str(item.get("summary", "")), _strip(values), str(item.get("unit", "")),
                                 str(item.get("reading", "")), pid, where)
    return params


def _rules(path: Path, pid: str) -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    r_path = path / "rules.yaml"
    for item in _list_of_mappings(r_path):
        rid = item.get("id")
        where = _where(r_path, item, f"rule {rid}")
        kind = str(item.get("kind", ""))
        _check_keys(item, KIND_KEYS.get(kind, COMMON), where)
        if not isinstance(rid, str) or not rid.isidentifier() or rid in rules:
            raise PackError("pack-duplicate-id", f"{where}：规则 id 缺失、无效或重复",
                            f"{where}: missing, bad or duplicate rule id")
        spec = _strip({k: v for k, v in item.items() if k not in ("id", "kind", "clause", "text", "summary")})
        rules[rid] = Rule(rid, kind, str(item.get("clause", "")), str(item.get("text", "")),
                          str(item.get("summary", "")), spec, pid, where)
    return rules


def _read_pack_folder(path: Path) -> Pack:
    manifest = _manifest(path)
    pid = str(manifest.get("id") or path.name)
    params, rules = _parameters(path, pid), _rules(path, pid)
    tests = _strip(_list_of_mappings(path / "tests.yaml"))
    coverage = _strip(_list_of_mappings(path / "coverage.yaml"))
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


def load(pack_id: str, _seen: tuple[str, ...] = ()) -> Pack:
    """Load a pack with its parents: a child overrides a parent's rule or parameter by id."""
    path = pack_path(pack_id)
    key = str(path.resolve())
    if key in _seen or len(_seen) > 8:
        raise PackError("pack-parent-cycle", f"规则包 {pack_id} 的 parents 形成循环或层级过深（{' → '.join(_seen)}）",
                        f"parents of {pack_id} form a cycle or are nested too deeply")
    own = _read_pack_folder(path)
    merged_rules: dict[str, Rule] = {}
    merged_params: dict[str, Parameter] = {}
    lineage: list[str] = []
    derived: list[Derived] = []
    for parent_id in own.manifest.get("parents") or []:
        parent = load(str(parent_id), (*_seen, key))
        lineage += parent.lineage
        derived += [f for f in parent.derived if f.name not in {d.name for d in derived}]
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
    own.derived = pack_fields(own.manifest.get("derived"), own.id, f"{own.id}/pack.yaml", derived)
    merged_rules.update(own.rules)
    merged_params.update(own.parameters)
    names = sorted(merged_params)
    for rule in merged_rules.values():
        _validate_rule(rule, names, own.derived)
    own.rules, own.parameters = merged_rules, merged_params
    own.lineage = [*lineage, own.id]
    return own
