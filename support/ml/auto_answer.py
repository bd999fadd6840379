"""The automatic-answer decision: one rule for triage, ticket intake and the agent's explanation.

`auto_answer_decision` says whether a ticket is answered by the machine and, when it is not,
every reason in agent words. Triage calls it before the store's facts are known (reply, order,
article: ``None``), ticket intake with all of them, and the explanation with what the ticket
stored, so "why not answered" can never disagree with what happened.
"""

from __future__ import annotations

from dataclasses import dataclass

from support.ml.thresholds import NEVER

# answered with the customer's own order facts: no automatic answer without a linked order
ORDER_INTENTS = frozenset(
    {"cancel_order", "change_order", "track_order", "get_refund", "track_refund", "delivery_period"}
)
# never answered by a machine: the customer asked for a person, or is unhappy
NO_AUTO_INTENTS = frozenset({"contact_human_agent", "complaint", "payment_issue", "delete_account"})


@dataclass(frozen=True)
class AutoAnswerDecision:
    answer: bool
    reasons: tuple[str, ...]  # why not, in agent words; empty when answered


def auto_answer_decision(
    *,
    intent: str,
    intent_confidence: float | None,
    threshold: float | None,
    wants_human: bool,
    escalated: bool,
    model_triaged: bool = True,
    allow_auto: bool = True,
    has_reply: bool | None = None,
    order_linked: bool | None = None,
    article_language: str | None = None,
    language: str = "",
) -> AutoAnswerDecision:
    """Answer automatically only when a model triaged the text, its intent confidence reaches
    the intent's ``threshold`` and nothing requires a person.

    ``None`` means "not known here" and does not block: ``has_reply``/``order_linked`` before
    the store is searched, ``threshold`` when the model that triaged is no longer active.
    ``article_language`` is the suggested article's language (None: no article, a past reply).
    """
    reasons: list[str] = []
    if not model_triaged:
        reasons.append("no trained model")
    if not allow_auto:
        reasons.append("automatic answers were off for this ticket")
    if wants_human:
        reasons.append("the customer asked for a person")
    if escalated:
        reasons.append("negative and urgent")
    if intent in NO_AUTO_INTENTS:
        reasons.append(f"{intent} is always answered by a person")
    if has_reply is False:
        reasons.append("no help article or past reply to send")
    if intent in ORDER_INTENTS and order_linked is False:
        reasons.append("order question without a linked order")
    if article_language is not None and language and article_language != language:
        # articles are written in one language: no English answer to a German question
        reasons.append(f"the article is in {article_language}, the customer wrote in {language}")
    if model_triaged and threshold is not None:
        if threshold >= NEVER:
            reasons.append(f"{intent} is never answered automatically")
        elif intent_confidence is None or intent_confidence < threshold:
            reasons.append(f"confidence below the {threshold:.0%} needed for {intent}")
    return AutoAnswerDecision(answer=not reasons, reasons=tuple(reasons))
