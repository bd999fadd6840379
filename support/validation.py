"""Checks on ticket text before anything is stored (shared by API, import and services)."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError

MAX_BODY_CHARS = 10_000
MAX_SUBJECT_CHARS = 200


def clean_body(value: object, *, field: str = "body") -> str:
    """Return the stripped text or raise ValidationError {field: [message]}.

    Refuses empty text, text over MAX_BODY_CHARS, and binary data (NUL bytes, undecodable
    bytes shown as U+FFFD, or mostly control characters).
    """
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError({field: ["Message is not UTF-8 text."]}) from exc
    if not isinstance(value, str):
        raise ValidationError({field: ["Message must be text."]})
    text = value.strip()
    if not text:
        raise ValidationError({field: ["Message is empty: please describe your question."]})
    if len(text) > MAX_BODY_CHARS:
        raise ValidationError(
            {field: [f"Message is too long ({len(text)} characters, at most {MAX_BODY_CHARS})."]}
        )
    if looks_binary(text):
        raise ValidationError({field: ["Message looks like binary data, not text."]})
    return text


def looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    bad = sum(
        1
        for ch in text
        if ch == "\ufffd"
        or (unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\t\n\r")
    )
    return bad / max(len(text), 1) > 0.05


def validate_macro_body(value: str) -> None:
    """A macro's text may use only the known placeholders (support.macros.PLACEHOLDERS)."""
    from support.macros import PLACEHOLDERS, placeholders_unknown

    unknown = placeholders_unknown(value)
    if unknown:
        names = ", ".join("{{" + name + "}}" for name in unknown)
        known = ", ".join("{{" + name + "}}" for name in PLACEHOLDERS)
        raise ValidationError(
            f"Unknown placeholder{'s' if len(unknown) > 1 else ''} {names}. Use {known}.",
            code="unknown_placeholder",
        )
