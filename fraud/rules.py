"""Merchant rule expressions: a safe parser and evaluator (no eval of user text).

A rule is a boolean expression over named checkout attributes, for example
``amount > 1000 and ip_country != billing_country``. Python's `ast` module parses the text
(mode "eval", so statements are impossible) and every node is checked against a whitelist:
boolean and/or/not, comparisons (including ``in``/``not in`` a literal list), + - * / on
numbers, numeric/string/boolean literals and names from the known vocabulary. Calls,
attributes, subscripts, lambdas, comprehensions... are rejected with a message saying what
and where. Evaluation walks the checked tree; a missing value (None/NaN) makes any comparison
false, so a rule never fires on data it cannot see.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MAX_LENGTH = 500
MAX_NODES = 200

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_ARITH: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_FORBIDDEN_HINT: dict[type[ast.AST], str] = {
    ast.Call: "function calls are not allowed",
    ast.Attribute: "attribute access (.) is not allowed",
    ast.Subscript: "indexing ([...]) is not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.IfExp: "'x if c else y' is not allowed",
    ast.NamedExpr: "':=' is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Set: "sets are not allowed; use a list [..]",
}


class RuleSyntaxError(ValueError):
    """The expression is malformed or unsafe; the message says why and where."""


class _Missing:
    """A value the rule cannot see (no model score, guest account age...)."""

    def __repr__(self) -> str:
        return "missing"


MISSING = _Missing()


@dataclass(frozen=True)
class CompiledRule:
    text: str
    tree: ast.Expression
    names: frozenset[str]

    def matches(self, values: Mapping[str, Any]) -> bool:
        return _truthy(_eval(self.tree.body, values))


def rule_compile(text: str, *, known_names: Iterable[str]) -> CompiledRule:
    """Parse and check `text`; raise RuleSyntaxError with a clear one-line message."""
    if not isinstance(text, str) or not text.strip():
        raise RuleSyntaxError("the rule is empty")
    if len(text) > MAX_LENGTH:
        raise RuleSyntaxError(f"the rule is longer than {MAX_LENGTH} characters")
    if "->" in text:
        raise RuleSyntaxError(
            "write only the condition; choose the action (allow/block/review) separately"
        )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        col = f" at column {exc.offset}" if exc.offset else ""
        raise RuleSyntaxError(f"syntax error{col}: {exc.msg}") from None
    known = set(known_names)
    names: set[str] = set()
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise RuleSyntaxError(f"the rule is too complex (more than {MAX_NODES} parts)")
    for node in nodes:
        _check(node, known, names)
    if not _is_boolean(tree.body):
        raise RuleSyntaxError(
            "the rule must be a condition (a comparison such as 'amount > 100'), not a value"
        )
    return CompiledRule(text=text.strip(), tree=tree, names=frozenset(names))


def _where(node: ast.AST) -> str:
    col = getattr(node, "col_offset", None)
    return f" (column {col + 1})" if col is not None else ""


def _check(node: ast.AST, known: set[str], names: set[str]) -> None:
    if isinstance(node, ast.Expression | ast.Load | ast.And | ast.Or | ast.Not | ast.USub):
        return
    if isinstance(node, ast.BoolOp | ast.Compare | ast.List | ast.Tuple):
        if isinstance(node, ast.Compare):
            for op, right in zip(node.ops, node.comparators, strict=True):
                if type(op) not in _COMPARE:
                    raise RuleSyntaxError(
                        f"operator {type(op).__name__} is not allowed{_where(node)}"
                    )
                if isinstance(op, ast.In | ast.NotIn) and not isinstance(
                    right, ast.List | ast.Tuple
                ):
                    raise RuleSyntaxError(
                        f"'in' needs a literal list such as ['GB', 'FR']{_where(right)}"
                    )
        if isinstance(node, ast.List | ast.Tuple):
            for elt in node.elts:
                if not isinstance(elt, ast.Constant):
                    raise RuleSyntaxError(f"lists may hold only literal values{_where(elt)}")
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.Not | ast.USub):
            raise RuleSyntaxError(f"operator {type(node.op).__name__} is not allowed{_where(node)}")
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _ARITH:
            raise RuleSyntaxError(f"only + - * / are allowed in arithmetic{_where(node)}")
        return
    if isinstance(node, ast.Constant):
        if node.value is None or not isinstance(node.value, int | float | str | bool):
            raise RuleSyntaxError(f"unsupported literal {node.value!r}{_where(node)}")
        return
    if isinstance(node, ast.Name):
        if node.id in ("true", "false", "True", "False"):
            return
        if node.id not in known:
            close = sorted(n for n in known if n.startswith(node.id[:3]))[:5]
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise RuleSyntaxError(f"unknown field '{node.id}'{_where(node)}{hint}")
        names.add(node.id)
        return
    if isinstance(node, ast.cmpop | ast.operator):
        return  # checked with their parent node
    hint = _FORBIDDEN_HINT.get(type(node), f"{type(node).__name__} is not allowed")
    raise RuleSyntaxError(f"{hint}{_where(node)}")


def _is_boolean(node: ast.expr) -> bool:
    if isinstance(node, ast.BoolOp | ast.Compare):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return True
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return True
    return isinstance(node, ast.Name)  # boolean flags such as is_guest


def _missing(value: Any) -> bool:
    return value is MISSING or value is None or (isinstance(value, float) and math.isnan(value))


def _eval(node: ast.expr, values: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in ("true", "True"):
            return True
        if node.id in ("false", "False"):
            return False
        value = values.get(node.id, MISSING)
        return MISSING if _missing(value) else value
    if isinstance(node, ast.List | ast.Tuple):
        return [_eval(e, values) for e in node.elts]
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return all(_truthy(_eval(v, values)) for v in node.values)
        return any(_truthy(_eval(v, values)) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, values)
        if isinstance(node.op, ast.Not):
            return MISSING if operand is MISSING else not _truthy(operand)
        return MISSING if operand is MISSING else -operand
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, values), _eval(node.right, values)
        if left is MISSING or right is MISSING:
            return MISSING
        try:
            return _ARITH[type(node.op)](left, right)
        except (TypeError, ZeroDivisionError):
            return MISSING
    if isinstance(node, ast.Compare):
        left = _eval(node.left, values)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = _eval(comp, values)
            if left is MISSING or right is MISSING:
                return False
            try:
                if not _COMPARE[type(op)](left, right):
                    return False
            except TypeError:  # comparing text with a number: the rule does not fire
                return False
            left = right
        return True
    raise RuleSyntaxError(f"{type(node).__name__} is not allowed")  # unreachable after _check


def _truthy(value: Any) -> bool:
    return value is not MISSING and bool(value)
