"""Log filter that keeps personal data (emails, card numbers, phone numbers) out of logs."""

import logging
import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_CARD = re.compile(r"\b(?:\d[ -]?){13,19}\b")
# Not inside a word or a dashed token (task ids, UUIDs, SKUs), and not running into a time.
_PHONE = re.compile(r"(?<![\w-])\+?\d[\d ()-]{7,}\d(?![\w:-])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _phone(match: re.Match[str]) -> str:
    # ISO dates have a phone number's shape; logs are full of them
    return match.group(0) if _DATE.fullmatch(match.group(0)) else "[phone]"


def redact(text: str) -> str:
    text = _EMAIL.sub("[email]", text)
    text = _CARD.sub("[card]", text)
    return _PHONE.sub(_phone, text)


class RedactPiiFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not drop the record
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
