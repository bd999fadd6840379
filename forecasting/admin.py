"""Merchant views: reorder list by stockout risk (CSV export), a forecast chart per product
(history, forecast, intervals, stockouts) and backtest accuracy over time."""

from __future__ import annotations

import math
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from catalog import facade as catalog
from forecasting import charts, facade, selectors
from forecasting.api import reorder_csv_response
from forecasting.models import ForecastAccuracy, ReorderSuggestion


@admin.register(ReorderSuggestion)
class ReorderSuggestionAdmin(admin.ModelAdmin):
    list_display = [
        "product",
        "on_hand",
        "incoming",
        "lead_time_days",
        "reorder_at",
        "order_quantity",
        "shoppers_waiting",
        "risk",
        "stockout_date",
        "chart",
    ]
    # the view page: stock quantities in whole units, rates as percentages
    fields = [
        "product",
        "on_hand",
        "incoming",
        "lead_time_days",
        "service",
        "lead_time_demand_units",
        "safety_stock_units",
        "reorder_at",
        "order_quantity",
        "risk",
        "projected_stockout_date",
        "model_version",
        "computed_at",
    ]
    readonly_fields = [
        "service",
        "lead_time_demand_units",
        "safety_stock_units",
        "reorder_at",
        "risk",
    ]
    list_select_related = ["product"]
    ordering = ["-stockout_risk", "projected_stockout_date"]
    search_fields = ["product__sku", "product__name"]
    list_filter = ["lead_time_days"]
    actions = ["create_purchase_orders", "export_csv"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReorderSuggestion]:
        # shoppers who asked to be e-mailed when it is back: demand the forecast cannot see
        waiting = catalog.stock_alerts_waiting_subquery(product_ref="product_id")
        return super().get_queryset(request).annotate(shoppers_waiting_n=waiting)

    @admin.display(description="shoppers waiting", ordering="shoppers_waiting_n")
    def shoppers_waiting(self, obj: ReorderSuggestion) -> int | str:
        return getattr(obj, "shoppers_waiting_n", 0) or "-"

    @admin.display(description="reorder at (units)", ordering="reorder_point")
    def reorder_at(self, obj: ReorderSuggestion) -> int:
        # a stock level: 0.49 units means "reorder once the last unit is gone or going", so
        # up to the next whole unit (a tiny epsilon keeps 3.0000001 at 3)
        return math.ceil(obj.reorder_point - 1e-9)

    @admin.display(description="safety stock (units)", ordering="safety_stock")
    def safety_stock_units(self, obj: ReorderSuggestion) -> int:
        return math.ceil(obj.safety_stock - 1e-9)

    @admin.display(description="expected sales in lead time (units)")
    def lead_time_demand_units(self, obj: ReorderSuggestion) -> str:
        return f"{obj.lead_time_demand:.1f}"  # an expectation, not a stock level

    @admin.display(description="service level")
    def service(self, obj: ReorderSuggestion) -> str:
        return f"{obj.service_level:.0%}"

    @admin.display(description="stockout by", ordering="projected_stockout_date")
    def stockout_date(self, obj: ReorderSuggestion) -> str:
        d = obj.projected_stockout_date
        return d.isoformat() if d else "-"  # 2026-12-05: narrower than "Dec. 5, 2026"

    @admin.display(description="stockout risk", ordering="stockout_risk")
    def risk(self, obj: ReorderSuggestion) -> str:
        return f"{obj.stockout_risk:.0%}"

    @admin.display(description="forecast")
    def chart(self, obj: ReorderSuggestion) -> str:
        url = reverse("admin:forecasting_chart", args=[obj.product_id])
        return format_html('<a href="{}">chart</a>', url)

    @admin.action(description="Export selected as CSV")
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[ReorderSuggestion]
    ) -> HttpResponse:
        ids = set(queryset.values_list("product_id", flat=True))
        return reorder_csv_response(
            [r for r in facade.reorder_suggestions() if r.product_id in ids]
        )

    @admin.action(description="Create purchase orders")
    def create_purchase_orders(
        self, request: HttpRequest, queryset: QuerySet[ReorderSuggestion]
    ) -> None:
        from catalog import facade as catalog

        skus = dict(queryset.values_list("product_id", "product__sku"))
        result = catalog.purchase_orders_from_suggestions(
            product_ids=list(skus), user_id=request.user.pk
        )
        for po in result.purchase_orders:
            self.message_user(
                request,
                f"{po.supplier}: {po.number} (draft), {po.lines_added} line(s) added, "
                f"{po.units_added} units",
            )
        for product_id, reason in result.skipped.items():
            self.message_user(
                request,
                f"{skus.get(product_id, product_id)}: not ordered, {reason}",
                messages.WARNING,
            )
        if not result.purchase_orders:
            self.message_user(request, "No purchase order created", messages.WARNING)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("chart/<int:product_id>/", wrap(self.chart_view), name="forecasting_chart"),
            path("accuracy/", wrap(self.accuracy_view), name="forecasting_accuracy"),
            path("export/", wrap(self.export_view), name="forecasting_reorder_export"),
            *super().get_urls(),
        ]

    def chart_view(self, request: HttpRequest, product_id: int) -> HttpResponse:
        from catalog import facade as catalog

        product = catalog.product_get(product_id)
        fc = facade.product_forecast(product_id=product_id, history_days=180)
        note = (
            f"model {fc.model_version}, method {fc.method}"
            if fc.source == "model"
            else "No stored forecast yet: flat recent average shown (fallback)."
        )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Demand forecast: {product.name}",
            "heading": f"{product.sku} {product.name}",
            "note": note,
            "spec": charts.product_chart(fc),
            "table": {
                "columns": ["date", "forecast", "80 % low", "80 % high", "95 % low", "95 % high"],
                "rows": [
                    [
                        p.date,
                        f"{p.forecast:.1f}",
                        f"{p.lo80:.1f}",
                        f"{p.hi80:.1f}",
                        f"{p.lo95:.1f}",
                        f"{p.hi95:.1f}",
                    ]
                    for p in fc.forecast
                ],
            },
        }
        return TemplateResponse(request, "admin/forecasting/chart.html", context)

    def accuracy_view(self, request: HttpRequest) -> HttpResponse:
        rows = list(selectors.accuracy_list())
        context = {
            **self.admin_site.each_context(request),
            "title": "Forecast accuracy (backtests)",
            "heading": "Backtest MASE and WAPE per training run (last 28 days held out)",
            "spec": charts.accuracy_chart(rows),
            "table": {
                "columns": [
                    "trained",
                    "cutoff",
                    "products",
                    "MASE",
                    "seasonal naive MASE",
                    "WAPE",
                    "80 % coverage",
                    "95 % coverage",
                    "version",
                ],
                "rows": [
                    [
                        r.computed_at.date(),
                        r.cutoff,
                        r.n_series,
                        _f(r.mase),
                        _f(r.baseline_mase),
                        _f(r.wape),
                        _f(r.coverage80),
                        _f(r.coverage95),
                        r.model_version,
                    ]
                    for r in rows
                ],
            },
        }
        return TemplateResponse(request, "admin/forecasting/chart.html", context)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        return reorder_csv_response(facade.reorder_suggestions())


