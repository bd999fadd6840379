"""Support API: the help form (create, list own tickets, ask for a person), answer suggestions
while typing, and staff endpoints (import, reply, correct triage, and the agent workspace:
list, read, reply, note, assign, change, macros)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from storefront.api_errors import ID_MAX, id_in_range
from storefront.pagination import PagePagination
from support import selectors, services
from support.macros import placeholders_fill
from support.ml.triage import INTENTS
from support.models import PRIORITY_BY_LABEL, Message, SatisfactionRating, Ticket
from support.validation import MAX_BODY_CHARS, clean_body

GUEST_TICKETS_KEY = "guest_tickets"  # ticket ids a guest opened in this browser session


def _customer_id(request: Request) -> int | None:
    user = request.user
    if not user or not user.is_authenticated:
        return None
    customer = getattr(user, "customer", None)
    return customer.pk if customer else None


def _field_errors(exc: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(
        exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
    )


class MessageOutputSerializer(serializers.Serializer):
    author = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class TicketOutputSerializer(serializers.Serializer):
    """A ticket as its shopper sees it. The triage (intent, sentiment, priority, queue) is
    the help desk's own business: a shopper told "sentiment: negative, priority: low" has
    been told how the store ranks them."""

    id = serializers.IntegerField()
    subject = serializers.CharField()
    status = serializers.CharField()
    language = serializers.CharField()
    auto_replied = serializers.BooleanField()
    wants_human = serializers.BooleanField()
    order_number = serializers.CharField(source="order.number", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    messages = serializers.SerializerMethodField()
    rating = serializers.CharField(
        source="satisfaction.score",
        allow_null=True,
        default=None,
        help_text='"good", "bad", or null before the shopper rated the solved ticket',
    )

    @extend_schema_field(MessageOutputSerializer(many=True))
    def get_messages(self, obj: Ticket) -> list[dict[str, Any]]:
        # an agent's internal note is the help desk's own (a bad rating's comment, say)
        shown = [m for m in obj.messages.all() if m.author != Message.Author.NOTE]
        return list(MessageOutputSerializer(shown, many=True).data)


class TicketTriageOutputSerializer(TicketOutputSerializer):
    """A ticket as an agent sees it: with the triage."""

    intent = serializers.CharField()
    intent_confidence = serializers.FloatField(allow_null=True)
    sentiment = serializers.CharField()
    priority = serializers.CharField(source="get_priority_display")
    queue = serializers.CharField(source="queue.slug", allow_null=True, default=None)
    # the SLA is the help desk's own promise to itself: staff payloads only
    first_reply_due_at = serializers.DateTimeField(allow_null=True)
    first_replied_at = serializers.DateTimeField(
        allow_null=True, help_text="the first public reply the customer received"
    )
    resolution_due_at = serializers.DateTimeField(
        allow_null=True, help_text="moves on by the time spent waiting for the customer"
    )
    sla_paused = serializers.SerializerMethodField(
        help_text="the resolution clock stands still (waiting for the customer, or solved)"
    )
    first_reply_breached = serializers.SerializerMethodField()
    resolution_breached = serializers.SerializerMethodField()

    def get_sla_paused(self, obj: Ticket) -> bool:
        return obj.sla_paused_at is not None

    def get_first_reply_breached(self, obj: Ticket) -> bool:
        return obj.first_reply_breached(timezone.now())

    def get_resolution_breached(self, obj: Ticket) -> bool:
        return obj.resolution_breached(timezone.now())


def _body_field() -> serializers.CharField:
    # not blank, so the schema says minLength 1 (clean_body refuses an empty body anyway); the
    # message is clean_body's, and whitespace-only text still reaches it (no trimming here)
    return serializers.CharField(
        trim_whitespace=False,
        error_messages={"blank": "Message is empty: please describe your question."},
    )


class TicketCreateApi(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_scope = "tickets"

    class InputSerializer(serializers.Serializer):
        subject = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
        body = _body_field()
        email = serializers.EmailField(required=False, allow_blank=True)
        order_number = serializers.CharField(required=False, allow_blank=True, max_length=20)

        def validate_body(self, value: str) -> str:
            try:
                return clean_body(value)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.message_dict["body"]) from exc

    @extend_schema(
        summary="Open a support ticket (help form); triaged and possibly answered at once",
        description=(
            f"Body: 1-{MAX_BODY_CHARS} characters of text. Signed-in customers are linked "
            "automatically; guests must give an e-mail. An automatic answer is sent only when "
            "the model is confident; `POST tickets/{id}/human/` always reaches a person."
        ),
        request=InputSerializer,
        responses={201: TicketOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        customer_id = _customer_id(request)
        email = v.get("email") or (request.user.email if request.user.is_authenticated else "")
        if customer_id is None and not email:
            raise serializers.ValidationError({"email": ["Give an e-mail so we can answer you."]})
        try:
            ticket = services.ticket_create(
                body=v["body"],
                subject=v.get("subject") or None,
                customer_id=customer_id,
                email=email,
                order_number=v.get("order_number") or None,
                channel=Ticket.Channel.WEB if customer_id else Ticket.Channel.API,
            )
        except DjangoValidationError as exc:
            raise _field_errors(exc) from exc
        if customer_id is None:
            # a guest may still ask for a person on this ticket from this browser
            session = request._request.session
            session[GUEST_TICKETS_KEY] = [*session.get(GUEST_TICKETS_KEY, [])[-19:], ticket.pk]
        return Response(TicketOutputSerializer(ticket).data, status=201)


class TicketListApi(APIView):
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = PagePagination  # read by the schema: the answer is a page

    @extend_schema(
        summary="My tickets, newest first", responses={200: TicketOutputSerializer(many=True)}
    )
    def get(self, request: Request) -> Response:
        customer_id = _customer_id(request)
        tickets = (
            Ticket.objects.none()  # a staff user without a shopper profile has no tickets
            if customer_id is None
            else selectors.ticket_list_for_customer(customer_id=customer_id)
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(tickets, request, view=self)
        return paginator.get_paginated_response(TicketOutputSerializer(page, many=True).data)


def _ticket_owner_check(request: Request, ticket_id: int) -> int | None:
    """The customer id to check the ticket against; a guest passes only for the tickets opened
    in this browser session. Anything else looks like a missing ticket."""
    customer_id = _customer_id(request)
    if customer_id is None and (
        request.user.is_authenticated
        or ticket_id not in request._request.session.get(GUEST_TICKETS_KEY, [])
    ):
        raise Ticket.DoesNotExist
    return customer_id


class TicketCustomerReplyApi(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_scope = "tickets"

    class InputSerializer(serializers.Serializer):
        body = _body_field()

    @extend_schema(
        summary="Reply on my ticket; it goes back to the agents (reopens a solved one)",
        description=(
            f"Body: 1-{MAX_BODY_CHARS} characters of text. A signed-in customer, for their own "
            "tickets; a guest, for the tickets opened from the same browser session."
        ),
        request=InputSerializer,
        responses={201: MessageOutputSerializer},
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer_id = _ticket_owner_check(request, ticket_id)
        try:
            message = services.ticket_customer_reply(
                ticket_id=ticket_id, customer_id=customer_id, body=data.validated_data["body"]
            )
        except DjangoValidationError as exc:
            raise _field_errors(exc) from exc
        return Response(MessageOutputSerializer(message).data, status=201)


class TicketHumanRequestApi(APIView):
    # guests too: the automatic answer promises a person to everyone who wrote in
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Ask for a person: an agent takes over (always allowed)",
        description=(
            "A signed-in customer, for their own tickets; a guest, for the tickets opened from "
            "the same browser session. Any other ticket is a 404."
        ),
        request=None,
        responses={200: TicketOutputSerializer},
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        customer_id = _ticket_owner_check(request, ticket_id)
        ticket = services.ticket_human_request(ticket_id=ticket_id, customer_id=customer_id)
        return Response(TicketOutputSerializer(ticket).data)


class AnswerSuggestApi(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_scope = "search"

    class InputSerializer(serializers.Serializer):
        q = serializers.CharField(min_length=3, max_length=500, help_text="the text typed so far")

    class OutputSerializer(serializers.Serializer):
        title = serializers.CharField()
        body = serializers.CharField()
        article_id = serializers.IntegerField(allow_null=True)
        score = serializers.FloatField()

    @extend_schema(
        summary="Help articles matching what the customer is typing",
        parameters=[InputSerializer],  # q: required, 3-500 characters (was documented optional)
        responses={200: OutputSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        hits = services.answer_suggestions(text=data.validated_data["q"], k=3)
        hits = [h for h in hits if h["article_id"]]  # customers see articles, not past replies
        return Response(self.OutputSerializer(hits, many=True).data)


class TicketImportApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField()
        format = serializers.ChoiceField(choices=["csv", "json"], required=False)

    class OutputSerializer(serializers.Serializer):
        created = serializers.IntegerField()
        skipped = serializers.IntegerField()

    @extend_schema(
        summary="Import e-mail-like tickets from CSV or JSON (staff; all rows or none)",
        request={"multipart/form-data": InputSerializer},
        responses={201: OutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        fmt = data.validated_data.get("format") or (
            "json" if upload.name.lower().endswith(".json") else "csv"
        )
        if upload.size > settings.MAX_UPLOAD_BYTES:
            mb = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
            raise serializers.ValidationError({"file": [f"File larger than {mb} MB."]})
        try:
            result = services.tickets_import(content=upload.read(), fmt=fmt)
        except DjangoValidationError as exc:
            raise _field_errors(exc) from exc
        return Response(self.OutputSerializer(result).data, status=201)


class TicketReplySendApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
        use_suggestion = serializers.BooleanField(default=False)
        solve = serializers.BooleanField(default=False)

    @extend_schema(
        summary="Send a reply (or the suggested reply in one click) (staff)",
        request=InputSerializer,
        responses={201: MessageOutputSerializer},
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v: dict[str, Any] = data.validated_data
        if not v["use_suggestion"] and not v.get("body"):
            raise serializers.ValidationError({"body": ["Write a reply or use the suggestion."]})
        try:
            message = services.ticket_reply_send(
                ticket_id=ticket_id,
                agent_id=request.user.pk,
                body=None if v["use_suggestion"] else v["body"],
                solve=v["solve"],
            )
        except DjangoValidationError as exc:
            raise _field_errors(exc) from exc
        return Response(MessageOutputSerializer(message).data, status=201)


class TicketTriageCorrectApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    class InputSerializer(serializers.Serializer):
        intent = serializers.ChoiceField(choices=list(INTENTS), required=False)
        queue = serializers.SlugField(required=False)

    @extend_schema(
        summary="Correct a ticket's intent or queue (staff; used for retraining)",
        request=InputSerializer,
        responses={200: TicketTriageOutputSerializer},
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            ticket = services.ticket_triage_correct(
                ticket_id=ticket_id,
                agent_id=request.user.pk,
                intent=data.validated_data.get("intent"),
                queue_slug=data.validated_data.get("queue"),
            )
        except DjangoValidationError as exc:
            raise _field_errors(exc) from exc
        return Response(TicketTriageOutputSerializer(ticket).data)


class TicketRatingApi(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "tickets"

    class InputSerializer(serializers.Serializer):
        score = serializers.ChoiceField(
            choices=SatisfactionRating.Score.values,
            error_messages={"invalid_choice": 'Choose "good" or "bad".'},
        )
        comment = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=services.MAX_COMMENT_CHARS,
            error_messages={
                "max_length": f"Comment is too long (at most {services.MAX_COMMENT_CHARS} "
                "characters)."
            },
        )

    class OutputSerializer(serializers.Serializer):
        ticket_id = serializers.IntegerField()
        score = serializers.CharField()
        comment = serializers.CharField()
        created_at = serializers.DateTimeField()
        updated_at = serializers.DateTimeField()

    @extend_schema(
        summary="Rate my solved ticket: how did we do? (good or bad, optional comment)",
        description=(
            f"A signed-in customer, for their own solved tickets (any other ticket is a 404). "
            f"Rating again within {services.RERATE_DAYS} days of the first rating replaces it; "
            "later it is a 400. A bad rating of an automatic answer sends the ticket to a "
            "person."
        ),
        request=InputSerializer,
        responses={200: OutputSerializer, 201: OutputSerializer},
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        customer_id = _customer_id(request)
        if customer_id is None:  # a staff user without a shopper profile has no tickets
            raise Ticket.DoesNotExist
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        existed = SatisfactionRating.objects.filter(ticket_id=ticket_id).exists()
        try:
            rating = services.ticket_satisfaction_rate(
                ticket_id=ticket_id,
                customer_id=customer_id,
                score=data.validated_data["score"],
                comment=data.validated_data.get("comment", ""),
            )
        except DjangoValidationError as exc:
            raise _field_errors(exc) from exc
        return Response(self.OutputSerializer(rating).data, status=200 if existed else 201)


# --- staff ticket API: the agent workspace ------------------------------------------------


class StaffMessageOutputSerializer(MessageOutputSerializer):
    """A message as agents see it: internal notes included, with who wrote it."""

    id = serializers.IntegerField()
    agent = serializers.CharField(source="agent.get_username", allow_null=True, default=None)
    internal = serializers.SerializerMethodField(help_text="an internal note: agents only")

    def get_internal(self, obj: Message) -> bool:
        return obj.author == Message.Author.NOTE


class StaffTicketListOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.CharField()
    status = serializers.CharField()
    priority = serializers.CharField(source="get_priority_display")
    queue = serializers.CharField(source="queue.slug", allow_null=True, default=None)
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True)
    assignee_name = serializers.CharField(
        source="assignee.get_username", allow_null=True, default=None
    )
    intent = serializers.CharField()
    language = serializers.CharField()
    wants_human = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    sla_next_due = serializers.DateTimeField(
        allow_null=True, help_text="the due time being raced now (null: solved or paused)"
    )
    first_reply_due_at = serializers.DateTimeField(allow_null=True)
    resolution_due_at = serializers.DateTimeField(allow_null=True)
    sla_breached = serializers.SerializerMethodField()

    def get_sla_breached(self, obj: Ticket) -> bool:
        now = timezone.now()
        return obj.first_reply_breached(now) or obj.resolution_breached(now)


class StaffTicketOutputSerializer(TicketTriageOutputSerializer):
    """One ticket for an agent: triage, SLA and the whole thread, internal notes included."""

    assignee = serializers.IntegerField(source="assignee_id", allow_null=True)
    assignee_name = serializers.CharField(
        source="assignee.get_username", allow_null=True, default=None
    )
    suggested_reply = serializers.CharField()

    @extend_schema_field(StaffMessageOutputSerializer(many=True))
    def get_messages(self, obj: Ticket) -> list[dict[str, Any]]:
        return list(StaffMessageOutputSerializer(obj.messages.all(), many=True).data)


class StaffMacroOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    queue = serializers.CharField(source="queue.slug", allow_null=True, default=None)
    body = serializers.CharField(help_text="filled in for this ticket")
    set_status = serializers.CharField()
    set_priority = serializers.CharField(source="get_set_priority_display", allow_null=True)
    set_queue = serializers.CharField(source="set_queue.slug", allow_null=True, default=None)
    usage_count = serializers.IntegerField()


SLA_STATES = {
    "breached": "a first-reply or resolution target is breached",
    "soon": "not breached, but due within 1 h",
    "attention": "breached or due within 1 h",
}


class StaffTicketFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=Ticket.Status.choices, help_text="Repeat for several: status=new&status=triaged"
    )
    queue = django_filters.CharFilter(field_name="queue__slug", help_text="Queue slug")
    priority = django_filters.ChoiceFilter(
        choices=[(label, label) for label in PRIORITY_BY_LABEL],
        method="filter_priority",
        help_text="urgent, high, normal or low",
    )
    assignee = django_filters.CharFilter(
        method="filter_assignee", help_text='An agent\'s user id, "me" or "none" (unassigned)'
    )
    sla = django_filters.ChoiceFilter(
        choices=list(SLA_STATES.items()),
        method="filter_sla",
        help_text="; ".join(f"{k}: {v}" for k, v in SLA_STATES.items()),
    )
    intent = django_filters.ChoiceFilter(choices=[(i, i) for i in INTENTS])
    language = django_filters.CharFilter(max_length=5, help_text="e.g. en, fr")
    q = django_filters.CharFilter(
        field_name="subject", lookup_expr="icontains", max_length=200, help_text="In the subject"
    )

    class Meta:
        model = Ticket
        fields = ["status", "queue", "priority", "assignee", "sla", "intent", "language", "q"]

    def filter_priority(self, queryset: QuerySet[Ticket], name: str, value: str) -> Any:
        return queryset.filter(priority=PRIORITY_BY_LABEL[value])

    def filter_assignee(self, queryset: QuerySet[Ticket], name: str, value: str) -> Any:
        if value == "me":
            return queryset.filter(assignee_id=self.request.user.pk if self.request else None)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if not value.isdigit() or not id_in_range(int(value)):
            raise serializers.ValidationError({"assignee": ['A user id, "me" or "none".']})
        return queryset.filter(assignee_id=int(value))

    def filter_sla(self, queryset: QuerySet[Ticket], name: str, value: str) -> Any:
        now = timezone.now()
        attention = selectors.tickets_sla_attention(queryset, now=now)
        if value == "breached":
            return queryset.exclude(status=Ticket.Status.SOLVED).filter(
                selectors.sla_breached_q(now=now)
            )
        if value == "soon":
            return attention.exclude(selectors.sla_breached_q(now=now))
        return attention


class StaffTicketPagination(PagePagination):
    page_size = 50
    max_page_size = 200  # as the other staff lists


NO_SUCH_TICKET = OpenApiResponse(description="No such ticket")
TICKET_REFUSED = OpenApiResponse(description="Refused: messages per field")


def _staff_ticket_response(ticket_id: int, status_code: int = 200) -> Response:
    ticket = selectors.ticket_get_for_staff(ticket_id=ticket_id)
    return Response(StaffTicketOutputSerializer(ticket).data, status=status_code)


def _ticket_id(ticket_id: int) -> int:
    if not id_in_range(ticket_id):
        raise Ticket.DoesNotExist  # a 404, not the database's overflow (a 500)
    if not Ticket.objects.filter(pk=ticket_id).exists():
        raise Ticket.DoesNotExist
    return ticket_id


@extend_schema_view(
    get=extend_schema(
        summary="Tickets for agents, the next SLA breach first (staff)",
        description="Ordered by the due time being raced now (first reply, then resolution), "
        "then priority and age; solved tickets and stopped clocks last.",
    )
)
class StaffTicketListApi(generics.ListAPIView):
    permission_classes = [permissions.IsAdminUser]
    serializer_class = StaffTicketListOutputSerializer
    filterset_class = StaffTicketFilter
    pagination_class = StaffTicketPagination

    def get_queryset(self) -> QuerySet[Ticket]:
        return selectors.ticket_list_for_staff()


class StaffTicketDetailApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(
            choices=[s for s in Ticket.Status.values if s != Ticket.Status.NEW], required=False
        )
        priority = serializers.ChoiceField(choices=list(PRIORITY_BY_LABEL), required=False)
        queue = serializers.SlugField(required=False, help_text="queue slug")

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if not attrs:
                raise serializers.ValidationError(
                    {"detail": ["Give a status, priority or queue to change."]}
                )
            return attrs

    @extend_schema(
        summary="One ticket with its thread, internal notes included (staff)",
        responses={200: StaffTicketOutputSerializer, 404: NO_SUCH_TICKET},
    )
    def get(self, request: Request, ticket_id: int) -> Response:
        return _staff_ticket_response(_ticket_id(ticket_id))

    @extend_schema(
        summary="Change a ticket's status, priority or queue (staff)",
        description="Solving mails the shopper the rating links; a queue change is recorded "
        "as a triage correction; due times follow the priority.",
        request=InputSerializer,
        responses={200: StaffTicketOutputSerializer, 400: TICKET_REFUSED, 404: NO_SUCH_TICKET},
    )
    def patch(self, request: Request, ticket_id: int) -> Response:
        ticket_id = _ticket_id(ticket_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            services.ticket_update(
                ticket_id=ticket_id,
                agent_id=request.user.pk,
                status=v.get("status"),
                priority=PRIORITY_BY_LABEL[v["priority"]] if "priority" in v else None,
                queue_slug=v.get("queue"),
            )
        except DjangoValidationError as exc:
            raise _field_errors(exc) from exc
        return _staff_ticket_response(ticket_id)


class StaffTicketReplyApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(
            required=False,
            allow_blank=True,
            trim_whitespace=False,
            help_text="the reply; omitted with `macro`: the macro's text filled for the ticket",
        )
        use_suggestion = serializers.BooleanField(default=False)
        macro = serializers.IntegerField(
            required=False,
            min_value=1,
            max_value=ID_MAX,
            help_text="apply this macro: its text (unless `body` is given) and its actions",
        )
        solve = serializers.BooleanField(default=False)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if not attrs.get("body") and not attrs["use_suggestion"] and "macro" not in attrs:
                raise serializers.ValidationError(
                    {"body": ["Write a reply, use the suggestion or apply a macro."]}
                )
            return attrs

    @extend_schema(
        summary="Reply to the customer, optionally with a macro (staff); e-mailed to them",
        request=InputSerializer,
        responses={201: StaffTicketOutputSerializer, 400: TICKET_REFUSED, 404: NO_SUCH_TICKET},
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket_id = _ticket_id(ticket_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v: dict[str, Any] = data.validated_data
        body = v.get("body") or None
        try:
            services.ticket_reply_send(
                ticket_id=ticket_id,
                agent_id=request.user.pk,
                body=body,
                solve=v["solve"],
                macro_id=v.get("macro"),
            )
        except DjangoValidationError as exc:
            raise _field_errors(exc) from exc
        return _staff_ticket_response(ticket_id, 201)


class StaffTicketNoteApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    class InputSerializer(serializers.Serializer):
        body = _body_field()

    @extend_schema(
        summary="Add an internal note (staff): agents only, never e-mailed or shown to the "
        "shopper, never used by ML",
        request=InputSerializer,
        responses={201: StaffMessageOutputSerializer, 400: TICKET_REFUSED, 404: NO_SUCH_TICKET},
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket_id = _ticket_id(ticket_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            note = services.ticket_note_add(
                ticket_id=ticket_id, agent_id=request.user.pk, body=data.validated_data["body"]
            )
        except DjangoValidationError as exc:
            raise _field_errors(exc) from exc
        return Response(StaffMessageOutputSerializer(note).data, status=201)


class StaffTicketAssignApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    class InputSerializer(serializers.Serializer):
        assignee = serializers.IntegerField(
            allow_null=True,
            min_value=1,
            max_value=ID_MAX,
            help_text="an active staff user's id; null: unassigned",
        )

        def validate_assignee(self, value: int | None) -> int | None:
            from django.contrib.auth import get_user_model

            if value is None:
                return None
            staff = get_user_model().objects.filter(pk=value, is_staff=True, is_active=True)
            if not staff.exists():
                raise serializers.ValidationError("No active staff user with this id.")
            return value

    @extend_schema(
        summary="Assign a ticket to an agent, or unassign it (staff)",
        request=InputSerializer,
        responses={200: StaffTicketOutputSerializer, 400: TICKET_REFUSED, 404: NO_SUCH_TICKET},
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket_id = _ticket_id(ticket_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.ticket_assign(ticket_id=ticket_id, agent_id=data.validated_data["assignee"])
        return _staff_ticket_response(ticket_id)


class StaffTicketMacroListApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        summary="Macros an agent may apply on this ticket, filled in for it (staff)",
        responses={200: StaffMacroOutputSerializer(many=True), 404: NO_SUCH_TICKET},
    )
    def get(self, request: Request, ticket_id: int) -> Response:
        ticket = selectors.ticket_get_for_staff(ticket_id=_ticket_id(ticket_id))
        macros = list(selectors.macros_for_ticket(ticket=ticket))
        values = services.macro_placeholder_values(ticket=ticket, agent_id=request.user.pk)
        rows = [
            {
                "id": m.pk,
                "name": m.name,
                "queue": m.queue,
                "body": placeholders_fill(m.body, values).strip(),
                "set_status": m.set_status,
                "get_set_priority_display": m.get_set_priority_display()
                if m.set_priority
                else None,
                "set_queue": m.set_queue,
                "usage_count": m.usage_count,
            }
            for m in macros
        ]
        return Response(StaffMacroOutputSerializer(rows, many=True).data)
