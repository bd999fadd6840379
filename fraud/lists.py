"""Block and allow lists (Stripe Radar style): item types, the default lists, and how a value
is normalised before it is stored or looked up. No database here.

List values are personal data (e-mail addresses, IPs, card fingerprints): never log them,
never feed them (or list membership) to the ML model; lists act through rules only.
"""

from __future__ import annotations

import ipaddress
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

EMAIL = "email"
EMAIL_DOMAIN = "email_domain"
CARD_FINGERPRINT = "card_fingerprint"
IP_ADDRESS = "ip_address"
COUNTRY = "country"
CUSTOMER_ID = "customer_id"

ITEM_TYPE_LABELS: dict[str, str] = {
    EMAIL: "e-mail address",
    EMAIL_DOMAIN: "e-mail domain",
    CARD_FINGERPRINT: "card fingerprint",
    IP_ADDRESS: "IP address",
    COUNTRY: "country",
    CUSTOMER_ID: "customer id",
}

# Checkout fields a rule may look up in a list (`field in @alias`), by the list's item type.
FIELD_ITEM_TYPES: dict[str, str] = {
    "email": EMAIL,
    "email_domain": EMAIL_DOMAIN,
    "card_fingerprint": CARD_FINGERPRINT,
    "ip_address": IP_ADDRESS,
    "customer_id": CUSTOMER_ID,
    "ip_country": COUNTRY,
    "billing_country": COUNTRY,
    "shipping_country": COUNTRY,
    "card_country": COUNTRY,
}
# Item types a block/allow list acts on without a rule: one checkout field each. Country
# lists need a rule saying which country (IP, billing, card...).
BUILT_IN_FIELDS: dict[str, str] = {
    EMAIL: "email",
    EMAIL_DOMAIN: "email_domain",
    CARD_FINGERPRINT: "card_fingerprint",
    IP_ADDRESS: "ip_address",
    CUSTOMER_ID: "customer_id",
}

# (alias, name, item type, kind, description): seeded by migration 0005, re-created on use
DEFAULT_LISTS: list[tuple[str, str, str, str, str]] = [
    (
        "blocked_emails",
        "Blocked e-mails",
        EMAIL,
        "block",
        "Checkouts from these e-mails are declined.",
    ),
    (
        "blocked_email_domains",
        "Blocked e-mail domains",
        EMAIL_DOMAIN,
        "block",
        "Checkouts with an e-mail at these domains are declined.",
    ),
    ("blocked_cards", "Blocked cards", CARD_FINGERPRINT, "block", "These cards are declined."),
    (
        "blocked_ips",
        "Blocked IP addresses",
        IP_ADDRESS,
        "block",
        "Checkouts from these IPs are declined.",
    ),
    (
        "allowed_emails",
        "Allowed e-mails",
        EMAIL,
        "allow",
        "Trusted shoppers: approved without review (the score is still recorded).",
    ),
    (
        "allowed_cards",
        "Allowed cards",
        CARD_FINGERPRINT,
        "allow",
        "Trusted cards: approved without review (the score is still recorded).",
    ),
]

ALIAS_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_FINGERPRINT_RE = re.compile(r"^[0-9a-f]{32}$")
_CARD_RE = re.compile(r"^\d{12,19}$")


def _luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number]
    checksum = sum(digits[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])
    return checksum % 10 == 0


def looks_like_card_number(value: str) -> bool:
    """A full card number (which the caller turns into a fingerprint, never stores)."""
    number = value.replace(" ", "").replace("-", "")
    return bool(_CARD_RE.match(number)) and _luhn_ok(number)


def value_normalise(item_type: str, raw: object) -> str:
    """The stored form of `raw` for a list of `item_type`; ValueError says what is wrong
    (without repeating the value: messages may end up in logs)."""
    text = str(raw if raw is not None else "").strip()
    if not text:
        raise ValueError("enter a value")
    if item_type == EMAIL:
        value = text.lower()
        try:
            validate_email(value)
        except ValidationError:
            raise ValueError("enter a valid e-mail address") from None
        return value
    if item_type == EMAIL_DOMAIN:
        value = text.lower().lstrip("@").rstrip(".")
        if not _DOMAIN_RE.match(value):
            raise ValueError("enter a domain such as example.com")
        return value
    if item_type == COUNTRY:
        value = text.upper()
        if not re.fullmatch(r"[A-Z]{2}", value):
            raise ValueError("enter a two-letter ISO country code such as GB")
        return value
    if item_type == IP_ADDRESS:
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            raise ValueError("enter a valid IPv4 or IPv6 address") from None
    if item_type == CUSTOMER_ID:
        if not text.isdigit() or int(text) < 1:
            raise ValueError("enter a customer id (a positive whole number)")
        return str(int(text))
    if item_type == CARD_FINGERPRINT:
        value = text.lower()
        if not _FINGERPRINT_RE.match(value):
            raise ValueError("enter a card fingerprint (32 hex characters) or a card number")
        return value
    raise ValueError(f"unknown list type {item_type!r}")
