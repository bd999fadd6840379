"""The shopper's "How did we do?" page, opened from the links in a solved ticket's e-mail.

No sign-in: the link's signed token names the ticket. Opening the link (GET) only shows the
form with the score chosen, so a mail scanner that follows links records nothing; sending it
(POST) records the rating. Text in the ticket's language (`support.customer_text`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from support import selectors, services
from support.customer_text import customer_texts
from support.models import SatisfactionRating, Ticket

TEMPLATE = "support/pages/rating.html"


def _page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    state: str,
    score: str,
    comment: str = "",
    error: str = "",
    reopened: bool = False,
    status: int = 200,
) -> HttpResponse:
    from storefront.views import _render  # the shop's layout: header, menu, cart count

    texts = customer_texts(ticket.language)
    days = str(services.RERATE_DAYS)
    return _render(
        request,
        TEMPLATE,
        {
            "state": state,  # "form", "thanks" or "closed"
            "ticket": ticket,
            "score": score,
            "comment": comment,
            "error": error,
            "reopened": reopened,
            "max_comment": services.MAX_COMMENT_CHARS,
            "t": {
                **texts,
                "rating_can_change": texts["rating_can_change"].format(days=days),
                "rating_closed": texts["rating_closed"].format(days=days),
            },
        },
        status=status,
    )


def _closed(rating: SatisfactionRating | None) -> bool:
    from datetime import timedelta

    from django.utils import timezone

    return rating is not None and rating.created_at < timezone.now() - timedelta(
        days=services.RERATE_DAYS
    )


@require_http_methods(["GET", "POST"])
def rating_page(request: HttpRequest, token: str) -> HttpResponse:
    ticket = selectors.satisfaction_ticket_for_token(token=token)
    if ticket is None:
        raise Http404("no such rating link")
    rating: SatisfactionRating | None = getattr(ticket, "satisfaction", None)
    if _closed(rating):
        assert rating is not None
        return _page(request, ticket, state="closed", score=rating.score, status=410)
    if request.method == "GET":
        score = request.GET.get("score", "")
        if score not in SatisfactionRating.Score.values:
            score = rating.score if rating else ""
        return _page(
            request, ticket, state="form", score=score, comment=rating.comment if rating else ""
        )
    score = request.POST.get("score", "")
    comment = request.POST.get("comment", "")
    was_open = ticket.status != Ticket.Status.SOLVED
    try:
        saved = services.ticket_satisfaction_rate(ticket_id=ticket.pk, score=score, comment=comment)
    except services.RatingClosed:
        return _page(request, ticket, state="closed", score=score, status=410)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"score": exc.messages}
        texts = customer_texts(ticket.language)
        # the shopper's words: a missing choice is the question again; a long comment, its limit
        error = (
            texts["rating_question"]
            if "score" in errors
            else f"{len(comment.strip())} / {services.MAX_COMMENT_CHARS}"
        )
        return _page(
            request, ticket, state="form", score=score, comment=comment, error=error, status=400
        )
    ticket.refresh_from_db(fields=["status"])
    reopened = not was_open and ticket.status != Ticket.Status.SOLVED
    return _page(request, ticket, state="thanks", score=saved.score, reopened=reopened)
