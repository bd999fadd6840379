"""The returns API: shoppers ask to return items of their order; staff work the queue."""

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.services import customer_for_user
from orders.models import Order
from returns import selectors, services
from returns.models import ReturnLine, ReturnRequest
from storefront.pagination import PagePagination

NO_SUCH_ORDER = OpenApiResponse(description="No such order (or not yours)")
REFUSED = OpenApiResponse(description="Refused: messages under the field that is wrong")


class ReturnLineOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_line_id = serializers.IntegerField()
    sku = serializers.CharField(source="order_line.sku")
    name = serializers.CharField(source="order_line.name")
    quantity = serializers.IntegerField()
    reason = serializers.CharField()
    reason_label = serializers.CharField(source="get_reason_display")
    comment = serializers.CharField()
    restocked = serializers.BooleanField()


class ReturnOutputSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    merchant_note = serializers.CharField()
    refund_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, coerce_to_string=True
    )
    lines = ReturnLineOutputSerializer(many=True)


class ReturnableLineOutputSerializer(serializers.Serializer):
    order_line_id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    quantity = serializers.IntegerField(help_text="Bought")
    returnable = serializers.IntegerField(help_text="Bought minus already in a return")


def _order_for(request: Request, number: str) -> Order:
    customer = customer_for_user(user=request.user)
    order = selectors.order_for_shopper(
        number=number,
        customer_id=customer.pk if customer else None,
        guest_numbers=list(request.session.get("guest_orders", [])),
    )
    if order is None:  # someone else's order looks exactly like a missing one
        raise Order.DoesNotExist
    return order


def _shopper_response(order: Order, status_code: int = 200) -> Response:
    returnability = selectors.order_returnability(order=order)
    return Response(
        {
            "eligible": returnability.eligible,
            "refusal": returnability.refusal,
            "window_ends_at": (
                serializers.DateTimeField().to_representation(returnability.window_ends_at)
                if returnability.window_ends_at
                else None
            ),
            "reasons": [
                {"value": v, "label": str(label)} for v, label in ReturnLine.Reason.choices
            ],
            "lines": ReturnableLineOutputSerializer(returnability.lines, many=True).data,
            "returns": ReturnOutputSerializer(
                selectors.return_list_for_order(order_id=order.pk), many=True
            ).data,
        },
        status=status_code,
    )


class ReturnLineInputSerializer(serializers.Serializer):
    order_line_id = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=10_000)
    reason = serializers.ChoiceField(choices=ReturnLine.Reason.choices)
    comment = serializers.CharField(
        max_length=services.COMMENT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["reason"] == ReturnLine.Reason.OTHER and not attrs["comment"].strip():
            raise serializers.ValidationError({"comment": "Tell us the reason."})
        return attrs


class OrderReturnsApi(APIView):
    """The shopper's returns of one order, and asking for a new one."""

    class InputSerializer(serializers.Serializer):
        lines: serializers.ListSerializer[Any] = serializers.ListSerializer(
            child=ReturnLineInputSerializer(), allow_empty=False, max_length=100
        )

        def validate_lines(self, data: list[dict[str, Any]]) -> list[dict[str, Any]]:
            ids = [line["order_line_id"] for line in data]
            if len(ids) != len(set(ids)):
                raise serializers.ValidationError("Each item once: add up its units instead.")
            return data

    @extend_schema(
        summary="What of my order can be returned, and my returns of it",
        responses={
            200: OpenApiResponse(description="Eligibility, lines, returns"),
            404: NO_SUCH_ORDER,
        },
    )
    def get(self, request: Request, number: str) -> Response:
        return _shopper_response(_order_for(request, number))

    @extend_schema(
        summary="Ask to return units of a shipped order (within the return window)",
        request=InputSerializer,
        responses={
            201: OpenApiResponse(description="Eligibility, lines, returns"),
            400: REFUSED,
            404: NO_SUCH_ORDER,
        },
    )
    def post(self, request: Request, number: str) -> Response:
        order = _order_for(request, number)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.return_request_create(
            order_id=order.pk,
            lines=[services.ReturnLineInput(**line) for line in data.validated_data["lines"]],
        )
        return _shopper_response(order, status.HTTP_201_CREATED)


# --- staff -----------------------------------------------------------------------------------


class StaffReturnOutputSerializer(ReturnOutputSerializer):
    id = serializers.IntegerField()
    order_number = serializers.CharField(source="order.number")
    currency = serializers.CharField(source="order.currency")
    include_shipping = serializers.BooleanField()
    decided_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)
    refunded_at = serializers.DateTimeField(allow_null=True)


class StaffReturnFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=ReturnRequest.Status.choices,
        help_text="Repeat for several: status=requested&status=approved",
    )
    order = django_filters.CharFilter(
        field_name="order__number", max_length=20, help_text="The order's number"
    )
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = ReturnRequest
        fields = ["status", "order", "created_after", "created_before"]


class StaffReturnPagination(PagePagination):
    page_size = 50
    max_page_size = 200


class StaffReturnListApi(generics.ListAPIView):
    """All returns for staff, newest first, filtered by status, order, creation time."""

    permission_classes = [permissions.IsAdminUser]
    serializer_class = StaffReturnOutputSerializer
    filterset_class = StaffReturnFilter
    pagination_class = StaffReturnPagination

    def get_queryset(self) -> QuerySet[ReturnRequest]:
        return selectors.return_list_for_staff()


def _staff_response(return_id: int, status_code: int = 200) -> Response:
    return Response(
        StaffReturnOutputSerializer(selectors.return_get_for_staff(return_id=return_id)).data,
        status=status_code,
    )


class StaffReturnDetailApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(summary="One return (staff)", responses={200: StaffReturnOutputSerializer})
    def get(self, request: Request, return_id: int) -> Response:
        return _staff_response(return_id)


class StaffReturnNoteInputSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=services.NOTE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="E-mailed to the shopper",
    )


class StaffReturnApproveApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        summary="Approve a requested return (staff); the shopper is e-mailed the note",
        request=StaffReturnNoteInputSerializer,
        responses={200: StaffReturnOutputSerializer, 400: REFUSED},
    )
    def post(self, request: Request, return_id: int) -> Response:
        data = StaffReturnNoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.return_approve(return_id=return_id, note=data.validated_data["note"])
        return _staff_response(return_id)


class StaffReturnRejectApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        summary="Reject a requested return (staff); the shopper is e-mailed the note",
        request=StaffReturnNoteInputSerializer,
        responses={200: StaffReturnOutputSerializer, 400: REFUSED},
    )
    def post(self, request: Request, return_id: int) -> Response:
        data = StaffReturnNoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.return_reject(return_id=return_id, note=data.validated_data["note"])
        return _staff_response(return_id)


class StaffReturnReceiveApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    class InputSerializer(serializers.Serializer):
        restock = serializers.ListField(
            child=serializers.IntegerField(min_value=1),
            required=False,
            default=list,
            help_text="Ids of the return's lines to put back on sale",
        )
        refund = serializers.BooleanField(
            default=True, help_text="Refund the returned units now (at most what is left)"
        )
        include_shipping = serializers.BooleanField(
            default=False, help_text="Refund the order's delivery too"
        )

    @extend_schema(
        summary="Mark an approved return received (staff): restock chosen lines, refund",
        request=InputSerializer,
        responses={200: StaffReturnOutputSerializer, 400: REFUSED},
    )
    def post(self, request: Request, return_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.return_receive(
            return_id=return_id,
            restock_line_ids=data.validated_data["restock"],
            refund=data.validated_data["refund"],
            include_shipping=data.validated_data["include_shipping"],
        )
        return _staff_response(return_id)


class StaffReturnRefundApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    class InputSerializer(serializers.Serializer):
        include_shipping = serializers.BooleanField(default=False)

    @extend_schema(
        summary="Refund a received return once (staff)",
        request=InputSerializer,
        responses={200: StaffReturnOutputSerializer, 400: REFUSED},
    )
    def post(self, request: Request, return_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.return_refund(
            return_id=return_id, include_shipping=data.validated_data["include_shipping"]
        )
        return _staff_response(return_id)
