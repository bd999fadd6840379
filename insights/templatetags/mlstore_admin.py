"""``{% store_summary %}`` for the admin home: this month's sales and links to the dashboards."""

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.inclusion_tag("admin/mlstore/_home_summary.html")
def store_summary() -> dict[str, Any]:
    from mlops import dashboard
    from mlops.models import Alert

    data = dashboard.dashboard_get(period_key="30", with_panels=False)
    return {
        "data": data,
        "conversion": f"{data.conversion_rate:.1%}" if data.conversion_rate is not None else "n/a",
        "open_alerts": Alert.objects.filter(resolved_at__isnull=True).count(),
    }


@register.filter
def metric(value: Any) -> Any:
    """A recorded metric as a merchant reads it: 4 significant digits for fractions
    (0.6944, not 0.6944447092889807), whole numbers as they are."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.4g}"
    return value


@register.filter
def metric_pairs(metrics: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """A version's metrics as (name, value) pairs: ``metrics.items`` in a template reads a
    metric named "items" (the recommender records one) instead of the dict method."""
    return list((metrics or {}).items())


@register.simple_tag
def customer_link(customer_id: int | None, name: str = "") -> SafeString | str:
    """ "#123" linked to the customer's admin page, with the username the customers list
    already shows beside it (staff pages only)."""
    if customer_id is None:
        return ""
    try:
        url = reverse("admin:customers_customer_change", args=[customer_id])
    except NoReverseMatch:  # customers admin not installed
        return f"#{customer_id}"
    if name:
        return format_html(
            '<a href="{}">#{}</a> <span class="mls-muted">{}</span>', url, customer_id, name
        )
    return format_html('<a href="{}">#{}</a>', url, customer_id)


@register.filter
def rec_source(key: str) -> SafeString:
    """A recommendation source as its label, the raw key kept in the tooltip."""
    from recommendations.facade import source_label

    return format_html('<span title="{}">{}</span>', key, source_label(key))


@register.filter
def rec_slot(key: str) -> SafeString:
    """A recommendation slot ("for_you") as the merchant names it ("For you")."""
    from recommendations.models import Slot

    return format_html('<span title="{}">{}</span>', key, dict(Slot.choices).get(key, key))
