from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from returns import services
from returns.models import ReturnLine, ReturnRequest, ReturnSettings
from storefront.admin_audit import AuditedActionsMixin
from storefront.api_errors import ServiceError


@admin.register(ReturnSettings)
class ReturnSettingsAdmin(AuditedActionsMixin):
    list_display = ["__str__", "window_days", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not ReturnSettings.objects.exists()  # one policy row


class ReturnLineInline(admin.TabularInline):
    model = ReturnLine
    extra = 0
    can_delete = False
    fields = ["item", "quantity", "reason", "comment", "restocked"]
    readonly_fields = ["item", "quantity", "reason", "comment", "restocked"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # shoppers ask through the shop; quantities are checked there

    @admin.display(description="item")
    def item(self, obj: ReturnLine) -> str:
        return f"{obj.order_line.name} ({obj.order_line.sku})"


@admin.register(ReturnRequest)
class ReturnRequestAdmin(AuditedActionsMixin):
    list_display = ["number", "order", "status", "created_at", "refund_amount"]
    list_filter = ["status", "created_at"]
    list_select_related = ["order"]
    search_fields = ["number", "order__number"]
    readonly_fields = [
        "number",
        "order",
        "status",
        "merchant_note",
        "include_shipping",
        "refund",
        "refund_amount",
        "created_at",
        "decided_at",
        "received_at",
        "refunded_at",
    ]
    inlines = [ReturnLineInline]
    actions = ["approve_returns", "reject_returns", "receive_returns", "refund_returns"]
    change_form_template = "admin/returns/returnrequest/change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Approve selected returns (e-mails the shopper)")
    def approve_returns(self, request: HttpRequest, queryset: QuerySet[ReturnRequest]) -> None:
        self._act(request, queryset, lambda pk: services.return_approve(return_id=pk))

    @admin.action(description="Reject selected returns (e-mails the shopper)")
    def reject_returns(self, request: HttpRequest, queryset: QuerySet[ReturnRequest]) -> None:
        self._act(request, queryset, lambda pk: services.return_reject(return_id=pk))

    @admin.action(description="Mark received, restock every line and refund")
    def receive_returns(self, request: HttpRequest, queryset: QuerySet[ReturnRequest]) -> None:
        def receive(pk: int) -> object:
            ids = ReturnLine.objects.filter(return_request_id=pk).values_list("pk", flat=True)
            return services.return_receive(return_id=pk, restock_line_ids=list(ids))

        self._act(request, queryset, receive)

    @admin.action(description="Refund selected received returns")
    def refund_returns(self, request: HttpRequest, queryset: QuerySet[ReturnRequest]) -> None:
        self._act(request, queryset, lambda pk: services.return_refund(return_id=pk))

    def _act(
        self,
        request: HttpRequest,
        queryset: QuerySet[ReturnRequest],
        action: Callable[[int], object],
    ) -> None:
        done = 0
        for return_request in queryset.order_by("pk"):
            try:
                action(return_request.pk)
                done += 1
            except ServiceError as exc:  # each return is its own transaction
                self.message_user(
                    request, f"{return_request.number}: {exc.message}", messages.WARNING
                )
        self.message_user(request, f"{done} return{'' if done == 1 else 's'} updated")

    def response_change(self, request: HttpRequest, obj: ReturnRequest) -> HttpResponse:
        post = request.POST
        note = post.get("_note", "")
        try:
            if "_approve" in post:
                services.return_approve(return_id=obj.pk, note=note)
                done = "approved; the shopper is e-mailed"
            elif "_reject" in post:
                services.return_reject(return_id=obj.pk, note=note)
                done = "rejected; the shopper is e-mailed"
            elif "_receive" in post:
                services.return_receive(
                    return_id=obj.pk,
                    restock_line_ids=[int(v) for v in post.getlist("_restock") if v.isdigit()],
                    refund="_refund" in post,
                    include_shipping="_include_shipping" in post,
                )
                done = "marked received"
            elif "_refund_now" in post:
                services.return_refund(
                    return_id=obj.pk, include_shipping="_include_shipping" in post
                )
                done = "refunded"
            else:
                return super().response_change(request, obj)
        except ServiceError as exc:
            self.message_user(request, f"{obj.number}: {exc.message}", messages.ERROR)
        else:
            self.log_change(request, obj, done)
            self.message_user(request, f"{obj.number}: {done}.", messages.SUCCESS)
        return HttpResponseRedirect(request.path)
