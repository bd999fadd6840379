"""Merchant rule expressions: a safe parser and evaluator (no eval of user text).

A rule is a boolean expression over named checkout attributes, for example
``amount > 1000 and ip_country != billing_country``. Python's `ast` module parses the text
(mode "eval", so statements are impossible) and every node is checked against a whitelist:
boolean and/or/not, comparisons (including ``in``/``not in`` a literal list, or a merchant
list written ``field in @alias``), + - * / on numbers, numeric/string/boolean literals and
names from the known vocabulary. Calls,
attributes, subscripts, lambdas, comprehensions... are rejected with a message saying what
and where. Evaluation walks the checked tree; a missing value (None/NaN) makes any comparison
false, so a rule never fires on data it cannot see.
"""

from __future__ import annotations

import ast
import io
import math
import operator
import tokenize
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

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
_LIST = "@"  # prefix of a list reference's Name id after checking; no parsed name has it


class ListMembership(Protocol):
    """Answers `value in @alias` for one decision (the caller loads what it needs once)."""

    def contains(self, alias: str, value: Any) -> bool: ...


@dataclass(frozen=True)
class CompiledRule:
    text: str
    tree: ast.Expression
    names: frozenset[str]
    lists: frozenset[str] = frozenset()

    def matches(self, values: Mapping[str, Any], lists: ListMembership | None = None) -> bool:
        """Without `lists`, a list lookup never matches (the rule cannot see the list)."""
        return _truthy(_eval(self.tree.body, values, lists))


