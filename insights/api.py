"""Staff-only customer intelligence API: segments, scores, abandoned carts, CSV exports."""

from __future__ import annotations

import csv

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from insights import selectors
from insights.ml.rfm import SEGMENTS
from storefront.pagination import PagePagination

MARKETING_COLUMNS = [
    "email",
    "customer_id",
    "segment",
    "churn_risk",
    "propensity_7d",
    "recency_days",
    "orders_12m",
    "spend_12m",
]


class SegmentListApi(APIView):
    permission_classes = [IsAdminUser]

    class OutputSerializer(serializers.Serializer):
        segment = serializers.CharField()
        customers = serializers.IntegerField()
        avg_churn_risk = serializers.FloatField()
        avg_propensity = serializers.FloatField()
        revenue = serializers.DecimalField(max_digits=14, decimal_places=2)

    @extend_schema(responses=OutputSerializer(many=True), summary="RFM segments with counts")
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(selectors.segment_summary(), many=True).data)


class CustomerScoreListApi(APIView):
    """Scored customers by id (no personal data); the marketing export adds e-mails."""

    permission_classes = [IsAdminUser]
    pagination_class = PagePagination  # read by the schema: the answer is a page

    class FilterSerializer(serializers.Serializer):
        segment = serializers.ChoiceField(choices=SEGMENTS, required=False)
        order_by = serializers.ChoiceField(
            choices=["-churn_risk", "-propensity_7d", "-monetary", "recency_days"],
            required=False,
            default="-churn_risk",
        )

    class OutputSerializer(serializers.Serializer):
        customer_id = serializers.IntegerField()
        segment = serializers.CharField()
        r_score = serializers.IntegerField()
        f_score = serializers.IntegerField()
        m_score = serializers.IntegerField()
        recency_days = serializers.FloatField()
        frequency = serializers.IntegerField()
        monetary = serializers.DecimalField(max_digits=12, decimal_places=2)
        churn_risk = serializers.FloatField()
        propensity_7d = serializers.FloatField()
        source = serializers.CharField()  # type: ignore[assignment]  # a field named "source"
        model_version = serializers.CharField()

    @extend_schema(
        parameters=[FilterSerializer],
        responses=OutputSerializer(many=True),
        summary="Customer scores",
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = selectors.customer_scores(**filters.validated_data)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class AbandonedCartListApi(APIView):
    permission_classes = [IsAdminUser]

    class OutputSerializer(serializers.Serializer):
        cart_id = serializers.IntegerField()
        updated_at = serializers.DateTimeField()
        customer_id = serializers.IntegerField(allow_null=True)
        contactable = serializers.BooleanField()
        value = serializers.DecimalField(max_digits=12, decimal_places=2)
        items = serializers.SerializerMethodField()
        propensity = serializers.FloatField(allow_null=True)
        action = serializers.CharField(
            help_text='"reminder", "discount", "recommend"; "none" when the customer may not be '
            "e-mailed (no marketing consent, erased, or a visitor)"
        )
        discount_pct = serializers.IntegerField()
        recommended = serializers.ListField(child=serializers.CharField())

        @extend_schema_field(serializers.ListField(child=serializers.DictField()))
        def get_items(self, obj: selectors.CartSuggestion) -> list[dict[str, object]]:
            return [{"name": n, "quantity": q, "unit_price": str(p)} for n, q, p in obj.items]

    @extend_schema(responses=OutputSerializer(many=True), summary="Abandoned carts to recover")
    def get(self, request: Request) -> Response:
        carts = selectors.abandoned_carts()
        return Response(self.OutputSerializer(carts, many=True).data)


def _csv(filename: str, columns: list[str], rows: list[list[object]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(columns)
    writer.writerows(rows)
    return response


def marketing_csv(segment: str | None) -> HttpResponse:
    rows = selectors.marketing_list(segment=segment)
    name = f"customers-{segment or 'all'}.csv"
    return _csv(name, MARKETING_COLUMNS, [[r[c] for c in MARKETING_COLUMNS] for r in rows])


def abandoned_carts_csv() -> HttpResponse:
    """Contactable carts only (consent given): e-mail is in the marketing export by id."""
    carts = [c for c in selectors.abandoned_carts(with_recommendations=True) if c.contactable]
    return _csv(
        "abandoned-carts.csv",
        [
            "cart_id",
            "customer_id",
            "updated_at",
            "value",
            "items",
            "propensity_7d",
            "action",
            "discount_pct",
            "recommended",
        ],
        [
            [
                c.cart_id,
                c.customer_id,
                c.updated_at.isoformat(),
                c.value,
                "; ".join(f"{q} x {n}" for n, q, _ in c.items),
                "" if c.propensity is None else round(c.propensity, 4),
                c.action,
                c.discount_pct,
                "; ".join(c.recommended),
            ]
            for c in carts
        ],
    )


class MarketingExportApi(APIView):
    """CSV of contactable customers (marketing consent, not erased), optionally one segment."""

    permission_classes = [IsAdminUser]

    class FilterSerializer(serializers.Serializer):
        segment = serializers.ChoiceField(choices=SEGMENTS, required=False)

    @extend_schema(
        parameters=[FilterSerializer],
        responses={(200, "text/csv"): str},
        summary="Marketing list CSV (consent honoured)",
    )
    def get(self, request: Request) -> HttpResponse:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return marketing_csv(filters.validated_data.get("segment"))


class AbandonedCartExportApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        responses={(200, "text/csv"): str},
        summary="Abandoned carts CSV (contactable customers only)",
    )
    def get(self, request: Request) -> HttpResponse:
        return abandoned_carts_csv()
