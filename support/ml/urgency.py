"""Urgency from wording: a transparent multilingual lexicon (en, de, fr, es, nl, it).

Returns a score in [0, 1] and the cues that fired, so agents see why a ticket was escalated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# (pattern, weight): strong cues alone make a ticket urgent (>= 0.6)
_CUES: list[tuple[str, float]] = [
    # explicit urgency
    (r"\b(urgent|urgently|asap|a\.s\.a\.p|immediately|right now|right away|emergency)\b", 0.6),
    (r"\b(dringend|sofort|eilig|notfall|umgehend)\b", 0.6),
    (r"\b(urgent|urgence|imm[ée]diatement|tout de suite|au plus vite)\b", 0.6),
    (r"\b(urgente|urgentemente|inmediatamente|cuanto antes|ya mismo)\b", 0.6),
    (r"\b(dringend|onmiddellijk|meteen|spoed|zo snel mogelijk)\b", 0.6),
    (r"\b(urgente|subito|immediatamente|al pi[uù] presto)\b", 0.6),
    # money lost / security
    (r"\b(fraud|fraudulent|scam|stolen|hacked|unauthori[sz]ed|someone else)\b", 0.6),
    (r"\b(charged twice|double charged|charged two times|overcharged)\b", 0.5),
    (r"\b(betrug|gestohlen|gehackt|zweimal abgebucht)\b", 0.6),
    (r"\b(fraude|vol[ée]|pirat[ée]|d[ée]bit[ée] deux fois)\b", 0.6),
    (r"\b(robad[oa]|hackead[oa]|cobrad[oa] dos veces)\b", 0.6),
    (r"\b(frode|rubat[oa]|addebitato due volte)\b", 0.6),
    (r"\b(oplichting|gestolen|gehackt|dubbel afgeschreven)\b", 0.6),
    # escalation threats
    (r"\b(lawyer|attorney|legal action|sue|chargeback|trading standards|ombudsman)\b", 0.5),
    (r"\b(anwalt|rechtsanwalt|avocat|abogado|avvocato|advocaat)\b", 0.5),
    # time pressure
    (r"\b(today|tonight|tomorrow|deadline|still (?:not|hasn'?t|haven'?t)|weeks? late)\b", 0.25),
    (r"\b(heute|morgen|aujourd'hui|demain|hoy|ma[ñn]ana|oggi|domani|vandaag|morgen)\b", 0.25),
    (
        r"\b(never (?:arrived|received|came)|not arrived|hasn'?t arrived|didn'?t arrive|missing)\b",
        0.3,
    ),
    # the same in the other languages: a German parcel that "ist nicht angekommen" is as late
    (r"\b(nicht angekommen|nie angekommen|nicht erhalten|nie erhalten)\b", 0.3),
    (r"(pas (?:encore )?arriv[ée]e?|jamais (?:arriv[ée]e?|re[çc]ue?)|pas re[çc]ue?)\b", 0.3),
    (r"\b(no (?:me )?ha llegado|no lleg[óo]|nunca lleg[óo]|no (?:lo )?he recibido)\b", 0.3),
    (r"\b(niet aangekomen|nooit aangekomen|niet ontvangen|nooit ontvangen)\b", 0.3),
    (r"\b(non (?:[èe] )?(?:ancora )?arrivat[oa]|mai arrivat[oa]|non ho ricevuto)\b", 0.3),
    # a customer who has had to write before: with upset wording that makes it "high"
    (
        r"\b((?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time|how many times|yet again|"
        r"once again|nobody|no one|no answer|no reply|ignored)\b",
        0.25,
    ),
    (r"\bagain\b", 0.1),  # "send the link again" is a request, not a repeat complaint
    (r"!{2,}", 0.2),
]
_COMPILED = [(re.compile(p, re.IGNORECASE), w) for p, w in _CUES]


@dataclass(frozen=True)
class Urgency:
    score: float  # 0..1
    cues: tuple[str, ...]


def urgency_score(text: str) -> Urgency:
    """Score urgency of one message; combines cues as 1 - prod(1 - w)."""
    remaining = 1.0
    cues: list[str] = []
    for rx, weight in _COMPILED:
        m = rx.search(text or "")
        if m and m.group(0).lower() not in cues:  # "urgent" is English and French: count once
            remaining *= 1.0 - weight
            cues.append(m.group(0).lower())
    letters = [c for c in (text or "") if c.isalpha()]
    if len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.6:
        remaining *= 0.8  # shouting
        cues.append("CAPITALS")
    return Urgency(score=round(1.0 - remaining, 4), cues=tuple(cues))
