"""``{% store_summary %}`` for the admin home: this month's sales and links to the dashboards."""

from typing import Any

from django import template

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
