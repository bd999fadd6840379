"""PII redaction: a pure function applied before any text reaches features, training sets or logs.

Replaces e-mail addresses, phone numbers, payment card numbers (Luhn-checked), IBANs
(mod-97-checked) and street addresses with placeholders such as ``[EMAIL]``. Bare long digit
runs without phone formatting (order or tracking numbers) are kept, so triage can still link an
order; card-like runs that pass the Luhn check are always removed.
"""

from __future__ import annotations

import re

EMAIL = "[EMAIL]"
PHONE = "[PHONE]"
CARD = "[CARD]"
IBAN = "[IBAN]"
ADDRESS = "[ADDRESS]"

_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# also catches obfuscated "name at domain dot com"
_EMAIL_OBF_RE = re.compile(
    r"\b[A-Za-z0-9._%+\-]+\s*(?:\(at\)|\[at\]|\sat\s)\s*[A-Za-z0-9\-]+\s*(?:\(dot\)|\[dot\]|\sdot\s|\.)\s*[A-Za-z]{2,}\b",
    re.IGNORECASE,
)
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{1,4}){3,8}\b", re.IGNORECASE)
# 13-19 digits, optionally grouped by single spaces or dashes
_CARD_RE = re.compile(r"(?<![\d])\d(?:[ \-]?\d){12,18}(?![\d])")
# international (+..) or trunk-prefixed (0..) numbers, or digit groups split by separators
_PHONE_RE = re.compile(
    r"(?<![\w+])(?:"
    r"\+\d{1,3}[\s\-.]?(?:\(\d{1,4}\)[\s\-.]?)?\d(?:[\s\-./]?\d){5,13}"
    r"|\(?0\d{1,4}\)?[\s\-./]?\d(?:[\s\-./]?\d){4,11}"
    r"|\(\d{2,4}\)[\s\-.]?\d{3}[\s\-.]?\d{3,4}"
    r"|\d{3}[\-.\s]\d{3}[\-.\s]\d{4}"
    r")(?!\w)"
)
_STREET_WORDS = (
    r"street|st\.?|avenue|ave\.?|road|rd\.?|lane|ln\.?|drive|dr\.?|boulevard|blvd\.?|way|court|"
    r"ct\.?|place|pl\.?|square|sq\.?|terrace|close|crescent|highway|hwy|parkway|"
    r"stra(?:ss|ß)e|str\.?|weg|gasse|allee|platz|straat|laan|gracht|plein|"
    r"rue|avenue|boulevard|chemin|all[ée]e|"
    r"calle|avenida|av\.?|paseo|plaza|carrera|via|viale|corso|piazza|vicolo"
)
# "221B Baker Street", "12 rue de la Paix", "Hauptstraße 5", "Calle Mayor 3", "Via Roma 10"
_ADDRESS_RES = [
    # "12 rue de la Paix": a number, a prefix street word, then its name
    re.compile(
        r"\b\d{1,5}[A-Za-z]?,?\s+(?:rue|avenue|boulevard|chemin|calle|avenida|paseo|plaza|via|viale"
        r"|corso|piazza|vicolo)\s+(?:(?:de|del|de la|la|le|les|des|du|di|della|dei)\s+)*"
        r"[A-ZÀ-Ý][\wÀ-ÿ'\-]*(?:\s+[A-ZÀ-Ý][\wÀ-ÿ'\-]*){0,2}",
        re.IGNORECASE,
    ),
    re.compile(
        rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Za-zÀ-ÿ'\-]+\s+){{0,4}}?(?:{_STREET_WORDS})\b\.?",
        re.IGNORECASE,
    ),
    re.compile(
        rf"\b(?:{_STREET_WORDS})\s+(?:(?:de|del|la|le|des|du|di|della|van|der)\s+)*"
        rf"[A-ZÀ-Ý][\wÀ-ÿ'\-]*(?:\s+[A-ZÀ-Ý][\wÀ-ÿ'\-]*){{0,3}},?\s+\d{{1,5}}[A-Za-z]?\b",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b[A-ZÀ-Ý][\wÀ-ÿ\-]*(?:stra(?:ss|ß)e|str\.|weg|gasse|allee|platz|straat|laan|gracht|plein)"
        r"\s+\d{1,5}[A-Za-z]?\b"
    ),
    # UK postcode and US ZIP+4 next to the street part are removed with it; alone they are kept
    re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s+\d[A-Z]{2}\b"),
]


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _iban_ok(candidate: str) -> bool:
    s = candidate.replace(" ", "").upper()
    if not 15 <= len(s) <= 34 or not s[2:4].isdigit():
        return False
    rearranged = s[4:] + s[:4]
    try:
        number = int("".join(str(int(ch, 36)) for ch in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


_ORDER_CONTEXT_RE = re.compile(
    r"(?:order|purchase|invoice|tracking|ticket|reference|ref|bestellung|commande|pedido|ordine"
    r"|bestelling|parcel|package|shipment)\w*\s*(?:number|no\.?|nr\.?|n°|id)?\s*[:#]?\s*$|#\s*$",
    re.IGNORECASE,
)


def _is_order_reference(match: re.Match[str]) -> bool:
    before = match.string[max(0, match.start() - 30) : match.start()]
    return bool(_ORDER_CONTEXT_RE.search(before)) and not re.search(r"[\s\-./()+]", match.group(0))


def _sub_card(match: re.Match[str]) -> str:
    raw = match.group(0)
    digits = re.sub(r"\D", "", raw)
    grouped = digits != raw
    # issuers' number ranges start with 2-6; a grouped 15/16-digit number is a card even with a
    # typo; a bare run needs Luhn, so order numbers such as 113542617735902 survive
    if digits[0] in "23456" and (_luhn_ok(digits) or (grouped and len(digits) in (15, 16))):
        return CARD
    return raw


def _sub_iban(match: re.Match[str]) -> str:
    # the pattern may run into the next word ("... 00 please"): try shorter prefixes too
    parts = match.group(0).split(" ")
    for end in range(len(parts), 0, -1):
        candidate = " ".join(parts[:end])
        if _iban_ok(candidate):
            return IBAN + match.group(0)[len(candidate) :]
    return match.group(0)


def _sub_phone(match: re.Match[str]) -> str:
    return match.group(0) if _is_order_reference(match) else PHONE


def redact(text: str) -> str:
    """Return ``text`` with e-mails, phones, card numbers, IBANs and street addresses replaced.

    Pure and idempotent: ``redact(redact(t)) == redact(t)``. Never raises on str input.
    """
    if not text:
        return text
    out = _EMAIL_RE.sub(EMAIL, text)
    out = _EMAIL_OBF_RE.sub(EMAIL, out)
    out = _IBAN_RE.sub(_sub_iban, out)
    out = _CARD_RE.sub(_sub_card, out)
    out = _PHONE_RE.sub(_sub_phone, out)
    for rx in _ADDRESS_RES:
        out = rx.sub(ADDRESS, out)
    return out


def contains_pii(text: str) -> bool:
    """True if :func:`redact` would change ``text``."""
    return redact(text) != text
