"""Staff API: order risk, review queue and verdicts, rule validation, block and allow lists,
monitoring."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fraud import selectors, services
from fraud.models import RiskList
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
        block_card = serializers.BooleanField(
            default=False,
            help_text="With cancel: also put the order's card on the blocked_cards list",
        )
        block_email = serializers.BooleanField(
            default=False,
            help_text="With cancel: also put the order's e-mail on the blocked_emails list",
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if (attrs["block_card"] or attrs["block_email"]) and attrs["decision"] != "cancel":
                raise serializers.ValidationError(
                    {"decision": ["only a cancelled (rejected) order can block its card or e-mail"]}
                )
            return attrs

    @extend_schema(
        summary="Approve or cancel an order under review (staff); the verdict becomes a label. "
        "A cancel can also block the order's card and/or e-mail for later checkouts",
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
        values = data.validated_data
        block: tuple[services.BlockTarget, ...] = ()
        if values["block_card"]:
            block += ("card",)
        if values["block_email"]:
            block += ("email",)
        assessment = services.review_decide(
            order_id=order_id,
            decision=values["decision"],
            user_id=request.user.pk,
            note=values.get("note", ""),
            block=block,
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


# --- block and allow lists ---------------------------------------------------------------------


def _no_list() -> ServiceError:
    return ServiceError("no such list", status=404, code="not_found")


def _list_for(alias: str) -> RiskList:
    found = selectors.risk_list_get(alias=alias) if len(alias) <= 40 else None
    if found is None:
        raise _no_list()
    return found


class RiskListOutputSerializer(serializers.Serializer):
    alias = serializers.CharField(
        help_text="Used in rules as @alias, e.g. email in @blocked_emails"
    )
    name = serializers.CharField()
    item_type = serializers.CharField(
        help_text="email | email_domain | card_fingerprint | ip_address | country | customer_id"
    )
    kind = serializers.CharField(
        help_text="block (declines at checkout), allow (skips review) or custom (rules only)"
    )
    description = serializers.CharField()
    item_count = serializers.IntegerField()
    active_count = serializers.IntegerField(help_text="Items not expired")


class RiskListItemOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    value = serializers.CharField(help_text="Normalised (e-mails lower case, countries upper)")
    reason = serializers.CharField()
    added_by = serializers.CharField(source="added_by.username", default=None, allow_null=True)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    is_expired = serializers.BooleanField()


class RiskListListApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        summary="Block and allow lists with their item counts (staff)",
        responses={200: RiskListOutputSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        lists = selectors.risk_lists_with_counts()
        return Response(RiskListOutputSerializer(lists, many=True).data)


class RiskListItemPagination(PagePagination):
    page_size = 50
    max_page_size = 500


class RiskListItemsApi(APIView):
    permission_classes = [permissions.IsAdminUser]
    pagination_class = RiskListItemPagination

    class InputSerializer(serializers.Serializer):
        value = serializers.CharField(
            max_length=255,
            help_text="An e-mail, domain, card fingerprint (or card number, stored only as its "
            "fingerprint), IP address, ISO country code or customer id, as the list holds",
        )
        reason = serializers.CharField(max_length=200, required=False, allow_blank=True)
        expires_at = serializers.DateTimeField(
            required=False, allow_null=True, help_text="Empty: on the list for good"
        )

    @extend_schema(
        summary="Items on a list, newest first (staff); ?q= searches the values",
        parameters=[OpenApiParameter("q", str, required=False, description="Part of a value")],
        responses={
            200: RiskListItemOutputSerializer(many=True),
            404: OpenApiResponse(description="No such list"),
        },
    )
    def get(self, request: Request, alias: str) -> Response:
        risk_list = _list_for(alias)
        paginator = self.pagination_class()
        items = selectors.risk_list_items(
            risk_list=risk_list, search=str(request.query_params.get("q", ""))[:255]
        )
        page = paginator.paginate_queryset(items, request, view=self)
        return paginator.get_paginated_response(RiskListItemOutputSerializer(page, many=True).data)

    @extend_schema(
        summary="Put a value on a list (staff); 201 when added, 200 when it was already there",
        request=InputSerializer,
        responses={
            200: RiskListItemOutputSerializer,
            201: RiskListItemOutputSerializer,
            400: OpenApiResponse(
                description="Not a valid value for this list (e.g. a malformed e-mail or IP); "
                "the message is under `value`"
            ),
            404: OpenApiResponse(description="No such list"),
        },
    )
    def post(self, request: Request, alias: str) -> Response:
        risk_list = _list_for(alias)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item, created = services.risk_list_item_add(
            risk_list=risk_list,
            value=data.validated_data["value"],
            reason=data.validated_data.get("reason", ""),
            added_by_id=request.user.pk,
            expires_at=data.validated_data.get("expires_at"),
        )
        return Response(RiskListItemOutputSerializer(item).data, status=201 if created else 200)


class RiskListItemRemoveApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        summary="Take an item off a list (staff)",
        responses={204: None, 404: OpenApiResponse(description="No such list or item")},
    )
    def delete(self, request: Request, alias: str, item_id: int) -> Response:
        risk_list = _list_for(alias)
        if not id_in_range(item_id):
            raise ServiceError("no such item on this list", status=404, code="not_found")
        services.risk_list_item_remove(risk_list=risk_list, item_id=item_id)
        return Response(status=204)


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
