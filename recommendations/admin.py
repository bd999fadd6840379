"""Merchant views: pins and blocks, precomputed lists with the model versions and their
metrics, coverage, and click-through/revenue by slot, source and A/B variant."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from recommendations import selectors
from recommendations.facade import source_label
from recommendations.models import MerchandisingRule, RecommendationList


@admin.register(MerchandisingRule)
class MerchandisingRuleAdmin(admin.ModelAdmin):
    list_display = ["product", "kind", "slot", "position", "is_active", "note", "created_at"]
    list_filter = ["kind", "slot", "is_active"]
    list_editable = ["position", "is_active"]
    search_fields = ["product__sku", "product__name", "note"]
    raw_id_fields = ["product"]
    list_select_related = ["product"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        selectors.cache_bump()  # the storefront sees the pin/block at once

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        selectors.cache_bump()


@admin.register(RecommendationList)
class RecommendationListAdmin(admin.ModelAdmin):
    """Precomputed lists; the list page also shows the performance report."""

    list_display = ["customer_id", "slot", "model_version", "length", "top_sources", "created_at"]
    list_filter = ["slot", "model_version"]
    search_fields = ["customer__id"]
    readonly_fields = ["customer", "slot", "items", "model_version", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="items")
    def length(self, obj: RecommendationList) -> int:
        return len(obj.items)

    @admin.display(description="sources (top 10)")
    def top_sources(self, obj: RecommendationList) -> SafeString:
        counts: dict[str, int] = {}
        for item in obj.items[:10]:
            counts[item.get("source", "")] = counts.get(item.get("source", ""), 0) + 1
        ranked = sorted(counts.items(), key=lambda kv: -kv[1])
        return format_html_join(
            ", ",
            "{} {}",
            ((format_html('<span title="{}">{}</span>', k, source_label(k)), v) for k, v in ranked),
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        from mlops.selectors import model_versions_list

        versions = model_versions_list(capability="recommendations")[:10]
        context = {
            **(extra_context or {}),
            "rec_versions": [
                {
                    "version": v.version,
                    "status": v.status,
                    "created_at": v.created_at,
                    **{
                        k.replace("@", "_at_"): (v.metrics or {}).get(k)
                        for k in (
                            "ndcg@10",
                            "popularity_ndcg@10",
                            "recall@10",
                            "map@10",
                            "coverage@10",
                        )
                    },
                }
                for v in versions
            ],
            "rec_coverage": selectors.precomputed_lists_report(),
            "rec_feedback": selectors.feedback_report(),
            "rec_variants": selectors.feedback_by_variant(),
        }
        return super().changelist_view(request, extra_context=context)  # type: ignore[return-value]
