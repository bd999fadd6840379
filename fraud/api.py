"""Staff API: order risk, review queue and verdicts, rule validation, monitoring."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fraud import selectors, services
from fraud.rules import RuleSyntaxError
from storefront.api_errors import ServiceError, id_in_range
from storefront.pagination import PagePagination


def _no_assessment() -> ServiceError:
    return ServiceError("this order has no risk assessment", status=404, code="not_found")


class AssessmentOutputSerializer(serializers.Serializer):
    order_id = serializers.IntegerField()
    order_number = serializers.CharField(source="order.number")
    order_status = serializers.CharField(source="order.status")
    score = serializers.FloatField(allow_null=True, help_text="Calibrated fraud probability")
    level = serializers.CharField()
    action = serializers.CharField()
    source = serializers.CharField(  # type: ignore[assignment]  # DRF's Field.source
        help_text="model, or rules_only when no model was active"
    )
    model_version = serializers.CharField()
    rules_triggered = serializers.ListField(child=serializers.CharField())
    reasons = serializers.ListField(child=serializers.DictField())
    review_outcome = serializers.CharField()
    created_at = serializers.DateTimeField()


class OrderRiskDetailApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        summary="Risk assessment of an order (staff)",
        responses={
            200: AssessmentOutputSerializer,
            404: OpenApiResponse(description="No such order, or not assessed"),
        },
    )
    def get(self, request: Request, order_id: int) -> Response:
        if not id_in_range(order_id):
            raise _no_assessment()
        assessment = selectors.assessment_for_order(order_id=order_id)
        if assessment is None:
            raise _no_assessment()
        return Response(AssessmentOutputSerializer(assessment).data)


class ReviewQueuePagination(PagePagination):
    page_size = 50
    max_page_size = 200  # a reviewer can still take the old capped list in one page


class ReviewQueueListApi(APIView):
    permission_classes = [permissions.IsAdminUser]
    pagination_class = ReviewQueuePagination  # read by the schema: the answer is a page

    @extend_schema(
        summary="Orders held for fraud review, riskiest first (staff)",
        responses={200: AssessmentOutputSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.review_queue(), request, view=self)
        return paginator.get_paginated_response(AssessmentOutputSerializer(page, many=True).data)


class ReviewDecideApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    class InputSerializer(serializers.Serializer):
        decision = serializers.ChoiceField(
            choices=["approve", "cancel"], help_text="approve = genuine; cancel = fraud"
        )
        note = serializers.CharField(max_length=300, required=False, allow_blank=True)

    @extend_schema(
        summary="Approve or cancel an order under review (staff); the verdict becomes a label",
        request=InputSerializer,
        responses={
            200: AssessmentOutputSerializer,
            400: OpenApiResponse(description="Bad decision, or already reviewed"),
            404: OpenApiResponse(description="No such order, or not assessed"),
        },
    )
    def post(self, request: Request, order_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not id_in_range(order_id):
            raise _no_assessment()
        assessment = services.review_decide(
            order_id=order_id,
            decision=data.validated_data["decision"],
            user_id=request.user.pk,
            note=data.validated_data.get("note", ""),
        )
        assessment.refresh_from_db()
        return Response(AssessmentOutputSerializer(assessment).data)


class RuleValidateApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    class InputSerializer(serializers.Serializer):
        expression = serializers.CharField(max_length=1000, trim_whitespace=False)

        def validate_expression(self, value: str) -> str:
            try:
                selectors.rule_compile_checked(value)
            except RuleSyntaxError as exc:
                raise serializers.ValidationError(str(exc)) from None
            return value

    class OutputSerializer(serializers.Serializer):
        expression = serializers.CharField()
        fields = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]

    @extend_schema(
        summary="Check a rule expression (staff); 400 with the reason when it is malformed",
        request=InputSerializer,
        responses={200: OutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        compiled = selectors.rule_compile_checked(data.validated_data["expression"])
        body: dict[str, Any] = {"expression": compiled.text, "fields": sorted(compiled.names)}
        return Response(self.OutputSerializer(body).data)


class RuleFieldListApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        summary="Fields a rule may use (staff)",
        responses={200: {"type": "array", "items": {"type": "string"}}},
    )
    def get(self, request: Request) -> Response:
        return Response(selectors.RULE_FIELDS)


class MonitoringSummaryApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    class OutputSerializer(serializers.Serializer):
        total = serializers.IntegerField()
        weeks = serializers.ListField(child=serializers.DictField())

    @extend_schema(
        summary="Weekly score distribution, decisions and review precision (staff)",
        responses={200: OutputSerializer},
    )
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(selectors.monitoring_summary()).data)
