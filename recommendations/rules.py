"""Business rules on recommendation lists that need no database: pure functions on names.

A cart slot that suggests "the same jug (Classic)" or the sofa in another colour wastes a
place: the shopper has chosen that product already. ``near_copy`` says whether a candidate
is such a variant of a cart item: the same category and names that share most of their
words once size and colour words are left out (token Jaccard >= ``NEAR_COPY_JACCARD``).
The catalogue has no product-group field; when it gets one, compare that first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

NEAR_COPY_JACCARD = 0.6
# attribute keys whose values name a variant rather than a different product: without the
# material/style words "Brightwell Marble-Effect Mirror" and "... Cushion" share 3 of 5 words
VARIANT_KEYS = frozenset(
    {
        "size", "colour", "color", "weight", "capacity", "length", "volume", "material",
        "material_or_style", "scent",
    }
)  # fmt: skip
# size and colour words that mark a variant even when no attribute carries them
VARIANT_WORDS = frozenset(
    {
        "xxs", "xs", "s", "m", "l", "xl", "xxl", "small", "medium", "large", "mini", "single",
        "double", "king", "super", "queen", "cm", "mm", "ml", "g", "kg",
        "black", "white", "grey", "gray", "red", "blue", "green", "navy", "forest", "sage",
        "oat", "ivory", "rose", "teal", "stone", "cream", "pink", "yellow", "brown", "natural",
        "charcoal", "ochre", "terracotta", "olive", "sand", "slate", "mustard", "blush",
    }
)  # fmt: skip
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class NameKey:
    category_id: int
    tokens: frozenset[str]


def name_key(*, category_id: int, name: str, attributes: Mapping[str, Any] | None) -> NameKey:
    """The product's name words without size/colour words (its own attribute values too)."""
    dropped = set(VARIANT_WORDS)
    for key, value in (attributes or {}).items():
        if str(key).lower() in VARIANT_KEYS:
            dropped.update(w.lower() for w in _WORD.findall(str(value)))
    words = frozenset(w.lower() for w in _WORD.findall(name)) - dropped
    return NameKey(int(category_id), words)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def near_copy(candidate: NameKey, anchors: Iterable[NameKey]) -> bool:
    """True when ``candidate`` is a size/colour variant or near-identical name of an anchor."""
    return any(
        a.category_id == candidate.category_id
        and jaccard(a.tokens, candidate.tokens) >= NEAR_COPY_JACCARD
        for a in anchors
    )
