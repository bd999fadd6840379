"""Customer intelligence in the admin: segments, churn, propensity, abandoned carts, exports.

Pages (staff only): ``/admin/insights/customerscore/overview/`` and
``/admin/insights/customerscore/abandoned-carts/``; CSV exports beside them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from insights import api, selectors
from insights.models import CustomerScore
from mlops.dashboard import Table


@admin.register(CustomerScore)
class CustomerScoreAdmin(admin.ModelAdmin):
    list_display = [
        "customer",
        "segment",
        "recency_days",
        "frequency",
        "monetary",
        "churn_risk",
        "propensity_7d",
        "source",
        "scored_at",
    ]
    list_filter = ["segment", "source"]
    ordering = ["-churn_risk"]
    readonly_fields = [f.name for f in CustomerScore._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("overview/", wrap(self.overview_view), name="insights_overview"),
            path("abandoned-carts/", wrap(self.carts_view), name="insights_abandoned_carts"),
            path("export/customers.csv", wrap(self.export_customers_view), name="insights_export"),
            path(
                "export/abandoned-carts.csv",
                wrap(self.export_carts_view),
                name="insights_export_carts",
            ),
        ] + super().get_urls()

    def _context(self, request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "title": title, **extra}

    def overview_view(self, request: HttpRequest) -> HttpResponse:
        segments = selectors.segment_summary()
        table = Table(
            "segments",
            "RFM segments",
            ["segment", "customers", "avg_churn_risk", "avg_propensity_7d", "revenue_12m"],
            [
                [
                    s.segment,
                    s.customers,
                    f"{s.avg_churn_risk:.2f}",
                    f"{s.avg_propensity:.2f}",
                    s.revenue,
                ]
                for s in segments
            ],
        )
        spec = {
            "data": [
                {
                    "type": "bar",
                    "name": "Customers",
                    "x": [s.segment for s in segments],
                    "y": [s.customers for s in segments],
                },
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": "Avg churn risk",
                    "yaxis": "y2",
                    "x": [s.segment for s in segments],
                    "y": [round(s.avg_churn_risk, 3) for s in segments],
                },
            ],
            "layout": {
                "height": 320,
                "margin": {"l": 50, "r": 50, "t": 30, "b": 80},
                "yaxis2": {"overlaying": "y", "side": "right", "range": [0, 1]},
                "legend": {"orientation": "h"},
            },
        }
        if request.GET.get("export") == "segments":
            from mlops.admin import csv_response

            return csv_response(table, "segments")
        at_risk = list(
            selectors.customer_scores(order_by="-churn_risk", buyers_only=True).select_related(
                "customer__user"
            )[:15]
        )
        likely = list(
            selectors.customer_scores(order_by="-propensity_7d").select_related("customer__user")[
                :15
            ]
        )
        context = self._context(
            request,
            "Customer intelligence",
            chart={"key": "segments", "table": table, "spec": spec},
            segments=segments,
            at_risk=at_risk,
            likely=likely,
        )
        return TemplateResponse(request, "admin/mlstore/insights.html", context)

    def carts_view(self, request: HttpRequest) -> HttpResponse:
        carts = selectors.abandoned_carts(limit=50)
        # carts the shop may write to first; the others stay listed, marked as unreachable
        carts.sort(key=lambda c: not c.contactable)
        context = self._context(
            request,
            "Abandoned carts",
            carts=carts,
            summary=selectors.cart_recovery_summary(carts),
        )
        return TemplateResponse(request, "admin/mlstore/abandoned_carts.html", context)

    def export_customers_view(self, request: HttpRequest) -> HttpResponse:
        segment = request.GET.get("segment") or None
        return api.marketing_csv(segment)

    def export_carts_view(self, request: HttpRequest) -> HttpResponse:
        return api.abandoned_carts_csv()
