"""Pricing API: the proposal queue (staff), competitor price feed (staff), reference prices
(public, for the storefront's "was" price) and the elasticity table (staff)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pricing import facade, selectors, services
from storefront.api_errors import ServiceError, id_in_range
from storefront.pagination import PagePagination
from storefront.schema import error_schema_with


def _product_id_or_404(product_id: int) -> None:
    if not id_in_range(product_id):
        raise Http404("no such product")


class ProposalOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    product_id = serializers.IntegerField()
    sku = serializers.CharField(source="product.sku")
    status = serializers.CharField()
    objective = serializers.CharField()
    current_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    proposed_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    # a JSON number rounded to 0.1 (not a string like the prices: it is a ratio, not money)
    change_pct = serializers.DecimalField(
        max_digits=7,
        decimal_places=1,
        coerce_to_string=False,
        help_text="proposed vs current price in percent, rounded to 0.1 (e.g. -4.8)",
    )
    cost = serializers.DecimalField(max_digits=12, decimal_places=2)
    elasticity = serializers.FloatField()
    elasticity_low = serializers.FloatField()
    elasticity_high = serializers.FloatField()
    pooled = serializers.BooleanField()
    units_current = serializers.FloatField(help_text="expected units per day, current price")
    units_new = serializers.FloatField(help_text="expected units per day, proposed price")
    revenue_current = serializers.DecimalField(max_digits=12, decimal_places=2)
    revenue_new = serializers.DecimalField(max_digits=12, decimal_places=2)
    profit_current = serializers.DecimalField(max_digits=12, decimal_places=2)
    profit_new = serializers.DecimalField(max_digits=12, decimal_places=2)
    bound_by = serializers.CharField()
    conflicts = serializers.CharField()
    is_experiment = serializers.BooleanField()
    model_version = serializers.CharField()
    created_at = serializers.DateTimeField()


class ProposalPagination(PagePagination):
    page_size = 50
    max_page_size = 200


class PriceProposalListApi(APIView):
    permission_classes = [permissions.IsAdminUser]
    pagination_class = ProposalPagination  # read by the schema: the answer is a page

    @extend_schema(
        summary="Pending price proposals (merchant review queue)",
        responses=ProposalOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.proposal_list_pending(), request, view=self)
        return paginator.get_paginated_response(ProposalOutputSerializer(page, many=True).data)


class PriceProposalDecideApi(APIView):
    """Approve (apply to the catalogue) or reject one or many proposals."""

    permission_classes = [permissions.IsAdminUser]

    class InputSerializer(serializers.Serializer):
        ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1), min_length=1, max_length=1000
        )
        action = serializers.ChoiceField(choices=["approve", "reject"])

    class OutputSerializer(serializers.Serializer):
        done = serializers.IntegerField()
        refused = serializers.ListField(child=serializers.DictField())

    @extend_schema(
        summary="Approve or reject price proposals",
        request=InputSerializer,
        responses={200: OutputSerializer, 400: OpenApiResponse(description="field errors")},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.price_proposals_decide(
            proposal_ids=data.validated_data["ids"],
            approve=data.validated_data["action"] == "approve",
            user_id=request.user.pk,
        )
        return Response(self.OutputSerializer(result).data)


class ProductPriceProposalApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    class OutputSerializer(serializers.Serializer):
        product_id = serializers.IntegerField()
        current_price = serializers.DecimalField(max_digits=12, decimal_places=2)
        proposed_price = serializers.DecimalField(max_digits=12, decimal_places=2)
        status = serializers.CharField()
        elasticity = serializers.FloatField(allow_null=True)
        elasticity_low = serializers.FloatField(allow_null=True)
        elasticity_high = serializers.FloatField(allow_null=True)
        pooled = serializers.BooleanField()
        units_per_day_current = serializers.FloatField(allow_null=True)
        units_per_day_new = serializers.FloatField(allow_null=True)
        profit_per_day_current = serializers.DecimalField(12, 2, allow_null=True)
        profit_per_day_new = serializers.DecimalField(12, 2, allow_null=True)
        bound_by = serializers.ListField(child=serializers.CharField())
        conflicts = serializers.ListField(child=serializers.CharField())
        source = serializers.CharField()  # type: ignore[assignment]  # the field is named "source"
        model_version = serializers.CharField(allow_null=True)

    @extend_schema(
        summary="The latest price proposal for a product, with its explanation",
        responses=OutputSerializer,
    )
    def get(self, request: Request, product_id: int) -> Response:
        _product_id_or_404(product_id)
        return Response(
            self.OutputSerializer(facade.price_proposal_for(product_id=product_id)).data
        )


class ReferencePriceApi(APIView):
    """Public: the storefront shows a struck-through "was" price only when `show_was`."""

    permission_classes = [permissions.AllowAny]

    class OutputSerializer(serializers.Serializer):
        product_id = serializers.IntegerField()
        current_price = serializers.DecimalField(12, 2, allow_null=True)
        reference_price = serializers.DecimalField(12, 2, allow_null=True)
        show_was = serializers.BooleanField()
        current_since = serializers.DateTimeField(allow_null=True)
        source = serializers.CharField()  # type: ignore[assignment]  # the field is named "source"

    @extend_schema(
        summary="EU Omnibus reference price (lowest price of the 30 days before the current one)",
        responses=OutputSerializer,
    )
    def get(self, request: Request, product_id: int) -> Response:
        _product_id_or_404(product_id)
        row = facade.reference_price(product_id=product_id)
        if row.current_price is None:
            raise Http404("no such product")
        return Response(self.OutputSerializer(row).data)


# The error body plus the import's report (absent when the payload itself is refused).
IMPORT_ERROR_SCHEMA = error_schema_with(
    {
        "received": {"type": "integer"},
        "accepted": {"type": "integer"},
        "rejected": {"type": "array", "items": {"type": "object", "additionalProperties": {}}},
    }
)


class CompetitorPriceImportApi(APIView):
    """Competitor price feed: JSON `{"rows": [...]}` or a CSV upload (`file`). Bad rows are
    rejected one by one with their reasons; the valid rows are stored together."""

    permission_classes = [permissions.IsAdminUser]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        rows = serializers.ListField(
            child=serializers.DictField(), required=False, max_length=50000
        )
        file = serializers.FileField(required=False)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if bool(attrs.get("rows")) == bool(attrs.get("file")):
                raise serializers.ValidationError({"rows": ["send either rows or a CSV file"]})
            return attrs

    class OutputSerializer(serializers.Serializer):
        received = serializers.IntegerField()
        accepted = serializers.IntegerField()
        rejected = serializers.ListField(child=serializers.DictField())

    @extend_schema(
        summary="Import competitor prices (API feed or CSV)",
        request={
            "application/json": inline_serializer(
                "CompetitorPriceRows",
                {"rows": serializers.ListField(child=serializers.DictField())},
            ),
            "multipart/form-data": inline_serializer(
                "CompetitorPriceCsv", {"file": serializers.FileField()}
            ),
        },
        responses={
            201: OutputSerializer,
            400: OpenApiResponse(
                response=IMPORT_ERROR_SCHEMA,
                description="No valid row: detail, code and the same report as 201 "
                "(received, accepted, rejected with reasons); or a bad payload: field errors",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data.get("file")
        if upload is not None:
            if upload.size > settings.MAX_UPLOAD_BYTES:
                mb = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
                raise ServiceError(f"the CSV file is larger than {mb} MB", field="file")
            try:
                text = upload.read().decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ServiceError("the CSV file must be UTF-8 text", field="file") from exc
            report = services.competitor_prices_import_csv(text=text)
        else:
            report = services.competitor_prices_import(rows=data.validated_data["rows"])
        body: dict[str, Any] = dict(self.OutputSerializer(report).data)
        if not report.accepted:  # an error body like every other (storefront/api_errors.py)
            body = {"detail": "No row was accepted.", "code": "invalid", **body}
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(body, status=status.HTTP_201_CREATED)


class ElasticityListApi(APIView):
    permission_classes = [permissions.IsAdminUser]
    pagination_class = ProposalPagination  # read by the schema: the answer is a page

    class OutputSerializer(serializers.Serializer):
        product_id = serializers.IntegerField()
        sku = serializers.CharField(source="product.sku")
        category = serializers.CharField(source="product.category.name")
        elasticity = serializers.FloatField()
        elasticity_low = serializers.FloatField()
        elasticity_high = serializers.FloatField()
        own_estimate = serializers.FloatField(allow_null=True)
        pooled = serializers.BooleanField()
        n_days = serializers.IntegerField()
        n_stockout_days = serializers.IntegerField()
        base_daily_units = serializers.FloatField(allow_null=True)
        model_version = serializers.CharField()

    @extend_schema(
        summary="Elasticity per product (active model)", responses=OutputSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.elasticity_list(), request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)
