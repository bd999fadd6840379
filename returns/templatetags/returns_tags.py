"""The order page's returns block: rendered from the order the page already has, so the
storefront's view needs no change; the form posts to the returns API."""

from typing import Any

from django import template

from returns import selectors
from returns.models import ReturnLine

register = template.Library()


@register.inclusion_tag("returns/_order_returns_form.html", takes_context=True)
def order_returns_form(context: template.Context, order: Any) -> dict[str, Any]:
    returnability = selectors.order_returnability(order=order)
    returns = list(selectors.return_list_for_order(order_id=order.pk))
    return {
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "order": order,
        "returnability": returnability,
        "returns": returns,
        "reasons": ReturnLine.Reason.choices,
        "show": returnability.eligible or bool(returns) or order.status == "fulfilled",
    }
