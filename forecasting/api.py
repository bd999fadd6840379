"""Forecasting API (staff only: sales history and stock plans are the merchant's business)."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from forecasting import facade, selectors

CSV_COLUMNS = [
    "product_id",
    "sku",
    "name",
    "on_hand",
    "incoming",
    "lead_time_days",
    "safety_stock",
    "reorder_point",
    "order_quantity",
    "stockout_risk",
    "projected_stockout_date",
    "model_version",
]


class ProductForecastApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    class InputSerializer(serializers.Serializer):
        history_days = serializers.IntegerField(
            min_value=7, max_value=730, default=90, help_text="days of sales history to show"
        )

    class HistorySerializer(serializers.Serializer):
        date = serializers.DateField()
        quantity = serializers.FloatField(help_text="units sold")
        stockout = serializers.BooleanField(help_text="stock ran out: sales understate demand")

    class PointSerializer(serializers.Serializer):
        date = serializers.DateField()
        forecast = serializers.FloatField(help_text="point forecast (median), units")
        expected = serializers.FloatField(help_text="expected (mean) units, for stock planning")
        lo80 = serializers.FloatField()
        hi80 = serializers.FloatField()
        lo95 = serializers.FloatField()
        hi95 = serializers.FloatField()

    OutputSerializer = inline_serializer(
        name="ProductForecast",
        fields={
            "product_id": serializers.IntegerField(),
            "method": serializers.CharField(help_text="global, seasonal_naive, ets, ..."),
            "source": serializers.ChoiceField(choices=["model", "fallback"]),
            "model_version": serializers.CharField(allow_null=True),
            "history": HistorySerializer(many=True),
            "forecast": PointSerializer(many=True),
        },
    )

    @extend_schema(
        summary="Daily sales history and 28-day demand forecast with 80 %/95 % intervals",
        parameters=[InputSerializer],  # the bounds it enforces (were in words only)
        responses={
            200: OutputSerializer,
            400: OpenApiResponse(description="bad history_days"),
            404: OpenApiResponse(description="unknown product"),
        },
    )
    def get(self, request: Request, product_id: int) -> Response:
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        fc = facade.product_forecast(
            product_id=product_id, history_days=data.validated_data["history_days"]
        )
        return Response(
            {
                "product_id": fc.product_id,
                "method": fc.method,
                "source": fc.source,
                "model_version": fc.model_version,
                "history": self.HistorySerializer(fc.history, many=True).data,
                "forecast": self.PointSerializer(fc.forecast, many=True).data,
            }
        )


class ReorderOutputSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    on_hand = serializers.IntegerField()
    incoming = serializers.IntegerField(help_text="units on open purchase orders")
    lead_time_days = serializers.IntegerField()
    safety_stock = serializers.FloatField()
    reorder_point = serializers.FloatField()
    order_quantity = serializers.IntegerField()
    stockout_risk = serializers.FloatField(
        help_text="0..1, chance of running out within the lead time"
    )
    projected_stockout_date = serializers.DateField(allow_null=True)
    model_version = serializers.CharField(allow_null=True)


class ReorderSuggestionListApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    class InputSerializer(serializers.Serializer):
        limit = serializers.IntegerField(
            min_value=1, max_value=1000, default=100, help_text="rows to return"
        )
        only_to_order = serializers.BooleanField(
            default=False, help_text="only rows with an order quantity"
        )

    @extend_schema(
        summary="Reorder suggestions, highest stockout risk first",
        parameters=[InputSerializer],
        responses={
            200: ReorderOutputSerializer(many=True),
            400: OpenApiResponse(description="bad parameter"),
        },
    )
    def get(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        rows = facade.reorder_suggestions()
        if data.validated_data["only_to_order"]:
            rows = [r for r in rows if r.order_quantity > 0]
        rows = rows[: data.validated_data["limit"]]
        return Response(ReorderOutputSerializer(rows, many=True).data)


class ReorderSuggestionExportApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        summary="All reorder suggestions as CSV (for the purchasing spreadsheet)",
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request: Request) -> HttpResponse:
        return reorder_csv_response(facade.reorder_suggestions())


def reorder_csv_response(rows: list[facade.ReorderInfo]) -> HttpResponse:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow([getattr(r, c) if getattr(r, c) is not None else "" for c in CSV_COLUMNS])
    response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="reorder-suggestions.csv"'
    return response


class ForecastAccuracyListApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    class OutputSerializer(serializers.Serializer):
        cutoff = serializers.DateField()
        horizon_days = serializers.IntegerField()
        n_series = serializers.IntegerField()
        mase = serializers.FloatField(allow_null=True)
        wape = serializers.FloatField(allow_null=True)
        coverage80 = serializers.FloatField(allow_null=True)
        coverage95 = serializers.FloatField(allow_null=True)
        baseline_mase = serializers.FloatField(allow_null=True)
        model_version = serializers.CharField()
        computed_at = serializers.DateTimeField()

    @extend_schema(
        summary="Backtest accuracy of past models (newest first)",
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(selectors.accuracy_list(), many=True).data)
