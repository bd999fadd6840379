"""Business rules on recommendation lists that need no database: pure functions on names.

A cart slot that suggests "the same jug (Classic)" or the sofa in another colour wastes a
place: the shopper has chosen that product already. ``near_copy`` says whether a candidate
is such a variant of a cart item: the same category, the same head noun (the last word of
the name before its ", size, colour" tail and "(Mk II)" suffix), and the same words once
size, colour, pack and version words are left out (at most one word differs, token Jaccard
>= ``NEAR_COPY_JACCARD``). A qualifier word is not left out: "Tomato Plant Food" and
"Organic Plant Food" are two products, though a brand name makes them share 4 of 6 words.
The catalogue has no product-group field; when it gets one, compare that first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

NEAR_COPY_JACCARD = 0.6
NEAR_COPY_MAX_DIFF = 1  # words in one name and not the other, variant words aside
# attribute keys whose values name a variant rather than a different product. Not
# "material_or_style": in the demo it holds the qualifier that makes the product ("Folding
# Bird Seed", "Kids' 3D Puzzle"); dropped, such names differed only in their head noun.
VARIANT_KEYS = frozenset(
    {
        "size", "colour", "color", "weight", "capacity", "length", "volume", "material",
        "scent", "pack", "pieces",
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
# the suffixes that tell two listings of one product apart ("Phone Stand (Mk II)")
VERSION_WORDS = frozenset({"mk", "ii", "iii", "edition", "2", "3", "classic", "plus", "pro"})
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_TAIL = re.compile(r"[,(].*$", re.S)  # ", Double, Forest" and "(Mk II)"


@dataclass(frozen=True, slots=True)
class NameKey:
    category_id: int
    tokens: frozenset[str]
    head: str = ""  # the head noun: "feeder" in "Ashby & Co Rust-Resistant Bird Feeder, Green"


def name_key(*, category_id: int, name: str, attributes: Mapping[str, Any] | None) -> NameKey:
    """The product's name words without size/colour/version words (its own attribute values
    too), and its head noun."""
    dropped = set(VARIANT_WORDS) | VERSION_WORDS
    for key, value in (attributes or {}).items():
        if str(key).lower() in VARIANT_KEYS:
            dropped.update(w.lower() for w in _WORD.findall(str(value)))
    words = frozenset(w.lower() for w in _WORD.findall(name)) - dropped
    base = [w.lower() for w in _WORD.findall(_TAIL.sub("", name))] or [""]
    return NameKey(int(category_id), words, base[-1])


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def near_copy(candidate: NameKey, anchors: Iterable[NameKey]) -> bool:
    """True when ``candidate`` is a size/colour variant or near-identical name of an anchor."""
    return any(
        a.category_id == candidate.category_id
        and a.head == candidate.head
        and len(a.tokens ^ candidate.tokens) <= NEAR_COPY_MAX_DIFF
        and jaccard(a.tokens, candidate.tokens) >= NEAR_COPY_JACCARD
        for a in anchors
    )