def _mark_lists(text: str) -> tuple[str, set[tuple[int, int]]]:
    """`@alias` (outside quotes) becomes `_alias`, same length so columns stay right; the
    positions of the replaced `@` say which names are list references."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return text, set()  # ast.parse reports the error
    lines = text.split("\n")
    marks: set[tuple[int, int]] = set()
    for tok, nxt in zip(tokens, tokens[1:], strict=False):
        if tok.type == tokenize.OP and tok.string == "@":
            (row, col) = tok.start
            if nxt.type != tokenize.NAME or nxt.start != (row, col + 1):
                raise RuleSyntaxError(
                    f"'@' must be followed by a list name, e.g. email in @blocked_emails"
                    f" (column {col + 1})"
                )
            line = lines[row - 1]
            lines[row - 1] = line[:col] + "_" + line[col + 1 :]
            marks.add((row, len(line[:col].encode())))  # ast columns count UTF-8 bytes
    return "\n".join(lines), marks


def rule_compile(
    text: str,
    *,
    known_names: Iterable[str],
    known_lists: Mapping[str, str] | None = None,
    field_types: Mapping[str, str] | None = None,
) -> CompiledRule:
    """Parse and check `text`; raise RuleSyntaxError with a clear one-line message.

    `known_lists` maps list aliases to their item type; `field_types` the fields that may be
    looked up in a list to the item type they hold (`email in @blocked_ips` is refused).
    """
    if not isinstance(text, str) or not text.strip():
        raise RuleSyntaxError("the rule is empty")
    if len(text) > MAX_LENGTH:
        raise RuleSyntaxError(f"the rule is longer than {MAX_LENGTH} characters")
    if "->" in text:
        raise RuleSyntaxError(
            "write only the condition; choose the action (allow/block/review) separately"
        )
    source, marks = _mark_lists(text.strip())
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        col = f" at column {exc.offset}" if exc.offset else ""
        raise RuleSyntaxError(f"syntax error{col}: {exc.msg}") from None
    known = set(known_names)
    names: set[str] = set()
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise RuleSyntaxError(f"the rule is too complex (more than {MAX_NODES} parts)")
    refs = {id(n) for n in nodes if isinstance(n, ast.Name) and (n.lineno, n.col_offset) in marks}
    lists = _check_lists(nodes, refs, known_lists or {}, field_types or {})
    for node in nodes:
        if id(node) not in refs:
            _check(node, known, names)
    if not _is_boolean(tree.body):
        raise RuleSyntaxError(
            "the rule must be a condition (a comparison such as 'amount > 100'), not a value"
        )
    for node in nodes:
        if id(node) in refs:
            assert isinstance(node, ast.Name)
            node.id = _LIST + node.id[1:]  # evaluation tells list references by this prefix
    return CompiledRule(
        text=text.strip(), tree=tree, names=frozenset(names), lists=frozenset(lists)
    )


def _check_lists(
    nodes: list[ast.AST],
    refs: set[int],
    known_lists: Mapping[str, str],
    field_types: Mapping[str, str],
) -> set[str]:
    """Each `@alias` must name a known list, follow `in`/`not in` directly after a field
    holding the list's kind of value, and stand in an unchained comparison."""
    if not refs:
        return set()
    placed: set[int] = set()
    used: set[str] = set()
    for node in nodes:
        if not isinstance(node, ast.Compare):
            continue
        for i, (op, right) in enumerate(zip(node.ops, node.comparators, strict=True)):
            if id(right) not in refs:
                continue
            assert isinstance(right, ast.Name)
            alias = right.id[1:]
            if alias not in known_lists:
                names = ", ".join(f"@{a}" for a in sorted(known_lists)[:8])
                hint = f"; lists: {names}" if names else "; no lists exist yet"
                raise RuleSyntaxError(f"unknown list '@{alias}'{_where(right)}{hint}")
            if not isinstance(op, ast.In | ast.NotIn):
                raise RuleSyntaxError(
                    f"a list (@{alias}) can only follow 'in' or 'not in'{_where(right)}"
                )
            if len(node.ops) > 1:
                raise RuleSyntaxError(
                    f"a list lookup cannot be chained with another comparison; "
                    f"join them with 'and'{_where(node)}"
                )
            left = node.left if i == 0 else node.comparators[i - 1]
            if not isinstance(left, ast.Name) or left.id not in field_types:
                what = f"'{left.id}'" if isinstance(left, ast.Name) else "a value"
                fields = ", ".join(sorted(field_types))
                raise RuleSyntaxError(
                    f"{what} cannot be looked up in a list (@{alias}){_where(left)}"
                    + (f"; fields that can: {fields}" if fields else "")
                )
            wanted, have = known_lists[alias], field_types[left.id]
            if wanted != have:
                raise RuleSyntaxError(
                    f"@{alias} holds {wanted.replace('_', ' ')} values; '{left.id}' is "
                    f"{have.replace('_', ' ')}{_where(right)}"
                )
            placed.add(id(right))
            used.add(alias)
    for node in nodes:
        if id(node) in refs and id(node) not in placed:
            assert isinstance(node, ast.Name)
            raise RuleSyntaxError(
                f"a list (@{node.id[1:]}) can only follow 'in' or 'not in'{_where(node)}"
            )
    return used


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
                if (
                    isinstance(op, ast.In | ast.NotIn)
                    and not isinstance(right, ast.List | ast.Tuple)
                    and not (isinstance(right, ast.Name) and right.id.startswith("_"))
                ):
                    raise RuleSyntaxError(
                        f"'in' needs a literal list such as ['GB', 'FR'] or a list such as "
                        f"@blocked_emails{_where(right)}"
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


def _eval(node: ast.expr, values: Mapping[str, Any], lists: ListMembership | None) -> Any:
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
        return [_eval(e, values, lists) for e in node.elts]
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return all(_truthy(_eval(v, values, lists)) for v in node.values)
        return any(_truthy(_eval(v, values, lists)) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, values, lists)
        if isinstance(node.op, ast.Not):
            return MISSING if operand is MISSING else not _truthy(operand)
        return MISSING if operand is MISSING else -operand
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, values, lists), _eval(node.right, values, lists)
        if left is MISSING or right is MISSING:
            return MISSING
        try:
            return _ARITH[type(node.op)](left, right)
        except (TypeError, ZeroDivisionError):
            return MISSING
    if isinstance(node, ast.Compare):
        left = _eval(node.left, values, lists)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            if isinstance(comp, ast.Name) and comp.id.startswith(_LIST):
                if left is MISSING or lists is None:
                    return False  # checked: a list lookup is never chained
                found = lists.contains(comp.id[1:], left)
                return found if isinstance(op, ast.In) else not found
            right = _eval(comp, values, lists)
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