def _f(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


@admin.register(ForecastAccuracy)
class ForecastAccuracyAdmin(admin.ModelAdmin):
    list_display = [
        "computed_at",
        "cutoff",
        "n_series",
        "mase_shown",
        "baseline_shown",
        "wape_shown",
        "coverage80_shown",
        "coverage95_shown",
        "model_version",
    ]
    ordering = ["-computed_at"]

    # scores to two decimals and shares as percentages: the raw floats
    # (0.8473920183) said nothing more and widened the list
    @admin.display(description="MASE (lower is better)", ordering="mase")
    def mase_shown(self, obj: ForecastAccuracy) -> str:
        return _score(obj.mase)

    @admin.display(description="seasonal naive MASE", ordering="baseline_mase")
    def baseline_shown(self, obj: ForecastAccuracy) -> str:
        return _score(obj.baseline_mase)

    @admin.display(description="WAPE", ordering="wape")
    def wape_shown(self, obj: ForecastAccuracy) -> str:
        return _share(obj.wape)

    @admin.display(description="80% interval coverage", ordering="coverage80")
    def coverage80_shown(self, obj: ForecastAccuracy) -> str:
        return _share(obj.coverage80)

    @admin.display(description="95% interval coverage", ordering="coverage95")
    def coverage95_shown(self, obj: ForecastAccuracy) -> str:
        return _share(obj.coverage95)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
