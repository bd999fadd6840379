"""Language detection with lingua (its models ship inside the PyPI wheel; nothing downloaded).

Restricted to the store's languages: English, German, French, Spanish, Dutch, Italian.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

SUPPORTED = ("en", "de", "fr", "es", "nl", "it")


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
    ]
    return LanguageDetectorBuilder.from_languages(*langs).with_preloaded_language_models().build()


def detect_language(text: str, default: str = "en") -> LanguageGuess:
    """Most likely language among SUPPORTED with lingua's confidence (0..1).

    Texts without letters get ``"und"``; very short texts fall back to ``default`` when lingua
    is unsure (confidence < 0.3), since most of the store's tickets are in its main language.
    """
    if not any(ch.isalpha() for ch in text or ""):
        return LanguageGuess("und", 0.0)
    values = _detector().compute_language_confidence_values(text[:2000])
    if not values:
        return LanguageGuess(default, 0.0)
    best = values[0]
    code = best.language.iso_code_639_1.name.lower()
    if best.value < 0.3 and len(text.split()) < 4:
        return LanguageGuess(default, float(best.value))
    return LanguageGuess(code, float(best.value))
