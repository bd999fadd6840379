"""Language detection with lingua (its models ship inside the PyPI wheel; nothing downloaded).

Restricted to the store's languages: English, German, French, Spanish, Dutch, Italian,
Portuguese (added once the intent model learnt Portuguese requests: they read as Spanish).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

SUPPORTED = ("en", "de", "fr", "es", "nl", "it", "pt")


@dataclass(frozen=True)
class LanguageGuess:
    code: str  # ISO 639-1, or "und" when the text has no letters
    confidence: float


@lru_cache(maxsize=1)
def _detector() -> Any:
    from lingua import Language, LanguageDetectorBuilder

    langs = [
        Language.ENGLISH,
        Language.GERMAN,
        Language.FRENCH,
        Language.SPANISH,
        Language.DUTCH,
        Language.ITALIAN,
        Language.PORTUGUESE,
    ]
    return LanguageDetectorBuilder.from_languages(*langs).with_preloaded_language_models().build()


# Spanish and Portuguese share most short words, and lingua mixes them up on two or three
# words ("he olvidado mi" read as Portuguese). Letters and common words only one of the two
# uses settle it when they are the two best guesses.
_IBERIAN_MARKS = {
    "es": (
        frozenset("ñ¿¡"),
        frozenset(
            [
                "el",
                "los",
                "del",
                "mi",
                "mis",
                "y",
                "yo",
                "hola",
                "gracias",
                "usted",
                "muy",
                "hay",
                "pero",
                "he",
                "cómo",
                "quiero",
                "puedo",
            ]
        ),
    ),
    "pt": (
        frozenset("ãõç"),
        frozenset(
            [
                "não",
                "um",
                "uma",
                "meu",
                "minha",
                "meus",
                "minhas",
                "você",
                "olá",
                "obrigado",
                "obrigada",
                "é",
                "com",
                "ao",
                "em",
                "na",
                "quero",
                "posso",
                "ainda",
                "já",
                "também",
            ]
        ),
    ),
}
_WORD_RE = re.compile(r"[^\W\d_]+")


def _iberian_pick(text: str) -> str | None:
    """ "es" or "pt" when the text has marks of one of them only, else None."""
    lowered = text.lower()
    words = set(_WORD_RE.findall(lowered))
    found = [
        code
        for code, (letters, common) in _IBERIAN_MARKS.items()
        if any(ch in letters for ch in lowered) or words & common
    ]
    return found[0] if len(found) == 1 else None


def detect_language(text: str, default: str = "en") -> LanguageGuess:
    """Most likely language among SUPPORTED with lingua's confidence (0..1).

    Texts without letters get ``"und"``; very short texts fall back to ``default`` when lingua
    is unsure (confidence < 0.3), since most of the store's tickets are in its main language.
    When Spanish and Portuguese are the two best guesses, the words decide between them
    (`_iberian_pick`).
    """
    if not any(ch.isalpha() for ch in text or ""):
        return LanguageGuess("und", 0.0)
    values = _detector().compute_language_confidence_values(text[:2000])
    if not values:
        return LanguageGuess(default, 0.0)
    confidence = {v.language.iso_code_639_1.name.lower(): float(v.value) for v in values}
    code = values[0].language.iso_code_639_1.name.lower()
    runner_up = values[1].language.iso_code_639_1.name.lower() if len(values) > 1 else ""
    if {code, runner_up} == {"es", "pt"}:
        code = _iberian_pick(text) or code
    # the unsure check leaves out the other Iberian language, whose near-equal share would
    # otherwise send short Spanish (or French, Italian...) texts to the default
    other = confidence.get("es" if code == "pt" else "pt", 0.0)
    sure = confidence[code] / (1.0 - other) if other < 1.0 else confidence[code]
    if sure < 0.3 and len(text.split()) < 4:
        return LanguageGuess(default, confidence[code])
    return LanguageGuess(code, confidence[code])
