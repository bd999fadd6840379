"""Staff API (IsAdminUser) for outgoing webhooks: manage them, read their delivery log,
send a test event, retry a delivery. Payloads are not served here (they carry the
shopper's e-mail; personal data stays in the admin), only how each delivery went."""

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from storefront.api_errors import ServiceError, id_in_range
from storefront.pagination import PagePagination
from webhooks import selectors, services
from webhooks.models import PING, Event, Webhook, WebhookDelivery

SIGNING = (
    "Every delivery is a POST of JSON signed with the webhook's secret: "
    "`X-Mlstore-Signature: sha256=<hex HMAC-SHA256(secret, X-Mlstore-Timestamp + '.' + raw "
    "body)>`; `X-Mlstore-Event` names the event and `X-Mlstore-Delivery` is its id, the same "
    "on every retry. For 24 hours after a secret rotation the header carries two "
    "comma-separated signatures, the new secret's first: accept the delivery if any matches. "
    "The receiver's guide is docs/webhooks.md."
)


class WebhookOutputSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=Event.choices))

    class Meta:
        model = Webhook
        fields = ["id", "name", "target_url", "events", "is_active", "created_at", "updated_at"]


class WebhookCreatedOutputSerializer(WebhookOutputSerializer):
    secret = serializers.CharField(
        help_text="The signing secret; shown in this answer and in the admin only"
    )

    class Meta(WebhookOutputSerializer.Meta):
        fields = [*WebhookOutputSerializer.Meta.fields, "secret"]


class WebhookSecretRotatedOutputSerializer(WebhookCreatedOutputSerializer):
    previous_secret_expires_at = serializers.DateTimeField(
        help_text="Until then deliveries are signed with the old secret too"
    )

    class Meta(WebhookCreatedOutputSerializer.Meta):
        fields = [*WebhookCreatedOutputSerializer.Meta.fields, "previous_secret_expires_at"]


class WebhookInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    target_url = serializers.CharField(
        max_length=services.URL_MAX_LENGTH,
        help_text="https URL the events are POSTed to (http only to localhost in development)",
    )
    events = serializers.ListField(
        child=serializers.CharField(max_length=40),
        max_length=20,
        help_text=f"One or more of: {', '.join(Event.values)}",
    )
    is_active = serializers.BooleanField(required=False, default=True)

    # the services' own checks, so the admin, the API and a shell refuse alike
    def validate_target_url(self, value: str) -> str:
        try:
            return services.webhook_url_clean(value)
        except ServiceError as exc:
            raise serializers.ValidationError(exc.message) from None

    def validate_events(self, value: list[str]) -> list[str]:
        try:
            return services.webhook_events_clean(value)
        except ServiceError as exc:
            raise serializers.ValidationError(exc.message) from None


class WebhookDeliveryOutputSerializer(serializers.ModelSerializer):
    event_id = serializers.UUIDField(help_text="Sent as X-Mlstore-Delivery; same on retries")
    last_response_code = serializers.IntegerField(
        allow_null=True, help_text="The receiver's HTTP status at the last attempt"
    )
    last_error = serializers.CharField(help_text="Why the last attempt failed; empty if it did not")
    next_attempt_at = serializers.DateTimeField(
        allow_null=True, help_text="When it is tried again; null once delivered or given up"
    )

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook_id",
            "event",
            "event_id",
            "status",
            "attempts",
            "last_response_code",
            "last_error",
            "next_attempt_at",
            "created_at",
            "delivered_at",
        ]


class WebhookDeliveryFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=WebhookDelivery.Status.choices,
        help_text="Repeat for several: status=pending&status=failed",
    )
    event = django_filters.ChoiceFilter(
        choices=[*Event.choices, (PING, "Test event")], help_text="One event name"
    )

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event"]


class WebhookPagination(PagePagination):
    page_size = 50
    max_page_size = 200  # as the other staff lists


NO_SUCH_WEBHOOK = OpenApiResponse(description="No such webhook")
INVALID_WEBHOOK = OpenApiResponse(
    description="Invalid input: messages under `target_url` (not https, not a URL, an "
    "internal address) or `events` (unknown or none)"
)


def _webhook_id(webhook_id: int) -> int:
    if not id_in_range(webhook_id):
        raise Webhook.DoesNotExist  # a 404, not the database's overflow (a 500)
    return webhook_id


@extend_schema_view(
    get=extend_schema(summary="Webhooks, oldest first (staff)", description=SIGNING),
    post=extend_schema(
        summary="Add a webhook (staff); the answer carries its signing secret",
        description=SIGNING,
        request=WebhookInputSerializer,
        responses={201: WebhookCreatedOutputSerializer, 400: INVALID_WEBHOOK},
    ),
)
class WebhookListApi(generics.ListAPIView):
    permission_classes = [permissions.IsAdminUser]
    serializer_class = WebhookOutputSerializer
    pagination_class = WebhookPagination

    def get_queryset(self) -> QuerySet[Webhook]:
        return selectors.webhook_list()

    def post(self, request: Request) -> Response:
        data = WebhookInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        webhook = services.webhook_create(**data.validated_data)
        return Response(WebhookCreatedOutputSerializer(webhook).data, status=201)


class WebhookDetailApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        summary="One webhook (staff)",
        responses={200: WebhookOutputSerializer, 404: NO_SUCH_WEBHOOK},
    )
    def get(self, request: Request, webhook_id: int) -> Response:
        webhook = selectors.webhook_get(webhook_id=_webhook_id(webhook_id))
        return Response(WebhookOutputSerializer(webhook).data)

    @extend_schema(
        summary="Change a webhook's URL, events, name or switch it on or off (staff); the "
        "secret stays",
        request=WebhookInputSerializer(partial=True),
        responses={200: WebhookOutputSerializer, 400: INVALID_WEBHOOK, 404: NO_SUCH_WEBHOOK},
    )
    def patch(self, request: Request, webhook_id: int) -> Response:
        webhook_id = _webhook_id(webhook_id)
        selectors.webhook_get(webhook_id=webhook_id)  # 404 before 400
        data = WebhookInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields: dict[str, Any] = dict(data.validated_data)
        if "is_active" not in request.data:
            fields.pop("is_active", None)  # the create default is no change here
        webhook = services.webhook_update(webhook_id=webhook_id, **fields)
        return Response(WebhookOutputSerializer(webhook).data)

    @extend_schema(
        summary="Delete a webhook and its delivery log (staff)",
        responses={204: None, 404: NO_SUCH_WEBHOOK},
    )
    def delete(self, request: Request, webhook_id: int) -> Response:
        webhook_id = _webhook_id(webhook_id)
        selectors.webhook_get(webhook_id=webhook_id)
        services.webhook_delete(webhook_id=webhook_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(
        summary="A webhook's deliveries, newest first, by `status` and `event` (staff)",
        responses={200: WebhookDeliveryOutputSerializer(many=True), 404: NO_SUCH_WEBHOOK},
    )
)
class WebhookDeliveryListApi(generics.ListAPIView):
    permission_classes = [permissions.IsAdminUser]
    serializer_class = WebhookDeliveryOutputSerializer
    filterset_class = WebhookDeliveryFilter
    pagination_class = WebhookPagination

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        webhook_id = int(self.kwargs.get("webhook_id", 0))
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        selectors.webhook_get(webhook_id=_webhook_id(webhook_id))  # an unknown webhook: 404
        return selectors.delivery_list_for_webhook(webhook_id=webhook_id)


class WebhookPingApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        summary="Send a test event (`ping`) to a webhook now, switched on or not (staff)",
        description=SIGNING,
        request=None,
        responses={202: WebhookDeliveryOutputSerializer, 404: NO_SUCH_WEBHOOK},
    )
    def post(self, request: Request, webhook_id: int) -> Response:
        delivery = services.webhook_ping(webhook_id=_webhook_id(webhook_id))
        delivery.refresh_from_db()  # sent already without a broker
        return Response(WebhookDeliveryOutputSerializer(delivery).data, status=202)


class WebhookDeliveryRetryApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        summary="Send a pending or given-up delivery again now, same event id (staff)",
        request=None,
        responses={
            202: WebhookDeliveryOutputSerializer,
            400: OpenApiResponse(description="Already delivered (message under `status`)"),
            404: OpenApiResponse(description="No such delivery of this webhook"),
        },
    )
    def post(self, request: Request, webhook_id: int, delivery_id: int) -> Response:
        webhook_id = _webhook_id(webhook_id)
        if not id_in_range(delivery_id):
            raise WebhookDelivery.DoesNotExist
        selectors.delivery_list_for_webhook(webhook_id=webhook_id).get(pk=delivery_id)
        delivery = services.webhook_delivery_retry(delivery_id=delivery_id)
        delivery.refresh_from_db()
        return Response(WebhookDeliveryOutputSerializer(delivery).data, status=202)


class WebhookSecretRotateApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        summary="Give a webhook a new signing secret, shown in this answer only (staff)",
        description="The old secret keeps signing deliveries (a second `sha256=` in "
        "`X-Mlstore-Signature`) until `previous_secret_expires_at`, 24 hours from now, so "
        "the receiver can switch without refusing events. " + SIGNING,
        request=None,
        responses={200: WebhookSecretRotatedOutputSerializer, 404: NO_SUCH_WEBHOOK},
    )
    def post(self, request: Request, webhook_id: int) -> Response:
        webhook = services.webhook_secret_rotate(webhook_id=_webhook_id(webhook_id))
        return Response(WebhookSecretRotatedOutputSerializer(webhook).data)
