"""The pack expression language: a small, whitelisted subset of SQL expressions, compiled to DuckDB.

A pack expression may use the documented fields of its entity, the pack's parameters
(`param.NAME`), literals, arithmetic, comparisons, AND/OR/NOT, IN (...), BETWEEN, IS [NOT] NULL,
CASE WHEN, and the functions listed in FUNCTIONS. Nothing else parses: no statements, subqueries,
file or network functions, or unlisted calls. Names are checked against the entity's fields, with
a suggestion for near misses.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from wangdi.errors import WangdiError

MAX_LENGTH = 2000
MAX_DEPTH = 40

ALLOWED_NODES: tuple[type[exp.Expression], ...] = (
    exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Paren, exp.Tuple,
    exp.And, exp.Or, exp.Not, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is,
    exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.Neg, exp.In, exp.Between,
    exp.Case, exp.If, exp.Coalesce, exp.Abs, exp.Round, exp.Floor, exp.Ceil, exp.Greatest, exp.Least,
    exp.Anonymous, exp.Cast, exp.DataType, exp.Var,
)
# functions a pack may call: name -> (number of args, SQL template)
FUNCTIONS: dict[str, tuple[int, str]] = {
    "has_equipment": (1, "list_contains(equipment_items, {0})"),
    "has_service": (1, "list_contains(services, {0})"),
    "equipment_count": (1, "coalesce(list_count(list_filter(equipment_items, lambda x: x = {0})), 0)"),
    "years_between": (2, "date_diff('year', {0}, {1})"),
    "nullif_zero": (1, "nullif({0}, 0)"),
    "share": (2, "CAST({0} AS DOUBLE) / nullif({1}, 0)"),
}
ALLOWED_CASTS = {"DATE", "DOUBLE", "INT", "BIGINT"}
# functions whose argument is a code: a quoted key of that code list (checked, with a suggestion)
CODE_ARGS = {"has_equipment": "equipment_item", "equipment_count": "equipment_item", "has_service": "service"}


class ExprError(WangdiError):
    pass


@dataclass
class Compiled:
    sql: str
    fields: set[str] = field(default_factory=set)
    params: set[str] = field(default_factory=set)


def _suggest(name: str, known: list[str]) -> str:
    near = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if not near:
        near = [k for k in known if name in k or k in name][:1]
    return f"，是否为 '{near[0]}'？" if near else ""


def _depth(node: exp.Expr) -> int:
    best, stack = 0, [(node, 1)]
    while stack:
        n, d = stack.pop()
        best = max(best, d)
        stack.extend((c, d + 1) for c in n.iter_expressions())
    return best


def parse(text: str, where: str = "") -> exp.Expr:
    """Parse and whitelist; raise ExprError (Chinese + English, with `where`) on anything else."""
    loc = f"{where}：" if where else ""
    src = str(text).strip()
    if not src:
        raise ExprError("expr-empty", f"{loc}表达式为空", "empty expression")
    if len(src) > MAX_LENGTH:
        raise ExprError("expr-too-long", f"{loc}表达式过长（{len(src)} 字符，上限 {MAX_LENGTH}）",
                        f"expression longer than {MAX_LENGTH} characters")
    if ";" in src:
        raise ExprError("expr-statement", f"{loc}表达式中不能有分号或多条语句", "';' and statements are not allowed")
    try:
        trees = sqlglot.parse(src, dialect="duckdb")
    except RecursionError:
        raise ExprError("expr-too-deep", f"{loc}表达式嵌套过深", "expression nested too deeply") from None
    except (ParseError, TokenError) as e:
        raise ExprError("expr-syntax", f"{loc}表达式语法错误：{str(e).splitlines()[0][:200]}",
                        "syntax error in expression") from None
    if len(trees) != 1 or trees[0] is None:
        raise ExprError("expr-statement", f"{loc}只能写一个表达式", "exactly one expression is allowed")
    tree = trees[0]
    if _depth(tree) > MAX_DEPTH:
        raise ExprError("expr-too-deep", f"{loc}表达式嵌套过深（上限 {MAX_DEPTH} 层）", "expression nested too deeply")
    for node in tree.walk():
        if not isinstance(node, ALLOWED_NODES):
            raise ExprError("expr-not-allowed", f"{loc}不允许的写法：{type(node).__name__}（{node.sql()[:60]}）"
                            "——表达式只能使用字段、参数、运算符和列出的函数",
                            f"{type(node).__name__} is not allowed in pack expressions")
        if isinstance(node, exp.Anonymous) and str(node.name).lower() not in FUNCTIONS:
            raise ExprError("expr-unknown-function", f"{loc}未知函数 {node.name}()"
                            f"{_suggest(str(node.name).lower(), list(FUNCTIONS))}；可用：{', '.join(FUNCTIONS)}",
                            f"unknown function {node.name}()")
        if isinstance(node, exp.DataType) and node.sql().upper() not in ALLOWED_CASTS:
            raise ExprError("expr-not-allowed", f"{loc}不允许转换为 {node.sql()}", f"cast to {node.sql()} not allowed")
    return tree


def compile_expr(text: str, fields: list[str], params: Callable[[str], str] | None, where: str = "",
                 param_names: list[str] | None = None) -> Compiled:
    """Compile to a DuckDB SQL expression. `params(name)` returns the SQL for param.NAME."""
    tree = parse(text, where)
    loc = f"{where}：" if where else ""
    out = Compiled("")

    def rewrite(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column):
            table, name = node.table, node.name
            if table == "param":
                known = param_names or []
                if params is None or name not in known:
                    raise ExprError("unknown-parameter", f"{loc}未知参数 'param.{name}'{_suggest(name, known)}",
                                    f"unknown parameter param.{name}")
                out.params.add(name)
                return sqlglot.parse_one(params(name), dialect="duckdb")
            if table:
                raise ExprError("expr-not-allowed", f"{loc}不允许的名称 '{table}.{name}'", f"'{table}.{name}' not allowed")
            if name not in fields:
                near = difflib.get_close_matches(name, fields, 1)
                raise ExprError("unknown-field", f"{loc}未知字段 '{name}'{_suggest(name, fields)}",
                                f"unknown field '{name}'" + (f" — did you mean '{near[0]}'?" if near else ""))
            out.fields.add(name)
            return exp.column(name, quoted=True)
        if isinstance(node, exp.Anonymous):
            fname = str(node.name).lower()
            nargs, template = FUNCTIONS[fname]
            if len(node.expressions) != nargs:
                raise ExprError("expr-arity", f"{loc}函数 {fname}() 需要 {nargs} 个参数", f"{fname}() takes {nargs} arguments")
            if fname in CODE_ARGS:
                _check_code(fname, node.expressions[0], loc)
            args = [a.sql(dialect="duckdb") for a in node.expressions]
            return sqlglot.parse_one(template.format(*args), dialect="duckdb")
        return node

    out.sql = _no_overflow(_try_casts(tree.transform(rewrite))).sql(dialect="duckdb")
    return out


def _check_code(fname: str, arg: exp.Expr, loc: str) -> None:
    from wangdi.registry.reference import CODE_LISTS

    codes = CODE_LISTS[CODE_ARGS[fname]]
    if not (isinstance(arg, exp.Literal) and arg.is_string):
        raise ExprError("expr-bad-argument", f"{loc}函数 {fname}() 的参数应为带引号的代码，例如 {fname}('{next(iter(codes))}')",
                        f"{fname}() takes a quoted code")
    if arg.this not in codes:
        raise ExprError("expr-bad-argument", f"{loc}函数 {fname}() 的参数 '{arg.this}' 不是已知代码"
                        f"{_suggest(str(arg.this), list(codes))}", f"{fname}(): unknown code {arg.this!r}")


def _try_casts(tree: exp.Expr) -> exp.Expr:
    """Every CAST becomes TRY_CAST: a value that does not convert is blank (unknown), never an error."""
    root = exp.Paren(this=tree)
    for node in reversed(list(root.find_all(exp.Cast, bfs=False))):  # innermost first
        if type(node) is exp.Cast:
            node.replace(exp.TryCast(this=node.this, to=node.to))
    return root


def _no_overflow(tree: exp.Expr) -> exp.Expr:
    """Arithmetic in DOUBLE: a product (or a literal beyond 32 bits) never overflows into an error."""
    for node in list(tree.find_all(exp.Literal)):
        if not node.is_string and abs(float(node.this)) >= 2**31:
            node.replace(exp.TryCast(this=node.copy(), to=exp.DataType.build("DOUBLE")))
    for mul in list(tree.find_all(exp.Mul)):
        mul.set("this", exp.TryCast(this=mul.this, to=exp.DataType.build("DOUBLE")))
    return tree
