"""Macro placeholders: ``{{customer_first_name}}`` and friends, checked when a macro is saved
and filled as plain text when it is applied.

Pure Python (no Django template engine): a value is pasted in as it is, so a customer whose
first name is ``{{ticket_id}}`` or ``{% load %}`` stays just that text, and a macro body can
never reach settings, the database or other tickets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PLACEHOLDERS: dict[str, str] = {
    "customer_first_name": "the customer's first name (else: there)",
    "order_number": "the ticket's order number (else: your order)",
    "agent_name": "the first name of the agent sending it",
    "ticket_id": "the ticket number",
}
# {{ name }} with optional spaces; anything else in double braces is an unknown placeholder
_PLACEHOLDER_RE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


def placeholders_unknown(body: str) -> list[str]:
    """The placeholders in ``body`` that are not in PLACEHOLDERS, in order, once each."""
    seen: list[str] = []
    for match in _PLACEHOLDER_RE.finditer(body):
        name = match.group(1)
        if name not in PLACEHOLDERS and name not in seen:
            seen.append(name)
    return seen


def placeholders_fill(body: str, values: Mapping[str, str]) -> str:
    """Replace each known placeholder with its value in one pass (a value that itself looks
    like a placeholder is not filled again)."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        return values[name] if name in values else match.group(0)

    return _PLACEHOLDER_RE.sub(one, body)
